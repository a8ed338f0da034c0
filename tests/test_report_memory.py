"""The nation's reports without holding every row as Python (issue #12): the lazy and
partial paths give what the whole-table paths give."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import eduscore
from eduscore.planning.margins import margins, nearest_risks, risks
from eduscore.report.planning import ByCounty
from eduscore.report.view import CountySlices, ReportView
from eduscore.synthetic import national


@pytest.fixture(scope="module")
def many() -> eduscore.Result:
    data = national(0.01, seed=5)  # about 28 counties
    return eduscore.evaluate(schools=data["schools"], counties=data["counties"])


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN equal to NaN (``repr`` tells the types apart too)."""
    return repr(a) == repr(b)


@pytest.mark.parametrize(
    "name", ["checks", "section_checks", "sections", "dispersion", "excluded", "verdicts"]
)
def test_county_rows_equal_arrow_rows(many: eduscore.Result, name: str) -> None:
    table = getattr(many, name)
    slices = CountySlices(table)
    assert slices._where, name
    for key in slices._where:
        assert _same(slices.rows(*key), slices.slice(*key).to_pylist()), (name, key)


def test_county_rows_decode_missing_and_all_missing_dictionary_cells() -> None:
    table = pa.table(
        {
            "county_code": pa.array(["b", "a", "b", "a"]).dictionary_encode(),
            "year": [2024, 2024, 2024, None],
            "x": pa.array(["p", None, "q", "p"]).dictionary_encode(),
            "never": pa.array([None, None, None, None], pa.string()).dictionary_encode(),
        }
    )
    slices = CountySlices(table)
    assert slices.rows("a", 2024) == [{"county_code": "a", "year": 2024, "x": None, "never": None}]
    assert slices.rows("b", 2024) == [
        {"county_code": "b", "year": 2024, "x": "p", "never": None},
        {"county_code": "b", "year": 2024, "x": "q", "never": None},
    ]
    assert slices.rows("a", None) == [{"county_code": "a", "year": None, "x": "p", "never": None}]
    assert slices.rows("c", 2024) == []


def test_some_counties_equal_the_same_counties_of_all(many: eduscore.Result) -> None:
    view = ReportView(many, "en")
    every = {(c.county_code, c.year): c for c in view.counties()}
    codes = sorted({code for code, _ in every})[:: max(1, len(every) // 4)]
    some = list(ReportView(many, "en").counties(only=set(codes)))
    assert sorted(c.county_code for c in some) == sorted(codes)
    for c in some:
        assert _same(c, every[(c.county_code, c.year)])
    assert list(view.counties(only=set())) == []


def test_first_failing_is_the_first_failing_check_of_each_county(many: eduscore.Result) -> None:
    view = ReportView(many, "zh")
    first = view.first_failing()
    expected = {}
    for c in view.counties():
        failing = [ch for ch in c.checks if ch["status"] in ("fail", "basic_pass")]
        if failing:
            expected[(c.county_code, c.year)] = failing[0]["check_id"]
    assert len({ch for ch in expected.values()}) > 1  # not the same check everywhere
    assert expected  # some county fails something
    assert {k: row["check_id"] for k, row in first.items()} == expected
    assert all(view.check_name(row) for row in first.values())


@pytest.mark.parametrize("per_county", [1, 5])
def test_risks_equal_the_nearest_risks_of_every_margin(many: eduscore.Result, per_county: int) -> None:
    expected = nearest_risks(margins(many), per_county)
    assert expected.num_rows > 0
    assert risks(many, per_county).equals(expected)


def test_analyses_make_the_margins_when_read(many: eduscore.Result) -> None:
    a = eduscore.analyse(many)
    assert a.margins.equals(margins(many))
    assert a.risks.equals(nearest_risks(a.margins))
    table = margins(many).slice(0, 3)
    assert attrs.evolve(a, margins=table).margins is table


def test_planning_rows_by_county_equal_a_grouping_of_every_row(many: eduscore.Result) -> None:
    a = eduscore.analyse(many)
    assert a.plan is not None
    for table in (a.plan.gaps, a.plan.checks, a.plan.totals(), a.risks):
        grouped: dict[tuple[str, Any], list[dict[str, Any]]] = defaultdict(list)
        for row in table.to_pylist():
            grouped[(row["county_code"], row["year"])].append(row)
        lazy = ByCounty(table)
        assert grouped
        for key, rows in grouped.items():
            assert _same(lazy.get(key, []), rows)
        assert lazy.get(("no such county", None), []) == []
    empty = a.plan.gaps.filter(pc.less(a.plan.gaps.column("addition"), -1.0))
    assert ByCounty(empty).get(next(iter(grouped)), []) == []
    assert ByCounty(None).get(next(iter(grouped)), []) == []


def test_each_county_slice_holds_that_county_only() -> None:
    """Thousands of counties in a shuffled table (as a nation's risks or CVs): every slice
    holds its own county's rows, in the table's order."""
    import random

    rng = random.Random(7)
    keys = [(f"{710000 + rng.randrange(3000)}", rng.choice([2023, 2024, None])) for _ in range(15_000)]
    table = pa.table(
        {
            "county_code": pa.array([k[0] for k in keys]).dictionary_encode(),
            "year": pa.array([k[1] for k in keys], pa.int64()),
            "n": list(range(len(keys))),
        }
    )
    slices = CountySlices(table)
    expected: dict[tuple[str, Any], list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        expected[key].append(i)
    assert set(slices._where) == set(expected)
    for key, rows in expected.items():
        part = slices.slice(*key)
        assert part.column("n").to_pylist() == rows, key


def test_giving_memory_back_changes_no_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """The large-input path (memory given back between phases) gives the same result as
    the small-input path, and it is really taken."""
    import eduscore.engine.memory as memory

    data = national(0.01, seed=5)
    kept = eduscore.evaluate(schools=data["schools"], counties=data["counties"])
    calls: list[int] = []
    real = memory.give_back

    def counting(rows: int = memory.LARGE_ROWS) -> None:
        calls.append(rows)
        real(rows)

    monkeypatch.setattr(memory, "LARGE_ROWS", 1)
    for module in ("eduscore.engine.evaluate", "eduscore.engine.assemble"):
        monkeypatch.setattr(f"{module}.give_back", counting)
    given = eduscore.evaluate(schools=data["schools"], counties=data["counties"])
    assert len(calls) >= 3 and all(n >= 1 for n in calls)
    for name in ("verdicts", "checks", "sections", "dispersion", "section_checks", "accounting"):
        assert getattr(given, name).equals(getattr(kept, name)), name


def test_units_grouped_by_chain_score_as_each_chain_alone() -> None:
    """Counties of several rule-set chains interleaved in the input (the synthetic nation
    with the provinces' rule sets installed): the run that groups units by chain once
    gives, county by county, what evaluating that chain's counties alone gives."""
    from eduscore.plugins.catalog import assign_chains

    data = national(0.03, seed=9)
    whole = eduscore.evaluate(schools=data["schools"], counties=data["counties"])
    keys, chains = assign_chains(data["counties"], "quality-balance-2017")
    if len(chains) < 2:
        pytest.skip("no province rule set installed: a single chain")
    # The chains are scored apart, the verdicts come in county order all the same.
    listed = [(v["county_code"], v["year"]) for v in whole.verdicts.to_pylist()]
    assert listed == sorted(listed)
    # Schools of different chains are interleaved in the input.
    codes = data["schools"].column("county_code")
    assert len(set(pc.unique(codes).to_pylist())) > 10
    for key in sorted(chains, key=len)[-2:]:
        mine = data["counties"].filter(pc.equal(keys, key))
        wanted = pc.is_in(codes, mine.column("county_code"))
        alone = eduscore.evaluate(schools=data["schools"].filter(wanted), counties=mine)
        for name in ("sections", "checks", "verdicts", "dispersion", "section_checks"):
            part = getattr(whole, name)
            part = part.filter(
                pc.is_in(pc.cast(part.column("county_code"), pa.string()), mine.column("county_code"))
            )
            own = getattr(alone, name)
            if "source_row" in own.column_names:  # the rows of the smaller input are numbered anew
                part, own = part.drop_columns(["source_row"]), own.drop_columns(["source_row"])
            assert part.num_rows == own.num_rows > 0, (key, name)
            assert part.to_pylist() == own.to_pylist(), (key, name)
