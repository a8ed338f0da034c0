"""Workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods), read safely.

A workbook can ask a reader for any amount of memory: one stray cell at ``XFD1048576``
declares a sheet of 17 billion cells, which calamine (fastexcel's Rust reader) allocates
densely — 512 GiB, and the process aborts; a 1.5 MB file can unzip to a 1.5 GB string.
So a workbook is read in two steps:

1. checks before reading, in this process, from the zip directory and the first bytes
   of each sheet: the unzipped size of all parts, each part's compression ratio, the size
   of the shared-string table, and each sheet's declared extent (``<dimension ref=…>``);
2. the reading itself in a child process whose memory (Linux ``RLIMIT_AS``) and time are
   capped, since a file can lie (no dimension tag, cells without addresses, false sizes in
   the zip directory). The child hands back one Arrow IPC file per sheet. A child that
   dies, aborts or runs out of time becomes a :class:`~eduscore.errors.LimitError`.

Starting the child costs about 0.2 s (a Python start-up and the fastexcel and pyarrow
imports), the same for every workbook.
"""

from __future__ import annotations

import codecs
import html
import json
import os
import posixpath
import re
import signal
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import attrs
import pyarrow as pa
import pyarrow.ipc as ipc

from eduscore.errors import InputError, LimitError
from eduscore.inputs import _excel_child
from eduscore.inputs.limits import MB, Limits, check_file_size, exceeded

ZIPPED = (".xlsx", ".xlsm", ".xlsb", ".ods")
CELL_BYTES = 32  # what the reader allocates per cell of a sheet's extent, filled or not
CHILD = Path(_excel_child.__file__)


@attrs.frozen
class Sheet:
    """One sheet as read: every cell as text; row ``i`` of ``table`` is row ``i + 1`` of the sheet."""

    name: str
    visible: str  # "visible", "hidden", "veryhidden" (or "unknown" when unreadable)
    table: pa.Table | None  # None when the sheet could not be read (``error`` says why)
    error: str = ""
    hidden_rows: tuple[int, ...] = ()  # sheet row numbers hidden (or filtered out) in Excel


#: What opening or reading a damaged zip (an .xlsx cut short, bytes flipped, an unknown zip
#: version) can raise: such a file is left to the reader, which says what is wrong.
ZIP_ERRORS = (
    KeyError,
    ValueError,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
)


def read_workbook(path: Path, limits: Limits) -> list[Sheet]:
    """Every sheet of the workbook at ``path``, in workbook order."""
    check_file_size(path, limits)
    with path.open("rb") as f:
        head = f.read(512).removeprefix(b"\xef\xbb\xbf").lstrip()
    if head[:1] == b"<":
        # Statistics systems often export a web page (or Excel 2003 XML) under the name .xls.
        raise InputError(
            f"{path}: this is a web page or an XML file named {path.suffix}, not a workbook; "
            "open it in Excel and save it as .xlsx, or export the table as CSV",
            zh=f"{path}:这是以 {path.suffix} 命名的网页或 XML 文件,不是工作簿;"
            "请用 Excel 打开后另存为 .xlsx,或导出为 CSV",
        )
    if not head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) and _looks_like_text(head):
        # Neither a zip (xlsx, ods) nor an OLE file (xls): a CSV renamed, most often.
        raise InputError(
            f"{path}: this is a text file (a CSV?) named {path.suffix}, not a workbook; "
            "rename it to .csv, or open it in Excel and save it as .xlsx",
            zh=f"{path}:这是以 {path.suffix} 命名的文本文件(CSV?),不是工作簿;请改名为 .csv,"
            "或用 Excel 打开后另存为 .xlsx",
        )
    if path.suffix.lower() in ZIPPED:
        check_zip(path, limits)
    sheets = _in_child(path, limits)
    if path.suffix.lower() in ZIPPED:
        hidden = hidden_rows(path)
        sheets = [attrs.evolve(s, hidden_rows=hidden.get(s.name, ())) for s in sheets]
    return sheets


_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_HIDDEN = re.compile(rb'\bhidden\s*=\s*"(?:1|true)"')
_ROW_NUMBER = re.compile(rb'\br\s*=\s*"(\d+)"')


def hidden_rows(path: Path) -> dict[str, tuple[int, ...]]:
    """{sheet name: row numbers} of the rows Excel hides (hidden by hand, or filtered out by
    an AutoFilter), read from each worksheet's ``<row hidden="1">`` tags in a streaming
    scan. Such rows are read and scored like any other, but the user cannot see them."""
    out: dict[str, tuple[int, ...]] = {}
    try:
        book = zipfile.ZipFile(path)
    except ZIP_ERRORS:
        return out
    with book:
        for part, name in _sheet_parts(book).items():
            rows: list[int] = []
            try:
                with book.open(part) as f:
                    carry = b""
                    while chunk := f.read(1 << 20):
                        text = carry + chunk
                        cut = text.rfind(b"<")
                        body, carry = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
                        for tag in _ROW_TAG.finditer(body):
                            if _HIDDEN.search(tag.group(1)):
                                number = _ROW_NUMBER.search(tag.group(1))
                                if number:
                                    rows.append(int(number.group(1)))
            except ZIP_ERRORS:
                continue
            if rows:
                out[name] = tuple(rows)
    return out


def _looks_like_text(head: bytes) -> bool:
    """Whether the first bytes read as text (UTF-8 or GB18030, no control bytes but
    tabs and line ends): a workbook's first bytes never do."""
    if not head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:  # the 512 bytes may end inside a character
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return all(ch.isprintable() or ch in "\t\r\n" for ch in text)
    return False


# --------------------------------------------------------------------------- checks before reading


def check_zip(path: Path, limits: Limits) -> None:
    """Refuse a workbook whose zip directory or sheet headers announce more than the limits.

    A file that is not a readable zip is left to the reader, which says what is wrong."""
    try:
        book = zipfile.ZipFile(path)
    except ZIP_ERRORS:
        return
    with book:
        parts = book.infolist()
        total = sum(p.file_size for p in parts)
        if total > limits.max_uncompressed_mb * MB:
            raise exceeded(
                str(path),
                f"its parts unzip to {total / MB:,.0f} MB",
                f"解压后共 {total / MB:,.0f} MB",
                "max_uncompressed_mb",
                limits,
                total / MB,
            )
        for part in parts:
            if posixpath.basename(part.filename).lower().startswith("sharedstrings") and (
                part.file_size > limits.max_shared_strings_mb * MB
            ):
                raise exceeded(
                    str(path),
                    f"its shared-string table ({part.filename}, all the texts of the workbook) "
                    f"unzips to {part.file_size / MB:,.0f} MB",
                    f"其共享字符串表({part.filename},工作簿中的全部文字)"
                    f"解压后为 {part.file_size / MB:,.0f} MB",
                    "max_shared_strings_mb",
                    limits,
                    part.file_size / MB,
                )
            ratio = part.file_size / max(part.compress_size, 1)
            if part.file_size > MB and ratio > limits.max_ratio:
                raise exceeded(
                    f"{path}, part {part.filename}",
                    f"{part.compress_size:,} bytes unzip to {part.file_size / MB:,.0f} MB "
                    f"(a ratio of {ratio:,.0f}, as in a zip bomb)",
                    f"{part.compress_size:,} 字节解压后为 {part.file_size / MB:,.0f} MB"
                    f"(压缩比 {ratio:,.0f},类似“压缩炸弹”)",
                    "max_ratio",
                    limits,
                    ratio,
                )
        for sheet_part, name in _sheet_parts(book).items():
            extent = _declared_extent(book, sheet_part)
            if extent is None:
                continue
            ref, rows, columns = extent
            where = f"{path}!{name}"
            if columns > limits.max_columns:
                raise exceeded(
                    where,
                    f"the sheet declares the cells {ref}, {columns:,} columns",
                    f"工作表声明的单元格范围为 {ref},共 {columns:,} 列",
                    "max_columns",
                    limits,
                    columns,
                )
            if rows * columns > limits.max_cells:
                raise exceeded(
                    where,
                    f"the sheet declares the cells {ref}, {rows:,} rows × {columns:,} columns = "
                    f"{rows * columns:,} cells (a stray cell far below or to the right of the data? "
                    "Ctrl+End in Excel shows the last cell; delete the empty rows and columns before it)",
                    f"工作表声明的单元格范围为 {ref},{rows:,} 行 × {columns:,} 列 = "
                    f"{rows * columns:,} 个单元格(数据下方或右侧远处有零星单元格?"
                    "在 Excel 中按 Ctrl+End 可找到最后一个单元格,删除其间的空行空列)",
                    "max_cells",
                    limits,
                    rows * columns,
                    needs_bytes=rows * columns * CELL_BYTES,
                )


_ATTR = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')
_SHEET = re.compile(r"<(?:\w+:)?sheet\b([^>]*)>")
_REL = re.compile(r"<(?:\w+:)?Relationship\b([^>]*)>")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s[^>]*?ref\s*=\s*"([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?"')
_SMALL = 16 * MB  # workbook.xml and its relationships: a few KB in any real workbook


def _sheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    """{worksheet part: sheet name} of an .xlsx/.xlsm, from xl/workbook.xml and its
    relationships; empty when the workbook is of another kind or they cannot be read."""
    try:
        infos = {i.filename: i for i in book.infolist()}
        if any(infos[n].file_size > _SMALL for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")):
            return {}
        workbook = book.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = book.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except ZIP_ERRORS:
        return {}
    targets = {}
    for match in _REL.finditer(rels):
        attrs_ = dict(_ATTR.findall(match.group(1)))
        if "Id" in attrs_ and "Target" in attrs_:
            target = attrs_["Target"]
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            targets[attrs_["Id"]] = part
    parts = {}
    for match in _SHEET.finditer(workbook):
        attrs_ = dict(_ATTR.findall(match.group(1)))
        rid = next((v for k, v in attrs_.items() if k.endswith(":id") or k == "id"), None)
        if rid in targets and "name" in attrs_:
            parts[targets[rid]] = html.unescape(attrs_["name"])
    return parts


def _declared_extent(book: zipfile.ZipFile, part: str) -> tuple[str, int, int] | None:
    """(ref, rows, columns) of a worksheet's ``<dimension ref="A1:XFD1048576"/>``, read from
    the first 64 KB of the part (the tag comes before the cells); rows count from row 1,
    since every row above the data is kept as a row."""
    try:
        with book.open(part) as f:
            head = f.read(1 << 16)
    except ZIP_ERRORS:
        return None
    match = _DIMENSION.search(head)
    if match is None:
        return None
    c1, r1, c2, r2 = (g.decode("ascii") if g else "" for g in match.groups())
    if not r1 and not r2:
        return None
    last_row = int(r2 or r1)
    first_col, last_col = _column_number(c1 or "A"), _column_number(c2 or c1 or "A")
    ref = f"{c1}{r1}" + (f":{c2}{r2}" if c2 or r2 else "")
    return ref, last_row, max(1, last_col - first_col + 1)


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


# --------------------------------------------------------------------------- the child process


def memory_cap(limits: Limits) -> int:
    """The child's address-space cap in bytes: ``max_memory_mb``, or less when this process
    itself runs under a lower hard limit (the child inherits it and cannot exceed it)."""
    cap = limits.max_memory_mb * MB
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: no cap, the timeout still applies
        return cap
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    return cap if hard == resource.RLIM_INFINITY else min(cap, hard)


def _in_child(path: Path, limits: Limits) -> list[Sheet]:
    cap = memory_cap(limits)
    with tempfile.TemporaryDirectory(prefix="eduscore-") as out:
        # The Rust reader prints a backtrace on abort when RUST_BACKTRACE is set: not wanted.
        env = {**os.environ, "RUST_BACKTRACE": "0"}
        try:
            proc = subprocess.run(
                [sys.executable, str(CHILD), str(path), out, str(cap)],
                capture_output=True,
                timeout=limits.timeout_s,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise exceeded(
                str(path),
                "reading the workbook takes longer (it was stopped)",
                "读取工作簿耗时过长(已中止)",
                "timeout_s",
                limits,
                limits.timeout_s * 4,
            ) from None
        manifest_path = Path(out) / "manifest.json"
        manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.exists() else {}
        if proc.returncode == _excel_child.READ_FAILED:
            error = str(manifest.get("error", "unknown error"))
            raise InputError(
                f"{path}: cannot read this workbook ({error}); open it in Excel and save it again "
                "as .xlsx, or export the sheet as CSV",
                zh=f"{path}:无法读取此工作簿({error});请用 Excel 打开后另存为 .xlsx,或将工作表导出为 CSV",
            )
        if proc.returncode == _excel_child.START_FAILED:
            error = str(manifest.get("error", ""))
            if not any(word in error for word in ("map", "memory", "Memory")):
                raise InputError(
                    f"{path}: the workbook reader could not start ({error})",
                    zh=f"{path}:工作簿读取程序无法启动({error})",
                )
        if proc.returncode != 0:
            raise _died(path, proc, cap, limits, str(manifest.get("error", "")))
        sheets = []
        for entry in manifest.get("sheets", []):
            table = None
            if "file" in entry:
                with pa.OSFile(str(Path(out) / entry["file"])) as f:
                    table = ipc.open_file(f).read_all()
            sheets.append(Sheet(entry["name"], entry["visible"], table, entry.get("error", "")))
        return sheets


_ASKED = re.compile(rb"memory allocation of (\d+) bytes failed")


def _died(
    path: Path, proc: subprocess.CompletedProcess[bytes], cap: int, limits: Limits, error: str
) -> InputError:
    """A child that ended badly: out of memory (the usual cause, with the amount the reader
    asked for when it says), killed by a signal, or unable to start under the cap."""
    asked = _ASKED.search(proc.stderr or b"")
    code = proc.returncode
    how = (
        f"signal {signal.Signals(-code).name}"
        if code < 0 and -code in signal.valid_signals()
        else f"status {code}"
    )
    amount = int(asked.group(1)) if asked else 0
    if asked:
        detail_en = f"the reader asked for {_size(amount)} at once and was stopped, {how}"
        detail_zh = f"读取程序一次申请 {_size(amount)} 内存,被中止,{how}"
    elif code == _excel_child.START_FAILED:
        detail_en = f"the reader could not even start: {error}"
        detail_zh = f"读取程序无法启动:{error}"
    else:
        detail_en = f"the reader was stopped, {how}"
        detail_zh = f"读取程序被中止,{how}"
    cause_en = (
        "usually cells far below or to the right of the data (Ctrl+End in Excel shows the last cell), "
        "or a damaged file"
    )
    cause_zh = (
        "通常是数据下方或右侧远处有零星单元格(在 Excel 中按 Ctrl+End 可找到最后一个单元格),或文件已损坏"
    )
    amount_mb = amount / MB
    if code == _excel_child.START_FAILED:  # the libraries alone need a few hundred MB
        cause_en, cause_zh, amount_mb = (
            "the limit is below what the reader itself needs",
            "上限低于读取程序本身所需",
            512.0,
        )
    if cap < limits.max_memory_mb * MB:
        # The process itself runs under a lower limit than max_memory_mb: raising that won't help.
        return LimitError(
            f"{path}: reading the workbook needs more memory than the {cap / MB:,.0f} MB this process may "
            f"use ({detail_en}; {cause_en}). That is the process's own limit (ulimit -v), below "
            f"max_memory_mb ({limits.max_memory_mb:,} MB, --max-memory-mb): raise the process limit "
            "or read the workbook where more memory is allowed",
            zh=f"{path}:读取此工作簿所需内存超过本进程可用的 {cap / MB:,.0f} MB({detail_zh};{cause_zh})。"
            f"这是进程本身的上限(ulimit -v),低于 max_memory_mb({limits.max_memory_mb:,} MB,"
            "--max-memory-mb):请提高进程上限,或在内存更多的环境中读取",
        )
    return exceeded(
        str(path),
        f"reading the workbook needs more memory ({detail_en}; {cause_en})",
        f"读取此工作簿需要更多内存({detail_zh};{cause_zh})",
        "max_memory_mb",
        limits,
        max(amount_mb, 2 * cap / MB),
        needs_bytes=amount,
    )


def _size(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:,.0f} {unit}"
    return f"{n} bytes"
