"""How safe a pass is: the distance of every check from flipping (issue #7, item 4).

For each check of a :class:`Result` — per section, per county and every CV — the
margin is the distance from the threshold on the passing side (negative when the
check fails), also relative to the threshold. Where the value moves with enrolment
the margin is also told as the enrolment growth that flips it:

- a per-student indicator (``resource / students``) falls as ``1 / (1 + g)``: a pass
  flips at ``g = value / threshold − 1``; a fail would pass after a fall of that size;
- a count of students (school size, class size with no new classes) grows as
  ``1 + g``: it flips at ``g = threshold / value − 1``;
- a CV does not move under a uniform growth (values and weights scale together), so
  it has no growth margin — its margin is ``limit − CV``.

For per-student indicators the margin is also told in the resource's own units: how
many teachers, m², yuan or rooms a section can lose before the check fails (whole
units: the smallest whole loss that flips it), or must gain to pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eduscore.engine.dispersion import dense_codes, rank_in_runs
from eduscore.planning.arrays import bools, decoded, floats, lookup
from eduscore.planning.plan import resources
from eduscore.result import Result

MARGIN_SCHEMA = pa.schema(
    [
        ("county_code", pa.string()),
        ("year", pa.int64()),
        ("scope", pa.string()),
        ("unit_id", pa.string()),
        ("school_name", pa.string()),
        ("level", pa.string()),
        ("check_id", pa.string()),
        ("name_zh", pa.string()),
        ("name_en", pa.string()),
        ("status", pa.string()),
        ("value", pa.float64()),
        ("threshold", pa.float64()),
        ("comparator", pa.string()),
        ("margin", pa.float64()),
        ("relative_margin", pa.float64()),
        ("flip_growth", pa.float64()),
        ("flip_units", pa.float64()),
        ("units", pa.string()),
    ]
)

# Values that grow with enrolment (a count of students); per-student indicators shrink.
ENROLMENT_COUNTS = ("school_students", "max_class_size", "students", "children")


def margins(result: Result) -> pa.Table:
    """Margin of every assessed check (sections, counties, CVs), safest last.

    >>> import eduscore
    >>> m = margins(eduscore.evaluate(**eduscore.demo_inputs()))
    >>> sorted(set(m.column("scope").to_pylist()))
    ['county', 'cv', 'section']
    """
    parts = [_section_margins(result), _county_margins(result), _cv_margins(result)]
    # Sections, then county checks, then CVs; not sorted (a national table has millions
    # of rows — nearest_risks picks the few that matter).
    return pa.concat_tables([p for p in parts if p.num_rows] or [MARGIN_SCHEMA.empty_table()])


def nearest_risks(table: pa.Table, per_county: int = 5) -> pa.Table:
    """Per county × year, the ``per_county`` passing checks closest to failing.

    Each check appears once, with the school closest to failing it (a county with 40
    schools exactly at a room-count threshold still shows its other risks). ``table``
    is the output of :func:`margins`. Ranked with numpy over dense codes: no sort of
    the whole table."""
    passing = _passing(table)
    if passing.num_rows == 0:
        return passing
    return passing.take(pa.array(_nearest_rows(passing, per_county), pa.int64()))


def risks(result: Result, per_county: int = 5) -> pa.Table:
    """``nearest_risks(margins(result), per_county)`` without making the margin row of
    every section check: the ranking reads each check's keys and relative margin only,
    and the full rows are made for the chosen few (a nation's margins are millions of rows).

    >>> import eduscore
    >>> r = eduscore.evaluate(**eduscore.demo_inputs())
    >>> risks(r).equals(nearest_risks(margins(r)))
    True
    """
    return _chosen(result, _lean(result), _passing, _nearest_rows, per_county)


def flips(result: Result, per_county: int = 3) -> pa.Table:
    """Per county × year, the ``per_county`` checks nearest to flipping: the failing checks
    nearest to passing first (what stands nearest between the county and certification),
    then the passing checks nearest to failing (what could cost it its pass).

    A check of many sections flips when its worst section does: each check is told by
    the section with the smallest signed margin (the closest to failing when it passes,
    the furthest from passing when it fails), and the checks are ranked by the size of
    that margin relative to the threshold. Rows are :data:`MARGIN_SCHEMA`, nearest first.

    >>> import eduscore
    >>> f = flips(eduscore.evaluate(**eduscore.demo_inputs()))
    >>> f.num_rows <= 3
    True
    """
    return _chosen(result, _lean(result), _flippable, _flip_rows, per_county)


def risks_and_flips(
    result: Result, per_county: int = 5, flips_per_county: int = 3
) -> tuple[pa.Table, pa.Table]:
    """:func:`risks` and :func:`flips` of one result, from one pass over its checks."""
    lean = _lean(result)
    return (
        _chosen(result, lean, _passing, _nearest_rows, per_county),
        _chosen(result, lean, _flippable, _flip_rows, flips_per_county),
    )


def _chosen(
    result: Result,
    lean: tuple[pa.Table, pa.Table, pa.Table],
    keep: Callable[[pa.Table], pa.Table],
    pick: Callable[[pa.Table, int], np.ndarray],
    n: int,
) -> pa.Table:
    """The margin rows of the checks ``pick`` ranks among the rows ``keep`` leaves of the
    lean table (:func:`_lean`); one filtered copy at a time — a nation's is millions of rows."""
    src, rest, table = lean
    table = keep(table)
    if table.num_rows == 0:
        return MARGIN_SCHEMA.empty_table()
    at = np.asarray(table.column("_at").to_numpy(), dtype=np.int64)[pick(table, n)]
    return _rows_at(result, src, rest, at)


def _flippable(lean: pa.Table) -> pa.Table:
    """Passing and failing checks with a finite relative margin."""
    rel = lean.column("relative_margin")
    keep = pc.and_(pc.is_in(lean.column("status"), pa.array(["pass", "fail"])), pc.is_valid(rel))
    return lean.filter(pc.fill_null(pc.and_(keep, pc.is_finite(rel)), False))


def _lean(result: Result) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The section checks with a margin (``src``), the county and CV margins (``rest``),
    and one lean table of both: keys, status, relative margin and ``_at``, the row in
    ``src`` then ``rest``."""
    src = _section_source(result)
    others = [p for p in (_county_margins(result), _cv_margins(result)) if p.num_rows]
    rest = pa.concat_tables(others) if others else MARGIN_SCHEMA.empty_table()
    value, threshold = floats(src.column("value")), floats(src.column("threshold"))
    up = bools(pc.is_in(src.column("comparator"), pa.array([">=", ">"])))
    keys = ("county_code", "year", "check_id", "status")
    lean = pa.concat_tables(
        [
            pa.table(
                {
                    "county_code": pc.cast(src.column("county_code"), pa.string()),
                    "year": pc.cast(src.column("year"), pa.int64()),
                    "check_id": pc.cast(src.column("check_id"), pa.string()),
                    "status": pc.cast(src.column("status"), pa.string()),
                    "relative_margin": pa.array(
                        _relative(_margin(value, threshold, up), threshold), pa.float64(), from_pandas=True
                    ),
                }
            ),
            rest.select([*keys, "relative_margin"]),
        ]
    )
    lean = lean.append_column("_at", pa.array(np.arange(lean.num_rows), pa.int64()))
    return src, rest, lean


def _rows_at(result: Result, src: pa.Table, rest: pa.Table, at: np.ndarray) -> pa.Table:
    """The margin rows at positions ``at`` of ``src`` then ``rest`` (see :func:`_lean`), in
    that order; the section rows are made for these few only."""
    n = src.num_rows
    rows = np.unique(at[at < n])
    chosen = pa.concat_tables([_section_margins(result, src.take(pa.array(rows, pa.int64()))), rest])
    where = np.where(at < n, np.searchsorted(rows, at), len(rows) + at - n)
    return chosen.take(pa.array(where, pa.int64()))


def _flip_rows(table: pa.Table, per_county: int) -> np.ndarray:
    """Rows of ``table`` (checks with a finite relative margin, passing or failing) that
    :func:`flips` gives: per county × check the smallest signed margin, then per county
    the ``per_county`` first by status (failing before passing), then by the smallest
    absolute margin (ties by check id)."""
    county, _ = dense_codes(table.column("county_code"))
    year, years = dense_codes(pc.cast(table.column("year"), pa.string()))
    check, checks = dense_codes(table.column("check_id"))
    cy = county * len(years) + year
    cell = cy * len(checks) + check
    rel = np.asarray(table.column("relative_margin").to_numpy(), dtype=np.float64)
    order = np.lexsort((rel, cell))
    worst = order[rank_in_runs(cell[order]) == 0]
    passing = ~bools(pc.equal(table.column("status"), "fail"))
    order2 = worst[np.lexsort((check[worst], np.abs(rel[worst]), passing[worst], cy[worst]))]
    chosen: np.ndarray = order2[rank_in_runs(cy[order2]) < per_county]
    return chosen


def _passing(table: pa.Table) -> pa.Table:
    keep = pc.and_(pc.equal(table.column("status"), "pass"), pc.is_valid(table.column("relative_margin")))
    return table.filter(keep)


def _nearest_rows(passing: pa.Table, per_county: int) -> np.ndarray:
    """Rows of ``passing`` (passing checks with a relative margin) that are the nearest
    risks, in the order :func:`nearest_risks` gives them: the closest row of each county ×
    check, then the ``per_county`` nearest checks of each county — what :func:`_flip_rows`
    gives when every check passes."""
    return _flip_rows(passing, per_county)


def _margin(value: np.ndarray, threshold: np.ndarray, up: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.where(up, value - threshold, threshold - value)
    return out


def _relative(margin: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out: np.ndarray = np.where(threshold != 0, margin / np.abs(threshold), np.nan)
    return out


def _section_source(result: Result) -> pa.Table:
    """The section checks that have a margin: assessed, with a value, a threshold and an
    ordering comparator (count-with-floor rules excluded: their indicators carry the
    margins); only the columns a margin needs, dictionaries kept."""
    sc = result.section_checks
    wanted = (
        "county_code",
        "year",
        "status",
        "unit_id",
        "level",
        "check_id",
        "value",
        "threshold",
        "comparator",
    )
    keep = pc.and_(
        pc.and_(
            pc.is_in(sc.column("status"), pa.array(["pass", "fail"])),
            pc.and_(pc.is_valid(sc.column("value")), pc.is_valid(sc.column("threshold"))),
        ),
        pc.and_(
            pc.is_in(sc.column("comparator"), pa.array([">=", ">", "<=", "<"])),
            # Six-of-seven is a count with a floor: its indicators carry the margins.
            pc.invert(pc.equal(sc.column("kind"), "count_met_with_floor")),
        ),
    )
    # The columns first, then one filter: the long reason texts are never copied.
    return sc.select(list(wanted)).filter(pc.fill_null(keep, False))


def _section_margins(result: Result, sc: pa.Table | None = None) -> pa.Table:
    """Margins of the section checks (of ``sc``, rows of :func:`_section_source`; all by default)."""
    sc = _section_source(result) if sc is None else sc
    if sc.num_rows == 0:
        return MARGIN_SCHEMA.empty_table()
    sc = pa.table({n: decoded(sc.column(n)) for n in sc.column_names})
    s = result.sections
    name_col = next((c for c in ("school_name", "kindergarten_name") if c in s.column_names), None)
    size_col = next((c for c in ("students", "children") if c in s.column_names), None)
    # Each check's school name and size, looked up by unit id (a left join that keeps the
    # order of the checks).
    where = pc.index_in(sc.column("unit_id"), pc.cast(s.column("unit_id"), pa.string()))
    sc = sc.append_column(
        "school_name",
        pc.take(s.column(name_col), where) if name_col else pa.nulls(sc.num_rows, pa.string()),
    ).append_column(
        "_n",
        pc.take(pc.cast(s.column(size_col), pa.float64()), where)
        if size_col
        else pa.nulls(sc.num_rows, pa.float64()),
    )
    fw = result.framework
    res = resources(fw)
    names = {i.id: (i.name.get("zh"), i.name.get("en")) for i in fw.indicators}
    names.update({r.id: (r.name.get("zh"), r.name.get("en")) for r in fw.rules})
    value, threshold = floats(sc.column("value")), floats(sc.column("threshold"))
    comp = sc.column("comparator")
    up = bools(pc.is_in(comp, pa.array([">=", ">"])))
    margin = _margin(value, threshold, up)
    check = sc.column("check_id")
    per_student = bools(pc.is_in(check, pa.array(sorted(res), pa.string())))
    value_col = lookup(check, {r.id: r.value or "" for r in fw.rules_of("section_threshold")}, pa.string())
    counts = bools(pc.is_in(value_col, pa.array(ENROLMENT_COUNTS)))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        growth = np.where(
            per_student & (threshold > 0),
            value / threshold - 1.0,
            np.where(counts & (value > 0), threshold / value - 1.0, np.nan),
        )
        per = floats(lookup(check, {k: r.per for k, r in res.items()}, pa.float64()))
        whole = bools(lookup(check, {k: r.whole for k, r in res.items()}, pa.bool_()))
        raw_units = margin * floats(sc.column("_n")) / per
    flip_units = np.where(
        raw_units >= 0,
        np.where(whole, np.floor(raw_units + 1e-9) + 1.0, raw_units),  # smallest loss that flips
        np.where(whole, np.ceil(-raw_units - 1e-9), -raw_units),  # needed to pass (a fail)
    )
    return _margin_table(
        "section",
        sc,
        value,
        threshold,
        margin,
        unit_id=sc.column("unit_id"),
        school_name=sc.column("school_name"),
        level=sc.column("level"),
        check_id=check,
        name_zh=lookup(check, {k: v[0] for k, v in names.items()}, pa.string()),
        name_en=lookup(check, {k: v[1] for k, v in names.items()}, pa.string()),
        comparator=comp,
        flip_growth=pa.array(growth, pa.float64(), from_pandas=True),
        flip_units=pa.array(flip_units, pa.float64(), from_pandas=True),
        units=lookup(check, {k: r.name_zh for k, r in res.items()}, pa.string()),
    )


def _county_margins(result: Result) -> pa.Table:
    c = result.checks
    c = c.filter(
        pc.and_(
            pc.and_(
                pc.is_in(c.column("status"), pa.array(["pass", "fail"])),
                pc.is_in(c.column("comparator"), pa.array([">=", ">", "<=", "<"])),
            ),
            pc.and_(
                pc.is_in(c.column("kind"), pa.array(["county_threshold", "prerequisite"])),
                pc.and_(pc.is_valid(c.column("value")), pc.is_valid(c.column("threshold"))),
            ),
        )
    )
    if c.num_rows == 0:
        return MARGIN_SCHEMA.empty_table()
    value, threshold = floats(c.column("value")), floats(c.column("threshold"))
    up = bools(pc.is_in(c.column("comparator"), pa.array([">=", ">"])))
    margin = _margin(value, threshold, up)
    return _margin_table(
        "county",
        c,
        value,
        threshold,
        margin,
        level=pc.cast(c.column("level"), pa.string()),
        check_id=c.column("check_id"),
        name_zh=c.column("name_zh"),
        name_en=c.column("name_en"),
        comparator=c.column("comparator"),
    )


def _cv_margins(result: Result) -> pa.Table:
    d = result.dispersion
    d = d.filter(
        pc.and_(
            pc.is_in(d.column("status"), pa.array(["pass", "fail"])),
            pc.and_(pc.is_valid(d.column("cv")), pc.is_valid(d.column("limit"))),
        )
    )
    if d.num_rows == 0:
        return MARGIN_SCHEMA.empty_table()
    cv, limit = floats(d.column("cv")), floats(d.column("limit"))
    margin = limit - cv
    n = d.num_rows
    fw = result.framework
    names = {i.id: (i.name.get("zh"), i.name.get("en")) for i in fw.indicators}
    ind = d.column("indicator")
    return _margin_table(
        "cv",
        d,
        cv,
        limit,
        margin,
        level=d.column("level"),
        check_id=pc.binary_join_element_wise(pa.scalar("cv"), ind, "."),
        name_zh=pc.binary_join_element_wise(
            lookup(ind, {k: v[0] for k, v in names.items()}, pa.string()), pa.scalar("差异系数"), ""
        ),
        name_en=pc.binary_join_element_wise(
            pa.scalar("CV of"), lookup(ind, {k: v[1] for k, v in names.items()}, pa.string()), " "
        ),
        comparator=pa.array(np.full(n, "<=", dtype=object), pa.string()),
    )


def _margin_table(
    scope: str, t: pa.Table, value: np.ndarray, threshold: np.ndarray, margin: np.ndarray, **cols: Any
) -> pa.Table:
    """Rows of :data:`MARGIN_SCHEMA` for the checks of ``t`` (its county, year and status);
    fields not given in ``cols`` are missing."""
    n = t.num_rows
    given = {
        "county_code": t.column("county_code"),
        "year": pc.cast(t.column("year"), pa.int64()),
        "scope": pa.array(np.full(n, scope, dtype=object), pa.string()),
        "status": t.column("status"),
        "value": pa.array(value, pa.float64()),
        "threshold": pa.array(threshold, pa.float64()),
        "margin": pa.array(margin, pa.float64()),
        "relative_margin": pa.array(_relative(margin, threshold), pa.float64(), from_pandas=True),
        **cols,
    }
    return pa.table(
        {f.name: given.get(f.name, pa.nulls(n, f.type)) for f in MARGIN_SCHEMA}, schema=MARGIN_SCHEMA
    )
