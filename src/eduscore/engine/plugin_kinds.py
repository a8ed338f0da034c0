"""Rule kinds of plugins (``eduscore_rule_kinds``): the host side.

A plugin's kind is a Python function over a whole Arrow table
(:class:`~eduscore.model.records.RuleKind`). The host builds its input table once per rule
(:func:`kind_input`), calls it once (:func:`run_kind`), checks what it returned
(:func:`checked_output`: the schema, one row per key, keys it was given, statuses of the
enum, reason codes it declared) and turns the rows into the engine's own tables: per-unit
rows of ``SECTION_CHECK_SCHEMA`` (section level: the county checks then come from
:func:`eduscore.engine.sections.section_checks` like every section rule's) or county checks
(county level). A handler that raises or returns a malformed table is refused: every
unit and county of its rule is ``not_assessed`` with a reason naming the plugin, its
version, the kind and the rule, a finding says so, and one line goes to stderr; the other
rules and plugins are scored as usual.

Nothing here loops over rows or counties: joins by key (``index_in``) and ``take``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from eduscore.engine.score import (
    NULL_S,
    Engine,
    Stage,
)
from eduscore.engine.sections import section_checks, unit_rows
from eduscore.inputs import validate
from eduscore.model.framework import Rule
from eduscore.model.messages import CATALOG, SEP, coded
from eduscore.model.records import INPUT_TYPES, KIND_OUTPUT_SCHEMA, KIND_STATUSES, RuleKind

#: The columns the host gives every handler besides the kind's declared inputs.
UNIT_COLUMNS = ("key", "county", "unit", "level", "students")
COUNTY_COLUMNS = ("key", "county")
_HOST_TYPES = {
    "key": pa.string(),
    "county": pa.string(),
    "unit": pa.string(),
    "level": pa.string(),
    "students": pa.float64(),
}


class KindFailure(Exception):
    """A rule kind's handler raised, or returned a table the host refuses (``what``: why)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def _as(column: pa.ChunkedArray | pa.Array, type_: pa.DataType) -> pa.ChunkedArray | pa.Array:
    if column.type == type_:
        return column
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    try:
        return pc.cast(column, type_)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pc.cast(column, type_, safe=False)


def kind_input(kind: RuleKind, table: pa.Table) -> pa.Table:
    """The table ``kind``'s handler receives: the host's columns (``key``, ``county`` and,
    reading units, ``unit``, ``level``, ``students``) and the declared inputs, each of its
    declared type — a column ``table`` lacks is a column of nulls, never a crash."""
    n = table.num_rows
    host = UNIT_COLUMNS if kind.reads == "units" else COUNTY_COLUMNS
    columns: dict[str, Any] = {}
    for name in host:
        type_ = _HOST_TYPES[name]
        columns[name] = _as(table.column(name), type_) if name in table.column_names else pa.nulls(n, type_)
    for name, declared in kind.inputs.items():
        type_ = INPUT_TYPES[declared]
        columns[name] = _as(table.column(name), type_) if name in table.column_names else pa.nulls(n, type_)
    return pa.table(columns)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def checked_output(kind: RuleKind, out: object, keys: pa.Array | pa.ChunkedArray) -> pa.Table:
    """What a handler returned, checked and cast to :data:`KIND_OUTPUT_SCHEMA`; raises
    :class:`KindFailure` saying what is wrong. ``keys``: the keys it may answer for (the
    units' keys of a section-level kind, the counties of a county-level one)."""
    if not isinstance(out, pa.Table):
        raise KindFailure(f"it returned {type(out).__name__}, not a pyarrow Table")
    return _checked(kind, out, keys)


def _checked(kind: RuleKind, out: pa.Table, keys: pa.Array | pa.ChunkedArray) -> pa.Table:
    missing = [f.name for f in KIND_OUTPUT_SCHEMA if f.name not in out.column_names]
    if missing:
        raise KindFailure(f"its table lacks the column(s) {', '.join(missing)}")
    try:
        out = out.select(KIND_OUTPUT_SCHEMA.names).cast(KIND_OUTPUT_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise KindFailure(f"its table does not have the output schema: {_short(str(exc))}") from None
    key = out.column("key")
    if key.null_count:
        raise KindFailure(f"{key.null_count} row(s) have no key")
    if pc.count_distinct(key).as_py() != out.num_rows:
        raise KindFailure("a key appears on more than one row (one row per key)")
    given = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    unknown = pc.invert(pc.is_in(key, value_set=given))
    if pc.any(unknown).as_py():
        first = pc.filter(key, unknown)[0].as_py()
        raise KindFailure(f"it returned key {first!r}, which it was not given")
    allowed = (
        KIND_STATUSES if kind.level == "county" else tuple(s for s in KIND_STATUSES if s != "basic_pass")
    )
    status = out.column("status")
    bad = pc.invert(pc.fill_null(pc.is_in(status, value_set=pa.array(allowed, pa.string())), False))
    if pc.any(bad).as_py():
        shown = pc.filter(status, bad)[0].as_py()
        raise KindFailure(f"status {shown!r} is not one of {', '.join(allowed)}")
    reason = out.column("reason")
    own = [kind.message_code(c) for c in kind.messages]
    codes = pc.if_else(
        pc.is_in(reason, value_set=pa.array(list(kind.messages), pa.string())),
        pc.binary_join_element_wise(pa.scalar(f"kind.{kind.id}."), reason, ""),
        reason,
    )
    known = pa.array(sorted(set(CATALOG) | set(own)), pa.string())
    unknown_reason = pc.and_(pc.is_valid(codes), pc.invert(pc.is_in(codes, value_set=known)))
    if pc.any(unknown_reason).as_py():
        shown = pc.filter(reason, unknown_reason)[0].as_py()
        raise KindFailure(f"reason code {shown!r} is neither one of its messages nor eduscore's")
    return out


def run_kind(kind: RuleKind, table: pa.Table, params: Mapping[str, Any]) -> pa.Table:
    """Call ``kind``'s handler once over ``table`` (the host's input, :func:`kind_input`)
    and return its checked output; raises :class:`KindFailure` when it raises or returns
    a malformed table."""
    if kind.handler is None:
        raise KindFailure(f"rule kind {kind.id!r} has no table handler (the engine scores it)")
    given = kind_input(kind, table)
    try:
        out = kind.handler(given, params)
    except Exception as exc:  # a plugin's failure must not stop the evaluation
        raise KindFailure(f"it raised {_short(repr(exc))}") from exc
    # A section-level kind answers for the units it was given, a county-level one for the
    # counties (reading units: the counties those units are in).
    keys = given.column("key") if kind.level == "section" else pc.unique(given.column("county"))
    return checked_output(kind, out, keys)


def coded_reasons(kind: RuleKind, out: pa.Table) -> pa.ChunkedArray | pa.Array:
    """The output's reasons as coded reasons of the catalog (its own codes namespaced)."""
    reason = out.column("reason")
    code = pc.if_else(
        pc.is_in(reason, value_set=pa.array(list(kind.messages), pa.string())),
        pc.binary_join_element_wise(pa.scalar(f"kind.{kind.id}."), reason, ""),
        reason,
    )
    args = out.column("reason_args")
    if isinstance(args, pa.ChunkedArray):
        args = args.combine_chunks()
    # An argument holding the separator would shift the others: it becomes a space.
    clean = pa.ListArray.from_arrays(
        args.offsets, pc.replace_substring(args.values, SEP, " "), mask=args.is_null()
    )
    joined = pc.binary_join(clean, SEP)
    empty = pc.fill_null(pc.equal(pc.list_value_length(args), 0), True)
    head = pc.binary_join_element_wise(pa.scalar(SEP), code, "")
    with_args = pc.binary_join_element_wise(head, joined, SEP)
    return pc.if_else(empty, head, with_args)


# ----------------------------------------------------------------- the engine's side


def _failed(engine: Engine, rule: Rule, kind: RuleKind, what: str) -> str:
    """Record a failed kind: a finding, one line on stderr; returns the coded reason."""
    plugin, version = kind.plugin, kind.version
    reason = coded("plugin_kind_failed", plugin, version, kind.id, rule.id, what)
    en = f"plugin {plugin!r} ({version}): rule kind {kind.id!r} failed on rule {rule.id!r}: {what}"
    zh = f"插件 {plugin!r}({version})的规则类型 {kind.id!r} 在规则 {rule.id!r} 上出错:{what}"
    engine.findings.append(
        validate.findings(
            validate.Where("plugins", "(installed plugins)"),
            pa.array([0], pa.int64()),
            f"(rule {rule.id})",
            pa.array([plugin], pa.string()),
            pa.array([True]),
            "plugin_kind_failed",
            zh,
            en,
        )
    )
    print(f"eduscore: {en}", file=sys.stderr)
    return reason


def _units_table(stage: Stage) -> tuple[pa.Table, pa.ChunkedArray | pa.Array]:
    """Every unit's key (county × year / unit id), and the in-scope units as the host gives them."""
    units = stage.units
    key = pc.binary_join_element_wise(
        pc.cast(units.column("_county"), pa.string()), pc.cast(units.column("unit_id"), pa.string()), "/"
    )
    table = units.append_column("key", key)
    table = table.append_column("county", pc.cast(units.column("_county"), pa.string()))
    table = table.append_column("unit", pc.cast(units.column("unit_id"), pa.string()))
    keep = pc.and_(pc.fill_null(units.column("in_scope"), False), pc.is_valid(key))
    return table.filter(keep), key


def _scored(engine: Engine, stage: Stage, rule: Rule, kind: RuleKind, table: pa.Table) -> pa.Table | None:
    """The kind's checked output over ``table``, or None (recorded as failed)."""
    try:
        return run_kind(kind, table, rule.extra.get("params", {}))
    except KindFailure as exc:
        stage.failed[rule.id] = _failed(engine, rule, kind, exc.what)
        return None


def _joined(
    kind: RuleKind, out: pa.Table | None, keys: pa.ChunkedArray | pa.Array, failed: str | None
) -> tuple[Any, Any, Any, Any]:
    """Status, value, threshold and coded reason for each of ``keys`` from the output rows."""
    n = len(keys)
    if out is None:
        return (
            pa.repeat(pa.scalar("not_assessed"), n),
            pa.nulls(n, pa.float64()),
            pa.nulls(n, pa.float64()),
            pa.repeat(pa.scalar(failed, pa.string()), n),
        )
    idx = pc.index_in(keys, value_set=out.column("key").combine_chunks())
    status = pc.fill_null(pc.take(out.column("status"), idx), "not_assessed")
    no_row = pa.scalar(coded("plugin_kind_no_row", kind.id, kind.plugin))
    reason = pc.if_else(pc.is_null(idx), no_row, pc.take(coded_reasons(kind, out), idx))
    return status, pc.take(out.column("value"), idx), pc.take(out.column("threshold"), idx), reason


def _comparator(rule: Rule) -> str | None:
    comparator = rule.extra.get("params", {}).get("comparator")
    return comparator if comparator in (">=", ">", "<=", "<", "==") else None


def plugin_units(engine: Engine, stage: Stage, rule: Rule) -> pa.Table:
    """Each unit's status under a section-level rule of a plugin's kind."""
    kind = engine.kind_of(rule)
    table, key = _units_table(stage)
    out = _scored(engine, stage, rule, kind, table)
    status, value, threshold, reason = _joined(kind, out, key, stage.failed.get(rule.id))
    in_scope = pc.fill_null(stage.units.column("in_scope"), False)
    status = pc.if_else(in_scope, status, "excluded")
    reason = pc.if_else(in_scope, reason, NULL_S)
    return unit_rows(engine, rule, value, threshold, _comparator(rule), status, reason)


def plugin_checks(engine: Engine, stage: Stage, rule: Rule) -> pa.Table:
    """The county checks of a rule of a plugin's kind."""
    kind = engine.kind_of(rule)
    counties = stage.counties.column("_county")
    if kind.level == "section":
        failed = stage.failed.get(rule.id)
        if failed is None:
            return section_checks(engine, stage, rule)
        status, value, threshold, reason = _joined(kind, None, counties, failed)
    else:
        if kind.reads == "units":
            table, _ = _units_table(stage)
        else:
            table = stage.counties.append_column("key", pc.cast(counties, pa.string()))
            table = table.append_column("county", pc.cast(counties, pa.string()))
        out = _scored(engine, stage, rule, kind, table)
        status, value, threshold, reason = _joined(kind, out, counties, stage.failed.get(rule.id))
    return engine.check_rows(
        counties,
        rule,
        rule.id,
        None,
        status,
        value,
        threshold,
        _comparator(rule),
        reason,
    )
