"""Framework documents: valid against the schema, equal to the spec's numbers, and extensible."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pyarrow as pa
import pytest

import eduscore
from eduscore.errors import FrameworkError
from eduscore.model.framework import framework_from_dict, load_schema

ROOT = Path(__file__).resolve().parents[1]

# frameworks.md §2.2: (primary, junior) thresholds of the seven resource indicators.
SPEC_2017 = {
    "teachers_above_degree_per_100": (4.2, 5.3),
    "backbone_teachers_per_100": (1.0, 1.0),
    "pe_arts_teachers_per_100": (0.9, 0.9),
    "teaching_aux_area_per_student": (4.5, 5.8),
    "sports_area_per_student": (7.5, 10.2),
    "equipment_value_per_student": (2000, 2500),
    "multimedia_classrooms_per_100": (2.3, 2.4),
}


def raw(fid: str) -> dict:
    return json.loads((resources.files("eduscore") / "frameworks" / f"{fid}.json").read_text("utf-8"))


@pytest.mark.parametrize("fid", ["quality-balance-2017", "basic-balance-2012", "preschool-2020"])
def test_documents_validate_against_schema(fid: str) -> None:
    jsonschema.validate(raw(fid), load_schema("framework"), cls=jsonschema.Draft202012Validator)
    fw = eduscore.load_framework(fid)
    assert fw.id == fid
    for item in (*fw.indicators, *fw.rules):
        assert item.confidence in ("C", "S", "I")
        assert item.source.document and item.name.zh and item.name.en


def test_quality_balance_thresholds_and_limits_equal_the_spec() -> None:
    fw = eduscore.load_framework("quality-balance-2017")
    assert [i.id for i in fw.indicators] == list(SPEC_2017)
    for ind in fw.indicators:
        assert ind.comparator == ">=" and ind.threshold is not None
        assert (ind.threshold.for_level("primary"), ind.threshold.for_level("junior")) == SPEC_2017[ind.id]
    six = fw.rule("school_six_of_seven")
    assert (six.min_met, six.floor_ratio, len(six.indicators)) == (6, 0.85, 7)
    assert dict(fw.rule("cv").limit) == {"primary": 0.50, "junior": 0.45}
    assert fw.split is not None and dict(fw.split.weights) == {"primary": 1, "junior": 1.1, "senior": 1.32}
    t = {r.id: r for r in fw.rules}
    assert t["school_size"].threshold.value == 2000  # type: ignore[union-attr]
    assert dict(t["school_size"].threshold.by_school_type) == {"nine_year": 2500, "twelve_year": 2500}  # type: ignore[union-attr]
    assert dict(t["class_size"].threshold.by_level) == {"primary": 45, "junior": 50}  # type: ignore[union-attr]
    assert t["music_art_rooms.music_area"].threshold.value == 96  # type: ignore[union-attr]
    assert t["music_art_rooms.art_area"].threshold.value == 90  # type: ignore[union-attr]
    assert t["music_art_rooms.music_count"].threshold.formula == "ceil(school_classes / 12)"  # type: ignore[union-attr]
    expected_county = {
        "special_ed_funding": 6000,
        "teacher_pay.ratio": 1,
        "training_360h": 1,
        "teacher_rotation.rate": 0.10,
        "teacher_rotation.backbone": 0.20,
        "teacher_certification": 1,
        "nearby_enrollment.primary": 1,
        "nearby_enrollment.junior": 0.95,
        "hs_quota_allocation": 0.50,
        "migrant_and_left_behind.migrant_share": 0.85,
        "junior_retention_3yr": 0.95,
        "disabled_enrollment": 0.95,
        "national_monitoring.level": 3,
        "national_monitoring.difference": 0.15,
        "social_recognition": 0.85,
        "basic_balance_years": 3,
    }
    for rid, value in expected_county.items():
        assert t[rid].threshold.value == value, rid  # type: ignore[union-attr]
    assert t["national_monitoring.difference"].comparator == "<"  # strict, as the spec says
    assert t["training_budget_share"].threshold.value == 0.05  # type: ignore[union-attr]
    # 15 government items, 9 quality items, 8 vetoes, 5 relaxations (opt-in), 2 prerequisites.
    items = lambda g: {r.item for r in fw.rules if r.group == g}  # noqa: E731
    assert items("government") == {str(i) for i in range(1, 16)}
    assert items("quality") == {str(i) for i in range(1, 10)}
    assert len(fw.rules_of("veto")) == 8
    assert [r.enabled for r in fw.rules_of("relaxation")] == [False] * 5
    assert len(fw.rules_of("prerequisite")) == 2
    legacy = fw.rule("legacy_school_size").targets[0].threshold
    assert legacy is not None and legacy.value == 2400 and legacy.by_school_type["nine_year"] == 3000
    small = fw.rule("small_class_music_art_rooms").targets[0].threshold
    assert small is not None and dict(small.by_level) == {"primary": 54, "junior": 61}
    music = fw.rule("legacy_music_art_rooms").targets
    assert [t.threshold.value for t in music] == [73, 67]  # type: ignore[union-attr]


def test_basic_balance_and_preschool_equal_the_spec() -> None:
    bb = eduscore.load_framework("basic-balance-2012")
    assert len(bb.indicators) == 8 and all(i.threshold is None for i in bb.indicators)
    assert dict(bb.rule("composite_cv").limit) == {"primary": 0.65, "junior": 0.55}
    assert bb.rule("composite_cv").indicators == tuple(i.id for i in bb.indicators)
    assert bb.rule("government_work").threshold.value == 85  # type: ignore[union-attr]
    assert bb.rule("public_satisfaction").threshold.value == 0.85  # type: ignore[union-attr]
    ps = eduscore.load_framework("preschool-2020")
    th = {r.id: (r.comparator, r.threshold.value) for r in ps.rules if r.threshold is not None}  # type: ignore[union-attr]
    assert th["gross_enrollment_3yr"] == (">=", 0.85)
    assert th["inclusive_coverage"] == (">=", 0.80)
    assert th["public_share"] == (">=", 0.50)
    assert th["teacher_child_ratio"] == ("<=", 15)
    assert th["class_size_compliance"] == (">=", 0.85)
    assert th["facilities.outdoor_play"] == (">=", 4)
    assert th["facilities.activity_room"] == (">=", 8.17)
    assert th["facilities.floor_area"] == (">=", 10.44)


def test_schemas_ship_in_the_top_level_folder() -> None:
    for name in ("framework", "result"):
        on_disk = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text("utf-8"))
        assert load_schema(name) == on_disk


def test_schema_errors_name_the_place() -> None:
    doc = raw("quality-balance-2017")
    doc["indicators"][0]["confidence"] = "X"
    with pytest.raises(FrameworkError, match=r"at indicators/0/confidence: 'X' is not one of"):
        framework_from_dict(doc, "mine.json")


def test_cross_reference_and_formula_errors() -> None:
    doc = raw("quality-balance-2017")
    doc["rules"][3]["indicators"] = ["sports_area_per_studnet"]
    doc["indicators"][1]["formula"] = "backbone_teachers / studnets * 100"
    with pytest.raises(FrameworkError) as err:
        framework_from_dict(doc, "mine.json")
    text = str(err.value)
    assert "unknown indicator 'sports_area_per_studnet' (did you mean 'sports_area_per_student'?)" in text
    assert "unknown column 'studnets' (did you mean 'students'?)" in text


def test_a_framework_written_by_someone_else_needs_no_python(tmp_path: Path) -> None:
    """A made-up 'reading' framework: new indicator, section rule, CV limit, county threshold."""
    doc = {
        "schema_version": 1,
        "id": "reading-demo",
        "version": "0.1.0",
        "name": {"zh": "阅读条件示例", "en": "Reading conditions (example)"},
        "document": {"number": "示例〔2026〕1号", "title": "示例办法"},
        "unit": "sections",
        "levels": ["primary"],
        "weight": "students",
        "inputs": [{"table": "counties", "name": "library_budget", "type": "float", "zh": "图书经费"}],
        "indicators": [
            {
                "id": "books_per_student",
                "name": {"zh": "生均图书", "en": "Books per student"},
                "unit": {"zh": "册", "en": "volumes"},
                "formula": "books / students",
                "comparator": ">=",
                "threshold": 20,
                "confidence": "I",
                "source": {"document": "示例"},
            }
        ],
        "rules": [
            {
                "id": "books_floor",
                "kind": "count_met_with_floor",
                "group": "r",
                "name": {"zh": "达标", "en": "Meets"},
                "indicators": ["books_per_student"],
                "min_met": 1,
                "floor_ratio": 1,
                "confidence": "I",
                "source": {"document": "示例"},
            },
            {
                "id": "books_cv",
                "kind": "dispersion_limit",
                "group": "r",
                "name": {"zh": "差异", "en": "CV"},
                "indicators": ["books_per_student"],
                "limit": {"primary": 0.3},
                "confidence": "I",
                "source": {"document": "示例"},
            },
            {
                "id": "budget",
                "kind": "county_threshold",
                "group": "g",
                "name": {"zh": "经费", "en": "Budget"},
                "value": "library_budget / sum(students)",
                "comparator": ">=",
                "threshold": 10,
                "confidence": "I",
                "source": {"document": "示例"},
            },
        ],
    }
    path = tmp_path / "reading.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    schools = pa.table(
        {
            "county_code": ["990101"] * 3 + ["990102"] * 2,
            "school_id": ["a", "b", "c", "d", "e"],
            "school_name": list("ABCDE"),
            "school_type": ["primary"] * 5,
            "students_primary": [100, 200, 300, 100, 100],
            "books": [2500, 4400, 6600, 2500, 1000],
        }
    )
    counties = pa.table({"county_code": ["990101", "990102"], "library_budget": [7000.0, 1000.0]})
    result = eduscore.evaluate(schools=schools, counties=counties, framework=path)
    assert dict(
        zip(result.verdicts["county_code"].to_pylist(), result.verdicts["verdict"].to_pylist(), strict=True)
    ) == {"990101": "certified", "990102": "not_certified"}
    checks = {(r["county_code"], r["check_id"]): r for r in result.checks.to_pylist()}
    assert checks[("990101", "budget")]["value"] == pytest.approx(7000 / 600)
    assert checks[("990102", "books_floor")]["status"] == "fail"
    assert checks[("990101", "books_cv.books_per_student.primary")]["status"] == "pass"


def test_unknown_framework_suggests() -> None:
    with pytest.raises(FrameworkError, match="did you mean 'quality-balance-2017'"):
        eduscore.load_framework("quality-balance-2071")


def test_frameworks_are_plain_data_copies_do_not_share_state() -> None:
    doc = raw("preschool-2020")
    mod = copy.deepcopy(doc)
    mod["rules"][0]["threshold"] = 0.9
    assert framework_from_dict(mod).rule("gross_enrollment_3yr").threshold.value == 0.9  # type: ignore[union-attr]
    assert eduscore.load_framework("preschool-2020").rule("gross_enrollment_3yr").threshold.value == 0.85  # type: ignore[union-attr]


# Broken or hostile documents: limits with a message, never RecursionError, never a 10 MB echo.
def _deep(levels: int) -> dict[str, object]:
    doc: dict[str, object] = {}
    for _ in range(levels):  # built without recursion
        doc = {"x": doc}
    return doc


def test_a_json_document_100000_levels_deep_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    with pytest.raises(FrameworkError, match="nests too deeply") as err:
        eduscore.load_framework(path)
    assert "deep.json" in str(err.value) and "嵌套" in err.value.zh


def test_a_parsed_document_nested_too_deeply_is_refused() -> None:
    doc = raw("preschool-2020")
    doc["description"] = _deep(5_000)
    with pytest.raises(FrameworkError, match="nests deeper than 64 levels"):
        framework_from_dict(doc, "deep.json")
    with pytest.raises(FrameworkError, match="nests deeper than 64 levels"):
        framework_from_dict(_deep(900), "deep.json")  # deep enough to break jsonschema's recursion


def test_a_document_larger_than_the_limit_is_refused_unread(tmp_path: Path) -> None:
    from eduscore.model.framework import MAX_DOCUMENT_BYTES

    path = tmp_path / "big.json"
    path.write_text('{"id": "' + "x" * MAX_DOCUMENT_BYTES + '"}', "utf-8")
    with pytest.raises(FrameworkError, match=r"larger than the limit of 8,388,608 bytes") as err:
        eduscore.load_framework(path)
    assert len(str(err.value)) < 500


def test_a_10_mb_formula_or_value_is_never_echoed_back() -> None:
    huge = "students + " + "x" * 10_000_000
    doc = raw("quality-balance-2017")
    doc["indicators"][0]["formula"] = huge
    with pytest.raises(FrameworkError) as err:
        framework_from_dict(doc, "huge.json")
    assert "longer than the limit of 10,000" in str(err.value)
    assert len(str(err.value)) < 2_000 and len(err.value.message("zh")) < 2_000
    doc = raw("quality-balance-2017")
    doc["indicators"][0]["confidence"] = huge  # a schema error quotes the value
    with pytest.raises(FrameworkError) as err:
        framework_from_dict(doc, "huge.json")
    assert "does not match framework.schema.json" in str(err.value) and len(str(err.value)) < 2_000
