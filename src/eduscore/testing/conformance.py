"""The conformance suite every rule-set plugin runs.

Subclass :class:`RuleSetConformance` in a test module of your plugin and name your
rule sets; pytest then runs every test below against them::

    from eduscore.testing.conformance import RuleSetConformance

    class TestConformance(RuleSetConformance):
        rule_set_ids = ("zhejiang-quality-balance",)

The properties, stated exactly:

1. **Documents validate**: each rule set matches ``schemas/ruleset.schema.json`` and,
   applied after the rule sets of the wider jurisdictions above it, gives a framework
   that validates against ``schemas/framework.schema.json`` with every formula compiling;
   and it **relaxes nothing without saying so**: every change that makes a national or
   inherited rule easier to meet (:func:`eduscore.plugins.overlay.relaxations_between`) and every
   removal is declared with ``"relaxes": true`` (else the plugin is refused when loaded
   and this test fails with the reason).
2. **Never raises, accounts for every row**: evaluating random valid tables for counties
   inside (and one outside) the jurisdiction raises nothing; for every input table,
   rows = scored + excluded + rejected; the JSON result validates.
3. **Monotonicity** (school-section frameworks): adding a non-negative amount of one
   resource (a numerator of ``≥`` indicators: qualified teachers, floor area, equipment,
   rooms) to one single-level school section, all else equal,
   (a) never turns a passing ``≥`` indicator check of that section into a failing one;
   (b) never turns its passing count-met-with-floor rule into a failing one;
   (c) never raises a CV of an indicator computed from that resource when the section's
   new value is at or below the county's new student-weighted mean — raising a value
   that stays below the mean narrows the spread; above the mean it may widen it, and the
   property says nothing there. (Proof: with student shares w, dVar/dx_s = 2 w_s (x_s − x̄)
   ≤ 0 while x_s ≤ x̄, and x_s − x̄ only grows as x_s grows, so the end state decides;
   x̄ grows, so S / x̄ falls.)
4. **An overlay changes only what it declares**: comparing the effective framework with
   and without the rule set, every indicator and rule the rule set does not name (in
   ``set``, ``remove``, ``add_*``) is identical, added items are exactly those declared,
   and the aggregation changes only if the rule set declares one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from eduscore.engine.evaluate import evaluate
from eduscore.model.framework import framework_to_dict
from eduscore.model.records import RuleSet
from eduscore.plugins.catalog import load_framework, with_rule_sets
from eduscore.plugins.overlay import apply_rule_set, removed_ids, validate_rule_set
from eduscore.plugins.registry import get_registry
from eduscore.testing.strategies import counties_tables, kindergartens_tables, schools_tables

# Resources that are numerators of the national "≥" indicators, per level where counted per level.
PER_LEVEL_RESOURCES = ("teachers_above_degree", "backbone_teachers", "pe_arts_teachers")
SHARED_RESOURCES = ("teaching_aux_area_m2", "sports_area_m2", "equipment_value_cny", "multimedia_classrooms")


def _add(table: pa.Table, column: str, row: int, amount: float) -> pa.Table:
    values = pc.cast(table.column(column), pa.float64()).to_pylist()
    values[row] = (values[row] or 0.0) + amount
    return table.set_column(table.column_names.index(column), column, pa.array(values, pa.float64()))


def codes_in(jurisdiction: str) -> tuple[str, ...]:
    """Two county codes inside a jurisdiction prefix and one outside it."""
    pad = {2: ("0102", "0201"), 4: ("02", "03"), 6: ("",)}[len(jurisdiction)]
    inside = tuple(jurisdiction + p for p in pad)
    outside = "990101" if not jurisdiction.startswith("99") else "980101"
    return (*inside, outside)


def _rule_set(rule_set_id: str) -> RuleSet:
    registry = get_registry()
    for rs in registry.rule_sets():
        if rs.id == rule_set_id:
            return rs
    known = ", ".join(rs.id for rs in registry.rule_sets()) or "none"
    # A plugin refused when the registry was built (a hook raised, an invalid document, a
    # relaxation not declared) is the usual reason: say why, not just "missing".
    problems = "".join(f"\n  {info.message('en')}" for info in registry.problems())
    raise AssertionError(
        f"rule set {rule_set_id!r} is not registered (is the plugin installed?); registered: {known}"
        + (f"\nplugins that failed to load:{problems}" if problems else "")
    )


def _ancestors(rs: RuleSet) -> list[RuleSet]:
    return [
        o
        for o in get_registry().rule_sets()
        if o.framework == rs.framework
        and len(o.jurisdiction) < len(rs.jurisdiction)
        and rs.jurisdiction.startswith(o.jurisdiction)
    ]


def declared_ids(rs: RuleSet) -> set[str]:
    spec = rs.document
    ids = {p["target"] for p in spec.get("set", ())} | set(removed_ids(spec))
    ids |= {x["id"] for x in (*spec.get("add_indicators", ()), *spec.get("add_rules", ()))}
    return ids


def _items(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {i["id"]: i for i in doc["indicators"]} | {r["id"]: r for r in doc["rules"]}


# Each plugin subclasses the suite, so the same test method runs on several classes: that is
# intended here, not a flaky executor.
_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
)


class RuleSetConformance:
    """Base class: set ``rule_set_ids`` to the ids of your plugin's rule sets."""

    rule_set_ids: ClassVar[tuple[str, ...]] = ()

    def rule_sets(self) -> list[RuleSet]:
        assert self.rule_set_ids, "set rule_set_ids on your conformance test class"
        return [_rule_set(i) for i in self.rule_set_ids]

    # 1 ---------------------------------------------------------------------------
    def test_documents_validate(self) -> None:
        registry = get_registry()
        for rs in self.rule_sets():
            validate_rule_set(rs, registry.frameworks(), registry.rule_sets(), kinds=registry.rule_kinds())
            fw = with_rule_sets(load_framework(rs.framework), [*_ancestors(rs), rs])
            assert fw.rule_sets[-1]["rule_set"] == rs.id
            assert rs.document["confidence"] in ("C", "S", "I")

    # 2 ---------------------------------------------------------------------------
    @_SETTINGS
    @given(data=st.data())
    def test_random_tables_never_raise_and_account_for_every_row(self, data: st.DataObject) -> None:
        for rs in self.rule_sets():
            codes = codes_in(rs.jurisdiction)
            unit = load_framework(rs.framework).unit
            counties = data.draw(counties_tables(codes))
            if unit == "sections":
                units = {"schools": data.draw(schools_tables(max_schools=12, counties=codes))}
            else:
                units = {"kindergartens": data.draw(kindergartens_tables(max_rows=12, counties=codes))}
            result = evaluate(**units, counties=counties, framework=rs.framework, year=2024)
            for row in result.accounting.to_pylist():
                assert row["rows"] == row["scored"] + row["excluded"] + row["rejected"] + row["unused"], row
            result.to_json()
            # Provenance: inside the jurisdiction, the checks of the rules this rule set
            # declares carry its id (or a more specific rule set's); outside, never its id.
            narrower = {
                o.id for o in get_registry().rule_sets() if o.jurisdiction.startswith(rs.jurisdiction)
            }
            declared = declared_ids(rs) - set(removed_ids(rs.document))
            for c in result.checks.to_pylist():
                if c["county_code"].startswith(rs.jurisdiction):
                    if c["rule_id"] in declared:
                        assert c["rule_set"] in narrower, c
                else:
                    assert c["rule_set"] != rs.id, c

    # 3 ---------------------------------------------------------------------------
    @_SETTINGS
    @given(data=st.data())
    def test_adding_resources_is_monotone(self, data: st.DataObject) -> None:
        for rs in self.rule_sets():
            if load_framework(rs.framework).unit != "sections":
                continue
            code = codes_in(rs.jurisdiction)[0]
            schools = data.draw(
                schools_tables(min_schools=2, max_schools=10, counties=(code,), missing=False)
            )
            types = schools.column("school_type").to_pylist()
            single = [i for i, t in enumerate(types) if t in ("primary", "junior", "teaching_point")]
            assume(single)
            i = data.draw(st.sampled_from(single))
            level = "junior" if types[i] == "junior" else "primary"
            resource = data.draw(st.sampled_from(PER_LEVEL_RESOURCES + SHARED_RESOURCES))
            column = f"{resource}_{level}" if resource in PER_LEVEL_RESOURCES else resource
            amount = data.draw(st.floats(min_value=0, max_value=1e4, allow_nan=False))
            added = amount if resource.endswith(("_m2", "_cny")) else float(round(amount))
            richer = _add(schools, column, i, added)
            if resource in PER_LEVEL_RESOURCES:
                # Qualified teachers are teachers too: the new ones join the full-time count.
                richer = _add(richer, f"teachers_{level}", i, added)
            before = evaluate(schools=schools, framework=rs.framework, year=2024)
            after = evaluate(schools=richer, framework=rs.framework, year=2024)
            fw = with_rule_sets(load_framework(rs.framework), [*_ancestors(rs), rs])
            unit = f"{schools.column('school_id')[i].as_py()}:{level}"
            grown = {ind.id for ind in fw.indicators if ind.comparator == ">=" and resource in ind.formula}

            def statuses(r: Any, unit: str = unit) -> dict[str, str]:
                sc = r.section_checks
                mine = sc.filter(pc.equal(sc.column("unit_id"), unit)).to_pylist()
                return {c["check_id"]: c["status"] for c in mine}

            b, a = statuses(before), statuses(after)
            for check_id, status in b.items():
                if status == "pass" and (
                    check_id in grown or check_id in {r.id for r in fw.rules_of("count_met_with_floor")}
                ):
                    assert a[check_id] == "pass", (unit, check_id, resource)
            value_after = {
                c["check_id"]: c["value"]
                for c in after.section_checks.filter(
                    pc.equal(after.section_checks.column("unit_id"), unit)
                ).to_pylist()
            }
            cv_before = {(d["indicator"], d["level"]): d for d in before.dispersion.to_pylist()}
            for d in after.dispersion.to_pylist():
                if d["indicator"] not in grown or d["level"] != level or d["cv"] is None:
                    continue
                old = cv_before[(d["indicator"], d["level"])]
                x = value_after.get(d["indicator"])
                if old["cv"] is not None and x is not None and x <= d["mean"] * (1 - 1e-12):
                    assert d["cv"] <= old["cv"] * (1 + 1e-9) + 1e-12, (d["indicator"], old["cv"], d["cv"])

    # 4 ---------------------------------------------------------------------------
    def test_overlay_changes_only_what_it_declares(self) -> None:
        for rs in self.rule_sets():
            base_fw = with_rule_sets(load_framework(rs.framework), _ancestors(rs))
            before = framework_to_dict(base_fw)
            after = apply_rule_set(before, rs)
            declared = declared_ids(rs)
            removed = set(removed_ids(rs.document))
            b_items, a_items = _items(before), _items(after)
            assert set(a_items) == (set(b_items) - removed) | {
                x["id"] for x in (*rs.document.get("add_indicators", ()), *rs.document.get("add_rules", ()))
            }
            for item_id, item in b_items.items():
                if item_id in declared:
                    continue
                changed = a_items[item_id]
                if removed and set(changed.get("indicators", ())) != set(item.get("indicators", ())):
                    assert set(item["indicators"]) - set(changed["indicators"]) <= removed
                    continue
                assert changed == item, f"{rs.id} changed {item_id} without declaring it"
            if "verdict" not in rs.document:
                assert after.get("verdict") == before.get("verdict")
            if not rs.document.get("verdict_modifiers"):
                assert after.get("verdict_modifiers") == before.get("verdict_modifiers")
            for key in ("unit", "levels", "weight", "split", "id", "version"):
                assert after.get(key) == before.get(key), key
