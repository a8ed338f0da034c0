"""The example rule kind passes the kit's conformance properties, and scores a city."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pyarrow as pa
from eduscore_example_citykit import SHARE_MEETING

import eduscore
from eduscore.testing import RuleKindConformance


class TestShareMeeting(RuleKindConformance):
    kind = SHARE_MEETING
    params: ClassVar[Mapping[str, Any]] = {"per_100": 1.0, "min_share": 0.8}


def _school(school_id: str, county: str, backbone: int | None) -> dict[str, Any]:
    return {
        "county_code": county,
        "school_id": school_id,
        "school_name": f"学校{school_id}",
        "school_type": "primary",
        "students_primary": 1000,
        "backbone_teachers_primary": backbone,
    }


def test_the_city_rule_scores_its_counties(eduscore_registry: Any) -> None:
    if "example-citykit" not in {i.name for i in eduscore_registry.plugins()}:
        import pytest

        pytest.skip("the example plugin is not installed")
    rows = [
        _school("a", "960101", 12),
        _school("b", "960101", 15),  # 2 of 2 meet 1 per 100: pass
        _school("c", "960102", 12),
        _school("d", "960102", 5),  # 1 of 2: fail
        _school("e", "960103", None),  # the figure is missing: not assessed
        _school("f", "990101", 1),  # outside the city: no such rule
    ]
    schools = pa.table({k: [r[k] for r in rows] for k in rows[0]})
    result = eduscore.evaluate(schools=schools, year=2024)
    got = {
        c["county_code"]: (c["status"], c["kind_plugin"])
        for c in result.checks.to_pylist()
        if c["rule_id"] == "example_city_backbone_share"
    }
    assert got == {
        "960101": ("pass", "example-citykit 0.1.0"),
        "960102": ("fail", "example-citykit 0.1.0"),
        "960103": ("not_assessed", "example-citykit 0.1.0"),
    }
