"""Hebei: scope exclusions, plus eduscore's conformance suite."""

from __future__ import annotations

import pyarrow as pa

import eduscore
from eduscore.testing.conformance import RuleSetConformance


class TestConformance(RuleSetConformance):
    rule_set_ids = ("hebei-quality-balance",)


def _schools(code: str) -> pa.Table:
    return pa.table(
        {
            "county_code": [code] * 3,
            "school_id": ["big", "point", "voc"],
            "school_name": ["城关小学", "石桥教学点", "职教中心"],
            "school_type": ["primary", "teaching_point", "junior"],
            "students_primary": [800, 40, None],
            "students_junior": [None, None, 300],
            "teaching_aux_area_m2": [4000.0, 400.0, 1000.0],
            "is_vocational": [False, False, True],
        }
    )


def test_hebei_teaching_point_under_50_is_excluded_from_the_cvs() -> None:
    r = eduscore.evaluate(schools=_schools("130102"))
    excluded = {e["unit_id"]: e["excluded_by"] for e in r.excluded.to_pylist()}
    assert excluded == {
        "point:primary": "hebei_exclude_small_teaching_points",
        "voc:junior": "hebei_exclude_vocational",
    }
    cv = next(
        d
        for d in r.dispersion.to_pylist()
        if d["indicator"] == "teaching_aux_area_per_student" and d["level"] == "primary"
    )
    assert cv["n_sections"] == 1 and cv["cv"] == 0.0
    acc = r.accounting.to_pylist()[0]
    assert (acc["scored"], acc["excluded"]) == (1, 2)


def test_the_same_data_under_another_province_keeps_the_teaching_point() -> None:
    r = eduscore.evaluate(schools=_schools("410102"))
    assert "point:primary" not in {e["unit_id"] for e in r.excluded.to_pylist()}
    cv = next(
        d
        for d in r.dispersion.to_pylist()
        if d["indicator"] == "teaching_aux_area_per_student" and d["level"] == "primary"
    )
    assert cv["n_sections"] == 2 and cv["cv"] > 0
