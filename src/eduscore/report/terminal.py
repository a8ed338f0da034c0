"""The terminal report (rich): verdict per county, failing checks with value vs threshold,
failing schools with the gap. Wraps to narrow terminals; colour only on a TTY."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from eduscore.report.console import SafeConsole
from eduscore.report.context import RenderContext, context_of
from eduscore.report.firstpage import WORDS as FIRST_WORDS
from eduscore.report.firstpage import FirstPage, FirstPages, counted_text, part_table
from eduscore.report.view import (
    ReportView,
    accounting_line,
    column_text,
    number,
    number_pair,
    percent,
    source_text,
)
from eduscore.result import Result

_STYLE = {"certified": "bold green", "not_certified": "bold red", "incomplete": "bold yellow"}


#: Above this many counties the terminal shows one table of every county and the details
#: of the worst few; the report files hold every county in full.
MANY_COUNTIES = 5


def full_lists(
    out: Path | None,
    formats: Sequence[str],
    lang: str,
    result: Result | None = None,
    per_county: bool = False,
) -> dict[str, str]:
    """Where the rows a terminal table leaves out are, by table (``checks``, ``sections``,
    ``findings``): the report file and sheet the CLI writes with ``--out``, else how to
    write one. With many counties (``result``; the summary workbook of :mod:`xlsx`) the
    places are the summary's sheets and each county's own page or workbook. Each value
    reads on from "… N more rows not shown" (:func:`left_out`)."""
    zh = lang == "zh"
    keys = ("checks", "sections", "findings")
    if out is None:
        return dict.fromkeys(keys, how_to_write("--out", "含全部行的报告" if zh else "them all", lang))

    def sheet(book: Path, name: str) -> str:
        return f",见 {book}「{name}」" if zh else f", in {book}, sheet “{name}”"

    def place(path: Path) -> str:
        return in_table(str(path), lang)

    from eduscore.report.xlsx_words import sheet_name

    book = out / "report.xlsx"
    if result is not None and "xlsx" in formats:
        from eduscore.report.html import COUNTY_FOLDER
        from eduscore.report.xlsx import PER_COUNTY_FOLDER, is_summary

        if is_summary(result):
            if per_county:
                county = "<县区代码>" if zh else "<county code>"
                sections = sheet(
                    out / PER_COUNTY_FOLDER / f"report-{county}.xlsx", sheet_name("sections", lang)
                )
            elif "html" in formats:
                sections = place(out / COUNTY_FOLDER / ("<县区代码>.html" if zh else "<county code>.html"))
            else:
                sections = place(out / "result.json") if "json" in formats else place(out)
            return {
                "checks": sheet(book, sheet_name("open_checks", lang)),
                "sections": sections,
                "findings": sheet(book, sheet_name("findings_summary", lang)),
            }
    if "xlsx" in formats:
        return {k: sheet(book, sheet_name(k, lang)) for k in keys}
    for fmt, name in (("html", "report.html"), ("json", "result.json"), ("md", "report.md")):
        if fmt in formats:
            return dict.fromkeys(keys, place(out / name))
    return dict.fromkeys(keys, place(out))


def how_to_write(option: str, what: str, lang: str) -> str:
    """ "… ; --out FOLDER writes WHAT" for :func:`left_out`, when no folder was given."""
    if lang == "zh":
        return f";用 {option} 文件夹 写出{' ' if what.isascii() else ''}{what}"  # a file name apart
    return f"; {option} FOLDER writes {what}"


def in_table(name: str, lang: str) -> str:
    """ "… in NAME" for :func:`left_out`."""
    return f",见 {name}" if lang == "zh" else f", in {name}"


def left_out(n: int, rest: str, lang: str) -> str:
    """The line under a cut table: how many rows are not shown, then ``rest`` (where they
    are: :func:`full_lists`, :func:`in_table`)."""
    if lang == "zh":
        return f"  … 另有 {n:,} 行未列出{rest}"
    return f"  … {n:,} more row{'s' if n != 1 else ''} not shown{rest}"


def print_report(
    result: Result,
    lang: str = "zh",
    file: IO[str] | None = None,
    max_rows: int = 12,
    details: int = 3,
    full_in: Mapping[str, str] | None = None,
) -> None:
    """The terminal report. ``full_in`` says where the rows of a cut table are, by table
    (:func:`full_lists`); without it, the lines under cut tables name the result's tables."""
    default = {"checks": "result.checks", "sections": "result.section_checks", "findings": "result.findings"}
    rest_in = dict(full_in or {k: in_table(v, lang) for k, v in default.items()})
    console = SafeConsole(file=file, highlight=False, soft_wrap=False)
    view = ReportView(result, lang)
    w = view.words
    fw = result.framework
    console.print(
        Text(f"{fw.name.get(lang)} — {fw.document['number']}  ({fw.id} v{fw.version})", style="bold")
    )
    if result.verdicts.num_rows > MANY_COUNTIES:
        # One row per county straight from the tables; the details of the worst few only.
        rows = result.verdicts.select(
            ["county_code", "county_name", "year", "verdict", "n_fail", "n_not_assessed"]
        ).to_pylist()
        _county_table(console, view, rows)
        rank = {"not_certified": 0, "incomplete": 1, "certified": 2}
        worst = sorted(rows, key=lambda c: (rank[c["verdict"]], -c["n_fail"], -c["n_not_assessed"]))[:details]
        details_of = {
            (c.county_code, c.year): c for c in view.counties(only={c["county_code"] for c in worst})
        }
        shown = [details_of[(c["county_code"], c["year"])] for c in worst]
        console.print(
            Text(
                f"\n以下为问题最多的 {len(shown)} 个县的详情;各县全部详情见报告文件(--out 所写的 report.html、"
                "report.xlsx、result.json),或用 --county 代码 只看一个县。"
                if lang == "zh"
                else f"\nDetails of the {len(shown)} counties with most problems follow; every county in full is "
                "in the report files (report.html, report.xlsx, result.json written by --out), or run with "
                "--county CODE for one county.",
                style="dim",
            )
        )
    else:
        shown = list(view.counties())
    first = FirstPages(view)
    for county in shown:
        year = f" {county.year}" if county.year is not None else ""
        head = Text(f"\n{county.county_code} {county.county_name}{year}: ")
        label = view.verdict(county.verdict) + (f" · {w['grade']} {county.grade}" if county.grade else "")
        head.append(label, style=_STYLE[county.verdict])
        c = county.counts
        head.append(
            f"   ({view.status('pass')} {c['n_pass']} · {view.status('fail')} {c['n_fail']} · "
            f"{view.status('not_assessed')} {c['n_not_assessed']})"
        )
        console.print(head)
        # With many counties, each detailed county shows its parts; the resource tables
        # of every county are in the report files.
        page = first.of(county)
        _first_page(console, view, page, resources=len(shown) == result.verdicts.num_rows)
        failing = [ch for ch in county.checks if ch["status"] in ("fail", "basic_pass")]
        if failing:
            table = Table(title=w["checks"] + f" — {view.status('fail')}", title_justify="left", expand=False)
            for col in (w["rule"], w["value"], w["threshold"], w["confidence"]):
                table.add_column(col, overflow="fold")
            for ch in failing[:max_rows]:
                table.add_row(
                    f"{escape(view.check_name(ch))}\n[dim]{escape(ch['check_id'])}[/dim]",
                    escape(view.check_value(ch)),
                    escape(view.check_threshold(ch)),
                    f"[{ch['confidence']}]",
                )
            console.print(table)
            if len(failing) > max_rows:
                console.print(left_out(len(failing) - max_rows, rest_in["checks"], lang))
        if county.failing:
            table = Table(title=w["failing_sections"], title_justify="left", expand=False)
            for col in (w["school"], w["rule"], w["value"], w["threshold"], w["gap"]):
                table.add_column(col, overflow="fold")
            for g in county.failing[: max_rows * 2]:
                table.add_row(
                    escape(f"{g.name} {view.level(g.level)}"),
                    escape(g.check_name),
                    escape(view.gap_value(g)),
                    escape(view.gap_threshold(g)),
                    escape(view.gap_text(g)),
                )
            console.print(table)
            if len(county.failing) > max_rows * 2:
                console.print(left_out(len(county.failing) - max_rows * 2, rest_in["sections"], lang))
        if county.allowed:
            console.print(Text(w["allowed_line"].format(n=len(county.allowed)), style="dim"))
        unknown = [ch for ch in county.checks if ch["status"] in ("not_assessed", "not_computable")]
        if unknown:
            console.print(Text(f"{view.status('not_assessed')}:", style="yellow"))
            # What to supply, as the first page says it (for a check over schools, the
            # inputs its schools lack: 小学班级数、初中班级数), the id apart.
            for ch, missing in list(zip(unknown, page.missing, strict=True))[:max_rows]:
                console.print(
                    f"  - {escape(missing.name)}: {escape(missing.detail)} [dim]· {escape(ch['check_id'])}[/dim]"
                )
            if len(unknown) > max_rows:
                console.print(left_out(len(unknown) - max_rows, rest_in["checks"], lang))
        relaxed = view.relaxed(county)
        if relaxed:
            console.print(Text(f"{w['relaxed']}:", style="magenta"))
            for line in relaxed:
                console.print(f"  - {escape(line)}")
    found = result.findings.to_pylist()
    if found:
        console.print(Text(f"\n{w['findings']}:", style="bold"))
        counts: dict[tuple[str, str], int] = {}
        for f in found:
            counts[(f["severity"], f["rule"])] = counts.get((f["severity"], f["rule"]), 0) + 1
        for (severity, rule), k in sorted(counts.items()):
            console.print(f"  {escape(w['severity'][severity])}: {k} [dim]{escape(rule)}[/dim]")
        key = "message_zh" if lang == "zh" else "message_en"
        for f in found[:max_rows]:
            where = source_text(f["source"], lang) + (f"!{f['sheet']}" if f["sheet"] else "")
            column = column_text(f["column"], lang)
            console.print(
                f"  - {escape(where)} {f['row']} {escape(column)} = {escape(str(f['value']))}: {escape(f[key])}"
            )
        if len(found) > max_rows:
            console.print(left_out(len(found) - max_rows, rest_in["findings"], lang))
    console.print(Text(f"\n{w['accounting']}:", style="bold"))
    for a in result.accounting.to_pylist():
        console.print(f"  {escape(accounting_line(a, lang))}")


def _first_page(console: SafeConsole, view: ReportView, page: FirstPage, resources: bool = True) -> None:
    """The parts of the framework and the resource table of the first page
    (:mod:`eduscore.report.firstpage`); the failures and what is missing follow."""
    w, lang = FIRST_WORDS[view.lang], view.lang
    heads, rows = part_table(page, lang)
    table = Table(title=w["title"], title_justify="left", expand=False)
    for col in heads:
        table.add_column(col, justify="left" if col == w["part"] else "right")
    for r in rows:
        table.add_row(
            escape(r[0]),
            *r[1:-2],
            f"[red]{r[-2]}[/red]" if r[-2] != "0" else "0",
            f"[yellow]{r[-1]}[/yellow]" if r[-1] != "0" else "0",
        )
    console.print(table)
    for level in page.resources if resources else []:
        limits = {line.limit for line in level.lines if line.limit is not None}
        cv_head = w["cv"] + (f" (≤ {number(next(iter(limits)))})" if len(limits) == 1 else "")
        title = f"{w['resources']} · {view.level(level.level)}"
        table = Table(title=title, title_justify="left", expand=False)
        table.add_column(view.words["indicator"], overflow="fold", min_width=12)
        for col in (w["county_value"], w["standard"], w["meeting"], cv_head):
            table.add_column(col, overflow="fold", justify="right")
        for line in level.lines:
            cv = number(line.cv)
            if line.limit is not None and len(limits) > 1:
                cv += f" ≤ {number(line.limit)}"
            style = {"fail": "red", "pass": ""}.get(line.cv_status or "", "yellow")
            meeting = f"{line.n_meeting}/{line.n_schools}"
            if line.n_allowed:
                meeting += f" (+{line.n_allowed} {w['allowed_short']})"
            if line.n_unknown:
                meeting += f" ({w['unknown_schools'].format(k=line.n_unknown)})"
            table.add_row(
                escape(line.name),
                escape(line.county_value),
                escape(line.standard),
                escape(meeting),
                f"[{style}]{escape(cv)}[/{style}]" if style else escape(cv),
            )
        console.print(table)
        if any(line.n_allowed for line in level.lines):
            console.print(Text(f"  {w['allowed_note']}", style="dim"))
        for name, passed, assessed, unknown in level.counted:
            style = "red" if passed < assessed else "green"
            shown = escape(counted_text(passed, assessed, unknown, lang))
            console.print(f"  {escape(name)}: [{style}]{shown}[/{style}]")
    for note in page.notes:  # reasons of the verdict that belong to no single check
        console.print(f"  - {escape(note)}", style="red")


def _county_table(console: SafeConsole, view: ReportView, counties: list[dict[str, Any]]) -> None:
    """One row per county (``counties``: rows of the verdicts): verdict, failing and
    unassessed checks, the first failing one."""
    w = view.words
    zh = view.lang == "zh"
    table = Table(
        title=f"{len(counties)} " + ("个县" if zh else "counties"), title_justify="left", expand=False
    )
    for col in ("代码" if zh else "code", "县" if zh else "county", w["verdict"]):
        table.add_column(col, overflow="fold")
    table.add_column(view.status("fail"), justify="right")
    table.add_column(view.status("not_assessed"), justify="right")
    table.add_column("首项未达标" if zh else "first failing check", overflow="fold")
    first_of = view.first_failing()
    for c in counties:
        first = first_of.get((c["county_code"], c["year"]))
        year = f" {c['year']}" if c["year"] is not None else ""
        table.add_row(
            escape(c["county_code"] + year),
            escape(c["county_name"] or ""),
            f"[{_STYLE[c['verdict']]}]{escape(view.verdict(c['verdict']))}[/]",
            str(c["n_fail"]),
            str(c["n_not_assessed"]),
            escape(view.check_name(first)) if first else "",
        )
    console.print(table)


def print_plan(
    source: Result | RenderContext,
    lang: str | None = None,
    file: IO[str] | None = None,
    max_rows: int = 12,
    gaps_in: str | None = None,
) -> None:
    """What it takes to pass, per county: additions per school, CV remediation, totals,
    other failing checks and the nearest risks. ``gaps_in`` says where every addition is
    listed when the table is cut."""
    from eduscore.report.planning import WORDS, PlanningView, resource_label

    console = SafeConsole(file=file, highlight=False, soft_wrap=False)
    context = context_of(source, lang)
    result, lang = context.result, context.lang
    view = ReportView(result, lang)
    pv = PlanningView(context.analyses(), view)
    w = WORDS[lang]
    if pv.a.plan is None:
        console.print(
            "该框架没有生均资源指标,无整改方案;以下为安全边际。"
            if lang == "zh"
            else "This framework has no per-student resource indicators: no plan; margins follow."
        )
    for county in view.counties():
        key = (county.county_code, county.year)
        year = f" {county.year}" if county.year is not None else ""
        console.print(
            Text(f"\n{county.county_code} {county.county_name}{year}: ", style="bold").append(
                view.verdict(county.verdict), style=_STYLE[county.verdict]
            )
        )
        if pv.a.plan is not None:
            console.print(Text(w["plan_note_" + pv.basis], style="dim"))
            gaps = pv.gaps.get(key, [])
            if gaps:
                table = Table(title=w["additions"], title_justify="left")
                for col in (view.words["school"], w["resource"], w["now"], w["after"], w["add"], w["action"]):
                    table.add_column(col, overflow="fold")
                for g in gaps[: max_rows * 2]:
                    table.add_row(
                        escape(f"{g['school_name']} {view.level(g['level'])}"),
                        escape(resource_label(g, lang)),
                        number(g["value"]),
                        number(g["value_after"]),
                        "+" + number(g["addition"]),
                        escape(w.get(g["action"] or "", "") if g["action"] else w["for_cv"]),
                    )
                console.print(table)
                if len(gaps) > max_rows * 2:
                    rest = (
                        in_table(gaps_in, lang) if gaps_in else how_to_write("--out", "plan_gaps.csv", lang)
                    )
                    console.print(left_out(len(gaps) - max_rows * 2, rest, lang))
            for c in pv.cv.get(key, []):
                console.print(
                    f"  {escape(w['cv_plan'].split('(')[0])} {escape(view.level(c['level']))} "
                    f"{escape(view.indicator_name(c['indicator']))}: CV {number(c['cv'])} → {number(c['cv_after'])} "
                    f"(≤ {number(c['limit'])}); {escape(w['floor_value'])} {number(c['floor'])}, "
                    f"+{number(c['total_addition'])} {escape(resource_label(c, lang))}, {c['n_sections']} {escape(w['receiving'])}"
                )
            checks = pv.checks.get(key, [])
            if checks:
                console.print(Text(w["other"] + ":", style="bold"))
                for c in checks[:max_rows]:
                    name = c["name_zh"] if lang == "zh" else c["name_en"]
                    verb = w["add"] if c["direction"] == "add" else w["reduce"]
                    console.print(
                        f"  - {escape(str(c['school_name']))} {escape(view.level(c['level']))}: {escape(str(name))}: "
                        f"{number(c['value'])} → {escape(verb)} {number(c['change'])} {escape(resource_label(c, lang, 'column'))}"
                    )
            totals = pv.totals.get(key, [])
            if totals:
                console.print(
                    Text(w["totals"] + ": ", style="bold").append(
                        "; ".join(f"{resource_label(t, lang)} +{number(t['addition'])}" for t in totals)
                    )
                )
        risks = pv.risks.get(key, [])
        if risks:
            console.print(Text(w["risks"] + ":", style="bold"))
            for r in risks:
                name = r["name_zh"] if lang == "zh" else r["name_en"]
                where = f" {r['school_name']}" if r["school_name"] else ""
                growth = (
                    f"; {w['flip_growth']} {percent(r['flip_growth'])}"
                    if r["flip_growth"] is not None
                    else ""
                )
                console.print(
                    f"  - {escape(str(name))}{escape(where)}: {number(r['value'])} {escape(str(r['comparator']))} "
                    f"{number(r['threshold'])} ({w['margin']} {percent(r['relative_margin'])}{escape(growth)})"
                )


_LEVEL_LABELS = {
    "primary": ("小学", "primary"),
    "junior": ("初中", "junior"),
    "senior": ("高中", "senior high"),
    "preschool": ("学前", "preschool"),
}


def print_whatif(
    w: Any, lang: str = "zh", file: IO[str] | None = None, max_rows: int = 15, flips_in: str | None = None
) -> None:
    """Verdict per projected year and the first checks to flip, per county, after what the
    projection assumes. ``flips_in`` says where every flip is listed when a table is cut."""
    console = SafeConsole(file=file, highlight=False, soft_wrap=False)
    view = ReportView(w.baseline, lang)
    zh = lang == "zh"
    rates = ", ".join(
        f"{_LEVEL_LABELS[k][0 if zh else 1]} {percent(v)}"
        for k, v in w.growth.items()
        if (k == "preschool") == (w.baseline.framework.unit != "sections") and (k != "senior" or v)
    )
    console.print(
        Text(
            ("在校生年增长率: " if zh else "Enrolment growth per year: ")
            + rates
            + (f"; {'预测表' if zh else 'projection'} {w.projection}" if w.projection else ""),
            style="bold",
        )
    )
    console.print(Text(assumption(w.new_classes, lang), style="dim"))
    verdicts = w.verdicts.to_pylist()
    flips = w.first_flips().to_pylist()
    names = {c.county_code: c.county_name for c in view.counties()}
    for code in sorted({v["county_code"] for v in verdicts}):
        console.print(Text(f"\n{code} {names.get(code, '')}", style="bold"))
        line = Text("  ")
        for v in (v for v in verdicts if v["county_code"] == code):
            line.append(f"{v['projected_year']}: ")
            line.append(view.verdict(v["verdict"]), style=_STYLE.get(v["verdict"], ""))
            line.append(f" ({v['n_fail']})  ")
        console.print(line)
        mine = [f for f in flips if f["county_code"] == code]
        if not mine:
            console.print(
                "  " + ("预测期内没有检查项发生变化。" if zh else "No check changes within the horizon.")
            )
            continue
        table = Table(title=("首次变化" if zh else "First changes"), title_justify="left")
        for col in (
            ("年份" if zh else "Year"),
            view.words["rule"],
            view.words["school"],
            ("变化" if zh else "Change"),
            view.words["value"],
            view.words["threshold"],
        ):
            table.add_column(col, overflow="fold")
        for f in mine[:max_rows]:
            value, threshold = _flip_numbers(view, f)
            table.add_row(
                str(f["first_year"]),
                escape(view.any_name(f["check_id"])),
                escape(f"{f['school_name'] or ''} {view.level(f['level']) if f['level'] else ''}".strip()),
                f"{view.status(f['baseline_status'])} → {view.status(f['status'])}",
                value,
                threshold,
            )
        console.print(table)
        if len(mine) > max_rows:
            rest = in_table(flips_in, lang) if flips_in else how_to_write("-o", "flips.csv", lang)
            console.print(left_out(len(mine) - max_rows, rest, lang))


def _flip_numbers(view: ReportView, f: Mapping[str, Any]) -> tuple[str, str]:
    """A flipped check's value and threshold as a document writes them: with the digits
    that tell them apart (2.299 against 2.3), units and comparator; for a county's check
    over schools, how many schools fail."""
    rule = next((r for r in view.fw.rules if r.id == f["check_id"]), None)
    if (
        not f.get("school_name")
        and rule is not None
        and rule.kind in ("section_threshold", "count_met_with_floor")
    ):
        n = f["value"]
        if n is None:
            return "—", ""
        shown = f"{int(n)} 个学校(学段)未达标" if view.lang == "zh" else f"{int(n)} school section(s) fail"
        return shown, ""
    if rule is not None and rule.kind == "count_met_with_floor" and f["value"] is not None:
        n, th = int(f["value"]), f["threshold"]
        if view.lang == "zh":
            return f"达标 {n} 项", (f"≥ {number(th)} 项" if th is not None else "")
        return f"{n} met", (f"≥ {number(th)}" if th is not None else "")
    measure = view.measure(f["check_id"])
    indicator = next((i for i in view.fw.indicators if i.id == f["check_id"]), None)
    written = (
        f.get("comparator")
        or (rule.comparator if rule else None)
        or (indicator.comparator if indicator else None)
    )
    comparator = {">=": "≥", "<=": "≤", "==": "=", ">": ">", "<": "<"}.get(written or "", "")
    if measure.kind in ("rate", "bool"):
        return view.amount(
            f["value"], measure
        ), f"{comparator} {view.amount(f['threshold'], measure)}".strip()
    value, threshold = number_pair(f["value"], f["threshold"])
    unit = (measure.unit[0] if view.lang == "zh" else " " + measure.unit[1]) if measure.unit else ""
    if value != "—":
        value += unit
    if threshold != "—":
        threshold = f"{comparator} {threshold}{unit}".strip()
    return value, threshold


def assumption(new_classes: bool, lang: str) -> str:
    """What a projection assumes of classes, and the option that assumes the opposite."""
    if new_classes:
        return (
            "假设:随在校生增加新开班级,最大班额保持不变(不加 --new-classes 则假设不新开班级,最大班额随在校生同比增长)。"
            if lang == "zh"
            else "Assumed: new classes are opened as enrolment grows, so the largest class keeps its size "
            "(without --new-classes: no new classes, the largest class grows with enrolment)."
        )
    return (
        "假设:不新开班级,最大班额随在校生同比增长(加 --new-classes 则假设新开班级,最大班额保持不变)。"
        if lang == "zh"
        else "Assumed: no new classes are opened, so the largest class grows with enrolment "
        "(--new-classes assumes new classes and a largest class that keeps its size)."
    )
