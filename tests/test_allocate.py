"""Where the money goes furthest (issue #15 item 4): which counties a fund should pay for.

- the choice: cheapest-first (the most counties) and the 万元 knapsack (the most pupils)
  against brute force over every subset of random small provinces, the rounding bound,
  ties, a coarser step for a huge budget, worked examples;
- the claim: every county called fundable comes out certified once its plan is applied
  (one evaluation of a whole synthetic province), and the counties money cannot certify
  are listed with the checks in the way;
- the command line: budgets in 万/亿/元, both languages, bad budgets and missing prices.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eduscore
from eduscore import synthetic
from eduscore.errors import InputError
from eduscore.province.allocate import (
    MAX_CELLS,
    cheapest_first,
    fractional_bound,
    knapsack,
    knapsack_in_steps,
)
from helpers import run_cli

PRICES = {
    "teachers_above_degree": 200_000,
    "backbone_teachers": 250_000,
    "pe_arts_teachers": 200_000,
    "teaching_aux_area_m2": 3_500,
    "sports_area_m2": 800,
    "equipment_value_cny": 1,
    "multimedia_classrooms": 60_000,
    "music_rooms": 400_000,
    "art_rooms": 400_000,
    "music_room_min_area_m2": 3_500,
    "art_room_min_area_m2": 3_500,
}
WAN = 1_000_000  # 1 万元 in cents


# --------------------------------------------------------------------------------------
# The choice against brute force


def _best(cents: list[int], values: list[int], budget: int) -> int:
    """The most value of any subset within ``budget`` (every subset tried)."""
    best = 0
    for k in range(len(cents) + 1):
        for subset in itertools.combinations(range(len(cents)), k):
            if sum(cents[i] for i in subset) <= budget:
                best = max(best, sum(values[i] for i in subset))
    return best


provinces = st.integers(0, 12).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 40 * WAN), min_size=n, max_size=n),  # costs in cents, ≤ 40万元
        st.lists(st.integers(0, 60_000), min_size=n, max_size=n),  # pupils
        st.integers(0, 150 * WAN),  # budget in cents
    )
)


@settings(max_examples=150, deadline=None)
@given(provinces)
def test_cheapest_first_funds_the_most_counties(p: tuple[list[int], list[int], int]) -> None:
    cents, _, budget = p
    chosen = cheapest_first(np.array(cents, np.int64), budget)
    assert sum(cents[i] for i in chosen) <= budget  # affordable
    assert len(chosen) == _best(cents, [1] * len(cents), budget)  # as many as any subset


@settings(max_examples=150, deadline=None)
@given(provinces)
def test_knapsack_is_exact_on_whole_wan_and_within_the_bound(p: tuple[list[int], list[int], int]) -> None:
    cents, pupils, budget = p
    c = np.array(cents, np.int64)
    chosen, unit, m = knapsack_in_steps(c, np.array(pupils, np.int64), budget)
    assert unit == WAN
    value = sum(pupils[i] for i in chosen)
    # At least the exact optimum of the rounded problem (costs up to whole 万元, the budget
    # down); what is left at the exact costs may take one more county.
    steps = [-(-x // WAN) for x in cents]
    assert value >= _best(steps, pupils, budget // WAN)
    # Always affordable at the true costs, so never better than the true optimum …
    assert sum(cents[i] for i in chosen) <= budget
    assert value <= _best(cents, pupils, budget)
    # … and never worse than the true optimum with m × 1万元 less (docs/planning.md).
    assert m == len(cheapest_first(c, budget))
    if budget >= m * WAN:
        assert value >= _best(cents, pupils, budget - m * WAN)
    # The linear relaxation bounds every choice from above.
    assert fractional_bound(c, np.array(pupils, np.int64), budget) >= _best(cents, pupils, budget)


@settings(max_examples=100, deadline=None)
@given(provinces)
def test_knapsack_ties_go_to_the_least_money(p: tuple[list[int], list[int], int]) -> None:
    """Of the choices with the most pupils, the knapsack takes one of least (rounded) cost,
    and the same items in the same order always give the same choice."""
    cents, pupils, budget = p
    steps = [-(-x // WAN) for x in cents]
    cap = budget // WAN
    best, least = 0, 0
    for k in range(len(cents) + 1):
        for subset in itertools.combinations(range(len(cents)), k):
            w = sum(steps[i] for i in subset)
            v = sum(pupils[i] for i in subset)
            if w <= cap and (v > best or (v == best and w < least)):
                best, least = v, w
    chosen = knapsack(np.array(steps, np.int64), np.array(pupils, np.int64), cap)
    assert sum(pupils[i] for i in chosen) == best
    assert sum(steps[i] for i in chosen) == least
    again = knapsack(np.array(steps, np.int64), np.array(pupils, np.int64), cap)
    assert list(again) == list(chosen)


def test_knapsack_worked_example() -> None:
    # Budget 100万: A 60万 / 50,000 pupils, B 50万 / 30,000, C 50万 / 30,000, D 10万 / 1.
    # Cheapest first funds D and B (D + B = 60万; C would make 110万): two counties, as
    # many as any choice; the most pupils is B + C (60,000), not A + D (50,001).
    cents = np.array([60, 50, 50, 10], np.int64) * WAN
    pupils = np.array([50_000, 30_000, 30_000, 1], np.int64)
    assert list(cheapest_first(cents, 100 * WAN)) == [1, 3]
    chosen, unit, m = knapsack_in_steps(cents, pupils, 100 * WAN)
    assert list(chosen) == [1, 2] and unit == WAN and m == 2
    # Equal value: the cheaper choice wins (one item of 6 against two of 5 + 5).
    assert list(knapsack(np.array([6, 5, 5]), np.array([60, 30, 30]), 10)) == [0]
    # 0.5 万 rounds up to 1 万: on whole 万 a budget of 1.5 万 funds one of two; what is left
    # at the exact costs (1 万) takes the other (found by the attack campaign).
    chosen, _, _ = knapsack_in_steps(np.array([WAN // 2, WAN // 2]), np.array([10, 10]), WAN * 3 // 2)
    assert len(chosen) == 2


def test_a_huge_budget_grid_takes_a_coarser_step_with_its_bound() -> None:
    n = 20
    cents = np.arange(1, n + 1, dtype=np.int64) * 10**12 // 7  # 万亿-sized costs
    budget = int(cents.sum() // 2)
    chosen, unit, m = knapsack_in_steps(cents, np.arange(n, dtype=np.int64) + 1, budget)
    assert unit > WAN and unit % WAN == 0
    assert n * (budget // unit + 1) <= MAX_CELLS
    assert int(cents[chosen].sum()) <= budget and m >= len(chosen) >= 1


# --------------------------------------------------------------------------------------
# A synthetic province where money can certify some counties


def fundable_province(n: int = 150, seed: int = 1) -> dict[str, pa.Table]:
    """``synthetic.national`` at about ``n`` counties, with what money cannot fix taken out
    of most of them: school sizes brought under 2,000 / 2,500 (pupils scaled down, classes
    added so no class is over 45 / 50), training budgets at 6 %, and half of the counties
    not certified given the county facts of a certified one. The rest keep their blockers."""
    d = synthetic.national(scale=n / 2850, seed=seed)
    s = d["schools"]

    def set_(t: pa.Table, name: str, values: Any) -> pa.Table:
        return t.set_column(t.column_names.index(name), name, values)

    both = pc.add(
        pc.fill_null(pc.cast(s.column("students_primary"), pa.float64()), 0.0),
        pc.fill_null(pc.cast(s.column("students_junior"), pa.float64()), 0.0),
    )
    spanning = pc.is_in(s.column("school_type"), pa.array(["nine_year", "twelve_year"]))
    cap = pc.if_else(spanning, 2400.0, 1900.0)
    factor = pc.min_element_wise(pc.divide(cap, pc.max_element_wise(both, 1.0)), 1.0)
    for level, most in (("primary", 45.0), ("junior", 50.0)):
        students = s.column(f"students_{level}")
        scaled = pc.floor(pc.multiply(pc.cast(students, pa.float64()), factor))
        s = set_(s, f"students_{level}", pc.cast(scaled, students.type))
        classes = s.column(f"classes_{level}")
        need = pc.ceil(pc.divide(scaled, most))
        more = pc.max_element_wise(need, pc.cast(classes, pa.float64()))
        s = set_(s, f"classes_{level}", pc.cast(pc.if_else(pc.is_null(classes), classes, more), classes.type))
    for name, limit, upward in (
        ("max_class_size_primary", 45, False),
        ("max_class_size_junior", 50, False),
        ("training_budget_share", 0.06, True),
    ):
        column = s.column(name)
        bound = pa.scalar(limit, column.type)
        wrong = pc.less(column, bound) if upward else pc.greater(column, bound)
        s = set_(s, name, pc.if_else(wrong, bound, column))
    counties = d["counties"]
    before = eduscore.evaluate(schools=s, counties=counties)
    verdicts = dict(
        zip(
            before.verdicts.column("county_code").to_pylist(),
            before.verdicts.column("verdict").to_pylist(),
            strict=True,
        )
    )
    good = next(c for c, v in sorted(verdicts.items()) if v == "certified")
    rows = counties.to_pylist()
    model = next(r for r in rows if r["county_code"] == good)
    keep = {"county_code", "county_name", "year"}
    for i, r in enumerate(rows):
        if verdicts.get(r["county_code"]) != "certified" and i % 2 == 0:
            r.update({k: v for k, v in model.items() if k not in keep})
    return {"schools": s, "counties": pa.Table.from_pylist(rows, schema=counties.schema)}


@pytest.fixture(scope="module")
def province() -> dict[str, pa.Table]:
    return fundable_province()


@pytest.fixture(scope="module")
def result(province: dict[str, pa.Table]) -> eduscore.Result:
    return eduscore.evaluate(**province)


def test_every_fundable_county_certifies_once_its_plan_is_applied(
    province: dict[str, pa.Table], result: eduscore.Result
) -> None:
    """The "could this change a verdict silently" check: all counties' plans applied at
    once, one evaluation; every county called fundable comes out certified, and every
    county money cannot certify still is not."""
    a = eduscore.allocate(result, 5e8, PRICES)
    fundable = set(a.candidates.filter(a.candidates.column("fundable")).column("county_code").to_pylist())
    assert len(fundable) >= 20, len(fundable)
    after = eduscore.evaluate(**province, adjust=eduscore.make_plan(result, PRICES).adjust())
    verdict = dict(
        zip(
            after.verdicts.column("county_code").to_pylist(),
            after.verdicts.column("verdict").to_pylist(),
            strict=True,
        )
    )
    assert {c for c in fundable if verdict[c] != "certified"} == set()
    blocked = a.unfundable.column("county_code").to_pylist()
    assert blocked and {c for c in blocked if verdict[c] == "certified"} == set()
    # Checked with `after`, the allocation keeps every county where it was; the plans
    # made once can be given.
    plan = eduscore.make_plan(result, PRICES)
    checked = eduscore.allocate(result, 5e8, PRICES, after=after, plans=[plan])
    assert checked.candidates.equals(a.candidates)
    with pytest.raises(ValueError, match="same costs"):
        eduscore.allocate(result, 5e8, {**PRICES, "music_rooms": 1.0}, plans=[plan])


def test_allocation_on_a_province(result: eduscore.Result) -> None:
    budget = 2e8
    a = eduscore.allocate(result, budget, PRICES)
    cand = a.candidates
    fundable = cand.filter(cand.column("fundable"))
    costs = sorted(fundable.column("cost_yuan").to_pylist())
    # Cheapest first: the funded are the k cheapest, k as many as fit.
    k = a.funded.num_rows
    assert sum(costs[:k]) <= budget < sum(costs[: k + 1]) or k == len(costs)
    assert a.total_cost == pytest.approx(sum(a.funded.column("cost_yuan").to_pylist()))
    assert a.left == pytest.approx(budget - a.total_cost)
    assert a.pupils == sum(a.funded.column("pupils").to_pylist())
    assert a.next_county is not None and a.next_county.cost_yuan == pytest.approx(costs[k])
    assert a.next_county.more_yuan == pytest.approx(costs[k] - a.left, abs=0.01)
    assert a.next_county.more_yuan > 0
    assert fundable.column("cost_wan").to_pylist() == pytest.approx(
        [c / 1e4 for c in fundable.column("cost_yuan").to_pylist()]
    )
    # Every unfundable county names what stands in its way, in both languages.
    for row in a.unfundable.to_pylist():
        assert row["blockers"] and len(row["blockers"]) == len(row["blockers_en"]) == len(row["blockers_zh"])
    # Counties already certified are apart; every county is in exactly one list.
    n = result.verdicts.num_rows
    assert a.certified.num_rows + cand.num_rows == n
    # The pupils objective: at least as many pupils as cheapest-first, within the budget.
    b = eduscore.allocate(result, budget, PRICES, "pupils")
    assert b.pupils >= a.pupils and b.total_cost <= budget
    assert b.unit == 1e4 and b.rounding_bound == 1e4 * k
    assert b.pupils_bound is not None and b.pupils <= b.pupils_bound and a.pupils_bound is None
    assert "万元" in b.bound_text("zh") and "万元" in b.bound_text("en")
    json.dumps(b.to_dict(), ensure_ascii=False)


def test_pupils_are_the_in_scope_students(result: eduscore.Result) -> None:
    a = eduscore.allocate(result, 0, PRICES)
    s = result.sections.filter(pc.fill_null(result.sections.column("in_scope"), False))
    code = a.candidates.column("county_code")[0].as_py()
    mine = s.filter(pc.equal(s.column("county_code"), code))
    assert a.candidates.column("pupils")[0].as_py() == round(pc.sum(mine.column("students")).as_py())
    assert a.funded.num_rows == 0 and a.left == 0 and a.total_cost == 0


def test_blockers_on_the_demo_county() -> None:
    result = eduscore.evaluate(**eduscore.demo_inputs())
    a = eduscore.allocate(result, 1e9, PRICES)
    row = a.unfundable.to_pylist()[0]
    assert row["blockers"] == ["school_size", "teacher_rotation.backbone"]
    assert "需减少" in row["blockers_zh"][0] and "reduction" in row["blockers_en"][0]
    assert a.next_county is None and a.funded.num_rows == 0


def test_bad_arguments_are_input_errors(result: eduscore.Result) -> None:
    with pytest.raises(InputError, match="budget"):
        eduscore.allocate(result, -1, PRICES)
    with pytest.raises(InputError, match="budget"):
        eduscore.allocate(result, math.nan, PRICES)
    with pytest.raises(InputError, match="objective"):
        eduscore.allocate(result, 1e8, PRICES, "schools")  # type: ignore[arg-type]
    rooms = {k: v for k, v in PRICES.items() if "room" not in k or k == "multimedia_classrooms"}
    with pytest.raises(InputError, match=r"no price; missing: .*music_rooms") as e:
        eduscore.allocate(result, 1e8, rooms)
    assert "音乐专用教室数" in e.value.message("zh")
    with pytest.raises(InputError, match="more than once"):
        eduscore.allocate([result, result], 1e8, PRICES)


# --------------------------------------------------------------------------------------
# The command line


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, province: dict[str, pa.Table]) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("allocate")
    pq.write_table(province["schools"], folder / "schools.parquet")
    pq.write_table(province["counties"], folder / "counties.parquet")
    (folder / "prices.csv").write_text(
        "resource,cost\n" + "".join(f"{k},{v}\n" for k, v in PRICES.items()), encoding="utf-8"
    )
    return {
        "schools": folder / "schools.parquet",
        "counties": folder / "counties.parquet",
        "prices": folder / "prices.csv",
        "folder": folder,
    }


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("50000万", 5e8),
        ("5亿", 5e8),
        ("500000000", 5e8),
        ("5e8", 5e8),
        ("50,000万元", 5e8),
        ("５０００万", 5e7),
        ("1.5亿元", 1.5e8),
        ("3000元", 3000.0),
        ("2万亿", 2e12),
        (" 120 万 ", 1.2e6),
    ],
)
def test_budget_texts(text: str, yuan: float) -> None:
    from eduscore.cli import parse_budget

    assert parse_budget(text) == pytest.approx(yuan)


@pytest.mark.parametrize("text", ["", "abc", "-5万", "5万万万", "nan", "inf", "5美元", "1e400"])
def test_bad_budget_texts(text: str) -> None:
    from eduscore.cli import parse_budget

    with pytest.raises(InputError) as e:
        parse_budget(text)
    assert "预算" in e.value.message("zh") and "budget" in e.value.message("en")


def test_cli_allocate_in_both_languages(files: dict[str, Path], tmp_path: Path) -> None:
    args = ["allocate", files["schools"], files["counties"], "--costs", files["prices"], "--budget", "2亿"]
    zh = run_cli(*args, "--lang", "zh", "--out", tmp_path / "zh")
    assert zh.returncode == 0, zh.stderr
    for word in ("受资助", "万元", "剩余", "资金无法解决"):
        assert word in zh.stdout, (word, zh.stdout)
    en = run_cli(*args, "--lang", "en", "--objective", "pupils")
    assert en.returncode == 0, en.stderr
    for word in ("Funded", "万元", "Left", "money cannot"):
        assert word in en.stdout, (word, en.stdout)
    summary = json.loads((tmp_path / "zh" / "allocation.json").read_text("utf-8"))
    assert summary["objective"] == "counties" and summary["budget_yuan"] == 2e8
    assert (tmp_path / "zh" / "allocation.xlsx").stat().st_size > 0
    assert summary["n_funded"] == len(summary["funded"]) > 0


def test_cli_allocate_bad_input(files: dict[str, Path]) -> None:
    base = ["allocate", files["schools"], files["counties"]]
    proc = run_cli(*base, "--costs", files["prices"], "--budget", "五千万", "--lang", "zh")
    assert proc.returncode == 2 and "预算" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli(*base, "--costs", files["prices"], "--budget", "lots", "--lang", "en")
    assert proc.returncode == 2 and "budget" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli(*base, "--budget", "5亿", "--lang", "en")
    assert proc.returncode == 2 and "--costs" in proc.stderr
    some = files["folder"] / "some.csv"
    some.write_text("resource,cost\nteachers_above_degree,200000\n", encoding="utf-8")
    proc = run_cli(*base, "--costs", some, "--budget", "5亿", "--lang", "zh")
    assert proc.returncode == 2 and "单价" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cli_allocate_help_speaks_one_language(lang: str) -> None:
    from eduscore.cli_lang import width
    from test_cli_lang import assert_chinese, assert_english, help_of

    text = help_of("allocate", "--lang", lang)
    if lang == "zh":
        assert_chinese(text, {"allocate", "counties", "pupils"})
        wide = help_of("allocate", "--lang", "zh", env={"COLUMNS": "80"})
        assert [line for line in wide.splitlines() if width(line) > 80] == []
    else:  # 万 and 亿 are what --budget takes: the notation, not words
        assert_english(text.replace("万", "").replace("亿", "").replace("元", ""))


def test_the_worked_example_of_the_docs(tmp_path: Path) -> None:
    """docs/planning.md shows two runs on a province of 30 counties: its totals and next
    counties are what the command prints."""
    page = (Path(__file__).parent.parent / "docs" / "planning.md").read_text("utf-8")
    province = fundable_province(30)
    pq.write_table(province["schools"], tmp_path / "schools.parquet")
    pq.write_table(province["counties"], tmp_path / "counties.parquet")
    (tmp_path / "prices.csv").write_text(
        "resource,cost\n" + "".join(f"{k},{v}\n" for k, v in PRICES.items()), encoding="utf-8"
    )
    for objective in ("counties", "pupils"):
        proc = run_cli(
            "allocate",
            tmp_path / "schools.parquet",
            tmp_path / "counties.parquet",
            "--costs",
            tmp_path / "prices.csv",
            "--budget",
            "1亿",
            "--objective",
            objective,
            "--lang",
            "zh",
            env={"COLUMNS": "100"},
        )
        assert proc.returncode == 0, proc.stderr
        lines = [ln.strip() for ln in proc.stdout.splitlines() if ln.startswith(("合计", "下一个", "靠资金"))]
        assert len(lines) == 3
        for line in lines:
            assert line in page, line


def test_docstring_examples() -> None:
    import doctest

    import eduscore.province.allocate as module

    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0


def test_results_evaluated_apart_are_allocated_as_one(
    province: dict[str, pa.Table], result: eduscore.Result
) -> None:
    """A province evaluated in two parts (by the first digit of the county code) gives the
    same allocation as the whole."""

    def part(first: bool) -> eduscore.Result:
        tables = {}
        for role, table in province.items():
            north = pc.less(table.column("county_code"), "4")
            tables[role] = table.filter(north if first else pc.invert(north))
        return eduscore.evaluate(**tables)

    whole = eduscore.allocate(result, 3e8, PRICES, "pupils")
    parts = eduscore.allocate([part(True), part(False)], 3e8, PRICES, "pupils")
    assert parts.funded.column("county_code").to_pylist() == whole.funded.column("county_code").to_pylist()
    assert parts.candidates.equals(whole.candidates)
    assert parts.total_cost == whole.total_cost and parts.pupils == whole.pupils


def test_a_county_its_plan_does_not_certify_is_moved_apart(result: eduscore.Result) -> None:
    """Given as `after` a result where nothing changed, no county is called fundable."""
    a = eduscore.allocate(result, 5e8, PRICES, after=result)
    assert not any(a.candidates.column("fundable").to_pylist()) and a.funded.num_rows == 0
    moved = [r for r in a.unfundable.to_pylist() if r["blockers"] == ["plan_insufficient"]]
    assert moved and "重新评估" in moved[0]["blockers_zh"][0]


def test_a_framework_without_a_plan_lists_every_county_apart() -> None:
    result = eduscore.evaluate(**eduscore.demo_inputs(), framework="preschool-2020")
    a = eduscore.allocate(result, 1e8, PRICES)
    assert a.funded.num_rows == 0
    assert a.unfundable.num_rows + a.certified.num_rows == result.verdicts.num_rows


@pytest.mark.parametrize("text", ["5,5亿", "1,2,3", "5,00万", "1,0000", "1e300"])
def test_a_budget_with_a_comma_out_of_place_or_beyond_any_fund_is_refused(text: str) -> None:
    """Found by the new-user walk: 5,5亿 was read as 55亿 and 1,2,3 as 123 元, without a word."""
    from eduscore.cli import parse_budget

    with pytest.raises(InputError):
        parse_budget(text)


def test_a_price_file_priced_twice_or_with_true_or_a_misspelt_resource_is_said(tmp_path: Path) -> None:
    """Found by the attack campaign and the walk: the last of two prices won, JSON true was
    1 元, and a misspelt resource was ignored — each without a word."""
    twice = tmp_path / "twice.csv"
    twice.write_text("resource,cost\nsports_area_m2,800\nsports_area_m2,100\n", "utf-8")
    run = run_cli("plan", "--demo", "--costs", twice, "--lang", "en")
    assert run.returncode == 2 and "rows 2 and 3" in run.stderr and "Traceback" not in run.stderr
    true = tmp_path / "true.json"
    true.write_text('{"sports_area_m2": true}', "utf-8")
    run = run_cli("plan", "--demo", "--costs", true, "--lang", "en")
    assert run.returncode == 2 and "not a number" in run.stderr
    typo = tmp_path / "typo.csv"
    prices = (Path(eduscore.__file__).parent / "demo" / "prices" / "prices.csv").read_text("utf-8")
    typo.write_text(prices + "sport_area_m2,5\n", "utf-8")
    run = run_cli("plan", "--demo", "--costs", typo, "--lang", "en")
    assert run.returncode == 0 and "sport_area_m2" in run.stderr and "not used" in run.stderr
