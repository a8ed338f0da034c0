"""The code a user would write instead of eduscore: DuckDB SQL, polars, numpy.

Each baseline computes what eduscore's resource rules of quality-balance-2017 compute
from the wide ``schools`` table (docs/indicators.md, frameworks.md §1.3, §2.3):

* special-education schools are out of scope; every other school becomes one section
  per level it teaches, and a section without students is dropped;
* a nine-year, twelve-year or complete middle school shares its stock resources
  (floor areas, equipment, multimedia rooms) between its levels by students weighted
  1 (primary) : 1.1 (junior) : 1.32 (senior); teachers are counted per level;
* seven per-section values (teachers per 100 students, m² per student, …);
* six-of-seven per section: at least 6 of the 7 thresholds met and every missed one at
  85 % of its threshold or more (a value within 1e-9 relative of a threshold is at it);
* the student-weighted population CV of each value per county × level.

The weights, thresholds, the 6 and the 85 % are read from the framework document, as
eduscore reads them. :func:`check_equal` compares a baseline's output with eduscore's:
every CV to 1e-9 relative and every in-scope section's six-of-seven status.

Used by ``benchmarks/run.py`` (the timings) and ``tests/test_benchmark_baselines.py``
(the equality check, so the baselines cannot drift from the engine).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import eduscore

LEVELS = ("primary", "junior")
# Which school types teach a level (the data contract's school types).
TEACHES = {
    "primary": ("primary", "teaching_point", "nine_year", "twelve_year"),
    "junior": ("junior", "nine_year", "twelve_year", "complete_middle"),
}
SPANNING = ("nine_year", "twelve_year", "complete_middle")
# A value within this relative distance of a threshold is at it (eduscore's tolerance).
TOLERANCE = 1e-9
CV_RTOL = 1e-9
# CVs are compared relatively; a county with one section has CV 0 up to rounding
# (about 1e-16 of the mean), which no relative tolerance can compare.
CV_ATOL = 1e-12


@contextlib.contextmanager
def national_rules_only() -> Iterator[None]:
    """No plugin loaded (``EDUSCORE_PLUGINS=""``) while inside: the synthetic counties
    carry real province codes, and a province's installed rule set would change the rules
    the baselines encode (Hebei's scope, for one)."""
    from eduscore.plugins.registry import ENV_ALLOW, reset_registry

    before = os.environ.get(ENV_ALLOW)
    os.environ[ENV_ALLOW] = ""
    reset_registry()
    try:
        yield
    finally:
        if before is None:
            del os.environ[ENV_ALLOW]
        else:
            os.environ[ENV_ALLOW] = before
        reset_registry()


@dataclass(frozen=True)
class Indicator:
    id: str
    column: str  # the numerator column (per level: column + "_primary" / "_junior")
    factor: float  # 100 for "per 100 students"
    per_level: bool  # teacher counts come per level; stock resources are shared
    threshold: dict[str, float]


@dataclass(frozen=True)
class Rules:
    indicators: tuple[Indicator, ...]
    weights: dict[str, float]  # split weights primary / junior / senior
    min_met: int
    floor_ratio: float


def load_rules(framework: str = "quality-balance-2017") -> Rules:
    """The resource rules, read from the framework document."""
    fw = eduscore.load_framework(framework)
    six = next(r for r in fw.rules if r.kind == "count_met_with_floor")
    assert fw.split is not None and six.min_met is not None and six.floor_ratio is not None
    shared = set(fw.split.shared)
    indicators = []
    for ind_id in six.indicators:
        ind = fw.indicator(ind_id)
        m = re.fullmatch(r"(\w+) / students(?: \* (\d+))?", ind.formula)
        assert m is not None and ind.threshold is not None, ind.formula
        indicators.append(
            Indicator(
                id=ind.id,
                column=m[1],
                factor=float(m[2] or 1),
                per_level=m[1] not in shared,
                threshold={lv: float(ind.threshold.for_level(lv)) for lv in LEVELS},
            )
        )
    return Rules(tuple(indicators), dict(fw.split.weights), six.min_met, six.floor_ratio)


# ------------------------------------------------------------------------------ DuckDB


def _sql_list(items: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{t}'" for t in items) + ")"


def duckdb_sections_sql(rules: Rules) -> str:
    """One plain query: per-level rows, per-section values and the six-of-seven status."""
    w = rules.weights
    shares = {
        "primary": "CASE school_type WHEN 'nine_year' THEN wa / (wa + wb) "
        "WHEN 'twelve_year' THEN wa / (wa + wb + wc) ELSE 1 END",
        "junior": "CASE school_type WHEN 'nine_year' THEN wb / (wa + wb) "
        "WHEN 'twelve_year' THEN wb / (wa + wb + wc) WHEN 'complete_middle' THEN wb / (wb + wc) ELSE 1 END",
    }
    branches = []
    for level in LEVELS:
        cols = [f"students_{level} AS students"]
        for ind in rules.indicators:
            source = f"{ind.column}_{level}" if ind.per_level else f"{ind.column} * share"
            cols.append(f"{source} / students_{level} * {ind.factor:g} AS {ind.id}")
        branches.append(
            f"""  SELECT county_code, school_id, '{level}' AS level, {", ".join(cols)}
  FROM (SELECT *, {shares[level]} AS share FROM s)
  WHERE school_type IN {_sql_list(TEACHES[level])} AND students_{level} > 0"""
        )

    def threshold(ind: Indicator) -> str:
        p, j = ind.threshold["primary"], ind.threshold["junior"]
        return f"(CASE level WHEN 'primary' THEN {p:g} ELSE {j:g} END)"

    misses = " + ".join(
        f"coalesce(({ind.id} < {threshold(ind)} * {1 - TOLERANCE!r})::INT, 0)" for ind in rules.indicators
    )
    below = " OR ".join(
        f"coalesce({ind.id} < {threshold(ind)} * {rules.floor_ratio * (1 - TOLERANCE)!r}, false)"
        for ind in rules.indicators
    )
    unknown = " OR ".join(f"{ind.id} IS NULL" for ind in rules.indicators)
    allowed = len(rules.indicators) - rules.min_met
    return f"""WITH s AS (
  SELECT *, coalesce(students_primary, 0) * {w["primary"]:g} AS wa,
            coalesce(students_junior, 0) * {w["junior"]:g} AS wb,
            coalesce(students_senior, 0) * {w["senior"]:g} AS wc
  FROM schools WHERE school_type <> 'special'
),
v AS (
{chr(10).join(branches[:1])}
  UNION ALL
{chr(10).join(branches[1:])}
)
SELECT *,
  CASE WHEN ({below}) OR ({misses}) > {allowed} THEN 'fail'
       WHEN {unknown} THEN 'not_assessed' ELSE 'pass' END AS six_of_seven
FROM v"""


def duckdb_cv_sql(rules: Rules, two_pass: bool = True) -> str:
    """Student-weighted mean and CV of all seven values in ONE group-by.

    One pass: Var = Σw·x²/Σw − mean². Two pass: the means first, joined back, then
    Σw·(x − mean)²/Σw."""
    if not two_pass:
        cvs = []
        for ind in rules.indicators:
            x = ind.id
            mean = f"sum(students * {x}) / sum(students)"
            cvs.append(
                f"  sqrt(greatest(sum(students * {x} * {x}) / sum(students) - ({mean}) ** 2, 0)) / ({mean}) AS {x}"
            )
        return (
            "SELECT county_code, level,\n" + ",\n".join(cvs) + "\nFROM sections GROUP BY county_code, level"
        )
    means = ",\n".join(f"  sum(students * {i.id}) / sum(students) AS m_{i.id}" for i in rules.indicators)
    cvs = ",\n".join(
        f"  sqrt(sum(students * ({i.id} - m_{i.id}) ** 2) / any_value(p)) / any_value(m_{i.id}) AS {i.id}"
        for i in rules.indicators
    )
    return f"""WITH m AS (
SELECT county_code, level, sum(students) AS p,
{means}
FROM sections GROUP BY county_code, level
)
SELECT county_code, level,
{cvs}
FROM sections JOIN m USING (county_code, level) GROUP BY county_code, level"""


class DuckDBBaseline:
    """The sections query fetched as an Arrow table (the per-section values and statuses
    a user keeps), then the CV group-by over that table."""

    def __init__(self, schools: pa.Table, rules: Rules, two_pass: bool = True) -> None:
        import duckdb

        self.con = duckdb.connect()
        self.con.register("schools", schools)
        self.sections_sql = duckdb_sections_sql(rules)
        self.cv_sql = duckdb_cv_sql(rules, two_pass)

    def __call__(self) -> tuple[pa.Table, pa.Table]:
        sections = self.con.sql(self.sections_sql).to_arrow_table()
        self.con.register("sections", sections)
        try:
            cv = self.con.sql(self.cv_sql).to_arrow_table()
        finally:
            self.con.unregister("sections")
        return cv, sections.select(["county_code", "level", "school_id", "six_of_seven"])


# ------------------------------------------------------------------------------ polars


def polars_lazy(schools: Any, rules: Rules, two_pass: bool = True) -> tuple[Any, Any]:
    """The same logic as a polars lazy query; ``schools`` is a polars DataFrame."""
    import polars as pl

    col, lit = pl.col, pl.lit
    w = rules.weights
    s = (
        schools.lazy()
        .filter(col("school_type") != "special")
        .with_columns(
            wa=col("students_primary").fill_null(0) * w["primary"],
            wb=col("students_junior").fill_null(0) * w["junior"],
            wc=col("students_senior").fill_null(0) * w["senior"],
        )
    )
    kind = col("school_type")
    shares = {
        "primary": pl.when(kind == "nine_year")
        .then(col("wa") / (col("wa") + col("wb")))
        .when(kind == "twelve_year")
        .then(col("wa") / (col("wa") + col("wb") + col("wc")))
        .otherwise(1.0),
        "junior": pl.when(kind == "nine_year")
        .then(col("wb") / (col("wa") + col("wb")))
        .when(kind == "twelve_year")
        .then(col("wb") / (col("wa") + col("wb") + col("wc")))
        .when(kind == "complete_middle")
        .then(col("wb") / (col("wb") + col("wc")))
        .otherwise(1.0),
    }
    parts = []
    for level in LEVELS:
        students = col(f"students_{level}")
        values = [
            (
                (col(f"{i.column}_{level}") if i.per_level else col(i.column) * shares[level])
                / students
                * i.factor
            )
            .cast(pl.Float64)
            .alias(i.id)
            for i in rules.indicators
        ]
        parts.append(
            s.filter(kind.is_in(TEACHES[level]) & (students > 0)).select(
                "county_code", "school_id", lit(level).alias("level"), students.alias("students"), *values
            )
        )
    v = pl.concat(parts)

    def threshold(i: Indicator) -> pl.Expr:
        return (
            pl.when(col("level") == "primary").then(i.threshold["primary"]).otherwise(i.threshold["junior"])
        )

    misses = pl.sum_horizontal(
        [
            (col(i.id) < threshold(i) * (1 - TOLERANCE)).fill_null(False).cast(pl.Int32)
            for i in rules.indicators
        ]
    )
    below = pl.any_horizontal(
        [
            (col(i.id) < threshold(i) * (rules.floor_ratio * (1 - TOLERANCE))).fill_null(False)
            for i in rules.indicators
        ]
    )
    unknown = pl.any_horizontal([col(i.id).is_null() for i in rules.indicators])
    status = (
        pl.when(below | (misses > len(rules.indicators) - rules.min_met))
        .then(lit("fail"))
        .when(unknown)
        .then(lit("not_assessed"))
        .otherwise(lit("pass"))
    )
    six = v.select("county_code", "level", "school_id", status.alias("six_of_seven"))
    p = col("students")
    if not two_pass:
        aggs = []
        for i in rules.indicators:
            mean = (p * col(i.id)).sum() / p.sum()
            var = ((p * col(i.id) ** 2).sum() / p.sum() - mean**2).clip(lower_bound=0)
            aggs.append((var.sqrt() / mean).alias(i.id))
        cv = v.group_by("county_code", "level").agg(aggs)
    else:
        means = v.group_by("county_code", "level").agg(
            p.sum().alias("_p"),
            *[((p * col(i.id)).sum() / p.sum()).alias(f"_m_{i.id}") for i in rules.indicators],
        )
        cv = (
            v.join(means, on=["county_code", "level"])
            .group_by("county_code", "level")
            .agg(
                [
                    (
                        ((p * (col(i.id) - col(f"_m_{i.id}")) ** 2).sum() / col("_p").first()).sqrt()
                        / col(f"_m_{i.id}").first()
                    ).alias(i.id)
                    for i in rules.indicators
                ]
            )
        )
    cv_out, six_out = pl.collect_all([cv, six])
    return cv_out, six_out


# ------------------------------------------------------------------------------ numpy


def _np(column: pa.ChunkedArray | pa.Array, dtype: Any = np.float64) -> np.ndarray:
    return np.asarray(pc.fill_null(column, 0).to_numpy(), dtype=dtype)


def numpy_floor(schools: pa.Table, rules: Rules) -> tuple[dict[str, Any], dict[str, Any]]:
    """The floor: integer county × level codes and ``np.bincount`` (two-pass CV).

    Assumes no missing values in the resource columns (the synthetic data has none);
    pyarrow only dictionary-encodes the two string keys."""
    kind = pc.dictionary_encode(schools.column("school_type")).combine_chunks()
    names = kind.dictionary.to_pylist()
    kind_code = kind.indices.to_numpy()

    def is_type(types: tuple[str, ...]) -> np.ndarray:
        return np.isin(kind_code, [names.index(t) for t in types if t in names])

    county = pc.dictionary_encode(schools.column("county_code")).combine_chunks()
    county_code, n_counties = county.indices.to_numpy(), len(county.dictionary)
    w = rules.weights
    wa = _np(schools.column("students_primary")) * w["primary"]
    wb = _np(schools.column("students_junior")) * w["junior"]
    wc = _np(schools.column("students_senior")) * w["senior"]
    nine, twelve, middle = (kind_code == names.index(t) if t in names else False for t in SPANNING)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = {
            "primary": np.where(nine, wa / (wa + wb), np.where(twelve, wa / (wa + wb + wc), 1.0)),
            "junior": np.where(
                nine,
                wb / (wa + wb),
                np.where(twelve, wb / (wa + wb + wc), np.where(middle, wb / (wb + wc), 1.0)),
            ),
        }
    shared = {i.column: _np(schools.column(i.column)) for i in rules.indicators if not i.per_level}
    rows, group, level_of, values, weights = [], [], [], [], []
    for li, level in enumerate(LEVELS):
        students = _np(schools.column(f"students_{level}"))
        keep = np.flatnonzero(is_type(TEACHES[level]) & (students > 0))
        p = students[keep]
        weights.append(p)
        cols = []
        for i in rules.indicators:
            num = (
                _np(schools.column(f"{i.column}_{level}"))[keep]
                if i.per_level
                else shared[i.column][keep] * share[level][keep]
            )
            cols.append(num / p * i.factor)
        rows.append(keep)
        group.append(county_code[keep] * 2 + li)
        level_of.append(np.full(len(keep), li, dtype=np.int8))
        values.append(np.column_stack(cols))
    row, key, lvl = np.concatenate(rows), np.concatenate(group), np.concatenate(level_of)
    x = np.concatenate(values)
    p = np.concatenate(weights)
    # six-of-seven
    th = np.array([[i.threshold[lv] for i in rules.indicators] for lv in LEVELS])[lvl]
    missed = x < th * (1 - TOLERANCE)
    below = x < th * (rules.floor_ratio * (1 - TOLERANCE))
    fail = below.any(axis=1) | (missed.sum(axis=1) > len(rules.indicators) - rules.min_met)
    # CV of all seven values per county × level: bincount over key × indicator at once
    groups = n_counties * 2
    k = len(rules.indicators)
    total = np.bincount(key, weights=p, minlength=groups)
    flat_key = (key[:, None] * k + np.arange(k)).ravel()
    wx = np.bincount(flat_key, weights=(p[:, None] * x).ravel(), minlength=groups * k).reshape(groups, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = wx / total[:, None]
        d = x - mean[key]
        wd = np.bincount(flat_key, weights=(p[:, None] * d).ravel(), minlength=groups * k).reshape(groups, k)
        wdd = np.bincount(flat_key, weights=(p[:, None] * d * d).ravel(), minlength=groups * k).reshape(
            groups, k
        )
        var = np.maximum((wdd - wd * wd / total[:, None]) / total[:, None], 0.0)
        cv = np.where(mean != 0, np.sqrt(var) / np.abs(mean), np.nan)
    present = total > 0
    cvs = {"counties": county.dictionary, "group": np.flatnonzero(present), "cv": cv[present]}
    six = {"counties": county.dictionary, "county": key // 2, "level": lvl, "row": row, "fail": fail}
    return cvs, six


# ------------------------------------------------------------------ the equality check


def eduscore_reference(result: Any) -> tuple[pa.Table, pa.Table]:
    """eduscore's CVs (long) and in-scope six-of-seven statuses, for the comparison."""
    disp = result.dispersion
    disp = disp.filter(pc.not_equal(disp.column("indicator"), "mean_of_cvs"))
    cv = disp.select(["county_code", "level", "indicator", "cv"])
    sec = result.sections.filter(result.sections.column("in_scope"))
    six = pa.table(
        {
            "county_code": sec.column("county_code"),
            "level": sec.column("level"),
            "school_id": sec.column("school_id"),
            "status": pc.cast(sec.column("school_six_of_seven__status"), pa.string()),
        }
    )
    return cv, six


def normalise(name: str, output: Any, schools: pa.Table, rules: Rules) -> tuple[pa.Table, pa.Table]:
    """A baseline's output as the long tables :func:`eduscore_reference` gives."""
    ids = [i.id for i in rules.indicators]
    if isinstance(output[0], dict):  # numpy_floor
        cvs, six = output
        g = cvs["group"]
        county = cvs["counties"].take(pa.array(np.repeat(g // 2, len(ids))))
        level = pa.array(np.array(LEVELS)[np.repeat(g % 2, len(ids))])
        cv = pa.table(
            {
                "county_code": county,
                "level": level,
                "indicator": pa.array(np.tile(ids, len(g))),
                "cv": pa.array(cvs["cv"].ravel(), from_pandas=True),
            }
        )
        statuses = pa.table(
            {
                "county_code": six["counties"].take(pa.array(six["county"])),
                "level": pa.array(np.array(LEVELS)[six["level"]]),
                "school_id": schools.column("school_id").take(pa.array(six["row"])),
                "status": pa.array(np.where(six["fail"], "fail", "pass")),
            }
        )
        return cv, statuses
    cv_wide, six = output
    if not isinstance(cv_wide, pa.Table):  # polars
        cv_wide, six = cv_wide.to_arrow(), six.to_arrow()
    parts = []
    for ind in ids:
        part = cv_wide.select(["county_code", "level", ind]).rename_columns(["county_code", "level", "cv"])
        parts.append(part.append_column("indicator", pa.array([ind] * part.num_rows, pa.string())))
    cv = pa.concat_tables([p.cast(parts[0].schema) for p in parts])
    cv = cv.select(["county_code", "level", "indicator", "cv"])
    six = six.rename_columns(["county_code", "level", "school_id", "status"])
    return cv, six


def _to_string(table: pa.Table) -> pa.Table:
    return pa.table(
        {
            n: pc.cast(c, pa.string()) if not pa.types.is_floating(c.type) else c
            for n, c in zip(table.column_names, table.columns, strict=True)
        }
    )


def check_equal(name: str, output: Any, result: Any, schools: pa.Table, rules: Rules) -> str:
    """Raise AssertionError unless the baseline gives eduscore's CVs and statuses."""
    ref_cv, ref_six = eduscore_reference(result)
    cv, six = (_to_string(t) for t in normalise(name, output, schools, rules))
    ref_cv, ref_six = _to_string(ref_cv), _to_string(ref_six)
    keys = ["county_code", "level", "indicator"]
    joined = ref_cv.join(cv, keys, join_type="full outer", left_suffix="_es", right_suffix="_bl")
    assert joined.num_rows == ref_cv.num_rows == cv.num_rows, (
        f"{name}: {cv.num_rows} CVs, eduscore {ref_cv.num_rows}, {joined.num_rows} after joining"
    )
    a = joined.column("cv_es").to_numpy(zero_copy_only=False)
    b = joined.column("cv_bl").to_numpy(zero_copy_only=False)
    a = np.where(np.isfinite(a), a, np.nan)
    b = np.where(np.isfinite(b), b, np.nan)
    close = np.isclose(a, b, rtol=CV_RTOL, atol=CV_ATOL, equal_nan=True)
    if not close.all():
        bad = np.flatnonzero(~close)
        rows = joined.take(pa.array(bad[:3])).to_pylist()
        raise AssertionError(f"{name}: {len(bad)} CVs differ from eduscore's, e.g. {rows}")
    rel = np.abs(a - b) / np.maximum(np.abs(a), 1e-300)
    worst = float(np.nanmax(np.where(np.abs(a) > CV_ATOL, rel, 0.0))) if len(a) else 0.0
    keys = ["county_code", "level", "school_id"]
    joined = ref_six.join(six, keys, join_type="full outer", left_suffix="_es", right_suffix="_bl")
    assert joined.num_rows == ref_six.num_rows == six.num_rows, (
        f"{name}: {six.num_rows} sections, eduscore {ref_six.num_rows} in scope, {joined.num_rows} after joining"
    )
    same = pc.fill_null(pc.equal(joined.column("status_es"), joined.column("status_bl")), False)
    if not pc.all(same).as_py():
        bad = joined.filter(pc.invert(same))
        raise AssertionError(
            f"{name}: {bad.num_rows} six-of-seven statuses differ from eduscore's, e.g. {bad.slice(0, 3).to_pylist()}"
        )
    return (
        f"{name}: {cv.num_rows:,} CVs equal (worst relative difference {worst:.1e}), "
        f"{six.num_rows:,} six-of-seven statuses equal"
    )


if __name__ == "__main__":  # print the DuckDB baseline's SQL (docs/performance.md shows it)
    rules = load_rules()
    print(f"-- sections\n{duckdb_sections_sql(rules)};\n\n-- CVs\n{duckdb_cv_sql(rules)};")
