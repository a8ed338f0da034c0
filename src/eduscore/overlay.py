"""Jurisdiction overlays: national → province → city → county, the most specific wins.

A rule set (``schemas/ruleset.schema.json``) names a framework, a GB/T 2260 code prefix
and the years it is in force, and says what changes: thresholds and limits (``set``),
indicators and rules that do not apply (``remove``), new indicators and rules —
prerequisites, scope exclusions, relaxations — (``add_indicators``, ``add_rules``), and
the aggregation (``verdict``, ``verdict_modifiers``). Applying the rule sets that govern a
county, least specific first, to the framework document gives the county's *effective*
framework, validated like any other; every item a rule set touched records it in
``origin`` and so in every check of a result.
"""

from __future__ import annotations

import copy
import difflib
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .errors import FrameworkError
from .framework import Framework, framework_from_dict, load_framework, schema_problems
from .records import FrameworkDoc, RuleSet

CHAIN_SEPARATOR = "+"


def _origin(rs: RuleSet) -> dict[str, str]:
    return {"rule_set": rs.id, "version": rs.version, "plugin": rs.plugin, "jurisdiction": rs.jurisdiction}


def apply_rule_set(document: Mapping[str, Any], rs: RuleSet) -> dict[str, Any]:
    """A copy of the framework ``document`` with the rule set ``rs`` applied."""
    doc: dict[str, Any] = copy.deepcopy(dict(document))
    spec = rs.document
    origin = _origin(rs)
    where = f"rule set {rs.id!r} (plugin {rs.plugin or '?'})"
    items = {i["id"]: i for i in doc["indicators"]} | {r["id"]: r for r in doc["rules"]}
    for patch in spec.get("set", ()):
        target = patch["target"]
        if target not in items:
            hint = difflib.get_close_matches(target, list(items), n=1)
            raise FrameworkError(
                f"{where}: cannot set {target!r}: no such indicator or rule in {doc['id']}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
            )
        item = items[target]
        item.update(copy.deepcopy(patch["fields"]))
        item["confidence"] = patch["confidence"]
        item["source"] = copy.deepcopy(patch["source"])
        item["confidence_note"] = patch.get("confidence_note", "")
        if not item["confidence_note"]:
            del item["confidence_note"]
        item["origin"] = origin
    removed = set(spec.get("remove", ()))
    unknown = sorted(removed - set(items))
    if unknown:
        raise FrameworkError(f"{where}: cannot remove {', '.join(unknown)}: not in {doc['id']}")
    doc["indicators"] = [i for i in doc["indicators"] if i["id"] not in removed]
    doc["rules"] = [r for r in doc["rules"] if r["id"] not in removed]
    for rule in doc["rules"]:
        if "indicators" in rule and removed & set(rule["indicators"]):
            rule["indicators"] = [i for i in rule["indicators"] if i not in removed]
            rule["origin"] = origin
        if "targets" in rule:
            rule["targets"] = [t for t in rule["targets"] if t["target"] not in removed]
    for key in ("add_indicators", "add_rules"):
        section = "indicators" if key == "add_indicators" else "rules"
        for new in spec.get(key, ()):
            if new["id"] in items and new["id"] not in removed:
                raise FrameworkError(
                    f"{where}: {new['id']!r} already exists in {doc['id']}; use 'set' to change it"
                )
            doc[section].append({**copy.deepcopy(new), "origin": origin})
    for key, id_key in (("inputs", "name"), ("options", "id")):
        have = {x[id_key] for x in doc.get(key, ())}
        doc[key] = list(doc.get(key, ())) + [
            copy.deepcopy(x) for x in spec.get(key, ()) if x[id_key] not in have
        ]
        if not doc[key]:
            del doc[key]
    if "verdict" in spec:
        doc["verdict"] = {**copy.deepcopy(spec["verdict"]), "origin": origin}
    if spec.get("verdict_modifiers"):
        doc["verdict_modifiers"] = list(doc.get("verdict_modifiers", ())) + [
            {**copy.deepcopy(m), "origin": origin} for m in spec["verdict_modifiers"]
        ]
    doc["rule_sets"] = [*doc.get("rule_sets", ()), origin]
    return doc


def validate_rule_set(
    rs: RuleSet, frameworks: Mapping[str, FrameworkDoc], others: Sequence[RuleSet] = ()
) -> None:
    """Check a rule set against its schema and apply it, after the rule sets of the wider
    jurisdictions above it (``others``), to its framework — so that a broken rule set fails
    when plugins are loaded, naming the plugin, not in the middle of an evaluation."""
    what = f"rule set {rs.document.get('id', '?')!r} of plugin {rs.plugin!r}"
    schema_problems("ruleset", rs.document, what)
    if rs.framework not in frameworks:
        hint = difflib.get_close_matches(rs.framework, list(frameworks), n=1)
        raise FrameworkError(
            f"{what} overlays unknown framework {rs.framework!r}"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
        )
    above = [
        o
        for o in others
        if o.framework == rs.framework
        and len(o.jurisdiction) < len(rs.jurisdiction)
        and rs.jurisdiction.startswith(o.jurisdiction)
    ]
    doc: Mapping[str, Any] = frameworks[rs.framework].document
    for o in sorted(above, key=lambda o: len(o.jurisdiction)):
        doc = apply_rule_set(doc, o)
    framework_from_dict(apply_rule_set(doc, rs), what)


def _rule_sets() -> list[RuleSet]:
    from .plugins import get_registry

    return get_registry().rule_sets()


def rule_sets_for(framework: str) -> list[RuleSet]:
    """Registered rule sets of ``framework``, least specific jurisdiction first."""
    return [rs for rs in _rule_sets() if rs.framework == framework]


def applicable_rule_sets(county_code: str, framework: str, year: int | None = None) -> list[RuleSet]:
    """The rule sets governing one county in one year, in the order they apply."""
    return [rs for rs in rule_sets_for(framework) if rs.applies(county_code, year)]


def with_rule_sets(base: Framework, chain: Sequence[RuleSet]) -> Framework:
    """``base`` with the rule sets of ``chain`` applied in order."""
    return _with_rule_sets(base, tuple(chain))


@functools.lru_cache(maxsize=256)
def _with_rule_sets(base: Framework, chain: tuple[RuleSet, ...]) -> Framework:
    if not chain:
        return base
    doc: Mapping[str, Any] = base.raw
    for rs in chain:
        doc = apply_rule_set(doc, rs)
    label = " → ".join([base.id, *(f"{rs.id} ({rs.jurisdiction})" for rs in chain)])
    return framework_from_dict(doc, label)


def effective_framework(
    county_code: str, framework: str = "quality-balance-2017", year: int | None = None
) -> Framework:
    """The framework that applies to one county after its province's, city's and own rules.

    >>> fw = effective_framework("990101", "quality-balance-2017", year=2024)
    >>> fw.rule_sets   # no rule set governs the synthetic province 99
    ()
    """
    base = load_framework(framework)
    return with_rule_sets(base, applicable_rule_sets(county_code, base.id, year))


def assign_chains(
    counties: pa.Table, framework_id: str
) -> tuple[pa.ChunkedArray, dict[str, tuple[RuleSet, ...]]]:
    """Label every county row with the chain of rule sets that governs it.

    Vectorised over counties: one pass per registered rule set of the framework (a few),
    never a loop over counties. Returns the chain key per row ('' = national only) and
    the rule sets of each key.
    """
    codes = counties.column("county_code")
    years = counties.column("year")
    key = (
        pa.chunked_array([pa.repeat(pa.scalar(""), counties.num_rows)])
        if counties.num_rows
        else pa.chunked_array([], pa.string())
    )
    by_id = {}
    for rs in rule_sets_for(framework_id):
        hit = pc.fill_null(pc.starts_with(codes, rs.jurisdiction), False)
        if rs.from_year is not None:
            hit = pc.and_(hit, pc.fill_null(pc.greater_equal(years, rs.from_year), True))
        if rs.until_year is not None:
            hit = pc.and_(hit, pc.fill_null(pc.less_equal(years, rs.until_year), True))
        joined = pc.binary_join_element_wise(key, pa.scalar(rs.id), CHAIN_SEPARATOR)
        key = pc.if_else(hit, pc.if_else(pc.equal(key, ""), pa.scalar(rs.id), joined), key)
        by_id[rs.id] = rs
    chains = {
        k: tuple(by_id[i] for i in k.split(CHAIN_SEPARATOR) if i)
        for k in pc.unique(key).to_pylist()
        if k is not None
    }
    return key, chains
