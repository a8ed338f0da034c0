"""The floors of the package (docs/architecture.md): no import circle among eduscore's
modules, and a new rule kind added the documented way — schema enum, one record, one
handler, one test — is scored like the built-in ones."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import attrs
import grimp
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import eduscore
from eduscore.engine import kinds
from eduscore.engine.score import Engine, Stage
from eduscore.model import framework as framework_module
from eduscore.model import rules
from eduscore.model.framework import Rule, framework_from_dict, framework_to_dict
from eduscore.model.rules import FormulaUse


def test_no_import_circle_among_eduscore_modules() -> None:
    """Deferred imports count too (a function-level import that reaches back up is a
    circle); annotations under ``if TYPE_CHECKING:`` do not. The package's ``__init__``
    (the public façade and composition root) imports everything and is imported by none."""
    graph = grimp.build_graph("eduscore", exclude_type_checking_imports=True)
    circles = set()
    for module in graph.modules:
        for other in graph.find_modules_directly_imported_by(module):
            if "eduscore" not in (module, other) and graph.chain_exists(importer=other, imported=module):
                circles.add(tuple(sorted((module, other))))
    assert sorted(circles) == []
    assert not [m for m in graph.modules if "eduscore" in graph.find_modules_directly_imported_by(m)]


# --------------------------------------------------------------------------- a toy rule kind
# The worked example of docs/architecture.md: "at most N school sections per county
# below a value" — a kind the national frameworks do not have.


@attrs.frozen
class AtMostBelow:
    """At most ``max_sections`` units of a county may have ``value`` below ``floor``."""

    kind: ClassVar[str] = "at_most_below"
    value: str
    floor: float
    max_sections: int

    @classmethod
    def from_doc(cls, raw: Mapping[str, Any]) -> AtMostBelow:
        return cls(raw["value"], float(raw["floor"]), int(raw["max_sections"]))

    def formulas(self) -> list[FormulaUse]:
        return [FormulaUse("value", self.value, "unit", "number")]


def at_most_below_checks(engine: Engine, stage: Stage, rule: Rule) -> pa.Table:
    """One check per county: how many in-scope units are below the floor (vectorised)."""
    spec: AtMostBelow = rule.spec
    units = engine.unit_check(stage.units, rule.id, rule.kind, spec.value, ">=", None)
    below = pc.and_(
        pc.fill_null(pc.less(units.column("value"), spec.floor), False),
        pc.equal(units.column("status"), "info"),
    )
    counts = (
        pa.table({"_county": pc.cast(units.column("_county"), pa.string()), "n": pc.cast(below, pa.int64())})
        .group_by("_county", use_threads=False)
        .aggregate([("n", "sum")])
    )
    joined = stage.counties.select(["_county"]).join(counts, "_county", use_threads=False).sort_by("_county")
    n = pc.fill_null(joined.column("n_sum"), 0)
    status = pc.if_else(pc.less_equal(n, spec.max_sections), "pass", "fail")
    reason = pc.if_else(
        pc.equal(status, "fail"),
        pc.binary_join_element_wise(pc.cast(n, pa.string()), pa.scalar("sections below the floor"), " "),
        pa.scalar(None, pa.string()),
    )
    return engine.check_rows(
        joined.column("_county"), rule, rule.id, None, status, pc.cast(n, pa.float64()),
        float(spec.max_sections), "<=", reason,
    )  # fmt: skip


@pytest.fixture
def toy_kind(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # 1. the schema: the kind and its fields (here in memory; a real kind edits
    #    schemas/framework.schema.json)
    original = framework_module.load_schema
    schema = copy.deepcopy(original("framework"))
    schema["$defs"]["builtin_kind"]["enum"].append("at_most_below")
    schema["$defs"]["rule"]["properties"] |= {
        "floor": {"type": "number"},
        "max_sections": {"type": "integer"},
    }
    monkeypatch.setattr(
        framework_module, "load_schema", lambda name: schema if name == "framework" else original(name)
    )
    framework_module.validator.cache_clear()
    # 2. one record, 3. one handler
    monkeypatch.setitem(rules.RECORDS, "at_most_below", AtMostBelow)
    monkeypatch.setitem(
        kinds.HANDLERS, "at_most_below", kinds.KindHandler("at_most_below", at_most_below_checks)
    )
    yield
    framework_module.validator.cache_clear()


def _with_toy_rule(max_sections: int) -> Any:
    doc = framework_to_dict(eduscore.load_framework("quality-balance-2017"))
    doc["rules"].append(
        {
            "id": "few_small_playgrounds",
            "kind": "at_most_below",
            "group": "resources",
            "name": {
                "zh": "运动场地低于8平方米的学校不超过N所",
                "en": "At most N sections below 8 m² of sports area",
            },
            "confidence": "I",
            "source": {"document": "a province's own rule (worked example)"},
            "value": "sports_area_m2 / students",
            "floor": 8.0,
            "max_sections": max_sections,
        }
    )
    return framework_from_dict(doc, "toy", steps=["move_indoor_sports_area"])


@pytest.mark.usefixtures("toy_kind")
def test_a_rule_kind_registered_from_a_test_is_scored() -> None:
    strict, lenient = _with_toy_rule(0), _with_toy_rule(5)
    assert type(strict.rule("few_small_playgrounds").spec) is AtMostBelow
    demo = eduscore.demo_inputs()
    for fw, expected in ((strict, "fail"), (lenient, "pass")):
        result = eduscore.evaluate(**demo, framework=fw)
        (check,) = [c for c in result.checks.to_pylist() if c["check_id"] == "few_small_playgrounds"]
        assert check["status"] == expected, check
        assert check["kind"] == "at_most_below" and check["confidence"] == "I"
    # The demo county has sections below 8 m² per pupil: the strict rule names how many.
    (check,) = [
        c
        for c in eduscore.evaluate(**demo, framework=strict).checks.to_pylist()
        if c["check_id"] == "few_small_playgrounds"
    ]
    assert check["value"] >= 1 and "sections below the floor" in check["reason"]


@pytest.mark.usefixtures("toy_kind")
def test_a_toy_rule_with_a_bad_formula_is_refused_by_the_generic_check() -> None:
    doc = framework_to_dict(_with_toy_rule(0))
    doc["rules"][-1]["value"] = "sports_area_m2 / studnets"
    with pytest.raises(eduscore.FrameworkError, match=r"few_small_playgrounds.*studnets"):
        framework_from_dict(doc, "toy", steps=["move_indoor_sports_area"])


def test_an_unregistered_kind_is_refused_by_the_schema() -> None:
    doc = framework_to_dict(eduscore.load_framework("quality-balance-2017"))
    # A kind eduscore does not know is a plugin's (hook eduscore_rule_kinds): its rules
    # carry params, and no installed plugin provides this one.
    doc["rules"][0] = {**doc["rules"][0], "kind": "at_most_below"}
    with pytest.raises(eduscore.FrameworkError, match="'params' is a required property"):
        framework_from_dict(doc, "toy")
    doc["rules"][0] = {
        k: v
        for k, v in doc["rules"][0].items()
        if k in ("id", "kind", "group", "name", "confidence", "source")
    }
    doc["rules"][0]["params"] = {}
    with pytest.raises(eduscore.FrameworkError, match="'at_most_below': no installed plugin provides it"):
        framework_from_dict(doc, "toy")


def test_every_schema_kind_has_a_record_and_a_handler() -> None:
    schema = framework_module.load_schema("framework")
    enum = set(schema["$defs"]["builtin_kind"]["enum"])
    assert enum == set(rules.RECORDS) == set(kinds.HANDLERS)


def test_a_dispersion_rule_id_with_dots_keeps_its_limits() -> None:
    """Check ids are never split back apart: a CV rule named ``prov.cv`` (dots are legal
    in ids) still gives every CV its limit and status."""
    doc = framework_to_dict(eduscore.load_framework("quality-balance-2017"))
    (cv,) = [r for r in doc["rules"] if r["kind"] == "dispersion_limit"]
    cv["id"] = "prov.cv"
    fw = framework_from_dict(doc, "dotted", steps=["move_indoor_sports_area"])
    dotted = eduscore.evaluate(**eduscore.demo_inputs(), framework=fw)
    plain = eduscore.evaluate(**eduscore.demo_inputs())
    assert dotted.dispersion.column("limit").to_pylist() == plain.dispersion.column("limit").to_pylist()
    assert dotted.dispersion.column("status").to_pylist() == plain.dispersion.column("status").to_pylist()
    assert sum(x is not None for x in dotted.dispersion.column("limit").to_pylist()) >= 10
