"""County rules: figures of the county, attestations, prerequisites and vetoes.

Kinds ``county_threshold``, ``attestation``, ``prerequisite`` and ``veto``: one check
per county, from county columns and aggregates over its units.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from eduscore.engine.score import (
    COMPARE,
    NULL_S,
    Engine,
    Stage,
    missing_reason,
    threshold_expression,
    unit_word,
)
from eduscore.model.formula import Columns, compile_formula, evaluate_expression, evaluate_expressions
from eduscore.model.framework import Rule
from eduscore.model.messages import coded


def county_checks(engine: Engine, stage: Stage, rule: Rule) -> pa.Table:
    """The checks of a county rule, one per county."""
    counties, units = stage.counties, stage.units
    over = rule.over or engine.fw.unit
    rows = Columns(engine.fw.column_kinds(over))
    prefix = f"__{rule.id.replace('.', '_')}_"
    if rule.kind == "attestation" or (rule.kind == "prerequisite" and rule.column):
        assert rule.column is not None
        col = counties.column(rule.column)
        status = pc.if_else(pc.is_null(col), "not_assessed", pc.if_else(col, "pass", "fail"))
        reason = pc.if_else(
            pc.is_null(col),
            pa.scalar(coded("missing_input", rule.column, engine.labels.get(rule.column, rule.column))),
            pc.if_else(
                col,
                NULL_S,
                pa.scalar(coded("not_attested", rule.column, engine.labels.get(rule.column, rule.column))),
            ),
        )
        return engine.check_rows(
            counties.column("_county"),
            rule,
            rule.id,
            None,
            status,
            pc.cast(col, pa.float64()),
            1.0,
            "==",
            reason,
        )
    if rule.kind == "veto":
        assert rule.when is not None
        compiled = compile_formula(
            rule.when, engine.county_cols, rows=rows, expect="bool", aggregate_prefix=prefix
        )
        frame = engine.with_aggregates(counties, units, [compiled], over)
        got = evaluate_expressions(
            frame,
            {
                "hit": compiled.expression,
                "reason": missing_reason([compiled], engine.labels, unit_word(over)),
            },
        )
        hit = got.column("hit")
        status = pc.if_else(pc.is_null(hit), "not_assessed", pc.if_else(hit, "fail", "pass"))
        reason = pc.if_else(
            pc.is_null(hit),
            got.column("reason"),
            pc.if_else(hit, pa.scalar(coded("veto_applies", rule.when)), NULL_S),
        )
        return engine.check_rows(
            frame.column("_county"),
            rule,
            rule.id,
            None,
            status,
            pc.cast(hit, pa.float64()),
            0.0,
            "==",
            reason,
        )
    # county_threshold / prerequisite with a value
    assert rule.value is not None and rule.comparator is not None
    compiled = compile_formula(
        rule.value, engine.county_cols, rows=rows, expect="number", aggregate_prefix=prefix
    )
    th_expr, th_compiled = threshold_expression(
        rule.threshold, engine.county_cols, rows=rows, prefix=prefix + "th"
    )
    parts = [compiled] + ([th_compiled] if th_compiled else [])
    frame = engine.with_aggregates(counties, units, parts, over)
    got = evaluate_expressions(
        frame,
        {
            "value": compiled.expression,
            "threshold": th_expr,
            "reason": missing_reason(parts, engine.labels, unit_word(over)),
        },
    )
    v, th = got.column("value"), got.column("threshold")
    met = COMPARE[rule.comparator](v, th)
    status = pc.if_else(pc.is_null(met), "not_assessed", pc.if_else(met, "pass", "fail"))
    if rule.basic_threshold is not None:
        # A lower bar (graded frameworks): meeting it but not the threshold is a basic pass.
        basic, _ = threshold_expression(rule.basic_threshold, engine.county_cols)
        basic_met = COMPARE[rule.comparator](v, evaluate_expression(frame, basic))
        status = pc.if_else(
            pc.and_(pc.equal(status, "fail"), pc.fill_null(basic_met, False)), "basic_pass", status
        )
    reason = pc.if_else(pc.is_null(met), got.column("reason"), NULL_S)
    return engine.check_rows(
        frame.column("_county"), rule, rule.id, None, status, v, th, rule.comparator, reason
    )
