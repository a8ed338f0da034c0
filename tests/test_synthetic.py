"""The synthetic nation gives a researcher something to study (issue #14, item 8): real
province codes, certified, incomplete and not-certified counties, deterministic."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow.compute as pc
import pytest

import eduscore
from eduscore.synthetic import COUNTY_KINDS, PROVINCES, national

REAL_PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
}  # fmt: skip


@pytest.fixture(scope="module")
def nation() -> dict[str, object]:
    return national(0.1, seed=11)


def test_codes_are_in_real_provinces_and_never_name_a_real_county(nation: dict) -> None:
    assert set(PROVINCES) == REAL_PROVINCES
    codes = nation["counties"].column("county_code").to_pylist()
    assert len(set(codes)) == len(codes)
    assert {c[:2] for c in codes} <= REAL_PROVINCES and len({c[:2] for c in codes}) == 31
    # Prefecture codes 71–89 (50–69 beyond): none of the real prefectures of these provinces.
    assert all(71 <= int(c[2:4]) <= 89 or 50 <= int(c[2:4]) <= 69 for c in codes)
    many = eduscore.synthetic._county_codes(45_600)
    assert len(set(many)) == 45_600


@pytest.mark.parametrize(
    ("framework", "certified", "incomplete"),
    [("quality-balance-2017", (0.08, 0.30), (0.02, 0.15)), ("preschool-2020", (0.08, 0.35), (0.01, 0.15))],
)
def test_verdicts_vary(nation: dict, framework: str, certified: tuple, incomplete: tuple) -> None:
    result = eduscore.evaluate(
        schools=nation["schools"],
        counties=nation["counties"],
        kindergartens=nation["kindergartens"],
        framework=framework,
    )
    verdicts = Counter(result.verdicts.column("verdict").to_pylist())
    n = result.verdicts.num_rows
    assert certified[0] <= verdicts["certified"] / n <= certified[1], verdicts
    assert incomplete[0] <= verdicts["incomplete"] / n <= incomplete[1], verdicts
    assert verdicts["not_certified"] / n > 0.5
    # Certified counties are fully assessed: every check passed.
    certified_rows = result.verdicts.filter(pc.equal(result.verdicts.column("verdict"), "certified"))
    assert pc.max(certified_rows.column("n_not_assessed")).as_py() == 0
    assert pc.max(certified_rows.column("n_fail")).as_py() == 0
    # Not-certified counties fail for many different reasons, not one.
    failing = result.checks.filter(pc.equal(result.checks.column("status"), "fail"))
    assert len(set(failing.column("check_id").to_pylist())) >= 8


def test_same_seed_same_tables_and_kinds_as_documented() -> None:
    a, b = national(0.02, seed=4), national(0.02, seed=4)
    for name in a:
        assert a[name].equals(b[name]), name
    assert national(0.02, seed=5)["schools"] != a["schools"]
    assert abs(sum(COUNTY_KINDS.values()) - 1) < 1e-12
    # The section counts the benchmarks quote do not depend on the kinds of county.
    schools = national(1.0)["schools"]
    assert schools.num_rows == 182_000
    types = Counter(schools.column("school_type").to_pylist())
    assert types["nine_year"] + types["twelve_year"] > 0 and np.isclose(
        types["primary"] / 182_000, 0.55, atol=0.01
    )


def test_the_synthetic_province_moves_a_year_on_as_documented() -> None:
    """``synthetic.province``: every county in province 99, the second year the first one
    with 2 % more pupils, 15 % more stock in the investing counties, and one school's
    sports ground cut to 60 % in the slipping ones — checked school by school against
    the first year; and some certified counties do slip (the province demo's alerts)."""
    from eduscore.synthetic import PROVINCE_CODE, province

    p = province(60, seed=4)
    assert sorted(p) == [2023, 2024]
    one, two = p[2023]["schools"], p[2024]["schools"]
    codes = p[2023]["counties"].column("county_code").to_pylist()
    assert len(codes) == len(set(codes)) == 60 and all(c.startswith(PROVINCE_CODE + "71") for c in codes)
    assert set(two.column("year").to_pylist()) == {2024}
    assert one.column("school_id").equals(two.column("school_id"))
    sp1, sp2 = one.column("students_primary").to_pylist(), two.column("students_primary").to_pylist()
    grown = [(b is None) if a is None else b == round(a * 1.02) for a, b in zip(sp1, sp2, strict=True)]
    # an investing county's large school sends pupils elsewhere: under 1,900 (2,400 spanning)
    sj2 = two.column("students_junior").to_pylist()
    types = two.column("school_type").to_pylist()
    for ok, a, b, j, kind in zip(grown, sp1, sp2, sj2, types, strict=True):
        if not ok:
            assert a is not None and b < round(a * 1.02)
            assert (b or 0) + (j or 0) <= (2400 if kind in ("nine_year", "twelve_year") else 1900)
    assert sum(grown) > 0.9 * len(grown)
    raised = pc.and_(
        pc.less(one.column("training_budget_share"), 0.06),
        pc.equal(two.column("training_budget_share"), 0.06),
    )
    invested = two.filter(raised)  # schools of investing counties (their share was below 6 %)
    assert invested.num_rows and all(
        (m or 0) <= 45 for m in invested.column("max_class_size_primary").to_pylist()
    )
    ratio = [
        b / a if a else 1.0
        for a, b in zip(
            one.column("sports_area_m2").to_pylist(), two.column("sports_area_m2").to_pylist(), strict=True
        )
    ]
    kinds = {round(r, 6) for r in ratio}
    assert kinds <= {1.0, 1.15, 0.6, round(1.15 * 0.6, 6)}
    cut = [
        c
        for c, r in zip(one.column("county_code").to_pylist(), ratio, strict=True)
        if round(r, 6) in (0.6, 0.69)
    ]
    assert len(cut) == len(set(cut)) >= 1  # one school per slipping county
    before = eduscore.evaluate(schools=one, counties=p[2023]["counties"])
    after = eduscore.evaluate(schools=two, counties=p[2024]["counties"])
    v1 = dict(zip(*(before.verdicts.column(k).to_pylist() for k in ("county_code", "verdict")), strict=True))
    v2 = dict(zip(*(after.verdicts.column(k).to_pylist() for k in ("county_code", "verdict")), strict=True))
    slipped = {c for c in codes if v1[c] == "certified" and v2[c] != "certified"}
    assert slipped and slipped <= set(cut)
