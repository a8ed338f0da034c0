"""The XLSX workbook for county bureaus (xlsxwriter).

Sheets: verdict; every check; the per-school data; the official-format CV table
(county × level rows, each indicator's mean and CV) whose cells are live Excel formulas
over the per-school sheet, so an inspector can change a number and see the CV move; the
per-school 达标 matrix with conditional formatting and the gap to each threshold;
the plan (additions per school, CV remediation, other failing checks, additions as
input columns), the margins of every check and the within/between decomposition;
excluded rows and the data problems (rejected rows among them); the row accounting.

One language per workbook: sheet names and headers in the workbook's language come from
:mod:`eduscore.report.xlsx_words`; statuses, levels, rule sets and cited documents from
:class:`~eduscore.report.view.ReportView`, as in the other reports.

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

from eduscore.inputs.read import TABLE_ZH
from eduscore.model import contract
from eduscore.model.messages import label
from eduscore.report.context import RenderContext, context_of
from eduscore.report.excel_formula import CellKind, number_text
from eduscore.report.files import atomic_path, close_workbook
from eduscore.report.planning import PlanningView
from eduscore.report.text import xlsx_text
from eduscore.report.view import (
    ReportView,
    accounting_line,
    clause_text,
    column_text,
    reason_of,
    source_text,
)
from eduscore.report.xlsx_live import (
    CountMetCells,
    composite_formula,
    composite_status_formula,
    cv_formula,
    cv_status_formula,
    indicator_values,
    input_columns,
    mean_formula,
    met_formula,
    quoted,
    ratio_formula,
    verdict_formula,
)
from eduscore.report.xlsx_words import LIVE, head, heads, sheet_name
from eduscore.result import Result

#: Rows of data a sheet holds at most: Excel's 1,048,576 rows less the header and the
#: note that says what was left out.
MAX_ROWS = 1_048_574
#: A result of more counties than this gets the summary workbook (one row per county);
#: one county (of any number of years) gets the full workbook.
SUMMARY_COUNTIES = 1
#: The sub-folder of the per-county workbooks (``--xlsx-per-county``).
PER_COUNTY_FOLDER = "report-counties"


# The first columns of a verdict sheet (the full workbook and the summary), and their widths.
VERDICT_COLUMNS = (
    "county_code",
    "county_name",
    "year",
    "verdict",
    "grade",
    "n_pass",
    "n_fail",
    "n_not_assessed",
)
VERDICT_WIDTHS = [10, 18, 7, 16, 8, 8, 8, 10]

# The columns of a sheet of checks (the summary's open checks show the first 14).
CHECK_COLUMNS = (
    "county_code",
    "year",
    "check_id",
    "name",
    "group",
    "status",
    "value",
    "comparator",
    "threshold",
    "reason",
    "confidence",
    "document",
    "clause",
    "rule_set",
    "version",
    "relaxed_by",
    "kind_plugin",
)


def _check_row(ch: dict[str, Any], view: ReportView, lang: str) -> list[Any]:
    """One row of a checks sheet, in the order of :data:`CHECK_COLUMNS`."""
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
        clause_text(ch["document"], lang),
        clause_text(ch["clause"], lang),
        view.rule_set_name(ch["rule_set"]),
        ch["rule_set_version"],
        ch.get("relaxed_by") or "",
        f"{ch['kind']} ({ch['kind_plugin']})" if ch.get("kind_plugin") else "",
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
        # The live model's raw inputs (editable) and the values no formula reproduces.
        self.input = self.book.add_format(
            {"bg_color": "#DDEBF7", "font_color": "#1F3864", "border": 1, "border_color": "#9BC2E6"}
        )
        self.fixed = self.book.add_format({"num_format": "#,##0.000", "italic": True, "bg_color": "#EDEDED"})

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

    def add(self, key: str) -> Any:
        """A new sheet, named in the workbook's language (:data:`xlsx_words.SHEETS`)."""
        return self.book.add_worksheet(sheet_name(key, self.lang))

    def ref(self, key: str) -> str:
        """Sheet ``key`` as a formula refers to it: its name, quoted."""
        return quoted_sheet(sheet_name(key, self.lang))

    def sheet(
        self,
        key: str,
        headers: list[str],
        rows: list[list[Any]],
        widths: list[int] | None = None,
        full: str = "",
    ) -> Any:
        """Sheet ``key``: a header row and ``rows``. Rows beyond :attr:`max_rows` are left
        out, never silently: the sheet's first row then says how many it shows and where the
        whole table is (``full``), and the workbook's notices name the sheet."""
        name = sheet_name(key, self.lang)
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


def quoted_sheet(name: str) -> str:
    """A sheet name as a formula refers to it: in single quotes, a quote in it doubled."""
    return "'" + name.replace("'", "''") + "'"


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
    counties = list(view.counties())
    # 1. Verdict
    w.sheet(
        "verdict",
        heads(lang, *VERDICT_COLUMNS, "reasons"),
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
                [view.reason_line(r) for r in c.reasons],
            ]
            for c in counties
        ],
        [*VERDICT_WIDTHS, 90],
    )
    # 2. Checks
    check_rows = [_check_row(ch, view, lang) for c in counties for ch in c.checks]
    w.sheet(
        "checks",
        heads(lang, *CHECK_COLUMNS),
        check_rows,
        [10, 7, 30, 40, 12, 10, 12, 6, 12, 30, 6, 28, 24, 20, 8, 30, 30],
    )
    schools = _sections_sheet(w, result, view)
    _cv_sheet(w, result, view, schools)
    _matrix_sheet(w, result, view, schools)
    reason_key = "exclusion_reason_zh" if lang == "zh" else "exclusion_reason_en"
    w.sheet(
        "excluded",
        heads(lang, "county_code", "year", "school_id", "school_name", "level", "rule", "exclusion_reason"),
        [
            [
                e["county_code"],
                e["year"],
                e.get("school_id") or e.get("kindergarten_id") or e["unit_id"],
                e.get("school_name") or e.get("kindergarten_name"),
                view.level(e.get("level")),
                _rule_name(result, e["excluded_by"], lang),
                e.get(reason_key),
            ]
            for e in result.excluded.to_pylist()
        ],
        [10, 7, 18, 24, 8, 30, 40],
    )
    w.sheet(
        "findings",
        heads(lang, "file", "sheet", "row", "column", "cell_value", "severity", "rule", "message"),
        view.finding_rows(),
        [30, 14, 7, 24, 16, 9, 22, 60],
    )
    for key, headers, rows, widths in PlanningView(context.analyses(), view).sheets():
        w.sheet(key, headers, rows, widths, label("xlsx.full_margins", lang) if key == "margins" else "")
    _accounting_sheet(w, result, lang)
    close_workbook(w.book, path)
    return w.cut


def _rule_name(result: Result, rule_id: str | None, lang: str) -> str | None:
    """A rule's name in the workbook's language (its id when the framework has no such rule)."""
    if not rule_id:
        return rule_id
    try:
        return result.framework.rule(rule_id).name.get(lang)
    except KeyError:
        return rule_id


def _accounting_sheet(w: _Writer, result: Result, lang: str) -> None:
    w.sheet(
        "accounting",
        heads(lang, "table", "source", "rows", "scored", "excluded", "rejected", "unused", "accounting"),
        [
            [
                TABLE_ZH.get(a["table"], a["table"]) if lang == "zh" else a["table"],
                source_text(a["source"], lang),
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
    about = w.add("about")
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
        "verdict",
        heads(lang, *VERDICT_COLUMNS, "failing_checks", "reasons"),
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
                _joined(failing_of.get((v["county_code"], v["year"]), []), lang),
                [view.reason_line(r) for r in v[reasons_key] or []],
            ]
            for v in result.verdicts.sort_by(
                [("county_code", "ascending"), ("year", "ascending")]
            ).to_pylist()
        ],
        [*VERDICT_WIDTHS, 50, 90],
    )
    w.sheet(
        "open_checks",
        # Without the version and relaxation columns; with the kind of a plugin's rule.
        heads(lang, *CHECK_COLUMNS[:14], CHECK_COLUMNS[-1]),
        [
            [*row[:14], row[-1]]
            for row in (
                _check_row(ch, view, lang)
                for ch in open_checks.sort_by([("county_code", "ascending")]).to_pylist()
            )
        ],
        [10, 7, 30, 40, 12, 10, 12, 6, 12, 30, 6, 28, 24, 20, 30],
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
            summary.append([source_text(g["source"], lang), g["sheet"], column_text(g["column"], lang), g["rule"],
                            view.words["severity"][g["severity"]], g["row_count"], g["row_min"], message])  # fmt: skip
    w.sheet(
        "findings_summary",
        heads(lang, "file", "sheet", "column", "rule", "severity", "n_rows", "first_row", "first_message"),
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
        [*r[:-1], _joined(r[-1], w.lang)]
        for _, r in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0, kv[0][2] != "primary"))
    ]
    text = LIVE[w.lang]
    w.sheet(
        "cv",
        heads(w.lang, "county_code", "year", "level", "n_schools")
        + [text["cv"].format(view.indicator_name(i)) for i in indicators]
        + heads(w.lang, "cv_limit", "failing_cvs"),
        table,
        [10, 7, 8, 10] + [12] * len(indicators) + [10, 40],
        label("xlsx.full_data", w.lang),
    )


def _joined(names: list[str], lang: str) -> str:
    """Names in a cell: 甲、乙 in Chinese; a; b in English."""
    return ("、" if lang == "zh" else "; ").join(names)


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


def column_label(name: str, fw: Any, lang: str) -> str:
    """A raw-input column's header on the per-school sheet: in Chinese its Chinese name
    (the contract's, or the framework's for its own inputs; the id when it has none), in
    English its id."""
    if lang != "zh":
        return name
    if name == "students":
        return head("students", lang)
    known = contract.columns("sections").get(name) or contract.columns("kindergartens").get(name)
    zh = known.zh if known else next((c.zh for c in fw.inputs if c.name == name), "")
    return zh or name


@attrs.frozen
class _Schools:
    """Where the per-school sheet put each thing (Excel row numbers, column letters)."""

    rows: list[dict[str, Any]]
    #: county × year × level → its first and last row.
    blocks: dict[tuple[str, Any, str], tuple[int, int]]
    #: county × year → its first and last row.
    counties: dict[tuple[str, Any], tuple[int, int]]
    weight: str | None
    value: dict[str, str]
    threshold: dict[str, str]
    ratio: dict[str, str]
    #: count-met rule id → its status column.
    status: dict[str, str]
    #: (row, indicator id) → the engine's check of that section.
    checks: dict[tuple[int, str], dict[str, Any]]


def _indicator_checks(result: Result, rows: list[dict[str, Any]]) -> dict[tuple[int, str], dict[str, Any]]:
    """{(row, indicator id): the engine's check of that section} for the rows of the sheet."""
    where = {(r["county_code"], r["year"], r["unit_id"]): i for i, r in enumerate(rows)}
    sc = result.section_checks
    sc = sc.filter(pc.equal(sc.column("kind"), "indicator"))
    cols = [
        "county_code",
        "year",
        "unit_id",
        "check_id",
        "threshold",
        "comparator",
        "met",
        "ratio",
        "relaxation",
    ]
    out: dict[tuple[int, str], dict[str, Any]] = {}
    for c in sc.select(cols).to_pylist():
        i = where.get((c["county_code"], c["year"], c["unit_id"]))
        if i is not None:
            out[(i, c["check_id"])] = c
    return out


def _cached(x: Any) -> Any:
    """A formula's cached result: the engine's number, or "" where it has none."""
    return x if finite(x) else ""


def _sections_sheet(w: _Writer, result: Result, view: ReportView) -> _Schools:
    """The in-scope sections as a live model: identity, students and the raw inputs the
    indicators read (editable), then each indicator's value, standard, met and ratio, and
    each count-met rule's counts and status — all formulas over the raw inputs
    (:mod:`eduscore.report.xlsx_live`), their cached results the engine's values."""
    fw, lang = result.framework, w.lang
    text = LIVE[lang]
    words = {k: view.status(k) for k in ("pass", "fail", "not_assessed", "not_computable")}
    rows = _in_scope_rows(result)
    names = result.sections.column_names
    weight = (
        fw.weight if fw.weight in names else next((c for c in ("students", "children") if c in names), None)
    )
    inputs = input_columns(result, exclude=(weight,) if weight else ())
    kinds: dict[str, CellKind] = {**({weight: "number"} if weight else {}), **inputs}
    checks = _indicator_checks(result, rows)
    count_rules = [
        r
        for r in fw.rules_of("count_met_with_floor")
        if r.enabled and f"{r.id}__status" in names and r.min_met is not None and r.floor_ratio is not None
    ]
    ws = w.add("sections")
    columns: list[tuple[str, int, str]] = [  # header, width, comment
        (head("county_code", lang), 10, ""),
        (head("year", lang), 7, ""),
        (head("level", lang), 8, ""),
        (head("school_id", lang), 14, ""),
        (head("school_name", lang), 26, ""),
    ]
    six_name = count_rules[0].name.get(lang) if count_rules else ""
    letter: dict[str, str] = {}
    for name in kinds:
        letter[name] = xl_col_to_name(len(columns))
        columns.append((column_label(name, fw, lang), 12, text["input"].format(six_name or "—")))
    value, threshold, met, ratio = {}, {}, {}, {}
    for ind in fw.indicators:
        value[ind.id] = xl_col_to_name(len(columns))
        columns.append((text["value"].format(ind.name.get(lang)), 12, text["formula"]))
        if ind.threshold is None:
            continue
        threshold[ind.id] = xl_col_to_name(len(columns))
        columns.append((text["standard_head"], 8, text["standard"]))
        met[ind.id] = xl_col_to_name(len(columns))
        columns.append((text["met_head"], 6, text["met"]))
        ratio[ind.id] = xl_col_to_name(len(columns))
        columns.append((text["ratio_head"], 8, text["ratio"]))
    rule_cols: dict[str, list[str]] = {}
    for rule in count_rules:
        rname = rule.name.get(lang)
        floor = f"{rule.floor_ratio:.0%}"
        cols = []
        for key in ("met_count", "missed", "missing", "below", "status"):
            cols.append(xl_col_to_name(len(columns)))
            head_text = text[key].format(rname if key == "status" else floor)
            columns.append((head_text, 30 if key == "status" else 8, ""))
        rule_cols[rule.id] = cols
    inputs_at = {_index(col) for col in letter.values()}
    for c, (h, width, comment) in enumerate(columns):
        w.cell(ws, 0, c, h, w.bold)
        ws.set_column(c, c, width)
        if comment:  # an input column's tip shows on each of its cells, a formula's on its header
            _tip(ws, 0, c, len(rows) if c in inputs_at else 0, comment)
    ws.set_row(0, 48)
    ws.freeze_panes(1, 5)
    cells_of = [{name: f"{letter[name]}{i + 2}" for name in kinds} for i in range(len(rows))]
    relaxation_of = {(i, ind): c.get("relaxation") for (i, ind), c in checks.items()}
    values = indicator_values(result, rows, relaxation_of, kinds, cells_of)
    yes_no = w.book.add_format({"num_format": text["yes_no"], "align": "center"})
    ratio_fmt = w.book.add_format({"num_format": "0.000"})
    for i, r in enumerate(rows):
        n, x = i + 1, i + 2  # the sheet's row index, and its Excel row number
        w.cell(ws, n, 0, r["county_code"])
        w.cell(ws, n, 1, r["year"])
        w.cell(ws, n, 2, view.level(r.get("level")))
        w.cell(ws, n, 3, r.get("school_id") or r.get("kindergarten_id") or r["unit_id"])
        w.cell(ws, n, 4, r.get("school_name") or r.get("kindergarten_name"))
        for name in kinds:
            col = _index(letter[name])
            if r.get(name) is None:
                ws.write_blank(n, col, None, w.input)
            else:
                w.cell(ws, n, col, r[name], w.input)
        for ind in fw.indicators:
            v = values[ind.id][i]
            col = _index(value[ind.id])
            if v.formula is not None:
                ws.write_formula(n, col, v.formula, w.num, _cached(v.value))
            else:
                w.cell(ws, n, col, v.value, w.fixed)
                if v.value is None:
                    ws.write_blank(n, col, None, w.fixed)
                _tip(ws, n, col, n, text["fixed"])
            if ind.id not in threshold:
                continue
            check = checks.get((i, ind.id), {})
            comparator = check.get("comparator") or ind.comparator
            w.cell(ws, n, _index(threshold[ind.id]), check.get("threshold"), w.num)
            v_ref, t_ref = f"{value[ind.id]}{x}", f"{threshold[ind.id]}{x}"
            if comparator is None:
                continue
            m = check.get("met")
            ws.write_formula(
                n,
                _index(met[ind.id]),
                met_formula(v_ref, t_ref, comparator),
                yes_no,
                "" if m is None else int(m),
            )
            ws.write_formula(
                n,
                _index(ratio[ind.id]),
                ratio_formula(v_ref, t_ref, comparator),
                ratio_fmt,
                _cached(check.get("ratio")),
            )
        for rule in count_rules:
            _count_met_cells(ws, n, x, rule, rule_cols[rule.id], met, ratio, checks, i, r, fw, words, view)
    last = len(rows) + 1
    for rule in count_rules:
        status_col = _index(rule_cols[rule.id][-1])
        if rows:
            ws.conditional_format(
                1, status_col, len(rows), status_col,
                {"type": "cell", "criteria": "==", "value": quoted(words["fail"]), "format": w.red},
            )  # fmt: skip
            ws.conditional_format(
                1, status_col, len(rows), status_col,
                {"type": "cell", "criteria": "==", "value": quoted(words["not_assessed"]), "format": w.amber},
            )  # fmt: skip
    if rows:
        ws.autofilter(0, 0, last - 1, len(columns) - 1)
    blocks: dict[tuple[str, Any, str], tuple[int, int]] = {}
    counties: dict[tuple[str, Any], tuple[int, int]] = {}
    for i, r in enumerate(rows, start=2):  # Excel row numbers (header is row 1)
        bkey = (r["county_code"], r["year"], r.get("level") or "")
        blocks[bkey] = (blocks.get(bkey, (i, i))[0], i)
        ckey = (r["county_code"], r["year"])
        counties[ckey] = (counties.get(ckey, (i, i))[0], i)
    return _Schools(
        rows=rows,
        blocks=blocks,
        counties=counties,
        weight=letter.get(weight) if weight else None,
        value=value,
        threshold=threshold,
        ratio=ratio,
        status={rule_id: cols[-1] for rule_id, cols in rule_cols.items()},
        checks=checks,
    )


def _tip(ws: Any, first: int, col: int, last: int, message: str) -> None:
    """A note shown when a cell of rows ``first``–``last`` of ``col`` is selected (a data
    validation that accepts anything: no comment drawings in the file)."""
    ws.data_validation(first, col, last, col, {"validate": "any", "input_message": message[:255]})


def _index(letter: str) -> int:
    """The column index of a column letter (A → 0)."""
    n = 0
    for ch in letter:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _count_met_cells(
    ws: Any,
    n: int,
    x: int,
    rule: Any,
    cols: list[str],
    met: dict[str, str],
    ratio: dict[str, str],
    checks: dict[tuple[int, str], dict[str, Any]],
    i: int,
    row: dict[str, Any],
    fw: Any,
    words: dict[str, str],
    view: ReportView,
) -> None:
    """One row's cells of a count-met rule: met, missed, missing, below the floor, status."""
    listed = [ind for ind in rule.indicators if ind in met]
    cells = CountMetCells(
        met=[f"{met[ind]}{x}" for ind in listed],
        ratio=[f"{ratio[ind]}{x}" for ind in listed],
        min_met=rule.min_met,
        floor_ratio=rule.floor_ratio,
    )
    found = [checks.get((i, ind), {}) for ind in listed]
    n_met = sum(1 for c in found if c.get("met") is True)
    n_missed = sum(1 for c in found if c.get("met") is False)
    floor = rule.floor_ratio - abs(rule.floor_ratio) * 1e-9
    n_below = sum(1 for c in found if c.get("met") is False and finite(c.get("ratio")) and c["ratio"] < floor)
    met_cell, missed_cell, missing_cell, below_cell, _ = (f"{c}{x}" for c in cols)
    ws.write_formula(n, _index(cols[0]), cells.met_count(), None, n_met)
    ws.write_formula(n, _index(cols[1]), cells.missed_count(met_cell), None, n_missed)
    ws.write_formula(n, _index(cols[2]), cells.missing_count(), None, len(listed) - n_met - n_missed)
    ws.write_formula(n, _index(cols[3]), cells.below_floor_count(), None, n_below)
    ws.write_formula(
        n,
        _index(cols[4]),
        cells.status(missed_cell, missing_cell, below_cell, words),
        None,
        view.status(row.get(f"{rule.id}__status")),
    )


# The rule kinds the workbook recomputes from the per-school sheet.
LIVE_KINDS = ("count_met_with_floor", "dispersion_limit", "composite_dispersion")


def _cv_sheet(w: _Writer, result: Result, view: ReportView, schools: _Schools) -> None:
    """The official CV table — county × level rows, each indicator's mean and CV — as
    formulas over the per-school sheet's indicator formulas; then the limit, each CV's
    status and any mean-of-CVs rule, as formulas; below it, the verdict of the group of
    rules the sheets recompute (resource allocation), as a formula too."""
    fw, lang = result.framework, w.lang
    text = LIVE[lang]
    words = {k: view.status(k) for k in ("pass", "fail", "not_assessed", "not_computable")}
    indicators = [i.id for i in fw.indicators]
    cv_rules = [r for r in fw.rules_of("dispersion_limit") if r.enabled]
    composites = [r for r in fw.rules_of("composite_dispersion") if r.enabled]
    wanted = {i for r in (*cv_rules, *composites) for i in r.indicators}
    ws = w.add("cv")
    head = heads(lang, "county_code", "year", "level", "n_schools")
    for i in indicators:
        name = fw.indicator(i).name.get(lang)
        head += [text["mean"].format(name), text["cv"].format(name)]
    limit_col = len(head)
    head.append(text["limit"])
    first_status = len(head)
    head += [text["cv_status"].format(fw.indicator(i).name.get(lang)) for i in indicators]
    composite_col = len(head)
    for rule in composites:
        rname = rule.name.get(lang)
        head += [
            text["composite"].format(rname),
            text["composite_limit"].format(rname),
            text["composite_status"].format(rname),
        ]
    last_status = len(head) - 1
    failing_col = len(head)
    head.append(text["failing"])
    for c, h in enumerate(head):
        w.cell(ws, 0, c, h, w.bold)
    ws.set_row(0, 60)
    ws.freeze_panes(1, 4)
    _tip(ws, 0, 5, 0, text["cv_note"])
    disp = {
        (d["county_code"], d["year"], d["level"], d["indicator"]): d for d in result.dispersion.to_pylist()
    }
    checks = {(c["county_code"], c["year"], c["check_id"]): c for c in result.checks.to_pylist()}
    sheet = w.ref("sections")
    covered: set[tuple[str, Any, str]] = set()  # the county checks the sheets recompute
    rows_of: dict[tuple[str, Any], tuple[int, int]] = {}  # county × year → its CV rows
    r = 1
    for (county, year, level), (first, last) in sorted(
        schools.blocks.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0, kv[0][2] != "primary")
    ):
        rows_of[(county, year)] = (rows_of.get((county, year), (r, r))[0], r)
        w.cell(ws, r, 0, county)
        w.cell(ws, r, 1, year)
        w.cell(ws, r, 2, view.level(level))
        w.cell(ws, r, 3, last - first + 1)
        limits = {
            i: rule.limit[level]
            for rule in reversed(cv_rules)
            if level in rule.limit
            for i in rule.indicators
        }
        row_limit = next((rule.limit[level] for rule in cv_rules if level in rule.limit), None)
        w.cell(ws, r, limit_col, row_limit)
        limit_ref = xl_rowcol_to_cell(r, limit_col, row_abs=False, col_abs=True)
        weights = f"{sheet}!${schools.weight}${first}:${schools.weight}${last}" if schools.weight else None
        cv_cells: dict[str, str] = {}
        n_fail = 0
        for k, ind in enumerate(indicators):
            d = disp.get((county, year, level, ind))
            mean_cell = xl_rowcol_to_cell(r, 4 + 2 * k)
            cv_cell = xl_rowcol_to_cell(r, 5 + 2 * k)
            status_col = first_status + k
            if ind not in wanted or weights is None or ind not in schools.value:
                w.cell(ws, r, 4 + 2 * k, "—")
                w.cell(ws, r, 5 + 2 * k, "—")
                w.cell(ws, r, status_col, "—")
                continue
            col = schools.value[ind]
            values = f"{sheet}!${col}${first}:${col}${last}"
            ws.write_formula(
                r, 4 + 2 * k, mean_formula(weights, values), w.num, _cached(d["mean"] if d else None)
            )
            ws.write_formula(
                r, 5 + 2 * k, cv_formula(weights, values, mean_cell), w.num, _cached(d["cv"] if d else None)
            )
            cv_cells[ind] = cv_cell
            if ind not in limits:
                w.cell(ws, r, status_col, "—")
                continue
            limit = limit_ref if limits[ind] == row_limit else number_text(limits[ind])
            check = checks.get((county, year, f"{_limit_rule(cv_rules, ind, level)}.{ind}.{level}"))
            status = check["status"] if check else (d or {}).get("status") or "not_assessed"
            n_fail += status == "fail"
            ws.write_formula(
                r, status_col, cv_status_formula(cv_cell, mean_cell, limit, words), None, view.status(status)
            )
            if check:
                covered.add((county, year, check["check_id"]))
            if finite(limits[ind]):
                ws.conditional_format(
                    r, 5 + 2 * k, r, 5 + 2 * k,
                    {"type": "cell", "criteria": ">", "value": limits[ind], "format": w.red},
                )  # fmt: skip
        for j, rule in enumerate(composites):
            base = composite_col + 3 * j
            members = [cv_cells[i] for i in rule.indicators if i in cv_cells]
            check = checks.get((county, year, f"{rule.id}.{level}"))
            limit = rule.limit.get(level)
            if len(members) != len(rule.indicators) or limit is None:
                for c in range(3):
                    w.cell(ws, r, base + c, "—")
                continue
            ws.write_formula(
                r, base, composite_formula(members), w.num, _cached(check["value"] if check else None)
            )
            w.cell(ws, r, base + 1, limit)
            status = check["status"] if check else "not_assessed"
            n_fail += status == "fail"
            ws.write_formula(
                r,
                base + 2,
                composite_status_formula(xl_rowcol_to_cell(r, base), xl_rowcol_to_cell(r, base + 1), words),
                None,
                view.status(status),
            )
            if check:
                covered.add((county, year, check["check_id"]))
        statuses = f"{xl_rowcol_to_cell(r, first_status)}:{xl_rowcol_to_cell(r, last_status)}"
        ws.write_formula(r, failing_col, f"=COUNTIF({statuses},{quoted(words['fail'])})", None, n_fail)
        r += 1
    for c in range(first_status, last_status + 1):
        if r > 1:
            ws.conditional_format(
                1,
                c,
                r - 1,
                c,
                {"type": "cell", "criteria": "==", "value": quoted(words["fail"]), "format": w.red},
            )
    ws.set_column(0, 3, 10)
    ws.set_column(4, failing_col, 12)
    _verdict_block(w, ws, r + 1, result, view, schools, rows_of, covered, (first_status, last_status))


def _limit_rule(rules: list[Any], indicator: str, level: str) -> str:
    """The id of the CV rule whose limit applies to ``indicator`` at ``level``."""
    return str(next(r.id for r in rules if indicator in r.indicators and level in r.limit))


def _verdict_block(
    w: _Writer,
    ws: Any,
    top: int,
    result: Result,
    view: ReportView,
    schools: _Schools,
    rows_of: dict[tuple[str, Any], tuple[int, int]],
    covered: set[tuple[str, Any, str]],
    status_cols: tuple[int, int],
) -> None:
    """Per county × year, the verdict of each group of rules the sheets recompute (the
    resource allocation group: six of seven and the CVs): fail when a school or a CV fails
    or another check of the group fails, else not assessed when any is, else pass. Checks
    of the group the sheets cannot recompute (an attestation; the CVs of a level without
    schools) count with their status as evaluated, and are named."""
    fw, lang = result.framework, w.lang
    text = LIVE[lang]
    words = {k: view.status(k) for k in ("pass", "fail", "not_assessed", "not_computable")}
    live = [r for r in fw.rules if r.enabled and r.kind in LIVE_KINDS]
    groups = list(dict.fromkeys(r.group for r in live))
    if not groups or not schools.counties:
        return
    checks = result.checks.to_pylist()
    sheet = w.ref("sections")
    r = top
    for group in groups:
        w.cell(ws, r, 0, text["verdict_title"].format(view.group_name(group)), w.note)
        r += 1
        count_rules = [x for x in live if x.group == group and x.id in schools.status]
        head = [*heads(lang, "county_code", "year"), text["group"]]
        for rule in count_rules:
            head += [
                text["units_fail"].format(rule.name.get(lang)),
                text["units_open"].format(rule.name.get(lang)),
            ]
        cv_group = any(x.kind != "count_met_with_floor" for x in live if x.group == group)
        if cv_group:
            head += [text["cvs_fail"], text["cvs_open"]]
        head += [text["fixed_fail"], text["fixed_open"], text["verdict"], text["fixed_list"]]
        for c, h in enumerate(head):
            w.cell(ws, r, c, h, w.bold)
        ws.set_row(r, 48)
        r += 1
        for (county, year), (first, last) in sorted(
            schools.counties.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)
        ):
            mine = [
                c for c in checks if c["county_code"] == county and c["year"] == year and c["group"] == group
            ]
            fixed = [c for c in mine if (county, year, c["check_id"]) not in covered and not (
                c["rule_id"] in schools.status and c["check_id"] == c["rule_id"]
            )]  # fmt: skip
            w.cell(ws, r, 0, county)
            w.cell(ws, r, 1, year)
            w.cell(ws, r, 2, view.group_name(group))
            c = 3
            fails: list[str] = []
            opens: list[str] = []
            for rule in count_rules:
                col = schools.status[rule.id]
                rng = f"{sheet}!${col}${first}:${col}${last}"
                mine_rows = schools.rows[first - 2 : last - 1]
                statuses = [x.get(f"{rule.id}__status") for x in mine_rows]
                ws.write_formula(
                    r, c, f"=COUNTIF({rng},{quoted(words['fail'])})", None, statuses.count("fail")
                )
                ws.write_formula(
                    r,
                    c + 1,
                    f"=COUNTIF({rng},{quoted(words['not_assessed'])})",
                    None,
                    statuses.count("not_assessed"),
                )
                fails.append(xl_rowcol_to_cell(r, c))
                opens.append(xl_rowcol_to_cell(r, c + 1))
                c += 2
            if cv_group:
                start, end = rows_of.get((county, year), (0, 0))
                rng = f"{xl_rowcol_to_cell(start, status_cols[0])}:{xl_rowcol_to_cell(end, status_cols[1])}"
                recomputed = [x for x in mine if (county, year, x["check_id"]) in covered]
                ws.write_formula(
                    r, c, f"=COUNTIF({rng},{quoted(words['fail'])})", None,
                    sum(x["status"] == "fail" for x in recomputed),
                )  # fmt: skip
                ws.write_formula(
                    r, c + 1,
                    f"=COUNTIF({rng},{quoted(words['not_assessed'])})+COUNTIF({rng},{quoted(words['not_computable'])})",
                    None,
                    sum(x["status"] in ("not_assessed", "not_computable") for x in recomputed),
                )  # fmt: skip
                fails.append(xl_rowcol_to_cell(r, c))
                opens.append(xl_rowcol_to_cell(r, c + 1))
                c += 2
            n_fixed_fail = sum(x["status"] == "fail" for x in fixed)
            n_fixed_open = sum(x["status"] != "fail" and x["status"] != "pass" for x in fixed)
            w.cell(ws, r, c, n_fixed_fail)
            w.cell(ws, r, c + 1, n_fixed_open)
            fails.append(xl_rowcol_to_cell(r, c))
            opens.append(xl_rowcol_to_cell(r, c + 1))
            statuses = [x["status"] for x in mine]
            engine = (
                "fail"
                if "fail" in statuses
                else ("pass" if all(s == "pass" for s in statuses) else "not_assessed")
            )
            ws.write_formula(r, c + 2, verdict_formula(fails, opens, words), w.note, view.status(engine))
            w.cell(
                ws, r, c + 3,
                _joined([f"{view.check_name(x)}{':' if lang == 'zh' else ': '}{view.status(x['status'])}"
                         for x in fixed if x["status"] != "pass"], lang),
            )  # fmt: skip
            r += 1
        r += 1


def _matrix_sheet(w: _Writer, result: Result, view: ReportView, schools: _Schools) -> None:
    """Per-school 达标 matrix: value, threshold, ratio (coloured) and gap for each indicator,
    and the count-met status — references to the per-school sheet, so they follow its edits."""
    fw = result.framework
    indicators = [i for i in fw.indicators if i.threshold is not None and i.id in schools.ratio]
    if not indicators:
        return
    six = [r.id for r in fw.rules_of("count_met_with_floor") if r.id in schools.status]
    lang = w.lang
    text = LIVE[lang]
    ws = w.add("compliance")
    head = heads(lang, "county_code", "year", "school_name", "level", "students")
    for ind in indicators:
        head += [
            text["value"].format(ind.name.get(lang)),
            text["standard_head"],
            text["ratio_head"],
            text["gap_head"],
        ]
    head += [fw.rule(s).name.get(lang) for s in six]
    for c, h in enumerate(head):
        w.cell(ws, 0, c, h, w.bold)
    ws.set_row(0, 60)
    ws.freeze_panes(1, 3)
    sheet = w.ref("sections")

    def ref(col: str, x: int) -> str:
        cell = f"{sheet}!{col}{x}"
        return f'=IF(ISNUMBER({cell}),{cell},"")'

    rows = schools.rows
    for r, s in enumerate(rows, start=1):
        x = r + 1  # the same Excel row as the section's on the per-school sheet
        w.cell(ws, r, 0, s["county_code"])
        w.cell(ws, r, 1, s["year"])
        w.cell(ws, r, 2, s.get("school_name") or s.get("kindergarten_name") or s["unit_id"])
        w.cell(ws, r, 3, view.level(s.get("level")))
        if schools.weight:
            ws.write_formula(r, 4, ref(schools.weight, x), w.int, _cached(s.get(fw.weight)))
        for k, ind in enumerate(indicators):
            check = schools.checks.get((r - 1, ind.id), {})
            base = 5 + 4 * k
            ws.write_formula(r, base, ref(schools.value[ind.id], x), w.num, _cached(s.get(ind.id)))
            ws.write_formula(
                r, base + 1, ref(schools.threshold[ind.id], x), w.num, _cached(check.get("threshold"))
            )
            ws.write_formula(r, base + 2, ref(schools.ratio[ind.id], x), w.num, _cached(check.get("ratio")))
            v, t = xl_rowcol_to_cell(r, base), xl_rowcol_to_cell(r, base + 1)
            up = (check.get("comparator") or ind.comparator) in (">=", ">")
            gap = None
            if finite(s.get(ind.id)) and finite(check.get("threshold")):
                gap = max(check["threshold"] - s[ind.id] if up else s[ind.id] - check["threshold"], 0.0)
            diff = f"{t}-{v}" if up else f"{v}-{t}"
            ws.write_formula(
                r, base + 3, f'=IF(AND(ISNUMBER({v}),ISNUMBER({t})),MAX({diff},0),"")', w.num, _cached(gap)
            )
        for j, rule_id in enumerate(six):
            ws.write_formula(
                r,
                5 + 4 * len(indicators) + j,
                f"={sheet}!{schools.status[rule_id]}{x}",
                None,
                view.status(s.get(f"{rule_id}__status")),
            )
    if rows:
        for k in range(len(indicators)):
            col = 5 + 4 * k + 2
            rng = (1, col, len(rows), col)
            # Blank ratios (missing) stay uncoloured: "" is text, never below a number.
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
