"""Where a special fund (专项资金) goes furthest (issue #15, item 4).

Every county not yet certified gets the cost of its least-cost plan
(:func:`eduscore.make_plan` with prices) and a verdict on whether money alone can certify
it: **fundable** when every check it fails is one the plan's additions fix — the
six-of-seven rule, a CV over its limit, a per-section threshold on a room count or area
(music and art rooms) — and it has no check ``not_assessed``. Anything else stands in
the way and is named: a county-level item (government guarantee, quality, social
recognition, prerequisites), a veto, a reduction (school or class size), a share of a
budget (training funds), missing data.

Then the fund is allocated over the fundable counties to maximise

- ``"counties"`` — the number certified: cheapest first, which is optimal (the
  exchange argument is in docs/planning.md); ties by county code;
- ``"pupils"`` — the pupils in them: a 0/1 knapsack solved exactly by dynamic
  programming over costs in whole 万元 (each cost rounded **up**, the budget **down**, so
  the chosen set is always affordable). The rounding's effect is bounded: the choice is
  at least as good as the best choice within ``budget − m × 1万`` (``m`` the most
  counties the budget could fund), and never better than the best within the budget.

*Pupils* of a county are the students of its in-scope school sections for the result's
framework (``Result.sections``, ``in_scope``), summed — the children of its in-scope
kindergartens for preschool-2020.

All counties are computed at once from whole tables; the knapsack is one numpy operation
over the budget axis per county.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eduscore.errors import InputError
from eduscore.model import contract
from eduscore.planning.plan import CHECK_GAP_SCHEMA, Plan, _count_rule, make_plan, resources
from eduscore.result import Result

Objective = Literal["counties", "pupils"]
OBJECTIVES = ("counties", "pupils")
WAN = 10_000.0  # 1 万元 in yuan
#: The largest knapsack table (counties × budget steps) before the step grows tenfold.
MAX_CELLS = 50_000_000

_NO_YEAR = -1  # a join matches no null key: data of no year
_TYPES = {c.name: c.type for c in (*contract.SCHOOLS, *contract.SECTIONS)}
_ZH = {c.name: c.zh for c in (*contract.SCHOOLS, *contract.SECTIONS)}

#: Why a check stands in the way of money, in both languages.
BLOCKER_WORDS: dict[str, tuple[str, str]] = {
    "not_assessed": ("not assessed: data missing", "未评估:数据缺失"),
    "county_item": ("fails: a county-level item money cannot buy", "未达标:县级指标,资金无法解决"),
    "veto": ("veto: money cannot lift it", "一票否决项:资金无法解决"),
    "prerequisite": ("prerequisite not met", "前提条件未满足"),
    "reduction": (
        "fails: needs a reduction (fewer pupils or smaller classes), not money",
        "未达标:需减少(学生数或班额),资金无法解决",
    ),
    "budget_share": (
        "fails: a share of the school budget (a policy, not a purchase)",
        "未达标:属经费占比(政策问题,非购置)",
    ),
    "not_planned": ("fails: the plan has no addition for it", "未达标:方案中无对应的增配"),
    "verdict": ("not certified for another reason", "因其他原因未通过认定"),
    "plan_insufficient": (
        "re-evaluated with its plan applied, still not certified",
        "按方案增配后重新评估仍未通过认定",
    ),
}

CANDIDATE_SCHEMA = pa.schema(
    [
        ("county_code", pa.string()),
        ("year", pa.int64()),
        ("county_name", pa.string()),
        ("framework", pa.string()),
        ("verdict", pa.string()),
        ("pupils", pa.int64()),
        ("fundable", pa.bool_()),
        ("cost_yuan", pa.float64()),
        ("cost_wan", pa.float64()),
        ("funded", pa.bool_()),
        ("blockers", pa.list_(pa.string())),
        ("blockers_en", pa.list_(pa.string())),
        ("blockers_zh", pa.list_(pa.string())),
    ]
)


@attrs.frozen
class NextCounty:
    """The county that would be funded next with a little more money."""

    county_code: str
    year: int | None
    county_name: str | None
    cost_yuan: float
    pupils: int
    more_yuan: float  # what is missing: its cost minus what is left

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self) | {"cost_wan": self.cost_yuan / WAN, "more_wan": self.more_yuan / WAN}


@attrs.frozen
class Allocation:
    """Which counties a fund should pay for, and why the others cannot be bought.

    - ``candidates`` — every county not certified: its pupils, whether money alone can
      certify it (``fundable``), the cost of its plan in 元 and 万元 (null when not
      fundable), whether it is ``funded``, and the checks in the way (``blockers``:
      check ids; ``blockers_en`` / ``blockers_zh``: name and why);
    - ``funded`` — the funded counties, in the order a reader checks them (cost, code);
    - ``unfundable`` — the counties money cannot certify, with their blockers;
    - ``certified`` — the counties already certified (nothing to fund);
    - ``total_cost``, ``left`` (元), ``pupils`` (in the funded counties);
    - ``next_county`` — the unfunded fundable county that needs the least more money;
    - ``unit`` — the knapsack's step in 元 (1万 unless the budget needed a coarser one;
      0 for the counties objective, which is exact to the cent);
    - ``rounding_bound`` — 元: the choice is at least as good as the best one within
      ``budget − rounding_bound`` (``bound_text(lang)`` says so in words);
    - ``pupils_bound`` — for the pupils objective, no choice within the budget covers
      more pupils than this (the linear relaxation): the gap to ``pupils`` is a
      certificate of how close the choice is to the true optimum.
    """

    candidates: pa.Table
    funded: pa.Table
    unfundable: pa.Table
    certified: pa.Table
    objective: str
    budget: float
    total_cost: float
    left: float
    pupils: int
    next_county: NextCounty | None
    unit: float
    rounding_bound: float
    pupils_bound: int | None
    costs: Mapping[str, float]

    def bound_text(self, lang: str = "en") -> str:
        """The rounding's effect on the choice, in words."""
        if self.objective == "counties":
            return (
                "按成本从低到高依次资助,受资助县数为最优(精确到分)。"
                if lang == "zh"
                else "Cheapest first: the number of counties funded is optimal (exact to the cent)."
            )
        unit = _wan_text(self.unit / WAN)
        bound = _wan_text(self.rounding_bound / WAN)
        most = f"{self.pupils_bound:,}" if self.pupils_bound is not None else "—"
        if lang == "zh":
            return (
                f"按{unit}万元为单位精确求解(各县成本向上取整、预算向下取整,所选各县一定付得起);"
                f"覆盖的学生数不少于预算减少 {bound} 万元时的最优解,"
                f"而在预算内任何选择都不超过 {most} 人。"
            )
        return (
            f"Exact in steps of {unit}万元 (each cost rounded up, the budget down, so the chosen "
            f"counties are always affordable); the pupils covered are at least the best possible "
            f"with {bound}万元 less, and no choice within the budget covers more than {most}."
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary and the tables as lists of rows."""
        return {
            "objective": self.objective,
            "budget_yuan": self.budget,
            "total_cost_yuan": self.total_cost,
            "left_yuan": self.left,
            "pupils": self.pupils,
            "n_funded": self.funded.num_rows,
            "n_fundable": int(pc.sum(self.candidates.column("fundable")).as_py() or 0),
            "n_unfundable": self.unfundable.num_rows,
            "n_certified": self.certified.num_rows,
            "next_county": self.next_county.to_dict() if self.next_county is not None else None,
            "unit_yuan": self.unit,
            "rounding_bound_yuan": self.rounding_bound,
            "pupils_bound": self.pupils_bound,
            "rounding_bound": {"en": self.bound_text("en"), "zh": self.bound_text("zh")},
            "costs": dict(self.costs),
            "funded": self.funded.to_pylist(),
            "unfundable": self.unfundable.to_pylist(),
            "candidates": self.candidates.to_pylist(),
        }


def _wan_text(x: float) -> str:
    return f"{x:,.0f}" if x == round(x) else f"{x:,.2f}"


def allocate(
    results: Result | Sequence[Result],
    budget: float,
    costs: Mapping[str, float],
    objective: Objective = "counties",
    *,
    after: Result | Sequence[Result] | None = None,
    plans: Sequence[Plan | None] | None = None,
) -> Allocation:
    """Choose the counties a fund of ``budget`` 元 should pay for.

    ``costs`` are prices per unit as for :func:`eduscore.make_plan`; every resource of the
    six-of-seven rule needs one, and so does every room count or area (``music_rooms``,
    ``art_room_min_area_m2``, …) a fundable county's plan adds. ``objective`` is
    ``"counties"`` (the most counties certified) or ``"pupils"`` (the most pupils in them).

    ``after`` — the same inputs evaluated again with every county's plan applied
    (``evaluate(..., adjust=make_plan(result, costs).adjust())``): a county called
    fundable that does not come out certified there is moved to the unfundable list, so
    that no claim of the allocation goes unchecked. The command line always does this.

    ``plans`` — the plans already made for ``results`` with these ``costs``, one per
    result in the same order (``None`` for a framework without a plan), so that they are
    not made twice.

    >>> import eduscore
    >>> result = eduscore.evaluate(**eduscore.demo_inputs())
    >>> prices = {"teachers_above_degree": 2e5, "backbone_teachers": 2.5e5, "pe_arts_teachers": 2e5,
    ...           "teaching_aux_area_m2": 3500, "sports_area_m2": 800, "equipment_value_cny": 1,
    ...           "multimedia_classrooms": 6e4}
    >>> a = allocate(result, 5e7, prices)
    >>> a.funded.num_rows, a.unfundable.column("blockers").to_pylist()
    (0, [['school_size', 'teacher_rotation.backbone']])
    """
    if objective not in OBJECTIVES:
        raise InputError(
            f"objective {objective!r}: expected one of {', '.join(OBJECTIVES)}",
            zh=f"目标 {objective!r} 无效:应为 {'、'.join(OBJECTIVES)} 之一",
        )
    try:
        amount = float(budget)
    except (TypeError, ValueError):
        amount = math.nan
    if isinstance(budget, bool | str) or not math.isfinite(amount) or amount < 0:
        raise InputError(
            f"budget {budget!r}: expected an amount of yuan ≥ 0",
            zh=f"预算 {budget!r} 无效:应为不小于 0 的金额(元)",
        )
    budget = amount
    rs = [results] if isinstance(results, Result) else list(results)
    if plans is not None and (
        len(plans) != len(rs) or any(p is not None and p.costs != dict(costs) for p in plans)
    ):
        raise ValueError("plans: one plan per result, made with the same costs")
    parts, certified = [], []
    for n, result in enumerate(rs):
        # A framework without per-student resource indicators (preschool-2020) has no plan.
        if plans is not None:
            plan = plans[n]
        else:
            plan = make_plan(result, costs) if resources(result.framework) else None
        table, done = _candidates(result, plan, costs)
        parts.append(table)
        certified.append(done)
    cand = pa.concat_tables(parts) if parts else CANDIDATE_SCHEMA.empty_table()
    _refuse_duplicates(cand, pa.concat_tables(certified) if certified else None)
    if after is not None:
        cand = _checked(cand, [after] if isinstance(after, Result) else list(after))
    cand = cand.sort_by([("county_code", "ascending"), ("year", "ascending")])
    fundable = np.asarray(cand.column("fundable").to_numpy(zero_copy_only=False), dtype=bool)
    idx = np.flatnonzero(fundable)
    cents = np.round(np.asarray(cand.column("cost_yuan").to_numpy(zero_copy_only=False), float)[idx] * 100)
    cents = cents.astype(np.int64)
    pupils = np.asarray(cand.column("pupils").to_numpy(zero_copy_only=False), np.int64)[idx]
    budget_cents = math.floor(budget * 100 + 1e-6)
    if objective == "counties":
        chosen, unit_cents, m = cheapest_first(cents, budget_cents), 0, 0
    else:
        chosen, unit_cents, m = knapsack_in_steps(cents, pupils, budget_cents)
    funded_mask = np.zeros(cand.num_rows, dtype=bool)
    funded_mask[idx[chosen]] = True
    cand = cand.set_column(cand.schema.get_field_index("funded"), "funded", pa.array(funded_mask))
    funded = cand.filter(pa.array(funded_mask)).sort_by(
        [("cost_yuan", "ascending"), ("county_code", "ascending"), ("year", "ascending")]
    )
    total = float(cents[chosen].sum()) / 100
    left = round(budget - total, 2)
    unfundable = cand.filter(pc.invert(cand.column("fundable"))).select(
        [
            "county_code",
            "year",
            "county_name",
            "framework",
            "verdict",
            "pupils",
            "blockers",
            "blockers_en",
            "blockers_zh",
        ]
    )
    return Allocation(
        candidates=cand,
        funded=funded,
        unfundable=unfundable,
        certified=pa.concat_tables(certified) if certified else _CERTIFIED_SCHEMA.empty_table(),
        objective=objective,
        budget=float(budget),
        total_cost=total,
        left=left,
        pupils=int(pupils[chosen].sum()),
        next_county=_next(cand, idx, chosen, cents, left),
        unit=unit_cents / 100,
        rounding_bound=m * unit_cents / 100,
        pupils_bound=fractional_bound(cents, pupils, budget_cents) if objective == "pupils" else None,
        costs=dict(costs),
    )


# --------------------------------------------------------------------------------------
# The choice


def cheapest_first(cents: np.ndarray, budget_cents: int) -> np.ndarray:
    """Indices of the most items affordable within ``budget_cents``: the cheapest first,
    ties in the given order (callers sort by county code). Optimal: any ``k`` affordable
    items cost at least the ``k`` cheapest (docs/planning.md)."""
    order = np.argsort(cents, kind="stable")
    spent = np.cumsum(cents[order])
    k = int(np.searchsorted(spent, budget_cents, side="right"))
    return np.sort(order[:k])


def fractional_bound(cents: np.ndarray, values: np.ndarray, budget_cents: int) -> int:
    """An upper bound on the value of any choice within ``budget_cents`` (the linear
    relaxation: the densest items first, the last one in part), rounded down."""
    c = np.asarray(cents, np.float64)
    v = np.asarray(values, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(c > 0, v / c, np.inf)
    order = np.argsort(-density, kind="stable")
    spent = np.cumsum(c[order])
    whole = int(np.searchsorted(spent, budget_cents, side="right"))
    bound = float(v[order[:whole]].sum())
    if whole < len(order):
        room = budget_cents - (spent[whole - 1] if whole else 0.0)
        bound += v[order[whole]] * room / c[order[whole]]
    return math.floor(bound + 1e-9)


def knapsack(weights: np.ndarray, values: np.ndarray, capacity: int) -> np.ndarray:
    """Indices of a 0/1 knapsack optimum: the most value with total weight ≤ ``capacity``.

    Exact dynamic programming over the capacity axis, one numpy operation per item:
    ``best[b]`` is the most value of the items seen so far within weight ``b``. Among
    optimal choices the one of least weight is taken; of those, an item is left out
    whenever an equally good choice without it exists, the last items tried first (so
    ties go to the first items: callers sort by county code).
    """
    w = np.asarray(weights, np.int64)
    v = np.asarray(values, np.int64)
    n = len(w)
    cap = int(min(capacity, int(w.sum()) if n else 0))
    if n == 0 or cap < 0:
        return np.zeros(0, np.int64)
    # Least weight among the best values: maximise value × M − weight (M > any weight sum).
    big = cap + 1
    # (Astronomically many pupils would overflow: then no tie-break on weight.)
    score = v * big - w if int(np.abs(v).sum()) * big < 2**62 else v.copy()
    best = np.zeros(cap + 1, np.int64)
    take = np.zeros((n, cap + 1), dtype=bool)
    for i in range(n):
        wi = int(w[i])
        if wi > cap or score[i] <= 0:
            continue
        with_i = best[: cap + 1 - wi] + score[i]
        better = with_i > best[wi:]
        take[i, wi:] = better
        best[wi:] = np.where(better, with_i, best[wi:])
    chosen, b = [], cap
    for i in range(n - 1, -1, -1):
        if take[i, b]:
            chosen.append(i)
            b -= int(w[i])
    return np.array(sorted(chosen), np.int64)


def knapsack_in_steps(
    cents: np.ndarray, values: np.ndarray, budget_cents: int, unit_cents: int = int(WAN * 100)
) -> tuple[np.ndarray, int, int]:
    """The pupils objective: costs rounded up and the budget down to whole steps of
    ``unit_cents`` (1万元), then :func:`knapsack`. Returns the chosen indices, the step used
    (tenfold coarser while counties × steps exceeds :data:`MAX_CELLS`) and ``m``, the most
    items the budget affords: the choice is at least as good as the best one within
    ``budget − m × step`` (docs/planning.md)."""
    n = len(cents)
    m = len(cheapest_first(cents, budget_cents))
    while True:
        w = -(-cents // unit_cents)  # rounded up: the chosen set is always affordable
        cap = min(budget_cents // unit_cents, int(w.sum()) if n else 0)
        if n * (cap + 1) <= MAX_CELLS:
            break
        unit_cents *= 10
    chosen = knapsack(w, values, int(cap))
    return _fill(chosen, cents, values, budget_cents), unit_cents, m


def _fill(chosen: np.ndarray, cents: np.ndarray, values: np.ndarray, budget_cents: int) -> np.ndarray:
    """The knapsack's choice, then every county left out that still fits in what is left at
    the exact costs (most pupils first): the rounding up to whole steps can leave room for
    one more. Never worse than the knapsack's choice, and still within the budget."""
    left = budget_cents - int(cents[chosen].sum())
    taken = np.zeros(len(cents), dtype=bool)
    taken[chosen] = True
    for i in np.lexsort((np.arange(len(cents)), -values)):  # the few counties left out
        if not taken[i] and cents[i] <= left and values[i] > 0:
            taken[i] = True
            left -= int(cents[i])
    out: np.ndarray = np.flatnonzero(taken)
    return out


def _next(
    cand: pa.Table, idx: np.ndarray, chosen: np.ndarray, cents: np.ndarray, left: float
) -> NextCounty | None:
    """The fundable county left out that needs the least more money (ties by code)."""
    out = np.ones(len(idx), dtype=bool)
    out[chosen] = False
    if not out.any():
        return None
    rest = np.flatnonzero(out)
    j = int(rest[np.argmin(cents[rest])])
    row = cand.slice(int(idx[j]), 1).to_pylist()[0]
    cost = float(cents[j]) / 100
    return NextCounty(
        county_code=row["county_code"],
        year=row["year"],
        county_name=row["county_name"],
        cost_yuan=cost,
        pupils=int(row["pupils"]),
        more_yuan=round(max(cost - left, 0.0), 2),
    )


# --------------------------------------------------------------------------------------
# Candidates: what each county's plan costs and what stands in its way

_CERTIFIED_SCHEMA = pa.schema(
    [
        ("county_code", pa.string()),
        ("year", pa.int64()),
        ("county_name", pa.string()),
        ("framework", pa.string()),
    ]
)


def _candidates(result: Result, plan: Plan | None, costs: Mapping[str, float]) -> tuple[pa.Table, pa.Table]:
    fw = result.framework
    v = result.verdicts
    verdict = v.column("verdict")
    done = pc.equal(verdict, "certified")
    certified = pa.table(
        {
            "county_code": v.column("county_code"),
            "year": pc.cast(v.column("year"), pa.int64()),
            "county_name": v.column("county_name"),
            "framework": pa.array([fw.id] * v.num_rows, pa.string()),
        },
        schema=_CERTIFIED_SCHEMA,
    ).filter(done)
    v = v.filter(pc.invert(done))
    keys = list(zip(v.column("county_code").to_pylist(), v.column("year").to_pylist(), strict=True))
    blockers = _blockers(result, plan, {k: row for k, row in zip(keys, v.to_pylist(), strict=True)})
    fundable = [not blockers[k] for k in keys]
    wanted = {k for k, ok in zip(keys, fundable, strict=True) if ok}
    cost = _plan_costs(result, plan, costs, wanted) if plan is not None else {}
    cost_yuan = [round(cost.get(k, 0.0), 2) if ok else None for k, ok in zip(keys, fundable, strict=True)]
    pupils = _pupils(result)
    table = pa.table(
        {
            "county_code": v.column("county_code"),
            "year": pc.cast(v.column("year"), pa.int64()),
            "county_name": v.column("county_name"),
            "framework": pa.array([fw.id] * v.num_rows, pa.string()),
            "verdict": verdict.filter(pc.invert(done)),
            "pupils": pa.array([pupils.get(k, 0) for k in keys], pa.int64()),
            "fundable": pa.array(fundable, pa.bool_()),
            "cost_yuan": pa.array(cost_yuan, pa.float64()),
            "cost_wan": pa.array([c / WAN if c is not None else None for c in cost_yuan], pa.float64()),
            "funded": pa.array([False] * v.num_rows, pa.bool_()),
            "blockers": pa.array([[b[0] for b in blockers[k]] for k in keys], pa.list_(pa.string())),
            "blockers_en": pa.array([[b[1] for b in blockers[k]] for k in keys], pa.list_(pa.string())),
            "blockers_zh": pa.array([[b[2] for b in blockers[k]] for k in keys], pa.list_(pa.string())),
        },
        schema=CANDIDATE_SCHEMA,
    )
    return table, certified


def _blockers(
    result: Result, plan: Plan | None, verdicts: Mapping[tuple[str, int | None], Mapping[str, Any]]
) -> dict[tuple[str, int | None], list[tuple[str, str, str]]]:
    """Per county not certified: (check id, English, Chinese) of every check in the way."""
    fw = result.framework
    count_rule = _count_rule(fw)
    money_kinds = {count_rule.id} if count_rule is not None else set()
    # CVs the plan remedies (by the six-of-seven additions or by water-filling): the
    # dispersion limits of the per-student resource indicators.
    res = resources(fw)
    remedied_cv = {
        f"{rule.id}.{ind}.{level}"
        for rule in fw.rules_of("dispersion_limit")
        if rule.enabled and rule.limit is not None
        for ind in rule.indicators
        if ind in res
        for level in contract.LEVELS
    }
    # Per-section thresholds: a county's check is bought when every failing section is
    # an addition in the plan to a room count or area (not a share of a budget).
    section_kind: dict[tuple[str, int | None, str], str] = {}
    gaps = plan.checks if plan is not None else CHECK_GAP_SCHEMA.empty_table()
    for r in gaps.select(
        ["county_code", "year", "check_id", "column", "in_plan", "change", "direction"]
    ).to_pylist():
        skey = (r["county_code"], r["year"], r["check_id"])
        if r["direction"] == "reduce":
            why = "reduction"
        elif not r["in_plan"] or r["change"] is None:
            why = "not_planned"
        elif _TYPES.get(r["column"]) == "rate":
            why = "budget_share"
        else:
            why = ""
        if why or skey not in section_kind:
            section_kind[skey] = why if why else section_kind.get(skey, "")
    out: dict[tuple[str, int | None], list[tuple[str, str, str]]] = {k: [] for k in verdicts}
    c = result.checks
    c = c.filter(pc.invert(pc.equal(c.column("status"), "pass")))
    cols = ["county_code", "year", "check_id", "rule_id", "kind", "group", "status", "name_en", "name_zh"]
    failing: set[tuple[str, int | None]] = set()
    for r in c.select(cols).to_pylist():
        key = (r["county_code"], r["year"])
        if key not in out or r["status"] not in ("fail", "not_assessed"):
            continue
        failing.add(key)
        why = _why(r, money_kinds, remedied_cv, section_kind)
        if why:
            en, zh = BLOCKER_WORDS[why]
            out[key].append((r["check_id"], f"{r['name_en']}: {en}", f"{r['name_zh']}:{zh}"))
    for key, row in verdicts.items():
        if not out[key] and key not in failing:
            en, zh = BLOCKER_WORDS["verdict"]
            reasons_en = "; ".join(row.get("reasons") or [])
            reasons_zh = ";".join(row.get("reasons_zh") or [])
            out[key].append(
                (
                    "verdict",
                    f"{en}" + (f": {reasons_en}" if reasons_en else ""),
                    zh + (f":{reasons_zh}" if reasons_zh else ""),
                )
            )
    return out


def _why(
    r: Mapping[str, Any],
    money_kinds: set[str],
    remedied_cv: set[str],
    section_kind: Mapping[tuple[str, int | None, str], str],
) -> str:
    """Why a failing or unassessed check stands in the way of money ("" when it does not)."""
    if r["status"] == "not_assessed":
        return "not_assessed"
    kind, check = r["kind"], r["check_id"]
    if kind == "count_met_with_floor" and r["rule_id"] in money_kinds:
        return ""
    if kind == "dispersion_limit":
        if check in remedied_cv:
            return ""
        return "not_planned"
    if kind == "section_threshold":
        found = section_kind.get((r["county_code"], r["year"], check))
        return "not_planned" if found is None else found
    if kind == "veto":
        return "veto"
    if kind == "prerequisite":
        return "prerequisite"
    if r["group"] == "resources":  # the composite CV, a rule set's own resource rule
        return "not_planned"
    return "county_item"


def _plan_costs(
    result: Result, plan: Plan, costs: Mapping[str, float], counties: set[tuple[str, int | None]]
) -> dict[tuple[str, int | None], float]:
    """What each county's plan costs: every addition the plan makes to the inputs
    (``plan.schools``, exactly what ``plan.adjust()`` adds) times its price."""
    res = resources(result.framework)
    price_of: dict[str, float] = {}
    for r in res.values():
        p = costs.get(r.resource, costs.get(r.indicator))
        if p is not None:
            price_of[r.resource] = float(p)
    s = plan.schools.select(["county_code", "year", "column", "addition"])
    s = s.set_column(1, "year", pc.fill_null(pc.cast(s.column("year"), pa.int64()), _NO_YEAR))  # joinable
    s = s.filter(pc.greater(pc.fill_null(s.column("addition"), 0.0), 0.0))
    # Price per column, looked up once per distinct column (a handful), then one join.
    price: dict[str, float | None] = {}
    for column in pc.unique(s.column("column")).to_pylist():
        base = re.sub(r"_(primary|junior|senior)$", "", column)
        found = price_of.get(base, costs.get(base, costs.get(column)))
        if found is not None:
            _check_price(column, found)
        price[column] = float(found) if found is not None else None
    prices = pa.table(
        {"column": pa.array(list(price), pa.string()), "price": pa.array(list(price.values()), pa.float64())}
    )
    s = s.join(prices, "column", join_type="left outer", use_threads=False)
    wanted = pa.table(
        {
            "county_code": pa.array([k[0] for k in counties], pa.string()),
            "year": pa.array([_NO_YEAR if k[1] is None else k[1] for k in counties], pa.int64()),
        }
    )
    s = s.join(wanted, ["county_code", "year"], join_type="inner", use_threads=False)
    unpriced = s.filter(pc.is_null(s.column("price")))
    if unpriced.num_rows:
        names = [f"{c} ({_ZH.get(c, c)})" for c in sorted(set(unpriced.column("column").to_pylist()))]
        raise InputError(
            "costs: the plans of fundable counties add resources that have no price; missing: "
            + ", ".join(names),
            zh="单价:可资助县的方案需增配以下资源,但未给出单价:" + "、".join(names),
        )
    s = s.append_column("cost", pc.multiply(s.column("addition"), s.column("price")))
    g = s.group_by(["county_code", "year"], use_threads=False).aggregate([("cost", "sum")])
    return {
        (c, None if y == _NO_YEAR else y): float(v)
        for c, y, v in zip(
            g.column("county_code").to_pylist(),
            g.column("year").to_pylist(),
            g.column("cost_sum").to_pylist(),
            strict=True,
        )
    }


def _check_price(column: str, price: object) -> None:
    if isinstance(price, bool) or not isinstance(price, int | float) or not math.isfinite(price) or price < 0:
        raise InputError(
            f"cost of {column}: {price!r} is not a price (expected a number ≥ 0)",
            zh=f"{_ZH.get(column, column)} 的单价 {price!r} 无效(应为不小于 0 的数)",
        )


def _pupils(result: Result) -> dict[tuple[str, int | None], int]:
    """Students of each county's in-scope sections (the result's framework), summed."""
    s = result.sections
    count = next((c for c in ("students", "children") if c in s.column_names), None)  # children: preschool
    if s.num_rows == 0 or count is None:
        return {}
    s = s.filter(pc.fill_null(s.column("in_scope"), False)) if "in_scope" in s.column_names else s
    s = pa.table(
        {
            "county_code": s.column("county_code"),
            "year": pc.cast(s.column("year"), pa.int64()),
            "students": pc.fill_null(pc.cast(s.column(count), pa.float64()), 0.0),
        }
    )
    g = s.group_by(["county_code", "year"], use_threads=False).aggregate([("students", "sum")])
    return {
        (c, y): round(n)
        for c, y, n in zip(
            g.column("county_code").to_pylist(),
            g.column("year").to_pylist(),
            g.column("students_sum").to_pylist(),
            strict=True,
        )
    }


def _refuse_duplicates(cand: pa.Table, certified: pa.Table | None) -> None:
    codes = cand.column("county_code").to_pylist()
    if certified is not None:
        codes += certified.column("county_code").to_pylist()
    twice = sorted(c for c, n in Counter(codes).items() if n > 1)
    if twice:
        shown = ", ".join(twice[:5]) + (" …" if len(twice) > 5 else "")
        raise InputError(
            f"county {shown} appears more than once (several years or frameworks): a fund is "
            "allocated over one evaluation per county; filter the inputs to one year",
            zh=f"县 {shown} 出现了不止一次(多个年份或框架):资金分配按每县一次评估进行,请只保留一个年份的数据",
        )


def _checked(cand: pa.Table, after: list[Result]) -> pa.Table:
    """Fundable counties that the re-evaluation with their plans does not certify are
    moved to the unfundable list."""
    ok = set()
    for r in after:
        v = r.verdicts
        for code, year, verdict in zip(
            v.column("county_code").to_pylist(),
            v.column("year").to_pylist(),
            v.column("verdict").to_pylist(),
            strict=True,
        ):
            if verdict == "certified":
                ok.add((code, year))
    rows = cand.to_pylist()
    en, zh = BLOCKER_WORDS["plan_insufficient"]
    for row in rows:
        if row["fundable"] and (row["county_code"], row["year"]) not in ok:
            row |= {
                "fundable": False,
                "cost_yuan": None,
                "cost_wan": None,
                "blockers": ["plan_insufficient"],
                "blockers_en": [en],
                "blockers_zh": [zh],
            }
    return pa.Table.from_pylist(rows, schema=CANDIDATE_SCHEMA)
