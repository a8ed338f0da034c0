"""Deterministic synthetic data at national scale (SYNTHETIC: no real county is described).

``national(scale=1.0, seed=0)`` returns ``schools``, ``counties`` and ``kindergartens``
Arrow tables in the data contract: about 2,850 counties, 200,000 compulsory school
sections and 280,000 kindergartens at scale 1, with realistic county sizes (a handful
to several hundred schools), every school type, indicator values spread around the
2017 thresholds, and county facts that mostly pass. The same seed gives the same
tables. County codes use province codes 71–99 so that they never collide with a real
county's code.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

COUNTIES_AT_SCALE_1 = 2850
SCHOOLS_AT_SCALE_1 = 182_000  # ≈ 200,000 sections once spanning schools are split
KINDERGARTENS_AT_SCALE_1 = 280_000

TYPES = np.array(
    ["primary", "teaching_point", "junior", "nine_year", "twelve_year", "complete_middle", "special"]
)
TYPE_SHARES = np.array([0.55, 0.12, 0.18, 0.09, 0.01, 0.03, 0.02])
# 2017 thresholds (primary, junior), used to centre the generated values.
_PER_100 = {
    "teachers_above_degree": (4.2, 5.3),
    "backbone_teachers": (1.0, 1.0),
    "pe_arts_teachers": (0.9, 0.9),
}
_PER_STUDENT = {
    "teaching_aux_area_m2": (4.5, 5.8),
    "sports_area_m2": (7.5, 10.2),
    "equipment_value_cny": (2000.0, 2500.0),
}


def _county_codes(n: int) -> np.ndarray:
    i = np.arange(n)
    province = 71 + (i // 2500) % 29
    rest = i % 2500
    city = 1 + rest // 99
    county = 1 + rest % 99
    return np.char.add(
        np.char.add(province.astype(str), np.char.zfill(city.astype(str), 2)),
        np.char.zfill(county.astype(str), 2),
    )


def _spread(rng: np.random.Generator, n: int, county_effect: np.ndarray) -> np.ndarray:
    """Multiplicative spread around a threshold: most schools just above, some below."""
    spread: np.ndarray = np.exp(rng.normal(np.log(1.18), 0.22, n) + county_effect)
    return spread


def national(scale: float = 1.0, seed: int = 0, year: int = 2024) -> dict[str, pa.Table]:
    """National-scale synthetic inputs; ``scale`` 0.1 → 1/10, 16 → 16× the nation."""
    rng = np.random.default_rng(seed)
    n_counties = max(1, round(COUNTIES_AT_SCALE_1 * scale))
    n_schools = max(n_counties, round(SCHOOLS_AT_SCALE_1 * scale))
    codes = _county_codes(n_counties)
    # County sizes: lognormal weights, from a handful to several hundred schools.
    weights = rng.lognormal(0.0, 0.9, n_counties)
    county_of = rng.choice(n_counties, size=n_schools, p=weights / weights.sum())
    county_effect = rng.normal(0.0, 0.08, n_counties)[county_of]
    stype = rng.choice(TYPES, size=n_schools, p=TYPE_SHARES)
    has_p = np.isin(stype, ["primary", "teaching_point", "nine_year", "twelve_year", "special"])
    has_j = np.isin(stype, ["junior", "nine_year", "twelve_year", "complete_middle"])
    has_s = np.isin(stype, ["twelve_year", "complete_middle"])
    size = rng.lognormal(np.log(600), 0.8, n_schools)
    size = np.where(stype == "teaching_point", rng.integers(5, 100, n_schools), size)
    size = np.where(stype == "special", rng.integers(20, 200, n_schools), size)
    size = np.clip(size, 5, 4000).round()
    sp = np.where(has_p, np.where(has_j, (size * 0.6).round(), size), 0).astype(np.int64)
    sj = np.where(has_j, np.where(has_p, size - sp, size), 0).astype(np.int64)
    ss = np.where(has_s, (size * rng.uniform(0.4, 1.2, n_schools)).round(), 0).astype(np.int64)
    cols: dict[str, pa.Array] = {
        "year": pa.array(np.full(n_schools, year)),
        "county_code": pa.array(codes[county_of]),
        "school_id": pa.array(np.char.add("X", np.arange(n_schools).astype(str))),
        "school_name": pa.array(np.char.add("合成学校", np.arange(n_schools).astype(str))),
        "school_type": pa.array(stype),
        "location": pa.array(
            rng.choice(np.array(["urban", "town", "rural"]), n_schools, p=[0.3, 0.35, 0.35])
        ),
        "students_primary": pa.array(sp, mask=~has_p),
        "students_junior": pa.array(sj, mask=~has_j),
        "students_senior": pa.array(ss, mask=~has_s),
    }
    for level, students, present in (("primary", sp, has_p), ("junior", sj, has_j)):
        li = 0 if level == "primary" else 1
        teachers = (students / (16 - 3.5 * li)).round().astype(np.int64)  # about 1:16 primary, 1:12.5 junior
        cols[f"teachers_{level}"] = pa.array(teachers, mask=~present)
        for name, th in _PER_100.items():
            per100 = th[li] * _spread(rng, n_schools, county_effect)
            count = np.minimum((per100 * students / 100).round().astype(np.int64), teachers)
            cols[f"{name}_{level}"] = pa.array(count, mask=~present)
        classes = np.maximum(1, (students / (40 + 5 * li)).round()).astype(np.int64)
        cols[f"classes_{level}"] = pa.array(classes, mask=~present)
        cols[f"max_class_size_{level}"] = pa.array(
            (students / classes + rng.integers(0, 6, n_schools)).round().astype(np.int64), mask=~present
        )
    # Shared resources: centred on the student-weighted thresholds of the levels taught.
    weighted = sp + 1.1 * sj + 1.32 * ss
    for name, (tp, tj) in _PER_STUDENT.items():
        need = sp * tp + sj * tj + ss * tj * 1.2
        cols[name] = pa.array((need * _spread(rng, n_schools, county_effect)).round(1))
    cols["multimedia_classrooms"] = pa.array(
        (weighted * 2.35 / 100 * _spread(rng, n_schools, county_effect)).round().astype(np.int64)
    )
    cols["computers"] = pa.array((weighted * 0.15).round().astype(np.int64))
    cols["books"] = pa.array((weighted * 35).round().astype(np.int64))
    cols["music_rooms"] = pa.array(np.ceil((size / 45) / 12).astype(np.int64))
    cols["art_rooms"] = cols["music_rooms"]
    cols["music_room_min_area_m2"] = pa.array(rng.choice([80.0, 96.0, 110.0], n_schools, p=[0.1, 0.5, 0.4]))
    cols["art_room_min_area_m2"] = pa.array(rng.choice([75.0, 90.0, 100.0], n_schools, p=[0.1, 0.5, 0.4]))
    cols["built_year"] = pa.array(rng.integers(1960, 2024, n_schools))
    cols["training_budget_share"] = pa.array(rng.uniform(0.04, 0.1, n_schools).round(3))
    schools = pa.table(cols)
    counties = pa.table(
        {
            "county_code": pa.array(codes),
            "county_name": pa.array(np.char.add("合成县", np.arange(n_counties).astype(str))),
            "year": pa.array(np.full(n_counties, year)),
            "basic_balance_certified_year": pa.array(rng.integers(2013, 2022, n_counties)),
            "basic_balance_maintained": pa.array(rng.random(n_counties) < 0.97),
            "social_recognition": pa.array(rng.uniform(0.8, 0.99, n_counties).round(3)),
            "public_satisfaction": pa.array(rng.uniform(0.8, 0.99, n_counties).round(3)),
            "government_work_score": pa.array(rng.uniform(75, 99, n_counties).round(1)),
            "population_3_5": pa.array(np.zeros(n_counties, dtype=np.int64)),  # filled below
        }
    )
    n_kg = max(n_counties, round(KINDERGARTENS_AT_SCALE_1 * scale))
    kg_county = rng.choice(n_counties, size=n_kg, p=weights / weights.sum())
    children = np.clip(rng.lognormal(np.log(150), 0.7, n_kg).round(), 10, 1500).astype(np.int64)
    per_county = np.bincount(kg_county, weights=children, minlength=n_counties)
    population = (per_county / rng.uniform(0.8, 1.0, n_counties)).round().astype(np.int64)
    counties = counties.set_column(
        counties.column_names.index("population_3_5"), "population_3_5", pa.array(population)
    )
    teachers = np.maximum(1, (children / rng.uniform(9, 17, n_kg)).round()).astype(np.int64)
    kindergartens = pa.table(
        {
            "year": pa.array(np.full(n_kg, year)),
            "county_code": pa.array(codes[kg_county]),
            "kindergarten_id": pa.array(np.char.add("K", np.arange(n_kg).astype(str))),
            "kindergarten_name": pa.array(np.char.add("合成幼儿园", np.arange(n_kg).astype(str))),
            "category": pa.array(
                rng.choice(
                    np.array(["public", "private_inclusive", "private_other"]), n_kg, p=[0.5, 0.35, 0.15]
                )
            ),
            "children": pa.array(children),
            "full_time_teachers": pa.array(teachers),
            "certified_teachers": pa.array(teachers),
            "classes": pa.array(np.maximum(1, (children / 28).round()).astype(np.int64)),
            "classes_oversize": pa.array(rng.binomial(1, 0.05, n_kg)),
            "design_year": pa.array(rng.integers(1990, 2025, n_kg)),
            "outdoor_play_area_m2": pa.array((children * rng.uniform(3.5, 7, n_kg)).round()),
        }
    )
    return {"schools": schools, "counties": counties, "kindergartens": kindergartens}
