"""The readers: workbook sheets (several, hidden, named loosely), blank rows, CSV records
and row numbers, encodings, limits, and Arrow inputs whose columns cannot be cells."""

from __future__ import annotations

import csv
import datetime
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

import eduscore
from eduscore.errors import InputError, LimitError
from eduscore.inputs import read_csv
from eduscore.inputs.read import Limits, Loaded, load_files, load_table, load_tables, role_of_sheet
from helpers import run_cli

HEADER = ["县区代码", "学校标识码", "学校名称", "学校类型", "小学在校生数"]
H = ",".join(HEADER)


def row(i: int, county: str = "990101") -> list[Any]:
    return [county, f"S{i}", f"学校{i}", "小学", 100 + i]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def refused_by_cli(path: Path, *words: str, args: tuple[str, ...] = ()) -> dict[str, str]:
    """``eduscore evaluate path`` exits 2 with a message holding ``words`` and the file's
    name, no traceback, in English and Chinese; returns the messages by language."""
    out = {}
    for lang in ("en", "zh"):
        proc = cli("evaluate", str(path), "-q", "--lang", lang, *args)
        assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr + proc.stdout
        assert path.name in proc.stderr
        out[lang] = proc.stderr
    for word in words:
        assert word in out["en"], (word, out["en"])
    assert "错误" in out["zh"]
    return out


def book(path: Path, sheets: list[tuple[str, list[list[Any] | None], str]]) -> Path:
    """A workbook of (name, rows — None for an empty row, visibility) sheets."""
    wb = xlsxwriter.Workbook(str(path))
    shown = None
    for name, rows, visibility in sheets:
        ws = wb.add_worksheet(name)
        for r, values in enumerate(rows):
            if values is not None:
                ws.write_row(r, 0, values)
        if visibility == "hidden":
            ws.hide()
        elif visibility == "veryhidden":
            ws.very_hidden()
        elif shown is None:
            shown = ws
    if shown is not None:  # Excel cannot hide the active sheet, which is the first unless told
        shown.activate()
        shown.set_first_sheet()
    wb.close()
    return path


# --------------------------------------------------------------------------- several sheets


def test_every_visible_sheet_of_a_role_is_read_with_its_own_rows(tmp_path: Path) -> None:
    """学校 + 学校(续): today the second sheet's rows disappear."""
    path = book(
        tmp_path / "县.xlsx",
        [
            ("学校", [HEADER, row(1), row(2), row(3)], "visible"),
            ("学校(续)", [HEADER, row(4), row(5)], "visible"),
            ("县", [["县区代码", "县区名称"], ["990101", "示例县"]], "visible"),
        ],
    )
    first, second = load_tables(path, "schools")
    assert (first.sheet, second.sheet) == ("学校", "学校(续)")
    assert first.table.column("学校标识码").to_pylist() == ["S1", "S2", "S3"]
    assert second.table.column("学校标识码").to_pylist() == ["S4", "S5"]
    assert second.row_numbers is not None and second.row_numbers.to_pylist() == [2, 3]
    assert second.label.endswith("县.xlsx!学校(续)")
    found = load_files([path])
    assert [t.sheet for t in found["schools"]] == ["学校", "学校(续)"]
    assert [t.sheet for t in found["counties"]] == ["县"]
    with pytest.raises(InputError, match=r"2 tables given .*!学校, .*!学校\(续\)"):
        load_table(path, "schools")


def test_the_cli_loses_no_row_of_a_second_sheet(tmp_path: Path) -> None:
    """Either every row of both sheets is accounted for, or the run stops naming both
    sheets (until the evaluation takes several tables per role): never three rows of five."""
    path = book(
        tmp_path / "县.xlsx",
        [
            ("学校", [HEADER, row(1), row(2), row(3)], "visible"),
            ("学校(续)", [HEADER, row(4), row(5)], "visible"),
        ],
    )
    out = tmp_path / "r.json"
    proc = cli("evaluate", str(path), "-q", "--json", str(out), "--lang", "en")
    assert "Traceback" not in proc.stderr
    if proc.returncode == 0:
        result = json.loads(out.read_text("utf-8"))
        assert sum(a["rows"] for a in result["accounting"] if a["table"] == "schools") == 5
    else:
        assert proc.returncode == 2 and "学校(续)" in proc.stderr and "!学校," in proc.stderr


def test_a_hidden_sheet_that_holds_a_table_stops_the_reading(tmp_path: Path) -> None:
    """A hidden `schools` before the visible 学校 was the one scored; now neither is read
    silently: the message lists the sheets and their visibility and says what to do."""
    path = book(
        tmp_path / "学校.xlsx",
        [
            ("schools", [HEADER, row(9)], "hidden"),
            ("学校", [HEADER, row(1)], "visible"),
            ("Sheet3", [HEADER, row(8)], "veryhidden"),
        ],
    )
    with pytest.raises(InputError) as info:
        load_tables(path, "schools")
    message = info.value.message("en")
    assert "'schools' (a schools table)" in message and "'Sheet3' (a schools table)" in message
    assert "schools (hidden), 学校 (visible), Sheet3 (veryhidden)" in message
    assert "unhide" in message.lower() and "delete" in message
    zh = info.value.message("zh")
    assert "schools(隐藏)" in zh and "Sheet3(深度隐藏)" in zh and "取消隐藏" in zh
    messages = refused_by_cli(path, "hidden sheet", "schools (hidden)")
    assert "隐藏的工作表" in messages["zh"]


def test_a_hidden_sheet_that_is_not_a_table_is_ignored(tmp_path: Path) -> None:
    """Drop-down lists live on hidden sheets; a hidden sheet without a table header (even
    one named 学校类型) is not data."""
    path = book(
        tmp_path / "学校.xlsx",
        [
            ("学校", [HEADER, row(1)], "visible"),
            ("lists", [["小学", "初级中学"], ["是", "否"]], "hidden"),
            ("学校类型", [["小学"], ["初级中学"], ["九年一贯制学校"]], "veryhidden"),
        ],
    )
    (loaded,) = load_tables(path, "schools")
    assert loaded.sheet == "学校" and loaded.table.num_rows == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("学校", ("schools", True)),
        ("学校(续)", ("schools", True)),
        ("学校（续表）", ("schools", True)),
        ("学校2", ("schools", True)),
        ("学校 (2)", ("schools", True)),
        ("学校_2024", ("schools", True)),
        ("Schools (cont.)", ("schools", True)),
        ("县级指标", ("counties", True)),
        ("县", ("counties", True)),
        ("幼儿园-2", ("kindergartens", True)),
        ("学校代码说明", ("schools", False)),
        ("学校(城区)", ("schools", False)),
        ("县区代码表", ("counties", False)),
        ("说明", (None, False)),
        ("Sheet1", (None, False)),
    ],
)
def test_a_sheet_name_names_a_role_outright_or_only_with_its_header(
    name: str, expected: tuple[str | None, bool]
) -> None:
    assert role_of_sheet(name) == expected


def test_a_sheet_whose_name_only_starts_with_a_role_is_a_table_only_with_a_header(tmp_path: Path) -> None:
    """学校代码说明 (notes under a name starting with 学校) is not a schools table; a sheet
    学校(城区) with a schools header is one, and so is Sheet1 with one."""
    path = book(
        tmp_path / "学校.xlsx",
        [
            ("学校", [HEADER, row(1)], "visible"),
            ("学校代码说明", [["学校标识码为教育部统一编码"], ["共10位"]], "visible"),
            ("学校(城区)", [HEADER, row(2)], "visible"),
            ("Sheet1", [["备注"], HEADER, row(3)], "visible"),
            ("县区代码表", [["代码", "名称"], ["990101", "示例县"]], "visible"),
        ],
    )
    found = load_files([path])
    assert [t.sheet for t in found["schools"]] == ["学校", "学校(城区)", "Sheet1"]
    assert "counties" not in found
    sheet1 = found["schools"][2]
    assert sheet1.header_rows == 2 and sheet1.row_numbers is not None
    assert sheet1.row_numbers.to_pylist() == [3]


def test_a_single_sheet_of_any_name_is_the_table_asked_for(tmp_path: Path) -> None:
    path = book(tmp_path / "x.xlsx", [("Sheet1", [["foo", "bar"], [1, 2]], "visible")])
    (loaded,) = load_tables(path, "schools")
    assert loaded.table.column_names == ["foo", "bar"]
    with pytest.raises(InputError, match="no sheet named for schools"):
        load_files([path])


def test_a_sheet_problem_matters_only_when_its_table_is_read(tmp_path: Path) -> None:
    """A header-only 幼儿园 sheet does not stop reading 学校 from the same workbook; an empty
    hidden sheet named 县 hides nothing."""
    path = book(
        tmp_path / "县.xlsx",
        [
            ("学校", [HEADER, row(1)], "visible"),
            ("幼儿园", [["县区代码", "幼儿园标识码", "幼儿园名称"]], "visible"),
            ("县", [], "hidden"),
        ],
    )
    (schools,) = load_tables(path, "schools")
    assert schools.table.num_rows == 1
    with pytest.raises(InputError, match="幼儿园: the sheet has a header"):
        load_files([path])


def test_a_web_page_named_xls_says_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "学校.xls"
    path.write_text("<html><body><table><tr><td>学校标识码</td></tr></table></body></html>", "utf-8")
    with pytest.raises(InputError, match=r"a web page or an XML file named \.xls, not a workbook"):
        load_tables(path, "schools")


def test_a_legacy_xls_goes_through_the_same_reader(tmp_path: Path) -> None:
    """.xls (OLE) is read in the same child process, with the same sheet rules."""
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("学校")
    for c, h in enumerate(HEADER):
        ws.write(0, c, h)
    for c, v in enumerate(row(1)):
        ws.write(2, c, v)
    path = tmp_path / "学校.xls"
    wb.save(str(path))
    (loaded,) = load_tables(path, "schools")
    assert loaded.row_numbers is not None and loaded.row_numbers.to_pylist() == [3]
    assert loaded.blank_rows == ((2, 2),)
    hidden = wb.add_sheet("schools")
    hidden.write(0, 0, "学校标识码")
    hidden.write(0, 1, "学校名称")
    hidden.visibility = 1
    wb.save(str(path))
    with pytest.raises(InputError, match=r"schools \(hidden\)"):
        load_tables(path, "schools")


# --------------------------------------------------------------------------- blank rows


def test_blank_rows_are_not_rows_of_data_and_rows_keep_their_sheet_numbers(tmp_path: Path) -> None:
    """Title rows, blank rows above the header (once skipped by the reader, shifting every
    row number), blank rows between the data, a row of spaces, and trailing blank rows."""
    rows: list[list[Any] | None] = [
        None,
        ["2024年示例县义务教育学校基本情况表"],
        None,
        HEADER,  # row 4
        row(1),
        None,
        None,
        row(2),  # row 8
        ["  ", None, "\u3000"],
        row(3),  # row 10
        None,
        [None, None, " "],
    ]
    path = book(tmp_path / "学校.xlsx", [("学校", rows, "visible")])
    (loaded,) = load_tables(path, "schools")
    assert loaded.header_rows == 4
    assert loaded.row_numbers is not None and loaded.row_numbers.to_pylist() == [5, 8, 10]
    assert loaded.blank_rows == ((6, 7), (9, 9), (11, 12))
    assert loaded.table.column("学校标识码").to_pylist() == ["S1", "S2", "S3"]


def test_a_sheet_with_a_header_and_no_data_says_so(tmp_path: Path) -> None:
    path = book(tmp_path / "学校.xlsx", [("学校", [HEADER, None, [" "]], "visible")])
    with pytest.raises(InputError, match=r"学校: the sheet has a header \(row 1\) but no data rows"):
        load_tables(path, "schools")
    messages = refused_by_cli(path, "has a header (row 1) but no data rows")
    assert "只有表头" in messages["zh"]


def test_cells_under_no_header_are_kept_under_their_column_letter(tmp_path: Path) -> None:
    rows: list[list[Any] | None] = [[*HEADER, None, None], [*row(1), None, "备注"], row(2)]
    (loaded,) = load_tables(book(tmp_path / "学校.xlsx", [("学校", rows, "visible")]), "schools")
    assert loaded.table.column_names == [*HEADER, "(G)"]
    assert loaded.table.column("(G)").to_pylist() == ["备注", None]


# --------------------------------------------------------------------------- CSV records


def write(tmp_path: Path, text: str, name: str = "学校.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c", "\x1e"])
def test_only_cr_and_lf_end_a_csv_line(tmp_path: Path, separator: str) -> None:
    """str.splitlines() splits on these; a name holding one broke the whole file."""
    text = f"{H}\n990101,A,东{separator}湖小学,小学,100\n990101,B,西湖,小学,200\n"
    (loaded,) = load_tables(write(tmp_path, text), "schools")
    assert loaded.table.column("学校名称").to_pylist() == [f"东{separator}湖小学", "西湖"]
    assert loaded.row_numbers is not None and loaded.row_numbers.to_pylist() == [2, 3]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_csv_row_numbers_are_those_a_spreadsheet_shows(tmp_path: Path, newline: str) -> None:
    """A blank line is a row; a quoted value spanning lines is one row; blank rows are runs."""
    lines = [
        "示例县学校情况",  # 1: a title
        H,  # 2
        "990101,A,甲,小学,100",  # 3
        "",  # 4
        '990101,B,"乙',  # 5: one row spanning lines 5-6
        '二",小学,200',
        ",,,,",  # 6
        "   ",  # 7
        "990101,C,丙,小学,300",  # 8
        "",  # 9
    ]
    (loaded,) = load_tables(write(tmp_path, newline.join(lines) + newline), "schools")
    assert loaded.header_rows == 2
    assert loaded.row_numbers is not None and loaded.row_numbers.to_pylist() == [3, 5, 8]
    assert loaded.blank_rows == ((4, 4), (6, 7), (9, 9))
    assert loaded.table.column("学校名称").to_pylist() == ["甲", f"乙{newline}二", "丙"]


def test_a_quote_inside_an_unquoted_value_is_text(tmp_path: Path) -> None:
    text = f'{H}\n990101,A,12" 小学,小学,1\n990101,B,"乙,丙",小学,2\n990101,C,"丁""戊",小学,3\n'
    (loaded,) = load_tables(write(tmp_path, text), "schools")
    assert loaded.table.column("学校名称").to_pylist() == ['12" 小学', "乙,丙", '丁"戊']
    assert loaded.row_numbers is not None and loaded.row_numbers.to_pylist() == [2, 3, 4]


def test_a_header_only_csv_says_it_has_no_data_rows(tmp_path: Path) -> None:
    """It said "Empty CSV file or block"."""
    path = write(tmp_path, f"{H}\n\n")
    with pytest.raises(InputError, match=r"the file has a header \(row 1\) but no data rows"):
        load_tables(path, "schools")
    messages = refused_by_cli(path, "has a header (row 1) but no data rows")
    assert "只有表头" in messages["zh"]
    with pytest.raises(InputError, match="the file is empty"):
        load_tables(write(tmp_path, "\n\n", "empty.csv"), "schools")


def test_rows_with_fewer_or_more_cells_are_read_as_a_spreadsheet_shows_them(tmp_path: Path) -> None:
    """A row cut short has empty cells at its end; a cell beyond the header is kept under
    its column letter; a trailing comma on every row is no column at all. (A wrong number
    of cells failed the whole file.)"""
    text = f"{H}\n990101,A,甲,小学,1\n\n990101,B,乙\n990101,C,丙,小学,3,备注\n   \n990101,D,丁,小学,4\n"
    (loaded,) = load_tables(write(tmp_path, text), "schools")
    assert loaded.table.column_names == [*HEADER, "(F)"]
    assert loaded.table.column("学校名称").to_pylist() == ["甲", "乙", "丙", "丁"]
    assert loaded.table.column("学校类型").to_pylist() == ["小学", None, "小学", "小学"]
    assert loaded.table.column("(F)").to_pylist() == [None, None, "备注", None]
    assert loaded.row_numbers is not None and loaded.row_numbers.to_pylist() == [2, 4, 5, 7]
    assert loaded.blank_rows == ((3, 3), (6, 6))
    trailing = f"{H},\n990101,A,甲,小学,1,\n990101,B,乙,小学,2,\n"
    (loaded,) = load_tables(write(tmp_path, trailing, "t.csv"), "schools")
    assert loaded.table.column_names == HEADER and loaded.table.num_rows == 2


def test_a_million_columns_are_refused_naming_the_limit(tmp_path: Path) -> None:
    """It gave pyarrow's block-size message."""
    path = write(tmp_path, ",".join("c" * 1_000_000) + "\n1\n")
    with pytest.raises(LimitError, match=r"row 1 \(the header\): the header has 1,000,000 columns"):
        load_tables(path, "schools")
    refused_by_cli(path, "max_columns", "--max-columns")


def test_a_line_longer_than_the_limit_is_refused_naming_its_row(tmp_path: Path) -> None:
    path = write(tmp_path, f"{H}\n990101,A,甲,小学,1\n990101,B,{'乙' * 1_000_000},小学,2\n")
    with pytest.raises(LimitError, match=r"学校\.csv, row 3: the line has 2\.9 MB.*--max-line-mb 5"):
        load_tables(path, "schools", Limits(max_line_mb=1))
    messages = refused_by_cli(path, "row 3", "max_line_mb", "--max-line-mb", args=("--max-line-mb", "1"))
    assert "第 3 行" in messages["zh"]


def test_a_line_longer_than_pyarrows_block_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, f"{H}\n990101,B,{'乙' * 1_000_000},小学,2\n990101,C,丙,小学,3\n")
    (loaded,) = load_tables(path, "schools")
    assert pc.utf8_length(loaded.table.column("学校名称")).to_pylist() == [1_000_000, 1]


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-8", "学校.csv"),
        ("utf-8-sig", "学校.csv"),
        ("gbk", "学校.csv"),
        ("gb18030", "学校.csv"),
        ("utf-16", "学校.txt"),
    ],
)
def test_encodings_titles_and_tabs(tmp_path: Path, encoding: str, name: str) -> None:
    sep = "\t" if name.endswith(".txt") else ","
    text = "示例县 2024 年\n\n" + sep.join(HEADER) + "\n" + sep.join(map(str, row(1))) + "\n"
    (loaded,) = load_tables(write(tmp_path, text, name, encoding), "schools")
    assert loaded.header_rows == 3 and loaded.table.column_names == HEADER
    assert loaded.table.column("学校名称").to_pylist() == ["学校1"]
    assert loaded.blank_rows == ()


def test_a_gbk_file_whose_first_chunk_is_ascii(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The encoding is guessed from the first chunk; GBK met later is read again as GBK."""
    monkeypatch.setattr(read_csv, "CHUNK", 256)
    lines = [H, *(",".join(map(str, ["990101", f"S{i}", f"S{i}", "primary", i])) for i in range(40))]
    lines.append("990101,Z,最后的学校,小学,1")
    (loaded,) = load_tables(write(tmp_path, "\n".join(lines) + "\n", encoding="gbk"), "schools")
    assert loaded.table.column("学校名称").to_pylist()[-1] == "最后的学校"


def test_text_that_is_neither_utf8_nor_gb18030_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "学校.csv"
    path.write_bytes(H.encode() + b"\n990101,A,\x80\xff\xfe,x,1\n")
    with pytest.raises(InputError, match="not UTF-8 or GBK/GB18030"):
        load_tables(path, "schools")


# A slow, obvious reference: Python's csv module over the decoded text (it too ends lines
# only at CR and LF, and reads a quote inside an unquoted value as text).
def reference_rows(text: str) -> tuple[list[int], list[int]]:
    records = list(csv.reader(io.StringIO(text, newline="")))
    body = list(enumerate(records, start=1))[1:]
    data = [n for n, r in body if any(c.strip() for c in r)]
    blank = [n for n, r in body if not any(c.strip() for c in r)]
    return data, blank


CELL = st.text(alphabet=st.sampled_from(list('ab甲 ",\n\r\u2028\u0085')), max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=12),
    st.lists(st.integers(0, 12), max_size=4),
    st.sampled_from(["\n", "\r\n"]),
    st.integers(1, 64),
)
def test_csv_records_match_the_csv_module(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[str]],
    blank_at: list[int],
    newline: str,
    chunk: int,
) -> None:
    """Row numbers and blank rows of the vectorised scan equal the csv module's, whatever
    the quoting, the embedded line breaks and the chunk size of the scan."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow(["学校标识码", "学校名称", "county_code"])
    for cells in rows:
        writer.writerow([f"x{c}" if not c.strip() and c else c for c in cells])
    lines = buf.getvalue().split(newline)
    for at in sorted(blank_at, reverse=True):
        lines.insert(min(at + 1, len(lines) - 1), "")
    text = newline.join(lines)
    data, blank = reference_rows(text)
    path = tmp_path_factory.mktemp("csv") / "学校.csv"
    path.write_bytes(text.encode("utf-8"))
    old = read_csv.CHUNK
    read_csv.CHUNK = chunk
    try:
        if not data:
            with pytest.raises(InputError, match="no data rows"):
                load_tables(path, "schools")
            return
        (loaded,) = load_tables(path, "schools")
    finally:
        read_csv.CHUNK = old
    assert loaded.row_numbers is not None and loaded.row_numbers.to_pylist() == data
    got_blank = [n for a, b in loaded.blank_rows for n in range(a, b + 1)]
    assert got_blank == blank
    assert loaded.table.num_rows == len(data)


TOKEN = st.sampled_from(["a", "甲", " ", '"', ",", ",", "\n", "\r", "\r\n", "\u2028", '""'])


@settings(max_examples=200, deadline=None)
@given(st.lists(TOKEN, max_size=40), st.integers(1, 16))
def test_csv_records_of_any_bytes_match_the_csv_module(
    tmp_path_factory: pytest.TempPathFactory, tokens: list[str], chunk: int
) -> None:
    """Stray quotes, unterminated quotes, lone CRs, ragged rows: the same row numbers and
    blank rows as the csv module, and every non-blank record is a row."""
    text = "学校标识码,学校名称,county_code\n" + "".join(tokens)
    data, blank = reference_rows(text)
    path = tmp_path_factory.mktemp("raw") / "学校.csv"
    path.write_bytes(text.encode("utf-8"))
    old = read_csv.CHUNK
    read_csv.CHUNK = chunk
    try:
        if not data:
            with pytest.raises(InputError, match="no data rows"):
                load_tables(path, "schools")
            return
        (loaded,) = load_tables(path, "schools")
    finally:
        read_csv.CHUNK = old
    assert loaded.row_numbers is not None and loaded.row_numbers.to_pylist() == data
    assert [n for a, b in loaded.blank_rows for n in range(a, b + 1)] == blank
    records = list(csv.reader(io.StringIO(text, newline="")))
    for i, n in enumerate(data):  # and the same cells, whether pyarrow or the csv module read them
        for j, name in enumerate(loaded.table.column_names[:3]):
            cell = records[n - 1][j] if j < len(records[n - 1]) else ""
            assert loaded.table.column(name)[i].as_py() == (cell or None)


# --------------------------------------------------------------------------- Arrow inputs

SCHOOL = {"county_code": ["990101"] * 2, "school_id": ["a", "b"], "school_name": ["x", "y"]}
REFUSED = {
    "list": pa.array([[1], [2]]),
    "struct": pa.array([{"x": 1}, {"x": 2}]),
    "map": pa.array([[("a", 1)], [("b", 2)]], pa.map_(pa.string(), pa.int64())),
    "dictionary of lists": pa.DictionaryArray.from_arrays(pa.array([0, 0], pa.int8()), pa.array([[1]])),
    "interval": pa.array([pa.MonthDayNano([1, 2, 3])] * 2),
}


def with_column(name: str, values: pa.Array) -> pa.Table:
    cols = {k: pa.array(v) for k, v in SCHOOL.items()}
    cols["school_type"] = pa.array(["primary", "primary"])
    cols[name] = values
    return pa.table(cols)


@pytest.mark.parametrize("kind", sorted(REFUSED))
@pytest.mark.parametrize("column", ["school_type", "extra"])
def test_a_column_that_cannot_be_cells_is_refused_naming_it(kind: str, column: str) -> None:
    """These crashed later (an Arrow cast error): refused at load with the column and its type."""
    table = with_column(column, REFUSED[kind])
    with pytest.raises(InputError, match=rf"column '{column}' has the type .* text or a number"):
        load_tables(table, "schools")
    with pytest.raises(InputError, match=f"column '{column}'"):
        eduscore.evaluate(schools=table)


@pytest.mark.parametrize("suffix", [".parquet", ".feather"])
def test_files_with_nested_columns_are_refused(tmp_path: Path, suffix: str) -> None:
    table = with_column("extra", REFUSED["struct"])
    path = tmp_path / f"schools{suffix}"
    pq.write_table(table, path) if suffix == ".parquet" else feather.write_feather(table, path)
    with pytest.raises(InputError, match=r"schools\.(parquet|feather): column 'extra' has the type struct"):
        load_tables(path, "schools")
    refused_by_cli(path, "column 'extra'")


@pytest.mark.parametrize(
    "values",
    [
        pa.array([b"primary", b"primary"], pa.binary()),
        pa.array([b"primary", b"primary"], pa.large_binary()),
        pa.array(["primary", "primary"], pa.string_view()),
        pa.array(["primary", "primary"]).dictionary_encode(),
        pa.array([b"primary", b"primary"], pa.binary(7)),
    ],
    ids=["binary", "large_binary", "string_view", "dictionary", "fixed_size_binary"],
)
def test_text_in_other_encodings_of_arrow_is_read_as_text(values: pa.Array) -> None:
    table = with_column("school_type", values)
    (loaded,) = load_tables(table, "schools")
    kind = loaded.table.column("school_type").type
    assert pa.types.is_string(kind) or pa.types.is_large_string(kind)
    result = eduscore.evaluate(schools=table)
    assert result.sections.num_rows == 2


def test_binary_that_is_not_text_is_refused_naming_the_row() -> None:
    values = pa.array([b"ok"] * 5 + [b"\xff\xfe"] + [b"ok"] * 3, pa.binary())
    table = pa.table({"school_id": values})
    with pytest.raises(InputError, match=r"column 'school_id' holds bytes .* first in row 6"):
        load_tables(table, "schools")


def test_dates_and_plain_scalars_pass_unchanged() -> None:
    table = pa.table(
        {
            "d": pa.array([datetime.date(2024, 1, 1)]),
            "n": pa.array(np.array([1.5], np.float16)),
            "b": pa.array([True]),
        }
    )
    (loaded,) = load_tables(table, "schools")
    assert loaded.table is table


# --------------------------------------------------------------------------- interface


def test_loaded_and_lists_of_loaded_pass_through() -> None:
    a = Loaded(pa.table({"x": [1]}), "a.csv", 1)
    b = Loaded(pa.table({"x": [2]}), "b.csv", 1, row_numbers=pa.array([7], pa.int64()))
    assert load_tables(a, "schools") == [a]
    assert load_tables([a, b], "schools") == [a, b]
    assert load_table([b], "schools") is b


def test_load_files_keeps_every_file_of_a_role(tmp_path: Path) -> None:
    """One CSV per county, as provincial inspectors keep them: a list per role, in order."""
    a = write(tmp_path, f"{H}\n{','.join(map(str, row(1)))}\n", "学校_a.csv")
    b = write(tmp_path, f"{H}\n{','.join(map(str, row(2, '990102')))}\n", "学校_b.csv")
    found = load_files([a, b])
    assert list(found) == ["schools"]
    assert [t.source for t in found["schools"]] == [str(a), str(b)]


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_cells"):
        Limits(max_cells=0)
    proc = cli("evaluate", "x.csv", "--max-cells", "-1", "--lang", "en")
    assert proc.returncode == 2 and "reading limits" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("module", ["eduscore.inputs.read", "eduscore.inputs.limits"])
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    failures, tried = doctest.testmod(importlib.import_module(module))
    assert tried > 0 and failures == 0


# --------------------------------------------------------------------------- through evaluate


@pytest.mark.parametrize(("kind", "expected"), [("csv", 5), ("xlsx", 6)])
def test_findings_name_the_spreadsheet_row_after_blank_and_multiline_rows(
    tmp_path: Path, kind: str, expected: int
) -> None:
    """The bad cell's row is the row Excel shows (the CSV's fifth record is on its sixth
    line: a value spans two), whatever blank rows and multi-line values come before it."""
    if kind == "csv":
        text = f'{H}\n990101,A,甲,小学,100\n\n990101,B,"乙\n二",小学,100\n990101,C,丙,小学,约200\n'
        path = write(tmp_path, text)
    else:
        rows: list[list[Any] | None] = [HEADER, row(1), None, row(2), None, [*row(3)[:4], "约200"]]
        path = book(tmp_path / "学校.xlsx", [("学校", rows, "visible")])
    out = tmp_path / "r.json"
    proc = cli("evaluate", str(path), "-q", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    bad = [f for f in json.loads(out.read_text("utf-8"))["findings"] if f["rule"] == "not_a_number"]
    assert [f["row"] for f in bad] == [expected]


def test_a_visible_table_sheet_that_no_role_claims_stops_the_run(tmp_path: Path) -> None:
    """Sheets 学校 and 城区学校 (header without 学校标识码): the second would be skipped."""
    other = ["县代码", "学校名称", "学校类型", "小学在校生数"]
    path = book(
        tmp_path / "学校.xlsx",
        [
            ("学校", [HEADER, row(1)], "visible"),
            ("城区学校", [other, ["990101", "乙", "小学", 100]], "visible"),
        ],
    )
    with pytest.raises(InputError) as err:
        load_tables(path, "schools")
    assert "城区学校" in str(err.value) and "城区学校" in err.value.message("zh")
    proc = cli("evaluate", str(path), "-q")
    assert proc.returncode == 2 and "城区学校" in proc.stderr


def test_a_csv_is_routed_by_its_id_column_before_its_name(tmp_path: Path) -> None:
    path = tmp_path / "县直学校.csv"
    path.write_text(f"{H}\n990101,A,甲,小学,100\n", encoding="utf-8")
    assert list(load_files([path])) == ["schools"]


def test_a_csv_renamed_to_xlsx_says_so(tmp_path: Path) -> None:
    path = tmp_path / "学校.xlsx"
    path.write_text(f"{H}\n990101,A,甲,小学,100\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_tables(path, "schools")
    assert "a CSV?" in str(err.value) and ".csv" in err.value.message("zh")
