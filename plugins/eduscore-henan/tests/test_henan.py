"""Henan: gross enrolment 90 % and township central kindergartens, plus the conformance suite."""

from __future__ import annotations

import pyarrow as pa

import eduscore
from eduscore.testing.conformance import RuleSetConformance


class TestConformance(RuleSetConformance):
    rule_set_ids = ("henan-preschool",)


def kindergartens(code: str) -> pa.Table:
    return pa.table(
        {
            "county_code": [code] * 3,
            "kindergarten_id": ["k1", "k2", "k3"],
            "kindergarten_name": ["甲镇中心园", "乙镇中心园", "民办园"],
            "category": ["public", "public", "private_other"],
            "children": [300, 270, 300],
            "township": ["甲镇", "乙镇", "甲镇"],
            "township_central": [True, True, False],
        }
    )


def counties(code: str) -> pa.Table:
    return pa.table({"county_code": [code], "population_3_5": [1000], "townships": [3]})


def test_gross_enrolment_087_fails_in_henan() -> None:
    r = eduscore.evaluate(
        kindergartens=kindergartens("410102"), counties=counties("410102"), framework="preschool-2020"
    )
    check = next(c for c in r.checks.to_pylist() if c["check_id"] == "gross_enrollment_3yr")
    assert check["value"] == 0.87 and check["threshold"] == 0.90 and check["status"] == "fail"
    assert check["rule_set"] == "henan-preschool" and check["rule_set_version"] == "1.0.0"


def test_township_central_kindergartens_counted_by_township() -> None:
    r = eduscore.evaluate(
        kindergartens=kindergartens("410102"), counties=counties("410102"), framework="preschool-2020"
    )
    check = next(c for c in r.checks.to_pylist() if c["check_id"] == "henan_township_central_kindergartens")
    assert abs(check["value"] - 2 / 3) < 1e-12 and check["status"] == "fail"
