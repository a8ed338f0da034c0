"""The scoring engine's shared parts: per-unit checks, thresholds, check rows.

The rules are scored by kind (:mod:`eduscore.engine.kinds`: section rules in
:mod:`.sections`, county rules in :mod:`.county`, dispersion rules in :mod:`.cv_rules`).

Every function here works on whole tables — all counties, levels and sections at
once — with projections, group-bys and joins. The loops are over the *rules* of a
framework (a few dozen), never over schools or counties.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eduscore.engine.dispersion import dispersion_by_indicator, weighted_dispersion
from eduscore.errors import FrameworkError
from eduscore.inputs.prepare import constant
from eduscore.model import contract
from eduscore.model.formula import (
    Columns,
    Compiled,
    compile_formula,
    evaluate_expressions,
)
from eduscore.model.framework import Framework, Indicator, Rule, Text, Threshold
from eduscore.model.messages import KEY, coded, coded_array, unit_key
from eduscore.model.needs import DERIVED_COLUMNS, raw_label, raw_names
from eduscore.model.records import RuleKind
from eduscore.model.rules import RECORDS

# eduscore's own rule kinds: scored by the engine, recorded without a providing plugin.
_BUILTIN_KINDS = frozenset(RECORDS)

STATUSES = ("pass", "fail", "not_assessed", "not_computable")
# Null scalars made without converting a Python value: pyarrow imports pandas (when
# installed) at its first conversion, which importing eduscore should not pay.
NULL_F = pa.nulls(1, pa.float64())[0]
NULL_S = pa.nulls(1, pa.string())[0]

# The long per-unit table has ~16 rows per school section: its repeated texts are
# dictionary-encoded (a few bytes per row instead of a string each).
# Texts of a few values (levels, kinds, comparators, statuses) take one byte a row, check
# ids two (a plugin may add many checks), counties and units four.
_DICT = pa.dictionary(pa.int32(), pa.string())
_FEW = pa.dictionary(pa.int8(), pa.string())
_SOME = pa.dictionary(pa.int16(), pa.string())
SECTION_CHECK_SCHEMA = pa.schema(
    [
        ("_county", _DICT),
        ("unit_id", _DICT),
        ("level", _FEW),
        ("check_id", _SOME),
        ("kind", _FEW),
        ("value", pa.float64()),
        ("threshold", pa.float64()),
        ("comparator", _FEW),
        ("met", pa.bool_()),
        ("ratio", pa.float64()),
        ("status", _FEW),
        ("reason", _DICT),
        ("relaxation", _FEW),
    ]
)


# A unit check table whose ``met`` and ``ratio`` are :func:`met_and_ratio` of its value,
# threshold and comparator says so: the result can then keep it without them and
# recompute them when the long table is read (:mod:`eduscore.engine.unit_table`).
STANDARD = b"eduscore.met_and_ratio"
STANDARD_SCHEMA = SECTION_CHECK_SCHEMA.with_metadata({STANDARD: b"1"})
COMPACT_SCHEMA = pa.schema([f for f in SECTION_CHECK_SCHEMA if f.name not in ("met", "ratio")]).with_metadata(
    {STANDARD: b"1"}
)


def met_and_ratio(
    value: pa.ChunkedArray | pa.Array, threshold: pa.ChunkedArray | pa.Array, comparator: str | None
) -> tuple[Any, Any]:
    """Whether each value meets its threshold, and its ratio to it, oriented so that 1
    means "exactly at it" and less is worse (None, None without a comparator)."""
    n = len(value)
    if comparator is None:
        return pa.nulls(n, pa.bool_()), pa.nulls(n, pa.float64())
    met = COMPARE[comparator](value, threshold)
    num, den = (value, threshold) if comparator in (">=", ">") else (threshold, value)
    ratio = pc.if_else(pc.equal(den, 0.0), NULL_F, pc.divide(num, den))
    ratio = pc.if_else(pc.and_(pc.equal(num, 0.0), pc.equal(den, 0.0)), 1.0, ratio)
    return met, ratio


def label_array(value: str | None, n: int, index: pa.DataType | None = None) -> pa.DictionaryArray:
    """``n`` copies of one text as a dictionary array (a byte a row by default); None gives nulls."""
    index = index or pa.int8()
    if value is None:
        return pa.DictionaryArray.from_arrays(pa.nulls(n, index), pa.array([], pa.string()))
    # calloc'd zeros (no fill pass), wrapped as a buffer (pa.array of numpy loads pandas).
    zeros = pa.Array.from_buffers(index, n, [None, pa.py_buffer(np.zeros(n, dtype=f"int{index.bit_width}"))])
    return pa.DictionaryArray.from_arrays(zeros, pa.array([value], pa.string()))


def encoded(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
    encoded = pc.dictionary_encode(column)
    return encoded if isinstance(encoded, pa.ChunkedArray) else pa.chunked_array([encoded])


# The county checks. A rule's descriptive texts (its names, source, confidence, rule set)
# repeat on every county's row: they are dictionary-encoded (two bytes a row), the columns
# one filters, sorts and groups by (ids, kinds, levels, statuses, reasons) are plain text.
_DESCRIBED = pa.dictionary(pa.int16(), pa.string())
DESCRIPTIVE = (
    "name_zh",
    "name_en",
    "confidence",
    "confidence_note",
    "document",
    "clause",
    "spec",
    "rule_set",
    "rule_set_version",
    "relaxed_by",
    "kind_plugin",
)
CHECK_SCHEMA = pa.schema(
    [
        ("_county", pa.string()),
        ("check_id", pa.string()),
        ("rule_id", pa.string()),
        ("kind", pa.string()),
        ("group", pa.string()),
        ("item", pa.string()),
        ("level", pa.string()),
        ("name_zh", _DESCRIBED),
        ("name_en", _DESCRIBED),
        ("status", pa.string()),
        ("value", pa.float64()),
        ("threshold", pa.float64()),
        ("comparator", pa.string()),
        ("reason", pa.string()),
        ("confidence", _DESCRIBED),
        ("confidence_note", _DESCRIBED),
        ("document", _DESCRIBED),
        ("clause", _DESCRIBED),
        ("spec", _DESCRIBED),
        ("rule_set", _DESCRIBED),
        ("rule_set_version", _DESCRIBED),
        # Declared relaxations behind this check (its rule's or its indicators'): a rule set
        # may loosen a national rule only by saying so, and the result says it too.
        ("relaxed_by", _DESCRIBED),
        # Who provides the rule kind that made this check: "plugin version" for a kind of
        # a plugin (hook eduscore_rule_kinds), null for eduscore's own kinds.
        ("kind_plugin", _DESCRIBED),
    ]
)


# Values within this relative distance of a threshold count as *at* it. Decimal
# thresholds have no exact binary form: 9 PE teachers for 1,000 students computes as
# 9 / 1000 * 100 = 0.8999999999999999, which must meet "≥ 0.9" [I].
THRESHOLD_TOLERANCE = 1e-9


def _slack(threshold: Any) -> Any:
    return pc.multiply(pc.abs(threshold), THRESHOLD_TOLERANCE)


COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    ">=": lambda v, t: pc.greater_equal(v, pc.subtract(t, _slack(t))),
    ">": lambda v, t: pc.greater(v, pc.add(t, _slack(t))),
    "<=": lambda v, t: pc.less_equal(v, pc.add(t, _slack(t))),
    "<": lambda v, t: pc.less(v, pc.subtract(t, _slack(t))),
    "==": lambda v, t: pc.less_equal(pc.abs(pc.subtract(v, t)), _slack(t)),
}


def _compare(value: pc.Expression, comparator: str, threshold: pc.Expression) -> pc.Expression:
    return COMPARE[comparator](value, threshold)


def threshold_expression(
    th: Threshold | None, cols: Columns, *, rows: Columns | None = None, prefix: str = "__thagg"
) -> tuple[pc.Expression, Compiled | None]:
    """An expression giving each row its threshold (level / school type aware)."""
    if th is None:
        return pc.scalar(NULL_F), None
    if th.formula:
        compiled = compile_formula(th.formula, cols, rows=rows, expect="number", aggregate_prefix=prefix)
        return compiled.expression, compiled
    expr: pc.Expression = pc.scalar(NULL_F if th.value is None else pa.scalar(th.value, pa.float64()))
    for level, v in th.by_level.items():
        expr = pc.if_else(pc.equal(pc.field("level"), pc.scalar(level)), pc.scalar(float(v)), expr)
    for school_type, v in th.by_school_type.items():
        expr = pc.if_else(
            pc.equal(pc.field("school_type"), pc.scalar(school_type)), pc.scalar(float(v)), expr
        )
    return expr, None


def _labels(kinds: Mapping[str, str], fw: Framework | None = None) -> dict[str, str]:
    labels: dict[str, str] = {}
    for table in ("sections", "counties", "kindergartens"):
        for col in contract.TABLES[table]:
            labels.setdefault(col.name, col.zh)
    for declared in fw.inputs if fw is not None else ():  # a rule set's own columns
        labels.setdefault(declared.name, declared.zh)
    # A derived column is asked for by the raw columns a user fills in (小学班级数 …).
    for derived in DERIVED_COLUMNS:
        labels[derived] = raw_label(derived)
    return {k: labels.get(k, k) for k in kinds}


def missing_reason(
    compiled: Iterable[Compiled], labels: Mapping[str, str], units: str = "units"
) -> pc.Expression:
    """A coded reason (:mod:`eduscore.model.messages`) explaining why a formula's value is
    missing: a missing input or a zero divisor. ``units``: the table of units aggregated."""
    noun = unit_key(units) if units != "units" else f"{KEY}units.units"
    candidates: list[pc.Expression] = []
    for c in compiled:
        for name in sorted(c.columns):
            if name.startswith("__"):
                continue
            candidates.append(
                pc.if_else(
                    pc.is_null(pc.field(name)),
                    pc.scalar(coded("missing_input", raw_names(name), labels.get(name, name))),
                    pc.scalar(NULL_S),
                )
            )
        for agg in c.aggregates:
            used = ", ".join(sorted(c.row_columns)) or "rows"
            candidates.append(
                pc.if_else(
                    pc.is_null(pc.field(agg.column)),
                    pc.scalar(coded("no_unit_data", noun, used)),
                    pc.scalar(NULL_S),
                )
            )
        for div in c.divisions:
            candidates.append(
                pc.if_else(
                    pc.equal(div.denominator, pc.scalar(0.0)),
                    pc.scalar(coded("division_by_zero", div.text)),
                    pc.scalar(NULL_S),
                )
            )
    if not candidates:
        return pc.scalar(coded("not_computable"))
    return pc.coalesce(*candidates, pc.scalar(coded("not_computable")))


@attrs.define
class Stage:
    """What the rule kinds' handlers (:mod:`eduscore.engine.kinds`) read: the prepared units
    and counties, each indicator's per-unit table, the per-unit statuses of the section
    rules (filled first) and the dispersion table (computed before the county checks)."""

    units: pa.Table
    counties: pa.Table
    by_indicator: dict[str, pa.Table] = attrs.field(factory=dict)
    unit_rules: dict[str, pa.Table] = attrs.field(factory=dict)
    dispersion: pa.Table | None = None
    #: Rules whose plugin kind failed, and the coded reason saying so.
    failed: dict[str, str] = attrs.field(factory=dict)


# What a unit keeps after scoring besides its indicator values: its identity, scope and
# provenance (the result's ``sections`` table), and the raw figures its indicators read
# (``Scored.inputs``). The other raw inputs are read by the rules only.
UNIT_IDENTITY = (
    "_county",
    "county_name",
    "school_id",
    "school_name",
    "school_type",
    "level",
    "section_id",
    "kindergarten_id",
    "kindergarten_name",
    "category",
    "ownership",
    "location",
    "education_group",
    "unit_id",
    "_row",
    "students",
    "children",
    "split_share",
    "estimated_columns",
    "in_scope",
    "excluded_by",
    "exclusion_reason_zh",
    "exclusion_reason_en",
)


@attrs.define
class Scored:
    units: pa.Table  # one row per unit: identity, the indicators' raw inputs, indicator values
    dispersion: pa.Table
    checks: pa.Table  # long: county × check
    unit_rules: dict[str, pa.Table] = attrs.field(factory=dict)  # unit rule id → its rows of unit_checks
    # unit × check, check by check, as eduscore.engine.unit_table keeps them
    unit_parts: list[pa.Table] = attrs.field(factory=list)
    #: The raw input columns of ``units`` the indicators' formulas read (as the engine used
    #: them: after splitting schools into sections and the framework's options).
    inputs: tuple[str, ...] = ()
    #: Findings of the scoring itself (a plugin's rule kind that failed), FINDING_SCHEMA.
    findings: pa.Table | None = None

    def consume(self) -> None:
        """Let go of the long tables once the result has taken what it keeps of them."""
        self.checks = self.checks.schema.empty_table()
        self.unit_rules = {}
        self.unit_parts = []


class Engine:
    """What every rule kind's handler shares when scoring one framework over prepared
    tables: columns, labels, relaxations, and the building of check rows. The rules
    themselves are scored by their kinds' handlers: :func:`eduscore.engine.kinds.score`."""

    def __init__(
        self, fw: Framework, relaxations: Sequence[str] = (), kinds: Mapping[str, RuleKind] | None = None
    ) -> None:
        self.fw = fw
        self._kinds = kinds
        #: Findings of the scoring (FINDING_SCHEMA tables): plugin kinds that failed.
        self.findings: list[pa.Table] = []
        self.ids: dict[str, pa.ChunkedArray] = {}
        self.unit_kinds = fw.column_kinds(fw.unit)
        self.unit_cols = Columns(self.unit_kinds)
        self.county_cols = Columns(fw.column_kinds("counties") | {"year": "number"})
        self.labels = _labels(self.unit_kinds | fw.column_kinds("counties"), fw)
        enabled = set(relaxations)
        self.relaxations = [r for r in fw.rules_of("relaxation") if r.enabled or r.id in enabled]

    @property
    def kinds(self) -> Mapping[str, RuleKind]:
        """The rule kinds of the registry (eduscore's own and the plugins'), by id."""
        if self._kinds is None:
            from eduscore.plugins.registry import get_registry

            self._kinds = get_registry().rule_kinds()
        return self._kinds

    def kind_of(self, rule: Rule) -> RuleKind:
        """The record of ``rule``'s kind (a plugin's kind: it must be registered)."""
        try:
            return self.kinds[rule.kind]
        except KeyError:
            raise FrameworkError(
                f"rule {rule.id}: rule kind {rule.kind!r} is provided by no installed plugin",
                zh=f"规则 {rule.id}:没有已安装的插件提供规则类型 {rule.kind!r}",
            ) from None

    def kind_plugin(self, rule: Rule) -> str | None:
        """``"plugin version"`` of the plugin whose kind scores ``rule`` (None: eduscore's own)."""
        kind = self.kinds.get(rule.kind) if rule.kind not in _BUILTIN_KINDS else None
        return None if kind is None or kind.builtin else kind.provider

    # ----------------------------------------------------------------- unit level

    def _relaxed(
        self, target: str, value: pc.Expression, threshold: pc.Expression, compiled: list[Compiled]
    ) -> tuple[pc.Expression, pc.Expression, pc.Expression]:
        applied: pc.Expression = pc.scalar(NULL_S)
        for rule in self.relaxations:
            for tgt in rule.targets:
                if tgt.target != target or rule.when is None:
                    continue
                when_c = compile_formula(rule.when, self.unit_cols, expect="bool")
                when = pc.coalesce(when_c.expression, pc.scalar(False))
                if tgt.formula:
                    c = compile_formula(tgt.formula, self.unit_cols, expect="number")
                    compiled.append(c)
                    value = pc.if_else(when, c.expression, value)
                if tgt.threshold is not None:
                    t_expr, _ = threshold_expression(tgt.threshold, self.unit_cols)
                    threshold = pc.if_else(when, t_expr, threshold)
                applied = pc.if_else(when, pc.scalar(rule.id), applied)
        return value, threshold, applied

    def unit_check(
        self,
        units: pa.Table,
        check_id: str,
        kind: str,
        formula: str,
        comparator: str | None,
        threshold: Threshold | None,
        applies_when: str | None = None,
    ) -> pa.Table:
        compiled = [compile_formula(formula, self.unit_cols, expect="number")]
        value = compiled[0].expression
        th_expr, th_compiled = threshold_expression(threshold, self.unit_cols)
        if th_compiled is not None:
            compiled.append(th_compiled)
        value, th_expr, relaxed = self._relaxed(check_id, value, th_expr, compiled)
        exprs = {
            "value": value,
            "threshold": th_expr,
            "relaxation": relaxed,
            "reason": missing_reason(compiled, self.labels),
        }
        if applies_when is not None:
            exprs["applies"] = compile_formula(applies_when, self.unit_cols, expect="bool").expression
        got = evaluate_expressions(units, exprs)
        v, th = got.column("value"), got.column("threshold")
        n = units.num_rows
        met = COMPARE[comparator](v, th) if comparator is not None else pa.nulls(n, pa.bool_())
        status = pc.if_else(pc.is_null(v), "not_assessed", pc.if_else(met, "pass", "fail"))
        if comparator is None or threshold is None:
            # A value with nothing to compare it with is information, not a check.
            status = pc.if_else(pc.is_null(v), "not_assessed", pa.scalar("info"))
        elif th_compiled is None:
            # A plain threshold with no value for this level or school type: information.
            status = pc.if_else(pc.and_(pc.is_valid(v), pc.is_null(th)), pa.scalar("info"), status)
        else:
            # A threshold formula whose inputs are missing: the check cannot be assessed.
            status = pc.fill_null(status, "not_assessed")
        reason = pc.if_else(pc.is_null(v), got.column("reason"), NULL_S)
        if th_compiled is not None:
            reason = pc.if_else(pc.and_(pc.is_valid(v), pc.is_null(th)), got.column("reason"), reason)
        if "applies" in got.column_names:
            applies = got.column("applies")
            status = pc.if_else(
                pc.is_null(applies), "not_assessed", pc.if_else(applies, status, "not_applicable")
            )
            reason = pc.if_else(
                pc.is_null(applies),
                pa.scalar(coded("applies_unknown", applies_when)),
                pc.if_else(applies, reason, NULL_S),
            )
        status = pc.if_else(units.column("in_scope"), status, "excluded")
        # Without met and ratio: they are computed when read (eduscore.engine.unit_table).
        return pa.table(
            {
                "_county": self.ids["_county"],
                "unit_id": self.ids["unit_id"],
                "level": self.ids["level"],
                "check_id": label_array(check_id, n, pa.int16()),
                "kind": label_array(kind, n),
                "value": v,
                "threshold": th,
                "comparator": label_array(comparator, n),
                "status": encoded(status),
                "reason": reason,
                "relaxation": got.column("relaxation"),
            },
            schema=COMPACT_SCHEMA,
        )

    def with_aggregates(
        self, counties: pa.Table, units: pa.Table, compiled: Sequence[Compiled], over: str
    ) -> pa.Table:
        aggregates = [a for c in compiled for a in c.aggregates]
        if not aggregates:
            return counties
        source = units.filter(units.column("in_scope")) if "in_scope" in units.column_names else units
        projected = evaluate_expressions(
            source, {"_county": pc.field("_county"), **{a.column: a.argument for a in aggregates}}
        )
        opts = pc.ScalarAggregateOptions(skip_nulls=False)
        distinct = pc.CountOptions(mode="only_valid")
        agg = projected.group_by("_county", use_threads=False).aggregate(
            [(a.column, a.function, distinct if a.function == "count_distinct" else opts) for a in aggregates]
        )
        names = {f"{a.column}_{a.function}": a.column for a in aggregates}
        agg = agg.rename_columns([names.get(c, c) for c in agg.column_names])
        joined = counties.join(agg, "_county", use_threads=False)
        # Counties with no unit rows: a sum over nothing is 0 rows, i.e. not provided.
        return joined.sort_by("_county")

    def check_rows(
        self,
        county: pa.ChunkedArray | pa.Array,
        rule: Rule,
        check_id: str,
        level: str | None,
        status: pa.ChunkedArray | pa.Array,
        value: pa.ChunkedArray | pa.Array,
        threshold: float | pa.ChunkedArray | pa.Array | None,
        comparator: str | None,
        reason: pa.ChunkedArray | pa.Array,
        *,
        name: Text | None = None,
    ) -> pa.Table:
        n = len(county)

        def const(x: object) -> pa.Array:
            return constant(x, n, pa.string())

        def described(x: str | None) -> pa.Array:
            return label_array(x, n, pa.int16())

        name = name or rule.name
        if isinstance(threshold, pa.ChunkedArray | pa.Array):
            th = pc.cast(threshold, pa.float64())
        else:
            th = constant(threshold, n, pa.float64())
        return pa.table(
            {
                "_county": county,
                "check_id": const(check_id),
                "rule_id": const(rule.id),
                "kind": const(rule.kind),
                "group": const(rule.group),
                "item": const(rule.item),
                "level": const(level),
                "name_zh": described(name.zh),
                "name_en": described(name.en),
                "status": status,
                "value": pc.cast(value, pa.float64()),
                "threshold": th,
                "comparator": const(comparator),
                "reason": reason,
                "confidence": described(rule.confidence),
                "confidence_note": described(rule.confidence_note),
                "document": described(rule.source.document),
                "clause": described(rule.source.clause),
                "spec": described(rule.source.spec),
                "rule_set": described(rule.rule_set),
                "rule_set_version": described(rule.rule_set_version),
                "relaxed_by": described(self.relaxed_by(rule)),
                "kind_plugin": described(self.kind_plugin(rule)),
            },
            schema=CHECK_SCHEMA,
        )

    def relaxed_by(self, rule: Rule) -> str | None:
        """'rule set: target change; …' for the declared relaxations of ``rule`` and of the
        indicators it reads, or None."""
        items: list[Rule | Indicator] = [rule]
        if rule.kind not in ("dispersion_limit", "composite_dispersion"):  # a CV reads no threshold
            known = {i.id: i for i in self.fw.indicators}
            items += [known[i] for i in rule.indicators if i in known]
        said = [
            f"{r.get('rule_set', '?')}: {r.get('target', '?')} {r.get('change', '')}".strip()
            for item in items
            for r in item.origin.get("relaxations", ())
        ]
        return "; ".join(dict.fromkeys(said)) or None

    # ----------------------------------------------------------------- run

    def indicator_checks(self, units: pa.Table, ind: Indicator) -> pa.Table:
        return self.unit_check(units, ind.id, "indicator", ind.formula, ind.comparator, ind.threshold)

    def dispersion_table(
        self, units: pa.Table, by_indicator: Mapping[str, pa.Table], rules: Iterable[Rule]
    ) -> pa.Table:
        """The weighted CVs of every indicator the dispersion ``rules`` name, per county and level."""
        wanted: list[str] = []
        for rule in rules:
            wanted += [i for i in rule.indicators if i not in wanted]
        if not wanted or self.fw.weight not in units.column_names:
            return weighted_dispersion(pa.table({}))
        return dispersion_by_indicator(
            self.ids["_county"],
            self.ids["level"],
            units.column(self.fw.weight),
            {ind_id: by_indicator[ind_id].column("value") for ind_id in wanted},
            scope=units.column("in_scope"),
        )


def counted(n: pa.ChunkedArray, words: str) -> pa.ChunkedArray:
    """'3 school sections fail' from a count column and the words after it."""
    return pc.binary_join_element_wise(pc.cast(n, pa.string()), pa.scalar(words), " ")


def unit_word(table: str) -> str:
    return "kindergartens" if table == "kindergartens" else "school sections"


def cv_status(joined: pa.Table, cv: pa.ChunkedArray, limit: float) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    n_sections = joined.column("n_sections")
    n_missing = joined.column("n_missing")
    no_data = pc.is_null(n_sections)
    incomplete = pc.fill_null(pc.greater(n_missing, 0), False)
    status = pc.if_else(
        no_data,
        "not_assessed",
        pc.if_else(
            incomplete,
            "not_assessed",
            pc.if_else(
                pc.is_null(cv),
                "not_computable",
                pc.if_else(COMPARE["<="](cv, pa.scalar(limit)), "pass", "fail"),
            ),
        ),
    )
    reason = pc.if_else(
        no_data,
        pa.scalar(coded("no_sections_at_level")),
        pc.if_else(
            incomplete,
            coded_array("sections_lack_indicator", n_missing),
            pc.if_else(pc.is_null(cv), pa.scalar(coded("cv_undefined")), NULL_S),
        ),
    )
    return status, reason


def concat_checks(parts: list[pa.Table], schema: pa.Schema) -> pa.Table:
    """The parts (a rule kind's own table may carry plain text where the schema has a
    dictionary) as one table of ``schema``."""
    parts = [p if p.schema.equals(schema) else p.cast(schema) for p in parts if p.num_rows]
    if not parts:
        return schema.empty_table()
    return pa.concat_tables(parts)
