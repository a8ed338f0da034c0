"""Deterministic synthetic data at national scale (SYNTHETIC: no real county is described).

``national(scale=1.0, seed=0)`` returns ``schools``, ``counties`` and ``kindergartens``
Arrow tables in the data contract: about 2,850 counties, 200,000 compulsory school
sections and 280,000 kindergartens at scale 1. The same seed gives the same tables.

What the generator assumes (so that a researcher knows what the variation means):

* **Codes.** Counties are spread over the 31 provinces (GB/T 2260 codes 11–65) in
  proportion to their real numbers of county-level divisions. Prefecture codes start at 71
  (then 50–69 beyond 1,881 counties in one province), which GB/T 2260 does not use for
  these provinces, so that a synthetic code never names a real county; names read
  合成县N. A province's shipped rule set applies to its synthetic counties.
* **Three kinds of county** (drawn per county, :data:`COUNTY_KINDS`):

  - *exemplary* (about 15 %): every school meets every standard with a margin, every
    county figure is given and passes — these are certified;
  - *exemplary with gaps* (about 10 %): as exemplary, but one to three county figures
    are missing — these are incomplete (not assessed, never a silent pass);
  - *typical* (about 75 %): school values spread around the 2017 thresholds (most schools
    just above, some below; class sizes, school sizes and music/art rooms as they come),
    each county figure failing now and then — nearly all are not certified, for various
    reasons.

* **Sizes.** County sizes are lognormal (a handful to several hundred schools); every
  school type appears; spanning schools share their stock resources.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


# Provinces (GB/T 2260) and their numbers of county-level divisions (approximate): the
# weights by which synthetic counties are spread.
PROVINCES = {
    "11": 16, "12": 16, "13": 167, "14": 117, "15": 103, "21": 100, "22": 60, "23": 121,
    "31": 16, "32": 95, "33": 90, "34": 104, "35": 84, "36": 100, "37": 136, "41": 157,
    "42": 103, "43": 122, "44": 122, "45": 111, "46": 25, "50": 38, "51": 183, "52": 88,
    "53": 129, "54": 74, "61": 107, "62": 86, "63": 44, "64": 22, "65": 107,
}  # fmt: skip
#: The kinds of county and their shares (see the module's text).
COUNTY_KINDS = {"exemplary": 0.15, "exemplary_with_gaps": 0.10, "typical": 0.75}


def _county_codes(n: int) -> np.ndarray:
    """``n`` six-digit codes, spread over the provinces by their weights (largest
    remainder), prefectures from 71 (then 50–69), counties 01–99 within a prefecture."""
    codes_of = np.array(list(PROVINCES))
    weights = np.array(list(PROVINCES.values()), dtype=float)
    share = n * weights / weights.sum()
    counts = np.floor(share).astype(np.int64)
    counts[np.argsort(-(share - counts), kind="stable")[: n - counts.sum()]] += 1
    out = []
    for province, k in zip(codes_of, counts, strict=True):
        if k == 0:
            continue
        j = np.arange(k)
        block = j // 99
        prefecture = np.where(block < 19, 71 + block, 50 + block - 19)
        county = 1 + j % 99
        out.append(
            np.char.add(
                np.char.add(province, np.char.zfill(prefecture.astype(str), 2)),
                np.char.zfill(county.astype(str), 2),
            )
        )
    return np.concatenate(out) if out else np.array([], dtype=str)


def _spread(rng: np.random.Generator, n: int, county_effect: np.ndarray) -> np.ndarray:
    """Multiplicative spread around a threshold: most schools just above, some below."""
    spread: np.ndarray = np.exp(rng.normal(np.log(1.18), 0.22, n) + county_effect)
    return spread


def _margin(rng: np.random.Generator, n: int) -> np.ndarray:
    """An exemplary school's spread: every value 10–35 % above its threshold."""
    margin: np.ndarray = rng.uniform(1.10, 1.35, n)
    return margin


# County figures: (value of a passing county, value of a failing one, how often a typical
# county fails it). Rates are fractions; yes/no figures booleans.
_FACTS: dict[str, tuple[object, object, float]] = {
    # quality-balance-2017
    "basic_balance_maintained": (True, False, 0.03),
    "school_layout": (True, False, 0.04),
    "unified_standards": (True, False, 0.04),
    "small_school_funding": (True, False, 0.04),
    "special_ed_funding_per_student": ((6_200.0, 9_000.0), 5_200.0, 0.05),
    "performance_pay_set": (True, False, 0.03),
    "training_360h_completion": (1.0, 0.93, 0.10),
    "staffing_pooling": (True, False, 0.04),
    "rotation_rate": ((0.105, 0.2), 0.07, 0.10),
    "rotation_backbone_share": ((0.21, 0.35), 0.15, 0.10),
    "teacher_certification_rate": (1.0, 0.98, 0.06),
    "nearby_enrollment_primary": (1.0, 0.985, 0.08),
    "nearby_enrollment_junior": ((0.955, 1.0), 0.92, 0.08),
    "hs_quota_allocation": ((0.51, 0.7), 0.40, 0.10),
    "left_behind_care_system": (True, False, 0.03),
    "migrant_public_share": ((0.86, 0.98), 0.80, 0.08),
    "junior_retention_3yr": ((0.955, 0.995), 0.93, 0.06),
    "disabled_enrollment": ((0.955, 0.99), 0.90, 0.08),
    "charter_and_ict_management": (True, False, 0.03),
    "ict_teaching_use": (True, False, 0.03),
    "moral_education_culture": (True, False, 0.03),
    "curriculum": (True, False, 0.03),
    "no_excess_burden": (True, False, 0.05),
    "monitoring_level_min": ((3, 4), 2, 0.08),
    "monitoring_difference_rate": ((0.03, 0.14), 0.2, 0.08),
    "social_recognition": ((0.86, 0.98), 0.80, 0.10),
    "veto_exam_admission": (False, True, 0.005),
    "veto_illegal_school_choice": (False, True, 0.005),
    "veto_key_schools_classes": (False, True, 0.005),
    "veto_unfilled_posts": (False, True, 0.005),
    "veto_major_incident": (False, True, 0.005),
    "veto_falsification": (False, True, 0.002),
    "veto_tutoring_governance": (False, True, 0.005),
    # basic-balance-2012
    "government_work_score": ((86.0, 98.0), 80.0, 0.10),
    "public_satisfaction": ((0.86, 0.98), 0.80, 0.10),
    "provincial_standard_met": (True, False, 0.03),
    # preschool-2020
    "party_leadership": (True, False, 0.02),
    "planning": (True, False, 0.03),
    "service_network": (True, False, 0.03),
    "estate_kindergartens": (True, False, 0.05),
    "funding": (True, False, 0.04),
    "fees": (True, False, 0.03),
    "teacher_pay": (True, False, 0.05),
    "safety": (True, False, 0.02),
    "regulation": (True, False, 0.03),
    "staffing": (True, False, 0.05),
    "scientific_care": (True, False, 0.03),
}


def _fact(rng: np.random.Generator, n: int, good: object, bad: object, fails: np.ndarray) -> pa.Array:
    """One county figure: passing values (a range is drawn from), ``bad`` where ``fails``."""
    values: np.ndarray
    if isinstance(good, tuple):
        lo, hi = good
        if isinstance(lo, int):
            values = rng.integers(lo, hi + 1, n).astype(np.int64)
        else:
            values = rng.uniform(lo, hi, n).round(3 if hi <= 1 else 1)
    else:
        values = np.full(n, good)
    return pa.array(np.where(fails, np.asarray(bad, dtype=values.dtype), values))


def national(scale: float = 1.0, seed: int = 0, year: int = 2024) -> dict[str, pa.Table]:
    """National-scale synthetic inputs; ``scale`` 0.1 → 1/10, 16 → 16× the nation."""
    rng = np.random.default_rng(seed)
    kinds_rng = np.random.default_rng([seed, 1])  # the kinds of county and their figures
    n_counties = max(1, round(COUNTIES_AT_SCALE_1 * scale))
    n_schools = max(n_counties, round(SCHOOLS_AT_SCALE_1 * scale))
    codes = _county_codes(n_counties)
    kind = kinds_rng.choice(np.array(list(COUNTY_KINDS)), n_counties, p=list(COUNTY_KINDS.values()))
    good_county = kind != "typical"
    # County sizes: lognormal weights, from a handful to several hundred schools.
    weights = rng.lognormal(0.0, 0.9, n_counties)
    county_of = rng.choice(n_counties, size=n_schools, p=weights / weights.sum())
    county_effect = rng.normal(0.0, 0.08, n_counties)[county_of]
    good = good_county[county_of]
    stype = rng.choice(TYPES, size=n_schools, p=TYPE_SHARES)
    has_p = np.isin(stype, ["primary", "teaching_point", "nine_year", "twelve_year", "special"])
    has_j = np.isin(stype, ["junior", "nine_year", "twelve_year", "complete_middle"])
    has_s = np.isin(stype, ["twelve_year", "complete_middle"])
    size = rng.lognormal(np.log(600), 0.8, n_schools)
    size = np.where(stype == "teaching_point", rng.integers(5, 100, n_schools), size)
    size = np.where(stype == "special", rng.integers(20, 200, n_schools), size)
    size = np.clip(size, 5, 4000).round()
    size = np.where(good, np.minimum(size, 1_800), size)  # within the 2,000-pupil cap
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
    all_classes = np.zeros(n_schools, dtype=np.int64)
    for level, students, present in (("primary", sp, has_p), ("junior", sj, has_j)):
        li = 0 if level == "primary" else 1
        teachers = (students / (16 - 3.5 * li)).round().astype(np.int64)  # about 1:16 primary, 1:12.5 junior
        teachers = np.where(good, np.maximum(teachers, 2), teachers)  # a teaching point has two
        cols[f"teachers_{level}"] = pa.array(teachers, mask=~present)
        for name, th in _PER_100.items():
            spread = np.where(good, _margin(kinds_rng, n_schools), _spread(rng, n_schools, county_effect))
            per100 = th[li] * spread
            count = np.minimum(np.ceil(per100 * students / 100).astype(np.int64), teachers)
            count = np.where(good, count, np.minimum((per100 * students / 100).round(), teachers)).astype(
                np.int64
            )
            cols[f"{name}_{level}"] = pa.array(count, mask=~present)
        cols[f"mid_senior_title_teachers_{level}"] = pa.array(
            (teachers * 0.55).round().astype(np.int64), mask=~present
        )
        typical_classes = np.maximum(1, (students / (40 + 5 * li)).round()).astype(np.int64)
        good_classes = np.maximum(1, np.ceil(students / (38 + 4 * li))).astype(np.int64)
        classes = np.where(good, good_classes, typical_classes)
        cols[f"classes_{level}"] = pa.array(classes, mask=~present)
        all_classes += np.where(present, classes, 0)
        extra = rng.integers(0, 6, n_schools)
        largest = np.where(
            good, np.ceil(students / classes) + np.minimum(extra, 2), (students / classes + extra).round()
        )
        cols[f"max_class_size_{level}"] = pa.array(largest.astype(np.int64), mask=~present)
    # Shared resources: centred on the student-weighted thresholds of the levels taught.
    weighted = sp + 1.1 * sj + 1.32 * ss
    for name, (tp, tj) in _PER_STUDENT.items():
        need = sp * tp + sj * tj + ss * tj * 1.2
        # A spanning school's stock is split by pupil weights (1 : 1.1 : 1.32), not by the
        # levels' thresholds: an exemplary one holds 20 % more, so that every level meets its.
        spread = np.where(good, 1.2 * _margin(kinds_rng, n_schools), _spread(rng, n_schools, county_effect))
        cols[name] = pa.array((need * spread).round(1))
    spread = np.where(good, _margin(kinds_rng, n_schools), _spread(rng, n_schools, county_effect))
    cols["multimedia_classrooms"] = pa.array(np.ceil(weighted * 2.35 / 100 * spread).astype(np.int64))
    cols["computers"] = pa.array((weighted * 0.15).round().astype(np.int64))
    cols["books"] = pa.array((weighted * 35).round().astype(np.int64))
    rooms = np.ceil((size / 45) / 12).astype(np.int64)
    rooms = np.where(good, np.maximum(1, np.ceil(all_classes / 12)).astype(np.int64), rooms)
    cols["music_rooms"] = pa.array(rooms)
    cols["art_rooms"] = cols["music_rooms"]
    music = rng.choice([80.0, 96.0, 110.0], n_schools, p=[0.1, 0.5, 0.4])
    art = rng.choice([75.0, 90.0, 100.0], n_schools, p=[0.1, 0.5, 0.4])
    cols["music_room_min_area_m2"] = pa.array(np.where(good, np.maximum(music, 100.0), music))
    cols["art_room_min_area_m2"] = pa.array(np.where(good, np.maximum(art, 95.0), art))
    cols["built_year"] = pa.array(rng.integers(1960, 2024, n_schools))
    share = rng.uniform(0.04, 0.1, n_schools).round(3)
    cols["training_budget_share"] = pa.array(np.where(good, np.maximum(share, 0.055), share))
    cols["ownership"] = pa.array(np.full(n_schools, "public"))
    cols["migrant_share"] = pa.array(kinds_rng.uniform(0.0, 0.2, n_schools).round(3))
    cols["is_vocational"] = pa.array(np.zeros(n_schools, dtype=bool))
    schools = pa.table(cols)
    counties = pa.table(
        {
            "county_code": pa.array(codes),
            "county_name": pa.array(np.char.add("合成县", np.arange(n_counties).astype(str))),
            "year": pa.array(np.full(n_counties, year)),
            "basic_balance_certified_year": pa.array(rng.integers(2013, 2022, n_counties)),
        }
    )
    _ = (rng.random(n_counties), rng.uniform(size=(3, n_counties)))  # the old figures' draws
    for name, (good_value, bad_value, p_fail) in _FACTS.items():
        fails = (~good_county) & (kinds_rng.random(n_counties) < p_fail)
        counties = counties.append_column(name, _fact(kinds_rng, n_counties, good_value, bad_value, fails))
    # The teacher pay ratio: a typical county pays its teachers below civil servants now and then.
    civil = kinds_rng.uniform(70_000, 140_000, n_counties).round(-2)
    ratio = np.where(
        good_county | (kinds_rng.random(n_counties) > 0.10), kinds_rng.uniform(1.0, 1.08, n_counties), 0.95
    )
    counties = counties.append_column("civil_servant_avg_pay", pa.array(civil))
    counties = counties.append_column("teacher_avg_pay", pa.array(np.ceil(civil * ratio)))
    # Figures only some provinces' rule sets read (Zhejiang, Liaoning).
    modern = kinds_rng.integers(2015, year, n_counties)
    modern = np.where(good_county | (kinds_rng.random(n_counties) > 0.2), modern, year)
    counties = counties.append_column("modernisation_certified_year", pa.array(modern))
    for level, (lo, hi, bad) in (("primary", (960, 1600, 880)), ("junior", (1180, 1900, 1080))):
        funding = kinds_rng.uniform(lo, hi, n_counties).round()
        poor = ~good_county & (kinds_rng.random(n_counties) < 0.08)
        counties = counties.append_column(
            f"public_funding_per_student_{level}", pa.array(np.where(poor, bad, funding))
        )
    # Counties with gaps: one to three figures not given.
    gaps = kind == "exemplary_with_gaps"
    facts = list(_FACTS)
    missing = np.zeros((n_counties, len(facts)), dtype=bool)
    for i in np.flatnonzero(gaps):
        missing[i, kinds_rng.choice(len(facts), kinds_rng.integers(1, 4), replace=False)] = True
    for j, name in enumerate(facts):
        if missing[:, j].any():
            column = counties.column(name)
            counties = counties.set_column(
                counties.column_names.index(name),
                name,
                pc.if_else(pa.array(missing[:, j]), pa.scalar(None, column.type), column),
            )
    n_kg = max(n_counties, round(KINDERGARTENS_AT_SCALE_1 * scale))
    kg_county = rng.choice(n_counties, size=n_kg, p=weights / weights.sum())
    kg_good = good_county[kg_county]
    children = np.clip(rng.lognormal(np.log(150), 0.7, n_kg).round(), 10, 1500).astype(np.int64)
    per_county = np.bincount(kg_county, weights=children, minlength=n_counties)
    enrolled = np.where(
        good_county, kinds_rng.uniform(0.88, 0.97, n_counties), rng.uniform(0.8, 1.0, n_counties)
    )
    population = np.ceil(per_county / enrolled).astype(np.int64)
    counties = counties.append_column("population_3_5", pa.array(population))
    classes = np.maximum(1, (children / 28).round()).astype(np.int64)
    typical_teachers = np.maximum(1, (children / rng.uniform(9, 17, n_kg)).round()).astype(np.int64)
    teachers = np.where(
        kg_good, np.maximum(classes * 2, np.ceil(children / 12)).astype(np.int64), typical_teachers
    )
    category = rng.choice(
        np.array(["public", "private_inclusive", "private_other"]), n_kg, p=[0.5, 0.35, 0.15]
    )
    good_category = kinds_rng.choice(
        np.array(["public", "private_inclusive", "private_other"]), n_kg, p=[0.75, 0.22, 0.03]
    )
    outdoor = children * np.where(kg_good, kinds_rng.uniform(4.3, 7, n_kg), rng.uniform(3.5, 7, n_kg))
    oversize = np.where(kg_good, 0, rng.binomial(1, 0.05, n_kg))
    # Townships and urban subdistricts (Henan's and Hunan's rule sets): each kindergarten
    # stands in one of its county's townships; about 40 % also in an urban subdistrict.
    in_county = np.bincount(kg_county, minlength=n_counties)
    n_towns = np.clip(in_county // 6, 1, 12)[kg_county]
    town = (kinds_rng.random(n_kg) * n_towns).astype(np.int64)
    urban = kinds_rng.random(n_kg) < 0.4
    street = (kinds_rng.random(n_kg) * np.maximum(1, n_towns // 3)).astype(np.int64)
    final_category = np.where(kg_good, good_category, category)
    central = (final_category == "public") & (kg_good | (kinds_rng.random(n_kg) < 0.8))

    def distinct_per_county(mask: np.ndarray, place: np.ndarray) -> np.ndarray:
        pairs = np.unique(kg_county[mask] * 1_000 + place[mask])
        counted: np.ndarray = np.bincount(pairs // 1_000, minlength=n_counties)
        return counted

    # A good county's townships all have a public central kindergarten (and its
    # subdistricts an inclusive one); a typical county has townships without.
    with_central = distinct_per_county(central, town)
    all_towns = distinct_per_county(np.ones(n_kg, dtype=bool), town)
    inclusive = np.isin(final_category, ["public", "private_inclusive"])
    with_inclusive = distinct_per_county(urban & inclusive, street)
    all_streets = distinct_per_county(urban, street)
    counties = counties.append_column(
        "townships", pa.array(np.where(good_county, np.maximum(with_central, 1), all_towns).astype(np.int64))
    )
    counties = counties.append_column(
        "urban_subdistricts",
        pa.array(np.where(good_county, np.maximum(with_inclusive, 1), all_streets).astype(np.int64)),
    )
    kindergartens = pa.table(
        {
            "year": pa.array(np.full(n_kg, year)),
            "county_code": pa.array(codes[kg_county]),
            "kindergarten_id": pa.array(np.char.add("K", np.arange(n_kg).astype(str))),
            "kindergarten_name": pa.array(np.char.add("合成幼儿园", np.arange(n_kg).astype(str))),
            "category": pa.array(final_category),
            "children": pa.array(children),
            "full_time_teachers": pa.array(teachers),
            "certified_teachers": pa.array(
                np.where(kg_good | (kinds_rng.random(n_kg) > 0.05), teachers, teachers - 1)
            ),
            "caregivers": pa.array(classes),
            "head_certified": pa.array(kg_good | (kinds_rng.random(n_kg) > 0.03)),
            "classes": pa.array(classes),
            "classes_oversize": pa.array(oversize),
            "design_year": pa.array(rng.integers(1990, 2025, n_kg)),
            "outdoor_play_area_m2": pa.array(outdoor.round()),
            "activity_room_area_m2": pa.array((children * kinds_rng.uniform(8.3, 10.0, n_kg)).round()),
            "floor_area_m2": pa.array((children * kinds_rng.uniform(10.6, 13.0, n_kg)).round()),
            "township": pa.array(np.char.add("合成镇", town.astype(str))),
            "township_central": pa.array(central),
            "subdistrict": pa.array(np.char.add("合成街道", street.astype(str)), mask=~urban),
        }
    )
    return {"schools": schools, "counties": counties, "kindergartens": kindergartens}


#: The code of the synthetic province (the bundled demo county is 990101): no real
#: province has it, so the national rules apply and no real county is named.
PROVINCE_CODE = "99"


def province(
    n_counties: int = 100, years: tuple[int, int] = (2023, 2024), seed: int = 0
) -> dict[int, dict[str, pa.Table]]:
    """A SYNTHETIC province of ``n_counties`` counties over two years, for the province
    view (``eduscore demo --province``): ``{year: {"schools", "counties", "kindergartens"}}``.

    The first year is :func:`national` at the province's size, with every county moved
    into province 99 (codes 9971NN, names 合成县N). The second year is the first one a
    year on:

    - enrolment grows by 2 % in every school (a county near a threshold may slip);
    - in about two exemplary counties in five, one school's sports ground is cut to 60 % of
      its area (sold, built over): the school misses six-of-seven and the county slips;
    - about one typical county in three invests for a year: every school gains 15 % more
      stock and teachers, no school is left above 1,900 pupils (2,400 for a nine- or
      twelve-year school; pupils moved out, classes added so that none is above 45 / 50),
      every school spends 6 % of its budget on training, and the county's own figures
      become those of an exemplary county. What is left in its way is money: it
      certifies, or the fund (``eduscore allocate``) can certify it.

    The same seed gives the same tables.

    >>> p = province(12, seed=1)
    >>> sorted(p), p[2023]["counties"].num_rows
    ([2023, 2024], 12)
    """
    first, second = years
    data = national(n_counties / COUNTIES_AT_SCALE_1, seed=seed, year=first)
    old = np.array(data["counties"].column("county_code").to_pylist())
    n = len(old)
    j = np.arange(n)
    new = np.char.add(
        np.char.add(PROVINCE_CODE, np.char.zfill((71 + j // 99).astype(str), 2)),
        np.char.zfill((1 + j % 99).astype(str), 2),
    )

    def moved(table: pa.Table) -> pa.Table:
        at = table.column_names.index("county_code")
        where = pc.index_in(table.column("county_code"), value_set=pa.array(old))
        return table.set_column(at, "county_code", pc.take(pa.array(new), where))

    # Figures only some provinces' rule sets read (Henan's and Hunan's townships, Zhejiang's
    # and Liaoning's modernisation year and funding, the vocational flag): province 99 has
    # no rule set, and under the national rules they are unknown columns.
    only_provinces = ["townships", "urban_subdistricts", "modernisation_certified_year"]
    only_provinces += ["public_funding_per_student_primary", "public_funding_per_student_junior"]
    data["counties"] = data["counties"].drop_columns(only_provinces)
    data["schools"] = data["schools"].drop_columns(["is_vocational"])
    year1 = {name: moved(t) for name, t in data.items()}
    rng = np.random.default_rng([seed, 2])
    # Which kind of county each is, as the generator made it (exemplary ones have every
    # figure given and passing; the kinds are drawn with the seed's second generator).
    kinds = np.random.default_rng([seed, 1]).choice(
        np.array(list(COUNTY_KINDS)), n, p=list(COUNTY_KINDS.values())
    )
    slips = (kinds == "exemplary") & (rng.random(n) < 0.4)
    invests = (kinds == "typical") & (rng.random(n) < 1 / 3)
    schools = year1["schools"]
    county_of = np.searchsorted(new, np.array(schools.column("county_code").to_pylist()))
    # the first in-scope school of each slipping county loses 40 % of its sports ground
    ordinary = np.flatnonzero(np.asarray(pc.not_equal(schools.column("school_type"), "special")))
    first_school = np.full(n, -1)
    counties_with, at = np.unique(county_of[ordinary], return_index=True)  # each county's first
    first_school[counties_with] = ordinary[at]
    cut = np.zeros(schools.num_rows, dtype=bool)
    cut[first_school[slips & (first_school >= 0)]] = True
    grow = invests[county_of]
    cols: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in schools.column_names:
        column = schools.column(name)
        if name == "year":
            column = pa.array(np.full(schools.num_rows, second))
        elif name.startswith("students_"):
            column = pc.cast(pc.round(pc.multiply(pc.cast(column, pa.float64()), 1.02)), pa.int64())
        elif (
            name in _PER_STUDENT
            or name == "multimedia_classrooms"
            or any(name == f"{t}_{lv}" for t in (*_PER_100, "teachers") for lv in ("primary", "junior"))
        ):
            factor = np.where(grow, 1.15, 1.0) * np.where(cut & (name == "sports_area_m2"), 0.6, 1.0)
            scaled = pc.multiply(pc.cast(column, pa.float64()), pa.array(factor))
            if pa.types.is_integer(column.type):
                scaled = pc.cast(pc.ceil(scaled), column.type)
            column = scaled
        cols[name] = column
    year2_schools = _invested(pa.table(cols), grow)
    counties = year1["counties"]
    counties = counties.set_column(
        counties.column_names.index("year"), "year", pa.array(np.full(counties.num_rows, second))
    )
    exemplary = np.flatnonzero(kinds == "exemplary")
    if len(exemplary):  # the investing counties' own figures: those of an exemplary county
        model = int(exemplary[0])
        own = ("county_code", "county_name", "year", "population_3_5")
        take = pa.array(np.where(invests, model, np.arange(n)))
        for name in counties.column_names:
            if name not in own:
                at = counties.column_names.index(name)
                counties = counties.set_column(at, name, pc.take(counties.column(name), take))
    kindergartens = year1["kindergartens"]
    kindergartens = kindergartens.set_column(
        kindergartens.column_names.index("year"), "year", pa.array(np.full(kindergartens.num_rows, second))
    )
    year2 = {"schools": year2_schools, "counties": counties, "kindergartens": kindergartens}
    return {first: year1, second: year2}


def _invested(schools: pa.Table, invests: np.ndarray) -> pa.Table:
    """The schools of the rows ``invests`` after a year of investment in what money does
    not buy: under 1,900 pupils (2,400 spanning two levels), classes of at most 45 / 50,
    6 % of the budget on training."""

    def put(t: pa.Table, name: str, values: pa.ChunkedArray | pa.Array) -> pa.Table:
        return t.set_column(t.column_names.index(name), name, values)

    mask = pa.array(invests)
    both = pc.add(
        pc.fill_null(pc.cast(schools.column("students_primary"), pa.float64()), 0.0),
        pc.fill_null(pc.cast(schools.column("students_junior"), pa.float64()), 0.0),
    )
    spanning = pc.is_in(schools.column("school_type"), pa.array(["nine_year", "twelve_year"]))
    cap = pc.if_else(spanning, 2400.0, 1900.0)
    factor = pc.if_else(mask, pc.min_element_wise(pc.divide(cap, pc.max_element_wise(both, 1.0)), 1.0), 1.0)
    for level, most in (("primary", 45.0), ("junior", 50.0)):
        students = schools.column(f"students_{level}")
        scaled = pc.floor(pc.multiply(pc.cast(students, pa.float64()), factor))
        schools = put(schools, f"students_{level}", pc.cast(scaled, students.type))
        classes = schools.column(f"classes_{level}")
        more = pc.max_element_wise(pc.ceil(pc.divide(scaled, most)), pc.cast(classes, pa.float64()))
        classes = pc.if_else(pc.and_(mask, pc.is_valid(classes)), pc.cast(more, classes.type), classes)
        schools = put(schools, f"classes_{level}", classes)
        largest = schools.column(f"max_class_size_{level}")
        capped = pc.min_element_wise(largest, pa.scalar(int(most), largest.type))
        where = pc.and_(mask, pc.is_valid(largest))
        schools = put(schools, f"max_class_size_{level}", pc.if_else(where, capped, largest))
    share = schools.column("training_budget_share")
    raised = pc.max_element_wise(share, pa.scalar(0.06, share.type))
    return put(schools, "training_budget_share", pc.if_else(mask, raised, share))
