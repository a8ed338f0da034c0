"""Frameworks as data: typed records, loading and validation of framework documents.

A framework document (JSON, validated by ``schemas/framework.schema.json``) carries
every indicator and rule of one evaluation framework with its thresholds, its
confidence tag and its source. The records here are frozen attrs values; the engine
(:mod:`eduscore.score`) interprets them by rule *kind*, never by framework id.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import attrs
import jsonschema

from . import contract
from .errors import FormulaError, FrameworkError
from .formula import Columns, Kind, compile_formula

Confidence = Literal["C", "S", "I"]
RuleKind = Literal[
    "section_threshold",
    "count_met_with_floor",
    "dispersion_limit",
    "composite_dispersion",
    "county_threshold",
    "attestation",
    "veto",
    "prerequisite",
    "scope_exclusion",
    "relaxation",
]
CONFIDENCE_LABELS = {
    "C": "confirmed in a primary source",
    "S": "secondary source",
    "I": "implementation choice",
}


@attrs.frozen
class Text:
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@attrs.frozen
class Source:
    document: str
    clause: str = ""
    spec: str = ""

    def cite(self) -> str:
        parts = [self.document, self.clause]
        cited = " ".join(p for p in parts if p)
        return f"{cited} (spec {self.spec})" if self.spec else cited


@attrs.frozen
class Threshold:
    """A threshold: one value, per level, per school type (most specific wins), or a formula."""

    value: float | None = None
    by_level: Mapping[str, float] = attrs.field(factory=dict)
    by_school_type: Mapping[str, float] = attrs.field(factory=dict)
    formula: str | None = None

    @classmethod
    def parse(cls, raw: Any) -> Threshold | None:
        if raw is None:
            return None
        if isinstance(raw, int | float):
            return cls(value=float(raw))
        return cls(
            value=None if raw.get("value") is None else float(raw["value"]),
            by_level={k: float(v) for k, v in raw.get("by_level", {}).items()},
            by_school_type={k: float(v) for k, v in raw.get("by_school_type", {}).items()},
            formula=raw.get("formula"),
        )

    def for_level(self, level: str | None) -> float | None:
        """The plain value that applies to ``level`` (ignoring school types and formulas)."""
        if level is not None and level in self.by_level:
            return self.by_level[level]
        return self.value

    def describe(self) -> str:
        if self.formula:
            return self.formula
        parts = [] if self.value is None else [f"{self.value:g}"]
        parts += [f"{k}: {v:g}" for k, v in self.by_level.items()]
        parts += [f"{k}: {v:g}" for k, v in self.by_school_type.items()]
        return "; ".join(parts)

    def to_json(self) -> Any:
        if self.formula:
            return {"formula": self.formula}
        if not self.by_level and not self.by_school_type:
            return self.value
        out: dict[str, Any] = {}
        if self.value is not None:
            out["value"] = self.value
        if self.by_level:
            out["by_level"] = dict(self.by_level)
        if self.by_school_type:
            out["by_school_type"] = dict(self.by_school_type)
        return out


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


@attrs.frozen
class RelaxationTarget:
    target: str
    formula: str | None = None
    threshold: Threshold | None = None


@attrs.frozen
class Rule:
    """One rule of a framework. Which fields matter depends on ``kind``."""

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

    def column(self) -> contract.Column:
        return contract.Column(self.name, self.type, self.zh, note=self.note)


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
    return Path(__file__).resolve().parents[2] / "schemas"


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


def schema_problems(name: str, document: Any, what: str) -> None:
    """Raise :class:`FrameworkError` listing where ``document`` breaks ``<name>.schema.json``."""
    errors = sorted(validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [
            f"  at {'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}" for e in errors[:10]
        ]
        more = f"\n  … and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise FrameworkError(f"{what} does not match {name}.schema.json:\n" + "\n".join(lines) + more)


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
    return {"rule_set": origin["rule_set"], "rule_set_version": origin["version"]}


def framework_from_dict(raw: Mapping[str, Any], origin: str = "<document>") -> Framework:
    """Validate a framework document (already parsed JSON) and build the typed record.

    Raises :class:`FrameworkError` naming ``origin`` and the offending place.
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
    check_framework(fw, origin)
    return fw


def _near(name: str, known: list[str]) -> str:
    hint = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


def check_framework(fw: Framework, origin: str = "<document>") -> None:
    """Cross-checks the schema cannot express: unique ids, references, formulas."""
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
                problems.append(f"{where}: unknown school type {t!r}{_near(t, list(contract.SCHOOL_TYPES))}")

    for ind in fw.indicators:
        formula(ind.formula, f"indicator {ind.id}", unit_cols, "number")
        threshold(ind.threshold, f"indicator {ind.id}", unit_cols)
    for rule in fw.rules:
        where = f"rule {rule.id} ({rule.kind})"
        over = Columns(fw.column_kinds(rule.over or fw.unit))
        for ref in rule.indicators:
            if ref not in indicator_ids:
                problems.append(f"{where}: unknown indicator {ref!r}{_near(ref, indicator_ids)}")
        if rule.kind == "section_threshold":
            formula(rule.value, where, over, "number")
            formula(rule.applies_when, f"{where} applies_when", over, "bool")
            threshold(rule.threshold, where, over)
        elif rule.kind in ("county_threshold", "prerequisite"):
            formula(rule.value, where, county_cols, "number", rows=over)
            if rule.threshold is not None and rule.threshold.formula:
                formula(rule.threshold.formula, f"{where} threshold", county_cols, "number", rows=over)
        elif rule.kind == "veto":
            formula(rule.when, where, county_cols, "bool", rows=over)
        elif rule.kind in ("scope_exclusion", "relaxation"):
            formula(rule.when, where, unit_cols, "bool")
        if rule.column is not None and county_cols(rule.column) != "bool":
            kind = county_cols(rule.column)
            problems.append(
                f"{where}: column {rule.column!r} must be a yes/no county column"
                + (f", it is {kind}" if kind else _near(rule.column, list(county_cols.candidates)))
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
                    f"nor a section rule{_near(tgt.target, known)}"
                )
            threshold(tgt.threshold, f"{where} target {tgt.target}", unit_cols)
    steps = preparation_step_ids()
    for opt in fw.options:
        if opt.id not in steps:
            problems.append(f"option {opt.id!r}: no such preparation step{_near(opt.id, steps)}")
    if fw.split is not None:
        for col in fw.split.shared:
            if col not in contract.columns("schools"):
                problems.append(f"split: {col!r} is not a schools column")
    if problems:
        raise FrameworkError(f"framework {fw.id!r} from {origin} has problems:\n  " + "\n  ".join(problems))


def preparation_step_ids() -> list[str]:
    """Ids of the preparation steps the registered plugins provide (options refer to them)."""
    from .plugins import get_registry

    return sorted(get_registry().preparation_steps())


def builtin_ids() -> list[str]:
    """Ids of the frameworks the registered plugins provide (the built-in plugin: the national three)."""
    from .plugins import get_registry

    return sorted(get_registry().frameworks())


@functools.cache
def _registered(framework_id: str) -> Framework:
    from .plugins import get_registry

    doc = get_registry().frameworks()[framework_id]
    return framework_from_dict(doc.document, f"{framework_id} (plugin {doc.plugin})")


def clear_framework_cache() -> None:
    _registered.cache_clear()


def load_framework(framework: str | Path | Framework | Mapping[str, Any]) -> Framework:
    """A framework by built-in id, by path to a JSON document, or from a parsed document.

    >>> load_framework("quality-balance-2017").document["number"]
    '教督〔2017〕6号'
    """
    if isinstance(framework, Framework):
        return framework
    if isinstance(framework, Mapping):
        return framework_from_dict(framework)
    text = str(framework)
    if isinstance(framework, str) and text in builtin_ids():
        return _registered(text)
    path = Path(text)
    if path.suffix.lower() == ".json" and path.exists():
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FrameworkError(f"framework document {path} is not valid UTF-8 JSON: {exc}") from exc
        return framework_from_dict(raw, str(path))
    raise FrameworkError(
        f"unknown framework {text!r}{_near(text, builtin_ids())}; "
        f"built-in frameworks: {', '.join(builtin_ids())}, or give the path of a .json document"
    )
