"""Resource bombs: small files that ask a reader for unbounded memory or time.

Each file is generated here (a few MB at most). The CLI runs in a subprocess whose address
space is capped at 3 GiB, as a machine with little memory would be: it must not abort
(a negative return code is a signal), must exit with status 2 within seconds, and must say
which limit was hit and how to raise it, in English and in Chinese.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from eduscore.errors import LimitError
from eduscore.inputs.limits import physical_memory
from eduscore.inputs.read import Limits, load_tables

CAP = 3 * 1024**3
# The CLI under a memory cap set by the process itself (no preexec_fn: the test process has threads).
RUNNER = (
    "import resource, runpy, sys; "
    f"resource.setrlimit(resource.RLIMIT_AS, ({CAP}, {CAP})); "
    "sys.argv = ['eduscore', *sys.argv[1:]]; "
    "runpy.run_module('eduscore.cli', run_name='__main__')"
)
HEADER = ["县区代码", "学校标识码", "学校名称", "学校类型", "小学在校生数"]

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS caps memory on Linux only")


def capped_cli(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    return proc, time.perf_counter() - start


def refused(path: Path, limit: str, option: str, *extra: str) -> str:
    """Run ``eduscore evaluate path`` capped, in English and Chinese; check the refusal and
    return the English message."""
    messages = {}
    for lang in ("en", "zh"):
        proc, seconds = capped_cli("evaluate", str(path), "-q", "--lang", lang, *extra)
        assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
        assert seconds < 30, seconds
        assert "Traceback" not in proc.stderr + proc.stdout
        # The English message names the Limits keyword too; the Chinese one the option only.
        assert option in proc.stderr and (lang == "zh" or limit in proc.stderr), proc.stderr
        assert path.name in proc.stderr
        messages[lang] = proc.stderr
    assert "上限" in messages["zh"] and "错误" in messages["zh"]
    assert "limit" in messages["en"]
    return messages["en"]


def workbook(path: Path, extra_cell: tuple[int, int] | None = None, rows: int = 5) -> Path:
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("学校")
    ws.write_row(0, 0, HEADER)
    for i in range(rows):
        ws.write_row(i + 1, 0, ["990101", f"S{i}", f"学校{i}", "小学", 100 + i])
    if extra_cell is not None:
        ws.write(*extra_cell, "x")
    book.close()
    return path


def rezip(src: Path, dst: Path, change: dict[str, bytes | None]) -> Path:
    """Copy a workbook, replacing (or with None, deleting a tag from) some parts."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in change:
                data = change[info.filename] or data
            zout.writestr(info.filename, data)
    return dst


def without_dimension(src: Path, dst: Path) -> Path:
    """The same workbook with no <dimension> tag: the declared extent cannot warn."""
    import re

    with zipfile.ZipFile(src) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    return rezip(src, dst, {"xl/worksheets/sheet1.xml": re.sub(rb"<dimension[^>]*/>", b"", sheet)})


# --------------------------------------------------------------------------- (a) far cell


def test_a_cell_at_xfd1048576_is_refused_before_reading(tmp_path: Path) -> None:
    """11 KB, and calamine would allocate 512 GiB (the process aborts with SIGABRT)."""
    path = workbook(tmp_path / "学校.xlsx", (1048575, 16383))
    assert path.stat().st_size < 20_000
    message = refused(path, "max_cells", "--max-cells")
    assert "A1:XFD1048576" in message and "17,179,869,184 cells" in message
    with pytest.raises(LimitError, match=r"学校\.xlsx!学校: the sheet declares the cells A1:XFD1048576"):
        load_tables(path, "schools")


def test_a_far_cell_without_a_dimension_tag_is_stopped_by_the_child_memory_cap(tmp_path: Path) -> None:
    """The file lies (no <dimension>): the reader runs, asks for 512 GiB in the child, and
    the child's death becomes a LimitError — the CLI process itself survives."""
    path = without_dimension(workbook(tmp_path / "src.xlsx", (1048575, 16383)), tmp_path / "lying.xlsx")
    message = refused(path, "max_memory_mb", "memory")
    assert "asked for 512 GiB" in message
    assert "this process may use" in message  # the test's own 3 GiB cap is the lower one
    message = refused(path, "max_memory_mb", "--max-memory-mb", "--max-memory-mb", "1000")
    assert "more than the limit of 1,000 MB (max_memory_mb)" in message
    if physical_memory() < 512 * 2**30:
        assert "Raising the limit (--max-memory-mb) would not help" in message
    with pytest.raises(LimitError, match="needs more memory"):
        load_tables(path, "schools")


# --------------------------------------------------------------------------- (b) far row


def test_a_cell_at_a1048576_reads_quickly_and_reports_one_run_of_blank_rows(tmp_path: Path) -> None:
    """A stray cell a million rows down: its row is a row of data (rejected later, for its
    empty ids), the million rows above it are one run of blank rows, not a million rejections."""
    path = workbook(tmp_path / "学校.xlsx", (1048575, 0))
    start = time.perf_counter()
    (loaded,) = load_tables(path, "schools")
    assert time.perf_counter() - start < 20
    assert loaded.table.num_rows == 6
    assert loaded.row_numbers is not None
    assert loaded.row_numbers.to_pylist() == [2, 3, 4, 5, 6, 1048576]
    assert loaded.blank_rows == ((7, 1048575),)
    out = tmp_path / "r.json"
    proc, seconds = capped_cli("evaluate", str(path), "-q", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    assert seconds < 30
    import json

    result = json.loads(out.read_text("utf-8"))
    assert [a["rows"] for a in result["accounting"]] == [6]
    assert len(result["rejected"]) < 10  # the stray row, not a million blank ones


# --------------------------------------------------------------------------- (c) huge string


def _zip_with_stream(src: Path, dst: Path, name: str, stream: bytes, crc: int, size: int) -> Path:
    """Copy ``src`` with part ``name`` replaced by a ready-made deflate ``stream`` whose
    CRC and uncompressed size are declared as ``crc`` and ``size`` (true or not)."""
    with zipfile.ZipFile(src) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    out, central = bytearray(), bytearray()
    for part, data in parts.items():
        if part == name:
            body, p_crc, p_size = stream, crc, size
        else:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            body, p_crc, p_size = c.compress(data) + c.flush(), zlib.crc32(data), len(data)
        encoded = part.encode()
        offset = len(out)
        fields = (20, 0, 8, 0, 0, p_crc, len(body), p_size, len(encoded))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + encoded + body
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, 0, offset)
        central += encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), len(central), len(out), 0)
    dst.write_bytes(bytes(out + central + end))
    return dst


def huge_shared_string(tmp_path: Path, gib: float, lie: bool) -> Path:
    """A normal workbook whose shared-string table gains one string of ``gib`` GiB of "y"
    (deflated to ~1 MB per GiB: full-flush blocks of identical input are identical)."""
    src = workbook(tmp_path / "src.xlsx")
    with zipfile.ZipFile(src) as z:
        sst = z.read("xl/sharedStrings.xml")
    head, _, _ = sst.rpartition(b"</sst>")
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head + b"<si><t>") + c.flush(zlib.Z_FULL_FLUSH)
    chunk = b"y" * (1 << 20)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    n = int(gib * 1024)
    last = c.compress(b"</t></si></sst>") + c.flush()
    stream = first + block * n + last
    size = len(head) + 7 + n * len(chunk) + 15
    if lie:
        crc, size = 0, len(sst)
    else:
        crc = zlib.crc32(head + b"<si><t>")
        for _ in range(n):
            crc = zlib.crc32(chunk, crc)
        crc = zlib.crc32(b"</t></si></sst>", crc)
    return _zip_with_stream(src, tmp_path / "学校.xlsx", "xl/sharedStrings.xml", stream, crc, size)


def test_a_huge_shared_string_is_refused_from_the_zip_directory(tmp_path: Path) -> None:
    path = huge_shared_string(tmp_path, 1.5, lie=False)
    assert path.stat().st_size < 3_000_000
    message = refused(path, "max_shared_strings_mb", "--max-shared-strings-mb")
    assert "xl/sharedStrings.xml" in message and "1,536 MB" in message


def test_a_huge_shared_string_let_through_is_stopped_by_the_child_memory_cap(tmp_path: Path) -> None:
    """With the size checks raised, the 1.5 GB string is read — in the child, under the cap."""
    path = huge_shared_string(tmp_path, 1.5, lie=False)
    message = refused(
        path,
        "max_memory_mb",
        "memory",
        "--max-shared-strings-mb",
        "4000",
        "--max-ratio",
        "100000",
    )
    assert "needs more memory" in message


def test_a_zip_that_lies_about_its_sizes_ends_in_a_message(tmp_path: Path) -> None:
    """The zip directory says the shared strings unzip to a few hundred bytes; they unzip
    to 1.5 GB. Whatever the reader makes of it, the CLI says so and exits 2."""
    path = huge_shared_string(tmp_path, 1.5, lie=True)
    for lang in ("en", "zh"):
        proc, seconds = capped_cli("evaluate", str(path), "-q", "--lang", lang)
        assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
        assert seconds < 30 and "Traceback" not in proc.stderr
        assert "学校.xlsx" in proc.stderr


def test_a_part_compressed_a_thousand_times_is_refused(tmp_path: Path) -> None:
    src = workbook(tmp_path / "src.xlsx")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp_path / "学校.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            z.writestr(info.filename, zin.read(info))
        z.writestr("xl/media/image1.bin", bytes(64 * 1024 * 1024))
    message = refused(tmp_path / "学校.xlsx", "max_ratio", "--max-ratio")
    assert "xl/media/image1.bin" in message


def test_parts_that_unzip_beyond_the_limit_are_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "学校.xlsx", rows=20_000)
    message = refused(path, "max_uncompressed_mb", "--max-uncompressed-mb", "--max-uncompressed-mb", "1")
    assert "unzip to" in message


# --------------------------------------------------------------------------- the child's limits


def test_a_slow_read_is_stopped_by_the_timeout(tmp_path: Path) -> None:
    path = workbook(tmp_path / "学校.xlsx", rows=20_000)
    message = refused(path, "timeout_s", "--read-timeout", "--read-timeout", "0.01")
    assert "reading the workbook takes longer" in message and "limit of 0.01 s" in message


def test_too_little_memory_for_the_reader_is_a_limit_not_a_crash(tmp_path: Path) -> None:
    path = workbook(tmp_path / "学校.xlsx")
    refused(path, "max_memory_mb", "--max-memory-mb", "--max-memory-mb", "40")


def test_a_sheet_wider_than_the_column_limit_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "学校.xlsx", (3, 999))
    refused(path, "max_columns", "--max-columns", "--max-columns", "500")


def test_the_process_limit_is_never_exceeded_by_the_child() -> None:
    """The child's cap is max_memory_mb, or the caller's own hard limit when lower."""
    from eduscore.inputs.read_excel import memory_cap

    assert memory_cap(Limits(max_memory_mb=100)) == 100 * 1024 * 1024
    code = (
        "import resource; from eduscore.inputs.read_excel import memory_cap; "
        "from eduscore.inputs.read import Limits; "
        f"resource.setrlimit(resource.RLIMIT_AS, ({CAP}, {CAP})); "
        "print(memory_cap(Limits(max_memory_mb=100_000)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) == CAP


# --------------------------------------------------------------------------- columnar files


def test_a_parquet_file_that_unpacks_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "schools.parquet"
    pq.write_table(pa.table({"school_id": pa.array(["a"] * 2_000_000)}), path, compression="zstd")
    assert path.stat().st_size < 200_000
    with pytest.raises(LimitError, match=r"max_uncompressed_mb.*--max-uncompressed-mb"):
        load_tables(path, "schools", Limits(max_uncompressed_mb=5))
    assert load_tables(path, "schools")[0].table.num_rows == 2_000_000


def test_a_feather_file_that_unpacks_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    import pyarrow.feather as feather

    path = tmp_path / "schools.feather"
    table = pa.table({"school_id": pa.array(["a"] * 500_000)})
    feather.write_feather(table, path, compression="zstd", chunksize=100_000)
    with pytest.raises(LimitError, match="max_uncompressed_mb"):
        load_tables(path, "schools", Limits(max_uncompressed_mb=1))
    assert load_tables(path, "schools")[0].table.num_rows == 500_000
