"""National-scale evaluation benchmark: eduscore vs. the pandas code an analyst would write.

    .venv/bin/python benchmarks/national.py [--scale 1.0] [--repeat 3]

Both sides compute the same thing from the same in-memory data: per-section values of
the seven 2017 resource indicators and the student-weighted CV per county × level ×
indicator. The pandas numbers are checked against eduscore's before anything is timed.
eduscore additionally does everything else of the framework (six-of-seven, 60 county
checks, verdicts, accounting), so the ratio understates its advantage.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time

import numpy as np
import pandas as pd
import pyarrow.compute as pc

import eduscore
from eduscore.synthetic import national

INDICATORS = {
    "teachers_above_degree_per_100": ("teachers_above_degree", 100.0),
    "backbone_teachers_per_100": ("backbone_teachers", 100.0),
    "pe_arts_teachers_per_100": ("pe_arts_teachers", 100.0),
    "teaching_aux_area_per_student": ("teaching_aux_area_m2", 1.0),
    "sports_area_per_student": ("sports_area_m2", 1.0),
    "equipment_value_per_student": ("equipment_value_cny", 1.0),
    "multimedia_classrooms_per_100": ("multimedia_classrooms", 100.0),
}
SHARED = ["teaching_aux_area_m2", "sports_area_m2", "equipment_value_cny", "multimedia_classrooms"]


def pandas_version(schools: pd.DataFrame) -> pd.DataFrame:
    """What an analyst writes: split spanning schools, compute values, groupby-apply the CV."""
    parts = []
    a, b, c = (schools[f"students_{x}"].fillna(0) for x in ("primary", "junior", "senior"))
    t = schools["school_type"]
    denominator = np.where(
        t == "nine_year",
        a + 1.1 * b,
        np.where(t == "twelve_year", a + 1.1 * b + 1.32 * c, 1.1 * b + 1.32 * c),
    )
    for level, weight in (("primary", a), ("junior", 1.1 * b)):
        teaches = t.isin(
            ["primary", "teaching_point", "nine_year", "twelve_year"]
            if level == "primary"
            else ["junior", "nine_year", "twelve_year", "complete_middle"]
        )
        share = np.where(t.isin(["nine_year", "twelve_year", "complete_middle"]), weight / denominator, 1.0)
        df = pd.DataFrame(
            {"county_code": schools["county_code"], "level": level, "students": schools[f"students_{level}"]}
        )
        for col in ("teachers_above_degree", "backbone_teachers", "pe_arts_teachers"):
            df[col] = schools[f"{col}_{level}"]
        for col in SHARED:
            df[col] = schools[col] * share
        parts.append(df[teaches.to_numpy()])
    sections = pd.concat(parts, ignore_index=True)

    def cv(g: pd.DataFrame, value: str) -> float:
        p, x = g["students"], g[value]
        mean = (p * x).sum() / p.sum()
        if not mean:
            return float("nan")
        return float(np.sqrt(((p / p.sum()) * (x - mean) ** 2).sum()) / mean)

    rows = []
    for ind, (col, k) in INDICATORS.items():
        sections[ind] = sections[col] / sections["students"] * k
        got = sections.groupby(["county_code", "level"]).apply(cv, ind, include_groups=False)
        rows.append(got.rename("cv").reset_index().assign(indicator=ind))
    return pd.concat(rows, ignore_index=True)


def timed(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = national(args.scale)
    schools, counties = data["schools"], data["counties"]
    special_free = schools.filter(pc.not_equal(schools.column("school_type"), "special"))
    frame = special_free.to_pandas()
    t_es, result = timed(lambda: eduscore.evaluate(schools=schools, counties=counties), args.repeat)
    # Check the baseline gives eduscore's numbers before timing it.
    ref = pandas_version(frame)
    mine = result.dispersion.select(["county_code", "level", "indicator", "cv"]).to_pandas()
    merged = ref.merge(mine, on=["county_code", "level", "indicator"], suffixes=("_pd", "_es"))
    assert len(merged) == len(mine), (len(merged), len(mine))
    assert np.allclose(merged["cv_pd"], merged["cv_es"], rtol=1e-9, equal_nan=True)
    t_pd, _ = timed(lambda: pandas_version(frame), max(1, args.repeat - 1))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"scale {args.scale}: {schools.num_rows:,} schools → {result.sections.num_rows:,} sections, "
        f"{result.verdicts.num_rows:,} counties"
    )
    print(f"eduscore (whole framework)        {t_es:8.2f} s")
    print(f"pandas groupby-apply (CVs only)   {t_pd:8.2f} s")
    print(f"ratio pandas / eduscore           {t_pd / t_es:8.1f}×")
    print(f"peak resident memory              {peak:8.0f} MiB (whole process, incl. pandas)")


if __name__ == "__main__":
    main()
