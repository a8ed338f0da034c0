"""The student-weighted population difference coefficient (frameworks.md §1.1), vectorised.

For the in-scope sections i of one county and level, with students p_i and values x_i::

    x̄  = Σ p_i x_i / P                        (P = Σ p_i; equals the county ratio)
    S² = Σ (p_i / P) (x_i − x̄)²               (student shares; no n − 1)
    CV = S / x̄

Computed for every county × level × indicator at once (see :func:`weighted_dispersion`).
The second pass uses the *corrected* two-pass form
``S² = (Σ p d² − (Σ p d)² / P) / P`` with ``d = x − x̄``: the deviations are formed
before squaring, so equipment values of 10⁸ yuan with a spread of a few yuan keep
their variance, and the correction term removes the rounding error of x̄ itself.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DISPERSION_SCHEMA = pa.schema(
    [
        ("_county", pa.string()),
        ("level", pa.string()),
        ("indicator", pa.string()),
        ("n_sections", pa.int64()),
        ("n_missing", pa.int64()),
        ("students", pa.float64()),
        ("mean", pa.float64()),
        ("sd", pa.float64()),
        ("cv", pa.float64()),
    ]
)


def dense_codes(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Dense integer codes of a key column, and the distinct values they index.

    A dictionary-encoded column (as the engine passes) only has its chunks' dictionaries
    unified; a plain column is encoded here."""
    if pa.types.is_dictionary(column.type):
        combined = pa.table({"k": column}).unify_dictionaries().column("k").combine_chunks()
        indices = combined.indices.fill_null(-1)
        values = combined.dictionary
        if combined.null_count:  # a missing key (e.g. no level) becomes its own group
            values = pa.concat_arrays([values, pa.array([None], values.type)])
            indices = pc.if_else(pc.equal(indices, -1), len(values) - 1, indices)
        return np.asarray(indices.to_numpy(zero_copy_only=False), dtype=np.int64), values
    # A missing key becomes its own group here too (not a garbage code from a null index).
    plain = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    encoded = pc.dictionary_encode(plain, null_encoding="encode")
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64), encoded.dictionary


def _floats(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Values as float64 with missing as 0, and the missing mask."""
    array = pc.cast(column, pa.float64())
    missing = np.asarray(pc.is_null(array, nan_is_null=True).to_numpy(zero_copy_only=False), dtype=bool)
    values = np.asarray(pc.fill_null(array, 0.0).to_numpy(zero_copy_only=False), dtype=np.float64)
    return np.where(missing, 0.0, values), missing


def rank_in_runs(codes: np.ndarray) -> np.ndarray:
    """Position of every element within its run of equal codes (``codes`` sorted so that
    equal codes are adjacent): 0 marks the first of a run."""
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.r_[0, np.flatnonzero(codes[1:] != codes[:-1]) + 1]
    out: np.ndarray = np.arange(len(codes)) - np.repeat(first, np.diff(np.r_[first, len(codes)]))
    return out


def grouped_cv(
    key: np.ndarray, w: np.ndarray, x: np.ndarray, groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per group: total weight, weighted mean, weighted population SD and CV (two-pass:
    deviations from the group mean, then the corrected sum of squares)."""
    total = np.bincount(key, weights=w, minlength=groups)
    wx = np.bincount(key, weights=w * x, minlength=groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(total > 0, wx / np.where(total > 0, total, 1.0), np.nan)
        d = x - mean[key]
        wd = np.bincount(key, weights=w * d, minlength=groups)
        wdd = np.bincount(key, weights=w * d * d, minlength=groups)
        var = np.maximum((wdd - wd * wd / total) / total, 0.0)
        sd = np.sqrt(var)
        cv = np.where(mean != 0, sd / np.abs(mean), np.nan)
    return total, mean, sd, cv


def weighted_dispersion(observations: pa.Table) -> pa.Table:
    """CV per group of a long table with columns ``_county, level, indicator, weight, value``.

    Rows with zero weight carry no students and are ignored (their per-student value
    is undefined). A row with a missing value or weight makes its group's ``n_missing``
    positive and its mean, SD and CV missing: a CV over part of the schools is not the
    county's CV. A group whose students sum to 0 or whose mean is 0 has a missing CV.

    The groups are numbered densely and summed with ``numpy.bincount`` — one pass per
    sum over all counties, levels and indicators at once.
    """
    keys = ["_county", "level", "indicator"]
    if observations.num_rows == 0:
        return DISPERSION_SCHEMA.empty_table()
    w, w_missing = _floats(observations.column("weight"))
    x, x_missing = _floats(observations.column("value"))
    keep = w_missing | (w > 0)  # zero-weight rows carry no students; null weight is missing
    codes = [dense_codes(observations.column(k)) for k in keys]
    sizes = [len(d) for _, d in codes]
    key = codes[0][0] * (sizes[1] * sizes[2]) + codes[1][0] * sizes[2] + codes[2][0]
    key, w, x = key[keep], w[keep], x[keep]
    missing = (w_missing | x_missing)[keep]
    groups = sizes[0] * sizes[1] * sizes[2]
    count = np.bincount(key, minlength=groups)
    n_missing = np.bincount(key, weights=missing, minlength=groups)
    total, mean, sd, cv = grouped_cv(key, w, x, groups)
    present = np.flatnonzero(count > 0)
    incomplete = n_missing[present] > 0

    def masked(values: np.ndarray) -> pa.Array:
        v = values[present]
        return pa.array(v, mask=incomplete | ~np.isfinite(v), type=pa.float64())

    i0 = present // (sizes[1] * sizes[2])
    i1 = (present // sizes[2]) % sizes[1]
    i2 = present % sizes[2]
    return pa.table(
        {
            "_county": codes[0][1].take(pa.array(i0)),
            "level": codes[1][1].take(pa.array(i1)),
            "indicator": codes[2][1].take(pa.array(i2)),
            "n_sections": pa.array(count[present], pa.int64()),
            "n_missing": pa.array(n_missing[present].astype(np.int64), pa.int64()),
            "students": pa.array(total[present], mask=incomplete, type=pa.float64()),
            "mean": masked(mean),
            "sd": masked(sd),
            "cv": masked(cv),
        },
        schema=DISPERSION_SCHEMA,
    ).sort_by([(k, "ascending") for k in keys])
