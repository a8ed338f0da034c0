"""CSV and TSV files: encodings, record boundaries, and row numbers as a spreadsheet shows them.

A CSV file is read in two streaming passes and is never held whole in memory as text:

1. a scan over the bytes (numpy, chunk by chunk) finds where each *record* ends and how
   many cells it has. Only CR and LF end a line (U+2028, U+0085 and the like are text),
   and a line break inside a quoted value does not end the record: a break ends a record
   iff an even number of quotes precedes it. The scan gives each record's row number as
   Excel shows the file (a blank line is a row; a quoted value spanning lines is one row),
   the longest record, and whether any value spans lines;
2. pyarrow parses the records below the header, every cell as text, with a block size
   fitted to the longest record. Records with another number of cells than most (a row
   cut short, a trailing comma) are read apart and put back in their place, their missing
   cells empty — as a spreadsheet shows them — instead of failing the file.

UTF-8 (with or without BOM), GB18030 (a superset of GBK and GB2312) and UTF-16 with a BOM
(Excel's "Unicode text") are read. The bytes that delimit records and cells (quote, comma,
tab, CR, LF) never occur inside a multi-byte character of UTF-8 or GB18030, so the scan
works on the raw bytes of both.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from eduscore.errors import InputError
from eduscore.inputs.limits import MB, Limits, exceeded

CHUNK = 1 << 24  # bytes per scan step: the scan's memory is a few times this, whatever the file
QUOTE, LF, CR = 0x22, 0x0A, 0x0D
Ints = npt.NDArray[np.int64]


@attrs.frozen
class CsvTable:
    """What :func:`read_csv` found: the cells below the header, as text, and where they were."""

    table: pa.Table
    header_row: int  # 1-based record number of the header
    row_numbers: Ints  # record number (1-based) of each table row
    blank_records: Ints  # record numbers of the blank records below the header
    above_header: Ints = attrs.field(factory=lambda: np.zeros(0, np.int64))  # data rows above it


@attrs.frozen
class _Records:
    starts: Ints  # byte offset where each record starts
    stops: Ints  # byte offset where its content stops (its line break, or the end of the file)
    cells: Ints | None  # how many cells each holds (when counted: delimiters outside quotes + 1)
    multiline: bool  # some quoted value spans lines


def read_csv(
    path: Path,
    delimiter: str,
    limits: Limits,
    find_header: Callable[[list[list[str]]], int],
    data_like: Callable[[list[str], list[str]], bool] = lambda row, header: False,
) -> CsvTable:
    """Read a CSV/TSV file with every cell as text.

    ``find_header`` gets the first (up to ten) records, split into cells, and returns the
    index of the header among them (-1: none; the first non-blank record is taken).
    Records above the header for which ``data_like(cells, header)`` holds are read as rows
    of the table too (and listed in ``above_header``).
    ``delimiter`` is a default: a file whose first lines hold tabs and no commas is read as
    tab-separated. The caller has checked the file's size (:func:`eduscore.inputs.limits.check_file_size`).
    """
    with _as_utf8_or_gb18030(path) as (source, start, encoding):
        return _read(source, start, encoding, str(path), delimiter, limits, find_header, data_like)


@contextmanager
def _as_utf8_or_gb18030(path: Path) -> Iterator[tuple[Path, int, str]]:
    """(file, first byte after any BOM, encoding); a UTF-16 file is transcoded to a temporary
    UTF-8 file first, since its quotes and line breaks are two bytes wide."""
    with path.open("rb") as f:
        head = f.read(CHUNK)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        fd, name = tempfile.mkstemp(suffix=".csv")
        try:
            decoder = codecs.getincrementaldecoder("utf-16")("strict")
            with os.fdopen(fd, "wb") as out, path.open("rb") as f:
                try:
                    while chunk := f.read(CHUNK):
                        out.write(decoder.decode(chunk).encode("utf-8"))
                    out.write(decoder.decode(b"", final=True).encode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise InputError(
                        f"{path}: starts like UTF-16 text but is not: {exc.reason}",
                        zh=f"{path}:文件开头像 UTF-16 文本,但内容不是:{exc.reason}",
                    ) from None
            yield Path(name), 0, "utf8"
        finally:
            Path(name).unlink(missing_ok=True)
        return
    if head.startswith(codecs.BOM_UTF8):
        yield path, 3, "utf8"
    elif head.startswith(b"\x84\x31\x95\x33"):  # the GB18030 byte-order mark
        yield path, 4, "gb18030"
    else:
        # The first chunk decides (a GBK file whose first 16 MB are ASCII is caught later,
        # when pyarrow meets its first non-UTF-8 byte, and read again as GB18030).
        try:
            codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=len(head) < CHUNK)
            encoding = "utf8"
        except UnicodeDecodeError:
            encoding = "gb18030"
        yield path, 0, encoding


def _read(
    path: Path,
    start: int,
    encoding: str,
    source: str,
    delimiter: str,
    limits: Limits,
    find_header: Callable[[list[list[str]]], int],
    data_like: Callable[[list[str], list[str]], bool],
) -> CsvTable:
    delimiter = _delimiter(path, start, delimiter)
    records = _scan(path, start, delimiter)
    n = len(records.starts)
    lengths = records.stops - records.starts
    if n == 0 or not (lengths > 0).any():
        raise InputError(f"{source}: the file is empty", zh=f"{source}:文件是空的")
    longest = int(np.argmax(lengths))
    if lengths[longest] > limits.max_line_mb * MB:
        raise exceeded(
            f"{source}, row {longest + 1}",
            f"the line has {lengths[longest] / MB:,.1f} MB",
            f"第 {longest + 1} 行长 {lengths[longest] / MB:,.1f} MB",
            "max_line_mb",
            limits,
            lengths[longest] / MB,
        )
    cells = [_cells(text, delimiter) for text in _texts(path, records, np.arange(min(n, 10)), encoding)]
    header_at = find_header(cells)
    if header_at < 0:  # no row of known names: the first row that holds anything
        header_at = next((i for i, row in enumerate(cells) if any(c.strip() for c in row)), 0)
    header = cells[header_at]
    _check_width(source, header_at, len(header), limits, header=True)
    # Rows of data: the records below the header that hold anything at all (pyarrow skips
    # empty lines; rows of empty cells are dropped below, with the other blank rows).
    below = np.arange(header_at + 1, n, dtype=np.int64)
    above = np.array([i for i in range(header_at) if data_like(cells[i], header)], dtype=np.int64)
    data = below[lengths[below] > 0]
    if len(data) or len(above):
        table = _parse(path, records, data, header, encoding, source, delimiter, limits, above)
        data = np.concatenate([above, data])
        blank = blank_rows(table)
        if blank.any():
            table, data = table.filter(pa.array(~blank)), data[~blank]
    if len(data) == 0:
        raise InputError(
            f"{source}: the file has a header (row {header_at + 1}) but no data rows",
            zh=f"{source}:文件只有表头(第 {header_at + 1} 行),没有数据行",
        )
    kept = data + 1
    skipped = np.setdiff1d(below + 1, kept, assume_unique=True)
    return CsvTable(table, header_at + 1, kept, skipped, above + 1)


def _check_width(source: str, index: int, width: int, limits: Limits, header: bool = False) -> None:
    if width > limits.max_columns:
        raise exceeded(
            f"{source}, row {index + 1}" + (" (the header)" if header else ""),
            f"{'the header' if header else 'the row'} has {width:,} columns",
            f"{'表头' if header else f'第 {index + 1} 行'}有 {width:,} 列",
            "max_columns",
            limits,
            width,
        )


def _delimiter(path: Path, start: int, default: str) -> str:
    """Tab when the first line holding a comma or a tab holds tabs and no comma (Excel's
    "Unicode text" and many exports are tab-separated whatever their name)."""
    with path.open("rb") as f:
        f.seek(start)
        head = f.read(1 << 16)
    for line in head.split(b"\n")[:10]:
        if b"," in line or b"\t" in line:
            return "\t" if b"\t" in line and b"," not in line else default
    return default


def _cells(text: str, delimiter: str) -> list[str]:
    """One record's cells, as the csv module reads them (the same rules as pyarrow's)."""
    # The csv module refuses cells above 128 KB; the record's length is already bounded.
    if csv.field_size_limit() < len(text) + 1:
        csv.field_size_limit(len(text) + 1)
    return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])


def _texts(path: Path, records: _Records, which: Ints, encoding: str) -> list[str]:
    """The text of some records (a few: the first ten, or the rows read apart)."""
    out = []
    with path.open("rb") as f:
        for i in which:
            f.seek(int(records.starts[i]))
            piece = f.read(int(records.stops[i] - records.starts[i]))
            out.append(piece.decode("utf-8" if encoding == "utf8" else "gb18030", errors="replace"))
    return out


# --------------------------------------------------------------------------- scan


def _scan(path: Path, start: int, delimiter: str, count: bool = False) -> _Records:
    """Record boundaries (and, with ``count``, each record's number of cells), chunk by chunk.

    A quote counts when it opens a value (at the start of a field, or just after the quote
    that closed the value: an escaped ``""``) or closes one; a quote in the middle of an
    unquoted value (``12" monitor``) is text, for Excel and pyarrow alike. Line breaks and
    delimiters count where an even number of counted quotes precedes them."""
    # Bytes after which a quote opens a value (index + 1: -1 stands for the start of the records).
    separator = np.zeros(257, dtype=bool)
    separator[[LF + 1, CR + 1, ord(delimiter) + 1, 0]] = True
    ends_kept: list[Ints] = []
    stops_kept: list[Ints] = []
    counts: list[Ints] = []
    open_cells = 0  # delimiters seen so far in the record that is not finished yet
    multiline = False
    quoted = False  # inside a quoted value at the end of the previous chunk
    prev_byte = -1  # last byte of the previous chunk (-1: none, the start of the records)
    last_quote = -2  # position of the last counted quote
    pos = start
    with path.open("rb") as f:
        f.seek(start)
        while raw := f.read(CHUNK):
            a = np.frombuffer(raw, np.uint8)
            nxt = f.peek(1)[:1] if len(raw) == CHUNK else b""
            ends, stops = _breaks(a, b"\r" in raw or prev_byte == CR, prev_byte, nxt[0] if nxt else -1)
            if b'"' in raw:
                q = np.flatnonzero(a == QUOTE)
                before = np.where(q > 0, a[np.maximum(q - 1, 0)].astype(np.int64), prev_byte)
                marks = _counted_quotes(q, separator[before + 1], quoted, last_quote - pos)
            else:
                marks = np.empty(0, np.int64)
            outside = (np.searchsorted(marks, ends) + quoted) % 2 == 0
            multiline = multiline or not outside.all()
            ends = ends[outside]
            if count:
                local = _delimiters(a, raw, delimiter, ends, marks, quoted)
                if len(ends):
                    counts.append(np.concatenate([[open_cells + local[0]], local[1:-1]]))
                    open_cells = int(local[-1])
                else:
                    open_cells += int(local[0])
            if len(marks):
                last_quote = pos + int(marks[-1])
                quoted = (len(marks) + quoted) % 2 == 1
            ends_kept.append(ends + pos)
            stops_kept.append(stops[outside] + pos)
            prev_byte = int(a[-1])
            pos += len(raw)
    cells = [*counts, np.array([open_cells])] if count else None
    return _records(start, pos, ends_kept, stops_kept, cells, multiline)


def _delimiters(
    a: npt.NDArray[np.uint8], raw: bytes, delimiter: str, ends: Ints, marks: Ints, quoted: bool
) -> Ints:
    """Delimiters outside quotes in each record of a chunk (the first continues the previous
    chunk's last record; the last goes on into the next chunk): all of a record's
    delimiters, less those between an opening and a closing quote."""
    out = np.zeros(len(ends) + 1, np.int64)
    if delimiter.encode() not in raw:
        return out
    hits = (a == ord(delimiter)).view(np.uint8)
    starts = np.concatenate([[0], ends + 1])
    starts = starts[starts < len(a)]
    out[: len(starts)] = np.add.reduceat(hits, starts, dtype=np.int64)
    spans = np.concatenate([[0], marks]) if quoted else marks  # opening, closing, opening, …
    if len(spans):
        inside = np.add.reduceat(hits, spans, dtype=np.int64)[0::2]
        owner = np.searchsorted(ends, spans[0::2])
        out -= np.bincount(owner, weights=inside, minlength=len(ends) + 1).astype(np.int64)
    return out


def _counted_quotes(q: Ints, field_start: npt.NDArray[np.bool_], quoted: bool, last: int) -> Ints:
    """The quotes of a chunk that open or close a value (positions in the chunk).

    Counting every quote is right unless a quote that would open a value stands inside an
    unquoted one; such a quote is dropped and the count redone, a few times at most (a
    stray quote is rare); a chunk full of them is followed quote by quote."""
    keep = np.ones(len(q), dtype=bool)
    for _ in range(64):
        kept = np.flatnonzero(keep)
        marks = q[kept]
        opening = (np.arange(len(marks)) + quoted) % 2 == 0
        previous = np.concatenate([[last], marks[:-1]])
        valid = field_start[kept] | (previous == marks - 1)  # "" reopens just after a close
        wrong = np.flatnonzero(opening & ~valid)
        if len(wrong) == 0:
            return marks
        keep[kept[wrong[0]]] = False
    out: list[int] = []
    for p, at_field_start in zip(q.tolist(), field_start.tolist(), strict=True):
        if quoted:
            quoted, last = False, p
            out.append(p)
        elif at_field_start or last == p - 1:
            quoted = True
            out.append(p)
    return np.asarray(out, np.int64)


def _breaks(a: npt.NDArray[np.uint8], has_cr: bool, prev_byte: int, next_byte: int) -> tuple[Ints, Ints]:
    """Line breaks in a chunk: the position of each break's last byte (LF, or a CR not
    followed by LF, as in old Mac files), and where the content before it stops (CR LF
    counts once, and stops at its CR)."""
    lf = np.flatnonzero(a == LF)
    if not has_cr:
        return lf, lf
    cr = np.flatnonzero(a == CR)
    after = np.where(cr + 1 < len(a), a[np.minimum(cr + 1, len(a) - 1)].astype(np.int64), next_byte)
    lone = cr[after != LF]
    before_lf = np.where(lf > 0, a[np.maximum(lf - 1, 0)].astype(np.int64), prev_byte)
    ends = np.concatenate([lf, lone])
    stops = np.concatenate([lf - (before_lf == CR), lone])
    order = np.argsort(ends, kind="stable")
    return ends[order], stops[order]


def _records(
    start: int, end: int, ends: list[Ints], stops: list[Ints], delimiters: list[Ints] | None, multiline: bool
) -> _Records:
    breaks = np.concatenate(ends) if ends else np.empty(0, np.int64)
    starts = np.concatenate([[start], breaks + 1]).astype(np.int64)
    content = np.concatenate([*stops, [end]]).astype(np.int64)
    cells = np.concatenate(delimiters).astype(np.int64) + 1 if delimiters is not None else None
    if starts[-1] >= end:  # the file ends with a line break: no record after it
        starts, content = starts[:-1], content[:-1]
        cells = cells[:-1] if cells is not None else None
    return _Records(starts, np.maximum(content, starts), cells, multiline)


# --------------------------------------------------------------------------- parse


def _parse(
    path: Path,
    records: _Records,
    data: Ints,
    header: list[str],
    encoding: str,
    source: str,
    delimiter: str,
    limits: Limits,
    above: Ints | None = None,
) -> pa.Table:
    """The cells of the ``data`` records (and of the records ``above`` the header, before
    them), with the header's names.

    pyarrow reads the records with the usual number of cells (the most common among the
    first thousand); when it meets others (a row cut short, a trailing comma, an extra
    cell), the cells of every record are counted, and those rows are read apart with the
    csv module and put back in their place, padded with empty cells to the widest row."""
    longest = int((records.stops - records.starts).max())
    # A record must fit in one block; GB18030 grows by up to half when turned into UTF-8.
    block = int(min(max(1 << 20, 2 * longest + (1 << 16)), (1 << 31) - 1))
    sample = [len(_cells(t, delimiter)) for t in _texts(path, records, data[:1000], encoding)]
    width = max(set(sample), key=lambda w: (sample.count(w), w == len(header))) if sample else len(header)
    names = [f"c{i}" for i in range(width)]
    others = 0

    def unusual(row: Any) -> str:
        nonlocal others
        others += 1
        return "skip"  # read apart below

    def attempt(enc: str) -> pa.Table:
        nonlocal others
        others = 0
        with pa.OSFile(str(path)) as f:
            f.seek(int(records.starts[data[0]]))
            return pacsv.read_csv(
                f,
                read_options=pacsv.ReadOptions(
                    column_names=names, block_size=block, encoding=enc, use_threads=True
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter, newlines_in_values=records.multiline, invalid_row_handler=unusual
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    # Only an empty cell is empty here: "NA", "#N/A", "nan" are told apart
                    # later (a missing marker, or a spreadsheet error that is a finding).
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                ),
            )

    try:
        try:
            table = (
                attempt(encoding)
                if len(data)
                else pa.table({n: pa.array([], pa.string()) for n in names})  # only rows above
            )
        except pa.ArrowInvalid as exc:
            if encoding != "utf8" or "UTF8" not in str(exc):
                raise
            encoding = "gb18030"  # UTF-8 in its first chunk, GBK further down
            table = attempt(encoding)
    except pa.ArrowInvalid as exc:
        raise InputError(
            f"{source}: cannot read this CSV file: {exc}", zh=f"{source}:无法读取此 CSV 文件:{exc}"
        ) from None
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(
            f"{source}: not UTF-8 or GBK/GB18030 text ({exc}); save it again as CSV UTF-8",
            zh=f"{source}:不是 UTF-8 或 GBK/GB18030 编码的文本({exc});请另存为“CSV UTF-8”",
        ) from None
    usual = np.ones(len(data), dtype=bool)
    if others:
        counted = _scan(path, int(records.starts[0]), delimiter, count=True).cells
        assert counted is not None
        widest = int(np.argmax(counted[data]))
        _check_width(source, int(data[widest]), int(counted[data][widest]), limits)
        usual = counted[data] == width
    if above is not None and len(above):  # read apart and put first, like unusual rows
        data = np.concatenate([above, data])
        usual = np.concatenate([np.zeros(len(above), dtype=bool), usual])
    if table.num_rows != int(usual.sum()):  # pragma: no cover - the scan and pyarrow disagree: a bug
        raise InputError(
            f"{source}: cannot match the rows read to the lines of the file "
            f"({table.num_rows:,} rows, {int(usual.sum()):,} lines of data)",
            zh=f"{source}:读出的行与文件中的行对应不上"
            f"(读出 {table.num_rows:,} 行,数据行 {int(usual.sum()):,} 行)",
        )
    if not usual.all():
        table = _with_unusual_rows(path, records, data, usual, table, encoding, delimiter)
    return _named(table, header)


def _with_unusual_rows(
    path: Path,
    records: _Records,
    data: Ints,
    usual: npt.NDArray[np.bool_],
    table: pa.Table,
    encoding: str,
    delimiter: str,
) -> pa.Table:
    """Put back the records with an unusual number of cells, in their place."""
    odd = np.flatnonzero(~usual)
    rows = [_cells(t, delimiter) for t in _texts(path, records, data[odd], encoding)]
    width = max(table.num_columns, *(len(r) for r in rows))
    for i in range(table.num_columns, width):
        table = table.append_column(f"c{i}", pa.nulls(table.num_rows, pa.string()))
    columns = [[r[i] if i < len(r) and r[i] != "" else None for r in rows] for i in range(width)]
    apart = pa.table([pa.array(c, pa.string()) for c in columns], names=table.column_names)
    # Usual rows first, then the others; a take puts every row back at its record's place.
    order = np.concatenate([np.flatnonzero(usual), odd])
    return pa.concat_tables([table, apart]).take(pa.array(np.argsort(order, kind="stable")))


def _named(table: pa.Table, header: list[str]) -> pa.Table:
    """The header's names; a column without a name is dropped when it is empty, and named
    after its letter when it holds something (so that its cells are reported, not lost).
    Header names beyond the widest row name empty columns."""
    columns, names = [], []
    width = max(table.num_columns, len(header))
    for i in range(width):
        col = table.column(i) if i < table.num_columns else pa.nulls(table.num_rows, pa.string())
        name = header[i] if i < len(header) else ""
        if not name.strip():
            if blank_rows(pa.table([col], names=["c"])).all():
                continue
            name = f"({column_letter(i)})"
        columns.append(col)
        names.append(name)
    return pa.table(columns, names=names) if columns else pa.table({})


def column_letter(i: int) -> str:
    """Excel's name of column ``i`` (0 → A, 26 → AA)."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


# --------------------------------------------------------------------------- blank rows


def _blank_cells(col: pa.ChunkedArray | pa.Array) -> Any:
    """True where a cell is empty: missing, "", or only whitespace (any Unicode space)."""
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return pc.is_null(col)
    return pc.fill_null(pc.or_(pc.equal(pc.utf8_length(col), 0), pc.utf8_is_space(col)), True)


def blank_rows(table: pa.Table) -> npt.NDArray[np.bool_]:
    """A mask of the rows whose every cell is empty (column by column, vectorised)."""
    blank = np.ones(table.num_rows, dtype=bool)
    for col in table.columns:
        blank &= np.asarray(_blank_cells(col).to_numpy(zero_copy_only=False), dtype=bool)
        if not blank.any():
            break
    return blank
