"""Dispersion rules: coefficients of variation between a county's schools.

Kinds ``dispersion_limit`` (each indicator's CV per level at most its limit) and
``composite_dispersion`` (their mean), from the CVs the engine computes once for every
indicator such a rule names (:mod:`eduscore.engine.dispersion`).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from eduscore.engine.score import (
    CHECK_SCHEMA,
    COMPARE,
    NULL_F,
    NULL_S,
    Engine,
    Stage,
    concat_checks,
    cv_status,
)
from eduscore.model import contract
from eduscore.model.framework import Rule, Text
from eduscore.model.messages import coded


def dispersion_checks(engine: Engine, stage: Stage, rule: Rule) -> pa.Table:
    """Each indicator's CV per level against its limit."""
    dispersion, counties = stage.dispersion, stage.counties
    assert dispersion is not None
    parts = []
    for level in engine.fw.levels:
        limit = rule.limit.get(level)
        if limit is None:
            continue
        for ind_id in rule.indicators:
            ind = engine.fw.indicator(ind_id)
            mine = dispersion.filter(
                pc.and_(
                    pc.equal(dispersion.column("level"), level),
                    pc.equal(dispersion.column("indicator"), ind_id),
                )
            )
            joined = counties.select(["_county"]).join(mine, "_county", use_threads=False).sort_by("_county")
            cv = joined.column("cv")
            status, reason = cv_status(joined, cv, limit)
            name = Text(
                f"{ind.name.zh}差异系数({contract.LEVEL_NAMES[level]})", f"CV of {ind.name.en} ({level})"
            )
            parts.append(
                engine.check_rows(
                    joined.column("_county"),
                    rule,
                    f"{rule.id}.{ind_id}.{level}",
                    level,
                    status,
                    cv,
                    limit,
                    "<=",
                    reason,
                    name=name,
                )
            )
    return concat_checks(parts, CHECK_SCHEMA)


def composite_checks(engine: Engine, stage: Stage, rule: Rule) -> pa.Table:
    """The mean CV per level against its limit."""
    dispersion, counties = stage.dispersion, stage.counties
    assert dispersion is not None
    parts = []
    for level in engine.fw.levels:
        limit = rule.limit.get(level)
        if limit is None:
            continue
        mine = dispersion.filter(
            pc.and_(
                pc.equal(dispersion.column("level"), level),
                pc.is_in(dispersion.column("indicator"), pa.array(list(rule.indicators))),
            )
        )
        agg = mine.group_by("_county", use_threads=False).aggregate(
            [
                ("cv", "mean", pc.ScalarAggregateOptions(skip_nulls=False)),
                ("cv", "count", pc.CountOptions(mode="only_valid")),
            ]
        )
        joined = counties.select(["_county"]).join(agg, "_county", use_threads=False).sort_by("_county")
        complete = pc.equal(joined.column("cv_count"), len(rule.indicators))
        mean = pc.if_else(pc.fill_null(complete, False), joined.column("cv_mean"), NULL_F)
        within = COMPARE["<="](mean, pa.scalar(limit))
        status = pc.if_else(pc.is_null(mean), "not_assessed", pc.if_else(within, "pass", "fail"))
        reason = pc.if_else(
            pc.is_null(mean), pa.scalar(coded("cvs_not_computed", len(rule.indicators))), NULL_S
        )
        name = Text(f"{rule.name.zh}({contract.LEVEL_NAMES[level]})", f"{rule.name.en} ({level})")
        parts.append(
            engine.check_rows(
                joined.column("_county"),
                rule,
                f"{rule.id}.{level}",
                level,
                status,
                mean,
                limit,
                "<=",
                reason,
                name=name,
            )
        )
    return concat_checks(parts, CHECK_SCHEMA)
