"""The XLSX workbook for county bureaus (xlsxwriter).

Sheets: verdict; every check; the per-school data; the official-format CV table
(county × level rows, each indicator's mean and CV) whose cells are live Excel formulas
over the per-school sheet, so an inspector can change a number and see the CV move; the
per-school 达标 matrix with conditional formatting and the gap to each threshold;
the plan (additions per school, CV remediation, other failing checks, additions as
input columns), the margins of every check and the within/between decomposition;
excluded and rejected rows; the row accounting.

Text from the inputs is always written as text: a school named "=HYPERLINK(...)" or
"+86 …" stays a string, never a formula; its control characters are shown visibly, and
a literal ``_x001B_`` stays those seven characters (Excel would decode it to ESC).
NaN and infinity are written as "—", never as a number Excel cannot hold.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from eduscore.model.contract import LEVEL_NAMES
from eduscore.model.messages import label
from eduscore.report.context import RenderContext, context_of
from eduscore.report.files import atomic_path, close_workbook
from eduscore.report.planning import PlanningView
from eduscore.report.text import xlsx_text
from eduscore.report.view import ReportView, accounting_line, clause_text, reason_of
from eduscore.result import Result

SECTIONS_SHEET = "分校数据 Schools"
CV_SHEET = "差异系数 CV"
SUMMARY_SHEET = "说明 About"
#: Rows of data a sheet holds at most: Excel's 1,048,576 rows less the header and the
#: note that says what was left out.
MAX_ROWS = 1_048_574
#: A result of more counties than this gets the summary workbook (one row per county);
#: one county (of any number of years) gets the full workbook.
SUMMARY_COUNTIES = 1
#: The sub-folder of the per-county workbooks (``--xlsx-per-county``).
PER_COUNTY_FOLDER = "report-counties"


# The first columns of a verdict sheet (the full workbook and the summary), and their widths.
VERDICT_HEADERS = [
    "县区代码 county",
    "县区名称 name",
    "年份 year",
    "结论 verdict",
    "等级 grade",
    "达标 pass",
    "未达标 fail",
    "未评估 not assessed",
]
VERDICT_WIDTHS = [10, 18, 7, 16, 8, 8, 8, 10]

# The columns of a sheet of checks (the summary's open checks show the first 14).
CHECK_HEADERS = [
    "县区代码",
    "年份",
    "项目 id",
    "名称 name",
    "分组 group",
    "结果 status",
    "数值 value",
    "比较",
    "标准 threshold",
    "说明 reason",
    "可信度",
    "文件 document",
    "条款 clause",
    "规则来源 rule set",
    "版本",
    "声明放宽 relaxed by",
]


def _check_row(ch: dict[str, Any], view: ReportView, lang: str) -> list[Any]:
    """One row of a checks sheet, in the order of :data:`CHECK_HEADERS`."""
    return [
        ch["county_code"],
        ch["year"],
        ch["check_id"],
        view.check_name(ch),
        view.group_name(ch["group"]),
        view.status(ch["status"]),
        ch["value"],
        ch["comparator"],
        ch["threshold"],
        reason_of(ch, lang),
        f"[{ch['confidence']}]",
        ch["document"],
        clause_text(ch["clause"], lang),
        ch["rule_set"],
        ch["rule_set_version"],
        ch.get("relaxed_by") or "",
    ]


def finite(x: Any) -> bool:
    """Whether ``x`` is a number Excel can hold (not NaN, not ±infinity)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


class _Writer:
    def __init__(self, path: Path, max_rows: int = MAX_ROWS, lang: str = "zh") -> None:
        self.max_rows = max_rows
        self.lang = lang
        self.cut: list[str] = []  # sheets that could not hold all their rows
        self.book = xlsxwriter.Workbook(
            str(path), {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
        )
        self.bold = self.book.add_format(
            {"bold": True, "bg_color": "#EEEEEE", "border": 1, "text_wrap": True}
        )
        self.num = self.book.add_format({"num_format": "#,##0.000"})
        self.int = self.book.add_format({"num_format": "#,##0"})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.red = self.book.add_format({"bg_color": "#FFCDD2"})
        self.amber = self.book.add_format({"bg_color": "#FFE0B2"})
        self.green = self.book.add_format({"bg_color": "#C8E6C9"})
        self.note = self.book.add_format({"bold": True, "font_color": "#B71C1C"})

    def cell(self, ws: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
        """Numbers as numbers, NaN and infinity as "—", everything else as inert text
        (:func:`xlsx_text`), missing as blank. Every cell of the workbook goes through here."""
        if value is None:
            return
        if isinstance(value, bool):
            ws.write_boolean(row, col, value, fmt)
        elif isinstance(value, int | float):
            if finite(value):
                ws.write_number(row, col, value, fmt)
            else:
                ws.write_string(row, col, "—", fmt)
        elif isinstance(value, list):
            ws.write_string(row, col, "\n".join(xlsx_text(v) for v in value), fmt or self.wrap)
        else:
            ws.write_string(row, col, xlsx_text(value), fmt)

    def sheet(
        self,
        name: str,
        headers: list[str],
        rows: list[list[Any]],
        widths: list[int] | None = None,
        full: str = "",
    ) -> Any:
        """A sheet of a header row and ``rows``. Rows beyond :attr:`max_rows` are left out,
        never silently: the sheet's first row then says how many it shows and where the
        whole table is (``full``), and the workbook's notices name the sheet."""
        ws = self.book.add_worksheet(name)
        top = 0
        if len(rows) > self.max_rows:
            note = label("xlsx.cut", self.lang).format(
                f"{self.max_rows:,}", f"{len(rows):,}", full or label("xlsx.full_data", self.lang)
            )
            self.cell(ws, 0, 0, note, self.note)
            self.cut.append(f"{name}: {note}")
            rows = rows[: self.max_rows]
            top = 1
        for c, h in enumerate(headers):
            self.cell(ws, top, c, h, self.bold)
        for r, row in enumerate(rows, start=top + 1):
            for c, v in enumerate(row):
                self.cell(ws, r, c, v)
        ws.freeze_panes(top + 1, 0)
        for c, width in enumerate(widths or [14] * len(headers)):
            ws.set_column(c, c, width)
        if rows:
            ws.autofilter(top, 0, top + len(rows), len(headers) - 1)
        return ws


def is_summary(result: Result, max_rows: int = MAX_ROWS, summary_counties: int = SUMMARY_COUNTIES) -> bool:
    """Whether :func:`write_xlsx` writes a summary workbook (one row per county) rather
    than the full one: more counties than ``summary_counties``, or more in-scope units than
    a sheet holds."""
    counties = len(pc.unique(result.verdicts.column("county_code")))
    in_scope = pc.sum(pc.fill_null(result.sections.column("in_scope"), False)).as_py() or 0
    return counties > summary_counties or in_scope > max_rows


def write_xlsx(
    source: Result | RenderContext,
    out: Path,
    lang: str | None = None,
    *,
    per_county: bool | None = None,
    max_rows: int = MAX_ROWS,
    summary_counties: int = SUMMARY_COUNTIES,
) -> Path:
    """Write ``report.xlsx`` into ``out`` and return its path.

    One county (or more years of one), with no more in-scope units than a sheet holds:
    the full workbook. More counties (than ``summary_counties``), or more units: a
    summary workbook — one row per county — and, with ``per_county`` (default: the
    context's ``xlsx_per_county``, the CLI's ``--xlsx-per-county``), one full workbook per
    county in ``report-counties/``. A sheet that cannot hold all its rows (``max_rows``)
    says so in its first row, and the context's ``notices`` say which sheets."""
    context = context_of(source, lang)
    result = context.result
    if per_county is None:
        per_county = context.xlsx_per_county
    path = out / "report.xlsx"
    cut: list[str] = []
    if not is_summary(result, max_rows, summary_counties):
        with atomic_path(path) as tmp:
            cut += _write_book(context, tmp, max_rows)
    else:
        folder = out / PER_COUNTY_FOLDER
        written = 0
        if per_county:
            for code, part in county_results(result):
                sub = RenderContext(part, context.lang, costs=context.costs, by=context.by)
                with atomic_path(folder / f"report-{code}.xlsx") as tmp:
                    cut += _write_book(sub, tmp, max_rows)
                written += 1
        with atomic_path(path) as tmp:
            cut += _write_summary(context, tmp, max_rows, folder.name, written)
    if cut:
        context.notices.append(label("xlsx.notice", context.lang).format(len(cut), "; ".join(cut)))
    return path


def county_results(result: Result) -> Iterator[tuple[str, Result]]:
    """The result of each county (all its years), in county order: every table with a
    ``county_code`` column sorted by it once and sliced, never filtered per county. The
    input-wide tables (findings, rejected rows, accounting) are left empty: they are in
    the summary workbook."""
    codes = sorted(pc.unique(result.verdicts.column("county_code")).to_pylist())
    sliced: dict[str, tuple[pa.Table, np.ndarray]] = {}
    for name, table in result.tables().items():
        if "county_code" not in table.column_names:
            continue
        key = pc.cast(table.column("county_code"), pa.string())
        order = pc.sort_indices(key)
        table = table.take(order)
        column = np.asarray(key.take(order).to_numpy(zero_copy_only=False), dtype=object)
        bounds = np.searchsorted(column, np.array([*codes, chr(1114111)], dtype=object))
        sliced[name] = (table, bounds)
    for i, code in enumerate(codes):
        parts = {name: t.slice(b[i], b[i + 1] - b[i]) for name, (t, b) in sliced.items()}
        empty = {name: getattr(result, name).slice(0, 0) for name in ("findings", "rejected", "accounting")}
        yield code, attrs.evolve(result, **parts, **empty)


def _write_book(context: RenderContext, path: Path, max_rows: int = MAX_ROWS) -> list[str]:
    """The full workbook of one county (or a few); returns the sheets it had to cut."""
    result, lang = context.result, context.lang
    view = ReportView(result, lang)
    w = _Writer(path, max_rows, lang)
    fw = result.framework
    counties = list(view.counties())
    # 1. Verdict
    w.sheet(
        "结论 Verdict",
        [*VERDICT_HEADERS, "原因 reasons"],
        [
            [
                c.county_code,
                c.county_name,
                c.year,
                view.verdict(c.verdict),
                c.grade,
                c.counts["n_pass"],
                c.counts["n_fail"],
                c.counts["n_not_assessed"],
                c.reasons,
            ]
            for c in counties
        ],
        [*VERDICT_WIDTHS, 90],
    )
    # 2. Checks
    check_rows = [_check_row(ch, view, lang) for c in counties for ch in c.checks]
    w.sheet(
        "检查项 Checks",
        CHECK_HEADERS,
        check_rows,
        [10, 7, 30, 40, 12, 10, 12, 6, 12, 30, 6, 28, 24, 20, 8, 30],
    )
    blocks = _sections_sheet(w, result, fw)
    _cv_sheet(w, result, view, blocks)
    _matrix_sheet(w, result, view)
    reason_key = "exclusion_reason_zh" if lang == "zh" else "exclusion_reason_en"
    w.sheet(
        "不纳入 Excluded",
        ["县区代码", "年份", "单位 unit", "名称 name", "学段 level", "规则 rule", "原因 reason"],
        [
            [
                e["county_code"],
                e["year"],
                e["unit_id"],
                e.get("school_name") or e.get("kindergarten_name"),
                e.get("level"),
                e["excluded_by"],
                e.get(reason_key),
            ]
            for e in result.excluded.to_pylist()
        ],
        [10, 7, 18, 24, 8, 30, 40],
    )
    w.sheet(
        "数据问题 Findings",
        [
            "文件 file",
            "工作表 sheet",
            "行 row",
            "列 column",
            "值 value",
            "级别 severity",
            "规则 rule",
            "说明 message",
            "message",
        ],
        [
            [
                f["source"],
                f["sheet"],
                f["row"],
                f["column"],
                f["value"],
                f["severity"],
                f["rule"],
                f["message_zh"],
                f["message_en"],
            ]
            for f in result.findings.to_pylist()
        ],
        [30, 14, 7, 24, 16, 9, 22, 50, 50],
    )
    for name, headers, rows, widths in PlanningView(context.analyses(), view).sheets():
        w.sheet(name, headers, rows, widths, label("xlsx.full_margins", lang) if "Margins" in name else "")
    _accounting_sheet(w, result, lang)
    close_workbook(w.book, path)
    return w.cut


def _accounting_sheet(w: _Writer, result: Result, lang: str) -> None:
    w.sheet(
        "核对 Accounting",
        [
            "表 table",
            "文件 source",
            "行数 rows",
            "计入 scored",
            "不纳入 excluded",
            "未采用 rejected",
            "未使用 unused",
            "说明",
        ],
        [
            [
                a["table"],
                a["source"],
                a["rows"],
                a["scored"],
                a["excluded"],
                a["rejected"],
                a["unused"],
                accounting_line(a, lang),
            ]
            for a in result.accounting.to_pylist()
        ],
        [14, 36, 8, 8, 10, 10, 10, 70],
    )


def _write_summary(context: RenderContext, path: Path, max_rows: int, folder: str, written: int) -> list[str]:
    """The workbook of many counties: one row per county, the checks that stand in the
    way, the CVs by county, a summary of the data problems; never the per-school rows
    (they are in result.json/Parquet/CSV, and in the per-county workbooks)."""
    result, lang = context.result, context.lang
    view = ReportView(result, lang)
    w = _Writer(path, max_rows, lang)
    fw = result.framework
    checks = result.checks
    open_checks = checks.filter(
        pc.is_in(checks.column("status"), pa.array(["fail", "not_assessed", "not_computable"]))
    )
    failing_of: dict[tuple[str, Any], list[str]] = {}
    for ch in open_checks.filter(pc.equal(open_checks.column("status"), "fail")).to_pylist():
        failing_of.setdefault((ch["county_code"], ch["year"]), []).append(view.check_name(ch))
    about = w.book.add_worksheet(SUMMARY_SHEET)
    about.set_column(0, 0, 120)
    n = len(pc.unique(result.verdicts.column("county_code")))
    lines = [
        f"{fw.name.get(lang)} — {fw.document['number']} ({fw.id} v{fw.version})",
        label("xlsx.summary", lang).format(n, folder),
    ]
    if written:
        lines.append(label("xlsx.per_county_written", lang).format(folder, written))
    for r, line in enumerate(lines):
        w.cell(about, r, 0, line, w.bold if r == 0 else w.wrap)
    reasons_key = "reasons_zh" if lang == "zh" else "reasons"
    w.sheet(
        "结论 Verdict",
        [*VERDICT_HEADERS, "未达标项目 failing checks", "原因 reasons"],
        [
            [
                v["county_code"],
                v["county_name"],
                v["year"],
                view.verdict(v["verdict"]),
                v.get("grade"),
                v["n_pass"],
                v["n_fail"],
                v["n_not_assessed"],
                "、".join(failing_of.get((v["county_code"], v["year"]), [])),
                list(v[reasons_key] or []),
            ]
            for v in result.verdicts.sort_by(
                [("county_code", "ascending"), ("year", "ascending")]
            ).to_pylist()
        ],
        [*VERDICT_WIDTHS, 50, 90],
    )
    w.sheet(
        "未达标检查 Open checks",
        CHECK_HEADERS[:14],  # without the version and relaxation columns
        [
            _check_row(ch, view, lang)[:14]
            for ch in open_checks.sort_by([("county_code", "ascending")]).to_pylist()
        ],
        [10, 7, 30, 40, 12, 10, 12, 6, 12, 30, 6, 28, 24, 20],
        label("xlsx.full_data", lang),
    )
    _county_cv_sheet(w, result, view, max_rows)
    findings = result.findings
    summary: list[list[Any]] = []
    if findings.num_rows:
        grouped = findings.group_by(
            ["source", "sheet", "column", "rule", "severity"], use_threads=False
        ).aggregate(
            [("row", "count"), ("row", "min"), ("message_zh" if lang == "zh" else "message_en", "first")]
        )
        for g in grouped.sort_by([("row_count", "descending")]).to_pylist():
            message = g["message_zh_first" if lang == "zh" else "message_en_first"]
            summary.append([g["source"], g["sheet"], g["column"], g["rule"], view.words["severity"][g["severity"]],
                            g["row_count"], g["row_min"], message])  # fmt: skip
    w.sheet(
        "数据问题汇总 Findings",
        [
            "文件 file",
            "工作表 sheet",
            "列 column",
            "规则 rule",
            "级别 severity",
            "行数 rows",
            "首行 first row",
            "说明 message (first row)",
        ],
        summary,
        [30, 14, 24, 22, 9, 9, 9, 70],
        label("xlsx.full_data", lang),
    )
    _accounting_sheet(w, result, lang)
    close_workbook(w.book, path)
    return w.cut


def _county_cv_sheet(w: _Writer, result: Result, view: ReportView, max_rows: int) -> None:
    """County × year × level rows, each indicator's CV (values, not formulas: the
    per-school rows are not in the summary) and the limit."""
    indicators = [i.id for i in result.framework.indicators]
    rows: dict[tuple[str, Any, str], list[Any]] = {}
    for d in result.dispersion.to_pylist():
        key = (d["county_code"], d["year"], d["level"])
        row = rows.setdefault(
            key,
            [d["county_code"], d["year"], view.level(d["level"]), d["n_sections"]]
            + [None] * len(indicators)
            + [None, []],
        )
        if d["indicator"] in indicators:
            row[4 + indicators.index(d["indicator"])] = d["cv"]
        if finite(d.get("limit")):
            row[4 + len(indicators)] = d["limit"]
        if d["status"] == "fail":
            row[5 + len(indicators)].append(view.indicator_name(d["indicator"]))
    table = [
        [*r[:-1], "、".join(r[-1])]
        for _, r in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0, kv[0][2] != "primary"))
    ]
    w.sheet(
        CV_SHEET,
        ["县区代码 county", "年份 year", "学段 level", "学校数 sections"]
        + [f"{view.indicator_name(i)} 差异系数 CV" for i in indicators]
        + ["差异系数上限 limit", "未达标指标 failing CVs"],
        table,
        [10, 7, 8, 10] + [12] * len(indicators) + [10, 40],
        label("xlsx.full_data", w.lang),
    )


def _in_scope_rows(result: Result) -> list[dict[str, Any]]:
    """In-scope sections ordered county, year, level, school: the blocks the CV formulas use."""
    rows = [r for r in result.sections.to_pylist() if r.get("in_scope")]
    return sorted(
        rows,
        key=lambda r: (
            r["county_code"],
            r["year"] or 0,
            r.get("level") or "",
            str(r.get("school_name") or ""),
        ),
    )


def _sections_sheet(w: _Writer, result: Result, fw: Any) -> dict[tuple[str, Any, str], tuple[int, int]]:
    """In-scope sections, one block of rows per county × year × level; returns the blocks."""
    indicators = [i.id for i in fw.indicators]
    rows = _in_scope_rows(result)
    headers = [
        "县区代码 county",
        "年份 year",
        "学段 level",
        "学校标识码 id",
        "学校名称 name",
        "学生数 students",
    ]
    headers += [f"{fw.indicator(i).name.zh} {i}" for i in indicators]
    table = [
        [
            r["county_code"],
            r["year"],
            r.get("level"),
            r.get("school_id") or r["unit_id"],
            r.get("school_name") or r.get("kindergarten_name"),
            r.get("students") or r.get("children"),
        ]
        + [r.get(i) for i in indicators]
        for r in rows
    ]
    w.sheet(SECTIONS_SHEET, headers, table, [10, 7, 8, 14, 26, 10] + [14] * len(indicators))
    blocks: dict[tuple[str, Any, str], tuple[int, int]] = {}
    for i, r in enumerate(rows, start=2):  # Excel row numbers (header is row 1)
        key = (r["county_code"], r["year"], r.get("level") or "")
        first, _ = blocks.get(key, (i, i))
        blocks[key] = (first, i)
    return blocks


def _cv_sheet(
    w: _Writer, result: Result, view: ReportView, blocks: dict[tuple[str, Any, str], tuple[int, int]]
) -> None:
    """The official CV table: county × level rows, each indicator's mean and CV as formulas."""
    fw = result.framework
    indicators = [i.id for i in fw.indicators]
    ws = w.book.add_worksheet(CV_SHEET)
    head = ["县区代码 county", "年份 year", "学段 level", "学校数 sections"]
    for i in indicators:
        name = fw.indicator(i).name.zh
        head += [f"{name} 均值 mean", f"{name} 差异系数 CV"]
    head += ["差异系数上限 limit", "未达标指标 failing CVs"]
    for c, h in enumerate(head):
        w.cell(ws, 0, c, h, w.bold)
    ws.set_row(0, 60)
    ws.freeze_panes(1, 4)
    disp = {
        (d["county_code"], d["year"], d["level"], d["indicator"]): d for d in result.dispersion.to_pylist()
    }
    sheet = f"'{SECTIONS_SHEET}'"
    students_col = "F"
    r = 1
    for (county, year, level), (first, last) in sorted(
        blocks.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0, kv[0][2] != "primary")
    ):
        w.cell(ws, r, 0, county)
        w.cell(ws, r, 1, year)
        w.cell(ws, r, 2, LEVEL_NAMES.get(level, level))
        w.cell(ws, r, 3, last - first + 1)
        weights = f"{sheet}!${students_col}${first}:${students_col}${last}"
        failing = []
        limit = None
        for k, ind in enumerate(indicators):
            d = disp.get((county, year, level, ind))
            col = xl_col_to_name(6 + k)  # indicator columns start at G in the schools sheet
            values = f"{sheet}!${col}${first}:${col}${last}"
            mean_cell = xl_rowcol_to_cell(r, 4 + 2 * k)
            if d is None or not finite(d["cv"]) or not finite(d["mean"]):
                # No formula over values Excel cannot hold: its cached result would be NaN.
                w.cell(ws, r, 4 + 2 * k, "—")
                w.cell(ws, r, 5 + 2 * k, view.status(d["status"] if d else "not_assessed"))
                continue
            ws.write_formula(
                r, 4 + 2 * k, f"=SUMPRODUCT({weights},{values})/SUM({weights})", w.num, d["mean"]
            )
            ws.write_formula(
                r,
                5 + 2 * k,
                f"=SQRT(SUMPRODUCT({weights},({values}-{mean_cell})^2)/SUM({weights}))/{mean_cell}",
                w.num,
                d["cv"],
            )
            limit = d.get("limit") if finite(d.get("limit")) else limit
            if d["status"] == "fail":
                failing.append(view.indicator_name(ind))
        w.cell(ws, r, 4 + 2 * len(indicators), limit)
        w.cell(ws, r, 5 + 2 * len(indicators), "、".join(failing))
        if limit is not None:
            cv_cols = [5 + 2 * k for k in range(len(indicators))]
            for c in cv_cols:
                ws.conditional_format(
                    r, c, r, c, {"type": "cell", "criteria": ">", "value": limit, "format": w.red}
                )
        r += 1
    ws.set_column(0, 3, 10)
    ws.set_column(4, 4 + 2 * len(indicators), 12)


def _matrix_sheet(w: _Writer, result: Result, view: ReportView) -> None:
    """Per-school 达标 matrix: value, threshold, ratio (coloured) and gap for each indicator."""
    fw = result.framework
    indicators = [i for i in fw.indicators if i.threshold is not None]
    if not indicators:
        return
    checks: dict[tuple[str, str], dict[str, Any]] = {}
    for c in result.section_checks.to_pylist():
        if c["kind"] == "indicator":
            checks[(c["unit_id"], c["check_id"])] = c
    six = [r.id for r in fw.rules_of("count_met_with_floor")]
    ws = w.book.add_worksheet("达标矩阵 Compliance")
    head = ["县区代码", "年份", "学校名称 name", "学段 level", "学生数 students"]
    for ind in indicators:
        head += [f"{ind.name.zh} 数值", "标准", "达标比 ratio", "差距 gap"]
    head += [f"{fw.rule(s).name.zh}" for s in six]
    for c, h in enumerate(head):
        w.cell(ws, 0, c, h, w.bold)
    ws.set_row(0, 60)
    ws.freeze_panes(1, 3)
    rows = _in_scope_rows(result)
    for r, s in enumerate(rows, start=1):
        w.cell(ws, r, 0, s["county_code"])
        w.cell(ws, r, 1, s["year"])
        w.cell(ws, r, 2, s.get("school_name") or s.get("kindergarten_name") or s["unit_id"])
        w.cell(ws, r, 3, LEVEL_NAMES.get(s.get("level") or "", s.get("level")))
        w.cell(ws, r, 4, s.get("students"), w.int)
        for k, ind in enumerate(indicators):
            c = checks.get((s["unit_id"], ind.id), {})
            base = 5 + 4 * k
            w.cell(ws, r, base, c.get("value"), w.num)
            w.cell(ws, r, base + 1, c.get("threshold"), w.num)
            w.cell(ws, r, base + 2, c.get("ratio"), w.num)
            if finite(c.get("value")) and finite(c.get("threshold")):
                gap = (
                    c["threshold"] - c["value"]
                    if c["comparator"] in (">=", ">")
                    else c["value"] - c["threshold"]
                )
                w.cell(ws, r, base + 3, max(gap, 0.0), w.num)
        for j, rule_id in enumerate(six):
            w.cell(ws, r, 5 + 4 * len(indicators) + j, view.status(s.get(f"{rule_id}__status")))
    if rows:
        for k in range(len(indicators)):
            col = 5 + 4 * k + 2
            rng = (1, col, len(rows), col)
            ws.conditional_format(*rng, {"type": "cell", "criteria": "<", "value": 0.85, "format": w.red})
            ws.conditional_format(
                *rng,
                {
                    "type": "cell",
                    "criteria": "between",
                    "minimum": 0.85,
                    "maximum": 0.999999999,
                    "format": w.amber,
                },
            )
            ws.conditional_format(
                *rng, {"type": "cell", "criteria": ">=", "value": 0.999999999, "format": w.green}
            )
    ws.set_column(0, 1, 9)
    ws.set_column(2, 2, 26)
    ws.set_column(5, 5 + 4 * len(indicators), 10)
