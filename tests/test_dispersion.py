"""The student-weighted population CV (frameworks.md §1.1) against a slow exact reference."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from eduscore.engine.dispersion import weighted_dispersion
from reference import weighted_cv

students = st.integers(min_value=0, max_value=5000)
value = st.floats(min_value=0, max_value=1e8, allow_nan=False, allow_infinity=False)


def frame(groups: dict[str, list[tuple[float, float]]]) -> pa.Table:
    rows = [(g, x, p) for g, pairs in groups.items() for x, p in pairs]
    return pa.table(
        {
            "_county": [g for g, _, _ in rows],
            "level": ["primary"] * len(rows),
            "indicator": ["x"] * len(rows),
            "weight": pa.array([float(p) for _, _, p in rows], pa.float64()),
            "value": pa.array([x for _, x, _ in rows], pa.float64()),
        }
    )


def cvs(t: pa.Table) -> dict[str, float | None]:
    out = weighted_dispersion(t)
    return dict(zip(out.column("_county").to_pylist(), out.column("cv").to_pylist(), strict=True))


def close(a: float | None, b: float | None, rel: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-15)


@given(
    st.dictionaries(
        st.sampled_from(["330482", "130102", "410101"]),
        st.lists(st.tuples(value, students), min_size=1, max_size=40),
        min_size=1,
    )
)
def test_matches_reference_formula(groups: dict[str, list[tuple[float, int]]]) -> None:
    got = cvs(frame(groups))
    for g, pairs in groups.items():
        want = weighted_cv([x for x, _ in pairs], [p for _, p in pairs])
        if all(p == 0 for _, p in pairs):
            assert g not in got or got[g] is None
            continue
        assert close(got[g], want), (g, got[g], want)


@given(
    base=st.floats(min_value=1e6, max_value=1e8),
    spread=st.lists(st.floats(min_value=0, max_value=5), min_size=2, max_size=30),
    weights=st.lists(st.integers(1, 3000), min_size=30, max_size=30),
)
def test_huge_values_tiny_spread_keep_their_variance(
    base: float, spread: list[float], weights: list[int]
) -> None:
    """Equipment values of 10⁸ yuan differing by a few yuan: no cancellation."""
    values = [base + s for s in spread]
    w = weights[: len(values)]
    got = cvs(frame({"g": list(zip(values, w, strict=True))}))["g"]
    want = weighted_cv(values, w)
    assert want is not None
    assert close(got, want, 1e-9) or (want < 1e-15 and got is not None and got < 1e-15), (got, want)


@given(
    st.lists(
        st.tuples(st.floats(min_value=0.01, max_value=1e5), st.integers(1, 3000)), min_size=1, max_size=30
    ),
    st.randoms(),
)
def test_invariant_under_row_order(pairs: list[tuple[float, int]], rnd: object) -> None:
    shuffled = list(pairs)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert close(cvs(frame({"g": pairs}))["g"], cvs(frame({"g": shuffled}))["g"], 1e-12)


@given(
    st.lists(
        st.tuples(st.floats(min_value=0.01, max_value=1e5), st.integers(1, 3000)), min_size=1, max_size=30
    ),
    st.sampled_from([0.001, 0.5, 3.0, 10_000.0]),
)
def test_invariant_under_scaling_the_indicator(pairs: list[tuple[float, int]], k: float) -> None:
    scaled = [(x * k, p) for x, p in pairs]
    assert close(cvs(frame({"g": pairs}))["g"], cvs(frame({"g": scaled}))["g"], 1e-9)


@given(
    st.lists(
        st.tuples(st.floats(min_value=0.01, max_value=1e5), st.integers(1, 3000)), min_size=1, max_size=30
    ),
    st.data(),
)
def test_duplicating_a_school_equals_doubling_its_students(
    pairs: list[tuple[float, int]], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(pairs) - 1))
    duplicated = [*pairs, pairs[i]]
    doubled = [(x, p * 2 if j == i else p) for j, (x, p) in enumerate(pairs)]
    assert close(cvs(frame({"g": duplicated}))["g"], cvs(frame({"g": doubled}))["g"], 1e-9)


@given(st.floats(min_value=0.001, max_value=1e8), st.lists(st.integers(1, 5000), min_size=1, max_size=50))
def test_all_equal_gives_zero(x: float, weights: list[int]) -> None:
    got = cvs(frame({"g": [(x, p) for p in weights]}))["g"]
    assert got is not None and got <= 1e-12


def test_single_school_county_has_cv_zero() -> None:
    assert cvs(frame({"g": [(7.3, 420)]}))["g"] == 0.0


def test_worked_example_by_hand() -> None:
    # Two schools: 100 students at 2.0, 300 at 4.0. x̄ = (200 + 1200) / 400 = 3.5;
    # S² = 0.25·1.5² + 0.75·0.5² = 0.5625 + 0.1875 = 0.75; CV = sqrt(0.75) / 3.5.
    got = weighted_dispersion(frame({"g": [(2.0, 100), (4.0, 300)]}))
    assert got.column("mean")[0].as_py() == pytest.approx(3.5)
    assert got.column("sd")[0].as_py() == pytest.approx(math.sqrt(0.75))
    assert got.column("cv")[0].as_py() == pytest.approx(math.sqrt(0.75) / 3.5, rel=1e-12)
    # The unweighted population and sample SDs differ: the formula is really weighted.
    assert got.column("cv")[0].as_py() != pytest.approx(1.0 / 3.0)


def test_zero_mean_is_not_computable_and_missing_value_is_incomplete() -> None:
    got = weighted_dispersion(frame({"zero": [(0.0, 10), (0.0, 20)], "gap": [(1.0, 10), (math.nan, 5)]}))
    rows = {r["_county"]: r for r in got.to_pylist()}
    assert rows["zero"]["cv"] is None and rows["zero"]["n_missing"] == 0
    # NaN is not a value; a missing value makes the county's CV missing.
    t = frame({"gap": [(1.0, 10), (2.0, 5)]})
    t = t.set_column(4, "value", pa.array([1.0, None], pa.float64()))
    gap = weighted_dispersion(t).to_pylist()[0]
    assert gap["n_missing"] == 1 and gap["cv"] is None


@given(
    st.lists(st.tuples(st.floats(min_value=0.01, max_value=1e4), st.integers(0, 50)), min_size=1, max_size=20)
)
def test_zero_student_sections_carry_no_weight(pairs: list[tuple[float, int]]) -> None:
    assume(any(p > 0 for _, p in pairs))
    with_zero = [*pairs, (123456.0, 0)]
    assert close(cvs(frame({"g": pairs}))["g"], cvs(frame({"g": with_zero}))["g"], 1e-12)


def test_dense_codes_give_a_missing_key_its_own_group() -> None:
    from eduscore.engine.dispersion import dense_codes

    for column in (
        pa.chunked_array([["a", None], ["b", "a", None]]),
        pa.chunked_array([["a", None], ["b", "a", None]]).dictionary_encode(),
    ):
        codes, values = dense_codes(column)
        keys = [values[int(c)].as_py() for c in codes]
        assert keys == ["a", None, "b", "a", None]
