"""Rule kinds as data: one small typed record per kind (a tagged union).

A framework document's rule says its ``kind``; the fields that matter depend on it. Each
kind has a record here holding exactly those fields (:class:`SectionThreshold`,
:class:`Veto`, …), built from the document by :func:`rule_spec`, and saying which formulas
it holds and over which table (:meth:`formulas`), so that validation
(:func:`eduscore.model.framework.check_framework`) and the tracing of raw inputs
(:mod:`eduscore.model.needs`) need no per-kind code. How a kind is *scored* is its handler
in :mod:`eduscore.engine.kinds`.

Adding a rule kind (docs/architecture.md): the kind in ``schemas/framework.schema.json``,
one record here registered in :data:`RECORDS` (or with :func:`register_record`), one
handler registered in :mod:`eduscore.engine.kinds`, one test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

import attrs

Expect = Literal["number", "bool"]
#: Where a formula is evaluated: over the scored units ("unit": school sections or
#: kindergartens), or per county ("counties", with aggregates over the units).
Where = Literal["unit", "counties"]


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
        """The threshold as a document writes it (the inverse of :meth:`parse`)."""
        if self.formula is not None:
            return {"formula": self.formula}
        if not self.by_level and not self.by_school_type:
            # An object with only empty maps parses to the same empty threshold.
            return self.value if self.value is not None else {"by_level": {}}
        out: dict[str, Any] = {}
        if self.value is not None:
            out["value"] = self.value
        if self.by_level:
            out["by_level"] = dict(self.by_level)
        if self.by_school_type:
            out["by_school_type"] = dict(self.by_school_type)
        return out


@attrs.frozen
class RelaxationTarget:
    target: str
    formula: str | None = None
    threshold: Threshold | None = None


@attrs.frozen
class FormulaUse:
    """A formula a rule holds: its text, where it is evaluated and what it must give."""

    label: str  # "value", "when", "applies_when", "threshold"
    text: str
    where: Where
    expect: Expect


def _threshold_uses(th: Threshold | None, label: str, where: Where) -> list[FormulaUse]:
    return [] if th is None or not th.formula else [FormulaUse(label, th.formula, where, "number")]


def _county_value_uses(value: str, threshold: Threshold | None) -> list[FormulaUse]:
    """A county figure and its threshold formula, if any (county thresholds, prerequisites)."""
    return [
        FormulaUse("value", value, "counties", "number"),
        *_threshold_uses(threshold, "threshold", "counties"),
    ]


def _thresholds(raw: Mapping[str, Any], key: str = "threshold") -> Threshold | None:
    return Threshold.parse(raw.get(key))


@attrs.frozen
class SectionThreshold:
    """Every scored unit (school section, kindergarten) must meet ``value comparator
    threshold``, where ``applies_when`` holds; a county passes when all its units do."""

    kind: ClassVar[str] = "section_threshold"
    value: str
    comparator: str
    threshold: Threshold | None = None
    applies_when: str | None = None

    @classmethod
    def from_doc(cls, raw: Mapping[str, Any]) -> SectionThreshold:
        return cls(raw["value"], raw["comparator"], _thresholds(raw), raw.get("applies_when"))

    def formulas(self) -> list[FormulaUse]:
        out = [FormulaUse("value", self.value, "unit", "number")]
        if self.applies_when:
            out.append(FormulaUse("applies_when", self.applies_when, "unit", "bool"))
        return out  # a per-school-type or formula threshold is checked with the threshold


@attrs.frozen
class CountMetWithFloor:
    """Each unit meets at least ``min_met`` of ``indicators`` and every other one at
    ``floor_ratio`` of its threshold (the six-of-seven rule)."""

    kind: ClassVar[str] = "count_met_with_floor"
    indicators: tuple[str, ...]
    min_met: int
    floor_ratio: float

    @classmethod
    def from_doc(cls, raw: Mapping[str, Any]) -> CountMetWithFloor:
        return cls(tuple(raw["indicators"]), int(raw["min_met"]), float(raw["floor_ratio"]))

    def formulas(self) -> list[FormulaUse]:
        return []


@attrs.frozen
class DispersionLimit:
    """The student-weighted coefficient of variation of each indicator, per level, at most
    ``limit[level]``."""

    kind: ClassVar[str] = "dispersion_limit"
    indicators: tuple[str, ...]
    limit: Mapping[str, float]

    @classmethod
    def from_doc(cls, raw: Mapping[str, Any]) -> DispersionLimit:
        return cls(tuple(raw["indicators"]), {k: float(v) for k, v in raw["limit"].items()})

    def formulas(self) -> list[FormulaUse]:
        return []


@attrs.frozen
class CompositeDispersion(DispersionLimit):
    """The mean of the indicators' coefficients of variation, per level, at most ``limit``."""

    kind: ClassVar[str] = "composite_dispersion"

    @classmethod
    def from_doc(cls, raw: Mapping[str, Any]) -> CompositeDispersion:
        return cls(tuple(raw["indicators"]), {k: float(v) for k, v in raw["limit"].items()})


@attrs.frozen
class CountyThreshold:
    """A county figure ``value`` (a formula over county columns and aggregates of the
    units) must meet ``comparator threshold``; ``basic_threshold`` is a lower bar."""

    kind: ClassVar[str] = "county_threshold"
    value: str
    comparator: str
    threshold: Threshold | None = None
    basic_threshold: Threshold | None = None

    @classmethod
    def from_doc(cls, raw: Mapping[str, Any]) -> CountyThreshold:
        return cls(raw["value"], raw["comparator"], _thresholds(raw), _thresholds(raw, "basic_threshold"))

    def formulas(self) -> list[FormulaUse]:
        return _county_value_uses(self.value, self.threshold)


@attrs.frozen
class Attestation:
    """A yes/no county column the bureau attests (是/否)."""

    kind: ClassVar[str] = "attestation"
    column: str

    @classmethod
    def from_doc(cls, raw: Mapping[str, Any]) -> Attestation:
        return cls(raw["column"])

    def formulas(self) -> list[FormulaUse]:
        return []


@attrs.frozen
class Prerequisite:
    """A condition the county must meet before anything else counts: a yes/no ``column``,
    or ``value comparator threshold`` like a county threshold."""

    kind: ClassVar[str] = "prerequisite"
    column: str | None = None
    value: str | None = None
    comparator: str | None = None
    threshold: Threshold | None = None

    @classmethod
    def from_doc(cls, raw: Mapping[str, Any]) -> Prerequisite:
        return cls(raw.get("column"), raw.get("value"), raw.get("comparator"), _thresholds(raw))

    def formulas(self) -> list[FormulaUse]:
        if self.value is None:
            return []
        return _county_value_uses(self.value, self.threshold)


@attrs.frozen
class Veto:
    """A one-vote veto: where ``when`` holds, the county fails."""

    kind: ClassVar[str] = "veto"
    when: str

    @classmethod
    def from_doc(cls, raw: Mapping[str, Any]) -> Veto:
        return cls(raw["when"])

    def formulas(self) -> list[FormulaUse]:
        return [FormulaUse("when", self.when, "counties", "bool")]


@attrs.frozen
class ScopeExclusion:
    """Units where ``when`` holds are out of scope (with ``reason``), applied in preparation."""

    kind: ClassVar[str] = "scope_exclusion"
    when: str
    reason: Text | None = None

    @classmethod
    def from_doc(cls, raw: Mapping[str, Any]) -> ScopeExclusion:
        return cls(raw["when"], _text(raw.get("reason")))

    def formulas(self) -> list[FormulaUse]:
        return [FormulaUse("when", self.when, "unit", "bool")]


@attrs.frozen
class Relaxation:
    """An optional relaxation (switched on by the user): for units where ``when`` holds, the
    ``targets`` (indicators or section rules) get another formula or threshold."""

    kind: ClassVar[str] = "relaxation"
    when: str | None = None
    targets: tuple[RelaxationTarget, ...] = ()
    note: Text | None = None

    @classmethod
    def from_doc(cls, raw: Mapping[str, Any]) -> Relaxation:
        targets = tuple(
            RelaxationTarget(t["target"], t.get("formula"), Threshold.parse(t.get("threshold")))
            for t in raw.get("targets", ())
        )
        return cls(raw.get("when"), targets, _text(raw.get("note")))

    def formulas(self) -> list[FormulaUse]:
        # The targets' formulas are checked with the targets (they name indicators).
        return [FormulaUse("when", self.when, "unit", "bool")] if self.when else []


RuleSpec = (
    SectionThreshold
    | CountMetWithFloor
    | DispersionLimit
    | CompositeDispersion
    | CountyThreshold
    | Attestation
    | Prerequisite
    | Veto
    | ScopeExclusion
    | Relaxation
)


class RuleRecord:
    """What every kind's record offers (a structural type: the records need not inherit it)."""

    kind: ClassVar[str]
    from_doc: Callable[[Mapping[str, Any]], Any]

    def formulas(self) -> list[FormulaUse]:  # pragma: no cover - documentation of the protocol
        raise NotImplementedError


#: Every rule kind and its record. Extended by :func:`register_record`.
RECORDS: dict[str, Any] = {
    r.kind: r
    for r in (
        SectionThreshold,
        CountMetWithFloor,
        DispersionLimit,
        CompositeDispersion,
        CountyThreshold,
        Attestation,
        Prerequisite,
        Veto,
        ScopeExclusion,
        Relaxation,
    )
}


@attrs.frozen
class PluginKindRule:
    """A rule of a kind a plugin provides (``eduscore_rule_kinds``): its ``params``,
    validated by the kind's ``params_schema`` when the document is loaded. It holds no
    formula of eduscore's grammar."""

    kind: str
    params: Mapping[str, Any]

    @classmethod
    def from_doc(cls, raw: Mapping[str, Any]) -> PluginKindRule:
        return cls(str(raw["kind"]), dict(raw.get("params", {})))

    def formulas(self) -> list[FormulaUse]:
        return []


def record_of(kind: str) -> Any:
    """The record of rule kind ``kind``: a built-in's own, else :class:`PluginKindRule`."""
    return RECORDS.get(kind, PluginKindRule)


def register_record(record: Any) -> None:
    """Make a new rule kind's record known (its ``kind`` class attribute names it)."""
    RECORDS[record.kind] = record


def rule_spec(raw: Mapping[str, Any]) -> Any:
    """The typed record of a rule document (``raw["kind"]`` picks the record)."""
    return record_of(raw["kind"]).from_doc(raw)


def _text(raw: Any) -> Text | None:
    return None if raw is None else Text(**raw)
