"""Small builders for hand-made test tables."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

# A primary section exactly at every 2017 threshold with 1000 students.
AT_THRESHOLD_PRIMARY: dict[str, Any] = {
    "students_primary": 1000,
    "teachers_above_degree_primary": 42,
    "backbone_teachers_primary": 10,
    "pe_arts_teachers_primary": 9,
    "teaching_aux_area_m2": 4500.0,
    "sports_area_m2": 7500.0,
    "equipment_value_cny": 2_000_000.0,
    "multimedia_classrooms": 23,
}


def school(
    school_id: str, county: str = "990101", school_type: str = "primary", **values: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "county_code": county,
        "school_id": school_id,
        "school_name": f"学校{school_id}",
        "school_type": school_type,
    }
    row.update(values)
    return row


def table(rows: list[dict[str, Any]]) -> pa.Table:
    names: list[str] = []
    for r in rows:
        names += [k for k in r if k not in names]
    return pa.table({n: [r.get(n) for r in rows] for n in names})
