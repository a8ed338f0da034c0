"""The plugin system: every hook, discovery switches, overlays, provenance."""

from __future__ import annotations

import copy
import inspect
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import eduscore
from eduscore.model.records import FrameworkDoc, PreparationStep, Renderer, RuleSet
from eduscore.plugins import hookspecs
from eduscore.plugins.hookspecs import hookimpl
from eduscore.plugins.registry import PluginError, Registry
from eduscore.report.context import RenderContext
from eduscore.report.formats import write_outputs
from eduscore.synthetic import national
from helpers import AT_THRESHOLD_PRIMARY, school, table

ROOT = Path(__file__).resolve().parents[1]
Register = Callable[[object, str], None]


def rule_set(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": 1,
        "id": "test-province",
        "version": "2.0.0",
        "framework": "quality-balance-2017",
        "jurisdiction": "97",
        "name": {"zh": "测试省", "en": "Test province"},
        "source": {"document": "test"},
        "confidence": "I",
    }
    doc.update(changes)
    return doc


class RuleSetPlugin:
    EDUSCORE_API_VERSION = 2

    def __init__(self, *docs: dict[str, Any]) -> None:
        self.docs = docs
        self.calls = 0

    @hookimpl
    def eduscore_rule_sets(self) -> Iterator[RuleSet]:
        self.calls += 1
        for doc in self.docs:
            yield RuleSet(document=doc)


def test_builtin_frameworks_come_through_the_hooks(eduscore_registry: Registry) -> None:
    docs = eduscore_registry.frameworks()
    assert {d.plugin for d in docs.values()} == {"eduscore.builtin"}
    assert sorted(docs) == eduscore.frameworks()


def test_hook_eduscore_frameworks(register_plugin: Register) -> None:
    raw = json.loads((resources.files("eduscore") / "frameworks" / "preschool-2020.json").read_text("utf-8"))

    class Frameworks:
        EDUSCORE_API_VERSION = 2

        @hookimpl
        def eduscore_frameworks(self) -> Iterator[FrameworkDoc]:
            doc = copy.deepcopy(raw)
            doc["id"] = "preschool-example"
            doc["rules"] = [r for r in doc["rules"] if r["group"] == "access"]
            yield FrameworkDoc(id="preschool-example", document=doc)

    register_plugin(Frameworks(), "frameworks-plugin")
    assert "preschool-example" in eduscore.frameworks()
    r = eduscore.evaluate(**eduscore.demo_inputs(), framework="preschool-example")
    assert r.checks.column("check_id").to_pylist() == [
        "gross_enrollment_3yr",
        "inclusive_coverage",
        "public_share",
    ]


def test_duplicate_ids_are_rejected_naming_both_plugins(register_plugin: Register) -> None:
    class Clash:
        EDUSCORE_API_VERSION = 2

        def __init__(self, framework_id: str) -> None:
            self.framework_id = framework_id

        @hookimpl
        def eduscore_frameworks(self) -> Iterator[FrameworkDoc]:
            doc = copy.deepcopy(eduscore.load_framework("preschool-2020").raw)
            yield FrameworkDoc(id=self.framework_id, document={**doc, "id": self.framework_id})

    # Re-using an id of eduscore's own is the plugin's fault alone: it is refused by name.
    with pytest.raises(
        PluginError,
        match=r"plugin 'clash' refused: it provides FrameworkDoc 'preschool-2020', which eduscore itself",
    ):
        eduscore.get_registry().register(Clash("preschool-2020"), "clash")
    # Two plugins with the same id: eduscore cannot tell which is meant, and names both.
    register_plugin(Clash("preschool-copy"), "clash-a")
    register_plugin(Clash("preschool-copy"), "clash-b")
    with pytest.raises(
        PluginError,
        match=r"duplicate FrameworkDoc id 'preschool-copy': provided by both 'clash-b' and 'clash-a'",
    ):
        eduscore.get_registry().frameworks()


def test_hook_eduscore_rule_sets(register_plugin: Register) -> None:
    """Every kind of change, effective years, provenance on every check it sets."""
    doc = rule_set(
        effective={"from": 2025, "until": None},
        inputs=[{"table": "counties", "name": "test_plan", "type": "bool", "zh": "测试规划"}],
        set=[
            {
                "target": "cv",
                "fields": {"limit": {"primary": 0.3, "junior": 0.3}},
                "confidence": "I",
                "source": {"document": "t"},
            },
            {
                "target": "teaching_aux_area_per_student",
                "fields": {"threshold": {"by_level": {"primary": 5.0}}},
                "confidence": "I",
                "source": {"document": "t"},
            },
        ],
        remove=[
            {
                "id": "multimedia_classrooms_per_100",
                "relaxes": True,
                "confidence": "I",
                "source": {"document": "t", "clause": "art. 2"},
            }
        ],
        add_rules=[
            {
                "id": "test_plan",
                "kind": "prerequisite",
                "group": "prerequisite",
                "name": {"zh": "规划", "en": "Plan"},
                "column": "test_plan",
                "confidence": "I",
                "source": {"document": "t"},
            },
            {
                "id": "test_exclude_small",
                "kind": "scope_exclusion",
                "group": "scope",
                "name": {"zh": "小", "en": "small"},
                "when": "students < 20",
                "reason": {"zh": "小", "en": "small"},
                "confidence": "I",
                "source": {"document": "t"},
            },
        ],
    )
    plugin = RuleSetPlugin(doc)
    register_plugin(plugin, "test-province")
    old = eduscore.effective_framework("970101", "quality-balance-2017", year=2024)
    new = eduscore.effective_framework("970101", "quality-balance-2017", year=2025)
    assert old.rule_sets == () and dict(old.rule("cv").limit) == {"primary": 0.5, "junior": 0.45}
    assert [r["rule_set"] for r in new.rule_sets] == ["test-province"]
    assert dict(new.rule("cv").limit) == {"primary": 0.3, "junior": 0.3}
    assert "multimedia_classrooms_per_100" not in new.rule("school_six_of_seven").indicators
    # The declared removal stays visible: the rule set's entry and the rules that lost it say so.
    assert new.rule_sets[0]["relaxations"] == [
        {"target": "multimedia_classrooms_per_100", "change": "removed"}
    ]
    assert new.rule("school_six_of_seven").relaxed and new.rule("cv").relaxed
    assert not new.indicator("teaching_aux_area_per_student").relaxed  # 4.5 → 5.0 is stricter
    assert (
        new.rule("test_plan").rule_set == "test-province"
        and new.rule("test_plan").rule_set_version == "2.0.0"
    )
    assert new.indicator("teaching_aux_area_per_student").threshold.for_level("primary") == 5.0  # type: ignore[union-attr]
    assert new.indicator("teaching_aux_area_per_student").rule_set == "test-province"
    rows = [
        school("a", county="970101", **AT_THRESHOLD_PRIMARY),
        school("b", county="970101", students_primary=10),
        school("c", county="990101", **AT_THRESHOLD_PRIMARY),
    ]
    r = eduscore.evaluate(schools=table(rows), year=2025)
    checks = {(c["county_code"], c["check_id"]): c for c in r.checks.to_pylist()}
    assert checks[("970101", "cv.sports_area_per_student.primary")]["threshold"] == 0.3
    assert checks[("970101", "cv.sports_area_per_student.primary")]["rule_set"] == "test-province"
    assert checks[("990101", "cv.sports_area_per_student.primary")]["threshold"] == 0.5
    assert checks[("990101", "cv.sports_area_per_student.primary")]["rule_set"] == "national"
    assert ("970101", "cv.multimedia_classrooms_per_100.primary") not in checks
    assert checks[("970101", "test_plan")]["status"] == "not_assessed"
    assert ("990101", "test_plan") not in checks
    assert [e["unit_id"] for e in r.excluded.to_pylist()] == ["b:primary"]
    assert plugin.calls == 1  # collected once, not per county or per row


def test_unknown_targets_in_a_rule_set_name_the_plugin(register_plugin: Register) -> None:
    bad = rule_set(
        set=[
            {
                "target": "sports_area_per_studnet",
                "fields": {"threshold": 1},
                "confidence": "I",
                "source": {"document": "t"},
            }
        ]
    )
    with pytest.raises(
        PluginError, match=r"plugin 'typo-plugin' refused: .*did you mean 'sports_area_per_student'"
    ):
        register_plugin(RuleSetPlugin(bad), "typo-plugin")
    assert "test-province" not in {rs.id for rs in eduscore.get_registry().rule_sets()}


def test_hook_eduscore_preparation_steps(register_plugin: Register) -> None:
    seen: list[int] = []

    def halve_area(units: pa.Table) -> pa.Table:
        seen.append(units.num_rows)
        i = units.column_names.index("teaching_aux_area_m2")
        return units.set_column(i, "teaching_aux_area_m2", pc.divide(units.column(i), 2.0))

    class Steps:
        EDUSCORE_API_VERSION = 2

        @hookimpl
        def eduscore_preparation_steps(self) -> Iterator[PreparationStep]:
            yield PreparationStep("test_halve_area", halve_area, "halve the teaching area")

        @hookimpl
        def eduscore_rule_sets(self) -> Iterator[RuleSet]:
            yield RuleSet(
                document=rule_set(
                    options=[
                        {
                            "id": "test_halve_area",
                            "name": {"zh": "减半", "en": "Halve"},
                            "default": True,
                            "confidence": "I",
                            "source": {"document": "t"},
                        }
                    ]
                )
            )

    register_plugin(Steps(), "steps")
    data = national(0.02, seed=3)["schools"]
    codes = pc.if_else(
        pc.less(pc.cast(pc.utf8_slice_codeunits(data.column("school_id"), 1), pa.int64()), 1000),
        "970101",
        data.column("county_code"),
    )
    data = data.set_column(data.column_names.index("county_code"), "county_code", codes)
    r = eduscore.evaluate(schools=data)
    assert len(seen) == 1 and seen[0] > 1000  # once per evaluation (per chain), over the whole table
    mine = {s["unit_id"]: s for s in r.sections.to_pylist() if s["county_code"] == "970101"}
    assert mine, "some sections are in the test province"
    raw = {row["school_id"]: row for row in data.to_pylist()}
    for uid, s in list(mine.items())[:20]:
        row = raw[uid.split(":")[0]]
        if row["school_type"] in ("primary", "junior") and s["teaching_aux_area_per_student"] is not None:
            assert s["teaching_aux_area_per_student"] == pytest.approx(
                row["teaching_aux_area_m2"] / 2 / s["students"]
            )


def test_hook_eduscore_renderers(register_plugin: Register, tmp_path: Path) -> None:
    def render_count(context: RenderContext, out: Path) -> Path:
        out.mkdir(parents=True, exist_ok=True)
        path = out / "count.txt"
        path.write_text(str(context.result.verdicts.num_rows))
        return path

    class Renderers:
        EDUSCORE_API_VERSION = 2

        @hookimpl
        def eduscore_renderers(self) -> Iterator[Renderer]:
            yield Renderer("count", ".txt", render_count, "number of counties")

    register_plugin(Renderers(), "renderers")
    result = eduscore.evaluate(**eduscore.demo_inputs())
    written = write_outputs(result, tmp_path, ["json", "count"])
    assert written[1].read_text() == "1" and (tmp_path / "result.json").exists()
    with pytest.raises(eduscore.InputError, match="unknown output format"):
        write_outputs(result, tmp_path, ["pdf"])


def test_a_misspelt_hook_fails_loudly() -> None:
    class Typo:
        EDUSCORE_API_VERSION = 2

        @hookimpl
        def eduscore_rule_set(self) -> list[RuleSet]:  # missing the final "s"
            return []

    with pytest.raises(PluginError, match=r"plugin 'typo'.*eduscore_rule_set.*misspelt"):
        Registry(discover=False).register(Typo(), "typo")


@pytest.mark.parametrize(
    ("version", "needle"), [(None, "does not declare"), (1, "needs eduscore plugin API version 1")]
)
def test_an_incompatible_plugin_is_refused_by_name(version: int | None, needle: str) -> None:
    class Old:
        @hookimpl
        def eduscore_rule_sets(self) -> list[RuleSet]:
            return []

    if version is not None:
        Old.EDUSCORE_API_VERSION = version  # type: ignore[attr-defined]
    with pytest.raises(PluginError, match=rf"plugin 'old-plugin' refused: .*{needle}"):
        Registry(discover=False).register(Old(), "old-plugin")


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("EDUSCORE_")} | env
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, check=False)


HEBEI = """
import eduscore, pyarrow as pa
t = pa.table({"county_code": ["130102"] * 2, "school_id": ["a", "b"], "school_name": ["x", "y"],
              "school_type": ["primary", "teaching_point"], "students_primary": [800, 40]})
print([e["excluded_by"] for e in eduscore.evaluate(schools=t).excluded.to_pylist()])
"""


def test_installed_plugins_are_listed_and_blockable() -> None:
    infos = {i.name: i for i in eduscore.get_registry().plugins()}
    hebei = infos["hebei"]
    assert (hebei.status, hebei.version, hebei.jurisdictions, hebei.frameworks) == (
        "loaded",
        "1.0.0",
        ("13",),
        ("quality-balance-2017",),
    )
    assert _run(HEBEI).stdout.strip() == "['hebei_exclude_small_teaching_points']"
    blocked = _run(HEBEI, EDUSCORE_DISABLE_PLUGINS="hebei")
    assert blocked.stdout.strip() == "[]"
    listing = subprocess.run(
        [sys.executable, "-m", "eduscore.cli", "plugins"],
        capture_output=True,
        text=True,
        env={**os.environ, "EDUSCORE_DISABLE_PLUGINS": "hebei"},
        check=False,
    )
    assert "hebei 1.0.0  [已被禁用]" in listing.stdout
    listing = subprocess.run(
        [sys.executable, "-m", "eduscore.cli", "plugins", "--lang", "en"],
        capture_output=True,
        text=True,
        env={**os.environ, "EDUSCORE_DISABLE_PLUGINS": "hebei"},
        check=False,
    )
    assert "hebei 1.0.0  [blocked]" in listing.stdout
    allowed = _run(HEBEI, EDUSCORE_PLUGINS="zhejiang")
    assert allowed.stdout.strip() == "[]"


def test_trace_prints_every_hook_call() -> None:
    traced = _run(HEBEI, EDUSCORE_TRACE_PLUGINS="1", EDUSCORE_PLUGINS="hebei")
    assert "eduscore: hook eduscore_rule_sets → hebei: hebei-quality-balance" in traced.stderr
    assert "eduscore: hook eduscore_frameworks → eduscore.builtin" in traced.stderr


def test_every_hook_is_documented_and_tested() -> None:
    reference = (ROOT / "docs" / "hooks.md").read_text("utf-8")
    this_file = Path(__file__).read_text("utf-8")
    hooks = [
        name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("eduscore_")
    ]
    assert len(hooks) == 5
    for name in hooks:
        assert (getattr(hookspecs, name).__doc__ or "").strip(), f"{name} has no docstring"
        assert f"## `{name}`" in reference, f"docs/hooks.md does not document {name}"
        assert f"def test_hook_{name}(" in this_file, f"no test_hook_{name} in tests/test_plugins.py"


def test_a_rule_set_can_add_an_indicator_and_use_it(register_plugin: Register) -> None:
    """add_indicators + set the lists of the six-of-seven and CV rules + an added relaxation."""
    indicator = {
        "id": "books_per_student",
        "name": {"zh": "生均图书", "en": "Books per student"},
        "unit": {"zh": "册/生", "en": "volumes per student"},
        "formula": "books / students",
        "comparator": ">=",
        "threshold": {"by_level": {"primary": 20, "junior": 30}},
        "confidence": "I",
        "source": {"document": "t"},
    }
    national_seven = list(eduscore.load_framework("quality-balance-2017").rule("cv").indicators)
    doc = rule_set(
        add_indicators=[indicator],
        set=[
            {
                "target": "cv",
                "fields": {"indicators": [*national_seven, "books_per_student"]},
                "confidence": "I",
                "source": {"document": "t"},
            },
            {
                "target": "school_six_of_seven",
                "fields": {"indicators": [*national_seven, "books_per_student"], "min_met": 7},
                "confidence": "I",
                "source": {"document": "t"},
            },
        ],
        add_rules=[
            {
                "id": "test_books_relaxed",
                "kind": "relaxation",
                "group": "relaxation",
                "name": {"zh": "放宽", "en": "relaxed"},
                "when": "location == 'rural'",
                "targets": [{"target": "books_per_student", "threshold": 10}],
                "confidence": "I",
                "source": {"document": "t"},
            }
        ],
    )
    register_plugin(RuleSetPlugin(doc), "adds-indicator")
    rows = [
        school("a", county="970101", location="rural", books=1500, **AT_THRESHOLD_PRIMARY),
        school("b", county="970101", location="urban", books=30000, **AT_THRESHOLD_PRIMARY),
    ]
    plain = eduscore.evaluate(schools=table(rows))
    got = {s["unit_id"]: s for s in plain.sections.to_pylist()}
    assert (
        got["a:primary"]["books_per_student"] == 1.5
        and got["a:primary"]["school_six_of_seven__status"] == "fail"
    )
    assert got["b:primary"]["school_six_of_seven__met_count"] == 8
    assert "cv.books_per_student.primary" in plain.checks.column("check_id").to_pylist()
    relaxed = eduscore.evaluate(schools=table(rows), relaxations=["test_books_relaxed"])
    books = next(
        c
        for c in relaxed.section_checks.to_pylist()
        if c["unit_id"] == "a:primary" and c["check_id"] == "books_per_student"
    )
    assert books["threshold"] == 10 and books["relaxation"] == "test_books_relaxed"


def test_hook_eduscore_rule_kinds(register_plugin: Register) -> None:
    """A plugin's rule kind, used by a rule set: scored once over every county, with its
    provider on each check (tests/test_rule_kinds.py tests the rest)."""
    from kind_fixtures import KindPlugin, kind_rule, rule_set_using, share_kind
    from kind_fixtures import RuleSetPlugin as Rules

    kinds = KindPlugin(share_kind())
    register_plugin(kinds, "citykit")
    register_plugin(
        Rules(
            rule_set_using(kind_rule("share", "citykit.share_meeting", {"per_100": 1.0, "min_share": 0.5}))
        ),
        "city",
    )
    assert eduscore.get_registry().rule_kinds()["citykit.share_meeting"].plugin == "citykit"
    rows = [school(s, county=c, **AT_THRESHOLD_PRIMARY) for s, c in (("a", "970101"), ("b", "970102"))]
    r = eduscore.evaluate(schools=table(rows), year=2025)
    share = r.checks.filter(pc.equal(r.checks.column("rule_id"), "share")).to_pylist()
    assert kinds.calls == 1
    assert [(c["county_code"], c["status"], c["kind_plugin"]) for c in share] == [
        ("970101", "pass", "citykit 0"),
        ("970102", "pass", "citykit 0"),
    ]
