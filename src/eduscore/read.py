"""Turn what a user has (Arrow tables, pandas frames, files) into Arrow tables.

Files: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030 — detected), Excel (.xlsx, .xlsm, .xls,
.ods; read with fastexcel, a Rust calamine reader that produces Arrow), Parquet and
Arrow IPC/Feather. Every file is read with all cells as text, and
:mod:`eduscore.prepare` converts and checks the values column by column, so that a bad
cell rejects one row with a reason instead of failing the whole file.

A workbook may hold several tables, one per sheet, found by sheet name in Chinese or
English (学校 / schools, 县 / counties, 幼儿园 / kindergartens). Title rows above the
header (a merged 表头 such as "2024年义务教育学校基本情况表") are skipped: the header is the
first of the first ten rows that contains a known column name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.parquet as pq

from . import contract
from .errors import InputError

TableLike = Any  # pa.Table | pandas.DataFrame | str | Path | Mapping[str, list]
ROLES = ("schools", "counties", "kindergartens")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "schools": ("schools", "school", "sections", "学校", "学校基本情况", "义务教育学校", "学校数据", "学段"),
    "counties": ("counties", "county", "县", "县区", "县级", "县域", "县级指标", "县情"),
    "kindergartens": ("kindergartens", "kindergarten", "幼儿园", "幼儿园基本情况", "学前"),
}
LARGE_FILE = 20 * 1024 * 1024  # show a progress indicator above this size


@attrs.frozen
class Loaded:
    table: pa.Table
    source: str  # file name, or "<schools table>": used in every message
    header_rows: int  # the header's row number in the original (data start one below)
    sheet: str = ""  # the workbook sheet, if any

    @property
    def label(self) -> str:
        """``file!sheet`` for a workbook sheet, the file otherwise."""
        return f"{self.source}!{self.sheet}" if self.sheet else self.source


def load_table(obj: TableLike, role: str) -> Loaded:
    """Read ``obj`` (the ``role`` input: schools, counties, kindergartens) into Arrow."""
    if isinstance(obj, pa.Table):
        return Loaded(obj, f"<{role} table>", 1)
    if isinstance(obj, pa.RecordBatch):
        return Loaded(pa.Table.from_batches([obj]), f"<{role} table>", 1)
    if isinstance(obj, Loaded):
        return obj
    if isinstance(obj, str | Path):
        path = Path(obj)
        if path.suffix.lower() in EXCEL_SUFFIXES:
            sheets = load_workbook(path)
            if role in sheets:
                return sheets[role]
            if len(sheets) == 1:
                return next(iter(sheets.values()))
            raise InputError(
                f"{path}: no sheet for the {role} table; name it {' or '.join(SHEET_NAMES[role][:4])} "
                f"(sheets found: {', '.join(_sheet_names(path))})"
            )
        return _read_file(path, role)
    if isinstance(obj, dict):
        try:
            return Loaded(pa.table(obj), f"<{role} dict>", 1)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
            raise InputError(f"{role}: cannot build a table from the given dict: {exc}") from exc
    if type(obj).__module__.startswith("pandas"):
        try:
            return Loaded(pa.Table.from_pandas(obj, preserve_index=False), f"<{role} DataFrame>", 1)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise InputError(f"{role}: cannot convert the pandas DataFrame to Arrow: {exc}") from exc
    raise InputError(
        f"{role}: expected a pyarrow Table, a pandas DataFrame or a file path, got {type(obj).__name__}"
    )


def load_files(paths: list[Path]) -> dict[str, Loaded]:
    """Read files whose role (schools, counties, kindergartens) is told by sheet names,
    file names or headers — what the CLI does with ``eduscore evaluate a.xlsx b.csv``."""
    found: dict[str, Loaded] = {}
    for path in paths:
        if path.suffix.lower() in EXCEL_SUFFIXES:
            loaded = load_workbook(path)
        else:
            table = _read_file(path, "input")
            role = role_of_name(path.stem) or guess_role(table.table)
            if role is None:
                raise InputError(
                    f"{path}: cannot tell whether this is a schools, counties or kindergartens table; "
                    "name the file after it (e.g. schools.csv, 学校.csv) "
                    "or use --schools/--counties/--kindergartens"
                )
            loaded = {role: table}
        for role, table in loaded.items():
            if role in found:
                raise InputError(f"two {role} tables given: {found[role].label} and {table.label}")
            found[role] = table
    return found


def role_of_name(name: str) -> str | None:
    key = name.strip().lower()
    for role, names in SHEET_NAMES.items():
        if any(key == n or key.startswith(n) for n in names):
            return role
    return None


def guess_role(table: pa.Table) -> str | None:
    """The role whose required identifying column the table has."""
    headers = {_norm(h) for h in table.column_names}
    for role, key in (
        ("kindergartens", "kindergarten_id"),
        ("schools", "school_id"),
        ("counties", "county_code"),
    ):
        col = contract.columns(role)[key]
        if _norm(col.name) in headers or _norm(col.zh) in headers:
            return role
    return None


def _norm(header: Any) -> str:
    return str(header).strip().replace("（", "(").replace("）", ")").replace(" ", "").lower()


_KNOWN_HEADERS = {
    _norm(k)
    for role in ("schools", "sections", "counties", "kindergartens")
    for k in contract.header_aliases(role)
}


# --------------------------------------------------------------------------- Excel


def _sheet_names(path: Path) -> list[str]:
    import fastexcel

    return list(fastexcel.read_excel(str(path)).sheet_names)


def load_workbook(path: Path) -> dict[str, Loaded]:
    """Every sheet of a workbook that holds one of the tables, by its sheet name."""
    import fastexcel

    if not path.exists():
        raise InputError(f"file {path} does not exist")
    try:
        with _progress(path):
            reader = fastexcel.read_excel(str(path))
            found: dict[str, Loaded] = {}
            names = list(reader.sheet_names)
            for name in names:
                role = role_of_name(name)
                if role is None and len(names) > 1:
                    continue
                sheet = reader.load_sheet(name, header_row=None, dtypes="string")
                table = _with_header(pa.Table.from_batches([sheet.to_arrow()]), str(path), name)
                role = role or guess_role(table.table)
                if role is not None and role not in found:
                    found[role] = table
    except InputError:
        raise
    except Exception as exc:  # fastexcel raises its own error types for broken files
        raise InputError(f"{path}: cannot read this workbook: {exc}") from exc
    if not found:
        raise InputError(
            f"{path}: no sheet named for schools (学校), counties (县) or kindergartens (幼儿园); "
            f"sheets found: {', '.join(names) or '(none)'}"
        )
    return found


def _with_header(raw: pa.Table, source: str, sheet: str) -> Loaded:
    """Find the header row among the first rows and make it the column names."""
    rows = raw.slice(0, 10).to_pylist()
    header_at = 0
    for i, row in enumerate(rows):
        if sum(_norm(v) in _KNOWN_HEADERS for v in row.values() if v) >= 2:
            header_at = i
            break
    names_row = list(rows[header_at].values()) if rows else []
    keep = [i for i, v in enumerate(names_row) if v not in (None, "")]
    if not keep:
        raise InputError(f"{source}!{sheet}: no header row found (the first ten rows hold no column names)")
    body = raw.slice(header_at + 1)
    names = [str(names_row[i]).strip() for i in keep]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"{source}!{sheet}: header names repeated: {', '.join(dupes)}")
    columns = {name: body.column(i) for name, i in zip(names, keep, strict=True)}
    table = pa.table(columns)
    # Drop trailing rows that are entirely empty (Excel's formatted-but-empty rows).
    return Loaded(_without_blank_rows(table), source, header_at + 1, sheet)


def _without_blank_rows(table: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    if table.num_rows == 0 or table.num_columns == 0:
        return table
    filled = None
    for col in table.columns:
        present = pc.and_(
            pc.is_valid(col), pc.not_equal(pc.utf8_trim_whitespace(pc.cast(col, pa.string())), "")
        )
        present = pc.fill_null(present, False)
        filled = present if filled is None else pc.or_(filled, present)
    # Keep every row up to the last non-blank one, so that row numbers stay those of the sheet.
    import numpy as np

    flags = np.asarray(filled.to_numpy(zero_copy_only=False) if filled is not None else [], dtype=bool)
    last = int(np.flatnonzero(flags)[-1]) + 1 if flags.any() else 0
    return table.slice(0, last)


@contextmanager
def _progress(path: Path) -> Iterator[None]:
    """A spinner on stderr while a large file is read, when stderr is a terminal."""
    import sys

    if path.stat().st_size < LARGE_FILE or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(f"reading {path.name} ({path.stat().st_size / 1e6:.0f} MB)…"):
        yield


# --------------------------------------------------------------------------- other files


def _read_file(path: Path, role: str) -> Loaded:
    if not path.exists():
        raise InputError(f"{role}: file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        with _progress(path):
            if suffix in (".csv", ".txt", ".tsv"):
                return _read_csv(path, "\t" if suffix == ".tsv" else ",")
            if suffix in (".parquet", ".pq"):
                return Loaded(pq.read_table(path), str(path), 1)
            if suffix in (".feather", ".arrow", ".ipc"):
                return Loaded(feather.read_table(path), str(path), 1)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{role}: cannot read {path}: {exc}") from exc
    raise InputError(
        f"{role}: {path} has an unsupported file type {suffix or '(none)'}; "
        "use .csv, .xlsx/.xls, .parquet or .feather/.arrow"
    )


def decode(raw: bytes, source: str) -> str:
    """UTF-8 (with or without BOM) or, failing that, GB18030 (a superset of GBK and GB2312)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(
        f"{source}: not UTF-8 or GBK/GB18030 text"
    )  # pragma: no cover - gb18030 decodes most bytes


def _read_csv(path: Path, delimiter: str) -> Loaded:
    text = decode(path.read_bytes(), str(path))
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(f"{path}: the file is empty or its first line (the header) is blank")
    # Title lines above the header, as in Excel exports, are skipped like in workbooks.
    header_at = 0
    for i, line in enumerate(lines[:10]):
        cells = next(csv.reader([line], delimiter=delimiter), [])
        if sum(_norm(c) in _KNOWN_HEADERS for c in cells) >= 2:
            header_at = i
            break
    body = "\n".join(lines[header_at:])
    headers = next(csv.reader([lines[header_at]], delimiter=delimiter))
    table = pacsv.read_csv(
        io.BytesIO(body.encode("utf-8")),
        read_options=pacsv.ReadOptions(use_threads=True),
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(
            column_types={h: pa.string() for h in headers},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    return Loaded(table, str(path), header_at + 1)
