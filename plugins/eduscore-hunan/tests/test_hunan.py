"""Hunan: sub-district kindergartens; the national 85 % enrolment applies. Plus the conformance suite."""

from __future__ import annotations

import pyarrow as pa

import eduscore
from eduscore.testing.conformance import RuleSetConformance


class TestConformance(RuleSetConformance):
    rule_set_ids = ("hunan-preschool",)


def test_gross_enrolment_087_passes_in_hunan() -> None:
    kg = pa.table(
        {
            "county_code": ["430102"] * 2,
            "kindergarten_id": ["k1", "k2"],
            "kindergarten_name": ["甲", "乙"],
            "category": ["public", "private_inclusive"],
            "children": [500, 370],
            "subdistrict": ["东街", "西街"],
        }
    )
    counties = pa.table({"county_code": ["430102"], "population_3_5": [1000], "urban_subdistricts": [3]})
    r = eduscore.evaluate(kindergartens=kg, counties=counties, framework="preschool-2020")
    checks = {c["check_id"]: c for c in r.checks.to_pylist()}
    assert (
        checks["gross_enrollment_3yr"]["value"] == 0.87 and checks["gross_enrollment_3yr"]["status"] == "pass"
    )
    assert checks["gross_enrollment_3yr"]["rule_set"] == "national"
    sub = checks["hunan_subdistrict_kindergartens"]
    assert (
        abs(sub["value"] - 2 / 3) < 1e-12 and sub["status"] == "fail" and sub["rule_set"] == "hunan-preschool"
    )
