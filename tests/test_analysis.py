"""Within/between decomposition: the parts add up, and agree with the engine's dispersion."""

from __future__ import annotations

import math

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import eduscore
from eduscore.planning.analysis import decompose
from eduscore.testing import schools_tables


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=30, deadline=None)
@given(schools_tables(max_schools=25, missing=False), st.data())
def test_within_plus_between_is_the_total(schools: pa.Table, data: st.DataObject) -> None:
    groups = [data.draw(st.sampled_from(["东湖", "叔同", "实验", None])) for _ in range(schools.num_rows)]
    schools = schools.append_column("education_group", pa.array(groups, pa.string()))
    result = eduscore.evaluate(schools=schools)
    table = decompose(result, "education_group").to_pylist()
    sd = {(d["county_code"], d["level"], d["indicator"]): d["sd"] for d in result.dispersion.to_pylist()}
    for row in table:
        assert close(row["within"] + row["between"], row["variance"]), row
        if row["theil"] is not None:
            assert close(row["theil_within"] + row["theil_between"], row["theil"]), row
        engine_sd = sd.get((row["county_code"], row["level"], row["indicator"]))
        if engine_sd is not None:
            assert close(math.sqrt(row["variance"]), engine_sd), row


def test_worked_example_two_groups() -> None:
    # Group A: 100 students at 2, 100 at 4 (mean 3); group B: 200 students at 6 (mean 6).
    # x̄ = (200 + 400 + 1200) / 400 = 4.5; V = (100·6.25 + 100·0.25 + 200·2.25) / 400 = 2.75;
    # within = (200·1 + 0) / 400 = 0.5; between = (200·2.25 + 200·2.25) / 400 = 2.25.
    rows = [
        {
            "county_code": "990101",
            "school_id": k,
            "school_name": k,
            "school_type": "primary",
            "students_primary": n,
            "teaching_aux_area_m2": float(n * x),
            "education_group": g,
        }
        for k, n, x, g in (("a", 100, 2, "A"), ("b", 100, 4, "A"), ("c", 200, 6, "B"))
    ]
    t = pa.table({k: [r[k] for r in rows] for k in rows[0]})
    row = next(
        r
        for r in decompose(eduscore.evaluate(schools=t)).to_pylist()
        if r["indicator"] == "teaching_aux_area_per_student"
    )
    assert close(row["variance"], 2.75) and close(row["within"], 0.5) and close(row["between"], 2.25)
    assert row["n_groups"] == 2 and close(row["between_share"], 2.25 / 2.75)
