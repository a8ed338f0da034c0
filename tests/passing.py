"""A county that passes every check of each framework (and of the shipped rule sets),
as contract columns: the base of the "nothing silent" tests and of the template round
trip. Every value is chosen with a margin from its threshold, written as a bureau
would (是/否, 85%), so that one corrupted cell is what changes the verdict."""

from __future__ import annotations

from typing import Any

YEAR = 2024

_PRIMARY = {
    "students_primary": 1000,
    "teachers_primary": 70,
    "teachers_above_degree_primary": 50,
    "backbone_teachers_primary": 12,
    "pe_arts_teachers_primary": 11,
    "mid_senior_title_teachers_primary": 40,
    "classes_primary": 24,
    "max_class_size_primary": 43,
}
_JUNIOR = {
    "students_junior": 800,
    "teachers_junior": 70,
    "teachers_above_degree_junior": 48,
    "backbone_teachers_junior": 10,
    "pe_arts_teachers_junior": 9,
    "mid_senior_title_teachers_junior": 40,
    "classes_junior": 16,
    "max_class_size_junior": 50,
}
_STOCK_PER_STUDENT = {
    "teaching_aux_area_m2": 6.3,
    "sports_area_m2": 11.0,
    "equipment_value_cny": 2_800.0,
    "multimedia_classrooms": 0.027,
    "computers": 0.2,
    "books": 40.0,
}
_FACTS = {
    "music_rooms": 3,
    "art_rooms": 3,
    "music_room_min_area_m2": 100.0,
    "art_room_min_area_m2": 95.0,
    "built_year": 2012,
    "migrant_share": "5%",
    "training_budget_share": "6%",
    "ownership": "公办",
    "location": "城区",
    "education_group": "城关教育集团",
    "is_vocational": "否",
}


def _school(i: int, county: str, stype: str, scale: float) -> dict[str, Any]:
    row: dict[str, Any] = {
        "year": YEAR,
        "county_code": county,
        "county_name": "示例县",
        "school_id": f"{county}{i:04d}",
        "school_name": f"示例县第{i}学校",
        "school_type": {"primary": "小学", "junior": "初级中学", "nine_year": "九年一贯制学校"}[stype],
    }
    students = 0.0
    for level, values in (("primary", _PRIMARY), ("junior", _JUNIOR)):
        if stype in (level, "nine_year"):
            row.update({k: round(v * scale) for k, v in values.items() if not k.startswith("max_class")})
            row[f"max_class_size_{level}"] = values[f"max_class_size_{level}"]
            students += values[f"students_{level}"] * scale * (1.1 if level == "junior" else 1.0)
    for name, per in _STOCK_PER_STUDENT.items():
        value = per * students
        row[name] = (
            round(value) if name in ("multimedia_classrooms", "computers", "books") else round(value, 1)
        )
    row.update(_FACTS)
    return row


def schools(county: str = "990101") -> list[dict[str, Any]]:
    """Five schools (primary, junior, nine-year) of one county, every indicator met."""
    return [
        _school(1, county, "primary", 1.0),
        _school(2, county, "primary", 0.8),
        _school(3, county, "junior", 1.0),
        _school(4, county, "junior", 0.9),
        _school(5, county, "nine_year", 0.6),
    ]


_COUNTY_FACTS: dict[str, Any] = {
    # quality-balance-2017
    "basic_balance_certified_year": 2015,
    "basic_balance_maintained": "是",
    "school_layout": "是",
    "unified_standards": "是",
    "small_school_funding": "是",
    "special_ed_funding_per_student": 8500,
    "teacher_avg_pay": 120000,
    "civil_servant_avg_pay": 116000,
    "performance_pay_set": "是",
    "training_360h_completion": "100%",
    "staffing_pooling": "是",
    "rotation_rate": "12%",
    "rotation_backbone_share": "25%",
    "teacher_certification_rate": "100%",
    "nearby_enrollment_primary": "100%",
    "nearby_enrollment_junior": "97%",
    "hs_quota_allocation": "55%",
    "left_behind_care_system": "是",
    "migrant_public_share": "92%",
    "junior_retention_3yr": "98%",
    "disabled_enrollment": "96%",
    "charter_and_ict_management": "是",
    "ict_teaching_use": "是",
    "moral_education_culture": "是",
    "curriculum": "是",
    "no_excess_burden": "是",
    "monitoring_level_min": 3,
    "monitoring_difference_rate": 0.1,
    "social_recognition": "92%",
    "veto_exam_admission": "否",
    "veto_illegal_school_choice": "否",
    "veto_key_schools_classes": "否",
    "veto_unfilled_posts": "否",
    "veto_major_incident": "否",
    "veto_falsification": "否",
    "veto_tutoring_governance": "否",
    # basic-balance-2012
    "government_work_score": 92,
    "public_satisfaction": "93%",
    "provincial_standard_met": "是",
    # preschool-2020
    "population_3_5": 3000,
    "party_leadership": "是",
    "planning": "是",
    "service_network": "是",
    "estate_kindergartens": "是",
    "funding": "是",
    "fees": "是",
    "teacher_pay": "是",
    "safety": "是",
    "regulation": "是",
    "staffing": "是",
    "scientific_care": "是",
    # shipped rule sets
    "modernisation_certified_year": 2019,
    "public_funding_per_student_primary": 1300,
    "public_funding_per_student_junior": 1500,
    "townships": 2,
    "urban_subdistricts": 2,
}


def county(county: str = "990101") -> dict[str, Any]:
    """The county facts: every attestation held, every rate above its floor, no veto."""
    return {"county_code": county, "county_name": "示例县", "year": YEAR, **_COUNTY_FACTS}


def kindergartens(county: str = "990101") -> list[dict[str, Any]]:
    """Six kindergartens, mostly public, every standard met (≈ 2,700 children of 3,000)."""
    rows = []
    for i, (category, children) in enumerate(
        [
            ("公办", 600),
            ("公办", 500),
            ("公办", 420),
            ("普惠性民办", 480),
            ("普惠性民办", 400),
            ("其他民办", 300),
        ],
        start=1,
    ):
        classes = children // 28 + 1
        rows.append(
            {
                "year": YEAR,
                "county_code": county,
                "county_name": "示例县",
                "kindergarten_id": f"K{county}{i:03d}",
                "kindergarten_name": f"示例县第{i}幼儿园",
                "category": category,
                "children": children,
                "full_time_teachers": classes * 2 + 4,
                "certified_teachers": classes * 2 + 4,
                "caregivers": classes,
                "head_certified": "是",
                "classes": classes,
                "classes_oversize": 0,
                "design_year": 2019,
                "outdoor_play_area_m2": children * 5.0,
                "activity_room_area_m2": children * 9.0,
                "floor_area_m2": children * 12.0,
                "township": "城关镇" if i % 2 else "东湖镇",
                "township_central": "是" if i <= 2 else "否",
                "subdistrict": "城关街道" if i % 2 else "东湖街道",
            }
        )
    return rows
