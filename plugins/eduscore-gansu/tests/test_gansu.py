"""Gansu: a city's declared counties all fail if one fails. Plus the conformance suite."""

from __future__ import annotations

import pyarrow as pa

import eduscore
from eduscore.testing.conformance import RuleSetConformance


class TestConformance(RuleSetConformance):
    rule_set_ids = ("gansu-preschool",)


FACTS = {
    name: [True] * 3
    for name in (
        "party_leadership",
        "planning",
        "service_network",
        "estate_kindergartens",
        "funding",
        "fees",
        "teacher_pay",
        "safety",
        "regulation",
        "staffing",
        "scientific_care",
    )
}


def test_one_failing_county_fails_its_whole_city_that_year() -> None:
    codes = ["620102", "620103", "620201"]  # two counties of Lanzhou (6201), one of Jiayuguan (6202)
    kg = pa.table(
        {
            "county_code": codes,
            "kindergarten_id": ["a", "b", "c"],
            "kindergarten_name": ["甲", "乙", "丙"],
            "category": ["public"] * 3,
            "children": [500, 500, 500],
            "full_time_teachers": [40] * 3,
            "certified_teachers": [40] * 3,
            "head_certified": [True] * 3,
            "classes": [17] * 3,
            "classes_oversize": [0] * 3,
            "design_year": [2010] * 3,
        }
    )
    counties = pa.table(
        {
            "county_code": codes,
            "year": [2024] * 3,
            "population_3_5": [520, 800, 520],
            "social_recognition": [0.9] * 3,
            "veto_falsification": [False] * 3,
            **FACTS,
        }
    )
    r = eduscore.evaluate(kindergartens=kg, counties=counties, framework="preschool-2020")
    verdicts = {v["county_code"]: v for v in r.verdicts.to_pylist()}
    assert verdicts["620103"]["verdict"] == "not_certified"  # 500 / 800 < 85 %
    assert verdicts["620102"]["verdict"] == "not_certified"  # passes alone, fails with its city
    assert any(x.startswith("gansu_city_all_or_nothing") for x in verdicts["620102"]["reasons"])
    assert verdicts["620201"]["verdict"] == "certified"  # another city


def test_an_incomplete_county_leaves_its_city_incomplete_too() -> None:
    """While one county of the city cannot be assessed, the others cannot be known to pass."""
    codes = ["620102", "620103"]
    kg = pa.table(
        {
            "county_code": codes,
            "kindergarten_id": ["a", "b"],
            "kindergarten_name": ["甲", "乙"],
            "category": ["public"] * 2,
            "children": [500, 500],
            "full_time_teachers": [40] * 2,
            "certified_teachers": [40] * 2,
            "head_certified": [True] * 2,
            "classes": [17] * 2,
            "classes_oversize": [0] * 2,
            "design_year": [2010] * 2,
        }
    )
    facts = {k: v[:2] for k, v in FACTS.items()} | {"funding": [True, None]}
    counties = pa.table(
        {
            "county_code": codes,
            "year": [2024] * 2,
            "population_3_5": [520, 520],
            "social_recognition": [0.9] * 2,
            "veto_falsification": [False] * 2,
            **facts,
        }
    )
    r = eduscore.evaluate(kindergartens=kg, counties=counties, framework="preschool-2020")
    verdicts = {v["county_code"]: v for v in r.verdicts.to_pylist()}
    assert verdicts["620103"]["verdict"] == "incomplete"
    assert verdicts["620102"]["verdict"] == "incomplete"
    assert any("is incomplete this year" in x for x in verdicts["620102"]["reasons"])
