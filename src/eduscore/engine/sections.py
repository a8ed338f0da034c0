"""Section rules: every scored unit must meet a threshold, or most of the indicators.

Kinds ``section_threshold`` and ``count_met_with_floor``: a status per unit (school
section or kindergarten), then per county ("3 school sections fail").
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from eduscore.engine.score import (
    COMPARE,
    NULL_S,
    SECTION_CHECK_SCHEMA,
    Engine,
    Stage,
    encoded,
    label_array,
)
from eduscore.engine.unit_table import met_ratio_of
from eduscore.inputs.prepare import constant
from eduscore.model.framework import Rule
from eduscore.model.messages import coded, coded_array, count_key, unit_key


def section_threshold_units(engine: Engine, stage: Stage, rule: Rule) -> pa.Table:
    """Each unit's status under a section threshold."""
    spec = rule.spec
    return engine.unit_check(
        stage.units, rule.id, rule.kind, spec.value, spec.comparator, spec.threshold, spec.applies_when
    )


def count_met_units(engine: Engine, stage: Stage, rule: Rule) -> pa.Table:
    """Each unit's status under the six-of-seven rule (count_met_with_floor): at least
    ``min_met`` thresholds met, every missed one at ``floor_ratio`` of its threshold."""
    units, by_indicator = stage.units, stage.by_indicator
    assert rule.min_met is not None and rule.floor_ratio is not None
    n = units.num_rows
    listed = [by_indicator[i] for i in rule.indicators if engine.fw.indicator(i).threshold is not None]
    zero = constant(0, n, pa.int64())
    met_count, miss_count, unknown, below = zero, zero, zero, constant(False, n, pa.bool_())
    for t in listed:
        met, ratio = met_ratio_of(t)
        met_count = pc.add(met_count, pc.cast(pc.fill_null(met, False), pa.int64()))
        miss_count = pc.add(miss_count, pc.cast(pc.fill_null(pc.invert(met), False), pa.int64()))
        unknown = pc.add(unknown, pc.cast(pc.is_null(met), pa.int64()))
        under_floor = COMPARE["<"](ratio, pa.scalar(rule.floor_ratio))
        low = pc.and_(pc.fill_null(pc.invert(met), False), pc.fill_null(under_floor, False))
        below = pc.or_(below, low)
    allowed_misses = len(listed) - rule.min_met
    fail = pc.or_(below, pc.greater(miss_count, allowed_misses))
    status = pc.if_else(fail, "fail", pc.if_else(pc.greater(unknown, 0), "not_assessed", "pass"))
    status = pc.if_else(units.column("in_scope"), status, "excluded")
    reason = pc.if_else(
        pc.equal(status, "fail"),
        pc.if_else(
            below,
            coded_array("thresholds_met_floor", met_count, str(len(listed)), f"{rule.floor_ratio:.0%}"),
            coded_array("thresholds_met", met_count, str(len(listed))),
        ),
        pc.if_else(pc.equal(status, "not_assessed"), pa.scalar(coded("indicator_values_missing")), NULL_S),
    )
    return unit_rows(
        engine,
        rule,
        pc.cast(met_count, pa.float64()),
        constant(float(rule.min_met), n, pa.float64()),
        ">=",
        status,
        reason,
    )


# ----------------------------------------------------------------- county level


def unit_rows(
    engine: Engine,
    rule: Rule,
    value: pa.ChunkedArray | pa.Array,
    threshold: pa.ChunkedArray | pa.Array,
    comparator: str | None,
    status: pa.ChunkedArray | pa.Array,
    reason: pa.ChunkedArray | pa.Array,
) -> pa.Table:
    """One rule's rows of the per-unit table (``SECTION_CHECK_SCHEMA``), one per unit in
    the engine's order; ``met`` follows the status (pass / fail / unknown), no ratio."""
    n = len(status)
    return pa.table(
        {
            "_county": engine.ids["_county"],
            "unit_id": engine.ids["unit_id"],
            "level": engine.ids["level"],
            "check_id": label_array(rule.id, n, pa.int16()),
            "kind": label_array(rule.kind, n),
            "value": value,
            "threshold": threshold,
            "comparator": label_array(comparator, n),
            "met": pc.if_else(
                pc.equal(status, "pass"),
                True,
                pc.if_else(pc.equal(status, "fail"), False, pa.scalar(None, pa.bool_())),
            ),
            "ratio": pa.nulls(n, pa.float64()),
            "status": encoded(status),
            "reason": reason,
            "relaxation": pa.nulls(n, pa.string()),
        },
        schema=SECTION_CHECK_SCHEMA,
    )


def section_checks(engine: Engine, stage: Stage, rule: Rule) -> pa.Table:
    """A county passes a section rule when every in-scope, applicable unit does."""
    mine, counties = stage.unit_rules[rule.id], stage.counties
    # In-scope units count; of those, the ones the rule applies to must pass. In-scope
    # units none of which the rule applies to (no kindergarten built since 2017) pass.
    mine = mine.filter(pc.not_equal(mine.column("status"), "excluded"))
    flags = mine.select(["_county"]).append_column("n", constant(1, mine.num_rows, pa.int64()))
    for s in ("fail", "not_assessed"):
        flags = flags.append_column(s, pc.cast(pc.equal(mine.column("status"), s), pa.int64()))
    agg = flags.group_by("_county", use_threads=False).aggregate(
        [("n", "sum"), ("fail", "sum"), ("not_assessed", "sum")]
    )
    agg = agg.set_column(
        agg.column_names.index("_county"), "_county", pc.cast(agg.column("_county"), pa.string())
    )
    joined = counties.select(["_county"]).join(agg, "_county", use_threads=False)
    n_fail = joined.column("fail_sum")
    n_na = joined.column("not_assessed_sum")
    unit = rule.over or engine.fw.unit
    none = pc.is_null(joined.column("n_sum"))
    status = pc.if_else(
        none,
        "not_assessed",
        pc.if_else(pc.greater(n_fail, 0), "fail", pc.if_else(pc.greater(n_na, 0), "not_assessed", "pass")),
    )
    reason = pc.if_else(
        none,
        pa.scalar(coded("none_in_scope", unit_key(unit))),
        pc.if_else(
            pc.greater(n_fail, 0),
            coded_array("units_fail", n_fail, count_key(unit)),
            pc.if_else(pc.greater(n_na, 0), coded_array("units_lack_data", n_na, count_key(unit)), NULL_S),
        ),
    )
    return engine.check_rows(
        joined.column("_county"),
        rule,
        rule.id,
        None,
        status,
        pc.cast(n_fail, pa.float64()),
        0.0,
        "==",
        reason,
    )
