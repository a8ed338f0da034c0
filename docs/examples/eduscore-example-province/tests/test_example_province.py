"""The worked example's tests: the conformance suite plus worked examples with known answers."""

from __future__ import annotations

import pyarrow as pa

import eduscore
from eduscore.testing.conformance import RuleSetConformance


class TestConformance(RuleSetConformance):
    rule_set_ids = ("example-province-quality-balance",)


def schools(code: str) -> pa.Table:
    return pa.table(
        {
            "county_code": [code, code],
            "school_id": ["a", "b"],
            "school_name": ["公办小学", "民办小学"],
            "school_type": ["primary", "primary"],
            "ownership": ["公办", "民办"],
            "students_primary": [1000, 500],
            "pe_arts_teachers_primary": [9, 9],
        }
    )


def test_stricter_pe_threshold_applies_from_2022() -> None:
    checks = eduscore.evaluate(schools=schools("980101"), year=2024).section_checks.to_pylist()
    pe = next(
        c for c in checks if c["unit_id"] == "a:primary" and c["check_id"] == "pe_arts_teachers_per_100"
    )
    assert pe["threshold"] == 1.0 and pe["status"] == "fail"  # 0.9 per 100 is enough nationally, not here
    before = eduscore.evaluate(schools=schools("980101"), year=2021).section_checks.to_pylist()
    pe = next(
        c for c in before if c["unit_id"] == "a:primary" and c["check_id"] == "pe_arts_teachers_per_100"
    )
    assert pe["threshold"] == 0.9 and pe["status"] == "pass"


def test_private_schools_are_excluded_and_kept_with_the_rule() -> None:
    result = eduscore.evaluate(schools=schools("980101"), year=2024)
    assert [(e["unit_id"], e["excluded_by"]) for e in result.excluded.to_pylist()] == [
        ("b:primary", "example_exclude_private")
    ]


def test_the_prerequisite_is_not_assessed_without_its_input() -> None:
    result = eduscore.evaluate(schools=schools("980101"), year=2024)
    check = next(c for c in result.checks.to_pylist() if c["check_id"] == "example_plan_adopted")
    assert check["status"] == "not_assessed" and check["rule_set"] == "example-province-quality-balance"
