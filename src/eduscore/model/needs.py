"""Which input columns a framework reads: the raw columns a user has to supply.

A framework's formulas name the columns of the table they run over — for school
frameworks the *section* table, whose columns are derived from the wide ``schools``
table a bureau fills in (``students`` of a section comes from ``students_primary`` or
``students_junior``; ``school_classes`` from both class counts; shared stock resources
are split by student shares, so the student counts of every level are read too).
:func:`raw_inputs` traces every formula back to those raw columns.

It serves three purposes: the template asks for exactly these columns
(``eduscore template``), a bad value in a column *not* read is only a warning (the row
is still scored), and a check that lacks an input names the raw columns to supply.

>>> from eduscore import load_framework
>>> needs = raw_inputs(load_framework("quality-balance-2017"))
>>> sorted(c for c in needs["schools"] if c.startswith("classes"))
['classes_junior', 'classes_primary']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from eduscore.errors import FormulaError
from eduscore.model import contract
from eduscore.model.formula import Name, Node, children, names, parse
from eduscore.model.framework import Framework
from eduscore.model.records import RuleKind

# Columns of the wide schools table that identify a row: always read.
_IDENTITY = {
    "schools": ("year", "county_code", "school_id", "school_name", "school_type"),
    "sections": ("year", "county_code", "school_id", "school_name", "school_type", "level"),
    "counties": ("year", "county_code"),
    "kindergartens": ("year", "county_code", "kindergarten_id", "kindergarten_name", "category"),
}
# Preparation steps (framework options) and the columns they read.
_STEP_READS = {"move_indoor_sports_area": ("indoor_sports_area_m2", "teaching_aux_area_m2", "sports_area_m2")}
_STUDENTS = ("students_primary", "students_junior", "students_senior")
#: Section columns computed from several raw columns of the school.
DERIVED_COLUMNS = ("school_students", "school_classes")


def wide_sources(section_column: str, levels: Iterable[str] = contract.LEVELS) -> tuple[str, ...]:
    """The wide ``schools`` columns a section column is derived from (itself if not derived).

    >>> wide_sources("school_classes")
    ('classes_primary', 'classes_junior')
    >>> wide_sources("teachers")
    ('teachers_primary', 'teachers_junior', 'teachers')
    """
    levels = tuple(levels)
    if section_column == "school_students":
        return tuple(f"students_{level}" for level in levels)
    if section_column == "school_classes":
        return tuple(f"classes_{level}" for level in levels)
    per_level = {name for name, _ in contract.LEVEL_COUNTS}
    if section_column in per_level:
        out = tuple(f"{section_column}_{level}" for level in levels)
        # Whole-school counts stand in (split by shares) where the per-level count is missing.
        whole = {name for name, _ in contract.LEVEL_COUNTS[1:7]}
        return out + ((section_column,) if section_column in whole else ())
    return (section_column,)


def _formulas(fw: Framework, relaxations: Iterable[str]) -> tuple[set[str], set[str]]:
    """Names read by the unit formulas and by the county formulas (which may aggregate units)."""
    enabled = set(relaxations)
    unit: set[str] = set()
    county: set[str] = set()

    def read(text: str | None, into: set[str]) -> None:
        if text:
            into |= names(parse(text))

    for ind in fw.indicators:
        read(ind.formula, unit)
        if ind.threshold is not None:
            read(ind.threshold.formula, unit)
    for rule in fw.rules:
        if rule.kind == "relaxation" and rule.id not in enabled and not rule.enabled:
            continue
        if rule.kind != "relaxation" and not rule.enabled:
            continue
        at_county = rule.kind in ("county_threshold", "prerequisite", "veto")
        target = county if at_county else unit
        for text in (rule.value, rule.when, rule.applies_when):
            read(text, target)
        for th in (rule.threshold, rule.basic_threshold):
            if th is not None:
                read(th.formula, target)
        if rule.column:
            county.add(rule.column)
        for tgt in rule.targets:
            read(tgt.formula, unit)
            if tgt.threshold is not None:
                read(tgt.threshold.formula, unit)
    return unit, county


def raw_inputs(
    fw: Framework,
    relaxations: Iterable[str] = (),
    options: Mapping[str, bool] | None = None,
    rule_sets: Iterable[Mapping[str, Any]] = (),
    kinds: Mapping[str, RuleKind] | None = None,
) -> dict[str, frozenset[str]]:
    """The raw input columns ``fw`` reads, per input table (``schools`` wide, ``sections``
    long, ``counties``, ``kindergartens``), traced through derived columns.

    ``relaxations`` and ``options`` are those enabled for the evaluation (a disabled
    relaxation reads nothing). ``rule_sets`` are rule set documents that may govern some
    counties: every column their formulas name counts as read (the columns they declare
    in ``inputs`` included). ``kinds``: the rule kinds of plugins (by id) — a rule of one
    reads the kind's declared ``inputs``.
    """
    unit_names, county_names = _formulas(fw, relaxations)
    documents = list(rule_sets)
    used_kinds = [r.kind for r in fw.rules if r.enabled]
    used_kinds += [r.get("kind") for doc in documents for r in doc.get("add_rules", ())]
    for kind_id in used_kinds:
        kind = (kinds or {}).get(str(kind_id))
        if kind is not None and not kind.builtin:
            (county_names if kind.reads == "counties" else unit_names).update(kind.inputs)
    declared = {(c["table"], c["name"]) for doc in documents for c in doc.get("inputs", ())}
    for text in rule_set_formulas(documents):
        try:
            found = names(parse(text))
        except FormulaError:  # a broken rule set is refused when plugins load; nothing to read here
            continue
        unit_names |= found
        county_names |= found
    chosen = {o.id: o.default for o in fw.options}
    chosen.update(options or {})
    for step, on in chosen.items():
        if on:
            unit_names |= set(_STEP_READS.get(step, ()))
    unit_tables = ("schools", "sections") if fw.unit == "sections" else (fw.unit,)
    unit_cols = set(fw.column_kinds(fw.unit)) | {n for t, n in declared if t in unit_tables}
    county_cols = set(fw.column_kinds("counties")) | {n for t, n in declared if t == "counties"}
    # A county formula's names are county columns, or unit columns read by an aggregate.
    unit_names |= county_names & unit_cols
    county_names &= county_cols
    unit_names &= unit_cols
    levels = fw.levels or contract.LEVELS
    out: dict[str, set[str]] = {
        "counties": set(_IDENTITY["counties"]) | county_names,
        "sections": set(),
        "schools": set(),
        "kindergartens": set(),
    }
    if fw.unit == "sections":
        out["sections"] = set(_IDENTITY["sections"]) | unit_names
        sections_long = out["sections"] | {"students"}
        if unit_names & {"school_students"}:
            sections_long.add("students")
        if unit_names & {"school_classes"}:
            sections_long.add("classes")
        out["sections"] = sections_long
        wide = set(_IDENTITY["schools"])
        for name in unit_names | {"students"}:
            wide |= set(wide_sources(name, levels))
        shared = set(fw.split.shared if fw.split else (n for n, _, _ in contract.SHARED_RESOURCES))
        if unit_names & shared:
            # Shared stock is split by the students of every level, senior high included.
            wide |= set(_STUDENTS)
        if "equipment_value_cny" in wide:
            wide.add("equipment_value_10k_cny")  # the same value in 万元
        out["schools"] = wide
    else:
        out["kindergartens"] = set(_IDENTITY["kindergartens"]) | unit_names
    return {k: frozenset(v) for k, v in out.items()}


def rule_set_formulas(documents: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every formula text in rule set documents (values, conditions, thresholds, targets)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key in ("formula", "value", "when", "applies_when", "column") and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for doc in documents:
        walk(doc)
    return found


def raw_label(section_column: str, levels: Iterable[str] = contract.LEVELS) -> str:
    """How to ask for a column in the user's terms, in Chinese: its own header, or for a
    derived column the headers of the raw columns it comes from, e.g. ``小学班级数、初中班级数``
    (their English names: :func:`raw_names`)."""
    sources = _asked_for(section_column, levels)
    if sources is None:
        return section_column
    wide = contract.columns("schools")
    return "、".join(wide[s].zh for s in sources)


def raw_names(section_column: str, levels: Iterable[str] = contract.LEVELS) -> str:
    """The English names of the raw columns to supply for ``section_column``:
    ``classes_primary, classes_junior`` for a derived column, else the column itself."""
    sources = _asked_for(section_column, levels)
    return section_column if sources is None else ", ".join(sources)


def _asked_for(section_column: str, levels: Iterable[str]) -> tuple[str, ...] | None:
    """The raw wide columns a derived column is asked for by (per-level ones first), or
    ``None`` when the column is asked for as itself."""
    sources = wide_sources(section_column, levels)
    wide = contract.columns("schools")
    if sources == (section_column,) or not all(s in wide for s in sources):
        return None
    per_level = [s for s in sources if s.endswith(tuple(f"_{lv}" for lv in levels))]
    return tuple(per_level or sources)


def indicator_formulas(
    fw: Framework, relaxations: Iterable[str] = ()
) -> dict[str, tuple[tuple[str | None, str], ...]]:
    """Every formula an indicator's value may come from in an evaluation: ``(None, its own
    formula)`` first, then ``(relaxation id, formula)`` for each relaxation in force
    (enabled in the framework or named in ``relaxations``) that replaces the value of some
    units — the engine's order (:meth:`eduscore.engine.score.Engine.unit_check`).

    >>> from eduscore import load_framework
    >>> got = indicator_formulas(load_framework("quality-balance-2017"), ["dense_city_sports_space"])
    >>> for variant in got["sports_area_per_student"]:
    ...     print(variant)
    (None, 'sports_area_m2 / students')
    ('dense_city_sports_space', '(sports_area_m2 + coalesce(sports_area_extra_m2, 0)) / students')
    """
    enabled = set(relaxations)
    out: dict[str, list[tuple[str | None, str]]] = {ind.id: [(None, ind.formula)] for ind in fw.indicators}
    for rule in fw.rules_of("relaxation"):
        if not (rule.enabled or rule.id in enabled) or rule.when is None:
            continue
        for tgt in rule.targets:
            if tgt.formula and tgt.target in out:
                out[tgt.target].append((rule.id, tgt.formula))
    return {k: tuple(v) for k, v in out.items()}


def indicator_inputs(fw: Framework, relaxations: Iterable[str] = ()) -> tuple[str, ...]:
    """The unit columns the indicators' formulas read (their relaxed variants in force
    included), in the order they first appear: the raw figures of a section that the
    result keeps beside its indicator values (``Result.sections``).

    >>> from eduscore import load_framework
    >>> indicator_inputs(load_framework("quality-balance-2017"))[:3]
    ('teachers_above_degree', 'students', 'backbone_teachers')
    """
    found: dict[str, None] = {}
    for variants in indicator_formulas(fw, relaxations).values():
        for _, text in variants:
            found.update(dict.fromkeys(_in_order(parse(text))))
    return tuple(found)


def _in_order(node: Node) -> list[str]:
    """The column names of a formula's tree, left to right, each once."""
    out: list[str] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Name):
            if current.name not in out:
                out.append(current.name)
        else:
            stack.extend(reversed(children(current)))
    return out
