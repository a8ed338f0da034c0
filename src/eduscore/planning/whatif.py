"""Enrolment what-if and year-on-year comparison (issue #7, items 3 and 6).

:func:`whatif` re-evaluates the same inputs under projected enrolment — a uniform
growth rate, a rate per level, or a per-school projection table — for each of the
next ``years`` years, and reports which checks flip and the first year they do.
Only enrolment moves: resources, teachers and the evaluation year stay as given, so
a 0 % growth reproduces the baseline exactly. Students of each level grow by
``(1 + rate) ** t`` (rounded to whole students). Classes: by default no new class is
opened, so the largest class grows alike; with ``new_classes=True`` classes are opened as
enrolment grows and the largest class keeps its size (the two ends between which a real
county lies). Every projected year is one vectorised evaluation of all counties.

:func:`compare_years` compares evaluations of several years of the same counties:
the trend of every CV, and the school sections that started or stopped passing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eduscore.engine.dispersion import dense_codes, rank_in_runs
from eduscore.engine.evaluate import evaluate
from eduscore.errors import InputError
from eduscore.inputs.read import TableLike, load_table
from eduscore.result import Result

# Columns that count students (or children) of a level, and what they scale with.
_LEVEL_COLUMNS = {
    "primary": ("students_primary",),
    "junior": ("students_junior",),
    "senior": ("students_senior",),  # only moves the §1.3 split of spanning schools
    "preschool": ("children",),
}
# What else grows with a level's students: the largest class when no class is opened, the
# number of classes (rounded up) when classes are opened.
_CLASS_COLUMNS = {
    False: {
        "primary": "max_class_size_primary",
        "junior": "max_class_size_junior",
        "sections": "max_class_size",
    },
    True: {"primary": "classes_primary", "junior": "classes_junior", "sections": "classes"},
}

FLIP_SCHEMA = pa.schema(
    [
        ("county_code", pa.string()),
        ("year", pa.int64()),
        ("scope", pa.string()),
        ("unit_id", pa.string()),
        ("school_name", pa.string()),
        ("level", pa.string()),
        ("check_id", pa.string()),
        ("baseline_status", pa.string()),
        ("status", pa.string()),
        ("first_step", pa.int64()),
        ("first_year", pa.int64()),
        ("value", pa.float64()),
        ("threshold", pa.float64()),
    ]
)


@attrs.frozen
class WhatIf:
    """A what-if run: the baseline, the verdict of every projected year, the flips.

    - ``verdicts`` — county × step (0 = baseline): the projected year, verdict and
      counts of passing and failing checks;
    - ``flips`` — every check (per section, per county, every CV) whose status in some
      projected year differs from the baseline: the first step and year it differs
      and its status, value and threshold then;
    - ``growth`` — the rates used per level (a projection table is named instead).
    """

    baseline: Result
    results: tuple[Result, ...]
    verdicts: pa.Table
    flips: pa.Table
    growth: Mapping[str, float]
    projection: str | None = None
    #: Whether classes were assumed opened as enrolment grows (the largest class keeps its
    #: size) or not (the largest class grows with enrolment).
    new_classes: bool = False

    def first_flips(self) -> pa.Table:
        """Per county: the checks that flip, the earliest first."""
        return self.flips.sort_by(
            [("county_code", "ascending"), ("first_step", "ascending"), ("check_id", "ascending")]
        )


_LEVEL_ZH = {"primary": "小学", "junior": "初中", "senior": "高中", "preschool": "学前"}


def _rates(growth: float | Mapping[str, float]) -> dict[str, float]:
    if isinstance(growth, Mapping):
        unknown = set(growth) - set(_LEVEL_COLUMNS)
        if unknown:
            raise InputError(
                f"growth per level: unknown level(s) {', '.join(sorted(unknown))}; "
                f"expected {', '.join(_LEVEL_COLUMNS)}",
                zh=f"分学段增长率:未知学段 {'、'.join(sorted(unknown))};可用:{'、'.join(_LEVEL_COLUMNS)}",
            )
        rates = {lv: float(growth.get(lv, 0.0)) for lv in _LEVEL_COLUMNS}
    else:
        rates = dict.fromkeys(_LEVEL_COLUMNS, float(growth))
    for lv, r in rates.items():
        # Above +100 % a year no projection is meant (and 1e300 overflows the counts).
        if not math.isfinite(r) or r <= -1.0 or r > _MAX_GROWTH:
            raise InputError(
                f"growth rate of {lv}: {r!r} (expected a yearly rate above −100 % and at most "
                f"+{_MAX_GROWTH:.0%}, e.g. 0.03 for 3 %)",
                zh=f"{_LEVEL_ZH.get(lv, lv)}的增长率 {r!r} 不合理"
                f"(应为高于 −100%、不超过 +{_MAX_GROWTH:.0%} 的年增长率,如 0.03 即 3%)",
            )
    return rates


_MAX_GROWTH = 1.0


def _grown(values: pa.ChunkedArray, factor: Any, name: str) -> pa.ChunkedArray:
    """Values times the growth factor: whole students rounded, classes rounded up (a new
    class is opened for the pupils beyond the last full one)."""
    grown = pc.multiply(pc.cast(values, pa.float64()), factor)
    return pc.ceil(grown) if name.startswith("classes") else pc.round(grown)


def _scaled(table: pa.Table, columns: Sequence[str], factor: float) -> pa.Table:
    for name in columns:
        if name in table.column_names and factor != 1.0:
            table = table.set_column(
                table.column_names.index(name), name, _grown(table.column(name), factor, name)
            )
    return table


def _scale_sections(table: pa.Table, rates: Mapping[str, float], t: int, new_classes: bool) -> pa.Table:
    """A one-row-per-section input: ``students`` and the largest class (or the classes) by
    the row's level."""
    for name in ("students", _CLASS_COLUMNS[new_classes]["sections"]):
        if name not in table.column_names:
            continue
        factor = pa.array(np.ones(table.num_rows))
        for lv in ("primary", "junior"):
            is_lv = pc.fill_null(pc.equal(table.column("level"), lv), False)
            factor = pc.if_else(is_lv, pa.scalar((1.0 + rates[lv]) ** t), factor)
        table = table.set_column(
            table.column_names.index(name), name, _grown(table.column(name), factor, name)
        )
    return table


def _projected(
    role: str,
    table: pa.Table,
    rates: Mapping[str, float],
    t: int,
    projection: pa.Table | None,
    new_classes: bool = False,
) -> pa.Table:
    if t == 0:
        return table
    if role == "schools":
        for lv in ("primary", "junior", "senior"):
            columns = _LEVEL_COLUMNS[lv] + ((_CLASS_COLUMNS[new_classes][lv],) if lv != "senior" else ())
            table = _scaled(table, columns, (1.0 + rates[lv]) ** t)
        if projection is not None:
            table = _with_projection(table, projection, t)
        return table
    if role == "sections":
        return _scale_sections(table, rates, t, new_classes)
    if role == "kindergartens":
        return _scaled(table, _LEVEL_COLUMNS["preschool"], (1.0 + rates["preschool"]) ** t)
    return table


def _with_projection(table: pa.Table, projection: pa.Table, t: int) -> pa.Table:
    """Replace the students of the schools the projection table names for step ``t``."""
    p = projection.filter(pc.equal(projection.column("step"), t))
    if p.num_rows == 0:
        return table
    left = table.select(["school_id"]).append_column("_i", pa.array(np.arange(table.num_rows), pa.int64()))
    joined = left.join(p, keys="school_id", join_type="left outer").sort_by("_i")
    for name in ("students_primary", "students_junior"):
        if name in p.column_names:
            new = joined.column(name)
            old = (
                pc.cast(table.column(name), pa.float64())
                if name in table.column_names
                else pa.nulls(table.num_rows, pa.float64())
            )
            merged = pc.coalesce(pc.cast(new, pa.float64()), old)
            if name in table.column_names:
                table = table.set_column(table.column_names.index(name), name, merged)
            else:
                table = table.append_column(name, merged)
    return table


def _projection_table(projection: TableLike, base_year: int | None) -> pa.Table:
    loaded = load_table(projection, "projection")
    t = loaded.table
    aliases = {
        "学校标识码": "school_id",
        "年份": "year",
        "小学在校生数": "students_primary",
        "初中在校生数": "students_junior",
    }
    t = t.rename_columns([aliases.get(c.strip(), c.strip()) for c in t.column_names])
    missing = [c for c in ("school_id", "year") if c not in t.column_names]
    if missing or not ({"students_primary", "students_junior"} & set(t.column_names)):
        raise InputError(
            f"{loaded.label}: a projection table needs school_id (学校标识码), year (年份) and "
            f"students_primary (小学在校生数) and/or students_junior (初中在校生数); "
            f"found {', '.join(t.column_names)}",
            zh=f"{loaded.label}:预测表需要 学校标识码、年份,以及 小学在校生数 和/或 初中在校生数 列;"
            f"现有列:{'、'.join(t.column_names)}",
        )
    t = t.set_column(
        t.column_names.index("school_id"), "school_id", pc.cast(t.column("school_id"), pa.string())
    )
    try:
        year = pc.cast(t.column("year"), pa.int64())
        cols = {
            c: pc.cast(t.column(c), pa.float64())
            for c in ("students_primary", "students_junior")
            if c in t.column_names
        }
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(
            f"{loaded.label}: year and student counts must be numbers ({exc})",
            zh=f"{loaded.label}:年份和在校生数必须是数字",
        ) from None
    if base_year is None:
        raise InputError(
            "a projection table needs the data's year (give year=… or a 年份 column)",
            zh="使用预测表需要知道数据年份(请在数据中提供 年份 列)",
        )
    step = pc.subtract(year, base_year)
    return pa.table({"school_id": t.column("school_id"), "step": step, **cols})


def whatif(
    schools: TableLike | None = None,
    counties: TableLike | None = None,
    kindergartens: TableLike | None = None,
    *,
    growth: float | Mapping[str, float] = 0.0,
    years: int = 5,
    projection: TableLike | None = None,
    new_classes: bool = False,
    **options: Any,
) -> WhatIf:
    """Evaluate the inputs under projected enrolment for the next ``years`` years.

    ``growth`` is a yearly rate (0.03 = +3 %) for every level (senior-high students of
    twelve-year and complete middle schools included: they move the split of shared
    resources), or a mapping per level (``primary``, ``junior``, ``senior``,
    ``preschool``; a level not named stays as it is). ``projection`` is a table of projected
    students per school and year (``school_id``, ``year``, ``students_primary``,
    ``students_junior``) that replaces the growth for the schools and years it names.
    ``new_classes``: by default no class is opened, so each level's largest class grows
    with its students; ``True`` opens classes as students grow (class counts rounded up)
    and keeps the largest class as it is. Other keyword arguments go to
    :func:`eduscore.evaluate`.

    >>> import eduscore
    >>> w = whatif(**eduscore.demo_inputs(), growth=0.0, years=2)
    >>> w.flips.num_rows, w.verdicts.column("verdict").to_pylist()
    (0, ['not_certified', 'not_certified', 'not_certified'])
    """
    if not isinstance(years, int) or years < 1 or years > 50:
        raise InputError(
            f"years: {years!r} (expected a whole number of years from 1 to 50)",
            zh=f"预测年数 {years!r} 无效(应为 1 到 50 之间的整数)",
        )
    rates = _rates(growth)
    baseline = evaluate(schools, counties, kindergartens, **options)
    base_years = [y for y in baseline.verdicts.column("year").to_pylist() if y is not None]
    base_year = min(base_years) if base_years else options.get("year")
    proj = _projection_table(projection, base_year) if projection is not None else None
    results = [baseline]
    for t in range(1, years + 1):

        def adjust(role: str, table: pa.Table, t: int = t) -> pa.Table:
            return _projected(role, table, rates, t, proj, new_classes)

        results.append(evaluate(schools, counties, kindergartens, adjust=adjust, **options))
    verdicts = pa.concat_tables([_verdict_rows(r, t) for t, r in enumerate(results)])
    flips = _flips(results)
    return WhatIf(
        baseline=baseline,
        results=tuple(results),
        verdicts=verdicts,
        flips=flips,
        growth=rates,
        projection=str(projection)
        if projection is not None and not isinstance(projection, pa.Table)
        else None,
        new_classes=new_classes,
    )


def _verdict_rows(r: Result, step: int) -> pa.Table:
    v = r.verdicts
    year = pc.cast(v.column("year"), pa.int64())
    return pa.table(
        {
            "county_code": pc.cast(v.column("county_code"), pa.string()),
            "year": year,
            "step": pa.array(np.full(v.num_rows, step), pa.int64()),
            "projected_year": pc.add(year, step),
            "verdict": v.column("verdict"),
            "n_pass": v.column("n_pass"),
            "n_fail": v.column("n_fail"),
            "n_not_assessed": v.column("n_not_assessed"),
        }
    )


def _status_rows(r: Result) -> pa.Table:
    """Every check's status in one long table: sections, counties and CVs."""
    sc = r.section_checks
    d = r.dispersion
    c = r.checks.filter(pc.invert(pc.equal(r.checks.column("kind"), "dispersion_limit")))
    cv_ids = pc.binary_join_element_wise(pa.scalar("cv"), pc.cast(d.column("indicator"), pa.string()), ".")
    return pa.concat_tables(
        [
            _status_part(
                sc,
                "section",
                sc.column("unit_id"),
                sc.column("level"),
                sc.column("check_id"),
                sc.column("value"),
                sc.column("threshold"),
            ),
            _status_part(
                c,
                "county",
                None,
                pc.fill_null(pc.cast(c.column("level"), pa.string()), ""),
                c.column("check_id"),
                c.column("value"),
                c.column("threshold"),
            ),
            _status_part(d, "cv", None, d.column("level"), cv_ids, d.column("cv"), d.column("limit")),
        ]
    )


def _status_part(
    t: pa.Table,
    scope: str,
    unit_id: pa.ChunkedArray | None,
    level: pa.ChunkedArray,
    check_id: pa.ChunkedArray,
    value: pa.ChunkedArray,
    threshold: pa.ChunkedArray,
) -> pa.Table:
    n = t.num_rows
    return pa.table(
        {
            "county_code": pc.cast(t.column("county_code"), pa.string()),
            "year": pc.fill_null(pc.cast(t.column("year"), pa.int64()), _NO_YEAR),
            "scope": pa.array(np.full(n, scope, dtype=object), pa.string()),
            "unit_id": (
                pc.cast(unit_id, pa.string())
                if unit_id is not None
                else pa.array(np.full(n, "", dtype=object), pa.string())
            ),
            "level": pc.cast(level, pa.string()),
            "check_id": pc.cast(check_id, pa.string()),
            "status": pc.cast(t.column("status"), pa.string()),
            "value": pc.cast(value, pa.float64()),
            "threshold": pc.cast(threshold, pa.float64()),
        }
    )


_NO_YEAR = -1  # joins do not match missing keys: data without a year are joined on this
_KEYS = ["county_code", "year", "scope", "unit_id", "level", "check_id"]


def _flips(results: Sequence[Result]) -> pa.Table:
    base = _status_rows(results[0]).select([*_KEYS, "status"]).rename_columns([*_KEYS, "baseline_status"])
    changed: list[pa.Table] = []
    for step, r in enumerate(results[1:], start=1):
        now = _status_rows(r)
        joined = now.join(base, keys=_KEYS, join_type="full outer", use_threads=False)
        differ = pc.fill_null(
            pc.not_equal(
                pc.fill_null(joined.column("status"), "(none)"),
                pc.fill_null(joined.column("baseline_status"), "(none)"),
            ),
            True,
        )
        d = joined.filter(differ)
        changed.append(d.append_column("first_step", pa.array(np.full(d.num_rows, step), pa.int64())))
    if not changed:
        return FLIP_SCHEMA.empty_table()
    allc = pa.concat_tables(changed).sort_by(
        [*((k, "ascending") for k in _KEYS), ("first_step", "ascending")]
    )
    if allc.num_rows == 0:
        return FLIP_SCHEMA.empty_table()
    # The first step per check: the first row of each key run after sorting.
    key = pc.binary_join_element_wise(
        *(pc.fill_null(pc.cast(allc.column(k), pa.string()), "") for k in _KEYS), "\x1f"
    )
    codes, _ = dense_codes(key)
    out = allc.filter(pa.array(rank_in_runs(codes) == 0))
    year = pc.if_else(pc.equal(out.column("year"), _NO_YEAR), pa.scalar(None, pa.int64()), out.column("year"))
    out = out.set_column(out.column_names.index("year"), "year", year)
    out = out.append_column("first_year", pc.add(out.column("year"), out.column("first_step")))
    s = results[0].sections
    names = pa.table(
        {
            "unit_id": pc.cast(s.column("unit_id"), pa.string()),
            "school_name": pc.cast(s.column("school_name"), pa.string()),
        }
        if "school_name" in s.column_names
        else {"unit_id": pa.array([], pa.string()), "school_name": pa.array([], pa.string())}
    )
    out = out.join(names, keys="unit_id", join_type="left outer", use_threads=False)
    return out.select(FLIP_SCHEMA.names).cast(FLIP_SCHEMA)


# ---------------------------------------------------------------------------------------
# Several years of the same counties


@attrs.frozen
class YearComparison:
    """Evaluations of several years side by side.

    - ``verdicts`` — county × year: verdict (and the previous year's);
    - ``cv`` — county × level × indicator × year: CV, limit, status, change since the
      previous year evaluated;
    - ``sections`` — school sections whose six-of-seven (or other per-section rule)
      status changed from one year to the next: ``started_passing`` / ``stopped_passing``.
    """

    verdicts: pa.Table
    cv: pa.Table
    sections: pa.Table


def compare_years(*results: Result) -> YearComparison:
    """Compare evaluations of several years (one result holding several years, or many).

    >>> import eduscore
    >>> r = eduscore.evaluate(**eduscore.demo_inputs())
    >>> compare_years(r).cv.column_names[:4]
    ['county_code', 'level', 'indicator', 'year']
    """
    if not results:
        raise InputError("compare_years needs at least one result")
    verdicts = pa.concat_tables(
        [
            r.verdicts.select(["county_code", "year", "verdict"]).cast(
                pa.schema([("county_code", pa.string()), ("year", pa.int64()), ("verdict", pa.string())])
            )
            for r in results
        ]
    )
    verdicts = with_previous(verdicts, ["county_code"], ["verdict"])
    disp = pa.concat_tables(
        [
            r.dispersion.select(["county_code", "level", "indicator", "year", "cv", "limit", "status"]).cast(
                pa.schema(
                    [
                        ("county_code", pa.string()),
                        ("level", pa.string()),
                        ("indicator", pa.string()),
                        ("year", pa.int64()),
                        ("cv", pa.float64()),
                        ("limit", pa.float64()),
                        ("status", pa.string()),
                    ]
                )
            )
            for r in results
        ]
    )
    cv = cv_by_year(disp, ["county_code"])
    sections = _section_changes(results)
    return YearComparison(
        verdicts=verdicts.sort_by([("county_code", "ascending"), ("year", "ascending")]),
        cv=cv,
        sections=sections,
    )


def cv_by_year(dispersion: pa.Table, keys: Sequence[str], by: Sequence[str] = ()) -> pa.Table:
    """The CVs by year: ``dispersion`` rows (``keys``, level, indicator, year, cv, limit,
    status) with ``previous_year``, ``previous_cv``, ``previous_status`` and ``change``
    (the CV less the previous year's), sorted; the previous year as :func:`with_previous`
    finds it among the rows that share ``by``. Shared by :func:`compare_years` and
    :func:`eduscore.province.history.history`."""
    cv = with_previous(dispersion, [*keys, "level", "indicator"], ["cv", "status"], by=by)
    cv = cv.append_column("change", pc.subtract(cv.column("cv"), cv.column("previous_cv")))
    return cv.sort_by([(k, "ascending") for k in [*keys, "level", "indicator", "year"]])


def previous_years(t: pa.Table, by: Sequence[str] = ()) -> pa.Table:
    """Each distinct (``by``…, year) of ``t`` with ``previous_year``: the latest earlier year
    among the rows that share the ``by`` columns (all rows when ``by`` is empty), null for
    the first. Rows without a year have no previous year and are no one's."""
    pairs = t.select([*by, "year"]).filter(pc.is_valid(t.column("year")))
    pairs = pairs.group_by([*by, "year"], use_threads=False).aggregate([])
    pairs = pairs.sort_by([(c, "ascending") for c in [*by, "year"]])
    n = pairs.num_rows
    same = np.ones(max(n - 1, 0), dtype=bool)  # row i + 1 shares row i's ``by`` values
    for c in by:
        column = pairs.column(c)
        same &= np.asarray(
            pc.fill_null(pc.equal(column.slice(1), column.slice(0, max(n - 1, 0))), False).to_numpy(
                zero_copy_only=False
            ),
            dtype=bool,
        )
    take = (
        np.concatenate([[-1], np.where(same, np.arange(max(n - 1, 0)), -1)]) if n else np.zeros(0, np.int64)
    )
    years = pairs.column("year").combine_chunks()
    previous = pc.if_else(
        pa.array(take >= 0), years.take(pa.array(np.maximum(take, 0))), pa.scalar(None, years.type)
    )
    return pairs.append_column("previous_year", previous)


def with_previous(t: pa.Table, keys: Sequence[str], cols: Sequence[str], by: Sequence[str] = ()) -> pa.Table:
    """Append ``previous_year`` and ``previous_<col>`` from the row of the same ``keys`` in
    the previous year evaluated (:func:`previous_years` over ``by``: by default the
    previous year of the whole table; by county, the county's own previous year). A key
    absent from that year has no previous values."""
    t = t.join(previous_years(t, by), keys=[*by, "year"], join_type="left outer", use_threads=False)
    right = t.select([*keys, "year", *cols]).rename_columns(
        [*keys, "previous_year", *(f"previous_{c}" for c in cols)]
    )
    return t.join(right, keys=[*keys, "previous_year"], join_type="left outer", use_threads=False)


def _section_changes(results: Sequence[Result]) -> pa.Table:
    parts = []
    for r in results:
        rules = [c for c in r.sections.column_names if c.endswith("__status")]
        s = r.sections
        for col in rules:  # a handful of per-section rules
            parts.append(
                pa.table(
                    {
                        "county_code": pc.cast(s.column("county_code"), pa.string()),
                        "school_id": pc.cast(s.column("school_id"), pa.string()),
                        "school_name": pc.cast(s.column("school_name"), pa.string()),
                        "level": pc.cast(s.column("level"), pa.string()),
                        "rule": pa.array(
                            np.full(s.num_rows, col[: -len("__status")], dtype=object), pa.string()
                        ),
                        "year": pc.cast(s.column("year"), pa.int64()),
                        "status": pc.cast(s.column(col), pa.string()),
                    }
                )
            )
    if not parts:
        return pa.table({})
    allp = pa.concat_tables(parts)
    keyed = with_previous(allp, ["county_code", "school_id", "level", "rule"], ["status"])
    was, now = keyed.column("previous_status"), keyed.column("status")
    started = pc.and_(pc.equal(now, "pass"), pc.equal(was, "fail"))
    stopped = pc.and_(pc.equal(now, "fail"), pc.equal(was, "pass"))
    change = pc.if_else(started, "started_passing", pc.if_else(stopped, "stopped_passing", None))
    keyed = keyed.append_column("change", change)
    out = keyed.filter(pc.is_valid(keyed.column("change")))
    return out.sort_by([("county_code", "ascending"), ("school_id", "ascending"), ("year", "ascending")])
