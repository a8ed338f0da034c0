"""Rule kinds of plugins (issue #16): one plugin's kind used by another plugin's rule set,
provenance on every check, the host's guard, and the conformance properties of the kit."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import docx
import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import eduscore
from eduscore.engine.kinds import table_kind
from eduscore.model.records import RuleKind
from eduscore.plugins.hookspecs import hookimpl
from eduscore.plugins.registry import PluginError, Registry, get_registry
from eduscore.report.context import RenderContext
from eduscore.report.formats import write_outputs
from eduscore.testing import RuleKindConformance, check_property
from helpers import AT_THRESHOLD_PRIMARY, school, table
from kind_fixtures import (
    KindPlugin,
    RuleSetPlugin,
    county_coupled,
    floor_kind,
    kind_rule,
    order_dependent,
    passing_on_null,
    raising,
    rule_set_using,
    share_kind,
)

Register = Callable[[object, str], None]
SHARE = {"per_100": 1.0, "min_share": 0.5}


@pytest.fixture
def register_versioned() -> Any:
    """Register plugins with a version (the kit's register_plugin gives '0')."""
    names: list[str] = []

    def register(plugin: object, name: str, version: str = "1.2.0") -> None:
        get_registry().register(plugin, name, version)
        from eduscore.plugins.catalog import clear_caches

        clear_caches()
        names.append(name)

    yield register
    for name in reversed(names):
        get_registry().unregister(name)
    from eduscore.plugins.catalog import clear_caches

    clear_caches()


def _schools() -> pa.Table:
    weak = {**AT_THRESHOLD_PRIMARY, "backbone_teachers_primary": 1}
    return table(
        [
            school("a", county="970101", **AT_THRESHOLD_PRIMARY),
            school("b", county="970101", **weak),
            school("c", county="970102", **AT_THRESHOLD_PRIMARY),
            school("d", county="970103", **weak),
            school("e", county="990101", **AT_THRESHOLD_PRIMARY),
        ]
    )


def _checks(result: eduscore.Result, *rule_ids: str) -> dict[tuple[str, str], dict[str, Any]]:
    rows = result.checks.filter(pc.is_in(result.checks.column("rule_id"), pa.array(list(rule_ids))))
    return {(c["county_code"], c["check_id"]): c for c in rows.to_pylist()}


def test_a_kind_of_one_plugin_is_used_by_a_rule_set_of_another(
    register_versioned: Any, tmp_path: Path
) -> None:
    kit = KindPlugin(share_kind(), floor_kind())
    register_versioned(kit, "citykit", "1.2.0")
    rules = [
        kind_rule("share", "citykit.share_meeting", {**SHARE, "comparator": ">="}),
        kind_rule("floor", "citykit.unit_floor", {"per_100": 1.0}),
    ]
    register_versioned(RuleSetPlugin(rule_set_using(*rules)), "city-rules", "3.1.0")
    info = {i.name: i for i in get_registry().plugins()}
    assert info["citykit"].rule_kinds == ("citykit.share_meeting", "citykit.unit_floor")
    assert "section_threshold" in info["eduscore.builtin"].rule_kinds
    result = eduscore.evaluate(schools=_schools(), year=2025)
    # Called once per rule over every county at once, never per county.
    assert kit.calls == 2
    checks = _checks(result, "share", "floor")
    assert {k[0] for k in checks} == {"970101", "970102", "970103"}  # not the county outside 97
    for check in checks.values():
        assert check["kind_plugin"] == "citykit 1.2.0"
        assert check["rule_set"] == "test-city" and check["rule_set_version"] == "3.1.0"
    assert checks[("970101", "share")]["status"] == "pass"  # one of two schools meets it
    assert checks[("970101", "share")]["value"] == 0.5
    assert checks[("970101", "share")]["comparator"] == ">="
    assert checks[("970103", "share")]["status"] == "fail"
    assert checks[("970103", "share")]["reason"] == "too small a share of schools meets the standard"
    assert checks[("970103", "share")]["reason_zh"] == "达标学校比例低于要求"
    assert checks[("970101", "floor")]["status"] == "fail"  # a section level rule: school b
    assert checks[("970102", "floor")]["status"] == "pass"
    # Built-in checks record no providing plugin.
    national = result.checks.filter(pc.equal(result.checks.column("rule_set"), "national"))
    assert national.column("kind_plugin").null_count == national.num_rows
    # In the JSON (validated by its schema as it is written) and the reports.
    doc = json.loads(result.to_json())
    shown = [c for c in doc["checks"] if c["check_id"] == "share"]
    assert shown and all(c["kind_plugin"] == "citykit 1.2.0" for c in shown)
    write_outputs(RenderContext(result, "en"), tmp_path, ["html", "md"])
    html = " ".join(p.read_text("utf-8") for p in tmp_path.rglob("*.html"))
    assert "citykit.share_meeting: citykit 1.2.0" in html
    md = " ".join(p.read_text("utf-8") for p in tmp_path.rglob("*.md"))
    assert "rule share (`share`)" in md
    # Every report names the kind and its plugin beside the check, quietly.
    assert r"kind citykit.share\_meeting (citykit 1.2.0)" in md  # Markdown-escaped
    written = write_outputs(RenderContext(result, "zh"), tmp_path / "zh", ["xlsx", "docx"])
    book = openpyxl.load_workbook(next(p for p in written if p.suffix == ".xlsx"), read_only=True)
    sheet = book["未达标检查"]  # several counties: the summary workbook's open checks
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("规则种类(插件)")
    assert "citykit.share_meeting (citykit 1.2.0)" in {r[column] for r in rows[1:]}
    cells = [
        cell.text
        for path in (tmp_path / "zh").rglob("*.docx")
        for t in docx.Document(str(path)).tables
        for row in t.rows
        for cell in row.cells
    ]
    assert any("种类 citykit.share_meeting(citykit 1.2.0)" in c for c in cells)


def test_the_per_unit_statuses_of_a_section_kind_are_kept(register_versioned: Any) -> None:
    register_versioned(KindPlugin(floor_kind()), "citykit")
    register_versioned(
        RuleSetPlugin(rule_set_using(kind_rule("floor", "citykit.unit_floor", {"per_100": 1.0}))), "r"
    )
    result = eduscore.evaluate(schools=_schools(), year=2025)
    units = result.section_checks.filter(pc.equal(result.section_checks.column("check_id"), "floor"))
    statuses = dict(zip(units.column("unit_id").to_pylist(), units.column("status").to_pylist(), strict=True))
    assert statuses == {"a:primary": "pass", "b:primary": "fail", "c:primary": "pass", "d:primary": "fail"}


def test_a_kind_no_plugin_provides_fails_to_load_naming_it(register_versioned: Any) -> None:
    doc = rule_set_using(kind_rule("share", "nokit.share_meeting", SHARE))
    with pytest.raises(
        PluginError, match=r"unknown rule kind 'nokit\.share_meeting': no installed plugin provides it"
    ):
        register_versioned(RuleSetPlugin(doc), "city-rules")


def test_a_framework_document_with_an_unknown_kind_fails_to_load(register_versioned: Any) -> None:
    from eduscore.model.framework import framework_to_dict

    doc = framework_to_dict(eduscore.load_framework("quality-balance-2017"))
    doc["rules"].append(kind_rule("share", "nokit.thing", {}))
    with pytest.raises(eduscore.FrameworkError, match=r"'nokit\.thing': no installed plugin provides it"):
        eduscore.load_framework(doc)
    register_versioned(KindPlugin(share_kind(id="nokit.thing")), "nokit")
    with pytest.raises(
        eduscore.FrameworkError, match=r"params do not match the schema of rule kind 'nokit\.thing'"
    ):
        eduscore.load_framework(doc)  # {} lacks per_100
    doc["rules"][-1]["params"] = SHARE
    assert eduscore.load_framework(doc).rule("share").kind == "nokit.thing"


def test_bad_params_are_refused_naming_rule_kind_and_plugin(register_versioned: Any) -> None:
    register_versioned(KindPlugin(share_kind()), "citykit")
    doc = rule_set_using(kind_rule("share", "citykit.share_meeting", {"per_100": "many", "min_share": 0.5}))
    with pytest.raises(PluginError) as caught:
        register_versioned(RuleSetPlugin(doc), "city-rules")
    text = str(caught.value)
    assert "rule share" in text and "'citykit.share_meeting'" in text and "'citykit'" in text
    assert "'many' is not of type 'number'" in text


def test_a_built_in_kind_rule_takes_no_params_and_a_plugin_kind_needs_them(register_versioned: Any) -> None:
    register_versioned(KindPlugin(share_kind()), "citykit")
    no_params = kind_rule("share", "citykit.share_meeting", SHARE)
    del no_params["params"]
    with pytest.raises(PluginError, match="params"):
        register_versioned(RuleSetPlugin(rule_set_using(no_params)), "r1")


@pytest.mark.parametrize(
    "record, needle",
    [
        (share_kind(level="district"), "level must be 'section' or 'county'"),
        (share_kind(level="section", reads="counties"), "a section-level kind reads units"),
        (share_kind(handler=None), "handler is not callable"),
        (share_kind(inputs={"x": "decimal"}), "input 'x' has type 'decimal'"),
        (share_kind(params_schema={"type": 12}), "params_schema is not a valid JSON Schema"),
        (share_kind(builtin=True), "only eduscore's are"),
        (share_kind(id="section_threshold"), "which eduscore itself provides"),
    ],
)
def test_a_broken_kind_record_refuses_its_plugin(record: RuleKind, needle: str) -> None:
    class Plugin:
        EDUSCORE_API_VERSION = 2

        @hookimpl
        def eduscore_rule_kinds(self) -> list[RuleKind]:
            return [record]

    with pytest.raises(PluginError, match="broken-kit") as caught:
        Registry(discover=False).register(Plugin(), "broken-kit")
    assert needle in str(caught.value)


def _bad(what: str) -> Callable[[pa.Table, Mapping[str, Any]], Any]:
    def handler(t: pa.Table, params: Mapping[str, Any]) -> Any:
        from kind_fixtures import share_meeting

        good = share_meeting(t, params)
        if what == "raises":
            return raising(t, params)
        if what == "not a table":
            return good.to_pylist()
        if what == "missing column":
            return good.drop_columns(["threshold"])
        if what == "wrong type":
            return good.set_column(2, "value", pa.array(["x"] * good.num_rows))
        if what == "duplicate key":
            return pa.concat_tables([good, good.slice(0, 1)])
        if what == "unknown key":
            return pa.concat_tables([good, good.slice(0, 1).set_column(0, "key", pa.array(["nowhere|2025"]))])
        if what == "bad status":
            return good.set_column(1, "status", pa.array(["excellent"] * good.num_rows))
        if what == "null key":
            return good.set_column(0, "key", pa.nulls(good.num_rows, pa.string()))
        if what == "unknown reason":
            return good.set_column(4, "reason", pa.array(["made_up"] * good.num_rows))
        raise AssertionError(what)

    return handler


@pytest.mark.parametrize(
    "what, said",
    [
        ("raises", "ZeroDivisionError"),
        ("not a table", "not a pyarrow Table"),
        ("missing column", "lacks the column(s) threshold"),
        ("wrong type", "does not have the output schema"),
        ("duplicate key", "more than one row"),
        ("unknown key", "'nowhere|2025', which it was not given"),
        ("bad status", "status 'excellent' is not one of"),
        ("null key", "have no key"),
        ("unknown reason", "reason code 'made_up'"),
    ],
)
def test_a_failing_kind_makes_its_counties_incomplete_and_others_work(
    register_versioned: Any, capsys: pytest.CaptureFixture[str], what: str, said: str
) -> None:
    register_versioned(KindPlugin(share_kind(handler=_bad(what))), "badkit", "0.9.0")
    register_versioned(KindPlugin(floor_kind()), "goodkit", "2.0.0")
    rules = [
        kind_rule("share", "citykit.share_meeting", SHARE),
        kind_rule("floor", "citykit.unit_floor", {"per_100": 1.0}),
    ]
    register_versioned(RuleSetPlugin(rule_set_using(*rules)), "city-rules")
    capsys.readouterr()
    result = eduscore.evaluate(schools=_schools(), year=2025)
    checks = _checks(result, "share", "floor")
    for county in ("970101", "970102", "970103"):
        failed = checks[(county, "share")]
        assert failed["status"] == "not_assessed"
        assert "'badkit'" not in failed["reason"]  # the reason names it plainly
        assert (
            "rule kind citykit.share_meeting of plugin badkit (0.9.0) failed on rule share"
            in failed["reason"]
        )
        assert said in failed["reason"]
        assert "插件 badkit" in failed["reason_zh"]
        # The other plugin's kind is scored as usual.
        assert checks[(county, "floor")]["kind_plugin"] == "goodkit 2.0.0"
    assert checks[("970101", "floor")]["status"] == "fail" and checks[("970102", "floor")]["status"] == "pass"
    verdicts = {v["county_code"]: v["verdict"] for v in result.verdicts.to_pylist()}
    assert verdicts["970102"] == "incomplete"  # passes all else: not certified on a failed kind
    assert verdicts["970101"] in ("incomplete", "not_certified")
    findings = result.findings.filter(
        pc.equal(result.findings.column("rule"), "plugin_kind_failed")
    ).to_pylist()
    assert len(findings) == 1 and findings[0]["value"] == "badkit" and findings[0]["severity"] == "error"
    assert "rule 'share'" in findings[0]["message_en"] and said in findings[0]["message_en"]
    err = capsys.readouterr().err
    assert err.count("plugin 'badkit' (0.9.0): rule kind 'citykit.share_meeting' failed on rule 'share'") == 1
    json.loads(result.to_json())  # the result stays valid


def test_an_input_the_data_lack_reaches_the_handler_as_nulls(register_versioned: Any) -> None:
    seen: list[pa.Table] = []

    def handler(t: pa.Table, params: Mapping[str, Any]) -> pa.Table:
        seen.append(t)
        from kind_fixtures import share_meeting

        return share_meeting(t.append_column("backbone_teachers", t.column("invented")), params)

    kind = share_kind(inputs={"invented": "float"}, handler=handler)
    register_versioned(KindPlugin(kind), "citykit")
    register_versioned(RuleSetPlugin(rule_set_using(kind_rule("share", "citykit.share_meeting", SHARE))), "r")
    result = eduscore.evaluate(schools=_schools(), year=2025)
    [given] = seen
    assert given.column_names == ["key", "county", "unit", "level", "students", "invented"]
    assert given.column("invented").type == pa.float64() and given.column("invented").null_count == 4
    assert all(c["status"] == "not_assessed" for c in _checks(result, "share").values())


# ----------------------------------------------------------------- the conformance kit


@pytest.mark.parametrize(
    "handler, broken",
    [
        (order_dependent, "row_order_invariant"),
        (county_coupled, "counties_independent"),
        (passing_on_null, "missing_input_not_assessed"),
    ],
)
def test_the_properties_catch_broken_kinds(handler: Any, broken: str) -> None:
    kind = share_kind(handler=handler)
    with pytest.raises(AssertionError):
        check_property(kind, SHARE, broken, max_examples=100)


def test_a_handler_giving_a_bad_table_fails_the_schema_property() -> None:
    kind = share_kind(handler=_bad("duplicate key"))
    with pytest.raises(AssertionError, match="more than one row"):
        check_property(kind, SHARE, "output_schema_holds", max_examples=20)


class TestShareMeetingConforms(RuleKindConformance):
    kind = share_kind()
    params: ClassVar[Mapping[str, Any]] = SHARE


class TestUnitFloorConforms(RuleKindConformance):
    kind = floor_kind()
    params: ClassVar[Mapping[str, Any]] = {"per_100": 1.0}


class TestSectionThresholdConforms(RuleKindConformance):
    """The built-in section_threshold through its table adapter."""

    kind = table_kind("section_threshold", {"backbone_teachers": "float", "teachers": "int"})
    params: ClassVar[Mapping[str, Any]] = {
        "value": "backbone_teachers / students * 100",
        "comparator": ">=",
        "threshold": 1.0,
    }


class TestCountyThresholdConforms(RuleKindConformance):
    """The built-in county_threshold through its table adapter."""

    kind = table_kind("county_threshold", {"rotation_rate": "float", "planning": "bool"})
    params: ClassVar[Mapping[str, Any]] = {
        "value": "rotation_rate * 100",
        "comparator": ">=",
        "threshold": 10.0,
    }


CITYKIT = Path(__file__).resolve().parents[1] / "docs" / "examples" / "eduscore-example-citykit"


def test_the_example_citykit_builds_a_wheel_whose_kind_scores_a_city(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import zipfile

    dist, target = tmp_path / "dist", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(CITYKIT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = dist.glob("*.whl")
    assert "eduscore_example_citykit/example_city.json" in zipfile.ZipFile(wheel).namelist()
    installed = subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDUSCORE_")}
    env |= {"PYTHONPATH": str(target), "EDUSCORE_PLUGINS": "example-citykit", "EDUSCORE_LANG": "en"}
    listing = subprocess.run(
        [sys.executable, "-m", "eduscore.cli", "plugins"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert listing.returncode == 0, listing.stderr
    assert "example-citykit 0.1.0  [loaded]" in listing.stdout
    assert "rule kinds: example-citykit.share_meeting" in listing.stdout
    script = (
        "import eduscore_example_citykit as m, eduscore, pyarrow as pa\n"
        f"assert m.__file__.startswith({str(target)!r}), m.__file__\n"
        "rows = [('a', '960101', 12), ('b', '960101', 3)]\n"
        "t = pa.table({'county_code': [r[1] for r in rows], 'school_id': [r[0] for r in rows],\n"
        "  'school_name': ['x', 'y'], 'school_type': ['primary'] * 2, 'students_primary': [1000] * 2,\n"
        "  'backbone_teachers_primary': [r[2] for r in rows]})\n"
        "r = eduscore.evaluate(schools=t, year=2024)\n"
        "[c] = [c for c in r.checks.to_pylist() if c['rule_id'] == 'example_city_backbone_share']\n"
        "print(c['status'], c['value'], c['kind_plugin'])\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["fail", "0.5", "example-citykit", "0.1.0"]


class TestAttestationConforms(RuleKindConformance):
    """The built-in attestation through its table adapter."""

    kind = table_kind("attestation", {"planning": "bool"})
    params: ClassVar[Mapping[str, Any]] = {"column": "planning"}


class TestPrerequisiteConforms(RuleKindConformance):
    """The built-in prerequisite (a figure against a threshold) through its table adapter."""

    kind = table_kind("prerequisite", {"funding_growth": "float"})
    params: ClassVar[Mapping[str, Any]] = {"value": "funding_growth", "comparator": ">=", "threshold": 0.0}


class TestVetoConforms(RuleKindConformance):
    """The built-in veto through its table adapter."""

    kind = table_kind("veto", {"incidents": "int", "covered_up": "bool"})
    params: ClassVar[Mapping[str, Any]] = {"when": "incidents > 0 and covered_up"}


class TestCountMetWithFloorConforms(RuleKindConformance):
    """The built-in six-of-seven rule through its table adapter."""

    kind = table_kind("count_met_with_floor", {"a": "float", "b": "float", "c": "float"})
    params: ClassVar[Mapping[str, Any]] = {
        "thresholds": {"a": 4.2, "b": 0.9, "c": 2.0},
        "min_met": 2,
        "floor_ratio": 0.85,
    }


@pytest.mark.parametrize(
    ("kind_id", "inputs", "params", "row", "expected"),
    [
        (
            "attestation",
            {"planning": "bool"},
            {"column": "planning"},
            {"planning": False},
            ("fail", "not_attested"),
        ),
        ("attestation", {"planning": "bool"}, {"column": "planning"}, {"planning": True}, ("pass", None)),
        ("veto", {"n": "int"}, {"when": "n > 0"}, {"n": 2}, ("fail", "veto_applies")),
        ("veto", {"n": "int"}, {"when": "n > 0"}, {"n": 0}, ("pass", None)),
        ("veto", {"n": "int"}, {"when": "n > 0"}, {"n": None}, ("not_assessed", "missing_input")),
        (
            "count_met_with_floor",
            {"a": "float", "b": "float", "c": "float"},
            {"thresholds": {"a": 1.0, "b": 1.0, "c": 1.0}, "min_met": 2, "floor_ratio": 0.85},
            {"a": 1.0, "b": 1.0, "c": 0.9},
            ("pass", None),
        ),
        (
            "count_met_with_floor",
            {"a": "float", "b": "float", "c": "float"},
            {"thresholds": {"a": 1.0, "b": 1.0, "c": 1.0}, "min_met": 2, "floor_ratio": 0.85},
            {"a": 1.0, "b": 1.0, "c": 0.5},
            ("fail", "thresholds_met_floor"),
        ),
    ],
)
def test_the_table_adapters_of_built_in_kinds_score_as_the_engine_does(
    kind_id: str, inputs: dict[str, str], params: dict[str, Any], row: dict[str, Any], expected: tuple
) -> None:
    from eduscore.engine.plugin_kinds import run_kind

    kind = table_kind(kind_id, inputs)
    host = {"key": "990101|2024", "county": "990101|2024"}
    if kind.reads == "units":
        host = {
            "key": "990101|2024/s",
            "county": "990101|2024",
            "unit": "s",
            "level": "primary",
            "students": 10,
        }
    out = run_kind(kind, pa.Table.from_pylist([{**host, **row}]), params).to_pylist()
    assert (out[0]["status"], out[0]["reason"]) == expected


def test_kinds_over_more_than_one_table_have_no_table_adapter() -> None:
    for kind_id in ("dispersion_limit", "composite_dispersion", "scope_exclusion", "relaxation"):
        with pytest.raises(eduscore.errors.FrameworkError, match="no table adapter"):
            table_kind(kind_id, {})
