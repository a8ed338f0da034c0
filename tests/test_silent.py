"""Nothing silent: no input can turn a county certified without a finding saying why.

The base is a county that passes every check (tests/passing.py). Each test breaks it
the way a real file breaks — a rejected row, a nine-year school typed 小学, a percentage
read twice, a full-width county code — and asserts the verdict *and* the finding, in
both languages, through the Python API and the CLI.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eduscore
import passing
from eduscore.model import contract
from eduscore.model.needs import raw_inputs
from eduscore.plugins.catalog import load_framework
from helpers import run_cli, table

ZH = {c.name: c.zh for c in contract.SCHOOLS} | {"equipment_value_10k_cny": "教学仪器设备值(万元)"}
ZH_COUNTIES = {c.name: c.zh for c in contract.COUNTIES}


def write_csv(rows: list[dict[str, Any]], path: Path, headers: dict[str, str]) -> Path:
    names: list[str] = []
    for r in rows:
        names += [k for k in r if k not in names]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([headers.get(n, n) for n in names])
        for r in rows:
            w.writerow(["" if r.get(n) is None else r[n] for n in names])
    return path


def files(tmp: Path, schools: list[dict[str, Any]] | None = None) -> tuple[Path, Path]:
    s = write_csv(schools if schools is not None else passing.schools(), tmp / "学校.csv", ZH)
    c = write_csv([passing.county()], tmp / "县.csv", ZH_COUNTIES)
    return s, c


def evaluate(tmp: Path, schools: list[dict[str, Any]] | None = None, **kw: Any) -> eduscore.Result:
    s, c = files(tmp, schools)
    return eduscore.evaluate(schools=s, counties=c, **kw)


def verdict(r: eduscore.Result) -> str:
    (v,) = r.verdicts.column("verdict").to_pylist()
    return str(v)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def test_the_base_county_is_certified(tmp_path: Path) -> None:
    r = evaluate(tmp_path)
    assert verdict(r) == "certified"
    assert r.rejected.num_rows == 0


# --------------------------------------------------------------------------- rejected rows


def test_a_rejected_row_makes_a_certified_county_incomplete_naming_the_row(tmp_path: Path) -> None:
    rows = passing.schools()
    rows[2]["students_junior"] = "二〇〇九"  # a cell the framework reads
    r = evaluate(tmp_path, rows)
    assert verdict(r) == "incomplete"
    (reason,) = [x for x in r.verdicts.column("reasons")[0].as_py() if x.startswith("inputs.rejected_rows")]
    assert "学校.csv row 4" in reason
    check = r.checks.filter(pa.compute.equal(r.checks.column("check_id"), "inputs.rejected_rows"))
    assert check.column("status").to_pylist() == ["not_assessed"]
    s, c = files(tmp_path, rows)
    proc = cli("evaluate", str(s), str(c), "--fail-on-not-certified", "-q")
    assert proc.returncode == 3, proc.stderr


def test_breaking_the_failing_school_never_certifies(tmp_path: Path) -> None:
    rows = passing.schools()
    rows[0]["sports_area_m2"] = 100.0  # the county fails on this school
    assert verdict(evaluate(tmp_path, rows)) == "not_certified"
    rows[0]["school_type"] = "小学校"  # ... and now its row is rejected
    assert verdict(evaluate(tmp_path, rows)) == "incomplete"


def test_a_not_certified_county_stays_not_certified_with_a_rejected_row(tmp_path: Path) -> None:
    rows = passing.schools()
    rows[0]["sports_area_m2"] = 100.0
    rows[3]["backbone_teachers_junior"] = "n/a"
    assert verdict(evaluate(tmp_path, rows)) == "not_certified"


def test_a_row_whose_county_code_cannot_be_read_blocks_every_county(tmp_path: Path) -> None:
    rows = passing.schools() + passing.schools("990102")
    rows[1]["county_code"] = "99010"
    s = write_csv(rows, tmp_path / "学校.csv", ZH)
    c = write_csv([passing.county(), passing.county("990102")], tmp_path / "县.csv", ZH_COUNTIES)
    r = eduscore.evaluate(schools=s, counties=c)
    assert r.verdicts.column("verdict").to_pylist() == ["incomplete", "incomplete"]
    assert all("county code unreadable" in " ".join(x) for x in r.verdicts.column("reasons").to_pylist())


def test_a_county_whose_only_school_is_rejected_is_reported(tmp_path: Path) -> None:
    rows = passing.schools()
    lonely = passing.schools("990102")[0]
    lonely["students_primary"] = "很多"
    r = evaluate(tmp_path, [*rows, lonely])
    got = dict(
        zip(
            r.verdicts.column("county_code").to_pylist(),
            r.verdicts.column("verdict").to_pylist(),
            strict=True,
        )
    )
    assert got == {"990101": "certified", "990102": "incomplete"}


def test_a_bad_value_in_an_unread_column_warns_and_keeps_the_row(tmp_path: Path) -> None:
    rows = passing.schools()
    rows[0]["built_year"] = "二〇〇九"  # read only by an opt-in relaxation
    r = evaluate(tmp_path, rows)
    assert verdict(r) == "certified"
    (f,) = [f for f in r.findings.to_pylist() if f["column"] == "built_year"]
    assert f["severity"] == "warning" and not f["rejects_row"]
    assert "does not use the column" in f["message_en"] and "不使用该列" in f["message_zh"]
    relaxed = evaluate(tmp_path, rows, relaxations=["legacy_school_size"])
    assert verdict(relaxed) == "incomplete"  # with the relaxation the year is read


def test_full_width_and_invisible_characters_in_codes_are_cleaned_with_a_notice(
    tmp_path: Path,
) -> None:
    rows = passing.schools()
    rows[0]["county_code"] = "９９０１０１"
    rows[1]["school_id"] = "\u200b" + str(rows[1]["school_id"]) + "\u00a0"
    rows[2]["school_type"] = "初级中学\ufeff"
    r = evaluate(tmp_path, rows)
    assert verdict(r) == "certified"
    cleaned = [f for f in r.findings.to_pylist() if f["rule"] == "text_cleaned"]
    assert {f["column"] for f in cleaned} == {"county_code", "school_id", "school_type"}
    assert all(f["severity"] == "notice" and not f["rejects_row"] for f in cleaned)


def test_the_same_school_twice_with_a_zero_width_space_is_a_duplicate(tmp_path: Path) -> None:
    rows = passing.schools()
    twin = dict(rows[0])
    twin["school_id"] = str(twin["school_id"]) + "\u200b"
    r = evaluate(tmp_path, [*rows, twin])
    assert "duplicate_id" in r.findings.column("rule").to_pylist()
    assert verdict(r) == "incomplete"


# --------------------------------------------------------------------------- type and level


def test_a_nine_year_school_typed_primary_stops_a_pass(tmp_path: Path) -> None:
    rows = passing.schools()
    rows[4]["school_type"] = "小学"  # the nine-year school, with 480 junior pupils
    r = evaluate(tmp_path, rows)
    assert verdict(r) == "incomplete"
    (f,) = [f for f in r.findings.to_pylist() if f["rule"] == "level_not_taught"]
    assert f["column"] == "students_junior" and f["row"] == 6
    assert "nine_year" in f["message_en"] and "九年一贯制学校" in f["message_zh"]


def test_a_long_form_section_of_a_level_the_type_does_not_teach(tmp_path: Path) -> None:
    sections = pa.table(
        {
            "county_code": ["990101"] * 2,
            "school_id": ["a", "a"],
            "school_name": ["甲", "甲"],
            "school_type": ["primary", "primary"],
            "level": ["primary", "junior"],
            "students": [500, 300],
        }
    )
    r = eduscore.evaluate(schools=sections, counties=table([passing.county()]))
    assert [f["column"] for f in r.findings.to_pylist() if f["rule"] == "level_not_taught"] == ["level"]


# --------------------------------------------------------------------------- numbers


def _one_county_rates(tmp: Path, header: str, value: str) -> eduscore.Result:
    county = passing.county()
    facts = {ZH_COUNTIES.get(k, k): v for k, v in county.items()}
    facts.pop(ZH_COUNTIES["social_recognition"])
    facts[header] = value
    path = tmp / "县.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(list(facts))
        w.writerow(list(facts.values()))
    s = write_csv(passing.schools(), tmp / "学校.csv", ZH)
    return eduscore.evaluate(schools=s, counties=path)


def _check_value(r: eduscore.Result, check_id: str) -> float | None:
    for c in r.checks.to_pylist():
        if c["check_id"] == check_id:
            return c["value"]  # type: ignore[no-any-return]
    raise KeyError(check_id)


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("社会认可度(%)", "91.2%", 0.912),  # a unit is read once, not divided twice
        ("社会认可度(%)", "91.2", 0.912),
        ("社会认可度", "91.2%", 0.912),
        ("社会认可度", "0.912", 0.912),
        ("社会认可度", "９１．２％", 0.912),
    ],
)
def test_a_percentage_is_read_once(tmp_path: Path, header: str, value: str, expected: float) -> None:
    r = _one_county_rates(tmp_path, header, value)
    assert _check_value(r, "social_recognition") == pytest.approx(expected)


@pytest.mark.parametrize("value", ["1", "0.912", "0.5"])
def test_one_value_of_at_most_1_under_a_percent_header_is_ambiguous(tmp_path: Path, value: str) -> None:
    """Under 社会认可度(%), a lone 1 is 1 % or 100 %: not read (an error on the cell, the
    county incomplete), never guessed into a pass."""
    r = _one_county_rates(tmp_path, "社会认可度(%)", value)
    assert _check_value(r, "social_recognition") is None
    (f,) = [f for f in r.findings.to_pylist() if f["rule"] == "ambiguous_percent"]
    assert f["severity"] == "error" and f["value"] == value
    assert verdict(r) == "incomplete"


def test_a_row_of_cells_formatted_as_percentages_is_read_as_fractions(tmp_path: Path) -> None:
    """One county, every rate under a (%) header holding a fraction (cells formatted as
    85 % hold 0.85): three or more such values, none above 1, are read as fractions."""
    county = passing.county()
    rates = [c for c in contract.COUNTIES if c.type == "rate" and c.name in county]
    assert len(rates) >= 3
    facts = {}
    for k, v in county.items():
        column = next((c for c in rates if c.name == k), None)
        if column is None:
            facts[ZH_COUNTIES.get(k, k)] = v
        else:  # "92%" as a cell formatted as a percentage holds it: 0.92
            facts[f"{column.zh}(%)"] = f"{float(str(v).rstrip('%')) / 100:g}"
    path = tmp_path / "县.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(list(facts))
        w.writerow(list(facts.values()))
    r = eduscore.evaluate(schools=write_csv(passing.schools(), tmp_path / "学校.csv", ZH), counties=path)
    assert verdict(r) == "certified", r.summary()
    assert "percent_header_fractions" in r.findings.column("rule").to_pylist()
    assert "ambiguous_percent" not in r.findings.column("rule").to_pylist()


@pytest.mark.parametrize(
    ("value", "rule", "parsed"),
    [
        ("1,850", None, 1850),
        ("1,850.5", "not_an_integer", None),
        ("1,5", "bad_thousands_separator", None),
        ("2,0,8,0", "bad_thousands_separator", None),
        ("12%", "percent_not_rate", None),
        ("88.4", "not_an_integer", None),
        ("1e999", "not_a_number", None),
        ("１０００", None, 1000),
    ],
)
def test_counts_are_whole_numbers_and_commas_only_group_thousands(
    tmp_path: Path, value: str, rule: str | None, parsed: int | None
) -> None:
    rows = passing.schools()
    rows[0]["students_primary"] = value
    rows[0]["classes_primary"] = 45  # room for 1,850 pupils in classes of at most 43
    r = evaluate(tmp_path, rows)
    rules = [f["rule"] for f in r.findings.to_pylist() if f["column"] == "students_primary"]
    if rule is None:
        assert rules == []
        first = r.sections.filter(pa.compute.equal(r.sections.column("school_id"), rows[0]["school_id"]))
        assert first.column("students").to_pylist() == [parsed]
    else:
        assert rules == [rule]
        assert verdict(r) == "incomplete"


def test_fractional_teacher_counts_are_findings_in_both_languages(tmp_path: Path) -> None:
    rows = passing.schools()
    rows[1]["teachers_above_degree_primary"] = "88.4"
    r = evaluate(tmp_path, rows)
    (f,) = [f for f in r.findings.to_pylist() if f["rule"] == "not_an_integer"]
    assert f["row"] == 3 and f["value"] == "88.4"
    assert "whole number" in f["message_en"] and "整数" in f["message_zh"]


# --------------------------------------------------------------------------- types that crashed


def test_a_fractional_year_and_a_huge_year_are_rejected_rows(tmp_path: Path) -> None:
    rows = passing.schools()
    rows[0]["year"] = "2024.5"
    rows[1]["year"] = str(2**62)
    r = evaluate(tmp_path, rows)
    got = {(f["row"], f["rule"]) for f in r.findings.to_pylist() if f["column"] == "year"}
    assert got == {(2, "not_an_integer"), (3, "year_out_of_range")}
    assert verdict(r) == "incomplete"
    s, c = files(tmp_path, rows)
    assert cli("evaluate", str(s), str(c), "-q").returncode == 0


def test_float_ids_are_refused_naming_the_column() -> None:
    schools = table(passing.schools())
    ids = pa.array([3.7, 3.2, 4.0, 5.0, 6.0])
    schools = schools.set_column(schools.column_names.index("school_id"), "school_id", ids)
    with pytest.raises(eduscore.InputError) as err:
        eduscore.evaluate(schools=schools, counties=table([passing.county()]))
    assert "school_id" in str(err.value) and "3.7" in str(err.value)
    assert "学校标识码" in err.value.message("zh")


def test_integral_float_county_codes_from_pandas_still_read() -> None:
    schools = table(passing.schools())
    codes = pa.array([990101.0] * schools.num_rows)
    schools = schools.set_column(schools.column_names.index("county_code"), "county_code", codes)
    r = eduscore.evaluate(schools=schools, counties=table([passing.county()]))
    assert verdict(r) == "certified"


# --------------------------------------------------------------------------- the property


def _used_schools_columns() -> frozenset[str]:
    return raw_inputs(load_framework("quality-balance-2017"))["schools"]


FREE_TEXT = {"school_name", "county_name", "education_group", "school_id"}


@st.composite
def corruption(draw: st.DrawFn) -> tuple[int, str, str, bool]:
    """(row, column, new cell text, benign): one cell of one school row broken. Benign
    corruptions keep the value (full-width digits, invisible characters around it)."""
    rows = passing.schools()
    i = draw(st.integers(0, len(rows) - 1))
    column = draw(st.sampled_from(sorted(k for k, v in rows[i].items() if v is not None)))
    original = str(rows[i][column])
    kind = draw(
        st.sampled_from(["garbage", "empty", "wrong_type", "out_of_range", "full_width", "invisible"])
    )
    if kind == "garbage":
        text = draw(
            st.text(min_size=1, max_size=12).filter(lambda t: any(ch.isalpha() for ch in t) and t.strip())
        )
        return i, column, "x" + text, column in FREE_TEXT
    if kind == "empty":  # missing: harmless where nothing reads it, or a year the other rows share
        return i, column, "", column not in _used_schools_columns() or column == "year"
    if kind == "wrong_type":
        return i, column, draw(st.sampled_from(["abc", "2024-01-01", "x1"])), column in FREE_TEXT
    if kind == "out_of_range":
        return i, column, draw(st.sampled_from(["-5", "1e13", "150%", "-0.5"])), column in FREE_TEXT
    if kind == "full_width":
        wide = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in original)
        return i, column, wide, unicodedata.normalize("NFKC", wide) == original
    return i, column, "\u200b" + original + "\u2060", True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corruption())
def test_no_single_corrupted_cell_certifies_silently(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[int, str, str, bool]
) -> None:
    i, column, text, benign = case
    rows = passing.schools()
    rows[i][column] = text
    tmp = tmp_path_factory.mktemp("corrupt")
    r = evaluate(tmp, rows)
    (a,) = r.accounting.filter(pa.compute.equal(r.accounting.column("table"), "schools")).to_pylist()
    assert a["rows"] == a["scored"] + a["excluded"] + a["rejected"] + a["unused"] == len(rows)
    used = column in _used_schools_columns()
    if verdict(r) == "certified" and not benign:
        mine = [f for f in r.findings.to_pylist() if f["row"] == i + 2]
        # Certified only when the column is not read — and then a finding says so — or the
        # text is still a valid value of a free-text column.
        assert not used or column in FREE_TEXT, (column, text, mine)
        if not used and column not in FREE_TEXT:
            assert mine, (column, text)


def test_cli_messages_for_a_rejected_row_in_both_languages(tmp_path: Path) -> None:
    rows = passing.schools()
    rows[2]["students_junior"] = "二〇〇九"
    s, c = files(tmp_path, rows)
    out = tmp_path / "r.json"
    zh = cli("evaluate", str(s), str(c), "--json", str(out))
    assert zh.returncode == 0, zh.stderr
    assert "资料不全" in zh.stdout and "不是数字" in zh.stdout
    en = cli("evaluate", str(s), str(c), "--lang", "en", "-q", "--json", str(out))
    assert en.returncode == 0
    result = json.loads(out.read_text("utf-8"))
    assert result["verdicts"][0]["verdict"] == "incomplete"
    assert any(c["check_id"] == "inputs.rejected_rows" for c in result["checks"])


def test_a_row_without_a_year_among_several_years_is_rejected_not_a_county_of_its_own(tmp_path: Path) -> None:
    rows = passing.schools() + [dict(r, year=2023) for r in passing.schools()]
    rows[0]["year"] = ""
    s = write_csv(rows, tmp_path / "学校.csv", ZH)
    c = write_csv([passing.county(), dict(passing.county(), year=2023)], tmp_path / "县.csv", ZH_COUNTIES)
    r = eduscore.evaluate(schools=s, counties=c)
    assert r.verdicts.column("year").to_pylist() == [2023, 2024]
    assert r.verdicts.column("verdict").to_pylist() == ["incomplete", "incomplete"]
    (f,) = [f for f in r.findings.to_pylist() if f["column"] == "year"]
    assert (f["rule"], f["row"]) == ("required_empty", 2)


def test_a_mistyped_county_code_is_pointed_at(tmp_path: Path) -> None:
    rows = passing.schools()
    rows[3]["county_code"] = "990110"
    r = evaluate(tmp_path, rows)
    (f,) = [f for f in r.findings.to_pylist() if f["rule"] == "county_without_facts"]
    assert (f["row"], f["value"], f["severity"]) == (5, "990110", "warning")
    assert "mistyped" in f["message_en"] and "填错" in f["message_zh"]


@pytest.mark.parametrize(
    "args",
    [
        ["explain", "cv.sports_area_per_student.primary", "--demo", "--lang", "en"],
        ["demo", "--lang", "en", "-q", "--format", "json"],
        ["demo", "--lang", "zh", "--format", "json"],
    ],
)
def test_output_to_a_gbk_console_never_fails_on_encoding(tmp_path: Path, args: list[str]) -> None:
    if args[0] == "demo":
        args = [*args, "--out", str(tmp_path)]
    proc = subprocess.run(
        [sys.executable, "-m", "eduscore.cli", *args],
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "gbk", "COLUMNS": "120"},
    )
    assert proc.returncode == 0, proc.stderr.decode("gbk", "replace")
    text = proc.stdout.decode("gbk")  # valid GBK throughout
    assert "Traceback" not in text


def _broken_plugin(site: Path) -> dict[str, str]:
    """A real installed distribution whose rule-set hook raises (on ``PYTHONPATH``)."""
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
    return env | {"PYTHONPATH": str(site), "COLUMNS": "200"}


def test_a_failed_plugin_keeps_every_county_from_certification(tmp_path: Path) -> None:
    env = _broken_plugin(tmp_path / "site") | {"EDUSCORE_LANG": "en"}
    s, c = files(tmp_path)
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "eduscore.cli",
            "evaluate",
            str(s),
            str(c),
            "--json",
            str(out),
            "--lang",
            "en",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "broken-province" in proc.stderr and "failed" in proc.stderr
    result = json.loads(out.read_text("utf-8"))
    assert result["verdicts"][0]["verdict"] == "incomplete"
    (check,) = [c for c in result["checks"] if c["check_id"] == "inputs.plugins"]
    assert "broken-province" in check["reason"] and check["status"] == "not_assessed"
    (finding,) = [f for f in result["findings"] if f["rule"] == "plugin_failed"]
    assert finding["value"] == "broken-province" and "插件" in finding["message_zh"]
    blocked = subprocess.run(
        [sys.executable, "-m", "eduscore.cli", "evaluate", str(s), str(c), "--json", str(out), "-q"],
        capture_output=True,
        text=True,
        env=env | {"EDUSCORE_DISABLE_PLUGINS": "broken-province"},
        check=False,
    )
    assert blocked.returncode == 0, blocked.stderr
    assert json.loads(out.read_text("utf-8"))["verdicts"][0]["verdict"] == "certified"


def _base_a() -> list[dict[str, Any]]:
    """Not certified on one CV alone: primary sports area too unequal (CV ≈ 0.51)."""
    rows = passing.schools()
    rows[0]["sports_area_m2"] = 36000
    rows[1]["sports_area_m2"] = 11200
    return rows


def test_a_copied_row_with_an_empty_year_is_a_duplicate_not_a_second_school(tmp_path: Path) -> None:
    rows = _base_a()
    assert verdict(evaluate(tmp_path, rows)) == "not_certified"
    copy = dict(rows[0], year="")
    r = evaluate(tmp_path, [*rows, copy])
    assert verdict(r) == "not_certified"
    assert [f["rule"] for f in r.findings.to_pylist() if f["table"] == "schools"] == ["duplicate_id"]


def test_a_county_row_without_a_year_twice_is_one_county(tmp_path: Path) -> None:
    s = write_csv(passing.schools(), tmp_path / "学校.csv", ZH)
    c = write_csv([passing.county(), dict(passing.county(), year="")], tmp_path / "县.csv", ZH_COUNTIES)
    r = eduscore.evaluate(schools=s, counties=c)
    assert r.verdicts.num_rows == 1
    assert "duplicate_id" in r.findings.column("rule").to_pylist()


def test_the_county_option_keeps_rows_whose_county_code_cannot_be_read(tmp_path: Path) -> None:
    rows = passing.schools()
    rows[0]["sports_area_m2"] = 100.0  # this school fails ...
    rows[0]["county_code"] = ""  # ... and its code is gone
    s, c = files(tmp_path, rows)
    assert verdict(eduscore.evaluate(schools=s, counties=c, county="990101")) == "incomplete"
    rows[0]["county_code"] = "330482"  # a real other county: not ours, unused
    s, c = files(tmp_path, rows)
    r = eduscore.evaluate(schools=s, counties=c, county="990101")
    assert verdict(r) == "certified"
    assert r.accounting.column("unused").to_pylist()[0] == 1


def test_a_school_with_an_id_is_never_a_totals_row_whatever_its_name(tmp_path: Path) -> None:
    rows = passing.schools()
    rows[0]["sports_area_m2"] = 100.0
    rows[0]["school_name"] = "合计"
    rows[0]["county_name"] = "小计"
    r = evaluate(tmp_path, rows)
    assert verdict(r) == "not_certified"
    subtotal = {k: "" for k in rows[0]} | {
        "county_code": "990101",
        "school_name": "东湖镇小计",
        "students_primary": 5000,
    }
    r = evaluate(tmp_path, [*passing.schools(), subtotal])
    assert verdict(r) == "certified"
    assert [f["rule"] for f in r.findings.to_pylist() if f["table"] == "schools"] == ["totals_row"]


def test_a_county_row_with_its_code_is_the_county_whatever_its_name(tmp_path: Path) -> None:
    s = write_csv(passing.schools(), tmp_path / "学校.csv", ZH)
    c = write_csv([dict(passing.county(), county_name="全县合计")], tmp_path / "县.csv", ZH_COUNTIES)
    assert verdict(eduscore.evaluate(schools=s, counties=c)) == "certified"


def test_a_mistyped_year_does_not_move_a_school_out_of_its_county(tmp_path: Path) -> None:
    rows = passing.schools()
    rows[0]["sports_area_m2"] = 100.0
    rows[0]["year"] = 2023
    r = evaluate(tmp_path, rows)
    assert r.verdicts.column("year").to_pylist() == [2024]
    assert verdict(r) == "incomplete"
    (f,) = [f for f in r.findings.to_pylist() if f["rule"] == "county_year_without_facts"]
    assert (f["row"], f["value"]) == (2, "2023")


def test_a_level_with_no_pupils_but_its_own_teachers_is_an_error(tmp_path: Path) -> None:
    rows = passing.schools()
    rows[4]["students_primary"] = 0  # the nine-year school keeps its primary teachers and classes
    r = evaluate(tmp_path, rows)
    assert verdict(r) == "incomplete"
    assert "staff_without_pupils" in r.findings.column("rule").to_pylist()
    for k in ("teachers", "classes", "teachers_above_degree", "backbone_teachers", "pe_arts_teachers"):
        rows[4][f"{k}_primary"] = 0
    rows[4]["mid_senior_title_teachers_primary"] = 0
    r = evaluate(tmp_path, rows)
    (f,) = [f for f in r.findings.to_pylist() if f["table"] == "schools"]
    assert (f["rule"], f["severity"]) == ("spanning_school_one_level", "warning")


def test_a_long_form_school_total_cannot_contradict_its_sections() -> None:
    """A nine-year school of 1,450 + 1,160 pupils is over the 2,500 cap whatever total is typed."""
    sections = pa.table(
        {
            "county_code": ["990101"] * 2,
            "school_id": ["a", "a"],
            "school_name": ["甲", "甲"],
            "school_type": ["nine_year"] * 2,
            "level": ["primary", "junior"],
            "students": [1450, 1160],
            "school_students": [2400, 2400],
        }
    )
    r = eduscore.evaluate(schools=sections, counties=table([passing.county()]))
    size = [c for c in r.checks.to_pylist() if c["check_id"] == "school_size"]
    assert size[0]["status"] == "fail"
    assert "derived_column_ignored" in r.findings.column("rule").to_pylist()


@pytest.mark.parametrize(
    ("table_name", "column", "value", "rule"),
    [
        ("county", "monitoring_level_min", 5, "out_of_range"),
        ("county", "civil_servant_avg_pay", 13.5, "unusual_value"),
        ("school", "max_class_size_primary", 5, "class_size_below_average"),
    ],
)
def test_impossible_and_unusual_values_are_findings(
    tmp_path: Path, table_name: str, column: str, value: float, rule: str
) -> None:
    rows, county = passing.schools(), passing.county()
    (rows[0] if table_name == "school" else county)[column] = value
    s = write_csv(rows, tmp_path / "学校.csv", ZH)
    c = write_csv([county], tmp_path / "县.csv", ZH_COUNTIES)
    r = eduscore.evaluate(schools=s, counties=c)
    (f,) = [f for f in r.findings.to_pylist() if f["column"] == column]
    assert f["rule"] == rule
    assert verdict(r) != "certified" if f["severity"] == "error" else f["severity"] == "warning"


def test_yuan_under_a_wan_yuan_header_is_pointed_at(tmp_path: Path) -> None:
    rows = passing.schools()
    for r in rows:
        r["equipment_value_10k_cny"] = r.pop("equipment_value_cny")  # 元 figures under 万元
    r = evaluate(tmp_path, rows)
    warned = {f["row"] for f in r.findings.to_pylist() if f["rule"] == "unusual_indicator"}
    assert warned == {2, 3, 4, 5, 6}


def test_a_province_whose_plugin_is_not_installed_is_not_certified_on_national_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eduscore.plugins import registry as plugins

    bare = plugins.Registry(discover=False)  # eduscore alone: no province plugin installed
    monkeypatch.setattr(plugins, "_registry", lambda: bare)
    rows, county = passing.schools("330482"), passing.county("330482")
    s = write_csv(rows, tmp_path / "学校.csv", ZH)
    c = write_csv([county], tmp_path / "县.csv", ZH_COUNTIES)
    r = eduscore.evaluate(schools=s, counties=c)
    assert verdict(r) == "incomplete"
    (check,) = [c for c in r.checks.to_pylist() if c["check_id"].startswith("inputs.rule_sets")]
    assert (
        check["check_id"] == "inputs.rule_sets.zhejiang"
        and "pip install eduscore-zhejiang" in check["reason"]
    )
    monkeypatch.setenv("EDUSCORE_DISABLE_PLUGINS", "zhejiang")  # national rules only, on purpose
    r = eduscore.evaluate(schools=s, counties=c)
    assert verdict(r) == "certified"
    other = eduscore.evaluate(schools=files(tmp_path)[0], counties=files(tmp_path)[1])
    assert verdict(other) == "certified"  # 990101: no province plugin concerns it


def test_a_plugin_switched_off_on_purpose_is_named_in_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eduscore.plugins import registry as plugins

    monkeypatch.setenv("EDUSCORE_DISABLE_PLUGINS", "zhejiang")
    plugins.reset_registry()
    try:
        s = write_csv(passing.schools("330482"), tmp_path / "学校.csv", ZH)
        c = write_csv([passing.county("330482")], tmp_path / "县.csv", ZH_COUNTIES)
        r = eduscore.evaluate(schools=s, counties=c)
        assert verdict(r) == "certified"  # national rules only, as asked
        (f,) = [f for f in r.findings.to_pylist() if f["rule"] == "plugin_switched_off"]
        assert f["value"] == "zhejiang" and f["severity"] == "notice"
    finally:
        monkeypatch.delenv("EDUSCORE_DISABLE_PLUGINS")
        plugins.reset_registry()


def test_the_same_figure_in_yuan_and_wan_yuan_must_agree(tmp_path: Path) -> None:
    rows = passing.schools()
    for r in rows:
        r["equipment_value_10k_cny"] = r["equipment_value_cny"] / 10_000
    rows[2]["equipment_value_10k_cny"] = 1
    r = evaluate(tmp_path, rows)
    assert verdict(r) == "incomplete"
    (f,) = [f for f in r.findings.to_pylist() if f["rule"] == "conflicting_values"]
    assert f["row"] == 4


@pytest.mark.parametrize(("text", "rule"), [("#DIV/0!", "spreadsheet_error"), ("#N/A", "spreadsheet_error")])
def test_a_spreadsheet_error_in_a_csv_cell_is_a_finding(tmp_path: Path, text: str, rule: str) -> None:
    rows = passing.schools()
    rows[1]["sports_area_m2"] = text
    r = evaluate(tmp_path, rows)
    assert [f["rule"] for f in r.findings.to_pylist() if f["column"] == "sports_area_m2"] == [rule]
    assert verdict(r) == "incomplete"


@pytest.mark.parametrize("text", ["NA", "n/a", "-", "无", "null"])
def test_a_missing_marker_is_missing_not_an_error(tmp_path: Path, text: str) -> None:
    rows = passing.schools()
    rows[1]["sports_area_m2"] = text
    r = evaluate(tmp_path, rows)
    assert [f for f in r.findings.to_pylist() if f["column"] == "sports_area_m2"] == []
    assert verdict(r) == "incomplete"  # not assessed: the area is missing


def test_an_error_cell_in_a_workbook_is_a_finding(tmp_path: Path) -> None:
    import xlsxwriter

    rows = passing.schools()
    path = tmp_path / "学校.xlsx"
    book = xlsxwriter.Workbook(str(path))
    names = list(dict.fromkeys(k for row in rows for k in row))
    for sheet, data, headers in (("学校", rows, ZH), ("县", [passing.county()], ZH_COUNTIES)):
        ws = book.add_worksheet(sheet)
        cols = list(dict.fromkeys(k for row in data for k in row))
        ws.write_row(0, 0, [headers.get(n, n) for n in cols])
        for i, row in enumerate(data, start=1):
            ws.write_row(i, 0, [row.get(n) for n in cols])
    col = names.index("sports_area_m2")
    book.worksheets()[0].write_formula(2, col, "=1/0", None, "#DIV/0!")
    book.close()
    r = eduscore.evaluate(schools=path, counties=path)
    (f,) = [f for f in r.findings.to_pylist() if f["rule"] == "spreadsheet_error"]
    assert (f["row"], f["column"], f["value"]) == (3, "sports_area_m2", "#DIV/0!")
    assert verdict(r) == "incomplete"


def test_a_row_shifted_by_an_unquoted_comma_says_so(tmp_path: Path) -> None:
    path = tmp_path / "学校.csv"
    path.write_text(
        "县区代码,学校标识码,学校名称,学校类型,小学在校生数\n990101,A,甲,乙,小学,100\n990101,B,丙,小学,200\n",
        encoding="utf-8",
    )
    r = eduscore.evaluate(schools=path)
    rules = {(f["rule"], f["row"]) for f in r.findings.to_pylist()}
    assert ("cells_beyond_header", 2) in rules and not any(rule == "unknown_column" for rule, _ in rules)


def test_one_bad_cell_of_the_county_row_leaves_only_that_value_missing(tmp_path: Path) -> None:
    county = dict(passing.county(), rotation_backbone_share="25")  # a percentage without %
    s = write_csv(passing.schools(), tmp_path / "学校.csv", ZH)
    c = write_csv([county], tmp_path / "县.csv", ZH_COUNTIES)
    r = eduscore.evaluate(schools=s, counties=c)
    assert verdict(r) == "incomplete"
    not_assessed = [c["check_id"] for c in r.checks.to_pylist() if c["status"] == "not_assessed"]
    assert not_assessed == ["teacher_rotation.backbone", "inputs.rejected_rows"]
    (f,) = [f for f in r.findings.to_pylist() if f["rule"] == "looks_like_percentage"]
    assert f["severity"] == "error" and not f["rejects_row"] and "其余数据照常评估" in f["message_zh"]
    assert r.accounting.column("rejected").to_pylist() == [0, 0]


def test_a_preschool_workbook_evaluated_as_quality_balance_names_the_framework(tmp_path: Path) -> None:
    k = tmp_path / "幼儿园.csv"
    write_csv(passing.kindergartens(), k, {c.name: c.zh for c in contract.KINDERGARTENS})
    c = write_csv([passing.county()], tmp_path / "县.csv", ZH_COUNTIES)
    with pytest.raises(eduscore.InputError) as err:
        eduscore.evaluate(kindergartens=k, counties=c)
    assert "--framework" in str(err.value) and "preschool-2020" in err.value.message("zh")


def test_cli_manners_files_after_options_format_without_out_and_a_closed_pipe(tmp_path: Path) -> None:
    demo = Path(eduscore.__file__).parent / "demo"
    schools, counties = str(demo / "schools.csv"), str(demo / "counties.csv")
    after = cli("explain", "cv.sports_area_per_student.primary", "--county", "990101", schools, counties)
    assert after.returncode == 0 and "0.116974" in after.stdout, after.stderr
    bad = cli("explain", "cv.sports_area_per_student.primary", "--county", "990101", schools, "--nope")
    assert bad.returncode == 2 and "--nope" in bad.stderr
    no_out = cli("evaluate", schools, counties, "--format", "md", "--lang", "en")
    assert no_out.returncode == 2 and "--format needs --out" in no_out.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "eduscore.cli", "demo", "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # `eduscore demo | head -1`
    err = proc.stderr.read().decode()
    assert proc.wait() == 0 and "Traceback" not in err and "internal error" not in err
    assert {p.name for p in tmp_path.iterdir() if not p.name.startswith(".")} == {
        "report.html",
        "report.xlsx",
        "result.json",
    }
