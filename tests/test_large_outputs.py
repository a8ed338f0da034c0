"""Reports that scale (#12): result.json split into a document and Parquet files beside
it, and the XLSX summary workbook of many counties — with small data and lowered
thresholds, so the forms a province or the nation gets are tested in seconds."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import attrs
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eduscore
import eduscore.result as result_module
from eduscore.cli import main
from eduscore.model.messages import label
from eduscore.report.context import RenderContext
from eduscore.report.text import json_text
from eduscore.report.xlsx import PER_COUNTY_FOLDER, write_xlsx
from eduscore.result import _json_rows, _json_safe, _records, check_external, validate_json
from eduscore.synthetic import national


@pytest.fixture(scope="module")
def several() -> eduscore.Result:
    """Five or so counties of the synthetic nation, some schools excluded."""
    return eduscore.evaluate(**{k: v for k, v in national(6 / 2850).items() if k != "kindergartens"})


@pytest.fixture(scope="module")
def demo() -> eduscore.Result:
    return eduscore.evaluate(**eduscore.demo_inputs())


def _as_data(table: pa.Table) -> list[dict[str, Any]]:
    """The slow reference: a table's records as to_dict gives them."""
    return _records(table)


# ------------------------------------------------------------------------------- JSON
def test_a_split_result_reads_back_as_the_result_tables(several: eduscore.Result, tmp_path: Path) -> None:
    path = several.write_json(tmp_path, split_rows=100, inline_rows=100)
    doc = json.loads(path.read_text("utf-8"))
    external = {name for name in several.TABLES if isinstance(doc[name], dict)}
    long = {name for name, t in several.tables().items() if t.num_rows > 100}
    assert external == long and {"sections", "section_checks", "checks"} <= external
    for name, table in several.tables().items():
        if name in external:
            ref = doc[name]
            back = pq.read_table(tmp_path / ref["path"])
            assert ref["rows"] == table.num_rows == back.num_rows
            assert ref["path"] == f"result.{name}.parquet" and ref["format"] == "parquet"
            assert back.column_names == table.column_names
            assert _as_data(back) == _as_data(table), name
        else:
            assert doc[name] == _as_data(table), name
    validate_json(path)
    whole = several.to_dict()
    assert {k: v for k, v in doc.items() if k not in several.TABLES} == {
        k: v for k, v in whole.items() if k not in several.TABLES
    }


def test_the_split_threshold_is_the_largest_table(several: eduscore.Result, tmp_path: Path) -> None:
    largest = max(t.num_rows for t in several.tables().values())
    below = several.write_json(tmp_path / "below", split_rows=largest, inline_rows=10)
    assert sorted(p.name for p in (tmp_path / "below").iterdir()) == ["result.json"]
    assert below.read_text("utf-8") == several.to_json()
    above = several.write_json(tmp_path / "above", split_rows=largest - 1, inline_rows=10)
    parquet = sorted(p.name for p in (tmp_path / "above").glob("*.parquet"))
    assert "result.section_checks.parquet" in parquet
    assert len(above.read_text("utf-8")) < len(below.read_text("utf-8"))


def test_a_damaged_or_absent_parquet_file_is_found(several: eduscore.Result, tmp_path: Path) -> None:
    path = several.write_json(tmp_path, split_rows=100, inline_rows=100)
    doc = json.loads(path.read_text("utf-8"))
    external = {n: doc[n] for n in several.TABLES if isinstance(doc[n], dict)}
    assert check_external(external, tmp_path) == []
    sections = tmp_path / "result.sections.parquet"
    # Other bytes of the same table: the sha256 no longer matches.
    pq.write_table(several.sections, sections, compression="gzip")
    assert any("sha256" in p and "sections" in p for p in check_external(external, tmp_path))
    with pytest.raises(ValueError, match="sha256"):
        validate_json(path)
    # Rows left out, the hash updated to match: the row count is wrong.
    pq.write_table(several.sections.slice(0, 10), sections)
    forged = dict(external, sections={**external["sections"], "sha256": result_module._sha256(sections)})
    assert [p for p in check_external(forged, tmp_path) if "sections" in p] == [
        f"sections (result.sections.parquet): 10 rows, the reference says {several.sections.num_rows}"
    ]
    # A column dropped that the schema requires, and the reference's columns forged to match.
    pq.write_table(several.sections.drop_columns(["unit_id"]), sections)
    columns = {k: v for k, v in external["sections"]["columns"].items() if k != "unit_id"}
    forged = dict(
        external,
        sections={**external["sections"], "sha256": result_module._sha256(sections), "columns": columns},
    )
    assert [p for p in check_external(forged, tmp_path) if "sections" in p] == [
        "sections (result.sections.parquet): column 'unit_id' is missing"
    ]
    # A column of the wrong type.
    checks = tmp_path / "result.checks.parquet"
    table = several.checks.set_column(
        several.checks.column_names.index("status"), "status", pa.array([1] * several.checks.num_rows)
    )
    pq.write_table(table, checks)
    forged = dict(
        external,
        checks={
            **external["checks"],
            "sha256": result_module._sha256(checks),
            "columns": {f.name: str(f.type) for f in pq.read_schema(checks)},
        },
    )
    assert any("'status' is int64" in p for p in check_external(forged, tmp_path))
    # Absent.
    (tmp_path / "result.section_checks.parquet").unlink()
    assert any("section_checks" in p and "no such file" in p for p in check_external(external, tmp_path))


def test_a_reference_cannot_point_out_of_its_folder(several: eduscore.Result, tmp_path: Path) -> None:
    ref = {"path": "../elsewhere.parquet", "format": "parquet", "rows": 0, "sha256": "0" * 64, "columns": {}}
    assert check_external({"sections": ref}, tmp_path) == [
        "sections (../elsewhere.parquet): no such file beside result.json"
    ]


def test_the_vectorised_json_equals_to_dict_for_long_tables(
    several: eduscore.Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(result_module, "FULL_VALIDATION_ROWS", 0)  # every table by Arrow
    for indent in (2, None):
        assert json.loads(several.to_json(indent=indent, validate=False)) == several.to_dict()


values = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
)


@given(
    st.lists(st.one_of(st.none(), st.text()), min_size=1, max_size=20),
    st.lists(st.one_of(st.none(), st.floats()), min_size=20, max_size=20),
    st.lists(
        st.one_of(st.none(), st.lists(st.one_of(st.none(), st.text()), max_size=3)), min_size=20, max_size=20
    ),
)
def test_each_vectorised_record_is_what_json_dumps_reads(
    texts: list[str | None], numbers: list[float | None], lists: list[list[str | None] | None]
) -> None:
    n = len(texts)
    table = pa.table(
        {
            "text": pa.array(texts, pa.string()),
            "dict": pa.array(texts, pa.string()).dictionary_encode(),
            "number": pa.array(numbers[:n], pa.float64()),
            "flag": pa.array([None if x is None else x > 0 for x in numbers[:n]], pa.bool_()),
            "count": pa.array(
                [None if x is None or not math.isfinite(x) else int(x) % 1000 for x in numbers[:n]]
            ),
            "list": pa.array(lists[:n], pa.list_(pa.string())),
            'odd "key"\n': pa.array(texts, pa.string()),
        }
    )
    rows = _json_rows(table.to_batches()[0]).to_pylist()
    expected = _records(table)
    assert [json.loads(r) for r in rows] == expected
    # Written as safely as json_text writes them: nothing live for a terminal.
    for row, record in zip(rows, expected, strict=True):
        assert row == json_text(row)
        assert json.loads(row) == record


def test_the_escaped_characters_are_those_of_json_text() -> None:
    for start in range(0, 0x30000, 0x1000):
        text = "".join(chr(c) for c in range(start, start + 0x1000))
        assert _json_safe(text) == json_text(text)


# ------------------------------------------------------------------------------- XLSX
def _rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return [tuple(r) for r in book[sheet].iter_rows(values_only=True)]


def test_many_counties_get_a_summary_workbook_of_one_row_per_county(
    several: eduscore.Result, tmp_path: Path
) -> None:
    path = write_xlsx(several, tmp_path, "en")
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["About", "Verdict", "Open checks", "CV", "Findings summary", "Accounting"]
    rows = _rows(path, "Verdict")[1:]
    verdicts = several.verdicts.to_pylist()
    assert len(rows) == len(verdicts) == several.verdicts.num_rows > 1
    expected = {(v["county_code"], v["year"]): label(f"verdict.{v['verdict']}", "en") for v in verdicts}
    assert {(r[0], r[2]): r[3] for r in rows} == expected
    assert {(r[0], r[2]): (r[5], r[6], r[7]) for r in rows} == {
        (v["county_code"], v["year"]): (v["n_pass"], v["n_fail"], v["n_not_assessed"]) for v in verdicts
    }
    # The CVs by county are the engine's.
    cv_rows = _rows(path, "CV")
    disp = several.dispersion.to_pylist()
    assert len(cv_rows) - 1 == len({(d["county_code"], d["year"], d["level"]) for d in disp})
    head = cv_rows[0]
    first = next(d for d in disp if math.isfinite(d["cv"]))
    name = eduscore.report.view.ReportView(several, "en").indicator_name(first["indicator"])
    column = head.index(f"{name} CV")
    level = eduscore.report.view.ReportView(several, "en").level(first["level"])
    (row,) = [r for r in cv_rows[1:] if r[0] == first["county_code"] and r[2] == level]
    assert math.isclose(row[column], first["cv"], rel_tol=1e-12)
    assert not (tmp_path / PER_COUNTY_FOLDER).exists()


def test_one_county_keeps_the_full_workbook(demo: eduscore.Result, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(write_xlsx(demo, tmp_path), read_only=True)
    assert "分校数据" in book.sheetnames and "差异系数" in book.sheetnames


def test_a_sheet_cut_at_the_row_cap_says_so_at_its_top(demo: eduscore.Result, tmp_path: Path) -> None:
    context = RenderContext(demo, "en")
    in_scope = sum(demo.sections.column("in_scope").to_pylist())
    assert in_scope < 20 < demo.checks.num_rows
    path = write_xlsx(context, tmp_path, max_rows=20)  # the full workbook: the schools fit
    checks = _rows(path, "Checks")
    assert len(checks) == 1 + 1 + 20  # the note, the header, twenty rows
    assert checks[0][0] == label("xlsx.cut", "en").format(
        "20", f"{demo.checks.num_rows:,}", label("xlsx.full_data", "en")
    )
    assert checks[1][0] == "county code"
    accounting = _rows(path, "Accounting")
    assert accounting[0][0] == "table"  # short sheets are as before
    (notice,) = context.notices
    assert "Checks:" in notice and str(demo.checks.num_rows) in notice


def test_the_summary_cut_names_where_the_rest_is(several: eduscore.Result, tmp_path: Path) -> None:
    context = RenderContext(several, "zh")
    path = write_xlsx(context, tmp_path, max_rows=2)
    rows = _rows(path, "结论")
    assert (
        rows[0][0] is not None
        and "result.json" in rows[0][0]
        and f"{several.verdicts.num_rows:,}" in rows[0][0]
    )
    assert len(rows) == 4 and context.notices


def test_per_county_workbooks_one_file_a_county(several: eduscore.Result, tmp_path: Path) -> None:
    context = RenderContext(several, "zh", xlsx_per_county=True)
    write_xlsx(context, tmp_path)
    codes = sorted(set(several.verdicts.column("county_code").to_pylist()))
    files = sorted(p.name for p in (tmp_path / PER_COUNTY_FOLDER).iterdir())
    assert files == [f"report-{c}.xlsx" for c in codes]
    for code in codes:
        path = tmp_path / PER_COUNTY_FOLDER / f"report-{code}.xlsx"
        verdicts = _rows(path, "结论")[1:]
        assert {r[0] for r in verdicts} == {code}
        schools = _rows(path, "分校数据")[1:]
        in_scope = [s for s in several.sections.to_pylist() if s["county_code"] == code and s["in_scope"]]
        assert len(schools) == len(in_scope) > 0
    about = _rows(tmp_path / "report.xlsx", "说明")
    assert any(PER_COUNTY_FOLDER in str(r[0]) for r in about)


def test_the_county_results_are_the_filtered_tables(several: eduscore.Result) -> None:
    import pyarrow.compute as pc

    from eduscore.report.xlsx import county_results

    seen = []
    for code, part in county_results(several):
        seen.append(code)
        for name in ("verdicts", "checks", "sections", "section_checks", "dispersion", "excluded"):
            table = getattr(several, name)
            mine = table.filter(pc.equal(table.column("county_code"), code))
            assert sorted(map(str, _records(getattr(part, name)))) == sorted(map(str, _records(mine))), name
    assert seen == sorted(set(several.verdicts.column("county_code").to_pylist()))


def test_the_cli_writes_the_split_json_and_the_workbooks_per_county(
    several: eduscore.Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = national(6 / 2850)
    for name in ("schools", "counties"):
        pq.write_table(data[name], tmp_path / f"{name}.parquet")
    monkeypatch.setattr(result_module, "SPLIT_ROWS", 100)
    out = tmp_path / "out"
    code = main(
        ["evaluate", str(tmp_path / "schools.parquet"), str(tmp_path / "counties.parquet"), "--out", str(out),
         "--format", "json", "--format", "xlsx", "--xlsx-per-county", "--quiet"]
    )  # fmt: skip
    assert code == 0
    validate_json(out / "result.json")
    assert (out / "result.section_checks.parquet").exists()
    assert len(list((out / PER_COUNTY_FOLDER).glob("report-*.xlsx"))) == several.verdicts.num_rows


def test_a_small_result_is_one_document_as_before(demo: eduscore.Result, tmp_path: Path) -> None:
    path = demo.write_json(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]
    assert path.read_text("utf-8") == json_text(json.dumps(demo.to_dict(), ensure_ascii=False, indent=2))
    validate_json(path)


def test_split_form_refuses_a_bad_inline_record(several: eduscore.Result, tmp_path: Path) -> None:
    bad = several.verdicts.set_column(
        several.verdicts.column_names.index("verdict"),
        "verdict",
        pa.array(["maybe"] * several.verdicts.num_rows),
    )
    with pytest.raises(Exception, match="maybe"):
        attrs.evolve(several, verdicts=bad).write_json(tmp_path, split_rows=100, inline_rows=100)
