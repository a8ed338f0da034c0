"""The benchmark's baselines still compute what eduscore computes (benchmarks/baselines.py).

benchmarks/run.py times eduscore against a DuckDB query, a polars query and a numpy
floor; a ratio against a baseline that computes something else means nothing. These
tests run the same equality check the runner runs before timing, on a small nation,
so that a change of the framework or the engine cannot leave the baselines behind
unnoticed. DuckDB and polars are in the ``bench`` group only: without them their tests
are skipped; the numpy floor needs nothing more than eduscore.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import eduscore
from eduscore.synthetic import national

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import baselines


@pytest.fixture(scope="module")
def nation() -> Iterator[dict[str, Any]]:
    # The baselines encode the national rules: the provinces' rule sets (the synthetic
    # counties carry real province codes) are left out, as in benchmarks/run.py.
    with baselines.national_rules_only():
        data = national(0.02)
        result = eduscore.evaluate(schools=data["schools"], counties=data["counties"])
        yield {"schools": data["schools"], "result": result, "rules": baselines.load_rules()}


def test_rules_come_from_the_framework(nation: dict[str, Any]) -> None:
    rules = nation["rules"]
    assert [i.id for i in rules.indicators] == [
        "teachers_above_degree_per_100",
        "backbone_teachers_per_100",
        "pe_arts_teachers_per_100",
        "teaching_aux_area_per_student",
        "sports_area_per_student",
        "equipment_value_per_student",
        "multimedia_classrooms_per_100",
    ]
    assert (rules.min_met, rules.floor_ratio) == (6, 0.85)
    assert rules.weights == {"primary": 1, "junior": 1.1, "senior": 1.32}
    teachers = rules.indicators[0]
    assert (teachers.column, teachers.factor, teachers.per_level) == ("teachers_above_degree", 100.0, True)
    assert teachers.threshold == {"primary": 4.2, "junior": 5.3}
    assert not rules.indicators[3].per_level  # floor area is shared by a school's levels


def test_numpy_floor_equals_eduscore(nation: dict[str, Any]) -> None:
    out = baselines.numpy_floor(nation["schools"], nation["rules"])
    message = baselines.check_equal("numpy", out, nation["result"], nation["schools"], nation["rules"])
    assert "six-of-seven statuses equal" in message


def test_duckdb_equals_eduscore(nation: dict[str, Any]) -> None:
    pytest.importorskip("duckdb")
    out = baselines.DuckDBBaseline(nation["schools"], nation["rules"])()
    baselines.check_equal("DuckDB", out, nation["result"], nation["schools"], nation["rules"])


def test_polars_equals_eduscore(nation: dict[str, Any]) -> None:
    pl = pytest.importorskip("polars")
    out = baselines.polars_lazy(pl.from_arrow(nation["schools"]), nation["rules"])
    baselines.check_equal("polars", out, nation["result"], nation["schools"], nation["rules"])


@pytest.mark.parametrize(
    ("change", "what"),
    [
        ({"weights": {"primary": 1, "junior": 1.0, "senior": 1.32}}, "CVs differ"),
        ({"floor_ratio": 0.5}, "statuses differ"),
    ],
)
def test_the_check_catches_a_baseline_that_drifts(
    nation: dict[str, Any], change: dict[str, Any], what: str
) -> None:
    """A baseline with a wrong split weight or floor does not pass the check."""
    wrong = dataclasses.replace(nation["rules"], **change)
    out = baselines.numpy_floor(nation["schools"], wrong)
    with pytest.raises(AssertionError, match=what):
        baselines.check_equal("numpy", out, nation["result"], nation["schools"], nation["rules"])
