"""Margins, enrolment what-if and the comparison of years (issue #7, items 3, 4, 6)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eduscore
from eduscore.errors import InputError
from eduscore.planning.margins import margins, nearest_risks
from eduscore.planning.whatif import compare_years, whatif
from eduscore.testing.strategies import schools_tables
from helpers import AT_THRESHOLD_PRIMARY, run_cli, school, table


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd)


# --------------------------------------------------------------------------------------
# What-if


def _same(a: eduscore.Result, b: eduscore.Result) -> None:
    for name in ("verdicts", "checks", "dispersion", "section_checks"):
        assert a.tables()[name].equals(b.tables()[name]), name


def test_zero_growth_reproduces_the_baseline_exactly() -> None:
    w = whatif(**eduscore.demo_inputs(), growth=0.0, years=3)
    for r in w.results[1:]:
        _same(w.baseline, r)
    assert w.flips.num_rows == 0
    assert set(w.verdicts.column("verdict").to_pylist()) == {w.baseline.verdicts.column("verdict")[0].as_py()}


@settings(max_examples=15, deadline=None)
@given(schools_tables(max_schools=15))
def test_zero_growth_reproduces_any_baseline(schools: pa.Table) -> None:
    w = whatif(schools=schools, growth={"primary": 0.0, "junior": 0.0}, years=1)
    _same(w.baseline, w.results[1])
    assert w.flips.num_rows == 0


def test_growth_flips_a_check_in_the_year_it_crosses() -> None:
    # 1,000 students and 43 teachers above the degree: 4.3 per 100 (≥ 4.2). At +1 % a
    # year: 1,010 → 4.257, 1,020 → 4.216, 1,030 → 4.175 < 4.2 — the third year.
    row = school("A", **{**AT_THRESHOLD_PRIMARY, "teachers_above_degree_primary": 43, "teachers_primary": 60})
    rows = [row, school("B", **AT_THRESHOLD_PRIMARY)]
    for r in rows:  # everything else well above its threshold so only this one flips first
        r.update(
            backbone_teachers_primary=20,
            pe_arts_teachers_primary=20,
            multimedia_classrooms=40,
            teaching_aux_area_m2=9000.0,
            sports_area_m2=15000.0,
            equipment_value_cny=4e6,
        )
    rows[1]["teachers_above_degree_primary"] = 60
    w = whatif(schools=table(rows), growth=0.01, years=4, year=2024)
    flips = {(f["unit_id"], f["check_id"]): f for f in w.flips.to_pylist()}
    f = flips[("A:primary", "teachers_above_degree_per_100")]
    assert (f["first_step"], f["first_year"], f["baseline_status"], f["status"]) == (3, 2027, "pass", "fail")
    assert f["value"] == pytest.approx(43 / 1030 * 100)
    # The margin said so: it flips at growth 4.3 / 4.2 − 1 = 2.38 %, i.e. after three years of 1 %.
    m = margins(w.baseline)
    row_m = m.filter(
        pc.and_(
            pc.equal(m.column("unit_id"), "A:primary"),
            pc.equal(m.column("check_id"), "teachers_above_degree_per_100"),
        )
    ).to_pylist()[0]
    assert row_m["flip_growth"] == pytest.approx(4.3 / 4.2 - 1)
    assert min(t for t in range(1, 10) if 1.01**t - 1 > row_m["flip_growth"]) == 3
    # One teacher lost flips it too (42 / 1000 = 4.2 still passes; the smallest loss that fails is 2).
    assert row_m["flip_units"] == 2.0


def test_growth_per_level_and_projection_table(tmp_path: Path) -> None:
    rows = [school("A", **AT_THRESHOLD_PRIMARY, year=2024)]
    rows[0]["teachers_above_degree_primary"] = 50
    # Growth of the junior level leaves a primary school alone …
    w = whatif(schools=table(rows), growth={"junior": 0.5}, years=2)
    assert w.flips.num_rows == 0
    # … a projection table names the students of a school in a year.
    proj = tmp_path / "projection.csv"
    proj.write_text("学校标识码,年份,小学在校生数\nA,2025,1000\nA,2026,1300\n", encoding="utf-8")
    w = whatif(schools=table(rows), years=2, projection=proj)
    flip = {f["check_id"]: f for f in w.flips.to_pylist() if f["scope"] == "section"}
    assert flip["backbone_teachers_per_100"]["first_year"] == 2026  # 10 / 1300 < 1.0


def test_whatif_rejects_nonsense() -> None:
    with pytest.raises(InputError, match="growth rate"):
        whatif(**eduscore.demo_inputs(), growth=-1.5)
    with pytest.raises(InputError, match="unknown level"):
        whatif(**eduscore.demo_inputs(), growth={"college": 0.1})
    with pytest.raises(InputError, match="years"):
        whatif(**eduscore.demo_inputs(), years=0)


# --------------------------------------------------------------------------------------
# Margins


def test_margins_worked_example_and_signs() -> None:
    result = eduscore.evaluate(**eduscore.demo_inputs())
    m = margins(result)
    rows = m.to_pylist()
    for r in rows:
        if r["status"] == "pass":
            assert r["margin"] >= 0, r
        elif r["status"] == "fail":
            assert r["margin"] < 0, r
    # 北坡村小学: equipment 1,509 yuan per student vs 2,000 → 42,200 yuan to pass (86 students).
    bp = next(
        r
        for r in rows
        if r["school_name"] == "示例县北坡村小学" and r["check_id"] == "equipment_value_per_student"
    )
    assert bp["flip_units"] == pytest.approx(42_200.0)
    # County checks: rotation backbone share 0.17 vs 0.20 → margin −0.03, −15 %.
    rot = next(r for r in rows if r["check_id"] == "teacher_rotation.backbone")
    assert rot["margin"] == pytest.approx(-0.03) and rot["relative_margin"] == pytest.approx(-0.15)
    # CV margins: limit − CV.
    cv = [r for r in rows if r["scope"] == "cv"]
    assert cv and all(math.isclose(r["margin"], r["threshold"] - r["value"]) for r in cv)
    risks = nearest_risks(m, per_county=3).to_pylist()
    assert len(risks) == 3 and len({r["check_id"] for r in risks}) == 3
    assert all(r["status"] == "pass" for r in risks)
    safest_risk = max(r["relative_margin"] for r in risks)
    others = [
        r["relative_margin"]
        for r in rows
        if r["status"] == "pass" and r["check_id"] not in {x["check_id"] for x in risks}
    ]
    assert all(o >= safest_risk - 1e-12 for o in others if o is not None)


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(schools_tables(max_schools=12, missing=False), st.floats(0.001, 0.3))
def test_margin_growth_predicts_the_whatif(schools: pa.Table, growth: float) -> None:
    """A per-student indicator flips in year one exactly when the growth exceeds its
    margin (away from the rounding of students to whole numbers)."""
    w = whatif(schools=schools, growth=growth, years=1)
    m = margins(w.baseline)
    flipped = {(f["unit_id"], f["check_id"]) for f in w.flips.to_pylist()}
    s = w.baseline.sections
    students = dict(zip(s.column("unit_id").to_pylist(), s.column("students").to_pylist(), strict=True))
    for r in m.to_pylist():
        if r["scope"] != "section" or r["flip_growth"] is None or r["status"] != "pass" or r["units"] is None:
            continue
        n = students[r["unit_id"]]
        if not n or n < 50:
            continue
        slack = 1.0 / n  # rounding to whole students moves the growth by up to 1/n
        if growth > r["flip_growth"] + slack:
            assert (r["unit_id"], r["check_id"]) in flipped, r
        elif growth < r["flip_growth"] - slack:
            assert (r["unit_id"], r["check_id"]) not in flipped, r


# --------------------------------------------------------------------------------------
# Years


def test_compare_years_trend_and_schools_that_changed() -> None:
    rows_2023 = [
        school(
            "A",
            year=2023,
            **{**AT_THRESHOLD_PRIMARY, "teachers_above_degree_primary": 30, "equipment_value_cny": 1.5e6},
        ),
        school("B", year=2023, **AT_THRESHOLD_PRIMARY),
    ]
    rows_2024 = [
        school("A", year=2024, **AT_THRESHOLD_PRIMARY),
        school(
            "B",
            year=2024,
            **{**AT_THRESHOLD_PRIMARY, "backbone_teachers_primary": 5, "sports_area_m2": 5000.0},
        ),
    ]
    # One evaluation of both years, and two evaluations, give the same comparison.
    both = eduscore.evaluate(schools=table(rows_2023 + rows_2024))
    apart = compare_years(
        eduscore.evaluate(schools=table(rows_2023)), eduscore.evaluate(schools=table(rows_2024))
    )
    together = compare_years(both)
    assert together.cv.equals(apart.cv)
    changes = {(c["school_id"], c["rule"], c["year"]): c["change"] for c in together.sections.to_pylist()}
    assert changes[("A", "school_six_of_seven", 2024)] == "started_passing"
    assert changes[("B", "school_six_of_seven", 2024)] == "stopped_passing"
    cv = {(c["indicator"], c["year"]): c for c in together.cv.to_pylist()}
    sports = cv[("sports_area_per_student", 2024)]
    assert sports["previous_year"] == 2023 and sports["previous_cv"] == pytest.approx(0.0)
    assert sports["change"] == pytest.approx(sports["cv"]) and sports["cv"] > 0
    assert cv[("sports_area_per_student", 2023)]["previous_cv"] is None


# --------------------------------------------------------------------------------------
# The command line


def test_cli_plan_writes_tables_and_reports(tmp_path: Path) -> None:
    proc = cli("plan", "--demo", "--lang", "en", "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "What it takes to pass" not in proc.stderr
    assert "+42,200" in proc.stdout and "Checks nearest to failing" in proc.stdout
    gaps = pacsv.read_csv(tmp_path / "plan_gaps.csv")
    assert gaps.num_rows > 0 and "addition" in gaps.column_names
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "What it takes to pass" in html and "Where the disparity lies" in html
    import openpyxl

    book = openpyxl.load_workbook(tmp_path / "report.xlsx", read_only=True)
    for sheet in ("Plan", "CV plan", "Margins", "Decomposition"):
        assert sheet in book.sheetnames
    plan_rows = list(book["Plan"].iter_rows(values_only=True))
    assert any(r[3] == "示例县北坡村小学" and r[16] == 42_200 for r in plan_rows[1:])


def test_cli_plan_with_costs(tmp_path: Path) -> None:
    costs = tmp_path / "costs.csv"
    costs.write_text(
        "资源,单价\nteachers_above_degree,200000\nbackbone_teachers,250000\npe_arts_teachers,200000\n"
        "teaching_aux_area_m2,3500\nsports_area_m2,800\nequipment_value_cny,1\nmultimedia_classrooms,60000\n",
        encoding="utf-8",
    )
    proc = cli("plan", "--demo", "--costs", str(costs), "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "按给定单价计算的最低成本方案" in proc.stdout
    totals = pacsv.read_csv(tmp_path / "plan_totals.csv").to_pylist()
    assert all(t["cost"] is not None for t in totals)
    bad = tmp_path / "bad.csv"
    bad.write_text("resource,cost\nteachers_above_degree,很贵\n", encoding="utf-8")
    proc = cli("plan", "--demo", "--costs", str(bad))
    assert proc.returncode == 2 and "很贵" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_whatif(tmp_path: Path) -> None:
    proc = cli(
        "whatif",
        "--demo",
        "--growth",
        "primary=4%",
        "--growth",
        "junior=0.02",
        "--years",
        "3",
        "-o",
        str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    assert "2025" in proc.stdout and "首次变化" in proc.stdout
    flips = pacsv.read_csv(tmp_path / "flips.csv").to_pylist()
    assert flips and min(f["first_year"] for f in flips) == 2025
    proc = cli("whatif", "--demo", "--growth", "0", "--years", "2")
    assert proc.returncode == 0 and "没有检查项发生变化" in proc.stdout
    proc = cli("whatif", "--demo", "--growth", "fast")
    assert proc.returncode == 2 and "不是增长率" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("whatif", "--demo", "--growth", "fast", "--lang", "en")
    assert proc.returncode == 2 and "not a rate" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("rate", [1e300, float("inf"), -1.0, 1.5])
def test_an_absurd_growth_rate_is_bad_input_not_a_crash(rate: float) -> None:
    with pytest.raises(InputError, match="growth rate") as err:
        whatif(**eduscore.demo_inputs(), growth=rate, years=2)
    assert "增长率" in err.value.message("zh")


def test_a_growth_argument_argparse_mangles_is_bad_input() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "eduscore.cli", "whatif", "--demo", "--growth=--", "--lang", "en"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "is not a rate" in proc.stderr
