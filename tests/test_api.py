"""The Python API: inputs of every kind, headers in Chinese or English, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import eduscore
from eduscore.model import contract
from eduscore.model.framework import load_schema
from helpers import AT_THRESHOLD_PRIMARY, school, table


def verdict_rows(r: eduscore.Result) -> list[tuple]:
    return [
        (v["county_code"], v["year"], v["verdict"], v["n_pass"], v["n_fail"]) for v in r.verdicts.to_pylist()
    ]


@pytest.fixture(scope="module")
def demo() -> eduscore.Result:
    return eduscore.evaluate(**eduscore.demo_inputs())


def test_demo_result_tables_and_summary(demo: eduscore.Result) -> None:
    assert demo.verdict("990101", 2024) == "not_certified"
    assert set(demo.tables()) == set(eduscore.Result.TABLES)
    for name, t in demo.tables().items():
        assert isinstance(t, pa.Table), name
    text = demo.summary()
    assert "990101" in text and "not certified" in text and "示例县北坡村小学" in text
    assert "14 rows = 13 scored + 1 excluded + 0 rejected" in text
    assert "未通过" in demo.summary(lang="zh")
    checks = demo.checks.to_pylist()
    assert {c["framework"] for c in checks} == {"quality-balance-2017"}
    assert all(c["document"] and c["confidence"] in "CSI" and c["rule_set"] == "national" for c in checks)


def test_to_json_is_valid_against_the_result_schema(demo: eduscore.Result) -> None:
    data = json.loads(demo.to_json())
    jsonschema.validate(data, load_schema("result"))
    assert data["framework"]["document"] == "教督〔2017〕6号"
    assert len(data["checks"]) == demo.checks.num_rows


def test_pandas_arrow_and_paths_give_the_same_result(tmp_path: Path, demo: eduscore.Result) -> None:
    inputs = eduscore.demo_inputs()
    schools = pacsv.read_csv(
        inputs["schools"],
        convert_options=pacsv.ConvertOptions(
            column_types={"县区代码": pa.string(), "学校标识码": pa.string()}
        ),
    )
    counties = pacsv.read_csv(
        inputs["counties"], convert_options=pacsv.ConvertOptions(column_types={"县区代码": pa.string()})
    )
    from_arrow = eduscore.evaluate(schools=schools, counties=counties)
    from_pandas = eduscore.evaluate(schools=schools.to_pandas(), counties=counties.to_pandas())
    pq.write_table(schools, tmp_path / "s.parquet")
    pq.write_table(counties, tmp_path / "c.parquet")
    from_parquet = eduscore.evaluate(schools=tmp_path / "s.parquet", counties=str(tmp_path / "c.parquet"))
    for other in (from_arrow, from_pandas, from_parquet):
        assert verdict_rows(other) == verdict_rows(demo)
        assert other.dispersion.column("cv").to_pylist() == pytest.approx(
            demo.dispersion.column("cv").to_pylist(), rel=1e-12
        )


def test_chinese_headers_wan_yuan_and_gbk_equal_english_utf8(tmp_path: Path) -> None:
    rows = [
        school("a", **AT_THRESHOLD_PRIMARY),
        school("b", **{**AT_THRESHOLD_PRIMARY, "sports_area_m2": 9000.0}),
    ]
    english = table(rows)
    pacsv.write_csv(english, tmp_path / "en.csv")
    zh_names = {c.name: c.zh for c in contract.SCHOOLS}
    cols = {}
    for name in english.column_names:
        if name == "equipment_value_cny":
            cols["教学仪器设备值(万元)"] = [str(v / 10_000) for v in english.column(name).to_pylist()]
        else:
            cols[zh_names[name]] = [str(v) for v in english.column(name).to_pylist()]
    header = ",".join(cols)
    lines = [header] + [",".join(vals) for vals in zip(*cols.values(), strict=True)]
    (tmp_path / "zh.csv").write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    counties_en = pa.table({"county_code": ["990101"], "social_recognition": [0.9]})
    pacsv.write_csv(counties_en, tmp_path / "c_en.csv")
    (tmp_path / "c_zh.csv").write_bytes("县区代码,社会认可度(%)\n990101,90\n".encode("gb18030"))
    a = eduscore.evaluate(schools=tmp_path / "en.csv", counties=tmp_path / "c_en.csv")
    b = eduscore.evaluate(schools=tmp_path / "zh.csv", counties=tmp_path / "c_zh.csv")
    assert (
        a.checks.select(["check_id", "status", "value"]).to_pylist()
        == b.checks.select(["check_id", "status", "value"]).to_pylist()
    )
    assert a.rejected.num_rows == b.rejected.num_rows == 0


def test_rates_written_as_percentages() -> None:
    counties = pa.table(
        {"county_code": ["990101", "990102", "990103"], "social_recognition": ["85%", "0.9", "85"]}
    )
    schools = table(
        [
            school("a", **AT_THRESHOLD_PRIMARY),
            school("b", county="990102", **AT_THRESHOLD_PRIMARY),
            school("c", county="990103", **AT_THRESHOLD_PRIMARY),
        ]
    )
    r = eduscore.evaluate(schools=schools, counties=counties)
    social = {c["county_code"]: c for c in r.checks.to_pylist() if c["check_id"] == "social_recognition"}
    assert social["990101"]["value"] == pytest.approx(0.85) and social["990101"]["status"] == "pass"
    assert social["990102"]["value"] == pytest.approx(0.9)
    # A county row keeps its other facts: the bad value is an error that is not read.
    errors = [f for f in r.findings.to_pylist() if f["severity"] == "error"]
    assert (
        len(errors) == 1 and errors[0]["value"] == "85" and "looks like a percentage" in errors[0]["reason"]
    )
    assert errors[0]["row"] == 4  # the header is row 1
    assert r.verdict("990103") == "incomplete"


def test_missing_required_column_is_a_clear_error() -> None:
    bad = pa.table(
        {"county_code": ["990101"], "学校名称": ["甲"], "school_type": ["primary"], "school_idd": ["x"]}
    )
    with pytest.raises(
        eduscore.InputError, match=r"school_id \(学校标识码\) — did you mean header 'school_idd'"
    ):
        eduscore.evaluate(schools=bad)


def test_years_separate_evaluations() -> None:
    rows = [school("a", **AT_THRESHOLD_PRIMARY, year=2023), school("a", **AT_THRESHOLD_PRIMARY, year=2024)]
    r = eduscore.evaluate(schools=table(rows))
    assert [(v["county_code"], v["year"]) for v in r.verdicts.to_pylist()] == [
        ("990101", 2023),
        ("990101", 2024),
    ]


def test_chinese_summary_is_chinese() -> None:
    """``Result.summary(lang="zh")`` (the README's call): levels, comparisons and the row
    accounting in Chinese (the new-user walk found "(primary): 5 of 7 thresholds met")."""
    import re

    text = eduscore.evaluate(**eduscore.demo_inputs()).summary(lang="zh")
    assert "(小学)" in text and "7 项中达标 5 项" in text and "实际 78,要求 ≥ 96" in text
    assert "学校表(" in text and "行 = 计入" in text
    prose = re.sub(r"[\w./-]*[_./][\w./-]*", " ", text)  # ids and paths
    assert not re.findall(r"\b(?:vs|of|rows|scored|primary|junior|thresholds)\b", prose)
