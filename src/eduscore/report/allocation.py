"""The allocation of a fund (issue #15 item 4) for a reader: the terminal, a workbook, JSON.

One language per run: headings and labels in the run's language, county names and the
checks' names as the result gives them (``blockers_zh`` in Chinese runs). Amounts in
万元 (the unit the knapsack counts in), the budget also as 亿 / yuan.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import IO, Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from eduscore.model.messages import CATALOG, label
from eduscore.province.allocate import Allocation
from eduscore.report.charts import plain_number
from eduscore.report.console import SafeConsole
from eduscore.report.files import atomic_path, close_workbook, output_folder, write_text
from eduscore.report.text import json_text, xlsx_text
from eduscore.report.view import number

#: Words of the allocation, English and Chinese.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Where the fund goes furthest",
        "objective.counties": "objective: the most counties certified (cheapest first)",
        "objective.pupils": "objective: the most pupils in certified counties (exact in 万元 steps)",
        "budget": "Budget",
        "summary": "{fundable} counties money can certify; {unfundable} it cannot; {certified} already certified.",
        "funded": "Funded counties",
        "code": "code",
        "county": "county",
        "cost": "cost (万元)",
        "pupils": "pupils",
        "total": "Total: {n} counties, {cost} 万元, {pupils} pupils. Left: {left} 万元.",
        "next": "Next county that would fit: {code} {name}, {cost} 万元 ({pupils} pupils): {more} 万元 more is needed.",
        "no_next": "Every county money can certify is funded.",
        "none_funded": "No county is funded.",
        "unfundable": "Counties money cannot certify",
        "common": "What stands in the way most often (counties):",
        "more": "… and {n} more: every county with its blockers is in {where}.",
        "bound": "Rounding",
    },
    "zh": {
        "title": "专项资金分配",
        "objective.counties": "目标:达标县数最多(按成本从低到高资助)",
        "objective.pupils": "目标:达标县的学生数最多(以万元为单位精确求解)",
        "budget": "预算",
        "summary": "靠资金即可达标的县 {fundable} 个;资金无法解决的县 {unfundable} 个;已达标 {certified} 个。",
        "funded": "受资助的县",
        "code": "代码",
        "county": "县",
        "cost": "成本(万元)",
        "pupils": "学生数",
        "total": "合计:{n} 个县,成本 {cost} 万元,学生 {pupils} 人。剩余:{left} 万元。",
        "next": "下一个可资助的县:{code} {name},成本 {cost} 万元(学生 {pupils} 人):还差 {more} 万元。",
        "no_next": "靠资金即可达标的县已全部资助。",
        "none_funded": "没有县获得资助。",
        "unfundable": "资金无法解决的县",
        "common": "最常见的障碍(县数):",
        "more": "…… 另有 {n} 个县:各县及其障碍见 {where}。",
        "bound": "取整说明",
    },
}

MAX_SHOWN = 15
_NAME_WIDTH = 40


def _wan(yuan: float | None) -> str:
    return number(yuan / 1e4 if yuan is not None else None)


def _short(text: str, lang: str) -> str:
    most = _NAME_WIDTH // 2 if lang == "zh" else _NAME_WIDTH  # a Chinese character takes two columns
    return text if len(text) <= most else text[: most - 1] + "…"


def _blocker_names(row: dict[str, Any], lang: str) -> list[str]:
    """Each blocker's check name (before the ":" of why), shortened for the terminal, with
    its status: a veto that is not assessed must not read as one that happened."""
    texts = row["blockers_zh"] if lang == "zh" else row["blockers_en"]
    sep = ":" if lang == "zh" else ": "
    out = []
    for t in texts:
        parts = t.split(sep, 2)
        name = _short(parts[0], lang)
        if len(parts) > 1:
            name += f"({parts[1]})" if lang == "zh" else f" ({parts[1]})"
        out.append(name)
    return out


def print_allocation(
    a: Allocation, lang: str = "en", file: IO[str] | None = None, out: str | None = None
) -> None:
    """The allocation on the terminal: the funded counties, the total and what is left,
    the next county that would fit, and the counties money cannot certify."""
    w = WORDS["zh" if lang == "zh" else "en"]
    console = SafeConsole(file=file, highlight=False, soft_wrap=False)
    n_fundable = sum(1 for f in a.candidates.column("fundable").to_pylist() if f)
    console.print(Text(w["title"], style="bold"))
    plain = plain_number(a.budget, lang) if a.budget else "0"
    objective = w["objective." + a.objective]
    if lang == "zh":
        console.print(f"{w['budget']}:{_wan(a.budget)} 万元({plain}元);{objective}")
    else:
        console.print(f"{w['budget']}: {_wan(a.budget)} 万元 ({plain} yuan); {objective}")
    console.print(
        w["summary"].format(
            fundable=n_fundable, unfundable=a.unfundable.num_rows, certified=a.certified.num_rows
        )
    )
    rows = a.funded.to_pylist()
    if rows:
        count = f"({len(rows)} 个)" if lang == "zh" else f" ({len(rows)})"
        table = Table(title=w["funded"] + count, title_justify="left")
        for col in (w["code"], w["county"], w["cost"], w["pupils"]):
            table.add_column(
                col, overflow="fold", justify="right" if col in (w["cost"], w["pupils"]) else "left"
            )
        for r in rows:
            table.add_row(
                escape(r["county_code"]),
                escape(r["county_name"] or ""),
                _wan(r["cost_yuan"]),
                number(r["pupils"]),
            )
        console.print(table)
    else:
        console.print(w["none_funded"])
    console.print(
        Text(
            w["total"].format(
                n=len(rows), cost=_wan(a.total_cost), pupils=number(a.pupils), left=_wan(a.left)
            ),
            style="bold",
        )
    )
    nxt = a.next_county
    if nxt is not None:
        console.print(
            w["next"].format(
                code=nxt.county_code,
                name=nxt.county_name or "",
                cost=_wan(nxt.cost_yuan),
                pupils=number(nxt.pupils),
                more=_wan(nxt.more_yuan),
            )
        )
    elif n_fundable:
        console.print(w["no_next"])
    console.print(
        Text(w["bound"] + (":" if lang == "zh" else ": "), style="dim").append(
            a.bound_text(lang), style="dim"
        )
    )
    blocked = a.unfundable.to_pylist()
    if not blocked:
        return
    count = f"({len(blocked)} 个)" if lang == "zh" else f" ({len(blocked)})"
    console.print(Text(f"\n{w['unfundable']}{count}", style="bold"))
    common: Counter[str] = Counter()
    for r in blocked:
        common.update(set(_blocker_names(r, lang)))
    console.print(w["common"])
    for name, n in common.most_common(6):
        console.print(f"  {escape(name)}  {n}")
    for r in blocked[:MAX_SHOWN]:
        sep = ";" if lang == "zh" else "; "
        console.print(
            f"  {escape(r['county_code'])} {escape(r['county_name'] or '')}: {escape(sep.join(_blocker_names(r, lang)))}"
        )
    if len(blocked) > MAX_SHOWN:
        where = out or (
            "--out 文件夹 中的 allocation.xlsx" if lang == "zh" else "allocation.xlsx (with --out FOLDER)"
        )
        console.print(w["more"].format(n=len(blocked) - MAX_SHOWN, where=where))


#: The workbook's column headers.
_HEAD = {
    "county_code": ("county code", "县代码"),
    "year": ("year", "年份"),
    "county_name": ("county", "县名称"),
    "framework": ("framework", "评估框架"),
    "verdict": ("verdict", "结论"),
    "pupils": ("pupils", "学生数"),
    "fundable": ("money can certify it", "靠资金可达标"),
    "cost_yuan": ("cost (yuan)", "成本(元)"),
    "cost_wan": ("cost (万元)", "成本(万元)"),
    "funded": ("funded", "受资助"),
    "blockers": ("checks in the way (ids)", "障碍(检查项编号)"),
    "blockers_en": ("checks in the way", "障碍(英文)"),
    "blockers_zh": ("checks in the way (Chinese)", "障碍"),
}
_SHEETS = {
    "funded": ("funded", "受资助"),
    "unfundable": ("money cannot", "资金无法解决"),
    "candidates": ("all counties", "全部未达标县"),
    "summary": ("summary", "汇总"),
}


def write_allocation(a: Allocation, folder: Path, lang: str = "en") -> list[Path]:
    """``allocation.xlsx`` (summary, funded, unfundable, every candidate) and
    ``allocation.json``, published together into ``folder``."""
    zh = lang == "zh"
    with output_folder(folder) as staging:
        book_path = staging / "allocation.xlsx"
        with atomic_path(book_path) as tmp:
            import xlsxwriter

            book = xlsxwriter.Workbook(str(tmp), {"nan_inf_to_errors": True})
            bold = book.add_format({"bold": True})
            summary = book.add_worksheet(_SHEETS["summary"][zh])
            d = a.to_dict()
            nxt = a.next_county
            lines = [
                ("budget (yuan)", "预算(元)", a.budget),
                ("objective", "目标", WORDS[lang if zh else "en"]["objective." + a.objective]),
                ("counties funded", "受资助县数", a.funded.num_rows),
                ("total cost (yuan)", "成本合计(元)", a.total_cost),
                ("left (yuan)", "剩余(元)", a.left),
                ("pupils in funded counties", "受资助县学生数", a.pupils),
                ("counties money can certify", "靠资金可达标的县数", d["n_fundable"]),
                ("counties money cannot certify", "资金无法解决的县数", a.unfundable.num_rows),
                ("counties already certified", "已达标县数", a.certified.num_rows),
                (
                    "next county",
                    "下一个可资助的县",
                    f"{nxt.county_code} {nxt.county_name or ''}" if nxt else "—",
                ),
                ("its cost (yuan)", "其成本(元)", nxt.cost_yuan if nxt else "—"),
                ("more needed (yuan)", "还差(元)", nxt.more_yuan if nxt else "—"),
                ("rounding", "取整说明", a.bound_text(lang)),
            ]
            for i, (en, cn, value) in enumerate(lines):
                summary.write_string(i, 0, cn if zh else en, bold)
                if isinstance(value, str):
                    summary.write_string(i, 1, xlsx_text(value))
                else:
                    summary.write_number(i, 1, float(value))
            summary.set_column(0, 0, 28)
            summary.set_column(1, 1, 40)
            for key, table in (
                ("funded", a.funded),
                ("unfundable", a.unfundable),
                ("candidates", a.candidates),
            ):
                sheet = book.add_worksheet(_SHEETS[key][zh])
                names = [n for n in table.column_names if n != ("blockers_en" if zh else "blockers_zh")]
                for j, n in enumerate(names):
                    sheet.write_string(0, j, _HEAD[n][zh], bold)
                for i, row in enumerate(table.select(names).to_pylist(), start=1):
                    if f"verdict.{row.get('verdict')}" in CATALOG:
                        row["verdict"] = label(f"verdict.{row['verdict']}", lang)
                    for j, n in enumerate(names):
                        _cell(sheet, i, j, row[n], zh)
                sheet.set_column(0, len(names) - 1, 14)
                sheet.freeze_panes(1, 0)
            close_workbook(book, tmp)
        write_text(staging / "allocation.json", json_text(json.dumps(d, ensure_ascii=False, indent=2)))
    return [folder / "allocation.xlsx", folder / "allocation.json"]


def _cell(sheet: Any, i: int, j: int, value: Any, zh: bool) -> None:
    if value is None:
        sheet.write_blank(i, j, None)
    elif isinstance(value, bool):
        sheet.write_string(i, j, ("是" if value else "否") if zh else ("yes" if value else "no"))
    elif isinstance(value, int | float):
        sheet.write_number(i, j, float(value))
    elif isinstance(value, list):
        sheet.write_string(i, j, xlsx_text(("；" if zh else "; ").join(str(v) for v in value)))
    else:
        sheet.write_string(i, j, xlsx_text(str(value)))
