"""Jurisdiction overlays: national → province → city → county, the most specific wins.

A rule set (``schemas/ruleset.schema.json``) names a framework, a GB/T 2260 code prefix
and the years it is in force, and says what changes: thresholds and limits (``set``),
indicators and rules that do not apply (``remove``), new indicators and rules —
prerequisites, scope exclusions, relaxations — (``add_indicators``, ``add_rules``), and
the aggregation (``verdict``, ``verdict_modifiers``). Applying the rule sets that govern a
county, least specific first, to the framework document gives the county's *effective*
framework, validated like any other; every item a rule set touched records it in
``origin`` and so in every check of a result.

A rule set may make a national (or inherited) rule easier to meet only on purpose: a
``set`` that relaxes (:func:`relaxations_between`) carries ``"relaxes": true``, and a
removal is written ``{"id": …, "relaxes": true, "source": …, "confidence": …}``. An
undeclared relaxation is a :class:`FrameworkError`, so the plugin is refused by name;
declared ones stay visible in ``origin`` (``"relaxed": true``, ``"relaxations"``).
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from eduscore.errors import FrameworkError
from eduscore.model.framework import (
    Threshold,
    framework_from_dict,
    schema_problems,
)
from eduscore.model.records import FrameworkDoc, RuleSet

CHAIN_SEPARATOR = "+"
# Comparators under which a higher threshold is stricter (+1) or looser (-1).
_DIRECTION = {">=": 1, ">": 1, "<=": -1, "<": -1}
# Comparator changes that only tighten: equality no longer passes.
_TIGHTER_COMPARATORS = {(">=", ">"), ("<=", "<")}
_FORMULA_FIELDS = ("formula", "value", "when", "applies_when")


def _origin(rs: RuleSet) -> dict[str, Any]:
    return {"rule_set": rs.id, "version": rs.version, "plugin": rs.plugin, "jurisdiction": rs.jurisdiction}


def _where(rs: RuleSet) -> tuple[str, str]:
    plugin = rs.plugin or "?"
    return f"rule set {rs.id!r} (plugin {plugin!r})", f"规则集 {rs.id!r}(插件 {plugin!r})"


def removed_ids(spec: Mapping[str, Any]) -> list[str]:
    """The ids a rule set's ``remove`` names (entries are ids or declared relaxations ``{"id": …}``)."""
    return [entry if isinstance(entry, str) else entry["id"] for entry in spec.get("remove", ())]


# --------------------------------------------------------------------------- merging


def _merge_threshold(old: Any, new: Any) -> Any:
    """A threshold patch: a number or a formula replaces; an object changes only the
    values it names (``{"by_level": {"primary": 5}}`` leaves junior as it was)."""
    if not isinstance(new, Mapping) or "formula" in new:
        return copy.deepcopy(new)
    if old is None or (isinstance(old, Mapping) and "formula" in old):
        return copy.deepcopy(dict(new))
    base: dict[str, Any] = {"value": old} if not isinstance(old, Mapping) else copy.deepcopy(dict(old))
    for key, value in new.items():
        if isinstance(value, Mapping):
            base[key] = {**base.get(key, {}), **copy.deepcopy(dict(value))}
        else:
            base[key] = copy.deepcopy(value)
    return base


def _merge(old: Any, new: Any, key: str = "") -> Any:
    """Deep merge of a ``set`` field into the item's current value: mappings merge key by
    key, anything else replaces. Replacing a whole threshold when a rule set names one
    level would silently drop the others."""
    if key in ("threshold", "basic_threshold"):
        return _merge_threshold(old, new)
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        merged = copy.deepcopy(dict(old))
        for k, v in new.items():
            merged[k] = _merge(old.get(k), v, k)
        return merged
    return copy.deepcopy(new)


# --------------------------------------------------------------------------- relaxations


@attrs.frozen
class Relaxation:
    """One way a rule set makes an existing indicator or rule easier to meet.

    ``what`` names the field and the place (``threshold (junior)``); ``old`` and ``new``
    are the values as a person reads them; ``zh`` says the same in Chinese.
    """

    target: str
    what: str
    old: str
    new: str
    zh: str

    def describe(self) -> str:
        return self.what if self.what == "removed" else f"{self.what} {self.old} → {self.new}"

    def to_json(self) -> dict[str, str]:
        return {"target": self.target, "change": self.describe()}


def _fmt(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)


def _quoted(formula: Any) -> str:
    """A formula as messages show it: at most 80 characters (documents may hold huge ones)."""
    if formula is None:
        return "none"
    text = str(formula)
    return repr(text if len(text) <= 80 else text[:80] + "…")


def _effective(th: Threshold, level: str | None, school_type: str | None) -> float | None:
    # The same precedence as the engine: school type, then level, then the plain value.
    if school_type is not None and school_type in th.by_school_type:
        return th.by_school_type[school_type]
    if level is not None and level in th.by_level:
        return th.by_level[level]
    return th.value


def _threshold_relaxations(target: str, field: str, old: Any, new: Any, direction: int) -> list[Relaxation]:
    before, after = Threshold.parse(old), Threshold.parse(new)
    if before is None or before == after:
        return []  # a threshold where there was none only adds a requirement
    if after is None:
        return [Relaxation(target, field, before.describe(), "none", f"{field} 被取消")]
    if before.formula is not None or after.formula is not None or direction == 0:
        # A formula, or an exact-match comparator: no order to tell stricter from looser.
        return [
            Relaxation(target, field, before.describe(), after.describe(), f"{field} 改变(无法判断是否更严)")
        ]
    found: dict[str, Relaxation] = {}
    levels = [*sorted(set(before.by_level) | set(after.by_level)), None]
    types = [*sorted(set(before.by_school_type) | set(after.by_school_type)), None]
    for level in levels:
        for school_type in types:
            was, now = _effective(before, level, school_type), _effective(after, level, school_type)
            if was is None:
                continue
            if now is not None and (now - was) * direction >= 0:
                continue
            place = school_type or level
            what = f"{field} ({place})" if place else field
            looser = "被取消" if now is None else ("降低" if direction > 0 else "提高")
            found.setdefault(what, Relaxation(target, what, _fmt(was), _fmt(now), f"{what} {looser}"))
    return list(found.values())


def relaxations_between(target: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Relaxation]:
    """Every way the item ``new`` is easier to meet than ``old`` (an indicator or a rule, as
    framework documents write them).

    Looser: under ``>=``/``>`` a lower threshold (the plain value, any level, any school
    type) and under ``<=``/``<`` a higher one, or a threshold gone; a higher dispersion
    ``limit`` or a level without one; a lower ``floor_ratio`` or ``min_met``, or more
    indicators a school may miss; a changed comparator (other than ``>=`` → ``>`` and
    ``<=`` → ``<``); a rule switched off, or a relaxation switched on; an indicator taken
    out of a rule's list. Changes no order can judge count too: a different formula
    (``formula``, ``value``, ``when``, ``applies_when``), a threshold under ``==``, or a
    composite dispersion over other indicators.

    >>> old = {"comparator": ">=", "threshold": {"by_level": {"primary": 4.5, "junior": 5.8}}}
    >>> new = {"comparator": ">=", "threshold": {"by_level": {"primary": 4.8, "junior": 5.0}}}
    >>> [r.describe() for r in relaxations_between("teaching_area", old, new)]
    ['threshold (junior) 5.8 → 5']
    """
    found: list[Relaxation] = []
    kind = old.get("kind")
    was_cmp, now_cmp = old.get("comparator"), new.get("comparator")
    if was_cmp is not None and was_cmp != now_cmp and (was_cmp, now_cmp) not in _TIGHTER_COMPARATORS:
        found.append(Relaxation(target, "comparator", str(was_cmp), str(now_cmp), "比较方式改变"))
    direction = _DIRECTION.get(str(was_cmp if was_cmp is not None else now_cmp), 0)
    if (was_cmp is None or now_cmp is None) or _DIRECTION.get(str(now_cmp), 0) == direction:
        for field in ("threshold", "basic_threshold"):
            found += _threshold_relaxations(target, field, old.get(field), new.get(field), direction)
    was_limit, now_limit = old.get("limit") or {}, new.get("limit") or {}
    for level, limit in sorted(was_limit.items()):
        now = now_limit.get(level)
        if now is None or now > limit:
            found.append(
                Relaxation(target, f"limit ({level})", _fmt(limit), _fmt(now), f"limit ({level}) 放宽")
            )
    for field in ("floor_ratio", "min_met"):
        was, now = old.get(field), new.get(field)
        if was is not None and (now is None or now < was):
            found.append(Relaxation(target, field, _fmt(was), _fmt(now), f"{field} 降低"))
    was_list, now_list = list(old.get("indicators", ())), list(new.get("indicators", ()))
    dropped = [i for i in was_list if i not in now_list]
    if dropped:
        found.append(
            Relaxation(
                target, "indicators", ", ".join(dropped), "(removed)", f"指标 {', '.join(dropped)} 被移除"
            )
        )
    elif kind == "composite_dispersion" and was_list != now_list:
        found.append(
            Relaxation(
                target, "indicators", ", ".join(was_list), ", ".join(now_list), "综合差异系数的指标改变"
            )
        )
    if kind == "count_met_with_floor" and old.get("min_met") is not None and new.get("min_met") is not None:
        may_miss = len(was_list) - int(old["min_met"])
        now_miss = len(now_list) - int(new["min_met"])
        if now_miss > may_miss:
            found.append(
                Relaxation(
                    target,
                    "indicators a school may miss",
                    str(may_miss),
                    str(now_miss),
                    "允许未达标的指标数增加",
                )
            )
    default = kind != "relaxation"
    was_on, now_on = old.get("enabled", default), new.get("enabled", default)
    if was_on != now_on and (now_on if kind == "relaxation" else was_on):
        found.append(
            Relaxation(target, "enabled", str(was_on).lower(), str(now_on).lower(), "规则启用状态改变")
        )
    for field in _FORMULA_FIELDS:
        # Added or changed: a new applies_when narrows a rule, a new when widens an exemption.
        if old.get(field) != new.get(field):
            was, now = _quoted(old.get(field)), _quoted(new.get(field))
            found.append(Relaxation(target, field, was, now, f"{field} 公式改变"))
    return found


def _undeclared(
    rs: RuleSet, target: str, kind_en: str, kind_zh: str, found: Sequence[Relaxation], how: str
) -> FrameworkError:
    where_en, where_zh = _where(rs)
    changes = "; ".join(r.describe() for r in found)
    changes_zh = ";".join(r.zh if r.what == "removed" else f"{r.zh}:{r.old} → {r.new}" for r in found)
    return FrameworkError(
        f"{where_en} relaxes {kind_en} {target!r} without declaring it: {changes}. A rule set may make "
        f"a national or inherited rule easier to meet only on purpose: if the jurisdiction's own "
        f"document says so, {how} (its source and confidence say where); otherwise keep the rule at "
        "least as strict.",
        zh=f"{where_zh} 放宽了{kind_zh} {target!r},但没有声明:{changes_zh}。规则集只能有意放宽国家或上级规则:"
        f"如果本地文件确有规定,请{_HOW_ZH[how]}(以 source 和 confidence 注明出处);否则请保持不低于原要求。",
    )


_HOW_SET = 'add "relaxes": true to this "set" entry'
_HOW_REMOVE = 'write the entry as {"id": …, "relaxes": true, "source": …, "confidence": …}'
_HOW_ZH = {
    _HOW_SET: '在该 "set" 条目中加上 "relaxes": true',
    _HOW_REMOVE: '把该 remove 条目写成 {"id": …, "relaxes": true, "source": …, "confidence": …}',
}


def _mark_relaxed(item: dict[str, Any], origin: Mapping[str, Any], found: Sequence[Relaxation]) -> None:
    """Record declared relaxations in the item's ``origin``, keeping earlier rule sets' ones
    (a later rule set that only renames the item must not hide a province's relaxation)."""
    earlier = list((item.get("origin") or {}).get("relaxations", ()))
    mine = [{**r.to_json(), "rule_set": str(origin["rule_set"])} for r in found]
    item["origin"] = {**origin, "relaxed": True, "relaxations": earlier + mine}


def _stamp(item: dict[str, Any], origin: Mapping[str, Any]) -> None:
    """Set ``origin`` on an item a rule set touched, carrying earlier declared relaxations."""
    earlier = (item.get("origin") or {}).get("relaxations")
    item["origin"] = {**origin, "relaxed": True, "relaxations": list(earlier)} if earlier else dict(origin)


def apply_rule_set(document: Mapping[str, Any], rs: RuleSet) -> dict[str, Any]:
    """A copy of the framework ``document`` with the rule set ``rs`` applied.

    ``set`` merges into the item (a per-level value changes that level only). A change
    that makes an existing item easier to meet (:func:`relaxations_between`) or a removal
    must be declared (``"relaxes": true``), else :class:`FrameworkError` names the rule
    set, its plugin, the item and each old → new value. Declared relaxations are kept in
    the item's ``origin`` (``"relaxed": true`` and ``"relaxations"``) and in the rule set's
    entry of ``rule_sets``.
    """
    doc: dict[str, Any] = copy.deepcopy(dict(document))
    spec = rs.document
    origin = _origin(rs)
    where_en, where_zh = _where(rs)
    declared: list[Relaxation] = []
    items = {i["id"]: i for i in doc["indicators"]} | {r["id"]: r for r in doc["rules"]}
    indicator_ids = {i["id"] for i in doc["indicators"]}
    for patch in spec.get("set", ()):
        target = patch["target"]
        if target not in items:
            hint = difflib.get_close_matches(target, list(items), n=1)
            near = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise FrameworkError(
                f"{where_en}: cannot set {target!r}: no such indicator or rule in {doc['id']}{near}",
                zh=f"{where_zh}:无法修改 {target!r}:{doc['id']} 中没有这个指标或规则{near}",
            )
        item = items[target]
        before = copy.deepcopy(item)
        for key, value in patch["fields"].items():
            item[key] = _merge(item.get(key), value, key)
        item["confidence"] = patch["confidence"]
        item["source"] = copy.deepcopy(patch["source"])
        item["confidence_note"] = patch.get("confidence_note", "")
        if not item["confidence_note"]:
            del item["confidence_note"]
        found = relaxations_between(target, before, item)
        kind_en, kind_zh = ("indicator", "指标") if target in indicator_ids else ("rule", "规则")
        if found and not patch.get("relaxes"):
            raise _undeclared(rs, target, kind_en, kind_zh, found, _HOW_SET)
        if found:
            _mark_relaxed(item, origin, found)
            declared += found
        else:
            _stamp(item, origin)
    removed: set[str] = set()
    for entry in spec.get("remove", ()):
        rid = entry if isinstance(entry, str) else entry["id"]
        if rid not in items:
            continue  # reported below, all at once
        removed.add(rid)
        gone = Relaxation(rid, "removed", "", "", "被移除")
        # Taking out an opt-in exemption (a relaxation rule) only makes things stricter.
        if items[rid].get("kind") == "relaxation":
            continue
        if isinstance(entry, str) or not entry.get("relaxes"):
            kind_en, kind_zh = ("indicator", "指标") if rid in indicator_ids else ("rule", "规则")
            raise _undeclared(rs, rid, kind_en, kind_zh, [gone], _HOW_REMOVE)
        declared.append(gone)
    unknown = sorted(set(removed_ids(spec)) - set(items))
    if unknown:
        raise FrameworkError(
            f"{where_en}: cannot remove {', '.join(unknown)}: not in {doc['id']}",
            zh=f"{where_zh}:无法移除 {', '.join(unknown)}:{doc['id']} 中没有",
        )
    doc["indicators"] = [i for i in doc["indicators"] if i["id"] not in removed]
    doc["rules"] = [r for r in doc["rules"] if r["id"] not in removed]
    for rule in doc["rules"]:
        if "indicators" in rule and removed & set(rule["indicators"]):
            dropped = [i for i in rule["indicators"] if i in removed]
            rule["indicators"] = [i for i in rule["indicators"] if i not in removed]
            # Dropped from six-of-seven or a CV list by a declared removal: relaxed, visibly.
            _mark_relaxed(
                rule,
                origin,
                [Relaxation(rule["id"], "indicators", ", ".join(dropped), "(removed)", "指标被移除")],
            )
        if "targets" in rule:
            rule["targets"] = [t for t in rule["targets"] if t["target"] not in removed]
    for key in ("add_indicators", "add_rules"):
        section = "indicators" if key == "add_indicators" else "rules"
        for new in spec.get(key, ()):
            if new["id"] in items and new["id"] not in removed:
                raise FrameworkError(
                    f"{where_en}: {new['id']!r} already exists in {doc['id']}; use 'set' to change it",
                    zh=f"{where_zh}:{doc['id']} 中已有 {new['id']!r};请用 'set' 修改",
                )
            doc[section].append({**copy.deepcopy(new), "origin": dict(origin)})
    for key, id_key in (("inputs", "name"), ("options", "id")):
        have = {x[id_key] for x in doc.get(key, ())}
        doc[key] = list(doc.get(key, ())) + [
            copy.deepcopy(x) for x in spec.get(key, ()) if x[id_key] not in have
        ]
        if not doc[key]:
            del doc[key]
    if "verdict" in spec:
        doc["verdict"] = {**copy.deepcopy(spec["verdict"]), "origin": dict(origin)}
    if spec.get("verdict_modifiers"):
        doc["verdict_modifiers"] = list(doc.get("verdict_modifiers", ())) + [
            {**copy.deepcopy(m), "origin": dict(origin)} for m in spec["verdict_modifiers"]
        ]
    entry_origin: dict[str, Any] = dict(origin)
    if declared:
        entry_origin |= {"relaxed": True, "relaxations": [r.to_json() for r in declared]}
    doc["rule_sets"] = [*doc.get("rule_sets", ()), entry_origin]
    return doc


def validate_rule_set(
    rs: RuleSet,
    frameworks: Mapping[str, FrameworkDoc],
    others: Sequence[RuleSet] = (),
    *,
    steps: Sequence[str] | None = None,
    kinds: Mapping[str, Any] | None = None,
) -> None:
    """Check a rule set against its schema and apply it, after the rule sets of the wider
    jurisdictions above it (``others``), to its framework — so that a broken rule set, or
    one that relaxes a rule without declaring it, fails when plugins are loaded, naming
    the plugin, not in the middle of an evaluation. ``steps``: the known preparation step
    ids (default: the registry's)."""
    what = f"rule set {rs.document.get('id', '?')!r} of plugin {rs.plugin!r}"
    schema_problems("ruleset", rs.document, what)
    if rs.framework not in frameworks:
        hint = difflib.get_close_matches(rs.framework, list(frameworks), n=1)
        near = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise FrameworkError(
            f"{what} overlays unknown framework {rs.framework!r}{near}",
            zh=f"插件 {rs.plugin!r} 的规则集 {rs.id!r} 所依据的框架 {rs.framework!r} 不存在{near}",
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
    framework_from_dict(apply_rule_set(doc, rs), what, steps=steps, kinds=kinds)
