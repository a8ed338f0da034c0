"""The long per-unit check table is kept compact and built when read: the table read must
be the one built whole, value for value (eduscore.engine.unit_table)."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eduscore
import eduscore.engine.kinds as kinds
from eduscore.engine.score import (
    SECTION_CHECK_SCHEMA,
    STANDARD_SCHEMA,
    label_array,
    met_and_ratio,
)
from eduscore.engine.unit_table import compact, expand
from eduscore.synthetic import national


def same(a: pa.Table, b: pa.Table) -> None:
    """Equal column by column; floats bit for bit (NaN and -0.0 included)."""
    assert a.schema.equals(b.schema), (a.schema, b.schema)
    assert a.num_rows == b.num_rows
    for name in a.column_names:
        x, y = a.column(name), b.column(name)
        if pa.types.is_floating(x.type):
            assert x.is_null().to_pylist() == y.is_null().to_pylist(), name
            xs = np.asarray(pc.fill_null(x, 0.0).to_numpy(), dtype=np.float64)
            ys = np.asarray(pc.fill_null(y, 0.0).to_numpy(), dtype=np.float64)
            assert xs.tobytes() == ys.tobytes(), name
        else:
            assert x.to_pylist() == y.to_pylist(), name


def captured_parts(monkeypatch: pytest.MonkeyPatch, **inputs: object) -> tuple[list[pa.Table], object]:
    """Evaluate, keeping a copy of every check's table as scoring made it."""
    parts: list[pa.Table] = []
    score = kinds.score

    def keep(*args: object) -> object:
        scored = score(*args)  # type: ignore[arg-type]
        parts.extend(scored.unit_parts)
        return scored

    monkeypatch.setattr("eduscore.engine.evaluate.score", keep)
    return parts, eduscore.evaluate(**inputs)  # type: ignore[arg-type]


def independent(t: pa.Table) -> None:
    """``met`` and ``ratio`` as the rules define them, row by row in Python."""
    for row in t.to_pylist():
        v, th, cmp = row["value"], row["threshold"], row["comparator"]
        if v is None or th is None or cmp is None or math.isnan(v) or math.isnan(th):
            continue
        slack = abs(th) * 1e-9
        met = {
            ">=": v >= th - slack,
            ">": v > th + slack,
            "<=": v <= th + slack,
            "<": v < th - slack,
            "==": abs(v - th) <= slack,
        }[cmp]
        assert row["met"] is met, row
        num, den = (v, th) if cmp in (">=", ">") else (th, v)
        ratio = 1.0 if num == 0 and den == 0 else (None if den == 0 else num / den)
        assert row["ratio"] == ratio, row


@pytest.mark.parametrize("data", ["demo", "national"])
def test_each_check_comes_back_as_scoring_made_it(monkeypatch: pytest.MonkeyPatch, data: str) -> None:
    if data == "demo":
        inputs = eduscore.demo_inputs()
    else:
        d = national(0.02, seed=3)
        inputs = {"schools": d["schools"], "counties": d["counties"]}
    parts, result = captured_parts(monkeypatch, **inputs)
    assert parts
    standard = 0
    for part in parts:
        kept = compact(part)
        standard += "ratio" not in kept.column_names
        full = expand(part)
        same(expand(kept), full)  # compacting again changes nothing
        if "ratio" not in kept.column_names:
            independent(full)
    assert standard >= 7  # the indicators at least are kept without met and ratio
    # The table read is the parts, rendered, with county codes and years.
    long = result.section_checks  # type: ignore[attr-defined]
    assert long.num_rows == sum(p.num_rows for p in parts)
    assert result.section_checks is long  # type: ignore[attr-defined]  # built once


def test_a_part_with_its_own_met_and_ratio_keeps_them() -> None:
    """A rule kind's own table (not made by Engine.unit_check) keeps what it says."""
    n = 4
    ids = label_array("x", n)
    t = pa.table(
        {
            "_county": ids.cast(pa.dictionary(pa.int32(), pa.string())),
            "unit_id": ids.cast(pa.dictionary(pa.int32(), pa.string())),
            "level": ids,
            "check_id": label_array("own", n, pa.int16()),
            "kind": label_array("own_kind", n),
            "value": pa.array([1.0, 2.0, None, 4.0]),
            "threshold": pa.array([2.0] * n),
            "comparator": label_array(">=", n),
            "met": pa.array([True, True, False, None]),  # not value >= threshold
            "ratio": pa.array([9.0, None, 0.5, 1.0]),
            "status": label_array("pass", n),
            "reason": pa.nulls(n, pa.string()),
            "relaxation": pa.nulls(n, pa.string()),
        }
    )
    kept = compact(t)
    assert "met" in kept.column_names and "ratio" in kept.column_names
    same(expand(kept), t.cast(SECTION_CHECK_SCHEMA))


floats = st.one_of(
    st.none(),
    st.just(0.0),
    st.just(-0.0),
    st.just(math.nan),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(floats, min_size=0, max_size=40),
    thresholds=st.lists(
        st.sampled_from([None, 0.0, -0.0, 0.9, 1.1, 85.0, math.nan]), min_size=40, max_size=40
    ),
    many=st.booleans(),
    comparator=st.sampled_from([">=", ">", "<=", "<", "==", None]),
    reasons=st.lists(st.sampled_from([None, "a", "b", "c"]), min_size=40, max_size=40),
)
def test_compact_then_expand_is_the_identity(
    values: list[float | None],
    thresholds: list[float | None],
    many: bool,
    comparator: str | None,
    reasons: list[str | None],
) -> None:
    """Thresholds with few or many distinct values, any comparator, nulls, NaN and -0.0."""
    if many:  # more distinct thresholds than one-byte codes hold
        values = (values + [None] * 200)[:200]
        reasons = reasons * 5
        th = pa.array([float(i) + 0.5 for i in range(200)], pa.float64())
    else:
        th = pa.array(thresholds[: len(values)], pa.float64())
    n = len(values)
    v = pa.array(values, pa.float64())
    met, ratio = met_and_ratio(v, th, comparator)
    key = pa.array(["c|2024"] * n).dictionary_encode()
    t = pa.table(
        {
            "_county": key,
            "unit_id": pa.array([f"u{i}" for i in range(n)], pa.string()).dictionary_encode(),
            "level": label_array("primary", n),
            "check_id": label_array("ind", n, pa.int16()),
            "kind": label_array("indicator", n),
            "value": v,
            "threshold": th,
            "comparator": label_array(comparator, n),
            "met": met,
            "ratio": ratio,
            "status": label_array("pass", n),
            "reason": pa.array(reasons[:n], pa.string()).dictionary_encode(),
            "relaxation": pa.nulls(n, pa.string()),
        }
    ).cast(STANDARD_SCHEMA)
    same(expand(compact(t)), t.cast(SECTION_CHECK_SCHEMA))
