"""Province rules never fall away silently: broken plugins, typos, loosened national rules.

A county bureau signs the verdict, so a county must never come out certified because a
plugin broke, an allow-list was misspelt, or a rule set loosened a national rule by
accident. Every test here fails on an eduscore that lets one of these pass quietly.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import types
import zipfile
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eduscore
from eduscore.cli import print_plugins
from eduscore.errors import FrameworkError
from eduscore.model.framework import Framework, framework_from_dict, framework_to_dict
from eduscore.model.records import RuleSet
from eduscore.plugins import registry as plugins_module
from eduscore.plugins.catalog import applicable_rule_sets, effective_framework, load_framework, with_rule_sets
from eduscore.plugins.hookspecs import hookimpl
from eduscore.plugins.overlay import apply_rule_set, relaxations_between
from eduscore.plugins.registry import HOOK_RECORDS, PluginError, Registry
from eduscore.testing.conformance import RuleSetConformance
from helpers import AT_THRESHOLD_PRIMARY, school, table

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "eduscore-example-province"
Register = Callable[[object, str], None]
SOURCE = {"document": "测试省实施办法", "clause": "第二条"}


def rule_set(rid: str = "test-province", jurisdiction: str = "97", **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": 1,
        "id": rid,
        "version": "1.0.0",
        "framework": "quality-balance-2017",
        "jurisdiction": jurisdiction,
        "name": {"zh": "测试省", "en": "Test province"},
        "source": {"document": "test"},
        "confidence": "I",
    }
    doc.update(changes)
    return doc


def patch(target: str, relaxes: bool = False, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"target": target, "fields": fields, "confidence": "I", "source": SOURCE}
    if relaxes:
        out["relaxes"] = True
    return out


class RuleSetPlugin:
    EDUSCORE_API_VERSION = 2

    def __init__(self, *docs: dict[str, Any]) -> None:
        self.docs = docs

    @hookimpl
    def eduscore_rule_sets(self) -> Iterator[RuleSet]:
        for doc in self.docs:
            yield RuleSet(document=doc)


def raising(hook: str) -> object:
    """A plugin whose ``hook`` raises."""

    def boom(self: object) -> list[object]:
        raise RuntimeError("boom")

    return type("Broken", (), {"EDUSCORE_API_VERSION": 2, hook: hookimpl(boom)})()


def yielding(hook: str, *records: object) -> object:
    """A plugin whose ``hook`` yields ``records``."""

    def produce(self: object) -> list[object]:
        return list(records)

    return type("Plugin", (), {"EDUSCORE_API_VERSION": 2, hook: hookimpl(produce)})()


STRICTER = rule_set(
    "good-province", set=[patch("pe_arts_teachers_per_100", threshold={"by_level": {"primary": 1.0}})]
)


def install(monkeypatch: pytest.MonkeyPatch, **installed: object) -> None:
    """Make ``installed`` (entry-point name → plugin object, or an exception to raise on
    import) the only installed eduscore plugins, as entry points would."""
    points = []
    for name, plugin in installed.items():
        module = f"_eduscore_test_plugin_{name.replace('-', '_')}"
        if isinstance(plugin, Exception):
            module = f"_eduscore_test_missing_{name.replace('-', '_')}"  # ModuleNotFoundError
        else:
            monkeypatch.setitem(sys.modules, module, plugin)
        points.append(metadata.EntryPoint(name=name, value=module, group=plugins_module.ENTRY_POINT_GROUP))
    fake = types.SimpleNamespace(
        entry_points=lambda group: [p for p in points if p.group == group],
        version=metadata.version,
        PackageNotFoundError=metadata.PackageNotFoundError,
    )
    monkeypatch.setattr(plugins_module, "metadata", fake)
    for variable in (plugins_module.ENV_ALLOW, plugins_module.ENV_BLOCK, plugins_module.ENV_TRACE):
        monkeypatch.delenv(variable, raising=False)


def statuses(registry: Registry) -> dict[str, str]:
    return {i.name: i.status for i in registry.plugins()}


# --------------------------------------------------------------------------- 1. names


@pytest.mark.parametrize("variable", ["EDUSCORE_PLUGINS", "EDUSCORE_DISABLE_PLUGINS"])
def test_an_unknown_plugin_name_is_an_error_with_a_suggestion(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(monkeypatch, zhejiang=RuleSetPlugin(STRICTER), hebei=RuleSetPlugin())
    monkeypatch.setenv(variable, "hebei,zhejaing")
    with pytest.raises(PluginError) as err:
        Registry()
    assert f"{variable} names 'zhejaing', but no installed plugin has that name" in str(err.value)
    assert "(did you mean 'zhejiang'?)" in str(err.value)
    assert "zhejaing" in err.value.zh and "是否应为 'zhejiang'" in err.value.zh


def test_the_builtin_plugin_cannot_be_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch)
    monkeypatch.setenv("EDUSCORE_DISABLE_PLUGINS", "eduscore.builtin")
    with pytest.raises(PluginError, match="built-in plugin cannot be blocked"):
        Registry()


def test_a_misspelt_allow_list_fails_the_cli_instead_of_judging_by_national_rules() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDUSCORE_")}
    run = subprocess.run(
        [sys.executable, "-m", "eduscore.cli", "demo"],
        capture_output=True,
        text=True,
        env={**env, "EDUSCORE_PLUGINS": "zhejaing", "EDUSCORE_LANG": "en"},
        check=False,
    )
    assert run.returncode != 0
    assert "'zhejaing'" in run.stderr and "did you mean 'zhejiang'" in run.stderr
    zh = subprocess.run(
        [sys.executable, "-m", "eduscore.cli", "demo"],
        capture_output=True,
        text=True,
        env={**env, "EDUSCORE_PLUGINS": "zhejaing", "EDUSCORE_LANG": "zh"},
        check=False,
    )
    assert zh.returncode != 0 and "是否应为 'zhejiang'" in zh.stderr


# --------------------------------------------------------------------------- 1. refused by name


@pytest.mark.parametrize("hook", list(HOOK_RECORDS))
def test_a_plugin_whose_hook_raises_is_refused_by_name_and_the_others_keep_working(
    hook: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EDUSCORE_LANG", "en")
    install(monkeypatch, good=RuleSetPlugin(STRICTER), broken=raising(hook))
    registry = Registry()
    info = next(i for i in registry.plugins() if i.name == "broken")
    assert info.status == "failed"
    assert info.reason == f"its hook {hook} raised RuntimeError('boom')"
    assert hook in info.reason_zh and "出错" in info.reason_zh
    assert registry.problems() == [info]
    assert statuses(registry)["good"] == "loaded"
    assert [rs.id for rs in registry.rule_sets()] == ["good-province"]
    assert "eduscore: plugin 'broken' (?) failed: its hook" in capsys.readouterr().err


@pytest.mark.parametrize("hook", list(HOOK_RECORDS))
def test_a_plugin_yielding_the_wrong_records_is_refused(hook: str, monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, good=RuleSetPlugin(STRICTER), wrong=yielding(hook, {"id": "a dict"}))
    registry = Registry()
    [problem] = registry.problems()
    kind = HOOK_RECORDS[hook].__name__
    assert (problem.name, problem.status) == ("wrong", "failed")
    assert f"its hook {hook} must yield {kind} records, got {{'id': 'a dict'}}" == problem.reason
    assert [rs.id for rs in registry.rule_sets()] == ["good-province"]


def test_every_kind_of_broken_plugin_is_a_problem_but_switched_off_ones_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Old:
        EDUSCORE_API_VERSION = 99

    class Nothing:
        """Built without its JSON: the hook is there, the documents are not."""

        EDUSCORE_API_VERSION = 2

        @hookimpl
        def eduscore_rule_sets(self) -> list[RuleSet]:
            return []

    loosening = rule_set(
        "loose-province",
        jurisdiction="96",
        set=[patch("pe_arts_teachers_per_100", threshold={"by_level": {"junior": 0.8}})],
    )
    install(
        monkeypatch,
        good=RuleSetPlugin(STRICTER),
        missing=ImportError(),
        old=Old(),
        nothing=Nothing(),
        loose=RuleSetPlugin(loosening),
        blocked=RuleSetPlugin(),
        unlisted=RuleSetPlugin(),
    )
    monkeypatch.setenv("EDUSCORE_DISABLE_PLUGINS", "blocked")
    monkeypatch.setenv("EDUSCORE_PLUGINS", "good,missing,old,nothing,loose,blocked")
    registry = Registry()
    assert statuses(registry) == {
        "eduscore.builtin": "loaded",
        "good": "loaded",
        "nothing": "empty",
        "blocked": "blocked",
        "loose": "failed",
        "missing": "refused",
        "old": "refused",
        "unlisted": "not_allowed",
    }
    problems = {i.name: i for i in registry.problems()}
    assert sorted(problems) == ["loose", "missing", "nothing", "old"]
    assert "cannot be imported: ModuleNotFoundError" in problems["missing"].reason
    assert "needs eduscore plugin API version 99" in problems["old"].reason
    assert "registers nothing" in problems["nothing"].reason and problems["nothing"].reason_zh
    loose = problems["loose"].reason
    assert "rule set 'loose-province' (plugin 'loose') relaxes indicator 'pe_arts_teachers_per_100'" in loose
    assert "threshold (junior) 0.9 → 0.8" in loose and '"relaxes": true' in loose
    assert "放宽" in problems["loose"].reason_zh
    # The good plugin keeps working: its county gets its rule set, the loose one is gone.
    assert [rs.id for rs in registry.rule_sets()] == ["good-province"]


def test_one_module_under_two_entry_point_names_is_refused_once(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, good=RuleSetPlugin(STRICTER))
    twice = [*plugins_module.metadata.entry_points("eduscore")] * 2
    twice[1] = metadata.EntryPoint(name="alias", value=twice[0].value, group="eduscore")
    monkeypatch.setattr(plugins_module.metadata, "entry_points", lambda group: twice)
    registry = Registry()
    # Entry points load in name order: "alias" first, then the same module as "good".
    assert statuses(registry) == {"eduscore.builtin": "loaded", "alias": "loaded", "good": "refused"}
    assert "already registered" in registry.problems()[0].reason


def test_a_county_rule_set_on_top_of_a_failed_province_is_judged_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    province = rule_set(
        "broken-province", set=[patch("pe_arts_teachers_per_100", threshold={"by_level": {"junior": 0.5}})]
    )
    city = rule_set(
        "fine-city", jurisdiction="9701", set=[patch("class_size", threshold={"by_level": {"primary": 40}})]
    )
    install(monkeypatch, province=RuleSetPlugin(province), city=RuleSetPlugin(city))
    registry = Registry()
    assert statuses(registry)["province"] == "failed" and statuses(registry)["city"] == "loaded"
    assert [rs.id for rs in registry.rule_sets()] == ["fine-city"]


def test_a_province_registered_later_is_refused_when_a_city_would_then_relax_it(
    register_plugin: Register,
) -> None:
    """Relaxation is judged against the inherited rule, not only the national one."""
    city = rule_set(
        "city-9701",
        jurisdiction="9701",
        set=[patch("pe_arts_teachers_per_100", threshold={"by_level": {"junior": 1.0}})],
    )
    register_plugin(RuleSetPlugin(city), "city")  # 0.9 → 1.0: stricter than national
    province = rule_set(set=[patch("pe_arts_teachers_per_100", threshold={"by_level": {"junior": 1.2}})])
    with pytest.raises(PluginError) as err:
        register_plugin(RuleSetPlugin(province), "province")
    assert "plugin 'province' refused: rule set 'city-9701' (plugin 'city') relaxes indicator" in str(
        err.value
    )
    assert "threshold (junior) 1.2 → 1" in str(err.value)
    assert [rs.id for rs in eduscore.get_registry().rule_sets() if rs.jurisdiction.startswith("97")] == [
        "city-9701"
    ]


def test_the_installed_plugins_have_no_problems() -> None:
    assert eduscore.get_registry().problems() == []


def test_a_failing_plugin_does_not_take_down_the_commands(tmp_path: Path) -> None:
    """A real installed distribution whose hook raises: `eduscore plugins` lists everything
    and shows the problem; evaluations still run with the other provinces' rule sets."""
    site = tmp_path / "site"
    (site / "eduscore_test_broken").mkdir(parents=True)
    (site / "eduscore_test_broken" / "__init__.py").write_text(
        "from eduscore.plugins.hookspecs import hookimpl\n"
        "EDUSCORE_API_VERSION = 2\n\n"
        "@hookimpl\n"
        "def eduscore_rule_sets():\n"
        "    raise ValueError('the province file is missing')\n"
    )
    info = site / "eduscore_test_broken-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: eduscore-test-broken\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[eduscore]\nbroken-province = eduscore_test_broken\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDUSCORE_")}
    env |= {"PYTHONPATH": str(site), "EDUSCORE_LANG": "en", "LANG": "C.UTF-8"}
    listing = subprocess.run(
        [sys.executable, "-m", "eduscore.cli", "plugins"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert listing.returncode == 0, listing.stderr
    assert "zhejiang 1.0.0  [loaded]" in listing.stdout
    assert (
        "broken-province 0.1.0  [failed]  its hook eduscore_rule_sets raised "
        "ValueError('the province file is missing')"
    ) in listing.stdout
    assert "problems:\n  - plugin 'broken-province' (0.1.0) failed" in listing.stdout
    assert "eduscore: plugin 'broken-province' (0.1.0) failed" in listing.stderr
    code = (
        "import eduscore, pyarrow as pa\n"
        "t = pa.table({'county_code': ['330482'], 'school_id': ['a'], 'school_name': ['x'],"
        " 'school_type': ['primary'], 'students_primary': [800]})\n"
        "r = eduscore.evaluate(schools=t, year=2024)\n"
        "print(sorted({c['rule_set'] for c in r.checks.to_pylist()}))\n"
        "print([p.name for p in eduscore.get_registry().problems()])\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["['national', 'zhejiang-quality-balance']", "['broken-province']"]


# --------------------------------------------------------------------------- 1. conflicts


def test_two_rule_sets_claiming_the_same_county_and_years_are_an_error(
    register_plugin: Register, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDUSCORE_LANG", "en")
    register_plugin(RuleSetPlugin(rule_set("first-97", effective={"from": 2020, "until": 2024})), "first")
    register_plugin(RuleSetPlugin(rule_set("second-97", effective={"from": 2024, "until": None})), "second")
    registry = eduscore.get_registry()
    with pytest.raises(PluginError) as err:
        registry.rule_sets()
    text = str(err.value)
    assert "'second-97' (plugin 'second', years 2024–…)" in text and "'first-97' (plugin 'first'" in text
    assert "both claim jurisdiction 97 for quality-balance-2017" in text and "规则集" in err.value.zh
    with pytest.raises(PluginError):
        eduscore.evaluate(**eduscore.demo_inputs())
    # The listing still shows every plugin, and the conflict.
    assert {"first", "second"} <= {i.name for i in registry.plugins()}
    print_plugins()
    out = capsys.readouterr().out
    assert "first 0  [loaded]" in out and "second 0  [loaded]" in out
    assert "both claim jurisdiction 97" in out


def test_rule_sets_of_one_jurisdiction_in_different_years_are_fine(register_plugin: Register) -> None:
    register_plugin(
        RuleSetPlugin(
            rule_set("old-97", effective={"from": 2018, "until": 2021}),
            rule_set("new-97", effective={"from": 2022, "until": None}),
        ),
        "years",
    )
    assert {"old-97", "new-97"} <= {rs.id for rs in eduscore.get_registry().rule_sets()}


# --------------------------------------------------------------------------- 2. overlays


def test_setting_one_level_keeps_the_other_levels(register_plugin: Register) -> None:
    register_plugin(
        RuleSetPlugin(
            rule_set(set=[patch("teaching_aux_area_per_student", threshold={"by_level": {"primary": 5}})])
        ),
        "one-level",
    )
    fw = effective_framework("970101", "quality-balance-2017", year=2024)
    threshold = fw.indicator("teaching_aux_area_per_student").threshold
    assert threshold is not None and dict(threshold.by_level) == {"primary": 5.0, "junior": 5.8}
    # …and so a junior section below the national 5.8 still fails.
    junior = school(
        "j", county="970101", school_type="junior", students_junior=1000, teaching_aux_area_m2=5000.0
    )
    checks = eduscore.evaluate(schools=table([junior]), year=2024).section_checks.to_pylist()
    area = next(c for c in checks if c["check_id"] == "teaching_aux_area_per_student")
    assert (area["threshold"], area["status"]) == (5.8, "fail")


QB, PS = "quality-balance-2017", "preschool-2020"
UNDECLARED = [
    (
        QB,
        [patch("pe_arts_teachers_per_100", threshold={"by_level": {"junior": 0.8}})],
        "threshold (junior) 0.9 → 0.8",
    ),
    (
        QB,
        [patch("school_size", threshold={"by_school_type": {"nine_year": 2600}})],
        "threshold (nine_year) 2500 → 2600",
    ),
    (QB, [patch("school_size", threshold=2100)], "threshold 2000 → 2100"),
    (PS, [patch("gross_enrollment_3yr", threshold=0.8)], "threshold 0.85 → 0.8"),
    (PS, [patch("teacher_child_ratio", threshold=16)], "threshold 15 → 16"),
    (QB, [patch("cv", limit={"junior": 0.5})], "limit (junior) 0.45 → 0.5"),
    (QB, [patch("school_six_of_seven", floor_ratio=0.8)], "floor_ratio 0.85 → 0.8"),
    (QB, [patch("school_six_of_seven", min_met=5)], "min_met 6 → 5"),
    (QB, [patch("pe_arts_teachers_per_100", comparator="<=")], "comparator >= → <="),
    (QB, [patch("social_recognition", enabled=False)], "enabled true → false"),
    (QB, [patch("legacy_school_size", enabled=True)], "enabled false → true"),
    (QB, [patch("cv", indicators=["sports_area_per_student"])], "indicators teachers_above_degree_per_100"),
    (
        QB,
        [patch("pe_arts_teachers_per_100", formula="pe_arts_teachers / students * 200")],
        "formula 'pe_arts_teachers / students * 100' → 'pe_arts_teachers / students * 200'",
    ),
    (QB, [patch("class_size", applies_when="students > 100")], "applies_when none → 'students > 100'"),
]


@pytest.mark.parametrize(("framework", "changes", "needle"), UNDECLARED)
def test_an_undeclared_relaxation_is_refused_naming_everything(
    framework: str, changes: list[dict[str, Any]], needle: str
) -> None:
    rs = RuleSet(rule_set(framework=framework, set=changes), plugin="lax")
    base = load_framework(framework).raw
    with pytest.raises(FrameworkError) as err:
        apply_rule_set(base, rs)
    text = str(err.value)
    assert "rule set 'test-province' (plugin 'lax') relaxes" in text and repr(changes[0]["target"]) in text
    assert needle in text and '"relaxes": true' in text
    assert "放宽" in err.value.zh and changes[0]["target"] in err.value.zh
    # Declared, the same change is accepted and stays visible on the item.
    declared = RuleSet(
        rule_set(framework=framework, set=[{**c, "relaxes": True} for c in changes]), plugin="lax"
    )
    doc = apply_rule_set(base, declared)
    item = next(i for i in (*doc["indicators"], *doc["rules"]) if i["id"] == changes[0]["target"])
    assert item["origin"]["relaxed"] is True and item["origin"]["rule_set"] == "test-province"
    assert any(needle in r["change"] for r in item["origin"]["relaxations"])
    assert doc["rule_sets"][-1]["relaxed"] is True
    fw = framework_from_dict(doc)
    got = fw.indicator(item["id"]) if item in doc["indicators"] else fw.rule(item["id"])
    assert got.relaxed and got.origin["plugin"] == "lax"


def test_removing_a_rule_must_be_declared_and_removing_an_exemption_need_not() -> None:
    base = load_framework(QB).raw
    with pytest.raises(FrameworkError, match=r"relaxes rule 'class_size' without declaring it: removed"):
        apply_rule_set(base, RuleSet(rule_set(remove=["class_size"]), plugin="p"))
    declared = {"id": "class_size", "relaxes": True, "confidence": "C", "source": SOURCE}
    doc = apply_rule_set(base, RuleSet(rule_set(remove=[declared]), plugin="p"))
    assert "class_size" not in {r["id"] for r in doc["rules"]}
    assert doc["rule_sets"][-1]["relaxations"] == [{"target": "class_size", "change": "removed"}]
    # A relaxation rule is an opt-in exemption: taking it out only makes things stricter.
    doc = apply_rule_set(base, RuleSet(rule_set(remove=["legacy_school_size"]), plugin="p"))
    assert "legacy_school_size" not in {r["id"] for r in doc["rules"]}


def test_more_indicators_a_school_may_miss_is_a_relaxation() -> None:
    six = load_framework(QB).raw["rules"]
    old = next(r for r in six if r["id"] == "school_six_of_seven")
    more = {**old, "indicators": [*old["indicators"], "books_per_student"]}
    assert [r.describe() for r in relaxations_between("s", old, more)] == [
        "indicators a school may miss 1 → 2"
    ]
    assert relaxations_between("s", old, {**more, "min_met": 7}) == []


def test_a_later_rule_set_does_not_hide_a_declared_relaxation() -> None:
    province = RuleSet(
        rule_set(
            set=[patch("pe_arts_teachers_per_100", relaxes=True, threshold={"by_level": {"junior": 0.8}})]
        ),
        plugin="p",
    )
    city = RuleSet(
        rule_set(
            "test-city",
            jurisdiction="9701",
            set=[patch("pe_arts_teachers_per_100", name={"zh": "体艺教师", "en": "PE and arts teachers"})],
        ),
        plugin="c",
    )
    fw = with_rule_sets(load_framework(QB), [province, city])
    ind = fw.indicator("pe_arts_teachers_per_100")
    assert ind.rule_set == "test-city" and ind.relaxed
    assert ind.origin["relaxations"] == [
        {
            "target": "pe_arts_teachers_per_100",
            "change": "threshold (junior) 0.9 → 0.8",
            "rule_set": "test-province",
        }
    ]


def _threshold_slots() -> list[tuple[str, str, str, str, str | None, float]]:
    """(framework, item, comparator, slot kind, key, value) for every plain threshold value
    of every indicator and rule with an ordering comparator in the national frameworks."""
    slots = []
    for fid in eduscore.frameworks():
        doc = load_framework(fid).raw
        for item in (*doc["indicators"], *doc["rules"]):
            raw, comparator = item.get("threshold"), item.get("comparator")
            if comparator not in (">=", ">", "<=", "<") or raw is None:
                continue
            if isinstance(raw, int | float):
                slots.append((fid, item["id"], comparator, "value", None, float(raw)))
                continue
            if "value" in raw:
                slots.append((fid, item["id"], comparator, "value", None, float(raw["value"])))
            for kind in ("by_level", "by_school_type"):
                for key, value in raw.get(kind, {}).items():
                    slots.append((fid, item["id"], comparator, kind, key, float(value)))
    return slots


SLOTS = _threshold_slots()


@settings(max_examples=80, deadline=None)
@given(
    slot=st.sampled_from(SLOTS),
    factor=st.one_of(st.floats(0.05, 0.999), st.floats(1.001, 20.0), st.just(1.0)),
)
def test_stricter_threshold_edits_pass_undeclared_and_looser_ones_are_refused(
    slot: tuple[str, str, str, str, str | None, float], factor: float
) -> None:
    fid, target, comparator, kind, key, old = slot
    new = old * factor if old else factor - 1.0
    threshold = {"value": new} if kind == "value" else {kind: {key: new}}
    rs = RuleSet(rule_set(framework=fid, set=[patch(target, threshold=threshold)]), plugin="p")
    higher_is_stricter = comparator in (">=", ">")
    stricter = new >= old if higher_is_stricter else new <= old
    base = load_framework(fid).raw
    if stricter:
        doc = apply_rule_set(base, rs)
        item = next(i for i in (*doc["indicators"], *doc["rules"]) if i["id"] == target)
        assert "relaxed" not in item["origin"]
    else:
        with pytest.raises(FrameworkError, match="relaxes") as err:
            apply_rule_set(base, rs)
        assert repr(target) in str(err.value) and (key or "threshold") in str(err.value)


# --------------------------------------------------------------------------- 2. conformance kit


def test_the_conformance_kit_fails_a_rule_set_that_relaxes_without_saying_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loosening = rule_set(
        "lax-province", set=[patch("sports_area_per_student", threshold={"by_level": {"primary": 6.0}})]
    )
    install(monkeypatch, lax=RuleSetPlugin(loosening))
    registry = Registry()
    monkeypatch.setattr("eduscore.testing.conformance.get_registry", lambda: registry)

    class TestLax(RuleSetConformance):
        rule_set_ids = ("lax-province",)

    with pytest.raises(AssertionError) as err:
        TestLax().test_documents_validate()
    text = str(err.value)
    assert "rule set 'lax-province' is not registered" in text
    assert "plugin 'lax' (?) failed" in text and "threshold (primary) 7.5 → 6" in text
    # The same kit passes the same rule set once the relaxation is declared with its source.
    declared = copy.deepcopy(loosening)
    declared["set"][0]["relaxes"] = True
    install(monkeypatch, lax=RuleSetPlugin(declared))
    registry = Registry()
    TestLax().test_documents_validate()
    TestLax().test_overlay_changes_only_what_it_declares()


# --------------------------------------------------------------------------- 3. serialiser


def _fields(fw: Framework) -> dict[str, Any]:
    return {k: v for k, v in attrs.asdict(fw).items() if k != "raw"}


def _shipped_effective_frameworks() -> Iterator[tuple[str, Framework]]:
    registry = eduscore.get_registry()
    for rs in registry.rule_sets():
        chain = [
            o
            for o in registry.rule_sets()
            if o.framework == rs.framework and rs.jurisdiction.startswith(o.jurisdiction) and o is not rs
        ]
        yield rs.id, with_rule_sets(load_framework(rs.framework), [*chain, rs])


def test_framework_to_dict_is_the_inverse_of_framework_from_dict() -> None:
    frameworks = [(fid, load_framework(fid)) for fid in eduscore.frameworks()]
    frameworks += list(_shipped_effective_frameworks())
    assert len(frameworks) >= 3 + 9
    for label, fw in frameworks:
        doc = framework_to_dict(fw)
        json.dumps(doc)  # plain JSON
        # A rule of a plugin's kind (the citykit example) needs the kinds the registry knows.
        kinds = eduscore.get_registry().rule_kinds()
        assert _fields(framework_from_dict(doc, label, kinds=kinds)) == _fields(fw), label


def test_an_edited_framework_keeps_its_edit_under_a_province_rule_set() -> None:
    base = load_framework(QB)
    stricter_cv = attrs.evolve(base.rule("cv"), limit={"primary": 0.3, "junior": 0.3})
    edited = attrs.evolve(base, rules=tuple(stricter_cv if r.id == "cv" else r for r in base.rules))
    chain = applicable_rule_sets("330482", QB, 2024)
    assert [rs.id for rs in chain] == ["zhejiang-quality-balance"]
    for fw in (with_rule_sets(edited, chain), effective_framework("330482", edited, year=2024)):
        assert dict(fw.rule("cv").limit) == {"primary": 0.3, "junior": 0.3}
        assert fw.rule("zhejiang_modernisation").rule_set == "zhejiang-quality-balance"
    pinghu = school("a", county="330482", **AT_THRESHOLD_PRIMARY)
    result = eduscore.evaluate(schools=table([pinghu]), framework=edited, year=2024)
    cv = next(c for c in result.checks.to_pylist() if c["check_id"] == "cv.sports_area_per_student.primary")
    assert cv["threshold"] == 0.3


# --------------------------------------------------------------------------- 4. packaging


def _documented_pyproject() -> str:
    text = (ROOT / "docs" / "plugins.md").read_text("utf-8")
    match = re.search(r"### 2\. `pyproject.toml`.*?```toml\n(.*?)```", text, re.S)
    assert match, "docs/plugins.md shows no pyproject.toml"
    return match.group(1)


def test_the_documented_pyproject_is_the_example_s() -> None:
    assert _documented_pyproject() == (EXAMPLE / "pyproject.toml").read_text("utf-8")


def test_a_plugin_that_registers_nothing_is_a_warning(register_plugin: Register) -> None:
    register_plugin(RuleSetPlugin(), "hollow")
    info = next(i for i in eduscore.get_registry().plugins() if i.name == "hollow")
    assert info.status == "empty" and "registers nothing" in info.reason
    assert info in eduscore.get_registry().problems()


def test_the_documented_example_builds_a_wheel_that_loads_its_rule_set(tmp_path: Path) -> None:
    dist, target = tmp_path / "dist", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = dist.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "eduscore_example_province/example_province.json" in names, names
    installed = subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDUSCORE_")}
    env |= {"PYTHONPATH": str(target), "EDUSCORE_PLUGINS": "example-province", "EDUSCORE_LANG": "en"}
    where = subprocess.run(
        [sys.executable, "-c", "import eduscore_example_province as m; print(m.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert where.stdout.strip().startswith(str(target))  # the wheel, not the editable checkout
    listing = subprocess.run(
        [sys.executable, "-m", "eduscore.cli", "plugins"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert listing.returncode == 0, listing.stderr
    assert "example-province 0.1.0  [loaded]" in listing.stdout
    assert "rule set: example-province-quality-balance v0.1.0 (quality-balance-2017, 98)" in listing.stdout
    assert "problems:" not in listing.stdout


def test_a_declared_relaxation_is_shown_on_the_checks_it_loosens(register_plugin: Register) -> None:
    """Relaxing is allowed only aloud: every check it touches says which rule set relaxed
    what, old → new, and a check it does not touch says nothing."""
    doc = rule_set(
        set=[patch("sports_area_per_student", relaxes=True, threshold={"by_level": {"primary": 6.5}})]
    )
    register_plugin(RuleSetPlugin(doc), "relaxing")
    schools = table([school("a", "970101", **{**AT_THRESHOLD_PRIMARY, "sports_area_m2": 7000.0})])
    r = eduscore.evaluate(schools=schools, year=2024)
    checks = {c["check_id"]: c for c in r.checks.to_pylist()}
    six = checks["school_six_of_seven"]
    assert six["relaxed_by"] == "test-province: sports_area_per_student threshold (primary) 7.5 → 6.5"
    assert checks["cv.sports_area_per_student.primary"]["relaxed_by"] is None  # a CV reads no threshold
    assert checks["school_size"]["relaxed_by"] is None
    assert six["status"] == "pass"  # 7.0 m² per pupil meets the relaxed 6.5
    from io import StringIO

    from eduscore.report.terminal import print_report

    for lang, title in (("zh", "规则集声明放宽的项目"), ("en", "Rules relaxed by a rule set")):
        out = StringIO()
        print_report(r, lang=lang, file=out)
        assert title in out.getvalue() and "7.5 → 6.5" in out.getvalue()
