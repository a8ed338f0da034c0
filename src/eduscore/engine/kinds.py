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

from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from eduscore._parallel import parallel_map
from eduscore._version import __version__
from eduscore.engine import county, cv_rules, plugin_kinds, sections
from eduscore.engine.score import (
    CHECK_SCHEMA,
    COMPARE,
    NULL_S,
    UNIT_IDENTITY,
    Engine,
    Scored,
    Stage,
    concat_checks,
    encoded,
    missing_reason,
)
from eduscore.engine.unit_table import compact
from eduscore.errors import FrameworkError
from eduscore.inputs import validate
from eduscore.model.formula import Columns, Kind, compile_formula, evaluate_expressions
from eduscore.model.framework import Rule
from eduscore.model.messages import SEP
from eduscore.model.needs import indicator_inputs
from eduscore.model.records import KIND_OUTPUT_SCHEMA, RuleKind
from eduscore.model.rules import RECORDS, Text

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


#: How every rule of a plugin's kind (hook ``eduscore_rule_kinds``) is scored: its handler
#: called once over the whole table, its output checked (:mod:`eduscore.engine.plugin_kinds`).
PLUGIN_SECTION = KindHandler(
    "(plugin section kind)", plugin_kinds.plugin_checks, units=plugin_kinds.plugin_units
)
PLUGIN_COUNTY = KindHandler("(plugin county kind)", plugin_kinds.plugin_checks)


def handler_of(rule: Rule, engine: Engine | None = None) -> KindHandler:
    """How ``rule`` is scored: its built-in kind's handler, or the adapter of a plugin's kind."""
    if rule.kind in HANDLERS:
        return HANDLERS[rule.kind]
    if engine is not None and rule.kind not in RECORDS:
        kind = engine.kind_of(rule)  # raises naming the kind when no plugin provides it
        if not kind.builtin:
            return PLUGIN_SECTION if kind.level == "section" else PLUGIN_COUNTY
    raise FrameworkError(
        f"rule {rule.id}: no handler scores rule kind {rule.kind!r} "
        "(register one with eduscore.engine.kinds.register_kind)"
    )


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
    handlers = {r.id: handler_of(r, engine) for r in rules}
    # Per-unit statuses, kind by kind in the registry's order (section thresholds first),
    # then the section rules of plugins' kinds in the framework's order.
    for kind, handler in HANDLERS.items():
        if handler.units is None:
            continue
        for rule in rules:
            if rule.kind == kind:
                stage.unit_rules[rule.id] = handler.units(engine, stage, rule)
    for rule in rules:
        if handlers[rule.id] is PLUGIN_SECTION:
            stage.unit_rules[rule.id] = PLUGIN_SECTION.units(engine, stage, rule)  # type: ignore[misc]
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
        findings=validate.concat(engine.findings) if engine.findings else None,
    )


# ----------------------------------------------------------------- table adapters
#
# The built-in kinds are scored by the handlers above, over the engine's own tables. For
# the test kit (eduscore.testing.RuleKindConformance) two of them also have an adapter to
# the table API of plugins' kinds: the same compiled formula and comparison, over the
# table a plugin's handler receives.

_COMPARISON_PARAMS = {
    "type": "object",
    "required": ["value", "comparator", "threshold"],
    "additionalProperties": False,
    "properties": {
        "value": {"type": "string", "description": "a formula over the kind's inputs"},
        "comparator": {"enum": [">=", ">", "<=", "<", "=="]},
        "threshold": {"type": "number"},
    },
}
_FORMULA_KINDS: dict[str, Kind] = {"float": "number", "int": "number", "bool": "bool", "string": "text"}


def _threshold_table(table: pa.Table, params: Mapping[str, Any], inputs: Mapping[str, str]) -> pa.Table:
    cols = Columns({name: _FORMULA_KINDS[t] for name, t in inputs.items()} | {"students": "number"})
    compiled = compile_formula(str(params["value"]), cols, expect="number")
    got = evaluate_expressions(
        table,
        {
            "value": compiled.expression,
            "reason": missing_reason([compiled], {name: name for name in [*inputs, "students"]}),
        },
    )
    value = got.column("value")
    threshold = float(params["threshold"])
    met = COMPARE[str(params["comparator"])](value, pa.scalar(threshold))
    status = pc.if_else(pc.is_null(met), "not_assessed", pc.if_else(met, "pass", "fail"))
    reason = pc.if_else(pc.is_null(met), got.column("reason"), NULL_S)
    # The engine's coded reasons, as a plugin gives them: the code and its arguments.
    parts = pc.split_pattern(pc.fill_null(reason, SEP + "-"), SEP)
    code = pc.if_else(pc.is_null(reason), NULL_S, pc.list_element(parts, 1))
    args = pc.if_else(pc.is_null(reason), pa.scalar(None, pa.list_(pa.string())), pc.list_slice(parts, 2))
    return pa.table(
        {
            "key": table.column("key"),
            "status": status,
            "value": value,
            "threshold": pa.repeat(pa.scalar(threshold), table.num_rows),
            "reason": code,
            "reason_args": args,
        },
        schema=KIND_OUTPUT_SCHEMA,
    )


def table_kind(kind_id: str, inputs: Mapping[str, str]) -> RuleKind:
    """The built-in kind ``kind_id`` (``section_threshold`` or ``county_threshold``) as a
    kind of the plugins' table API, over the columns ``inputs`` (name → type): its
    ``params`` are the rule's ``value`` formula, ``comparator`` and a numeric
    ``threshold``. For the test kit: the engine itself scores these kinds its own way."""
    level = {"section_threshold": "section", "county_threshold": "county"}.get(kind_id)
    if level is None:
        raise FrameworkError(
            f"rule kind {kind_id!r} has no table adapter (section_threshold, county_threshold)"
        )
    return RuleKind(
        id=kind_id,
        level=level,
        reads="units" if level == "section" else "counties",
        params_schema=_COMPARISON_PARAMS,
        inputs=dict(inputs),
        handler=lambda table, params: _threshold_table(table, params, inputs),
        description=Text(zh=f"{kind_id} 的表格适配器", en=f"the table adapter of {kind_id}"),
        builtin=True,
        plugin="eduscore.builtin",
        version=__version__,
    )
