"""Preparation: headers, units and types; the wide → long split; scope.

Everything is column-at-a-time Arrow. Problems confined to one row reject that row
with a reason (kept in the ``rejected`` table); nothing is dropped silently.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eduscore._parallel import parallel_map
from eduscore.errors import InputError
from eduscore.inputs import validate
from eduscore.inputs.read import TABLE_ZH, Loaded
from eduscore.model import contract
from eduscore.model.formula import Columns, compile_formula, evaluate_expression
from eduscore.model.framework import Framework

# Which compulsory levels each school type teaches, and whether it has senior students.
TYPE_LEVELS: dict[str, tuple[str, ...]] = {
    "primary": ("primary",),
    "teaching_point": ("primary",),
    "junior": ("junior",),
    "nine_year": ("primary", "junior"),
    "twelve_year": ("primary", "junior"),
    "complete_middle": ("junior",),
    "special": ("primary", "junior"),
}
HAS_SENIOR = ("twelve_year", "complete_middle")

_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_TRUE = ["true", "1", "1.0", "是", "yes", "y", "t", "对", "√"]
_FALSE = ["false", "0", "0.0", "否", "no", "n", "f", "错", "×"]
_PERCENT_HEADER = re.compile(r"\s*[\(（]\s*%\s*[\)）]\s*$")


@attrs.define
class Prepared:
    """Tables after preparation, plus everything rejected on the way."""

    units: pa.Table  # sections or kindergartens, with `_in_scope`, `excluded_by`, ...
    counties: pa.Table
    rejected: pa.Table
    inputs: dict[str, int]  # rows read per input table
    sources: dict[str, str]
    unit_source_rows: pa.Table  # (table, row) of every unit's input row, for accounting


def keep_rows(t: pa.Table, mask: pa.ChunkedArray | pa.Array) -> pa.Table:
    """``t.filter(mask)``, but ``t`` itself when every row is kept: filtering copies every
    column, and a national table kept whole would be held twice for the rest of the run."""
    mask = pc.fill_null(mask, False)
    if pc.all(mask).as_py() is not False:
        return t
    return t.filter(mask)


def constant(value: object, n: int, type_: pa.DataType) -> pa.Array:
    """``n`` copies of one value, without building a Python list."""
    return pa.repeat(pa.scalar(value, type_), n)


def _norm_header(header: str) -> str:
    """A header as compared with the known ones: full-width forms folded (NFKC), invisible
    characters and spaces removed."""
    folded = unicodedata.normalize("NFKC", header)
    return "".join(ch for ch in folded if ch.isprintable() and not ch.isspace())


# --------------------------------------------------------------------------- normalise


def normalise(
    loaded: Loaded,
    table: str,
    extra: Mapping[str, contract.Column] | None = None,
    *,
    used: Iterable[str] | None = None,
    row_base: int = 0,
) -> tuple[pa.Table, pa.Table]:
    """Map headers to contract names, clean text, convert units and types, validate;
    return (table, findings).

    Adds ``_row`` (the row number as in the original file, plus ``row_base`` — see
    :func:`row_key` — so that rows of several sheets stay distinct) and keeps unknown
    columns unchanged (with a warning). Every problem of every row is reported, not just
    the first. ``used`` names the columns the framework reads: a bad value in any other
    column is a warning (the cell is ignored, the row is kept) instead of rejecting the
    row. Raises :class:`InputError` when a required column is absent or headers clash,
    since then no row can be used.
    """
    cols = contract.columns(table)
    cols.update(extra or {})
    aliases = {_norm_header(k): v for k, v in contract.header_aliases(table).items()}
    for c in (extra or {}).values():
        aliases[_norm_header(c.name)] = c.name
        aliases[_norm_header(c.zh)] = c.name
    src = loaded.table
    n = src.num_rows
    where = validate.Where(table, loaded.source, loaded.sheet)
    names: list[str] = []
    percent: set[str] = set()
    unknown: list[str] = []
    for header in src.column_names:
        key = _norm_header(str(header))
        is_percent = bool(_PERCENT_HEADER.search(key))
        if is_percent:
            key = _PERCENT_HEADER.sub("", key)
        name = aliases.get(key, aliases.get(key.lower()))
        if name is None:
            name = str(header).strip()
            if not name.startswith("_") and not _UNNAMED.match(name):
                unknown.append(name)
        if is_percent:
            percent.add(name)
        names.append(name)
    dupes = sorted(name for name, k in Counter(names).items() if k > 1)
    if dupes:
        raise InputError(
            f"{loaded.label}: several headers mean the same column: {', '.join(dupes[:20])}",
            zh=f"{loaded.label}:多个表头指的是同一列:"
            + "、".join(f"{cols[d].zh} · {d}" if d in cols else d for d in dupes[:20]),
        )
    t = src.rename_columns(names)
    missing = [c.name for c in cols.values() if c.required and c.name not in t.column_names]
    if missing:
        hints, hints_zh = [], []
        # Only a header that means no known column can be the missing one misspelt: one
        # already read as another column (学校名称 for a missing 学校类型) is no suggestion.
        free = [str(h) for h, name in zip(src.column_names, names, strict=True) if name not in cols]
        for m in missing:
            near = _did_you_mean(cols[m], free)
            hints.append(f"{m} ({cols[m].zh})" + (f" — did you mean header {near!r}?" if near else ""))
            # The id quietly after the name: what an English header would say.
            hints_zh.append(f"{cols[m].zh} · {m}" + (f"(表头「{near}」是否即此列?)" if near else ""))
        found_headers = ", ".join(map(str, src.column_names))
        raise InputError(
            f"{loaded.label}: required column(s) missing from the {table} table: "
            + "; ".join(hints)
            + f". Headers found: {found_headers or '(none)'}",
            zh=f"{loaded.label}:{TABLE_ZH.get(table, table)}表缺少必需的列:"
            + ";".join(hints_zh)
            + f"。现有表头:{found_headers or '(无)'}",
        )
    row_numbers = loaded.row_numbers
    if row_numbers is None:
        row_numbers = pa.array(range(loaded.header_rows + 1, loaded.header_rows + 1 + n), pa.int64())
    rows = pc.add(pc.cast(row_numbers, pa.int64()), pa.scalar(row_base, pa.int64()))
    rows = rows.combine_chunks() if isinstance(rows, pa.ChunkedArray) else rows
    derived = [n for n in ("school_students", "school_classes") if table == "sections" and n in names]
    found: list[pa.Table] = [
        _unknown_columns(where, loaded.header_rows + row_base, unknown, aliases),
        validate.findings(
            where,
            pa.array([loaded.header_rows + row_base] * len(derived), pa.int64()),
            "(header)",
            pa.array(derived, pa.string()),
            pa.array([True] * len(derived), pa.bool_()),
            "derived_column_ignored",
        ),
        _blank_rows(where, loaded.blank_rows, row_base),
        _blank_rows(where, loaded.hidden_rows, row_base, "hidden_rows"),
        validate.findings(
            where,
            pa.array([r + row_base for r in loaded.above_header], pa.int64()),
            "(row)",
            pa.array([f"header row {loaded.header_rows}"] * len(loaded.above_header), pa.string()),
            pa.array([True] * len(loaded.above_header), pa.bool_()),
            "row_above_header",
            f"表头在第 {loaded.header_rows} 行",
            f"the header is row {loaded.header_rows}",
        ),
    ]
    totals = _totals_rows(where, rows, t)
    if "equipment_value_10k_cny" in t.column_names:
        raw = t.column("equipment_value_10k_cny")
        number = _parse_number(raw)
        for rule, mask in number.problems(percent_allowed=False):
            found.append(validate.findings(where, rows, "equipment_value_10k_cny", raw, mask, rule))
        cny = pc.multiply(number.clean_values(), 10_000.0)
        if "equipment_value_cny" in t.column_names:
            own = _parse_number(t.column("equipment_value_cny")).clean_values()
            # Both given and different: which one is right cannot be told.
            differ = pc.greater(pc.abs(pc.subtract(own, cny)), pc.multiply(pc.abs(own), 0.005))
            found.append(
                validate.findings(
                    where,
                    rows,
                    "equipment_value_cny",
                    t.column("equipment_value_cny"),
                    pc.fill_null(differ, False),
                    "conflicting_values",
                    pc.binary_join_element_wise(
                        pa.scalar("教学仪器设备值(万元) = "), pc.cast(raw, pa.string()), ""
                    ),
                    pc.binary_join_element_wise(
                        pa.scalar("equipment_value_10k_cny = "), pc.cast(raw, pa.string()), ""
                    ),
                )
            )
            cny = pc.if_else(
                pc.fill_null(differ, False), pa.scalar(None, pa.float64()), pc.coalesce(own, cny)
            )
            t = t.drop_columns(["equipment_value_cny"])
        t = t.drop_columns(["equipment_value_10k_cny"]).append_column("equipment_value_cny", cny)
    pooled = _fractions_in_percent_columns(t, percent, cols)
    before = t

    def convert(name: str) -> tuple[pa.ChunkedArray, list[pa.Table]]:
        col = cols[name]
        original = src.column(names.index(name)) if name in names else before.column(name)
        # For a yes/no question (是否发生…), 无 / 没有 answer "no"; elsewhere 无 marks a blank.
        column, spreadsheet_error = _markers(before.column(name), none_is_no=col.type == "bool")
        values, problems = _convert(column, col, name in percent, where, pooled)
        problems.append((spreadsheet_error, "spreadsheet_error", None))
        return values, [
            validate.findings(where, rows, name, original, mask, rule, *_pair(detail))
            for mask, rule, detail in problems
        ]

    # Columns are converted independently (in threads for a large table), in their order.
    converting = [name for name in t.column_names if name in cols]
    for name, (values, column_found) in zip(converting, parallel_map(convert, converting, n), strict=True):
        t = t.set_column(t.column_names.index(name), name, values)
        found += column_found
    for col in cols.values():
        if col.required and col.name in t.column_names:
            found.append(
                validate.findings(
                    where,
                    rows,
                    col.name,
                    t.column(col.name),
                    pc.is_null(t.column(col.name)),
                    "required_empty",
                    f"{col.name} ({col.zh})",
                )
            )
    if "county_code" in t.column_names:
        code = t.column("county_code")
        bad = pc.invert(pc.match_substring_regex(code, r"^\d{6}$"))
        found.append(validate.findings(where, rows, "county_code", code, bad, "county_code_format"))
    found += _cross_checks(where, rows, t, table)
    found += _cells_beyond_header(where, rows, t)
    t = t.append_column("_row", rows)
    everything = validate.concat(found)
    if totals.num_rows:
        # A totals row is not a school: its empty id or odd code is no finding of its own.
        everything = everything.filter(pc.invert(pc.is_in(everything.column("row"), totals.column("row"))))
    if used is not None:
        everything = validate.downgrade_unused(everything, set(used))
    if table == "counties":
        everything = validate.keep_rows_for_cells(everything)
    return t, validate.concat([everything, totals])


def row_key(part: int, row: int | pa.Array) -> int | pa.Array:
    """The internal row number of ``row`` of the ``part``-th table read (a sheet or file):
    ``part × 2³²`` + the row as the file shows it, so that two sheets' rows never collide.
    :func:`display_rows` undoes it."""
    if isinstance(row, int):
        return (part << 32) + row
    return pc.add(row, pa.scalar(part << 32, pa.int64()))


ROW_MASK = (1 << 32) - 1


def display_rows(rows: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The row numbers as the file shows them (see :func:`row_key`)."""
    return pc.bit_wise_and(rows, pa.scalar(ROW_MASK, pa.int64()))


def row_parts(rows: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Which table read (sheet or file) each internal row number comes from."""
    return pc.shift_right(rows, pa.scalar(32, pa.int64()))


def _blank_rows(
    where: validate.Where, runs: Iterable[tuple[int, int]], row_base: int, rule: str = "blank_rows"
) -> pa.Table:
    """One finding for all blank (or hidden) rows of a sheet: how many, and where."""
    runs = list(runs)
    if not runs:
        return validate.empty()
    count = sum(last - first + 1 for first, last in runs)
    shown = ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs[:10])
    more = f", … ({len(runs) - 10} more runs)" if len(runs) > 10 else ""
    return validate.findings(
        where,
        pa.array([runs[0][0] + row_base], pa.int64()),
        "(row)",
        pa.array([f"{shown}{more}"], pa.string()),
        pa.array([True]),
        rule,
        f"共 {count} 行(第 {shown}{more} 行)",
        f"{count} row{'s' if count != 1 else ''} ({shown}{more})",
    )


_UNNAMED = re.compile(r"^\([A-Z]{1,3}\)$")  # how the readers name cells under no header


def _cells_beyond_header(where: validate.Where, rows: pa.Array, t: pa.Table) -> list[pa.Table]:
    """A row with cells beyond the header's columns: an unquoted comma in a name shifts
    every later cell of the row into the wrong column — the row cannot be trusted."""
    out = []
    seen = None
    for name in t.column_names:
        if not _UNNAMED.match(name):
            continue
        text = pc.utf8_trim_whitespace(pc.cast(t.column(name), pa.string()))
        filled = pc.fill_null(pc.not_equal(text, ""), False)
        fresh = filled if seen is None else pc.and_(filled, pc.invert(seen))
        seen = filled if seen is None else pc.or_(seen, filled)
        out.append(validate.findings(where, rows, name, t.column(name), fresh, "cells_beyond_header"))
    return out


def _did_you_mean(col: contract.Column, headers: list[str]) -> str | None:
    near = difflib.get_close_matches(col.name, headers, n=1) or difflib.get_close_matches(
        col.zh, headers, n=1, cutoff=0.5
    )
    return near[0] if near else None


def _unknown_columns(
    where: validate.Where, header_row: int, unknown: list[str], aliases: Mapping[str, str]
) -> pa.Table:
    """A warning per unrecognised header, with the nearest known header as a suggestion."""
    if not unknown:
        return validate.empty()
    known = list(aliases)
    details, details_zh = [], []
    for i, name in enumerate(unknown):
        # Suggestions for the first few hundred; a file with thousands of stray columns
        # does not need a guess for each.
        near = difflib.get_close_matches(_norm_header(name), known, n=1, cutoff=0.6) if i < 300 else []
        details.append(f"did you mean {near[0]!r} ({aliases[near[0]]})?" if near else "")
        details_zh.append(f"是否应为「{near[0]}」({aliases[near[0]]})?" if near else "")
    k = len(unknown)
    return validate.findings(
        where,
        pa.array([header_row] * k, pa.int64()),
        "(header)",
        pa.array(unknown, pa.string()),
        pa.array([True] * k),
        "unknown_column",
        pa.array(details_zh, pa.string()),
        pa.array(details, pa.string()),
    )


# Under a (%) header, fewer non-zero values than this, all at most 1, are ambiguous.
_FEW_FRACTIONS = 3

_TOTAL_WORDS = r"合\s*计|总\s*计|小\s*计|共\s*计|total|totals|sum|grand total|subtotal"
# 合计, 全县合计, 东湖镇小计, Total: — a cell that ends in a totals word.
_TOTALS = rf"^.{{0,20}}?[(（\[【]?\s*({_TOTAL_WORDS})\s*[)）\]】]?\s*[:：]?\s*$"
_OWN_ID = {"schools": "school_id", "sections": "school_id", "kindergartens": "kindergarten_id"}


def _totals_rows(where: validate.Where, rows: pa.Array, t: pa.Table) -> pa.Table:
    """Rows whose identifying text says 合计/小计/total are totals, not schools or counties:
    one finding per such row, on the column where the word stands.

    Only a row without an id of its own (an empty id, or one that itself reads 小计) is a
    totals row: a school with an id (or a county with a six-digit code) stays a school or a
    county whatever its name says — dropping a
    complete school because its name reads 合计 would silently change the verdict."""
    own = _OWN_ID.get(where.table, "county_code")
    if own in t.column_names:
        text = pc.utf8_trim_whitespace(pc.cast(t.column(own), pa.string()))
        # An id cell that itself reads 小计/合计/Total (a label merged across the id and name
        # columns) is no id: the row is a totals row.
        valid_id = (
            pc.match_substring_regex(text, r"^\d{6}$")
            if own == "county_code"
            else pc.and_(
                pc.not_equal(text, ""), pc.invert(pc.match_substring_regex(text, _TOTALS, ignore_case=True))
            )
        )
        anonymous = pc.invert(pc.fill_null(valid_id, False))
    else:
        anonymous = pa.chunked_array([pa.repeat(pa.scalar(True), t.num_rows)], pa.bool_())
    parts, any_hit = [], None
    for name in (
        "county_code",
        "county_name",
        "school_id",
        "school_name",
        "kindergarten_id",
        "kindergarten_name",
    ):
        if name not in t.column_names:
            continue
        text = pc.cast(t.column(name), pa.string())
        hit = pc.fill_null(pc.match_substring_regex(text, _TOTALS, ignore_case=True), False)
        hit = pc.and_(hit, anonymous)
        fresh = hit if any_hit is None else pc.and_(hit, pc.invert(any_hit))
        parts.append(validate.findings(where, rows, name, t.column(name), fresh, "totals_row"))
        any_hit = hit if any_hit is None else pc.or_(any_hit, hit)
    return validate.concat(parts)


def _cross_checks(where: validate.Where, rows: pa.Array, t: pa.Table, table: str) -> list[pa.Table]:
    """Checks between columns of one row, after conversion."""
    out: list[pa.Table] = []

    def col(name: str) -> pa.ChunkedArray | None:
        return t.column(name) if name in t.column_names else None

    suffixes = ("_primary", "_junior") if table == "schools" else ("",)
    for suffix in suffixes:
        teachers = col(f"teachers{suffix}")
        if teachers is not None:
            for part in (
                "teachers_above_degree",
                "backbone_teachers",
                "pe_arts_teachers",
                "mid_senior_title_teachers",
            ):
                values = col(f"{part}{suffix}")
                if values is not None:
                    out.append(
                        validate.findings(
                            where,
                            rows,
                            f"{part}{suffix}",
                            values,
                            pc.greater(values, teachers),
                            "exceeds_teachers",
                            functools.partial(_joined, "teachers = ", teachers),
                        )
                    )
        biggest = col(f"max_class_size{suffix}")
        if biggest is not None:
            out.append(
                validate.findings(
                    where,
                    rows,
                    f"max_class_size{suffix}",
                    biggest,
                    pc.greater(biggest, 100.0),
                    "class_size_implausible",
                )
            )
            pupils, classes = col(f"students{suffix}"), col(f"classes{suffix}")
            if pupils is not None and classes is not None:
                # The largest class holds at least the average: 600 pupils in 14 classes
                # cannot have a largest class of 5 (a typo that passes the class-size rule).
                # A margin of 20 %: enrolment may count pupils taught outside classes (送教上门).
                fewer = pc.less(pc.multiply(biggest, classes), pc.multiply(pupils, 0.8))
                fewer = pc.and_(fewer, pc.greater(classes, 0.0))
                out.append(
                    validate.findings(
                        where,
                        rows,
                        f"max_class_size{suffix}",
                        biggest,
                        fewer,
                        "class_size_below_average",
                        functools.partial(_ratio_text, pupils, classes),
                    )
                )
    if table in ("schools", "sections"):
        out += _levels_not_taught(where, rows, t, table)
    if table == "schools":
        resources = [
            c
            for c in ("teaching_aux_area_m2", "sports_area_m2", "equipment_value_cny")
            if c in t.column_names
        ]
        if resources:
            has = None
            for c in resources:
                positive = pc.fill_null(pc.greater(t.column(c), 0.0), False)
                has = positive if has is None else pc.or_(has, positive)
            students = [c for c in ("students_primary", "students_junior") if c in t.column_names]
            if students:
                total = None
                for c in students:
                    v = pc.fill_null(t.column(c), 0.0)
                    total = v if total is None else pc.add(total, v)
                known = (
                    pc.or_(*[pc.is_valid(t.column(c)) for c in students])
                    if len(students) > 1
                    else pc.is_valid(t.column(students[0]))
                )
                zero = pc.and_(pc.and_(known, pc.equal(total, 0.0)), has)
                out.append(
                    validate.findings(where, rows, students[0], t.column(students[0]), zero, "zero_students")
                )
    if table == "kindergartens":
        full = col("full_time_teachers")
        certified = col("certified_teachers")
        if full is not None and certified is not None:
            out.append(
                validate.findings(
                    where,
                    rows,
                    "certified_teachers",
                    certified,
                    pc.greater(certified, full),
                    "exceeds_teachers",
                )
            )
        children = col("children")
        if full is not None and children is not None:
            absurd = pc.and_(pc.greater(full, 0.0), pc.greater(pc.divide(children, full), 60.0))
            out.append(validate.findings(where, rows, "children", children, absurd, "children_per_teacher"))
        classes, oversize = col("classes"), col("classes_oversize")
        if classes is not None and oversize is not None:
            out.append(
                validate.findings(
                    where,
                    rows,
                    "classes_oversize",
                    oversize,
                    pc.greater(oversize, classes),
                    "exceeds_classes",
                )
            )
    return out


def _joined(prefix: str, values: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.binary_join_element_wise(prefix, pc.cast(values, pa.string()), "")


def _ratio_text(top: pa.ChunkedArray, bottom: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.binary_join_element_wise(pc.cast(top, pa.string()), pc.cast(bottom, pa.string()), " ÷ ")


def _levels_not_taught(where: validate.Where, rows: pa.Array, t: pa.Table, table: str) -> list[pa.Table]:
    """Counts reported for a level the school type does not teach contradict the type —
    a nine-year school typed 小学 would silently lose its junior section. One finding per
    row, on the first contradicting column (students first)."""
    if "school_type" not in t.column_names:
        return []
    stype = t.column("school_type")
    out: list[pa.Table] = []
    flagged = _all(False, t.num_rows)
    for level in ("primary", "junior", "senior"):
        teach = [ty for ty, levels in TYPE_LEVELS.items() if level in levels or ty == "special"]
        if level == "senior":
            teach = [*HAS_SENIOR, "special"]
        # Only known types: an unknown one is its own finding (unknown_value).
        known = pc.fill_null(pc.is_in(stype, pa.array(list(TYPE_LEVELS))), False)
        wrong_type = pc.and_(known, pc.invert(pc.is_in(stype, pa.array(teach))))
        if table == "sections":
            if level == "senior" or "level" not in t.column_names:
                continue
            mask = pc.and_(pc.fill_null(pc.equal(t.column("level"), level), False), wrong_type)
            mask = pc.fill_null(mask, False)
            out.append(
                validate.findings(
                    where, rows, "level", t.column("level"), mask, "level_not_taught", *_type_detail(level)
                )
            )
            continue
        names = ["students"] if level == "senior" else [name for name, _ in contract.LEVEL_COUNTS]
        for name in names:
            column = f"{name}_{level}"
            if column not in t.column_names:
                continue
            mask = pc.and_(wrong_type, pc.fill_null(pc.greater(t.column(column), 0.0), False))
            mask = pc.and_(mask, pc.invert(flagged))
            flagged = pc.or_(flagged, mask)
            out.append(
                validate.findings(
                    where, rows, column, t.column(column), mask, "level_not_taught", *_type_detail(level)
                )
            )
    if table == "schools":
        out += _levels_without_pupils(where, rows, t, stype)
    return out


def _levels_without_pupils(
    where: validate.Where, rows: pa.Array, t: pa.Table, stype: pa.ChunkedArray
) -> list[pa.Table]:
    """A level reported with 0 pupils has no section: its teachers and classes, if any are
    reported, would vanish with it and the shared stock go to the other level — an error.
    A school of two levels with no pupils at all in one of them is probably mistyped (its
    size cap is higher): a warning."""
    out = []
    for level in ("primary", "junior"):
        students = f"students_{level}"
        if students not in t.column_names:
            continue
        zero = pc.fill_null(pc.equal(t.column(students), 0.0), False)
        staff = None
        for name in ("teachers", "classes", "teachers_above_degree", "backbone_teachers", "pe_arts_teachers"):
            column = f"{name}_{level}"
            if column in t.column_names:
                some = pc.fill_null(pc.greater(t.column(column), 0.0), False)
                staff = some if staff is None else pc.or_(staff, some)
        if staff is not None:
            out.append(
                validate.findings(
                    where,
                    rows,
                    students,
                    t.column(students),
                    pc.and_(zero, staff),
                    "staff_without_pupils",
                    f"{contract.LEVEL_NAMES[level]}学段在校生数为0,却填有该学段的教师或班级数",
                    f"0 {level} pupils, yet {level} teachers or classes are reported",
                )
            )
        spans = pc.fill_null(pc.is_in(stype, pa.array(["nine_year", "twelve_year"])), False)
        out.append(
            validate.findings(
                where,
                rows,
                students,
                t.column(students),
                pc.and_(pc.and_(zero, spans), pc.invert(staff) if staff is not None else zero),
                "spanning_school_one_level",
                f"{contract.LEVEL_NAMES[level]}学段没有学生:学校类型是否应为单一学段?",
                f"no {level} pupils: should the type be a single-level school?",
            )
        )
    return out


def _type_detail(level: str) -> tuple[str, str]:
    teaching = [t for t, levels in TYPE_LEVELS.items() if level in levels and t != "special"]
    if level == "senior":
        teaching = list(HAS_SENIOR)
    zh = "、".join(contract.SCHOOL_TYPES[t] for t in teaching)
    return (
        f"有{contract.LEVEL_NAMES[level]}学段的学校类型为 {zh} 或 特殊教育学校;请核对学校类型或该学段数据",
        f"a school with a {level} level is of type {', '.join(teaching)} or special; "
        "check the school type or this level's counts",
    )


_MAX_PLAUSIBLE = 1e12  # no count, area or amount in yuan of one school or county comes near this
_YEARS = (1949, 2100)


# Cells that say "no value": read as missing (the checks that need them are not assessed).
_MISSING_MARKERS = r"(?i)^\s*(na|n/a|n\.a\.|null|none|nan|-|—|－|/|／|无|空|缺)\s*$"
# Spreadsheet error values (a formula that failed): not a value, and not a deliberate blank.
_SPREADSHEET_ERRORS = r"(?i)^\s*#(div/0!|n/a|value!|ref!|name\?|num!|null!|getting_data|calc!|spill!)\s*$"


def _fractions_in_percent_columns(
    t: pa.Table, percent: set[str], cols: Mapping[str, contract.Column]
) -> bool:
    """Whether the bare numbers under all (%) rate headers of a sheet, pooled, are at
    least three non-zero fractions (≤ 1) and nothing above 1: cells formatted as
    percentages, which hold fractions."""
    pooled = []
    for name in percent:
        col = cols.get(name)
        if col is None or col.type != "rate" or name not in t.column_names:
            continue
        number = _parse_number(_markers(t.column(name))[0])
        pooled.append(pc.filter(number.values, pc.invert(number.has_percent)).combine_chunks())
    if not pooled:
        return False
    values = pa.concat_arrays(pooled)
    if pc.any(pc.greater(values, 1.0)).as_py():
        return False
    return (pc.sum(pc.cast(pc.greater(values, 0.0), pa.int64())).as_py() or 0) >= _FEW_FRACTIONS


def _markers(column: pa.ChunkedArray, none_is_no: bool = False) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Text cells that mark a missing value become missing; spreadsheet errors (#DIV/0!,
    #N/A) become missing too, with a mask of them for a finding."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column, _all(False, len(column))
    # Markers are short: one cheap scan of lengths decides whether to look closer.
    if not pc.any(pc.less_equal(pc.utf8_length(column), 16)).as_py():
        return column, _all(False, len(column))
    error = pc.fill_null(pc.match_substring_regex(column, _SPREADSHEET_ERRORS), False)
    if none_is_no:
        column = pc.if_else(
            pc.fill_null(pc.match_substring_regex(column, r"^\s*(无|没有)\s*$"), False), "否", column
        )
    missing = pc.fill_null(pc.match_substring_regex(column, _MISSING_MARKERS), False)
    cleaned = pc.if_else(pc.or_(error, missing), pa.scalar(None, column.type), column)
    return cleaned, error


def _convert(
    column: pa.ChunkedArray,
    col: contract.Column,
    percent: bool,
    where: validate.Where,
    pooled_fractions: bool = False,
) -> tuple[pa.ChunkedArray, list[tuple[pa.ChunkedArray, str, pa.ChunkedArray | str | None]]]:
    """Convert one column to its contract type. Returns values and [(bad-mask, rule, detail)]."""
    if col.type == "str":
        if pa.types.is_floating(column.type) or pa.types.is_decimal(column.type):
            column = _float_codes(column, col, where)
        text = pc.cast(column, pa.string())
        values, changed = _clean_text(text, identifier=_is_identifier(col.name))
        return _blank_to_null(values), [(changed, "text_cleaned", None)]
    if col.type == "enum":
        text, changed = _clean_text(pc.cast(column, pa.string()), identifier=True)
        values = _blank_to_null(text)
        labels = contract.ENUM_LABELS.get(col.name, {})
        for code, zh in labels.items():
            values = pc.if_else(pc.equal(values, zh), code, values)
        values = pc.utf8_lower(values)
        bad = pc.fill_null(
            pc.and_kleene(pc.is_valid(values), pc.invert(pc.is_in(values, pa.array(list(col.enum))))), False
        )
        return values, [
            (pc.and_(changed, pc.invert(bad)), "text_cleaned", None),
            (bad, "unknown_value", _enum_hints(values, bad, col, labels)),
        ]
    if col.type == "bool":
        if pa.types.is_boolean(column.type):
            return column, []
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            number = pc.cast(column, pa.float64())
            true = pc.equal(number, 1.0)
            false = pc.equal(number, 0.0)
            values = pc.if_else(true, True, pc.if_else(false, False, pa.scalar(None, pa.bool_())))
            bad = pc.and_kleene(pc.is_valid(number), pc.invert(pc.or_(true, false)))
            return values, [(pc.fill_null(bad, False), "not_yes_no", None)]
        text, _ = _clean_text(pc.cast(column, pa.string()), identifier=True)
        text = _blank_to_null(pc.utf8_lower(text))
        true = pc.is_in(text, pa.array(_TRUE))
        false = pc.is_in(text, pa.array(_FALSE))
        values = pc.if_else(true, True, pc.if_else(false, False, pa.scalar(None, pa.bool_())))
        bad = pc.and_kleene(pc.is_valid(text), pc.invert(pc.or_(true, false)))
        return values, [(pc.fill_null(bad, False), "not_yes_no", None)]
    # numbers (int, float, rate)
    number = _parse_number(column)
    values = number.values
    problems: list[tuple[pa.ChunkedArray, str, pa.ChunkedArray | str | None]] = [
        (mask, rule, None) for rule, mask in number.problems(percent_allowed=col.type == "rate")
    ]
    if col.type == "rate":
        # A value's unit is read once: "91.2%" is 0.912 whatever the header says; a bare
        # number under a (%) header is a percentage — unless every bare value of the
        # column is a fraction (a spreadsheet cell formatted as 85% holds 0.85).
        header_scale = 100.0 if percent else 1.0
        if percent:
            bare = pc.filter(values, pc.invert(number.has_percent))
            if len(bare) and pc.count(bare).as_py() and pc.all(pc.less_equal(bare, 1.0)).as_py():
                header_scale = 1.0
                first = pc.and_(pc.is_valid(values), pc.invert(number.has_percent))
                # Fractions are told from percentages by many values, never by one or two:
                # under (%), a lone 1 is 1 % or 100 %, and which decides a 10 % floor. A
                # column of few values leans on the sheet's other (%) columns (one county's
                # row of cells formatted as percentages: all fractions).
                fractional = pc.fill_null(pc.and_(first, pc.greater(values, 0.0)), False)
                few = (pc.sum(pc.cast(fractional, pa.int64())).as_py() or 0) < _FEW_FRACTIONS
                if few and not pooled_fractions:
                    problems.append((fractional, "ambiguous_percent", None))
                else:
                    only_first = pc.equal(pc.cumulative_sum(pc.cast(first, pa.int64())), 1)
                    problems.append(
                        (pc.fill_null(pc.and_(first, only_first), False), "percent_header_fractions", None)
                    )
        scale = pc.if_else(number.has_percent, pa.scalar(100.0), pa.scalar(header_scale))
        values = pc.divide(values, scale)
        over = pc.fill_null(pc.greater(values, 1.0), False)
        looks = pc.and_(over, pc.fill_null(pc.less_equal(values, 100.0), False))
        problems.append((looks, "looks_like_percentage", None))
        out = pc.or_(pc.and_(over, pc.invert(looks)), pc.fill_null(pc.less(values, 0.0), False))
        problems.append((out, "rate_out_of_range", None))
    # Range checks: one min/max pass decides which masks are needed at all (a clean
    # column of a national table needs none).
    extremes = pc.min_max(values)
    least, most = extremes["min"].as_py(), extremes["max"].as_py()

    def outside(lo: float | None, hi: float | None) -> pa.ChunkedArray | None:
        if least is None or ((lo is None or least >= lo) and (hi is None or most <= hi)):
            return None
        below = pc.less(values, lo) if lo is not None else None
        above = pc.greater(values, hi) if hi is not None else None
        either = above if below is None else below if above is None else pc.or_(below, above)
        return pc.fill_null(either, False)

    ranges: list[tuple[float | None, float | None, str, str | None]] = []
    if col.type == "rate":
        pass  # a rate's own range was checked above
    elif col.name == "year" or col.name.endswith("_year"):
        ranges.append((*_YEARS, "year_out_of_range", f"{_YEARS[0]}–{_YEARS[1]}"))
    else:
        ranges += [(0.0, None, "negative", None), (None, _MAX_PLAUSIBLE, "implausible_value", None)]
    if col.valid is not None:
        lo, hi = float(col.valid[0]), float(col.valid[1])
        ranges.append((lo, hi, "out_of_range", f"{lo:g}–{hi:g}"))
    if col.usual is not None:
        lo, hi = float(col.usual[0]), float(col.usual[1])
        ranges.append((lo, hi, "unusual_value", f"{lo:,.0f}–{hi:,.0f}"))
    for lo_, hi_, rule, detail in ranges:
        mask = outside(lo_, hi_)
        if mask is not None:
            problems.append((mask, rule, detail))
    whole_numbers = pa.types.is_integer(column.type)  # integers need no rounding check
    if col.type == "int" and not whole_numbers:
        fraction = pc.abs(pc.subtract(values, pc.round(values)))
        problems.append(
            (pc.fill_null(pc.greater(fraction, _INTEGER_TOLERANCE), False), "not_an_integer", None)
        )
    bad_any = None
    for mask, rule, _ in problems:
        if validate.RULES[rule].severity != "error":  # notices and warnings keep the value
            continue
        if isinstance(mask, pa.ChunkedArray | pa.Array) and mask.null_count == 0 and not pc.any(mask).as_py():
            continue
        bad_any = mask if bad_any is None else pc.or_(bad_any, mask)
    # A rejected cell never reaches the engine as a number.
    if bad_any is not None:
        values = pc.if_else(bad_any, pa.scalar(None, pa.float64()), values)
    if col.type == "int" and not whole_numbers:
        values = pc.round(values)  # 88.0000000001 from a spreadsheet's float is 88
    return values, problems


_INTEGER_TOLERANCE = 1e-6
_IDENTIFIERS = ("county_code", "school_id", "kindergarten_id", "level")


def _is_identifier(name: str) -> bool:
    return name in _IDENTIFIERS or name.endswith(("_id", "_code"))


def _float_codes(column: pa.ChunkedArray, col: contract.Column, where: validate.Where) -> pa.ChunkedArray:
    """Codes and ids are text. A county code read as floats (330482.0, from a pandas
    column with gaps) comes back as its digits; any other float column of codes or ids is
    refused — 3.7 and 3.2 must not both become school 3."""
    values = pc.cast(column, pa.float64())
    integral = pc.fill_null(pc.all(pc.equal(values, pc.floor(values))), True).as_py()
    if col.name == "county_code" and integral:
        return pc.cast(pc.cast(values, pa.int64()), pa.string())
    sample = next((v for v in values.to_pylist() if v is not None), None)
    raise InputError(
        f"{where.source}{'!' + where.sheet if where.sheet else ''}: column {col.name} ({col.zh}) holds "
        f"floating-point numbers (e.g. {sample!r}); codes and ids are text — store the column as text",
        zh=f"{where.source}{'!' + where.sheet if where.sheet else ''}:{col.zh}({col.name})列是浮点数"
        f"(如 {sample!r});代码和标识码是文本,请将该列存为文本",
    )


# Characters that never belong in data: C0/C1 controls, zero-width and bidi controls, soft
# hyphen, byte-order marks. Odd spaces (NBSP, ideographic space) become plain spaces.
_INVISIBLE = (
    r"[\x{0000}-\x{001F}\x{007F}-\x{009F}\x{00AD}\x{200B}-\x{200F}\x{202A}-\x{202E}"
    r"\x{2060}-\x{2064}\x{2066}-\x{2069}\x{FEFF}\x{2028}\x{2029}]"
)
_ODD_SPACES = r"[\x{00A0}\x{1680}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}]"
_NON_ASCII = r"[^\x{0020}-\x{007E}]"  # anything NFKC or the cleaning could change


def _clean_text(text: pa.ChunkedArray, *, identifier: bool) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Trim; remove invisible and control characters; for codes, ids and list values also
    fold full-width forms (NFKC: ９９０１０１ → 990101). Returns the text and a mask of the
    cells changed beyond trimming (reported as a notice)."""
    trimmed = pc.utf8_trim_whitespace(text)
    # Most columns are clean: one scan decides, and the rewriting is skipped.
    odd = _NON_ASCII if identifier else f"{_INVISIBLE}|{_ODD_SPACES}"
    if not pc.any(pc.match_substring_regex(trimmed, odd)).as_py():
        return trimmed, _all(False, len(trimmed))
    cleaned = pc.replace_substring_regex(trimmed, _INVISIBLE, "")
    cleaned = pc.replace_substring_regex(cleaned, _ODD_SPACES, " ")
    if identifier:
        cleaned = pc.utf8_normalize(cleaned, "NFKC")
    cleaned = pc.utf8_trim_whitespace(cleaned)
    changed = pc.fill_null(pc.not_equal(cleaned, trimmed), False)
    return cleaned, changed


@attrs.frozen
class _Number:
    """A column parsed as numbers, with what was wrong with each cell."""

    values: pa.ChunkedArray  # float64; null where missing or not a number
    not_a_number: pa.ChunkedArray
    bad_comma: pa.ChunkedArray
    has_percent: pa.ChunkedArray

    def problems(self, *, percent_allowed: bool) -> list[tuple[str, pa.ChunkedArray]]:
        out = [("not_a_number", self.not_a_number), ("bad_thousands_separator", self.bad_comma)]
        if not percent_allowed:
            out.append(("percent_not_rate", self.has_percent))
        return out

    def clean_values(self) -> pa.ChunkedArray:
        """The values with every problem cell (a percentage included) missing."""
        return pc.if_else(self.has_percent, pa.scalar(None, pa.float64()), self.values)


_GROUPED = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"


def _parse_number(column: pa.ChunkedArray) -> _Number:
    """Parse numbers as a bureau writes them: full-width digits, a trailing %, thousands
    grouping (1,850 — and only as grouping: 1,5 or 2,0,8,0 are not numbers). A true/false,
    a duration, a date or a time is not a count (True is not one music room, and a duration
    in seconds or milliseconds is no number of pupils): every such value is ``not_a_number``."""
    t = column.type
    if (
        pa.types.is_boolean(t)
        or pa.types.is_duration(t)
        or pa.types.is_date(t)
        or pa.types.is_time(t)
        or pa.types.is_timestamp(t)
    ):
        no = _all(False, len(column))
        return _Number(pa.nulls(len(column), pa.float64()), pc.is_valid(column), no, no)
    if pa.types.is_integer(t):  # never NaN or infinite
        no = _all(False, len(column))
        return _Number(pc.cast(column, pa.float64()), no, no, no)
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        values = pc.cast(column, pa.float64())
        nan = pc.fill_null(pc.invert(pc.is_finite(values)), False)
        no = _all(False, len(column))
        return _Number(pc.if_else(nan, pa.scalar(None, pa.float64()), values), nan, no, no)
    text, _ = _clean_text(pc.cast(column, pa.string()), identifier=True)
    has_percent = pc.fill_null(pc.ends_with(text, "%"), False)
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"%$", ""))
    has_comma = pc.fill_null(pc.match_substring(text, ","), False)
    grouped = pc.fill_null(pc.match_substring_regex(text, _GROUPED), False)
    bad_comma = pc.and_(has_comma, pc.invert(grouped))
    text = pc.if_else(grouped, pc.replace_substring(text, ",", ""), text)
    text = _blank_to_null(text)
    ok = pc.fill_null(pc.match_substring_regex(text, _NUMBER), False)
    bad = pc.and_(pc.and_(pc.is_valid(text), pc.invert(ok)), pc.invert(bad_comma))
    clean = pc.if_else(ok, text, pa.scalar(None, pa.string()))
    values = pc.cast(clean, pa.float64())
    # "1e999" parses to infinity: not a number anyone meant.
    inf = pc.fill_null(pc.invert(pc.is_finite(values)), False)
    values = pc.if_else(inf, pa.scalar(None, pa.float64()), values)
    return _Number(values, pc.or_(bad, inf), bad_comma, pc.and_(has_percent, pc.is_valid(values)))


def _all(value: bool, n: int) -> pa.ChunkedArray:
    return pa.chunked_array([pa.repeat(pa.scalar(value), n)], pa.bool_())


def _closest(value: str, choices: list[str], labels: Mapping[str, str]) -> str | None:
    """The allowed code a mistyped value most likely means. Chinese labels are compared by
    the characters they share (民办普惠 → 普惠性民办), others by spelling (nine-year → nine_year)."""
    by_label = {zh: code for code, zh in labels.items()}

    def overlap(label: str) -> float:
        a, b = set(value), set(label)
        return len(a & b) / len(a | b) if a | b else 0.0

    best = max(by_label, key=overlap, default=None)
    if best is not None and overlap(best) >= 0.5:
        return by_label[best]
    near = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
    return by_label.get(near[0], near[0]) if near else None


def _pair(detail: Any) -> tuple[Any, Any]:
    """A problem's detail as (Chinese, English): one text for both, or a pair already."""
    return detail if isinstance(detail, tuple) else (detail, None)


def _enum_hints(
    values: pa.ChunkedArray, bad: pa.ChunkedArray, col: contract.Column, labels: Mapping[str, str]
) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """'expected one of …; did you mean …?' for each distinct unknown value (not per row),
    in Chinese and in English."""
    allowed = ", ".join(c if labels.get(c, c) == c else f"{c} ({labels[c]})" for c in col.enum)
    allowed_zh = "、".join(labels.get(c, c) for c in col.enum)
    choices = list(col.enum) + list(labels.values())
    wrong = [v for v in pc.unique(pc.filter(values, bad)).to_pylist() if v is not None]
    hints, hints_zh = {}, {}
    for v in wrong:
        code = _closest(v, choices, labels)
        label = labels.get(code, code) if code else None
        hints[v] = f"expected one of {allowed}" + (
            f"; did you mean {code!r}" + (f" ({label})" if label != code else "") + "?" if code else ""
        )
        hints_zh[v] = f"应为以下之一:{allowed_zh}" + (f";是否应为「{label}」?" if code else "")
    if not hints:
        same = pc.cast(values, pa.string())
        return same, same
    keys = pa.array(list(hints), pa.string())
    at = pc.index_in(values, value_set=keys)
    zh = pc.take(pa.array(list(hints_zh.values()), pa.string()), at)
    en = pc.take(pa.array(list(hints.values()), pa.string()), at)
    return zh, en


def _blank_to_null(values: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)


def drop_rejected(t: pa.Table, found: pa.Table) -> pa.Table:
    """Drop the rows with a finding that rejects them (errors, totals rows)."""
    rejected = validate.rejecting(found)
    if rejected.num_rows == 0:
        return t
    return keep_rows(t, pc.invert(pc.is_in(t.column("_row"), rejected.column("row"))))


def reject_duplicates(t: pa.Table, keys: list[str], where: validate.Where) -> tuple[pa.Table, pa.Table]:
    """Keep the first row of each key; reject later duplicates with a finding."""
    if t.num_rows == 0:
        return t, validate.empty()
    filled = t.select([*keys, "_row"])
    # Null keys never join; fill them so that grouping treats them alike.
    for key in keys:
        col = filled.column(key)
        blank = -1 if pa.types.is_integer(col.type) or pa.types.is_floating(col.type) else ""
        filled = filled.set_column(
            filled.column_names.index(key), key, pc.fill_null(col, pa.scalar(blank, col.type))
        )
    firsts = filled.group_by(keys, use_threads=False).aggregate([("_row", "min")])
    dup = pc.invert(pc.is_in(t.column("_row"), firsts.column("_row_min")))
    if not pc.any(dup).as_py():
        return t, validate.empty()
    key = keys[0]
    found = validate.findings(
        where, t.column("_row"), key, t.column(key), dup, "duplicate_id", " + ".join(keys)
    )
    return t.filter(pc.invert(dup)), found


_ID_PARTS = {
    "schools": ("school_id", "school_name"),
    "sections": ("school_id", "school_name"),
    "kindergartens": ("kindergarten_id", "kindergarten_name"),
}


def id_key(ids: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """An id as people mistype it apart: ``9901010001.0``, ``09901010001``,
    ``9.901010001E9``, ``990101-0001``, ``S12`` and ``s12`` all give one key."""
    text = pc.utf8_lower(pc.cast(ids, pa.string()))
    # Scientific notation of a whole number (a spreadsheet's view of a long id).
    sci = pc.fill_null(pc.match_substring_regex(text, r"^\d(\.\d+)?e\+?\d+$"), False)
    scientific = pc.any(sci).as_py()
    # Ids already in their plain form (letters and digits, no leading zero) are their key:
    # one scan instead of three rewrites.
    plain = pc.all(pc.match_substring_regex(text, r"^[1-9a-z\p{L}][0-9a-z\p{L}]*$")).as_py()
    if not scientific and plain is not False:
        return text
    if scientific:
        numbers = pc.cast(pc.if_else(sci, text, pa.scalar(None, pa.string())), pa.float64(), safe=False)
        whole = pc.if_else(
            pc.and_(pc.less(pc.abs(numbers), 2.0**53), pc.equal(pc.floor(numbers), numbers)),
            pc.cast(pc.cast(numbers, pa.int64(), safe=False), pa.string()),
            text,
        )
        text = pc.if_else(sci, whole, text)
    text = pc.replace_substring_regex(text, r"\.0*$", "")  # 123.0 and 123.
    text = pc.replace_substring_regex(text, r"[^0-9a-z\p{L}]", "")
    return pc.replace_substring_regex(text, r"^0+(.)", r"\1")


def name_key(names: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """A name without case, spaces or punctuation (already NFKC-folded on reading)."""
    return pc.replace_substring_regex(pc.utf8_lower(pc.cast(names, pa.string())), r"[\s\p{P}\p{S}]", "")


def reject_near_duplicates(t: pa.Table, role: str, where: validate.Where) -> tuple[pa.Table, pa.Table]:
    """Rows of one county and year (and level, in long form) that are probably one school:

    - ids equal but for their writing (:func:`id_key`): a duplicate id, the later row is
      rejected (``similar_id``), as an exact duplicate would be;
    - the same name under different ids: both rows are kept, with an error each
      (``same_name``) that keeps the county from being certified until it is resolved,
      since one school counted twice moves every coefficient of variation.
    """
    if role not in _ID_PARTS or t.num_rows < 2:
        return t, validate.empty()
    id_col, name_col = _ID_PARTS[role]
    group = [c for c in ("county_code", "year", "level") if c in t.column_names]
    if id_col not in t.column_names:
        return t, validate.empty()
    keyed = t.select([*group, "_row"]).append_column("_id", id_key(t.column(id_col)))
    keyed = _filled(keyed, group)
    firsts = keyed.group_by([*group, "_id"], use_threads=False).aggregate([("_row", "min")])
    similar = pc.invert(pc.is_in(t.column("_row"), firsts.column("_row_min")))
    found = [validate.findings(where, t.column("_row"), id_col, t.column(id_col), similar, "similar_id")]
    t = keep_rows(t, pc.invert(similar))
    if name_col in t.column_names and t.num_rows > 1:
        named = _filled(
            t.select([*group, "_row"]).append_column("_name", name_key(t.column(name_col))), group
        )
        named = named.filter(pc.not_equal(named.column("_name"), ""))
        counts = named.group_by([*group, "_name"], use_threads=False).aggregate([("_row", "count")])
        twice = counts.filter(pc.greater(counts.column("_row_count"), 1))
        if twice.num_rows:
            hit = named.join(twice, [*group, "_name"], join_type="inner", use_threads=False)
            mask = pc.is_in(t.column("_row"), hit.column("_row"))
            found.append(
                validate.findings(where, t.column("_row"), name_col, t.column(name_col), mask, "same_name")
            )
    return t, validate.concat(found)


def school_facts_disagree(t: pa.Table, where: validate.Where) -> pa.Table:
    """Long form (one row per section): what belongs to the whole school — its county, name,
    type, ownership, music rooms, year built … — must read the same on each of its rows.
    Where two sections of one school say different things, which one is right cannot be
    told: an error on each of its rows, which are kept (the county cannot be certified)."""
    if t.num_rows < 2 or "school_id" not in t.column_names:
        return validate.empty()
    shared = [c.name for c in (*contract.SCHOOL_IDENTITY, *contract.SCHOOL_FACTS)]
    shared = [n for n in shared if n in t.column_names and n not in ("school_id", "year")]
    year_text = pc.fill_null(pc.cast(_col(t, "year"), pa.string()), "")
    key = pc.binary_join_element_wise(pc.fill_null(t.column("school_id"), ""), year_text, "|")
    found = []
    for name in shared:
        values = pc.cast(t.column(name), pa.string())
        keyed = pa.table({"key": key, "v": values})
        distinct = keyed.group_by("key", use_threads=False).aggregate([("v", "count_distinct")])
        split = distinct.filter(pc.greater(distinct.column("v_count_distinct"), 1)).column("key")
        if len(split) == 0:
            continue
        mask = pc.and_(pc.is_in(key, split), pc.is_valid(values))
        found.append(
            validate.findings(where, t.column("_row"), name, t.column(name), mask, "school_facts_differ")
        )
    return validate.concat(found)


def _filled(t: pa.Table, keys: Iterable[str]) -> pa.Table:
    """Null keys filled, so that grouping treats them alike."""
    for key in keys:
        col = t.column(key)
        blank = -1 if pa.types.is_integer(col.type) or pa.types.is_floating(col.type) else ""
        t = t.set_column(t.column_names.index(key), key, pc.fill_null(col, pa.scalar(blank, col.type)))
    return t


# --------------------------------------------------------------------------- split


_FLOAT = pa.float64()


def _col(t: pa.Table, name: str, type_: pa.DataType = _FLOAT) -> pa.ChunkedArray:
    if name in t.column_names:
        return t.column(name)
    return pa.chunked_array([pa.nulls(t.num_rows, type_)])


def split_by_level(schools: pa.Table, fw: Framework, keep: Iterable[str] = ()) -> pa.Table:
    """Turn wide ``schools`` rows into one row per school section (frameworks.md §1.3).

    Shared stock resources are split by student-weighted shares (a junior student
    counts ``weights.junior`` primary students, a senior ``weights.senior``); the
    senior-high part is dropped. Whole-school teacher counts, when the per-level count
    is missing, are split by the same shares and flagged in ``estimated_columns``. Other
    columns are kept when the framework or ``keep`` (rule sets' inputs) declares them.
    """
    weights = fw.split.weights if fw.split else {"primary": 1.0, "junior": 1.1, "senior": 1.32}
    shared = fw.split.shared if fw.split else tuple(n for n, _, _ in contract.SHARED_RESOURCES)
    stype = schools.column("school_type")
    a = _col(schools, "students_primary")
    b = _col(schools, "students_junior")
    c = _col(schools, "students_senior")
    wa = pc.multiply(a, weights["primary"])
    wb = pc.multiply(b, weights["junior"])
    wc = pc.multiply(c, weights["senior"])
    multi = pc.is_in(stype, pa.array(["nine_year", "twelve_year", "complete_middle"]))
    denominator = pc.if_else(
        pc.equal(stype, "nine_year"),
        pc.add(wa, wb),
        pc.if_else(
            pc.equal(stype, "twelve_year"),
            pc.add(pc.add(wa, wb), wc),
            pc.if_else(pc.equal(stype, "complete_middle"), pc.add(wb, wc), pa.scalar(None, pa.float64())),
        ),
    )
    denominator = pc.if_else(pc.equal(denominator, 0.0), pa.scalar(None, pa.float64()), denominator)
    declared = set(fw.column_kinds("sections")) | set(keep)
    n = schools.num_rows
    # Which rows have a section at each level: per-level index arrays, merged in the
    # order (row, level) by one sort of the indices, then every column is taken once.
    levels: list[str] = []
    positions: list[np.ndarray] = []
    shares: list[pa.ChunkedArray] = []
    for level in fw.levels or contract.LEVELS:
        students = a if level == "primary" else b
        level_weight = wa if level == "primary" else wb
        share = pc.if_else(multi, pc.divide(level_weight, denominator), pa.scalar(1.0))
        teaches = pc.is_in(stype, pa.array([t for t, ls in TYPE_LEVELS.items() if level in ls]))
        other = b if level == "primary" else a
        has_students = pc.fill_null(pc.greater(students, 0.0), False)
        other_has = pc.fill_null(pc.greater(other, 0.0), False)
        # A level with explicitly zero students in a school that teaches another level
        # has no section; special schools get a section per level they have students in.
        zero_here = pc.fill_null(pc.equal(students, 0.0), False)
        keep_level = pc.and_(teaches, pc.invert(pc.and_(zero_here, other_has)))
        special = pc.equal(stype, "special")
        special_keep = pc.or_(has_students, pc.and_(pc.invert(other_has), pa.scalar(level == "primary")))
        keep_level = pc.fill_null(pc.if_else(special, special_keep, keep_level), False)
        hit = np.flatnonzero(np.asarray(_array(keep_level).to_numpy(zero_copy_only=False), dtype=bool))
        if len(hit) == 0:
            continue
        levels.append(level)
        positions.append(hit)
        shares.append(share)
    if not levels:
        return _empty_sections()
    # Level i's computed columns are full-length arrays; row r of level i is at i·n + r.
    pos = np.concatenate(positions)
    which = np.concatenate([np.full(len(p), i) for i, p in enumerate(positions)])
    row_numbers = np.asarray(_array(schools.column("_row")).to_numpy(zero_copy_only=False))[pos]
    rank = np.argsort(np.argsort(np.array(levels, dtype=object)))  # levels in text order
    order = np.lexsort((rank[which], row_numbers))
    pos, which = pos[order], which[order]
    take_rows = pa.array(pos, pa.int64())
    take_levels = pa.array(which * n + pos, pa.int64())
    m = len(pos)

    def per_level(arrays: list[pa.ChunkedArray | pa.Array]) -> pa.Array:
        joined = pa.chunked_array(
            [c for x in arrays for c in (x.chunks if isinstance(x, pa.ChunkedArray) else [x])]
        )
        return _array(pc.take(joined, take_levels))

    def whole(name: str, type_: pa.DataType = _FLOAT) -> pa.Array:
        return _array(pc.take(_col(schools, name, type_), take_rows))

    share_of = [pc.cast(s, pa.float64()) for s in shares]
    cols: dict[str, pa.ChunkedArray | pa.Array] = {}
    for ident in contract.SCHOOL_IDENTITY:
        if ident.name in schools.column_names:
            cols[ident.name] = whole(ident.name, schools.column(ident.name).type)
    level_text = pa.DictionaryArray.from_arrays(pa.array(which, pa.int32()), pa.array(levels, pa.string()))
    cols["level"] = pc.cast(level_text, pa.string())
    cols["section_id"] = pc.binary_join_element_wise(cols["school_id"], cols["level"], ":")
    estimated: list[tuple[str, pa.ChunkedArray]] = []
    for name, _zh in contract.LEVEL_COUNTS:
        own = per_level([_col(schools, f"{name}_{level}") for level in levels])
        if name in schools.column_names and name != "students":
            whole_count = per_level([pc.multiply(schools.column(name), s) for s in share_of])
            share = per_level(share_of)
            flag = pc.and_(pc.is_null(own), pc.is_valid(whole_count))
            flag = pc.and_(flag, pc.not_equal(share, 1.0))
            cols[name] = pc.coalesce(own, whole_count)
            estimated.append((name, pc.fill_null(flag, False)))
        else:
            cols[name] = own
    for name in shared:
        cols[name] = per_level([pc.multiply(_col(schools, name), s) for s in share_of])
    for fact in contract.SCHOOL_FACTS:
        cols[fact.name] = whole(fact.name, pa.bool_() if fact.type == "bool" else pa.float64())
    sa, sb = whole("students_primary"), whole("students_junior")
    ca, cb = whole("classes_primary"), whole("classes_junior")
    sub_type = cols["school_type"]
    both = pc.is_in(sub_type, pa.array(["nine_year", "twelve_year", "special"]))
    only_p = pc.is_in(sub_type, pa.array(["primary", "teaching_point"]))
    cols["school_students"] = pc.if_else(both, pc.add(sa, sb), pc.if_else(only_p, sa, sb))
    cols["school_classes"] = pc.if_else(both, pc.add(ca, cb), pc.if_else(only_p, ca, cb))
    cols["split_share"] = per_level(share_of)
    cols["estimated_columns"] = _estimated_lists(estimated, m)
    # Other columns come along only when a formula may read them (declared inputs):
    # a stray column costs nothing in the rules but would in every projection.
    for name in schools.column_names:
        if name not in cols and not _is_wide_only(name) and (name in declared or name.startswith("_")):
            cols[name] = whole(name, schools.column(name).type)
    return pa.table(cols)


def _empty_sections() -> pa.Table:
    return pa.table({"section_id": pa.array([], pa.string()), "_row": pa.array([], pa.int64())})


_WIDE_SUFFIXES = ("_primary", "_junior", "_senior")


def _is_wide_only(name: str) -> bool:
    if name.endswith(_WIDE_SUFFIXES):
        return True
    return name in {n for n, _ in contract.LEVEL_COUNTS}


def _array(x: pa.Array | pa.ChunkedArray) -> pa.Array:
    return x.combine_chunks() if isinstance(x, pa.ChunkedArray) else x


def lists_from_long(rows: pa.Array, values: pa.Array, n: int) -> pa.Array:
    """Gather (row, value) pairs into one list per row 0..n-1, in the order given (stable).

    The vectorised way to build list columns: sort by row, cut by offsets. Dictionary
    ``values`` are sorted by their codes and written out once, as plain values."""
    order = pc.sort_indices(rows)  # Arrow's sort is stable: a row's values keep their order
    counts = np.bincount(np.asarray(rows.to_numpy(zero_copy_only=False), dtype=np.int64), minlength=n)[:n]
    offsets = np.concatenate([[0], np.cumsum(counts)])
    sorted_values = pc.take(values, order)
    if pa.types.is_dictionary(sorted_values.type):
        sorted_values = sorted_values.cast(sorted_values.type.value_type)
    if offsets[-1] < 2**31:
        return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), sorted_values)
    return pa.LargeListArray.from_arrays(pa.array(offsets), sorted_values).cast(pa.list_(sorted_values.type))


def _estimated_lists(flags: list[tuple[str, pa.ChunkedArray]], n: int) -> pa.Array:
    """A list<string> per row naming the columns whose values are estimates."""
    rows, names = [], []
    for name, flag in flags:
        hit = _array(pc.cast(pc.indices_nonzero(_array(pc.fill_null(flag, False))), pa.int64()))
        rows.append(hit)
        names.append(constant(name, len(hit), pa.string()))
    if not rows:
        return constant([], n, pa.list_(pa.string()))
    return lists_from_long(pa.concat_arrays(rows), pa.concat_arrays(names), n)


def long_sections(sections: pa.Table) -> pa.Table:
    """Complete a long-form (one row per section) input with the derived columns."""
    cols = {name: sections.column(name) for name in sections.column_names}
    cols["section_id"] = pc.binary_join_element_wise(cols["school_id"], cols["level"], ":")
    # A school's sections share school_id and year; sum their students and classes.
    year_text = pc.fill_null(pc.cast(_col(sections, "year"), pa.string()), "")
    school_key = pc.binary_join_element_wise(cols["school_id"], year_text, "|")
    for derived, base in (("school_students", "students"), ("school_classes", "classes")):
        # Always the sum of the sections: a school total typed in beside them could contradict
        # them (2,400 pupils for sections of 2,610 passes the 2,500 cap). normalise warns.
        if base not in cols:
            continue
        keyed = pa.table({"key": school_key, base: sections.column(base)})
        sums = keyed.group_by("key", use_threads=False).aggregate(
            [(base, "sum", pc.ScalarAggregateOptions(skip_nulls=False))]
        )
        where = pc.index_in(school_key, value_set=sums.column("key"))
        cols[derived] = pc.take(sums.column(f"{base}_sum"), where)
    n = sections.num_rows
    cols["split_share"] = pa.nulls(n, pa.float64())
    cols["estimated_columns"] = constant([], n, pa.list_(pa.string()))
    return pa.table(cols)


# --------------------------------------------------------------------------- options, scope


def move_indoor_sports_area(sections: pa.Table) -> pa.Table:
    """Optional: count indoor gymnasium area as sports area, not teaching area [S]."""
    if "indoor_sports_area_m2" not in sections.column_names:
        return sections
    indoor = pc.fill_null(sections.column("indoor_sports_area_m2"), 0.0)
    out = sections
    for name, fn in (("teaching_aux_area_m2", pc.subtract), ("sports_area_m2", pc.add)):
        if name in out.column_names:
            out = out.set_column(out.column_names.index(name), name, fn(out.column(name), indoor))
    return out


def add_missing_columns(t: pa.Table, kinds: Mapping[str, str]) -> tuple[pa.Table, list[str]]:
    """Add every declared column absent from ``t`` as all-missing, so formulas compile."""
    added = []
    for name, kind in kinds.items():
        if name not in t.column_names:
            type_ = {"number": pa.float64(), "bool": pa.bool_(), "text": pa.string()}[kind]
            t = t.append_column(name, pa.nulls(t.num_rows, type_))
            added.append(name)
    return t, added


def apply_scope(units: pa.Table, fw: Framework) -> pa.Table:
    """Mark each unit in scope or excluded by the first matching scope rule (kept, not dropped)."""
    cols = Columns(fw.column_kinds(fw.unit))
    excluded_by = pa.nulls(units.num_rows, pa.string())
    reason_zh = pa.nulls(units.num_rows, pa.string())
    reason_en = pa.nulls(units.num_rows, pa.string())
    for rule in fw.rules_of("scope_exclusion"):
        if not rule.enabled or rule.when is None or rule.reason is None:
            continue
        expr = compile_formula(rule.when, cols, expect="bool").expression
        hit = pc.fill_null(evaluate_expression(units, expr), False)
        fresh = pc.and_(hit, pc.is_null(excluded_by))
        excluded_by = pc.if_else(fresh, pa.scalar(rule.id), excluded_by)
        reason_zh = pc.if_else(fresh, pa.scalar(rule.reason.zh), reason_zh)
        reason_en = pc.if_else(fresh, pa.scalar(rule.reason.en), reason_en)
    return (
        units.append_column("in_scope", pc.is_null(excluded_by))
        .append_column("excluded_by", excluded_by)
        .append_column("exclusion_reason_zh", reason_zh)
        .append_column("exclusion_reason_en", reason_en)
    )
