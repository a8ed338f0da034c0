"""The student-weighted population difference coefficient (frameworks.md §1.1), vectorised.

For the in-scope sections i of one county and level, with students p_i and values x_i::

    x̄  = Σ p_i x_i / P                        (P = Σ p_i; equals the county ratio)
    S² = Σ (p_i / P) (x_i − x̄)²               (student shares; no n − 1)
    CV = S / x̄

Computed for every county × level × indicator at once with two group-bys and a join.
The second pass uses the *corrected* two-pass form
``S² = (Σ p d² − (Σ p d)² / P) / P`` with ``d = x − x̄``: the deviations are formed
before squaring, so equipment values of 10⁸ yuan with a spread of a few yuan keep
their variance, and the correction term removes the rounding error of x̄ itself.
"""

from __future__ import annotations

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

_NOSKIP = pc.ScalarAggregateOptions(skip_nulls=False)


def weighted_dispersion(observations: pa.Table) -> pa.Table:
    """CV per group of a long table with columns ``_county, level, indicator, weight, value``.

    Rows with zero weight carry no students and are ignored (their per-student value
    is undefined). A row with a missing value or weight makes its group's ``n_missing``
    positive and its mean, SD and CV missing: a CV over part of the schools is not the
    county's CV. A group whose students sum to 0 or whose mean is 0 has a missing CV.
    """
    keys = ["_county", "level", "indicator"]
    if observations.num_rows == 0:
        return DISPERSION_SCHEMA.empty_table()
    w = observations.column("weight")
    x = observations.column("value")
    positive = pc.fill_null(pc.greater(w, 0.0), True)  # null weight counts as missing below
    obs = observations.filter(positive)
    w = obs.column("weight")
    x = obs.column("value")
    missing = pc.or_(pc.is_null(w), pc.is_null(x))
    obs = obs.select(keys).append_column("w", w).append_column("wx", pc.multiply(w, x))
    obs = obs.append_column("missing", pc.cast(missing, pa.int64())).append_column("x", x)
    first = obs.group_by(keys, use_threads=False).aggregate(
        [
            ("w", "sum", _NOSKIP),
            ("wx", "sum", _NOSKIP),
            ("missing", "sum"),
            ("w", "count", pc.CountOptions(mode="all")),
        ]
    )
    mean = pc.divide(first.column("wx_sum"), first.column("w_sum"))
    mean = pc.if_else(pc.equal(first.column("w_sum"), 0.0), pa.scalar(None, pa.float64()), mean)
    first = first.append_column("mean", mean)
    joined = obs.join(first.select([*keys, "mean"]), keys, use_threads=False)
    d = pc.subtract(joined.column("x"), joined.column("mean"))
    wd = pc.multiply(joined.column("w"), d)
    second = (
        joined.select(keys)
        .append_column("wd", wd)
        .append_column("wdd", pc.multiply(wd, d))
        .group_by(keys, use_threads=False)
        .aggregate([("wd", "sum", _NOSKIP), ("wdd", "sum", _NOSKIP)])
    )
    out = first.join(second, keys, use_threads=False)
    total = out.column("w_sum")
    var = pc.divide(
        pc.subtract(
            out.column("wdd_sum"), pc.divide(pc.multiply(out.column("wd_sum"), out.column("wd_sum")), total)
        ),
        total,
    )
    var = pc.max_element_wise(var, 0.0)  # guard a -0.0 from rounding; never NaN
    sd = pc.sqrt(var)
    mean = out.column("mean")
    cv = pc.if_else(pc.equal(mean, 0.0), pa.scalar(None, pa.float64()), pc.divide(sd, pc.abs(mean)))
    incomplete = pc.greater(out.column("missing_sum"), 0)
    nothing = pa.scalar(None, pa.float64())
    return pa.table(
        {
            "_county": out.column("_county"),
            "level": out.column("level"),
            "indicator": out.column("indicator"),
            "n_sections": out.column("w_count"),
            "n_missing": out.column("missing_sum"),
            "students": pc.if_else(incomplete, nothing, total),
            "mean": pc.if_else(incomplete, nothing, mean),
            "sd": pc.if_else(incomplete, nothing, sd),
            "cv": pc.if_else(incomplete, nothing, cv),
        },
        schema=DISPERSION_SCHEMA,
    ).sort_by([(k, "ascending") for k in keys])
