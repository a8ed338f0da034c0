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
import numpy as np
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


def _output(
    table: pa.Table, status: Any, value: Any, threshold: float, code: Any, args: Any = None
) -> pa.Table:
    n = table.num_rows
    return pa.table(
        {
            "key": table.column("key"),
            "status": status,
            "value": pc.cast(value, pa.float64()),
            "threshold": pa.repeat(pa.scalar(threshold), n),
            "reason": code,
            "reason_args": args if args is not None else pa.nulls(n, pa.list_(pa.string())),
        },
        schema=KIND_OUTPUT_SCHEMA,
    )


def _args(n: int, *values: Any) -> pa.Array:
    """Each row's list of reason arguments: ``values`` (each a string column or a str)."""
    columns = [pa.repeat(pa.scalar(v), n) if isinstance(v, str) else pc.cast(v, pa.string()) for v in values]
    k = len(columns)
    flat = pa.chunked_array(columns, pa.string()).combine_chunks()
    # Row i's values are at i, i + n, i + 2n …: interleaved, with numpy (no loop over rows).
    order = (np.arange(n)[:, None] + np.arange(k)[None, :] * n).ravel()
    offsets = pa.array(np.arange(0, n * k + 1, max(k, 1))[: n + 1], pa.int32())
    return pa.ListArray.from_arrays(offsets, flat.take(pa.array(order, pa.int64())))


def _attestation_table(table: pa.Table, params: Mapping[str, Any]) -> pa.Table:
    """A yes/no fact of the county: pass when true, fail when false, not assessed when missing."""
    name = str(params["column"])
    col = table.column(name)
    n = table.num_rows
    status = pc.if_else(pc.is_null(col), "not_assessed", pc.if_else(col, "pass", "fail"))
    code = pc.if_else(pc.is_null(col), "missing_input", pc.if_else(col, NULL_S, "not_attested"))
    args = pc.if_else(pc.is_valid(code), _args(n, name, name), pa.scalar(None, pa.list_(pa.string())))
    return _output(table, status, col, 1.0, code, args)


def _veto_table(table: pa.Table, params: Mapping[str, Any], inputs: Mapping[str, str]) -> pa.Table:
    """A county condition that, when true, fails the county (``when``: a formula)."""
    cols = Columns({name: _FORMULA_KINDS[t] for name, t in inputs.items()})
    compiled = compile_formula(str(params["when"]), cols, expect="bool")
    got = evaluate_expressions(
        table,
        {"hit": compiled.expression, "reason": missing_reason([compiled], {n: n for n in inputs})},
    )
    hit = got.column("hit")
    status = pc.if_else(pc.is_null(hit), "not_assessed", pc.if_else(hit, "fail", "pass"))
    out = _coded_output(table, status, hit, 0.0, pc.if_else(pc.is_null(hit), got.column("reason"), NULL_S))
    veto = pc.fill_null(hit, False)
    code = pc.if_else(veto, "veto_applies", out.column("reason"))
    args = pc.if_else(veto, _args(table.num_rows, str(params["when"])), out.column("reason_args"))
    return out.set_column(4, "reason", code).set_column(5, "reason_args", args)


def _coded_output(table: pa.Table, status: Any, value: Any, threshold: float, reason: Any) -> pa.Table:
    """The engine's coded reasons (code and arguments joined), split as a plugin gives them."""
    parts = pc.split_pattern(pc.fill_null(reason, SEP + "-"), SEP)
    code = pc.if_else(pc.is_null(reason), NULL_S, pc.list_element(parts, 1))
    args = pc.if_else(pc.is_null(reason), pa.scalar(None, pa.list_(pa.string())), pc.list_slice(parts, 2))
    return _output(table, status, value, threshold, code, args)


def _count_met_table(table: pa.Table, params: Mapping[str, Any]) -> pa.Table:
    """The six-of-seven rule: at least ``min_met`` of the ``thresholds`` (indicator →
    minimum) met, every missed one at ``floor_ratio`` of its threshold at least."""
    thresholds: Mapping[str, float] = params["thresholds"]
    floor, min_met = float(params["floor_ratio"]), int(params["min_met"])
    n = table.num_rows
    met_count = pa.repeat(pa.scalar(0, pa.int64()), n)
    miss_count, unknown = met_count, met_count
    below = pa.repeat(pa.scalar(False), n)
    for name, limit in thresholds.items():
        value = table.column(name)
        met = pc.greater_equal(value, float(limit))
        ratio = pc.divide(value, float(limit)) if float(limit) else pc.cast(met, pa.float64())
        met_count = pc.add(met_count, pc.cast(pc.fill_null(met, False), pa.int64()))
        miss_count = pc.add(miss_count, pc.cast(pc.fill_null(pc.invert(met), False), pa.int64()))
        unknown = pc.add(unknown, pc.cast(pc.is_null(met), pa.int64()))
        low = pc.and_(pc.fill_null(pc.invert(met), False), pc.fill_null(pc.less(ratio, floor), False))
        below = pc.or_(below, low)
    fail = pc.or_(below, pc.greater(miss_count, len(thresholds) - min_met))
    status = pc.if_else(fail, "fail", pc.if_else(pc.greater(unknown, 0), "not_assessed", "pass"))
    listed = str(len(thresholds))
    code = pc.if_else(
        fail,
        pc.if_else(below, "thresholds_met_floor", "thresholds_met"),
        pc.if_else(pc.greater(unknown, 0), "indicator_values_missing", NULL_S),
    )
    args = pc.if_else(
        fail,
        pc.if_else(below, _args(n, met_count, listed, f"{floor:.0%}"), _args(n, met_count, listed)),
        pa.scalar(None, pa.list_(pa.string())),
    )
    return _output(table, status, met_count, float(min_met), code, args)


_PREREQUISITE_PARAMS = {
    "oneOf": [
        {
            "type": "object",
            "required": ["column"],
            "additionalProperties": False,
            "properties": {"column": {"type": "string"}},
        },
        _COMPARISON_PARAMS,
    ]
}
_ADAPTERS: dict[str, tuple[str, Mapping[str, Any]]] = {
    "section_threshold": ("section", _COMPARISON_PARAMS),
    "county_threshold": ("county", _COMPARISON_PARAMS),
    "attestation": (
        "county",
        {
            "type": "object",
            "required": ["column"],
            "additionalProperties": False,
            "properties": {"column": {"type": "string", "description": "a yes/no input"}},
        },
    ),
    "prerequisite": ("county", _PREREQUISITE_PARAMS),
    "veto": (
        "county",
        {
            "type": "object",
            "required": ["when"],
            "additionalProperties": False,
            "properties": {"when": {"type": "string", "description": "a yes/no formula over the inputs"}},
        },
    ),
    "count_met_with_floor": (
        "section",
        {
            "type": "object",
            "required": ["thresholds", "min_met", "floor_ratio"],
            "additionalProperties": False,
            "properties": {
                "thresholds": {"type": "object", "additionalProperties": {"type": "number"}},
                "min_met": {"type": "integer", "minimum": 0},
                "floor_ratio": {"type": "number", "minimum": 0},
            },
        },
    ),
}


def _adapter(kind_id: str, inputs: Mapping[str, str]) -> Callable[[pa.Table, Mapping[str, Any]], pa.Table]:
    def run(table: pa.Table, params: Mapping[str, Any]) -> pa.Table:
        if kind_id in ("section_threshold", "county_threshold"):
            return _threshold_table(table, params, inputs)
        if kind_id == "attestation" or (kind_id == "prerequisite" and "column" in params):
            return _attestation_table(table, params)
        if kind_id == "prerequisite":
            return _threshold_table(table, params, inputs)
        if kind_id == "veto":
            return _veto_table(table, params, inputs)
        return _count_met_table(table, params)

    return run


def table_kind(kind_id: str, inputs: Mapping[str, str]) -> RuleKind:
    """The built-in kind ``kind_id`` as a kind of the plugins' table API, over the columns
    ``inputs`` (name → type). For the test kit: the engine itself scores these kinds its
    own way, over its own tables. The rule's fields become ``params``:

    - ``section_threshold``, ``county_threshold``: ``value`` (a formula over the inputs),
      ``comparator``, a numeric ``threshold``;
    - ``attestation``: ``column`` (a yes/no input); ``prerequisite``: ``column``, or
      ``value``/``comparator``/``threshold``;
    - ``veto``: ``when`` (a yes/no formula over the inputs);
    - ``count_met_with_floor``: ``thresholds`` (each input's minimum), ``min_met``,
      ``floor_ratio`` — over the units' indicator values as inputs.

    ``dispersion_limit`` and ``composite_dispersion`` (coefficients of variation over the
    units of a level, with the engine's CV machinery) and ``scope_exclusion``/``relaxation``
    (steps of preparation, not rules with a status) have none (docs/hooks.md)."""
    adapter = _ADAPTERS.get(kind_id)
    if adapter is None:
        raise FrameworkError(f"rule kind {kind_id!r} has no table adapter ({', '.join(_ADAPTERS)})")
    level, schema = adapter
    return RuleKind(
        id=kind_id,
        level=level,
        reads="units" if level == "section" else "counties",
        params_schema=schema,
        inputs=dict(inputs),
        handler=_adapter(kind_id, inputs),
        description=Text(zh=f"{kind_id} 的表格适配器", en=f"the table adapter of {kind_id}"),
        builtin=True,
        plugin="eduscore.builtin",
        version=__version__,
    )
