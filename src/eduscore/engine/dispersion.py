"""The student-weighted population difference coefficient (frameworks.md §1.1), vectorised.

For the in-scope sections i of one county and level, with students p_i and values x_i::

    x̄  = Σ p_i x_i / P                        (P = Σ p_i; equals the county ratio)
    S² = Σ (p_i / P) (x_i − x̄)²               (student shares; no n − 1)
    CV = S / x̄

Computed for every county and level at once, indicator by indicator
(see :func:`dispersion_by_indicator`).
The second pass uses the *corrected* two-pass form
``S² = (Σ p d² − (Σ p d)² / P) / P`` with ``d = x − x̄``: the deviations are formed
before squaring, so equipment values of 10⁸ yuan with a spread of a few yuan keep
their variance, and the correction term removes the rounding error of x̄ itself.
"""

from __future__ import annotations

from collections.abc import Mapping

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
    Each indicator's rows are scored by :func:`dispersion_by_indicator`.
    """
    if observations.num_rows == 0:
        return DISPERSION_SCHEMA.empty_table()
    codes, names = dense_codes(observations.column("indicator"))
    parts = []
    for i, name in enumerate(names.to_pylist()):
        rows = observations.filter(pa.array(codes == i))
        parts.append(
            dispersion_by_indicator(
                rows.column("_county"),
                rows.column("level"),
                rows.column("weight"),
                {name: rows.column("value")},
            )
        )
    return _sorted(pa.concat_tables(parts))


def dispersion_by_indicator(
    county: pa.ChunkedArray,
    level: pa.ChunkedArray,
    weight: pa.ChunkedArray,
    values: Mapping[str, pa.ChunkedArray],
    scope: pa.ChunkedArray | None = None,
) -> pa.Table:
    """The CVs of several indicators over the same units (rows): per county × level ×
    indicator, as :func:`weighted_dispersion` describes. ``scope`` (bool per row): the
    rows that count (None: all).

    Counties and levels are numbered densely once; each indicator's sums are one
    ``numpy.bincount`` pass over all counties and levels, so the working memory is that of
    one indicator, not of all of them at once.
    """
    if not values or len(county) == 0:
        return DISPERSION_SCHEMA.empty_table()
    county_codes, counties = dense_codes(county)
    level_codes, levels = dense_codes(level)
    w, w_missing = _floats(weight)
    keep = w_missing | (w > 0)  # zero-weight rows carry no students; null weight is missing
    if scope is not None:
        keep &= np.asarray(pc.fill_null(scope, False).to_numpy(zero_copy_only=False), dtype=bool)
    rows = np.flatnonzero(keep)
    n_levels = len(levels)
    key = (county_codes * n_levels + level_codes)[rows]
    w, w_missing = w[rows], w_missing[rows]
    groups = len(counties) * n_levels
    count = np.bincount(key, minlength=groups)
    present = np.flatnonzero(count > 0)
    county_of = counties.take(pa.array(present // n_levels))
    level_of = levels.take(pa.array(present % n_levels))
    parts = []
    for name, column in values.items():
        x, x_missing = _floats(column)
        x = x[rows]
        missing = w_missing | x_missing[rows]
        n_missing = np.bincount(key, weights=missing, minlength=groups)
        total, mean, sd, cv = grouped_cv(key, w, x, groups)
        incomplete = n_missing[present] > 0

        def masked(values: np.ndarray, incomplete: np.ndarray = incomplete) -> pa.Array:
            v = values[present]
            return pa.array(v, mask=incomplete | ~np.isfinite(v), type=pa.float64())

        parts.append(
            pa.table(
                {
                    "_county": county_of,
                    "level": level_of,
                    "indicator": pa.repeat(pa.scalar(name, pa.string()), len(present)),
                    "n_sections": pa.array(count[present], pa.int64()),
                    "n_missing": pa.array(n_missing[present].astype(np.int64), pa.int64()),
                    "students": pa.array(total[present], mask=incomplete, type=pa.float64()),
                    "mean": masked(mean),
                    "sd": masked(sd),
                    "cv": masked(cv),
                },
                schema=DISPERSION_SCHEMA,
            )
        )
    return _sorted(pa.concat_tables(parts))


def _sorted(t: pa.Table) -> pa.Table:
    return t.sort_by([(k, "ascending") for k in ("_county", "level", "indicator")])
