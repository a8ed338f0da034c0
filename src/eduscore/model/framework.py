"""Frameworks as data: typed records, loading and validation of framework documents.

A framework document (JSON, validated by ``schemas/framework.schema.json``) carries
every indicator and rule of one evaluation framework with its thresholds, its
confidence tag and its source. The records here are frozen attrs values; the engine
(:mod:`eduscore.engine.score`) interprets them by rule *kind*, never by framework id.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import attrs
import jsonschema

from eduscore.errors import FormulaError, FrameworkError
from eduscore.model import contract
from eduscore.model.formula import Columns, Kind, compile_formula
from eduscore.model.rules import RECORDS, RelaxationTarget, Source, Text, Threshold, record_of

__all__ = ["RelaxationTarget", "Source", "Text", "Threshold"]  # re-exported: defined in rules

Confidence = Literal["C", "S", "I"]
#: A rule kind: one of :data:`eduscore.model.rules.RECORDS` (the ten of the schema, and
#: any registered with :func:`eduscore.model.rules.register_record`).
RuleKind = str
CONFIDENCE_LABELS = {
    "C": "confirmed in a primary source",
    "S": "secondary source",
    "I": "implementation choice",
}


@attrs.frozen
class Indicator:
    id: str
    name: Text
    unit: Text
    formula: str
    confidence: Confidence
    source: Source
    comparator: str | None = None
    threshold: Threshold | None = None
    confidence_note: str = ""
    round_up: str | None = None
    description: Text | None = None
    rule_set: str = "national"
    rule_set_version: str = ""
    note: Text | None = None
    origin: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def relaxed(self) -> bool:
        """Whether a rule set declared that it relaxed this indicator (``origin["relaxed"]``)."""
        return bool(self.origin.get("relaxed"))


@attrs.frozen
class Rule:
    """One rule of a framework: what every rule has (id, kind, group, name, source,
    confidence, provenance) and the kind's own fields. Which fields matter depends on
    ``kind``; :attr:`spec` gives them as the kind's typed record
    (:mod:`eduscore.model.rules`), which is what the engine reads. The flat fields stay
    for readers of any rule (reports, explain); fields of a kind registered later live
    in ``extra``."""

    id: str
    kind: RuleKind
    group: str
    name: Text
    confidence: Confidence
    source: Source
    confidence_note: str = ""
    item: str = ""
    over: str | None = None
    value: str | None = None
    comparator: str | None = None
    threshold: Threshold | None = None
    applies_when: str | None = None
    indicators: tuple[str, ...] = ()
    min_met: int | None = None
    floor_ratio: float | None = None
    limit: Mapping[str, float] = attrs.field(factory=dict)
    column: str | None = None
    when: str | None = None
    reason: Text | None = None
    enabled: bool = True
    targets: tuple[RelaxationTarget, ...] = ()
    note: Text | None = None
    basic_threshold: Threshold | None = None
    rule_set: str = "national"
    rule_set_version: str = ""
    origin: Mapping[str, Any] = attrs.field(factory=dict)
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def relaxed(self) -> bool:
        """Whether a rule set declared that it relaxed this rule (``origin["relaxed"]``)."""
        return bool(self.origin.get("relaxed"))

    @property
    def spec(self) -> Any:
        """The kind's typed record (:mod:`eduscore.model.rules`), built from this rule's
        fields each time, so a rule changed with ``attrs.evolve`` keeps its changes."""
        return record_of(self.kind).from_doc(_rule_json(self, ""))


@attrs.frozen
class Split:
    weights: Mapping[str, float]
    shared: tuple[str, ...]
    confidence: Confidence
    source: Source
    confidence_note: str = ""


@attrs.frozen
class Option:
    id: str
    name: Text
    default: bool
    confidence: Confidence
    source: Source
    confidence_note: str = ""


@attrs.frozen
class InputColumn:
    """An input column a framework or rule set declares beyond the data contract."""

    table: str
    name: str
    type: contract.ColumnType
    zh: str
    note: str = ""
    #: The values an ``enum`` column may take; any other value is a finding naming its cell.
    enum: tuple[str, ...] = attrs.field(default=(), converter=tuple)

    def column(self) -> contract.Column:
        return contract.Column(self.name, self.type, self.zh, enum=self.enum, note=self.note)


@attrs.frozen(eq=False)
class Framework:
    """A whole framework document, validated and typed (compared and hashed by identity)."""

    id: str
    version: str
    name: Text
    document: Mapping[str, Any]
    unit: str
    levels: tuple[str, ...]
    weight: str
    indicators: tuple[Indicator, ...]
    rules: tuple[Rule, ...]
    groups: Mapping[str, Text] = attrs.field(factory=dict)
    inputs: tuple[InputColumn, ...] = ()
    options: tuple[Option, ...] = ()
    split: Split | None = None
    description: Text | None = None
    verdict: Mapping[str, Any] = attrs.field(factory=lambda: {"kind": "all_pass"})
    verdict_modifiers: tuple[Mapping[str, Any], ...] = ()
    rule_sets: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def rules_of(self, *kinds: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind in kinds)

    def column_kinds(self, table: str) -> dict[str, Kind]:
        """Columns a formula over ``table`` may use: the contract's plus declared inputs."""
        kinds: dict[str, Kind] = {c.name: c.kind for c in contract.TABLES[table]}
        for col in self.inputs:
            if col.table == table or (table == "sections" and col.table == "schools"):
                kinds[col.name] = col.column().kind
        return kinds

    @property
    def document_label(self) -> str:
        return f"{self.document['number']} {self.document['title']}"


# --------------------------------------------------------------------------- loading


def _schema_dir() -> Path:
    """``schemas/`` ships inside the wheel as ``eduscore/schemas``; in a checkout it is top level."""
    packaged = Path(str(resources.files("eduscore"))) / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "schemas"


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """Load one of the JSON Schemas of ``schemas/`` (e.g. ``"framework"``, ``"result"``)."""
    path = _schema_dir() / f"{name}.schema.json"
    try:
        schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:  # pragma: no cover - broken installation
        raise FrameworkError(f"schema file {path} is missing from this installation") from exc
    return schema


@functools.cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for one of eduscore's schemas, able to follow references between them."""
    from referencing import Registry, Resource

    resources_ = [
        (load_schema(n)["$id"], Resource.from_contents(load_schema(n)))
        for n in ("framework", "ruleset", "result")
    ]
    return jsonschema.Draft202012Validator(load_schema(name), registry=Registry().with_resources(resources_))


# Framework documents and rule sets are a few hundred kilobytes at most and a handful of
# levels deep. A broken or hostile one must fail with a message, not exhaust memory or
# Python's recursion limit (json and jsonschema both recurse per level).
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
MAX_DOCUMENT_DEPTH = 64
# Schema messages quote the offending value; a value can be megabytes long.
_MESSAGE_CHARS = 300


def _short(text: str, limit: int = _MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


def document_depth_problem(document: Any, what: str) -> None:
    """Raise :class:`FrameworkError` when ``document`` nests deeper than
    :data:`MAX_DOCUMENT_DEPTH` (checked without recursion, before anything recursive runs)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Mapping):
            children: Any = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        if depth > MAX_DOCUMENT_DEPTH:
            raise FrameworkError(
                f"{what} nests deeper than {MAX_DOCUMENT_DEPTH} levels of objects and lists; "
                "a framework document or rule set is a few levels deep, so this one is broken",
                zh=f"{what} 的对象和列表嵌套超过 {MAX_DOCUMENT_DEPTH} 层;框架文件或规则集只有几层,"
                "此文件已损坏",
            )
        stack.extend((child, depth + 1) for child in children)


def too_large_error(size: int, what: str) -> FrameworkError:
    return FrameworkError(
        f"{what} is {size:,} bytes, larger than the limit of {MAX_DOCUMENT_BYTES:,} bytes "
        "for a framework document or rule set",
        zh=f"{what} 大小为 {size:,} 字节,超过框架文件或规则集的上限 {MAX_DOCUMENT_BYTES:,} 字节",
    )


def parse_document(text: str | bytes, what: str) -> Any:
    """Parse a framework document or rule set (JSON) within the size and depth limits.

    Raises :class:`FrameworkError` naming ``what`` and the limit; never ``RecursionError``.
    """
    if len(text) > MAX_DOCUMENT_BYTES:
        raise too_large_error(len(text), what)
    try:
        document = json.loads(text)
    except RecursionError as exc:
        raise FrameworkError(
            f"{what} nests too deeply to be read (more than {MAX_DOCUMENT_DEPTH} levels are refused)",
            zh=f"{what} 嵌套过深,无法读取(超过 {MAX_DOCUMENT_DEPTH} 层即拒绝)",
        ) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FrameworkError(
            f"{what} is not valid UTF-8 JSON: {_short(str(exc))}",
            zh=f"{what} 不是有效的 UTF-8 JSON:{_short(str(exc))}",
        ) from exc
    document_depth_problem(document, what)
    return document


def schema_problems(name: str, document: Any, what: str) -> None:
    """Raise :class:`FrameworkError` listing where ``document`` breaks ``<name>.schema.json``."""
    document_depth_problem(document, what)
    errors = sorted(validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [
            f"  at {'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {_short(e.message)}"
            for e in errors[:10]
        ]
        more = f"\n  … and {len(errors) - 10} more" if len(errors) > 10 else ""
        body = "\n".join(lines) + more
        raise FrameworkError(
            f"{what} does not match {name}.schema.json:\n{body}",
            zh=f"{what} 不符合 {name}.schema.json:\n{body}",
        )


def _text(raw: Mapping[str, str] | None) -> Text | None:
    return None if raw is None else Text(zh=raw["zh"], en=raw["en"])


def _source(raw: Mapping[str, str]) -> Source:
    return Source(raw["document"], raw.get("clause", ""), raw.get("spec", ""))


def _common(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": raw["id"],
        "name": _text(raw["name"]),
        "confidence": raw["confidence"],
        "confidence_note": raw.get("confidence_note", ""),
        "source": _source(raw["source"]),
    }


def _origin(raw: Mapping[str, Any], fw_version: str) -> dict[str, Any]:
    origin = raw.get("origin")
    if origin is None:
        return {"rule_set": "national", "rule_set_version": fw_version}
    return {"rule_set": origin["rule_set"], "rule_set_version": origin["version"], "origin": dict(origin)}


def framework_from_dict(
    raw: Mapping[str, Any],
    origin: str = "<document>",
    *,
    steps: Sequence[str] | None = None,
    kinds: Mapping[str, Any] | None = None,
) -> Framework:
    """Validate a framework document (already parsed JSON) and build the typed record.

    Raises :class:`FrameworkError` naming ``origin`` and the offending place. ``steps``
    are the known preparation step ids (default: the registry's); the registry passes
    them while it vets its own plugins. ``kinds``: the rule kinds plugins provide
    (:class:`~eduscore.model.records.RuleKind` by id); a rule of a kind eduscore does not
    score itself must be one of them, its ``params`` valid by the kind's schema.
    :func:`framework_to_dict` is the inverse.
    """
    schema_problems("framework", raw, f"framework document {origin}")
    indicators = tuple(
        Indicator(
            **_common(i),
            **_origin(i, raw["version"]),
            unit=Text(**i["unit"]),
            formula=i["formula"],
            comparator=i.get("comparator"),
            threshold=Threshold.parse(i.get("threshold")),
            round_up=i.get("round_up"),
            description=_text(i.get("description")),
            note=_text(i.get("note")),
        )
        for i in raw["indicators"]
    )
    rules = tuple(
        Rule(
            **_common(r),
            **_origin(r, raw["version"]),
            basic_threshold=Threshold.parse(r.get("basic_threshold")),
            kind=r["kind"],
            group=r["group"],
            item=r.get("item", ""),
            over=r.get("over"),
            value=r.get("value"),
            comparator=r.get("comparator"),
            threshold=Threshold.parse(r.get("threshold")),
            applies_when=r.get("applies_when"),
            indicators=tuple(r.get("indicators", ())),
            min_met=r.get("min_met"),
            floor_ratio=r.get("floor_ratio"),
            limit=dict(r.get("limit", {})),
            column=r.get("column"),
            when=r.get("when"),
            reason=_text(r.get("reason")),
            enabled=r.get("enabled", r["kind"] != "relaxation"),
            targets=tuple(
                RelaxationTarget(t["target"], t.get("formula"), Threshold.parse(t.get("threshold")))
                for t in r.get("targets", ())
            ),
            note=_text(r.get("note")),
            extra={k: copy.deepcopy(v) for k, v in r.items() if k not in _RULE_FIELDS},
        )
        for r in raw["rules"]
    )
    split = raw.get("split")
    fw = Framework(
        id=raw["id"],
        version=raw["version"],
        name=Text(**raw["name"]),
        description=_text(raw.get("description")),
        document=dict(raw["document"]),
        unit=raw["unit"],
        levels=tuple(raw.get("levels", ())),
        weight=raw.get("weight", "students"),
        indicators=indicators,
        rules=rules,
        groups={k: Text(**v) for k, v in raw.get("groups", {}).items()},
        inputs=tuple(InputColumn(**c) for c in raw.get("inputs", ())),
        options=tuple(Option(**_common(o), default=o["default"]) for o in raw.get("options", ())),
        split=None
        if split is None
        else Split(
            weights=dict(split["weights"]),
            shared=tuple(split["shared"]),
            confidence=split["confidence"],
            confidence_note=split.get("confidence_note", ""),
            source=_source(split["source"]),
        ),
        verdict=dict(raw.get("verdict", {"kind": "all_pass"})),
        verdict_modifiers=tuple(raw.get("verdict_modifiers", ())),
        rule_sets=tuple(raw.get("rule_sets", ())),
        raw=dict(raw),
    )
    check_framework(fw, origin, steps=steps, kinds=kinds)
    return fw


def _text_json(text: Text) -> dict[str, str]:
    return {"zh": text.zh, "en": text.en}


def _source_json(source: Source) -> dict[str, str]:
    out = {"document": source.document}
    if source.clause:
        out["clause"] = source.clause
    if source.spec:
        out["spec"] = source.spec
    return out


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    """Write ``key`` unless ``value`` is the default a document leaves out (None, '', empty)."""
    if value is None or value == "" or (isinstance(value, tuple | list | dict) and not value):
        return
    if isinstance(value, Text):
        value = _text_json(value)
    elif isinstance(value, Threshold):
        value = value.to_json()
    out[key] = value


def _common_json(item: Indicator | Rule | Option) -> dict[str, Any]:
    return {"id": item.id, "name": _text_json(item.name)}


def _provenance_json(out: dict[str, Any], item: Indicator | Rule | Option, fw_version: str) -> None:
    out["confidence"] = item.confidence
    _put(out, "confidence_note", item.confidence_note)
    out["source"] = _source_json(item.source)
    if isinstance(item, Option):
        return
    if item.origin:
        out["origin"] = copy.deepcopy(dict(item.origin))
    elif (item.rule_set, item.rule_set_version) != ("national", fw_version):
        out["origin"] = {"rule_set": item.rule_set, "version": item.rule_set_version}


def _indicator_json(ind: Indicator, fw_version: str) -> dict[str, Any]:
    out = _common_json(ind)
    out["unit"] = _text_json(ind.unit)
    _put(out, "description", ind.description)
    out["formula"] = ind.formula
    _put(out, "comparator", ind.comparator)
    _put(out, "threshold", ind.threshold)
    _put(out, "round_up", ind.round_up)
    _put(out, "note", ind.note)
    _provenance_json(out, ind, fw_version)
    return out


# The fields of a rule document that Rule holds by name; any other is kept in Rule.extra.
_RULE_FIELDS = frozenset(
    [
        "id",
        "kind",
        "group",
        "name",
        "confidence",
        "confidence_note",
        "source",
        "item",
        "over",
        "value",
        "comparator",
        "threshold",
        "basic_threshold",
        "applies_when",
        "indicators",
        "min_met",
        "floor_ratio",
        "limit",
        "column",
        "when",
        "reason",
        "enabled",
        "targets",
        "note",
        "rule_set",
        "rule_set_version",
        "origin",
    ]
)


def _rule_json(rule: Rule, fw_version: str) -> dict[str, Any]:
    out = _common_json(rule)
    out.update(copy.deepcopy(dict(rule.extra)))
    out["kind"] = rule.kind
    out["group"] = rule.group
    _put(out, "item", rule.item)
    _put(out, "note", rule.note)
    _put(out, "over", rule.over)
    _put(out, "value", rule.value)
    _put(out, "comparator", rule.comparator)
    _put(out, "threshold", rule.threshold)
    _put(out, "basic_threshold", rule.basic_threshold)
    _put(out, "applies_when", rule.applies_when)
    _put(out, "indicators", list(rule.indicators))
    _put(out, "min_met", rule.min_met)
    _put(out, "floor_ratio", rule.floor_ratio)
    if rule.limit or rule.kind in ("dispersion_limit", "composite_dispersion"):
        out["limit"] = dict(rule.limit)
    _put(out, "column", rule.column)
    _put(out, "when", rule.when)
    _put(out, "reason", rule.reason)
    if rule.enabled != (rule.kind != "relaxation"):
        out["enabled"] = rule.enabled
    if rule.targets:
        out["targets"] = []
        for tgt in rule.targets:
            target: dict[str, Any] = {"target": tgt.target}
            _put(target, "formula", tgt.formula)
            _put(target, "threshold", tgt.threshold)
            out["targets"].append(target)
    _provenance_json(out, rule, fw_version)
    return out


def framework_to_dict(fw: Framework) -> dict[str, Any]:
    """The framework document (parsed JSON) of ``fw``: the inverse of :func:`framework_from_dict`.

    Built from the record's fields, not from ``fw.raw``, so that a framework changed with
    ``attrs.evolve`` keeps its changes when rule sets are applied to it.

    >>> from eduscore import load_framework
    >>> fw = load_framework("preschool-2020")
    >>> again = framework_from_dict(framework_to_dict(fw))
    >>> again.rule("gross_enrollment_3yr") == fw.rule("gross_enrollment_3yr")
    True
    """
    out: dict[str, Any] = {
        "schema_version": 1,
        "id": fw.id,
        "version": fw.version,
        "name": _text_json(fw.name),
    }
    _put(out, "description", fw.description)
    out["document"] = copy.deepcopy(dict(fw.document))
    out["unit"] = fw.unit
    _put(out, "levels", list(fw.levels))
    out["weight"] = fw.weight
    if fw.split is not None:
        split: dict[str, Any] = {"weights": dict(fw.split.weights), "shared": list(fw.split.shared)}
        split["confidence"] = fw.split.confidence
        _put(split, "confidence_note", fw.split.confidence_note)
        split["source"] = _source_json(fw.split.source)
        out["split"] = split
    _put(out, "groups", {k: _text_json(v) for k, v in fw.groups.items()})
    inputs = []
    for col in fw.inputs:
        column = {"table": col.table, "name": col.name, "type": col.type, "zh": col.zh}
        _put(column, "note", col.note)
        _put(column, "enum", list(col.enum))
        inputs.append(column)
    _put(out, "inputs", inputs)
    options = []
    for opt in fw.options:
        option = _common_json(opt)
        option["default"] = opt.default
        _provenance_json(option, opt, fw.version)
        options.append(option)
    _put(out, "options", options)
    out["indicators"] = [_indicator_json(i, fw.version) for i in fw.indicators]
    out["rules"] = [_rule_json(r, fw.version) for r in fw.rules]
    out["verdict"] = copy.deepcopy(dict(fw.verdict))
    _put(out, "verdict_modifiers", [copy.deepcopy(dict(m)) for m in fw.verdict_modifiers])
    _put(out, "rule_sets", [copy.deepcopy(dict(o)) for o in fw.rule_sets])
    return out


def _plugin_kind_problem(rule: Rule, where: str, kinds: Mapping[str, Any] | None) -> str | None:
    """Why a rule of a kind eduscore does not score itself cannot be used (None: it can)."""
    kind = (kinds or {}).get(rule.kind)
    if kind is None:
        known = sorted(set(RECORDS) | set(kinds or {}))
        return (
            f"{where}: unknown rule kind {rule.kind!r}: no installed plugin provides it"
            f"{did_you_mean(rule.kind, known)}"
        )
    params = rule.extra.get("params", {})
    errors = sorted(
        jsonschema.Draft202012Validator(dict(kind.params_schema)).iter_errors(params),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        e = errors[0]
        at = "/".join(str(p) for p in e.absolute_path) or "(top)"
        return (
            f"{where}: params do not match the schema of rule kind {rule.kind!r} "
            f"(plugin {kind.plugin!r} {kind.version}) at {at}: {_short(e.message)}"
        )
    return None


def did_you_mean(name: str, known: list[str]) -> str:
    hint = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


def check_framework(
    fw: Framework,
    origin: str = "<document>",
    *,
    steps: Sequence[str] | None = None,
    kinds: Mapping[str, Any] | None = None,
) -> None:
    """Cross-checks the schema cannot express: unique ids, references, formulas, the rule
    kinds of plugins (``kinds``: those the registry knows; without them, a rule of a
    kind eduscore does not score itself is refused)."""
    problems: list[str] = []
    ids = [i.id for i in fw.indicators] + [r.id for r in fw.rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        problems.append(f"duplicate ids: {', '.join(dupes)}")
    indicator_ids = [i.id for i in fw.indicators]
    section_threshold_ids = [r.id for r in fw.rules if r.kind == "section_threshold"]
    unit_cols = Columns(fw.column_kinds(fw.unit))
    county_cols = Columns(fw.column_kinds("counties"))

    def formula(
        text: str | None, where: str, cols: Columns, expect: Kind, *, rows: Columns | None = None
    ) -> None:
        if text is None:
            return
        try:
            compile_formula(text, cols, rows=rows, expect=expect)
        except FormulaError as exc:
            problems.append(f"{where}: {exc}")

    def threshold(th: Threshold | None, where: str, cols: Columns) -> None:
        if th is None:
            return
        formula(th.formula, f"{where} threshold", cols, "number")
        for t in th.by_school_type:
            if t not in contract.SCHOOL_TYPES:
                problems.append(
                    f"{where}: unknown school type {t!r}{did_you_mean(t, list(contract.SCHOOL_TYPES))}"
                )

    for ind in fw.indicators:
        formula(ind.formula, f"indicator {ind.id}", unit_cols, "number")
        threshold(ind.threshold, f"indicator {ind.id}", unit_cols)
    for rule in fw.rules:
        where = f"rule {rule.id} ({rule.kind})"
        over = Columns(fw.column_kinds(rule.over or fw.unit))
        if rule.kind not in RECORDS:
            problem = _plugin_kind_problem(rule, where, kinds)
            if problem:
                problems.append(problem)
            continue
        for ref in rule.indicators:
            if ref not in indicator_ids:
                problems.append(f"{where}: unknown indicator {ref!r}{did_you_mean(ref, indicator_ids)}")
        # Every formula the kind's record holds, compiled where it is evaluated.
        for use in rule.spec.formulas():
            label = where if use.label in ("value", "when") else f"{where} {use.label}"
            if use.where == "unit":
                formula(use.text, label, over, use.expect)
            else:
                formula(use.text, label, county_cols, use.expect, rows=over)
        if rule.kind == "section_threshold":
            threshold(rule.threshold, where, over)
        if rule.column is not None and county_cols(rule.column) != "bool":
            kind = county_cols(rule.column)
            problems.append(
                f"{where}: column {rule.column!r} must be a yes/no county column"
                + (f", it is {kind}" if kind else did_you_mean(rule.column, list(county_cols.candidates)))
            )
        if rule.kind in ("dispersion_limit", "composite_dispersion"):
            for level in rule.limit:
                if level not in fw.levels:
                    problems.append(f"{where}: limit for level {level!r} not in framework levels")
        for tgt in rule.targets:
            if tgt.target in indicator_ids:
                formula(tgt.formula, f"{where} target {tgt.target}", unit_cols, "number")
            elif tgt.target in section_threshold_ids:
                if tgt.formula is not None:
                    formula(tgt.formula, f"{where} target {tgt.target}", unit_cols, "number")
            else:
                known = indicator_ids + section_threshold_ids
                problems.append(
                    f"{where}: relaxation target {tgt.target!r} is neither an indicator "
                    f"nor a section rule{did_you_mean(tgt.target, known)}"
                )
            threshold(tgt.threshold, f"{where} target {tgt.target}", unit_cols)
    # The registered preparation steps (eduscore.plugins.catalog passes them); None when
    # a document is only parsed, outside any registry.
    known_steps = list(steps) if steps is not None else []
    for opt in fw.options if steps is not None else ():
        if opt.id not in known_steps:
            problems.append(f"option {opt.id!r}: no such preparation step{did_you_mean(opt.id, known_steps)}")
    if fw.split is not None:
        for col in fw.split.shared:
            if col not in contract.columns("schools"):
                problems.append(f"split: {col!r} is not a schools column")
    if problems:
        body = "\n  ".join(problems)
        raise FrameworkError(
            f"framework {fw.id!r} from {origin} has problems:\n  {body}",
            zh=f"框架 {fw.id!r}(来自 {origin})有问题:\n  {body}",
        )
