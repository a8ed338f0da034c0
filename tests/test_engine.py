"""The engine on hand-built counties with known answers."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import eduscore
from helpers import AT_THRESHOLD_PRIMARY, school, table
from reference import split_shares


def checks_of(result: eduscore.Result, county: str = "990101") -> dict[str, dict]:
    return {r["check_id"]: r for r in result.checks.to_pylist() if r["county_code"] == county}


def section(result: eduscore.Result, unit_id: str) -> dict:
    rows = [r for r in result.sections.to_pylist() if r["unit_id"] == unit_id]
    assert len(rows) == 1
    return rows[0]


def six(result: eduscore.Result, unit_id: str) -> str:
    return str(section(result, unit_id)["school_six_of_seven__status"])


def test_exactly_at_every_threshold_passes() -> None:
    r = eduscore.evaluate(schools=table([school("a", **AT_THRESHOLD_PRIMARY)]))
    s = section(r, "a:primary")
    assert s["school_six_of_seven__status"] == "pass" and s["school_six_of_seven__met_count"] == 7
    ratios = [c["ratio"] for c in r.section_checks.to_pylist() if c["kind"] == "indicator"]
    assert ratios == pytest.approx([1.0] * 7)


@pytest.mark.parametrize(
    ("area", "status", "met"),
    [
        (4500.0, "pass", 7),  # at the threshold
        (3825.0, "pass", 6),  # one miss at exactly 85 % (3.825 m², the spec's example)
        (3824.0, "fail", 6),  # one miss just below 85 %
    ],
)
def test_six_of_seven_floor_at_85_percent(area: float, status: str, met: int) -> None:
    row = school("a", **{**AT_THRESHOLD_PRIMARY, "teaching_aux_area_m2": area})
    r = eduscore.evaluate(schools=table([row]))
    assert six(r, "a:primary") == status
    assert section(r, "a:primary")["school_six_of_seven__met_count"] == met


def test_two_misses_fail_even_when_both_above_85_percent() -> None:
    row = school("a", **{**AT_THRESHOLD_PRIMARY, "teaching_aux_area_m2": 4400.0, "sports_area_m2": 7400.0})
    r = eduscore.evaluate(schools=table([row]))
    assert six(r, "a:primary") == "fail"
    assert checks_of(r)["school_six_of_seven"]["status"] == "fail"


def test_a_zero_value_is_below_the_floor() -> None:
    row = school("a", **{**AT_THRESHOLD_PRIMARY, "pe_arts_teachers_primary": 0})
    r = eduscore.evaluate(schools=table([row]))
    assert six(r, "a:primary") == "fail"


def test_missing_resource_makes_the_school_not_assessed_unless_already_failing() -> None:
    gap = dict(AT_THRESHOLD_PRIMARY)
    del gap["sports_area_m2"]
    rows = [school("a", **gap), school("b", **{**gap, "teaching_aux_area_m2": 100.0})]
    r = eduscore.evaluate(schools=table(rows))
    assert six(r, "a:primary") == "not_assessed"
    assert six(r, "b:primary") == "fail"  # decided whatever the missing value is
    reasons = {
        c["unit_id"]: c["reason"]
        for c in r.section_checks.to_pylist()
        if c["check_id"] == "sports_area_per_student"
    }
    assert reasons["a:primary"] == "missing input sports_area_m2 (体育运动场馆面积(平方米))"


def test_split_shares_of_spanning_schools() -> None:
    rows = [
        school(
            "n",
            school_type="nine_year",
            students_primary=600,
            students_junior=400,
            teaching_aux_area_m2=10_000.0,
        ),
        school(
            "t",
            school_type="twelve_year",
            students_primary=300,
            students_junior=300,
            students_senior=600,
            teaching_aux_area_m2=10_000.0,
        ),
        school(
            "c",
            school_type="complete_middle",
            students_junior=900,
            students_senior=1200,
            teaching_aux_area_m2=10_000.0,
        ),
    ]
    r = eduscore.evaluate(schools=table(rows))
    got = {s["unit_id"]: s for s in r.sections.to_pylist()}
    assert set(got) == {"n:primary", "n:junior", "t:primary", "t:junior", "c:junior"}  # senior parts dropped
    for sid, stype, a, b, c in (
        ("n", "nine_year", 600, 400, 0),
        ("t", "twelve_year", 300, 300, 600),
        ("c", "complete_middle", 0, 900, 1200),
    ):
        for level, share in split_shares(stype, a, b, c).items():
            sec = got[f"{sid}:{level}"]
            assert sec["split_share"] == pytest.approx(share, rel=1e-12)
            students = a if level == "primary" else b
            assert sec["teaching_aux_area_per_student"] == pytest.approx(10_000 * share / students, rel=1e-12)
    assert got["c:junior"]["split_share"] == pytest.approx(900 / (900 + 1.2 * 1200))


def test_whole_school_teacher_counts_are_split_and_flagged_estimated() -> None:
    rows = [
        school(
            "n",
            school_type="nine_year",
            students_primary=600,
            students_junior=400,
            teachers=100,
            teachers_primary=None,
            teachers_junior=30,
        )
    ]
    r = eduscore.evaluate(schools=table(rows), framework="basic-balance-2012")
    got = {s["unit_id"]: s for s in r.sections.to_pylist()}
    share = 600 / (600 + 1.1 * 400)
    assert got["n:primary"]["teacher_student_ratio"] == pytest.approx(100 * share / 600)
    assert got["n:primary"]["estimated_columns"] == ["teachers"]
    assert got["n:junior"]["estimated_columns"] == []  # the junior count was given
    assert got["n:junior"]["teacher_student_ratio"] == pytest.approx(30 / 400)


def test_missing_county_input_makes_the_verdict_incomplete() -> None:
    r = eduscore.evaluate(schools=table([school("a", **AT_THRESHOLD_PRIMARY)]))
    v = r.verdicts.to_pylist()[0]
    assert v["verdict"] == "incomplete" and v["n_fail"] == 0
    c = checks_of(r)
    assert c["social_recognition"]["status"] == "not_assessed"
    assert c["social_recognition"]["reason"] == "missing input social_recognition (社会认可度)"
    # The junior level has no sections: its CVs are not assessed, never passed.
    assert c["cv.sports_area_per_student.junior"]["status"] == "not_assessed"


def test_a_failure_is_decisive_even_when_other_inputs_are_missing() -> None:
    counties = pa.table({"county_code": ["990101"], "veto_exam_admission": [True]})
    r = eduscore.evaluate(schools=table([school("a", **AT_THRESHOLD_PRIMARY)]), counties=counties)
    v = r.verdicts.to_pylist()[0]
    assert v["verdict"] == "not_certified"
    assert any(x.startswith("exam_admission: fail") for x in v["reasons"])


def test_cv_exactly_at_the_limit_passes() -> None:
    # Two primary sections, equal students, teaching area 1.5x and 4.5x a base: x̄ = 3b, S = 1.5b, CV = 0.5.
    rows = [
        school("a", students_primary=100, teaching_aux_area_m2=150.0),
        school("b", students_primary=100, teaching_aux_area_m2=450.0),
    ]
    r = eduscore.evaluate(schools=table(rows))
    c = checks_of(r)["cv.teaching_aux_area_per_student.primary"]
    assert c["value"] == pytest.approx(0.5, rel=1e-15) and c["threshold"] == 0.5
    assert c["status"] == "pass"
    rows[1]["teaching_aux_area_m2"] = 451.0
    assert (
        checks_of(eduscore.evaluate(schools=table(rows)))["cv.teaching_aux_area_per_student.primary"][
            "status"
        ]
        == "fail"
    )


def test_scope_exclusion_keeps_the_row_with_its_reason() -> None:
    rows = [
        school("a", **AT_THRESHOLD_PRIMARY),
        school("s", school_type="special", students_primary=40, teaching_aux_area_m2=10.0),
    ]
    r = eduscore.evaluate(schools=table(rows))
    ex = r.excluded.to_pylist()
    assert [e["unit_id"] for e in ex] == ["s:primary"] and ex[0]["excluded_by"] == "exclude_special_education"
    d = next(
        x
        for x in r.dispersion.to_pylist()
        if x["indicator"] == "teaching_aux_area_per_student" and x["level"] == "primary"
    )
    assert d["n_sections"] == 1 and d["cv"] == 0.0  # the special school is not in the CV
    acc = r.accounting.to_pylist()[0]
    assert (acc["rows"], acc["scored"], acc["excluded"], acc["rejected"]) == (2, 1, 1, 0)


def test_every_input_row_is_accounted_for() -> None:
    rows = [
        school("a", **AT_THRESHOLD_PRIMARY),
        school("a", **AT_THRESHOLD_PRIMARY),  # duplicate id
        school("b", county="33048", **AT_THRESHOLD_PRIMARY),  # 5-digit code
        school("c", school_type="kindergarten"),  # unknown type
        school("d", school_type="special", students_primary=12),
        school("e"),
    ]
    t = table(rows)
    t = t.set_column(
        t.column_names.index("students_primary"),
        "students_primary",
        pa.array(["1000", "1000", "1000", None, "12", "lots"]),
    )
    r = eduscore.evaluate(schools=t)
    acc = r.accounting.to_pylist()[0]
    assert acc["rows"] == 6 == acc["scored"] + acc["excluded"] + acc["rejected"]
    rej = {(x["row"], x["column"]) for x in r.rejected.to_pylist()}
    assert {(3, "school_id"), (4, "county_code"), (5, "school_type"), (7, "students_primary")} <= rej
    reasons = " ".join(x["reason"] for x in r.rejected.to_pylist())
    assert "6-digit" in reasons and "duplicate" in reasons and "nine_year (九年一贯制学校)" in reasons


def test_relaxation_is_opt_in_and_reported() -> None:
    row = school("a", **AT_THRESHOLD_PRIMARY, music_room_min_area_m2=80.0, built_year=2010)
    plain = eduscore.evaluate(schools=table([row]))
    relaxed = eduscore.evaluate(schools=table([row]), relaxations=["legacy_music_art_rooms"])
    assert checks_of(plain)["music_art_rooms.music_area"]["status"] == "fail"
    assert checks_of(relaxed)["music_art_rooms.music_area"]["status"] == "pass"
    music = "music_art_rooms.music_area"
    used = next(c for c in relaxed.section_checks.to_pylist() if c["check_id"] == music)
    assert used["relaxation"] == "legacy_music_art_rooms" and used["threshold"] == 73
    with pytest.raises(eduscore.InputError, match="unknown relaxation"):
        eduscore.evaluate(schools=table([row]), relaxations=["no_such_thing"])


def test_school_size_uses_the_school_type_cap() -> None:
    rows = [
        school("p", students_primary=2001),
        school("n", school_type="nine_year", students_primary=1500, students_junior=900),
    ]
    r = eduscore.evaluate(schools=table(rows))
    got = {c["unit_id"]: c for c in r.section_checks.to_pylist() if c["check_id"] == "school_size"}
    assert got["p:primary"]["status"] == "fail" and got["p:primary"]["threshold"] == 2000
    assert got["n:primary"]["status"] == "pass" and got["n:primary"]["threshold"] == 2500
    assert got["n:primary"]["value"] == 2400


def test_long_form_equals_wide_form() -> None:
    wide = eduscore.evaluate(**eduscore.demo_inputs())
    s = wide.sections
    names = [
        n
        for n in (
            "students",
            "teachers",
            "teachers_above_degree",
            "backbone_teachers",
            "pe_arts_teachers",
            "classes",
            "max_class_size",
            "teaching_aux_area_m2",
            "sports_area_m2",
            "equipment_value_cny",
            "multimedia_classrooms",
        )
    ]
    from eduscore.inputs.prepare import normalise, split_by_level
    from eduscore.inputs.read import load_table
    from eduscore.plugins.catalog import load_framework

    schools, _ = normalise(load_table(eduscore.demo_inputs()["schools"], "schools"), "schools")
    sections = split_by_level(schools, load_framework("quality-balance-2017"))
    keep = ["county_code", "year", "school_id", "school_name", "school_type", "level", *names]
    long = sections.select(keep)
    long_result = eduscore.evaluate(schools=long, counties=eduscore.demo_inputs()["counties"])
    assert long_result.verdicts.column("verdict").to_pylist() == wide.verdicts.column("verdict").to_pylist()
    a = wide.dispersion.select(["level", "indicator", "cv"]).to_pylist()
    b = long_result.dispersion.select(["level", "indicator", "cv"]).to_pylist()
    assert [x["cv"] for x in a] == pytest.approx([x["cv"] for x in b], rel=1e-12)
    assert s.num_rows == long_result.sections.num_rows


def test_preschool_counts_children_not_kindergartens() -> None:
    kg = pa.table(
        {
            "county_code": ["990101"] * 3,
            "kindergarten_id": ["k1", "k2", "k3"],
            "kindergarten_name": ["甲", "乙", "丙"],
            "category": ["公办", "private_inclusive", "private_other"],
            "children": [500, 100, 400],
            "full_time_teachers": [40, 8, 20],
        }
    )
    counties = pa.table({"county_code": ["990101"], "population_3_5": [1100]})
    r = eduscore.evaluate(kindergartens=kg, counties=counties, framework="preschool-2020")
    c = checks_of(r)
    # 2 of 3 kindergartens are inclusive, but only 60 % of the children are in them.
    assert (
        c["inclusive_coverage"]["value"] == pytest.approx(0.6) and c["inclusive_coverage"]["status"] == "fail"
    )
    assert c["public_share"]["value"] == pytest.approx(0.5) and c["public_share"]["status"] == "pass"
    assert c["gross_enrollment_3yr"]["value"] == pytest.approx(1000 / 1100)
    assert (
        c["teacher_child_ratio"]["value"] == pytest.approx(1000 / 68)
        and c["teacher_child_ratio"]["status"] == "pass"
    )
    assert c["certification.teachers"]["status"] == "not_assessed"


def test_basic_balance_composite_is_the_mean_of_eight_cvs() -> None:
    r = eduscore.evaluate(**eduscore.demo_inputs(), framework="basic-balance-2012")
    d = r.dispersion.filter(pc.equal(r.dispersion.column("level"), "primary")).column("cv").to_pylist()
    assert len(d) == 8
    c = checks_of(r)["composite_cv.primary"]
    assert c["value"] == pytest.approx(sum(d) / 8, rel=1e-12) and c["threshold"] == 0.65


def test_quality_balance_prerequisite_counts_years() -> None:
    counties = pa.table(
        {
            "county_code": ["990101", "990102"],
            "year": [2024, 2024],
            "basic_balance_certified_year": [2021, 2022],
        }
    )
    schools = table(
        [school("a", **AT_THRESHOLD_PRIMARY), school("b", county="990102", **AT_THRESHOLD_PRIMARY)]
    )
    r = eduscore.evaluate(schools=schools, counties=counties)
    assert checks_of(r, "990101")["basic_balance_years"]["status"] == "pass"
    assert checks_of(r, "990102")["basic_balance_years"]["status"] == "fail"


def test_a_threshold_formula_with_missing_inputs_is_not_assessed() -> None:
    """music_rooms ≥ ceil(school_classes / 12): without class counts it cannot be judged."""
    r = eduscore.evaluate(schools=table([school("a", **AT_THRESHOLD_PRIMARY, music_rooms=1)]))
    check = next(c for c in r.section_checks.to_pylist() if c["check_id"] == "music_art_rooms.music_count")
    assert check["status"] == "not_assessed" and "classes" in check["reason"]
    county = next(c for c in r.checks.to_pylist() if c["check_id"] == "music_art_rooms.music_count")
    assert county["status"] == "not_assessed"
