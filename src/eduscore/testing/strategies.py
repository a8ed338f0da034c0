"""Hypothesis strategies generating valid Arrow ``schools``, ``counties`` and ``kindergartens`` tables."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from hypothesis import strategies as st

from eduscore.inputs.prepare import HAS_SENIOR, TYPE_LEVELS

COUNTY_CODES = ("990101", "990102", "990103", "130102", "330482", "410101")
OPTIONAL_COLUMNS = (
    "location",
    "books",
    "computers",
    "sports_area_m2",
    "equipment_value_cny",
    "multimedia_classrooms",
)
SCHOOL_TYPES = (
    "primary",
    "junior",
    "nine_year",
    "twelve_year",
    "complete_middle",
    "teaching_point",
    "special",
)


def _maybe(value: st.SearchStrategy[Any], missing: bool) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), value) if missing else value


@st.composite
def _school(draw: st.DrawFn, index: int, counties: tuple[str, ...], missing: bool) -> dict[str, Any]:
    stype = draw(st.sampled_from(SCHOOL_TYPES))
    levels = TYPE_LEVELS[stype] if stype != "special" else ("primary",)
    size = draw(st.sampled_from(["tiny", "small", "medium", "large"]))
    hi = {"tiny": 60, "small": 400, "medium": 1500, "large": 3000}[size]
    row: dict[str, Any] = {
        "county_code": draw(st.sampled_from(counties)),
        "school_id": f"S{index:06d}",
        "school_name": f"学校{index}",
        "school_type": stype,
        "location": draw(st.sampled_from(["urban", "town", "rural"])),
    }
    total = 0
    for level in levels:
        students = draw(st.integers(1, hi))
        total += students
        row[f"students_{level}"] = students
        teachers = draw(_maybe(st.integers(0, students // 8 + 1), missing))
        row[f"teachers_{level}"] = teachers
        for name, per100 in (
            ("teachers_above_degree", 6.0),
            ("backbone_teachers", 1.5),
            ("pe_arts_teachers", 1.3),
            ("mid_senior_title_teachers", 4.0),
        ):
            # Never more of a kind of teacher than teachers: such a row is rejected as invalid.
            most = int(students * per100 / 100) + 1
            if teachers is not None:
                most = min(most, teachers)
            row[f"{name}_{level}"] = draw(_maybe(st.integers(0, most), missing))
        classes = draw(st.integers(1, max(1, students // 20)))
        row[f"classes_{level}"] = classes
        row[f"max_class_size_{level}"] = draw(
            st.integers(max(1, students // classes), max(1, students // classes) + 10)
        )
    if stype in HAS_SENIOR:
        senior = draw(st.integers(1, hi))
        row["students_senior"] = senior
        total += senior
    for name, per_student in (
        ("teaching_aux_area_m2", 7.0),
        ("sports_area_m2", 14.0),
        ("equipment_value_cny", 4000.0),
    ):
        row[name] = draw(
            _maybe(st.floats(0, per_student * total, allow_nan=False, allow_infinity=False), missing)
        )
    for name, per100 in (("multimedia_classrooms", 4.0), ("computers", 20.0)):
        row[name] = draw(_maybe(st.integers(0, int(total * per100 / 100) + 1), missing))
    row["books"] = draw(_maybe(st.integers(0, total * 50), missing))
    return row


@st.composite
def schools_tables(
    draw: st.DrawFn,
    min_schools: int = 1,
    max_schools: int = 40,
    counties: tuple[str, ...] = COUNTY_CODES[:3],
    missing: bool = True,
) -> pa.Table:
    """Wide ``schools`` tables: mixed school types (spanning schools included), tiny to
    large schools, counties of one school up to ``max_schools``, and — when ``missing`` —
    missing optional values and whole optional columns left out."""
    n = draw(st.integers(min_schools, max_schools))
    rows = [draw(_school(i, counties, missing)) for i in range(n)]
    names: list[str] = []
    for r in rows:
        names += [k for k in r if k not in names]
    table = pa.table({k: [r.get(k) for r in rows] for k in names})
    if missing:
        dropped = draw(st.sets(st.sampled_from(OPTIONAL_COLUMNS), max_size=3))
        table = table.drop_columns([c for c in dropped if c in table.column_names])
    return table


@st.composite
def counties_tables(draw: st.DrawFn, codes: tuple[str, ...] = COUNTY_CODES[:3]) -> pa.Table:
    """``counties`` tables with a random subset of attested and numeric facts."""
    rate = st.floats(0, 1, allow_nan=False)
    cols: dict[str, Any] = {"county_code": list(codes)}
    for name in ("social_recognition", "public_satisfaction", "rotation_rate", "junior_retention_3yr"):
        if draw(st.booleans()):
            cols[name] = [draw(rate) for _ in codes]
    for name in ("school_layout", "veto_exam_admission", "basic_balance_maintained", "planning"):
        if draw(st.booleans()):
            cols[name] = [draw(st.one_of(st.none(), st.booleans())) for _ in codes]
    if draw(st.booleans()):
        cols["population_3_5"] = [draw(st.integers(1, 50_000)) for _ in codes]
    return pa.table(cols)


@st.composite
def kindergartens_tables(
    draw: st.DrawFn, max_rows: int = 30, counties: tuple[str, ...] = COUNTY_CODES[:3]
) -> pa.Table:
    """``kindergartens`` tables of all categories."""
    n = draw(st.integers(1, max_rows))
    rows = []
    for i in range(n):
        children = draw(st.integers(1, 600))
        teachers = draw(st.integers(0, children // 5 + 1))
        rows.append(
            {
                "county_code": draw(st.sampled_from(counties)),
                "kindergarten_id": f"K{i:06d}",
                "kindergarten_name": f"幼儿园{i}",
                "category": draw(st.sampled_from(["public", "private_inclusive", "private_other"])),
                "children": children,
                "full_time_teachers": teachers,
                "certified_teachers": draw(st.integers(0, teachers)),
                "classes": max(1, children // 28),
                "classes_oversize": 0,
                "design_year": draw(st.integers(1990, 2025)),
                "outdoor_play_area_m2": float(children * draw(st.integers(2, 8))),
            }
        )
    return pa.table({k: [r[k] for r in rows] for k in rows[0]})
