"""Zhejiang: the modernisation prerequisite, plus eduscore's conformance suite."""

from __future__ import annotations

import pyarrow as pa

import eduscore
from eduscore.testing.conformance import RuleSetConformance


class TestConformance(RuleSetConformance):
    rule_set_ids = ("zhejiang-quality-balance",)


def _schools(code: str) -> pa.Table:
    return pa.table(
        {
            "county_code": [code],
            "school_id": ["a"],
            "school_name": ["甲小学"],
            "school_type": ["primary"],
            "students_primary": [100],
        }
    )


def test_without_modernisation_a_zhejiang_county_is_not_certified() -> None:
    counties = pa.table({"county_code": ["330482"], "year": [2024], "modernisation_certified_year": [2024]})
    r = eduscore.evaluate(schools=_schools("330482"), counties=counties)
    check = next(c for c in r.checks.to_pylist() if c["check_id"] == "zhejiang_modernisation")
    assert check["status"] == "fail" and check["rule_set"] == "zhejiang-quality-balance"
    assert r.verdict("330482") == "not_certified"
    assert any(x.startswith("zhejiang_modernisation: fail") for x in r.verdicts.to_pylist()[0]["reasons"])


def test_absent_input_makes_it_incomplete_naming_the_rule() -> None:
    counties = pa.table({"county_code": ["330482"], "year": [2024]})
    r = eduscore.evaluate(schools=_schools("330482"), counties=counties)
    check = next(c for c in r.checks.to_pylist() if c["check_id"] == "zhejiang_modernisation")
    assert check["status"] == "not_assessed"
    assert "modernisation_certified_year" in check["reason"]
    assert any(
        x.startswith("zhejiang_modernisation: not assessed") for x in r.verdicts.to_pylist()[0]["reasons"]
    )


def test_other_provinces_do_not_get_the_prerequisite() -> None:
    r = eduscore.evaluate(
        schools=_schools("320101"), counties=pa.table({"county_code": ["320101"], "year": [2024]})
    )
    assert "zhejiang_modernisation" not in r.checks.column("check_id").to_pylist()
