"""Rule kinds as a registry: ``{kind: handler}``, and the scoring of a framework.

Each rule kind has a typed record (:mod:`eduscore.model.rules`) and here a
:class:`KindHandler` saying how it is scored: ``units`` gives each unit's status (section
rules), ``checks`` gives the county checks, ``uses_cv`` asks for the coefficients of
variation of the indicators it names. Kinds applied while the data are prepared (scope
exclusions, relaxations) have no ``checks``. :func:`score` runs them all — the loops are
over the rules of a framework (a few dozen), never over schools or counties.

Adding a kind (docs/architecture.md): the schema enum, one record
(:func:`eduscore.model.rules.register_record`), one handler (:func:`register_kind`), one
test.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pyarrow as pa

from eduscore._parallel import parallel_map
from eduscore.engine import county, cv_rules, sections
from eduscore.engine.score import (
    CHECK_SCHEMA,
    UNIT_IDENTITY,
    Engine,
    Scored,
    Stage,
    concat_checks,
    encoded,
)
from eduscore.engine.unit_table import compact
from eduscore.errors import FrameworkError
from eduscore.model.framework import Rule
from eduscore.model.needs import indicator_inputs
from eduscore.model.rules import RECORDS

Handler = Callable[[Engine, Stage, Rule], pa.Table]


@attrs.frozen
class KindHandler:
    """How one rule kind is scored."""

    kind: str
    #: The county checks (rows of ``CHECK_SCHEMA``); None: applied in preparation.
    checks: Handler | None
    #: Each unit's status (rows of ``SECTION_CHECK_SCHEMA``), for section rules.
    units: Handler | None = None
    #: Whether the CVs of the indicators the rule names must be computed.
    uses_cv: bool = False


HANDLERS: dict[str, KindHandler] = {}


def register_kind(handler: KindHandler) -> None:
    """Register how a rule kind is scored (its record must be registered in
    :data:`eduscore.model.rules.RECORDS` too)."""
    if handler.kind not in RECORDS:
        raise FrameworkError(
            f"rule kind {handler.kind!r} has no record: register it with eduscore.model.rules.register_record"
        )
    HANDLERS[handler.kind] = handler


for _handler in (
    KindHandler("section_threshold", sections.section_checks, units=sections.section_threshold_units),
    KindHandler("count_met_with_floor", sections.section_checks, units=sections.count_met_units),
    KindHandler("dispersion_limit", cv_rules.dispersion_checks, uses_cv=True),
    KindHandler("composite_dispersion", cv_rules.composite_checks, uses_cv=True),
    KindHandler("county_threshold", county.county_checks),
    KindHandler("attestation", county.county_checks),
    KindHandler("veto", county.county_checks),
    KindHandler("prerequisite", county.county_checks),
    KindHandler("scope_exclusion", None),  # applied in preparation (eduscore.inputs.prepare)
    KindHandler("relaxation", None),  # applied by the unit checks (Engine.relaxations)
):
    register_kind(_handler)


def handler_of(rule: Rule) -> KindHandler:
    try:
        return HANDLERS[rule.kind]
    except KeyError:
        raise FrameworkError(
            f"rule {rule.id}: no handler scores rule kind {rule.kind!r} "
            "(register one with eduscore.engine.kinds.register_kind)"
        ) from None


def score(engine: Engine, units: pa.Table, counties: pa.Table) -> Scored:
    """Score every rule of ``engine.fw`` over all counties at once."""
    fw = engine.fw
    if "level" not in units.column_names:
        units = units.append_column("level", pa.nulls(units.num_rows, pa.string()))
    # Identity of each unit, encoded once and shared by every per-unit check table.
    engine.ids = {name: encoded(units.column(name)) for name in ("_county", "unit_id", "level")}
    stage = Stage(units, counties)
    # Indicators are computed independently (in threads for many units), in their order.
    computed = parallel_map(lambda ind: engine.indicator_checks(units, ind), fw.indicators, units.num_rows)
    for ind, checks in zip(fw.indicators, computed, strict=True):
        stage.by_indicator[ind.id] = checks
    rules = [r for r in fw.rules if r.enabled]
    handlers = {r.id: handler_of(r) for r in rules}
    # Per-unit statuses, kind by kind in the registry's order (section thresholds first).
    for kind, handler in HANDLERS.items():
        if handler.units is None:
            continue
        for rule in rules:
            if rule.kind == kind:
                stage.unit_rules[rule.id] = handler.units(engine, stage, rule)
    unit_parts = [compact(t) for t in (*stage.by_indicator.values(), *stage.unit_rules.values())]
    stage.dispersion = engine.dispersion_table(
        units, stage.by_indicator, [r for r in rules if handlers[r.id].uses_cv]
    )
    check_parts = []
    for rule in rules:
        checks = handlers[rule.id].checks
        if checks is not None:
            check_parts.append(checks(engine, stage, rule))
    wide = units.select([name for name in units.column_names if name in UNIT_IDENTITY])
    # The raw figures the indicators were computed from (a few columns): the workbook's
    # per-school sheet recomputes the indicators, the six-of-seven and the CVs from them.
    ids = {ind.id for ind in fw.indicators}
    inputs = tuple(
        name
        for name in indicator_inputs(fw, [r.id for r in engine.relaxations])
        if name in units.column_names and name not in wide.column_names and name not in ids
    )
    for name in inputs:
        wide = wide.append_column(name, units.column(name))
    for ind in fw.indicators:
        wide = wide.append_column(ind.id, stage.by_indicator[ind.id].column("value"))
    return Scored(
        units=wide,
        inputs=inputs,
        dispersion=stage.dispersion,
        checks=concat_checks(check_parts, CHECK_SCHEMA),
        unit_rules=stage.unit_rules,
        unit_parts=unit_parts,
    )
