"""No silent verdicts, second attack round: inputs that used to change a verdict without
a finding (issue #11). Each test starts from a certified county (or one that fails for a
known reason), applies one general kind of damage and checks that the verdict is right
*and* that a finding says why."""

from __future__ import annotations

import copy
import csv
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest

import eduscore
import passing
from eduscore.inputs.prepare import id_key
from eduscore.model import contract
from test_silent import ZH, ZH_COUNTIES, cli, files, verdict, write_csv


def rules(r: eduscore.Result) -> list[str]:
    return [str(x) for x in r.findings.column("rule").to_pylist()]


def failing_on_cv() -> list[dict[str, Any]]:
    """The base schools, with school 1's sports area tripled: the primary CV of sports
    area per pupil is 0.51, above its limit of 0.50 — the county fails on that alone."""
    rows = passing.schools()
    rows[0]["sports_area_m2"] = 31000.0
    return rows


def _names(rows: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for r in rows:
        names += [k for k in r if k not in names]
    return names


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


# --------------------------------------------------------------------------- rows above the header


def test_a_failing_school_typed_above_the_header_is_scored_and_flagged(tmp_path: Path) -> None:
    rows = passing.schools()
    bad = copy.deepcopy(rows[1])
    bad["school_id"], bad["school_name"], bad["sports_area_m2"] = "9901019998", "上面的学校", 10.0
    s, c = files(tmp_path, [*rows, bad])
    lines = _csv_rows(s)
    _write_rows(s, [lines[-1], *lines[:-1]])  # the last school moved above the header
    r = eduscore.evaluate(schools=s, counties=c)
    assert verdict(r) == "not_certified"
    (f,) = [f for f in r.findings.to_pylist() if f["rule"] == "row_above_header"]
    assert f["row"] == 1 and f["severity"] == "warning" and "the header is row 2" in f["message_en"]
    (acc,) = [a for a in r.accounting.to_pylist() if a["table"] == "schools"]
    assert acc["rows"] == 6 and acc["scored"] == 6


def test_a_sheet_sorted_with_its_header_is_read_whole(tmp_path: Path) -> None:
    s, c = files(tmp_path, failing_on_cv())
    lines = _csv_rows(s)
    header, data = lines[0], lines[1:]
    _write_rows(s, [*data[:3], header, *data[3:]])  # sorted without "my data has headers"
    r = eduscore.evaluate(schools=s, counties=c)
    assert verdict(r) == "not_certified"
    assert rules(r).count("row_above_header") == 3
    assert r.accounting.to_pylist()[0]["scored"] == 5


def test_a_title_and_a_units_line_above_the_header_are_not_data(tmp_path: Path) -> None:
    s, c = files(tmp_path)
    lines = _csv_rows(s)
    _write_rows(
        s, [["示例县义务教育学校基本情况表"], ["填报单位:示例县教育局", "", "单位:人、平方米"], *lines]
    )
    r = eduscore.evaluate(schools=s, counties=c)
    assert verdict(r) == "certified" and "row_above_header" not in rules(r)


def test_a_county_row_above_the_header_is_read(tmp_path: Path) -> None:
    county = passing.county() | {"veto_major_incident": "是"}
    c = write_csv([county], tmp_path / "县.csv", ZH_COUNTIES)
    lines = _csv_rows(c)
    good = write_csv([passing.county()], tmp_path / "good.csv", ZH_COUNTIES)
    _write_rows(c, [lines[1], *_csv_rows(good)])
    s = write_csv(passing.schools(), tmp_path / "学校.csv", ZH)
    r = eduscore.evaluate(schools=s, counties=c)
    assert verdict(r) != "certified" and "row_above_header" in rules(r)


def test_a_workbook_row_above_the_header_is_read_and_flagged(tmp_path: Path) -> None:
    rows = passing.schools()
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "学校"
    names = _names(rows)
    bad = copy.deepcopy(rows[1]) | {"school_id": "9901019998", "school_name": "上面", "sports_area_m2": 10}
    ws.append([bad.get(n) for n in names])
    ws.append([ZH.get(n, n) for n in names])
    for row in rows:
        ws.append([row.get(n) for n in names])
    path = tmp_path / "学校.xlsx"
    book.save(path)
    c = write_csv([passing.county()], tmp_path / "县.csv", ZH_COUNTIES)
    r = eduscore.evaluate(schools=path, counties=c)
    assert verdict(r) == "not_certified" and "row_above_header" in rules(r)


# --------------------------------------------------------------------------- one school twice


@pytest.mark.parametrize(
    "variant", ["9901010001.0", "09901010001", "9.901010001E9", "990101-0001", "9901010001."]
)
def test_a_school_listed_again_under_its_id_written_differently_is_a_duplicate(
    tmp_path: Path, variant: str
) -> None:
    rows = failing_on_cv()
    copy_ = copy.deepcopy(rows[0]) | {"school_id": variant}
    r = eduscore.evaluate(**dict(zip(("schools", "counties"), files(tmp_path, [*rows, copy_]), strict=True)))
    assert verdict(r) == "not_certified"  # the copy would pull the CV under its limit
    (f,) = [f for f in r.findings.to_pylist() if f["rule"] == "similar_id"]
    assert f["value"] == variant and f["rejects_row"]


def test_the_same_school_under_a_new_id_stops_certification(tmp_path: Path) -> None:
    rows = passing.schools()
    twin = copy.deepcopy(rows[1]) | {"school_id": "9901019999"}
    r = eduscore.evaluate(**dict(zip(("schools", "counties"), files(tmp_path, [*rows, twin]), strict=True)))
    assert verdict(r) == "incomplete"
    same = [f for f in r.findings.to_pylist() if f["rule"] == "same_name"]
    assert len(same) == 2 and not any(f["rejects_row"] for f in same)
    assert r.accounting.to_pylist()[0]["scored"] == 6  # both kept, both counted


def test_id_keys_fold_what_spreadsheets_do_to_long_ids() -> None:
    keys = id_key(
        pa.array(["9901010001", "9901010001.0", "09901010001", "9.901010001E9", "990101-0001", "S12"])
    )
    assert keys.to_pylist() == ["9901010001"] * 5 + ["s12"]
    assert id_key(pa.array(["0", "00", "12", "120"])).to_pylist() == ["0", "0", "12", "120"]


# --------------------------------------------------------------------------- totals rows


@pytest.mark.parametrize("label", ["合计", "小计", "Total", "城关片区小计"])
def test_a_subtotal_row_labelled_in_its_id_cell_is_not_a_school(tmp_path: Path, label: str) -> None:
    rows = failing_on_cv()
    total = {k: rows[0][k] for k in ("year", "county_code", "school_type")} | {
        "school_id": label,
        "school_name": label,
        "students_primary": 1800,
        "sports_area_m2": 31000.0 + 11000.0,
        "teachers_primary": 140,
    }
    r = eduscore.evaluate(**dict(zip(("schools", "counties"), files(tmp_path, [*rows, total]), strict=True)))
    assert verdict(r) == "not_certified"
    assert "totals_row" in rules(r) and r.accounting.to_pylist()[0]["scored"] == 5


# --------------------------------------------------------------------------- --county


def test_a_mistyped_county_code_is_reported_when_one_county_is_asked_for(tmp_path: Path) -> None:
    rows = passing.schools()
    rows[2]["county_code"] = "990102"  # not in the counties table: a typo
    s, c = files(tmp_path, rows)
    r = eduscore.evaluate(schools=s, counties=c, county="990101")
    assert "county_without_facts" in rules(r)
    proc = cli("evaluate", str(s), str(c), "--county", "990101", "--lang", "en")
    assert "990102" in proc.stdout + proc.stderr


# --------------------------------------------------------------------------- long form


def _long(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The wide rows as one row per section (the long form)."""
    out = []
    for r in rows:
        for level in ("primary", "junior"):
            if not r.get(f"students_{level}"):
                continue
            sec = {k: v for k, v in r.items() if not k.endswith(("_primary", "_junior"))}
            sec["level"] = level
            for k, v in r.items():
                if k.endswith(f"_{level}"):
                    sec[k.removesuffix(f"_{level}")] = v
            out.append(sec)
    return out


@pytest.mark.parametrize(
    ("column", "value"), [("school_name", "别的名字"), ("ownership", "民办"), ("music_rooms", 1)]
)
def test_sections_of_one_school_that_disagree_on_a_school_fact_stop_certification(
    tmp_path: Path, column: str, value: Any
) -> None:
    sections = _long(passing.schools())
    two = [i for i, s in enumerate(sections) if sum(x["school_id"] == s["school_id"] for x in sections) == 2]
    assert two, "the base data has a school of two levels"
    sections[two[1]][column] = value
    zh = {c.name: c.zh for c in contract.SECTIONS}
    s = write_csv(sections, tmp_path / "学段.csv", zh)
    c = write_csv([passing.county()], tmp_path / "县.csv", ZH_COUNTIES)
    base = eduscore.evaluate(schools=write_csv(_long(passing.schools()), tmp_path / "ok.csv", zh), counties=c)
    assert verdict(base) == "certified"
    r = eduscore.evaluate(schools=s, counties=c)
    assert verdict(r) != "certified"
    assert [f["column"] for f in r.findings.to_pylist() if f["rule"] == "school_facts_differ"] == [column] * 2


# --------------------------------------------------------------------------- workbooks


def _book(tmp: Path, extra: Any) -> Path:
    rows = passing.schools()
    names = _names(rows)
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "学校"
    ws.append([ZH.get(n, n) for n in names])
    for row in rows:
        ws.append([row.get(n) for n in names])
    county = book.create_sheet("县")
    cnames = list(passing.county())
    county.append([ZH_COUNTIES.get(n, n) for n in cnames])
    county.append([passing.county()[n] for n in cnames])
    extra(book, names, rows)
    path = tmp / "数据.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize("state", ["visible", "hidden"])
def test_a_sheet_of_figures_under_unknown_headers_stops_the_run(tmp_path: Path, state: str) -> None:
    def add(book: Any, names: list[str], rows: list[dict[str, Any]]) -> None:
        ws = book.create_sheet("Sheet3")
        ws.append(["School ID", "Name", "Students"])
        ws.append(["9901019998", "x", 10])
        ws.sheet_state = state

    path = _book(tmp_path, add)
    proc = cli("evaluate", str(path), "--lang", "en")
    assert proc.returncode == 2 and "'Sheet3'" in proc.stderr and "Traceback" not in proc.stderr
    notes = _book(
        tmp_path, lambda book, n, r: book.create_sheet("说明").append(["请按模板填写,金额单位为元"])
    )
    assert verdict(eduscore.evaluate(schools=notes, counties=notes)) == "certified"


def test_hidden_rows_of_a_sheet_are_scored_with_a_warning(tmp_path: Path) -> None:
    def hide(book: Any, names: list[str], rows: list[dict[str, Any]]) -> None:
        book["学校"].row_dimensions[3].hidden = True

    path = _book(tmp_path, hide)
    r = eduscore.evaluate(schools=path, counties=path)
    (f,) = [f for f in r.findings.to_pylist() if f["rule"] == "hidden_rows"]
    assert f["severity"] == "warning" and f["value"] == "3" and f["sheet"] == "学校"
    assert r.accounting.to_pylist()[0]["scored"] == 5


# --------------------------------------------------------------------------- Python API types


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("music_rooms", [True] * 5),
        ("students_primary", [timedelta(seconds=1000)] * 5),
        ("max_class_size_primary", pa.array([3600] * 5, pa.time32("s"))),
    ],
)
def test_a_true_false_duration_or_time_column_is_not_a_count(column: str, values: Any) -> None:
    t = pa.Table.from_pylist(
        [
            {k: v for k, v in r.items() if not isinstance(v, str) or k in contract.columns("schools")}
            for r in passing.schools()
        ]
    )
    t = t.set_column(
        t.column_names.index(column), column, pa.array(values) if isinstance(values, list) else values
    )
    counties = pa.Table.from_pylist([passing.county()])
    r = eduscore.evaluate(schools=t, counties=counties)
    assert verdict(r) != "certified"
    assert {f["column"] for f in r.findings.to_pylist() if f["rule"] == "not_a_number"} == {column}


# --------------------------------------------------------------------------- yes/no


def test_wu_answers_a_yes_no_question_with_no(tmp_path: Path) -> None:
    county = passing.county() | {"veto_major_incident": "无"}
    s = write_csv(passing.schools(), tmp_path / "学校.csv", ZH)
    c = write_csv([county], tmp_path / "县.csv", ZH_COUNTIES)
    assert verdict(eduscore.evaluate(schools=s, counties=c)) == "certified"
