"""Liaoning and Shenyang: funding benchmarks, the city overlay, graded preschool scoring."""

from __future__ import annotations

import pyarrow as pa
import pytest
from eduscore_liaoning import GRADED_ITEMS, ITEMS

import eduscore
from eduscore.engine.grading import grade
from eduscore.engine.plugin_kinds import run_kind
from eduscore.testing import RuleKindConformance
from eduscore.testing.conformance import RuleSetConformance


class TestConformance(RuleSetConformance):
    rule_set_ids = ("liaoning-quality-balance", "shenyang-quality-balance", "liaoning-preschool")


def test_shenyang_overlays_liaoning() -> None:
    dalian = eduscore.effective_framework("210202", "quality-balance-2017", year=2024)
    shenyang = eduscore.effective_framework("210102", "quality-balance-2017", year=2024)
    assert dalian.rule("liaoning_public_funding.primary").threshold.value == 935
    assert shenyang.rule("liaoning_public_funding.primary").threshold.value == 1150
    assert shenyang.rule("liaoning_public_funding.junior").threshold.value == 1350
    assert shenyang.rule("special_ed_funding").threshold.value == 8000
    assert dalian.rule("special_ed_funding").threshold.value == 6000
    assert [r["rule_set"] for r in shenyang.rule_sets] == [
        "liaoning-quality-balance",
        "shenyang-quality-balance",
    ]


def test_checks_record_the_rule_set_that_set_them() -> None:
    schools = pa.table(
        {
            "county_code": ["210102", "210202"],
            "school_id": ["a", "b"],
            "school_name": ["甲", "乙"],
            "school_type": ["primary"] * 2,
            "students_primary": [100, 100],
        }
    )
    counties = pa.table(
        {
            "county_code": ["210102", "210202"],
            "public_funding_per_student_primary": [1000.0, 1000.0],
            "special_ed_funding_per_student": [7000.0, 7000.0],
        }
    )
    r = eduscore.evaluate(schools=schools, counties=counties)
    got = {(c["county_code"], c["check_id"]): c for c in r.checks.to_pylist()}
    assert got[("210102", "liaoning_public_funding.primary")]["status"] == "fail"
    assert got[("210102", "liaoning_public_funding.primary")]["rule_set"] == "shenyang-quality-balance"
    assert got[("210202", "liaoning_public_funding.primary")]["status"] == "pass"
    assert got[("210202", "liaoning_public_funding.primary")]["rule_set"] == "liaoning-quality-balance"
    assert got[("210102", "special_ed_funding")]["status"] == "fail"
    assert got[("210202", "special_ed_funding")]["status"] == "pass"
    assert got[("210202", "special_ed_funding")]["rule_set"] == "national"


BANDS = eduscore.effective_framework("210102", "preschool-2020").verdict["bands"]


@pytest.mark.parametrize(
    ("passes", "basic", "fails", "expected"),
    [
        (36, 0, 0, ("certified", "创优")),
        (33, 3, 0, ("certified", "创优")),
        (32, 4, 0, ("certified", "提高")),
        (31, 5, 0, ("certified", "提高")),
        (30, 6, 0, ("certified", "巩固")),
        (29, 7, 0, ("certified", "巩固")),
        (28, 8, 0, ("not_certified", None)),
        (35, 0, 1, ("not_certified", None)),
    ],
)
def test_liaoning_grade_bands(passes: int, basic: int, fails: int, expected: tuple) -> None:
    statuses = ["pass"] * passes + ["basic_pass"] * basic + ["fail"] * fails
    assert grade(statuses, BANDS) == expected


GRADED_PARAMS = {"min_pass": 29, "max_basic": 7}


class TestGradedItemsConforms(RuleKindConformance):
    """Liaoning's graded items, a rule kind of this plugin, passes the kit's properties."""

    kind = GRADED_ITEMS
    params = GRADED_PARAMS


def _graded(*counties: list[str | None]) -> list[dict]:
    rows = [
        {"key": f"21010{i}|2024", "county": f"21010{i}|2024", **dict(zip(ITEMS, items, strict=True))}
        for i, items in enumerate(counties)
    ]
    return run_kind(GRADED_ITEMS, pa.Table.from_pylist(rows), GRADED_PARAMS).sort_by("key").to_pylist()


@pytest.mark.parametrize(
    ("passes", "basic", "fails"),
    [(36, 0, 0), (33, 3, 0), (31, 5, 0), (29, 7, 0), (28, 8, 0), (35, 0, 1), (20, 0, 16)],
)
def test_the_graded_items_kind_agrees_with_the_grade_bands(passes: int, basic: int, fails: int) -> None:
    """The kind's check passes exactly where the bands give a grade (frameworks.md §5)."""
    statuses = ["pass"] * passes + ["basic_pass"] * basic + ["fail"] * fails
    cells = ["达标"] * passes + ["basic"] * basic + ["不达标"] * fails
    (row,) = _graded(cells)
    verdict, _ = grade(statuses, BANDS)
    assert row["status"] == ("pass" if verdict == "certified" else "fail")
    assert row["value"] == passes


def test_the_graded_items_kind_says_how_many_items_are_unknown() -> None:
    (unknown, failed) = _graded(["pass"] * 30 + [None] * 6, ["pass"] * 30 + [None] * 5 + ["fail"])
    assert unknown["status"] == "not_assessed" and unknown["reason"] == "items_unknown"
    assert unknown["reason_args"] == ["36", "30", "0", "0", "6"]
    assert failed["status"] == "fail" and failed["reason"] == "items_failed"  # a fail settles it


def test_graded_verdict_in_an_evaluation() -> None:
    r = eduscore.evaluate(
        kindergartens=pa.table(
            {
                "county_code": ["210102"],
                "kindergarten_id": ["k"],
                "kindergarten_name": ["甲"],
                "category": ["public"],
                "children": [100],
            }
        ),
        counties=pa.table({"county_code": ["210102"], "population_3_5": [50]}),
        framework="preschool-2020",
    )
    v = r.verdicts.to_pylist()[0]
    assert v["aggregation"] == "graded" and v["aggregation_rule_set"] == "liaoning-preschool"
    assert v["verdict"] == "incomplete" and v["grade"] is None


def _passing_county() -> tuple[pa.Table, dict[str, list[bool]]]:
    """A Liaoning county of one kindergarten passing every check of preschool-2020:
    its kindergartens table and its county facts (attestations all held)."""
    facts = {
        key: [True]
        for key in (
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
    kg = pa.table(
        {
            "county_code": ["210102"],
            "kindergarten_id": ["k"],
            "kindergarten_name": ["甲"],
            "category": ["public"],
            "children": [300],
            "full_time_teachers": [25],
            "certified_teachers": [25],
            "head_certified": [True],
            "classes": [10],
            "classes_oversize": [0],
            "design_year": [2010],
        }
    )
    return kg, facts


def test_graded_items_the_framework_does_not_define_are_not_assessed() -> None:
    """Liaoning grades 36 items; preschool-2020 defines fewer checks. A county passing all of
    them is incomplete (the other items' statuses are unknown), never graded on a part."""
    kg, facts = _passing_county()
    counties = pa.table(
        {"county_code": ["210102"], "population_3_5": [320], "social_recognition": [0.95], **facts}
    )
    r = eduscore.evaluate(kindergartens=kg, counties=counties, framework="preschool-2020")
    v = r.verdicts.to_pylist()[0]
    # Every check of preschool-2020 passes; the graded items' check (the plugin's kind)
    # is the one not assessed: the 36 items' statuses are not in the data.
    assert v["n_fail"] == 0 and v["n_not_assessed"] == 1
    open_checks = [c for c in r.checks.to_pylist() if c["status"] != "pass"]
    assert [c["check_id"] for c in open_checks] == ["liaoning_graded_items"]
    assert open_checks[0]["kind_plugin"].startswith("liaoning ")
    assert v["verdict"] == "incomplete" and v["grade"] is None
    assert any("graded scoring counts 36 items; 36 of them have no status" in x for x in v["reasons"])


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["pass"] * 36, ("certified", "创优")),
        (["pass"] * 32 + ["basic"] * 4, ("certified", "提高")),
        (["达标"] * 29 + ["基本达标"] * 7, ("certified", "巩固")),
        (["pass"] * 28 + ["basic"] * 8, ("not_certified", None)),
        (["pass"] * 35 + ["fail"], ("not_certified", None)),
        (["pass"] * 35 + [None], ("incomplete", None)),
    ],
)
def test_the_grade_follows_the_graded_items_of_the_county(cells: list, expected: tuple) -> None:
    """With the 36 items' statuses in the counties table, a county passing the rest of
    preschool-2020 is graded by them (the kind's check), as the bands say."""
    kg, facts = _passing_county()
    items = {name: pa.array([cell], pa.string()) for name, cell in zip(ITEMS, cells, strict=True)}
    counties = pa.table(
        {"county_code": ["210102"], "population_3_5": [320], "social_recognition": [0.95], **facts, **items}
    )
    r = eduscore.evaluate(kindergartens=kg, counties=counties, framework="preschool-2020")
    v = r.verdicts.to_pylist()[0]
    assert (v["verdict"], v["grade"]) == expected, v["reasons"]


def test_a_graded_item_of_no_known_status_is_a_finding_naming_its_cell() -> None:
    """The 36 item columns are declared as an enum (达标/基本达标/不达标): a value such as
    "达 标?" or "良好" is a finding naming the column and the value, and the county is
    never graded on it (not certified or incomplete, never certified)."""
    kg, facts = _passing_county()
    cells = ["达标"] * 34 + ["良好", "基本 达标?"]
    items = {name: pa.array([cell], pa.string()) for name, cell in zip(ITEMS, cells, strict=True)}
    counties = pa.table(
        {"county_code": ["210102"], "population_3_5": [320], "social_recognition": [0.95], **facts, **items}
    )
    r = eduscore.evaluate(kindergartens=kg, counties=counties, framework="preschool-2020")
    found = [f for f in r.findings.to_pylist() if f["column"] in (ITEMS[34], ITEMS[35])]
    assert {(f["column"], f["value"]) for f in found} == {(ITEMS[34], "良好"), (ITEMS[35], "基本 达标?")}
    assert all("达标" in f["message_zh"] for f in found)
    assert r.verdicts.to_pylist()[0]["verdict"] != "certified"
