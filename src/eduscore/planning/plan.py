"""What it takes to pass: per-section additions and the CV remediation (issue #7).

For the per-student resource indicators of a framework (``resource / students [* k]``,
read from the parsed formula by :func:`~eduscore.model.formula.per_student_terms`, with
``>=``, e.g. teachers per 100 students, m² per student, yuan per student):

1. **Six-of-seven** (``count_met_with_floor``). A section that fails the rule must
   meet every indicator but at most ``n − min_met`` of them, and those at least at
   ``floor_ratio`` × threshold. Raising indicator *i* to its threshold costs
   ``full_i`` units, to the floor ``floor_i`` units (in the indicator's own units,
   whole teachers and rooms rounded up). The cheapest choice leaves at the floor the
   ``n − min_met`` indicators with the largest saving ``full_i − floor_i`` (times the
   user's price per unit); with no prices, the saving is measured as a share of the
   threshold quantity, so no price is invented.

2. **CV remediation.** For a county × level × indicator whose student-weighted CV is
   above its limit, the minimum total addition that brings the CV to the limit raises
   every section below a common floor ``c`` to ``c`` (“water-filling”). It is optimal
   (docs/planning.md gives the proof): the cost of any addition is ``N/k`` times the
   rise of the weighted mean; for a given mean, ``max(x, c)`` has the least variance
   of all ``y ≥ x`` (KKT conditions of a convex quadratic programme); and the CV of
   ``max(x, c)`` falls strictly as ``c`` rises. So the least ``c`` whose CV meets the
   limit gives the least mean, hence the least total. Whole units (teachers, rooms)
   are rounded up, which costs at most one unit per receiving section more than the
   continuous optimum.

Everything is computed for all counties at once with numpy over dense codes; the only
Python loops run over the framework's indicators and a few rounding passes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eduscore.engine.dispersion import dense_codes, grouped_cv
from eduscore.errors import InputError
from eduscore.model import contract
from eduscore.model.formula import per_student_terms, plain_column
from eduscore.model.framework import Framework, Rule
from eduscore.planning.arrays import bools, decoded, floats, lookup
from eduscore.result import Result

_INT_COLUMNS = {c.name for c in (*contract.SCHOOLS, *contract.SECTIONS) if c.type == "int"}
_SHARED = {name for name, _, _ in contract.SHARED_RESOURCES}
_ZH_NAMES = {c.name: c.zh for c in (*contract.SCHOOLS, *contract.SECTIONS)}
_MAX_ROUNDS = 64  # rounding / spill-over passes; each only adds, and a pass is vectorised


@attrs.frozen
class Resource:
    """How a per-student indicator is made: ``resource / students * per``."""

    indicator: str
    resource: str
    per: float
    whole: bool  # counted in whole units (teachers, rooms): additions are rounded up

    @property
    def name_zh(self) -> str:
        return _ZH_NAMES.get(self.resource, self.resource)


def resources(fw: Framework) -> dict[str, Resource]:
    """The per-student ``>=`` indicators of ``fw`` whose gap is a quantity of one input.

    >>> import eduscore
    >>> sorted(resources(eduscore.load_framework("quality-balance-2017")))[:2]
    ['backbone_teachers_per_100', 'equipment_value_per_student']
    """
    found: dict[str, Resource] = {}
    for ind in fw.indicators:
        terms = per_student_terms(ind.formula)
        if terms is not None and ind.comparator in (">=", ">"):
            whole = bool(ind.round_up) or terms.resource in _INT_COLUMNS
            found[ind.id] = Resource(ind.id, terms.resource, terms.per, whole)
    return found


@attrs.frozen
class Cells:
    """The county × year × level cells of a table's rows, the groups a CV is taken over."""

    code: np.ndarray  # (rows,) dense cell number of each row, first seen first
    keys: pa.Table  # (cells,) county_code, year (int64, null without a year), level

    def __len__(self) -> int:
        return int(self.keys.num_rows)


def cells(table: pa.Table) -> Cells:
    """Number the county × year × level cells of ``table`` (columns ``county_code``,
    ``year``, ``level``) densely, with each cell's key columns taken from its first row.

    >>> c = cells(pa.table({"county_code": ["1", "1", "2"], "year": [2024, 2024, None], "level": ["a"] * 3}))
    >>> c.code.tolist(), c.keys.column("year").to_pylist()
    ([0, 0, 1], [2024, None])
    """
    county = pc.cast(table.column("county_code"), pa.string())
    year = pc.cast(table.column("year"), pa.int64())
    level = pc.cast(table.column("level"), pa.string())
    key = pc.binary_join_element_wise(
        county, pc.fill_null(pc.cast(year, pa.string()), ""), pc.fill_null(level, ""), "|"
    )
    code, _ = dense_codes(key)
    _, first = np.unique(code, return_index=True)  # every code occurs: its first row, in code order
    take = pa.array(first, pa.int64())
    keys = pa.table({"county_code": county.take(take), "year": year.take(take), "level": level.take(take)})
    return Cells(code, keys)


# ---------------------------------------------------------------------------------------
# The section × indicator matrix


@attrs.frozen
class _Matrix:
    """Sections (rows) × resource indicators (columns) with what the plan needs."""

    units: pa.Table  # unit_id, county_code, year, level, school_id, school_name, students, split_share
    indicators: tuple[Resource, ...]
    value: np.ndarray  # (n, m) indicator values, nan where missing
    threshold: np.ndarray  # (n, m)
    students: np.ndarray  # (n,)
    share: np.ndarray  # (n,) split share; nan for long input (no spill-over)
    in_scope: np.ndarray  # (n,) bool


def _matrix(result: Result, res: Mapping[str, Resource]) -> _Matrix:
    s = result.sections
    ids = [i for i in res if i in s.column_names]
    cols = ["unit_id", "county_code", "year", "level", "school_id", "school_name", "students", "split_share"]
    units = s.select([c for c in cols if c in s.column_names])
    n, m = s.num_rows, len(ids)
    value = np.full((n, m), np.nan)
    threshold = np.full((n, m), np.nan)
    unit_code, unit_values = dense_codes(s.column("unit_id"))
    order = np.empty(len(unit_values), dtype=np.int64)
    order[unit_code] = np.arange(n)  # unit value index → row of s
    sc = result.section_checks
    sc = sc.filter(pc.is_in(sc.column("check_id"), pa.array(ids, pa.string())))
    if sc.num_rows:
        # Map each check row to its section row through the sections' unit dictionary.
        pos = pc.index_in(sc.column("unit_id"), unit_values)
        ok = pc.is_valid(pos)
        sc, pos = sc.filter(ok), pc.filter(pos, ok)
        rows = order[np.asarray(pos.to_numpy(zero_copy_only=False), dtype=np.int64)]
        col_code = np.asarray(
            pc.index_in(sc.column("check_id"), pa.array(ids)).to_numpy(zero_copy_only=False), dtype=np.int64
        )
        value[rows, col_code] = floats(sc.column("value"))
        threshold[rows, col_code] = floats(sc.column("threshold"))
    return _Matrix(
        units=units,
        indicators=tuple(res[i] for i in ids),
        value=value,
        threshold=threshold,
        students=floats(s.column("students")) if "students" in s.column_names else np.full(n, np.nan),
        share=floats(s.column("split_share")) if "split_share" in s.column_names else np.full(n, np.nan),
        in_scope=np.asarray(pc.fill_null(s.column("in_scope"), False).to_numpy(zero_copy_only=False), bool),
    )


def _pick(codes: np.ndarray, values: list[Any]) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(codes, pa.int64()))


def round_up_cents(x: np.ndarray) -> np.ndarray:
    """Continuous quantities (m², yuan) rounded up to 0.01: no float noise in a plan, and
    never less than needed."""
    with np.errstate(invalid="ignore"):
        out: np.ndarray = np.ceil(np.maximum(x, 0.0) * 100.0 - 1e-6) / 100.0
    return out


# ---------------------------------------------------------------------------------------
# CV remediation: water-filling


def water_fill(
    group: np.ndarray, x: np.ndarray, w: np.ndarray, limit: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """The least common floor per group whose ``max(x, floor)`` has a weighted CV ≤ limit.

    ``group`` are dense codes (``0 … n_groups-1``), ``x`` values, ``w`` positive weights,
    ``limit`` the CV limit per group. Returns ``(floor per group, new values)``; a group
    already within its limit keeps ``floor = min(x)`` and its values. Vectorised over
    all groups: sort by (group, x); at every breakpoint ``c = x_j`` the CV of
    ``max(x, c)`` follows from prefix and suffix sums; the floor lies in the segment
    after the last breakpoint still above the limit, found by bisection on the closed
    form ``W_B c² + Q_A − (1 + L²)(W_B c + S_A)² ≤ 0`` (all sums over total weight).
    """
    order = np.lexsort((x, group))
    g, xs, ws = group[order], x[order], w[order]
    total = np.bincount(g, weights=ws, minlength=n_groups)
    start = np.searchsorted(g, np.arange(n_groups))
    cw = np.cumsum(ws)
    cwx = np.cumsum(ws * xs)
    cwxx = np.cumsum(ws * xs * xs)
    base_w = np.where(start > 0, cw[np.maximum(start - 1, 0)], 0.0)[g]
    base_wx = np.where(start > 0, cwx[np.maximum(start - 1, 0)], 0.0)[g]
    base_wxx = np.where(start > 0, cwxx[np.maximum(start - 1, 0)], 0.0)[g]
    tot_wx = np.bincount(g, weights=ws * xs, minlength=n_groups)[g]
    tot_wxx = np.bincount(g, weights=ws * xs * xs, minlength=n_groups)[g]
    tw = total[g]
    # Below set at breakpoint j: the group's rows up to and including j.
    a = (cw - base_w) / tw
    s = (tot_wx - (cwx - base_wx)) / tw
    q = (tot_wxx - (cwxx - base_wxx)) / tw
    lim = limit[g] * (1.0 - 1e-10)  # land strictly inside the limit the engine tests
    k = 1.0 + lim * lim

    def excess(c: np.ndarray, a: np.ndarray, s: np.ndarray, q: np.ndarray, k: np.ndarray) -> np.ndarray:
        mean = a * c + s
        out: np.ndarray = (a * c * c + q) - k * mean * mean
        return out  # variance − L² mean² (≤ 0 meets the limit)

    above = excess(xs, a, s, q, k) > 0.0
    # Last breakpoint per group still above the limit (the CV falls as c rises).
    idx = np.arange(len(xs))
    last = np.full(n_groups, -1, dtype=np.int64)
    np.maximum.at(last, g[above], idx[above])
    floor = np.full(n_groups, np.nan)
    first_x = np.where(start < len(xs), xs[np.minimum(start, len(xs) - 1)], np.nan)
    floor[:] = first_x
    needs = last >= 0
    j = last[needs]
    lo = xs[j].copy()
    end = np.searchsorted(g, np.arange(n_groups), side="right")[needs] - 1
    hi = np.where(j < end, xs[np.minimum(j + 1, len(xs) - 1)], xs[end])
    aj, sj, qj, kj = a[j], s[j], q[j], k[j]
    for _ in range(200):  # bisection in the segment; f(lo) > 0 ≥ f(hi)
        mid = 0.5 * (lo + hi)
        bad = excess(mid, aj, sj, qj, kj) > 0
        lo = np.where(bad, mid, lo)
        hi = np.where(bad, hi, mid)
        if np.all(hi - lo <= 1e-13 * np.maximum(np.abs(hi), 1.0)):
            break
    floor[needs] = hi
    new = x.copy()
    target = floor[group]
    raise_ = needs[group] & (x < target)
    new[raise_] = target[raise_]
    return floor, new


def weighted_cv(group: np.ndarray, x: np.ndarray, w: np.ndarray, n_groups: int) -> np.ndarray:
    """Student-weighted CV per group, computed as the engine computes it."""
    return grouped_cv(group, w, x, n_groups)[3]


# ---------------------------------------------------------------------------------------
# The plan


GAP_SCHEMA = pa.schema(
    [
        ("county_code", pa.string()),
        ("year", pa.int64()),
        ("unit_id", pa.string()),
        ("school_id", pa.string()),
        ("school_name", pa.string()),
        ("level", pa.string()),
        ("indicator", pa.string()),
        ("resource", pa.string()),
        ("resource_zh", pa.string()),
        ("students", pa.float64()),
        ("value", pa.float64()),
        ("threshold", pa.float64()),
        ("floor", pa.float64()),
        ("to_threshold", pa.float64()),
        ("to_floor", pa.float64()),
        ("action", pa.string()),
        ("for_six_of_seven", pa.float64()),
        ("for_cv", pa.float64()),
        ("addition", pa.float64()),
        ("value_after", pa.float64()),
        ("cost", pa.float64()),
    ]
)

CV_PLAN_SCHEMA = pa.schema(
    [
        ("county_code", pa.string()),
        ("year", pa.int64()),
        ("level", pa.string()),
        ("indicator", pa.string()),
        ("resource", pa.string()),
        ("resource_zh", pa.string()),
        ("limit", pa.float64()),
        ("cv", pa.float64()),
        ("cv_after_school_additions", pa.float64()),
        ("floor", pa.float64()),
        ("continuous_minimum", pa.float64()),
        ("total_addition", pa.float64()),
        ("n_sections", pa.int64()),
        ("cv_after", pa.float64()),
        ("cost", pa.float64()),
    ]
)

CHECK_GAP_SCHEMA = pa.schema(
    [
        ("county_code", pa.string()),
        ("year", pa.int64()),
        ("unit_id", pa.string()),
        ("school_id", pa.string()),
        ("school_name", pa.string()),
        ("level", pa.string()),
        ("check_id", pa.string()),
        ("name_zh", pa.string()),
        ("name_en", pa.string()),
        ("column", pa.string()),
        ("column_zh", pa.string()),
        ("value", pa.float64()),
        ("threshold", pa.float64()),
        ("comparator", pa.string()),
        ("change", pa.float64()),
        ("direction", pa.string()),
        ("in_plan", pa.bool_()),
    ]
)

INPUT_ADDITIONS_SCHEMA = pa.schema(
    [
        ("county_code", pa.string()),
        ("year", pa.int64()),
        ("school_id", pa.string()),
        ("school_name", pa.string()),
        ("level", pa.string()),
        ("column", pa.string()),
        ("column_zh", pa.string()),
        ("addition", pa.float64()),
    ]
)


@attrs.frozen
class Plan:
    """What it takes to pass, for every county of a :class:`Result`.

    - ``gaps`` — section × indicator: value, threshold, the 85 % floor, the additions
      to reach each (``to_threshold``, ``to_floor``), the chosen ``action``
      (``meet``, ``floor`` or ``none`` for six-of-seven; CV additions beside), the
      addition for six-of-seven, for the CV, in all, the value after and its cost;
    - ``cv`` — county × level × indicator over its CV limit: the floor every section
      is raised to, the total addition, the sections receiving, the CV after;
    - ``checks`` — the other failing per-section thresholds (music and art rooms,
      room areas, school and class size, …): the change that meets each, ``add`` or
      ``reduce``; additions to a plain input column (rooms, m²) are ``in_plan`` and
      applied, reductions (students, class size) are reported, not applied;
    - ``schools`` — the additions as input columns of the schools table (per level
      for teacher counts; shared stock such as m², yuan and rooms once per school,
      enough for every section it is split between — frameworks.md §1.3);
    - ``sections`` — the additions per section (for a one-row-per-section input);
    - ``basis`` — ``"cost"`` when prices were given, else ``"relative"``.
    """

    gaps: pa.Table
    cv: pa.Table
    checks: pa.Table
    schools: pa.Table
    sections: pa.Table
    basis: str
    costs: Mapping[str, float]

    def totals(self) -> pa.Table:
        """Per county × resource of the six-of-seven and CV additions: what the county
        adds in all (and its cost when priced), and the sections that receive it.

        The addition is counted as the schools add it (:attr:`schools`): a stock shared
        by the sections of a nine-year school is added once to the school, enough for the
        section that needs most (``addition / share``), not as the sum of the sections'
        shares of it — which would understate what has to be built."""
        g = self.gaps.filter(pc.greater(self.gaps.column("addition"), 0.0))
        keys = ["county_code", "_year", "resource"]
        no_year = pa.scalar(-1, pa.int64())  # a join matches no null key: data of no year
        g = g.append_column("_year", pc.fill_null(pc.cast(g.column("year"), pa.int64()), no_year))
        sections = g.group_by([*keys, "year", "resource_zh"], use_threads=False).aggregate(
            [("unit_id", "count")]
        )
        s = self.schools
        resource = pc.replace_substring_regex(s.column("column"), r"_(primary|junior|senior)$", "")
        built = (
            pa.table(
                {
                    "county_code": s.column("county_code"),
                    "_year": pc.fill_null(pc.cast(s.column("year"), pa.int64()), no_year),
                    "resource": resource,
                    "addition": pc.cast(s.column("addition"), pa.float64()),
                }
            )
            .group_by(keys, use_threads=False)
            .aggregate([("addition", "sum")])
        )
        out = sections.join(built, keys, join_type="left outer", use_threads=False)
        resources = out.column("resource").to_pylist()
        prices = pa.array(
            [self.costs.get(r) if self.basis == "cost" else None for r in resources], pa.float64()
        )
        addition = out.column("addition_sum")
        return pa.table(
            {
                "county_code": out.column("county_code"),
                "year": out.column("year"),
                "resource": out.column("resource"),
                "resource_zh": out.column("resource_zh"),
                "addition": addition,
                "cost": pc.multiply(addition, prices),
                "n_sections": out.column("unit_id_count"),
            }
        ).sort_by([("county_code", "ascending"), ("year", "ascending"), ("resource", "ascending")])

    def county_costs(self) -> pa.Table:
        """Per county × year, what the whole plan costs at its prices: every addition it
        makes to the inputs (:attr:`schools`, exactly what :meth:`adjust` adds — the
        six-of-seven and CV resources, and the rooms and room areas of the other checks)
        times its price. ``unpriced`` names the additions that have no price (a share of
        the budget such as ``training_budget_share``, or a price not given): ``cost`` is
        the priced part, null when nothing is priced; counties with nothing to add are
        absent.

        >>> import eduscore
        >>> plan = make_plan(eduscore.evaluate(**eduscore.demo_inputs()))
        >>> plan.county_costs().column("cost").to_pylist()  # no prices given
        [None]
        >>> len(plan.county_costs().column("unpriced")[0])  # every addition
        8
        """
        s = self.schools.filter(pc.greater(pc.fill_null(self.schools.column("addition"), 0.0), 0.0))
        columns = pc.unique(s.column("column")).to_pylist()
        priced = {}
        for column in columns:  # a handful of input columns
            base = re.sub(r"_(primary|junior|senior)$", "", column)
            price = self.costs.get(base, self.costs.get(column)) if self.basis == "cost" else None
            priced[column] = None if price is None else float(price)
        prices = pa.table(
            {"column": pa.array(columns, pa.string()), "price": pa.array(list(priced.values()), pa.float64())}
        )
        s = s.select(["county_code", "year", "column", "addition"]).join(
            prices, "column", join_type="left outer", use_threads=False
        )
        s = s.append_column(
            "cost", pc.multiply(pc.cast(s.column("addition"), pa.float64()), s.column("price"))
        )
        s = s.append_column("_unpriced", pc.if_else(pc.is_null(s.column("price")), s.column("column"), None))
        g = s.group_by(["county_code", "year"], use_threads=False).aggregate(
            [("cost", "sum", pc.ScalarAggregateOptions(min_count=1)), ("_unpriced", "distinct")]
        )
        return pa.table(
            {
                "county_code": g.column("county_code"),
                "year": g.column("year"),
                "cost": g.column("cost_sum"),
                "unpriced": g.column("_unpriced_distinct"),  # nulls are not counted
            }
        ).sort_by([("county_code", "ascending"), ("year", "ascending")])

    def adjust(self) -> Callable[[str, pa.Table], pa.Table]:
        """A function for ``evaluate(..., adjust=...)`` that adds the plan to the inputs."""
        return lambda role, table: apply_additions(role, table, self)


def make_plan(result: Result, costs: Mapping[str, float] | None = None) -> Plan:
    """The cheapest additions that make every failing section and CV pass.

    ``costs`` maps a resource (input column, e.g. ``"teachers_above_degree"``,
    ``"sports_area_m2"``) or indicator id to a price per unit; when given, every
    resource of the six-of-seven rule needs a price.

    >>> import eduscore
    >>> plan = make_plan(eduscore.evaluate(**eduscore.demo_inputs()))
    >>> plan.basis, plan.cv.num_rows  # the demo county's CVs all pass
    ('relative', 0)
    >>> plan.totals().column("resource").to_pylist()[:2]
    ['equipment_value_cny', 'multimedia_classrooms']
    """
    fw = result.framework
    res = resources(fw)
    if not res:
        raise InputError(
            f"{fw.id} has no per-student resource indicators, so there is no plan of additions "
            "to make (see the failing checks of the result instead)",
            zh=f"{fw.id} 没有生均资源类指标,无法制定增配方案(请查看结果中未达标的检查项)",
        )
    mat = _matrix(result, res)
    inds = mat.indicators
    prices = _prices(costs, inds)
    n, m = mat.value.shape
    x, t, p = mat.value, mat.threshold, mat.students
    per = np.array([r.per for r in inds]) if m else np.zeros(0)
    whole = np.array([r.whole for r in inds], dtype=bool) if m else np.zeros(0, bool)
    units_per_value = p[:, None] / per[None, :] if m else np.zeros((n, 0))  # Δvalue → Δunits

    def to_units(delta: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            u = np.maximum(delta, 0.0) * units_per_value
        out: np.ndarray = np.where(whole[None, :], np.ceil(u - 1e-9), round_up_cents(u)) + 0.0  # no −0.0
        return out

    # 1. Six-of-seven, for sections that fail it.
    add_six = np.zeros((n, m))
    action = np.full((n, m), "", dtype=object)
    floor_value = np.full((n, m), np.nan)
    rule = _count_rule(fw)
    with np.errstate(invalid="ignore"):
        to_full = to_units(t - x)
    to_floor = np.zeros((n, m))
    if rule is not None and m:
        cols = [i for i, r in enumerate(inds) if r.indicator in rule.indicators]
        ratio = float(rule.floor_ratio if rule.floor_ratio is not None else 1.0)
        floor_value[:, cols] = t[:, cols] * ratio
        with np.errstate(invalid="ignore"):
            to_floor[:, cols] = to_units(floor_value[:, cols] - x[:, cols])
        status = _section_status(result, rule.id)
        failing = status == "fail"
        allowed = max(len(rule.indicators) - int(rule.min_met or len(rule.indicators)), 0)
        sub_full, sub_floor = to_full[:, cols], to_floor[:, cols]
        if prices is not None:
            saving = (sub_full - sub_floor) * prices[cols][None, :]
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                saving = (sub_full - sub_floor) / (t[:, cols] * units_per_value[:, cols])
        saving = np.where(np.isfinite(saving), saving, 0.0)
        choose = np.zeros_like(sub_full, dtype=bool)
        if allowed:
            top = np.argsort(-saving, axis=1, kind="stable")[:, :allowed]
            rows = np.repeat(np.arange(n), allowed)
            choose[rows, top.ravel()] = saving[rows, top.ravel()] > 0
        chosen = np.where(choose, sub_floor, sub_full)
        add_six[:, cols] = np.where(failing[:, None], np.nan_to_num(chosen), 0.0)
        act = np.where(choose, "floor", "meet")
        act = np.where(sub_full > 0, act, "none")
        action[:, cols] = np.where(failing[:, None], act, "")
    # 2. CV remediation on the values after the section additions.
    add_cv = np.zeros((n, m))
    cv_rows: list[pa.Table] = []
    disp = _dispersion_rules(fw)
    groups = cells(mat.units)
    gcode, n_groups = groups.code, len(groups)
    for j, r in enumerate(inds):
        limits = disp.get(r.indicator)
        if limits is None:
            continue
        limit = floats(lookup(groups.keys.column("level"), limits, pa.float64()))
        part = _cv_part(mat, gcode, n_groups, limit, j, add_six[:, j], r)
        if part is None:
            continue
        add_cv[:, j], floor_g, info = part
        cv_rows.append(_cv_table(groups, info, floor_g, limit, r, prices[j] if prices is not None else None))
    total_add = add_six + add_cv
    got = np.column_stack([received(mat, total_add[:, j], r) for j, r in enumerate(inds)]) if m else total_add
    with np.errstate(invalid="ignore", divide="ignore"):
        value_after = x + got / units_per_value
    gaps = _gap_table(mat, to_full, to_floor, floor_value, action, add_six, add_cv, value_after, prices)
    cv = pa.concat_tables(cv_rows) if cv_rows else CV_PLAN_SCHEMA.empty_table()
    schools, sections = _input_additions(mat, total_add)
    checks = _check_gaps(result)
    schools, sections = _with_check_additions(schools, sections, checks)
    return Plan(
        gaps=gaps,
        checks=checks,
        cv=cv.sort_by([("county_code", "ascending"), ("level", "ascending"), ("indicator", "ascending")]),
        schools=schools,
        sections=sections,
        basis="cost" if prices is not None else "relative",
        # Keyed by resource (an input column) too when a price was given by indicator id,
        # as the totals and the fund allocation look prices up by resource.
        costs={**dict(costs or {}), **{r.resource: float(x) for r, x in zip(inds, prices, strict=True)}}
        if prices is not None
        else dict(costs or {}),
    )


def _prices(costs: Mapping[str, float] | None, inds: tuple[Resource, ...]) -> np.ndarray | None:
    if not costs:
        return None
    out, missing = [], []
    for r in inds:
        price = costs.get(r.resource, costs.get(r.indicator))
        if price is None:
            missing.append(f"{r.resource} ({r.name_zh})")
            out.append(np.nan)
            continue
        if not isinstance(price, int | float) or not math.isfinite(price) or price < 0:
            raise InputError(
                f"cost of {r.resource}: {price!r} is not a price (expected a number ≥ 0)",
                zh=f"{r.name_zh} 的单价 {price!r} 无效(应为不小于 0 的数)",
            )
        out.append(float(price))
    if missing:
        raise InputError(
            "costs: every resource needs a price per unit when any is given; missing: " + ", ".join(missing),
            zh="单价:给出单价时每种资源都需要单价;缺少:" + "、".join(missing),
        )
    return np.array(out)


def _count_rule(fw: Framework) -> Rule | None:
    rules = [r for r in fw.rules_of("count_met_with_floor") if r.enabled]
    return rules[0] if rules else None


def _dispersion_rules(fw: Framework) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for rule in fw.rules_of("dispersion_limit"):
        if not rule.enabled or rule.limit is None:
            continue
        for ind in rule.indicators:
            out[ind] = {k: float(v) for k, v in _limits(rule.limit).items()}
    return out


def _limits(limit: Any) -> dict[str, float]:
    if isinstance(limit, Mapping):
        return {str(k): float(v) for k, v in limit.items()}
    return {lv: float(limit) for lv in contract.LEVELS}


def _section_status(result: Result, rule_id: str) -> np.ndarray:
    col = f"{rule_id}__status"
    s = result.sections
    if col not in s.column_names:
        return np.full(s.num_rows, "", dtype=object)
    return np.asarray(pc.fill_null(s.column(col), "").to_numpy(zero_copy_only=False), dtype=object)


def _cv_part(
    mat: _Matrix,
    gcode: np.ndarray,
    n_groups: int,
    limit: np.ndarray,
    j: int,
    add_six: np.ndarray,
    r: Resource,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]] | None:
    """CV additions of indicator ``j`` for every county × level over its limit.

    Returns ``(additions per section (all rows), floor per group, info per group)``."""
    w = mat.students
    x0 = mat.value[:, j]
    per_unit_all = w / r.per
    with np.errstate(invalid="ignore", divide="ignore"):
        x1_all = x0 + received(mat, add_six, r) / per_unit_all
    use = mat.in_scope & np.isfinite(w) & (w > 0)
    # A group with any missing value has no CV (not assessed): nothing to plan there.
    missing = np.bincount(gcode[use], weights=~np.isfinite(x0[use]), minlength=n_groups) > 0
    use &= np.isfinite(x0) & ~missing[gcode]
    if not use.any():
        return None
    rows = np.flatnonzero(use)
    g, w_u = gcode[rows], w[rows]
    x1 = x1_all[rows]
    cv0 = weighted_cv(g, x0[rows], w_u, n_groups)
    cv1 = weighted_cv(g, x1, w_u, n_groups)
    target = np.isfinite(limit) & (cv1 > limit)
    if not target.any():
        return None
    # The continuous optimum (the proof's figure), then whole units rounded up and the
    # spill-over of shared stock to sibling sections, repeated until the limit is met.
    floor, cont = water_fill(g, x1, w_u, np.where(target, limit, np.inf), n_groups)
    per_unit = per_unit_all[rows]
    continuous = np.bincount(g, weights=(cont - x1) * per_unit, minlength=n_groups)
    added = np.zeros(len(w))
    cur = x1.copy()
    for _ in range(_MAX_ROUNDS):
        # Spill-over of shared stock can lift a sibling section of another level above
        # its county's mean: every group over its limit is taken up in the next round.
        over = np.isfinite(limit) & (weighted_cv(g, cur, w_u, n_groups) > limit)
        if not over.any():
            break
        target |= over
        _, filled = water_fill(g, cur, w_u, np.where(over, limit, np.inf), n_groups)
        step = (filled - cur) * per_unit
        step = np.ceil(np.maximum(step, 0.0) - 1e-9) if r.whole else round_up_cents(step)
        added[rows] += step
        with np.errstate(invalid="ignore", divide="ignore"):
            cur = (x0 + received(mat, add_six + added, r) / per_unit_all)[rows]
    if r.whole:
        added, cur = _trim(mat, rows, g, w_u, n_groups, limit, added, cur, per_unit, r)
    info = {
        "target": target,
        "cv": cv0,
        "cv1": cv1,
        "cv_after": weighted_cv(g, cur, w_u, n_groups),
        "total": np.bincount(g, weights=added[rows], minlength=n_groups),
        "received": np.bincount(g, weights=(added[rows] > 0).astype(float), minlength=n_groups),
        "continuous": continuous,
    }
    return added, floor, info


def _trim(
    mat: _Matrix,
    rows: np.ndarray,
    g: np.ndarray,
    w: np.ndarray,
    n_groups: int,
    limit: np.ndarray,
    added: np.ndarray,
    cur: np.ndarray,
    per_unit: np.ndarray,
    r: Resource,
) -> tuple[np.ndarray, np.ndarray]:
    """Give back whole units that rounding up made unnecessary.

    Each pass removes, in every county × level at once, the one unit whose removal
    leaves the lowest CV still within the limit (sections whose unit would spill to a
    sibling level are left alone). The result is within one unit per receiving section
    of the integer optimum (tested against brute force) and usually equal to it."""
    share = mat.share[rows]
    movable = ~((r.resource in _SHARED) & np.isfinite(share) & (share < 1.0))
    safe = limit * (1.0 - 1e-9)
    d = 1.0 / per_unit  # the value of one unit in this section
    for _ in range(_MAX_ROUNDS * 4):
        cand = movable & (added[rows] >= 1.0)
        if not cand.any():
            break
        W = np.bincount(g, weights=w, minlength=n_groups)
        s1 = np.bincount(g, weights=w * cur, minlength=n_groups)
        mean = s1 / np.where(W > 0, W, 1.0)
        dev = cur - mean[g]
        s2 = np.bincount(g, weights=w * dev * dev, minlength=n_groups)  # centred: no cancellation
        # Removing d from section i: new mean and centred sum of squares in closed form.
        new_mean = mean[g] - w * d / W[g]
        new_ss = s2[g] - 2 * w * dev * d + w * d * d - W[g] * (mean[g] - new_mean) ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            new_cv = np.sqrt(np.maximum(new_ss, 0.0) / W[g]) / new_mean
        ok = cand & np.isfinite(new_cv) & (new_cv <= safe[g]) & (new_mean > 0)
        if not ok.any():
            break
        idx = np.flatnonzero(ok)
        order = np.lexsort((new_cv[idx], g[idx]))
        idx = idx[order]
        first = np.r_[True, g[idx][1:] != g[idx][:-1]]
        pick = idx[first]
        added[rows[pick]] -= 1.0
        cur[pick] -= d[pick]
    return added, cur


def received(mat: _Matrix, planned: np.ndarray, r: Resource) -> np.ndarray:
    """What each section receives when the planned additions are made (all sections).

    Shared stock (m², yuan, rooms) of a wide-form school is added once per school and
    split between its sections by the §1.3 shares: the school adds the most any of its
    sections needs (``addition / share``, whole units rounded up) and every section
    receives ``share ×`` that. Teacher counts are per level and land where planned, as
    does everything of a one-row-per-section input."""
    if r.resource not in _SHARED or not np.isfinite(mat.share).any():
        return planned
    share = mat.share
    spread = np.isfinite(share) & (share > 0)
    school, _ = dense_codes(mat.units.column("school_id"))
    need = np.where(spread, planned / np.where(spread, share, 1.0), 0.0)
    school_add = np.zeros(int(school.max()) + 1 if len(school) else 0)
    np.maximum.at(school_add, school, need)
    if r.whole:
        school_add = np.ceil(school_add - 1e-9)
    out: np.ndarray = np.where(spread, school_add[school] * np.where(spread, share, 0.0), planned)
    return out


def _cv_table(
    groups: Cells,
    info: Mapping[str, np.ndarray],
    floor: np.ndarray,
    limit: np.ndarray,
    r: Resource,
    price: float | None,
) -> pa.Table:
    sel = np.flatnonzero(info["target"])
    keys = groups.keys.take(pa.array(sel, pa.int64()))
    total = info["total"][sel]
    return pa.table(
        {
            "county_code": keys.column("county_code"),
            "year": keys.column("year"),
            "level": keys.column("level"),
            "indicator": pa.array([r.indicator] * len(sel), pa.string()),
            "resource": pa.array([r.resource] * len(sel), pa.string()),
            "resource_zh": pa.array([r.name_zh] * len(sel), pa.string()),
            "limit": pa.array(limit[sel], pa.float64()),
            "cv": pa.array(info["cv"][sel], pa.float64()),
            "cv_after_school_additions": pa.array(info["cv1"][sel], pa.float64()),
            "floor": pa.array(floor[sel], pa.float64()),
            "continuous_minimum": pa.array(info["continuous"][sel], pa.float64()),
            "total_addition": pa.array(total, pa.float64()),
            "n_sections": pa.array(info["received"][sel].astype(np.int64), pa.int64()),
            "cv_after": pa.array(info["cv_after"][sel], pa.float64()),
            "cost": pa.array(
                total * price if price is not None else np.full(len(sel), np.nan),
                pa.float64(),
                from_pandas=True,
            ),
        },
        schema=CV_PLAN_SCHEMA,
    )


def _gap_table(
    mat: _Matrix,
    to_full: np.ndarray,
    to_floor: np.ndarray,
    floor_value: np.ndarray,
    action: np.ndarray,
    add_six: np.ndarray,
    add_cv: np.ndarray,
    value_after: np.ndarray,
    prices: np.ndarray | None,
) -> pa.Table:
    total = add_six + add_cv
    below = np.isfinite(mat.value) & np.isfinite(mat.threshold) & (mat.value < mat.threshold)
    keep = (below & mat.in_scope[:, None]) | (total > 0)
    rows, cols = np.nonzero(keep)
    take = pa.array(rows, pa.int64())
    u = mat.units.take(take)
    inds = mat.indicators
    cost = total[rows, cols] * prices[cols] if prices is not None else np.full(len(rows), np.nan)

    act = pa.array(action[rows, cols].astype(str), pa.string())

    def f(a: np.ndarray) -> pa.Array:
        return pa.array(a[rows, cols], pa.float64(), from_pandas=True)

    table = pa.table(
        {
            "county_code": u.column("county_code"),
            "year": pc.cast(u.column("year"), pa.int64()),
            "unit_id": u.column("unit_id"),
            "school_id": u.column("school_id"),
            "school_name": u.column("school_name"),
            "level": u.column("level"),
            "indicator": _pick(cols, [r.indicator for r in inds]),
            "resource": _pick(cols, [r.resource for r in inds]),
            "resource_zh": _pick(cols, [r.name_zh for r in inds]),
            "students": pa.array(mat.students[rows], pa.float64(), from_pandas=True),
            "value": f(mat.value),
            "threshold": f(mat.threshold),
            "floor": f(floor_value),
            "to_threshold": f(to_full),
            "to_floor": f(to_floor),
            "action": pc.if_else(pc.equal(act, ""), pa.scalar(None, pa.string()), act),
            "for_six_of_seven": f(add_six),
            "for_cv": f(add_cv),
            "addition": f(total),
            "value_after": f(value_after),
            "cost": pa.array(cost, pa.float64(), from_pandas=True),
        },
        schema=GAP_SCHEMA,
    )
    return table.sort_by([("county_code", "ascending"), ("unit_id", "ascending"), ("indicator", "ascending")])


def _input_additions(mat: _Matrix, total: np.ndarray) -> tuple[pa.Table, pa.Table]:
    """The additions as input columns: per section, and per school for the wide form."""
    rows, cols = np.nonzero(total > 0)
    u = mat.units.take(pa.array(rows, pa.int64()))
    res = _pick(cols, [r.resource for r in mat.indicators])
    sections = pa.table(
        {
            "county_code": u.column("county_code"),
            "year": pc.cast(u.column("year"), pa.int64()),
            "school_id": u.column("school_id"),
            "school_name": u.column("school_name"),
            "level": u.column("level"),
            "column": res,
            "column_zh": lookup(res, _ZH_NAMES, pa.string()),
            "addition": pa.array(total[rows, cols], pa.float64()),
        },
        schema=INPUT_ADDITIONS_SCHEMA,
    )
    # Wide form: teacher counts per level (``teachers_above_degree_primary``); shared
    # stock once per school, the most any section needs divided by its share.
    share = mat.share[rows]
    shared = np.asarray(pc.is_in(res, pa.array(sorted(_SHARED))).to_numpy(zero_copy_only=False), dtype=bool)
    need = np.where(
        shared & np.isfinite(share) & (share > 0),
        total[rows, cols] / np.where(share > 0, share, 1),
        total[rows, cols],
    )
    whole = np.array([r.whole for r in mat.indicators], dtype=bool)[cols]
    need = np.where(whole, np.ceil(need - 1e-9), round_up_cents(need))
    shared_a = pa.array(shared, pa.bool_())
    level = u.column("level").combine_chunks()
    column = pc.if_else(shared_a, res, pc.binary_join_element_wise(res, level, "_"))
    wide = pa.table(
        {
            "county_code": u.column("county_code"),
            "year": pc.cast(u.column("year"), pa.int64()),
            "school_id": u.column("school_id"),
            "school_name": u.column("school_name"),
            "level": pc.if_else(shared_a, pa.scalar(None, pa.string()), level),
            "column": column,
            "column_zh": pc.coalesce(lookup(column, _ZH_NAMES, pa.string()), column),
            "addition": pa.array(need, pa.float64()),
        },
        schema=INPUT_ADDITIONS_SCHEMA,
    )
    keys = ["county_code", "year", "school_id", "school_name", "level", "column", "column_zh"]
    wide = (
        wide.group_by(keys, use_threads=False)
        .aggregate([("addition", "max")])
        .rename_columns([*keys, "addition"])
        .select(INPUT_ADDITIONS_SCHEMA.names)
        .cast(INPUT_ADDITIONS_SCHEMA)
        .sort_by([("county_code", "ascending"), ("school_id", "ascending"), ("column", "ascending")])
    )
    return wide, sections


def _check_gaps(result: Result) -> pa.Table:
    """Failing per-section thresholds other than the resource indicators."""
    fw = result.framework
    rules = {r.id: r for r in fw.rules_of("section_threshold")}
    sc = result.section_checks
    mask = pc.and_(
        pc.equal(sc.column("status"), "fail"),
        pc.is_in(sc.column("check_id"), pa.array(sorted(rules), pa.string())),
    )
    sc = sc.filter(mask)
    if sc.num_rows == 0:
        return CHECK_GAP_SCHEMA.empty_table()
    sc = pa.table({n: decoded(sc.column(n)) for n in sc.column_names})
    s = result.sections.select(["unit_id", "school_id", "school_name"])
    sc = sc.join(s, keys="unit_id", join_type="left outer", use_threads=False)
    check_ids = sc.column("check_id")
    comp = sc.column("comparator")
    value, threshold = floats(sc.column("value")), floats(sc.column("threshold"))
    # Planned only where the rule compares a bare input column (rooms, room areas).
    bare = {k: plain_column(r.value or "") for k, r in rules.items()}
    column = lookup(check_ids, {k: bare[k] or r.value or "" for k, r in rules.items()}, pa.string())
    plain = bools(lookup(check_ids, {k: c is not None for k, c in bare.items()}, pa.bool_()))
    up = bools(pc.is_in(comp, pa.array([">=", ">"])))
    change = np.where(up, threshold - value, value - threshold)
    whole = bools(pc.is_in(column, pa.array(sorted(_INT_COLUMNS))))
    change = np.where(whole, np.ceil(change - 1e-9), change)
    # A strict comparator needs one whole unit more (or a hair more) than the gap.
    strict = bools(pc.is_in(comp, pa.array([">", "<"])))
    change = np.where(strict & (change == np.floor(change)) & whole, change + 1, change)
    in_plan = up & plain & ~strict
    table = pa.table(
        {
            "county_code": sc.column("county_code"),
            "year": pc.cast(sc.column("year"), pa.int64()),
            "unit_id": sc.column("unit_id"),
            "school_id": sc.column("school_id"),
            "school_name": sc.column("school_name"),
            "level": sc.column("level"),
            "check_id": sc.column("check_id"),
            "name_zh": lookup(check_ids, {k: r.name.get("zh") for k, r in rules.items()}, pa.string()),
            "name_en": lookup(check_ids, {k: r.name.get("en") for k, r in rules.items()}, pa.string()),
            "column": column,
            "column_zh": pc.coalesce(lookup(column, _ZH_NAMES, pa.string()), column),
            "value": pa.array(value, pa.float64(), from_pandas=True),
            "threshold": pa.array(threshold, pa.float64(), from_pandas=True),
            "comparator": sc.column("comparator"),
            "change": pa.array(change, pa.float64(), from_pandas=True),
            "direction": pa.array(np.where(up, "add", "reduce"), pa.string()),
            "in_plan": pa.array(in_plan, pa.bool_()),
        },
        schema=CHECK_GAP_SCHEMA,
    )
    return table.sort_by([("county_code", "ascending"), ("unit_id", "ascending"), ("check_id", "ascending")])


def _with_check_additions(
    schools: pa.Table, sections: pa.Table, checks: pa.Table
) -> tuple[pa.Table, pa.Table]:
    """Add the applicable check gaps (school facts such as rooms and room areas)."""
    c = checks.filter(pc.and_(checks.column("in_plan"), pc.is_valid(checks.column("change"))))
    if c.num_rows == 0:
        return schools, sections
    base = c.select(["county_code", "year", "school_id", "school_name", "level", "column", "column_zh"])
    per_section = base.append_column("addition", c.column("change")).cast(INPUT_ADDITIONS_SCHEMA)
    # School facts are copied onto every section: once per school, the most any section needs.
    keys = ["county_code", "year", "school_id", "school_name", "column", "column_zh"]
    per_school = (
        per_section.group_by(keys, use_threads=False)
        .aggregate([("addition", "max")])
        .rename_columns([*keys, "addition"])
    )
    per_school = per_school.append_column("level", pa.nulls(per_school.num_rows, pa.string()))
    per_school = per_school.select(INPUT_ADDITIONS_SCHEMA.names).cast(INPUT_ADDITIONS_SCHEMA)
    return pa.concat_tables([schools, per_school]), pa.concat_tables([sections, per_section])


def apply_additions(role: str, table: pa.Table, plan: Plan) -> pa.Table:
    """Add a plan's additions to a validated input table (``schools`` or ``sections``).

    The wide schools table gets ``plan.schools`` (teacher counts per level, shared stock
    per school); a one-row-per-section table gets ``plan.sections``. When a per-level
    teacher column is absent but the whole-school count is given, the addition goes to
    the whole-school count divided by the level's share (the engine splits it back)."""
    if role not in ("schools", "sections"):
        return table
    adds = plan.schools if role == "schools" else plan.sections
    if adds.num_rows == 0:
        return table
    key_cols = ["school_id"] if role == "schools" else ["school_id", "level"]
    if "year" in table.column_names and table.column("year").null_count == 0:
        key_cols.append("year")
    for column in sorted(set(adds.column("column").to_pylist())):
        a = adds.filter(pc.equal(adds.column("column"), column))
        if column not in table.column_names:
            base = re.sub(r"_(primary|junior)$", "", column)
            if role == "schools" and base != column and base in table.column_names:
                raise InputError(
                    f"the plan adds to {column}, but the schools table gives only the whole-school "
                    f"count {base}; give per-level counts to apply a plan",
                    zh=f"方案增加的是分学段的 {column},但学校表只有全校合计 {base};"
                    "请提供分学段的数量后再应用方案",
                )
            table = table.append_column(column, pa.nulls(table.num_rows, pa.float64()))
        right = (
            a.select([*key_cols, "addition"])
            .group_by(key_cols, use_threads=False)
            .aggregate([("addition", "sum")])
            .rename_columns([*key_cols, "addition"])
        )
        right = right.cast(
            pa.schema([*(table.schema.field(k) for k in key_cols), pa.field("addition", pa.float64())])
        )
        left = table.select(key_cols).append_column("_i", pa.array(np.arange(table.num_rows), pa.int64()))
        joined = left.join(right, keys=key_cols, join_type="left outer").sort_by("_i")
        extra = pc.fill_null(joined.column("addition"), 0.0)
        old = table.column(column)
        new = pc.add(pc.fill_null(pc.cast(old, pa.float64()), 0.0), extra)
        new = pc.if_else(pc.and_(pc.is_null(old), pc.equal(extra, 0.0)), pa.scalar(None, pa.float64()), new)
        table = table.set_column(table.column_names.index(column), column, new)
    return _teachers_cover_kinds(table, role)


def _teachers_cover_kinds(table: pa.Table, role: str) -> pa.Table:
    """Keep the added table consistent: full-time teachers at least each kind of teacher
    (adding 2 teachers above the degree to a section whose every teacher is counted
    raises the full-time count by what is needed, not more)."""
    for suffix in ("_primary", "_junior") if role == "schools" else ("",):
        total = f"teachers{suffix}"
        if total not in table.column_names:
            continue
        value = pc.cast(table.column(total), pa.float64())
        for kind in ("teachers_above_degree", "backbone_teachers", "pe_arts_teachers"):
            if f"{kind}{suffix}" in table.column_names:
                other = pc.cast(table.column(f"{kind}{suffix}"), pa.float64())
                value = pc.if_else(pc.greater(other, value), other, value)
        table = table.set_column(table.column_names.index(total), total, value)
    return table
