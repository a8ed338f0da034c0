"""Turn what a user has (Arrow tables, pandas frames, file paths) into Arrow tables.

Readers here are deliberately simple: every file is read with all cells as text, and
:mod:`eduscore.prepare` converts and checks the values column by column, so that a bad
cell rejects one row with a reason instead of failing the whole file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.parquet as pq

from .errors import InputError

TableLike = Any  # pa.Table | pandas.DataFrame | str | Path | Mapping[str, list]


@attrs.frozen
class Loaded:
    table: pa.Table
    source: str  # file name or "<arrow table>", used in every message
    header_rows: int  # rows before the first data row in the original (1 for CSV)


def load_table(obj: TableLike, role: str) -> Loaded:
    """Read ``obj`` (the ``role`` input: schools, counties, kindergartens) into Arrow."""
    if isinstance(obj, pa.Table):
        return Loaded(obj, f"<{role} table>", 1)
    if isinstance(obj, pa.RecordBatch):
        return Loaded(pa.Table.from_batches([obj]), f"<{role} table>", 1)
    if isinstance(obj, str | Path):
        return _read_file(Path(obj), role)
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


def _read_file(path: Path, role: str) -> Loaded:
    if not path.exists():
        raise InputError(f"{role}: file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            return Loaded(_read_csv(path, "\t" if suffix == ".tsv" else ","), str(path), 1)
        if suffix in (".parquet", ".pq"):
            return Loaded(pq.read_table(path), str(path), 1)
        if suffix in (".feather", ".arrow", ".ipc"):
            return Loaded(feather.read_table(path), str(path), 1)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{role}: cannot read {path}: {exc}") from exc
    raise InputError(
        f"{role}: {path} has an unsupported file type {suffix or '(none)'}; "
        "use .csv, .parquet or .feather/.arrow"
    )


def _read_csv(path: Path, delimiter: str) -> pa.Table:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly anything
        raise InputError(f"{path}: not UTF-8 or GB18030 text")
    first = text.splitlines()[0] if text else ""
    if not first.strip():
        raise InputError(f"{path}: the file is empty or its first line (the header) is blank")
    headers = next(iter(_csv_header(first, delimiter)))
    data = text.encode("utf-8")
    return pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(use_threads=True),
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(
            column_types={h: pa.string() for h in headers},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )


def _csv_header(line: str, delimiter: str) -> list[list[str]]:
    import csv

    return list(csv.reader([line], delimiter=delimiter))
