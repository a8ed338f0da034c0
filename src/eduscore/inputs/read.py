"""Turn what a user has (Arrow tables, pandas frames, files) into Arrow tables.

Files: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030 — detected; :mod:`eduscore.inputs.read_csv`),
Excel (.xlsx, .xlsm, .xls, .xlsb, .ods; read with fastexcel in a child process capped in
memory and time; :mod:`eduscore.inputs.read_excel`), Parquet and Arrow IPC/Feather. Every file is
read with all cells as text, and :mod:`eduscore.inputs.prepare` converts and checks the values
column by column, so that a bad cell rejects one row with a reason instead of failing the
whole file. Sizes are checked against :class:`Limits` before anything large is built.

A workbook may hold several tables: every visible sheet of a role is read, each as its
own :class:`Loaded` (so that every row keeps its sheet and row number). A sheet belongs to
a role by its name (学校 / schools, 县 / counties, 幼儿园 / kindergartens, also
``学校(续)``, ``学校2``) or, when its name says nothing or more than that (``学校代码说明``,
``Sheet1``), by its header (the role's identifying column, e.g. 学校标识码). Sheets that
are neither (instructions, code lists without a data header) are ignored. A *hidden*
sheet that holds a table stops the reading: nothing is scored that the user cannot see.

Title rows above the header (a merged 表头 such as "2024年义务教育学校基本情况表") are
skipped: the header is the first of the first ten non-blank rows with at least two known
column names. Fully blank rows below the header are not rows of data: they are dropped
and reported as runs in :attr:`Loaded.blank_rows`, and every other row keeps its row
number as a spreadsheet shows it (:attr:`Loaded.row_numbers`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from eduscore.errors import InputError, LimitError
from eduscore.inputs.limits import MB, OPTIONS, Limits, check_file_size, exceeded
from eduscore.inputs.read_csv import blank_rows, column_letter, read_csv
from eduscore.inputs.read_excel import Sheet, read_workbook
from eduscore.model import contract

__all__ = [
    "EXCEL_SUFFIXES",
    "OPTIONS",
    "ROLES",
    "SHEET_NAMES",
    "Limits",
    "Loaded",
    "TableLike",
    "guess_role",
    "load_files",
    "load_table",
    "load_tables",
    "load_workbook",
    "role_of_name",
    "role_of_sheet",
]

TableLike = Any  # pa.Table | pandas.DataFrame | str | Path | Mapping[str, list] | Loaded | list[Loaded]
ROLES = ("schools", "counties", "kindergartens")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "schools": ("schools", "school", "sections", "学校", "学校基本情况", "义务教育学校", "学校数据", "学段"),
    "counties": ("counties", "county", "县", "县区", "县级", "县域", "县级指标", "县情"),
    "kindergartens": ("kindergartens", "kindergarten", "幼儿园", "幼儿园基本情况", "学前"),
}
LARGE_FILE = 20 * 1024 * 1024  # show a progress indicator above this size
ROLE_ZH = {"schools": "学校", "counties": "县", "kindergartens": "幼儿园"}
#: Every table's Chinese name, the long form of the schools table included.
TABLE_ZH = {**ROLE_ZH, "sections": "学校分学段"}
#: What the other tables the readers are given are called in a Chinese message.
_OTHER_ZH = {"input": "输入文件", "costs": "单价表", "projection": "预测表"}


def role_zh(role: str) -> str:
    """The table ``role`` named in Chinese for a message: "学校表", "单价表".

    >>> role_zh("schools"), role_zh("input")
    ('学校表', '输入文件')
    """
    if role in TABLE_ZH:
        return TABLE_ZH[role] + "表"
    return _OTHER_ZH.get(role, role)


@attrs.frozen
class Loaded:
    """One input table as read, with where its rows came from.

    ``table`` holds the data rows only (every cell as text for files); ``row_numbers`` the
    spreadsheet row number of each (``None``: ``header_rows + 1 + i``); ``blank_rows`` the
    runs ``(first, last)`` of fully blank rows below the header that were skipped.
    """

    table: pa.Table
    source: str  # file name, or "<schools table>": used in every message
    header_rows: int  # the header's row number in the original (data start one below)
    sheet: str = ""  # the workbook sheet, if any
    row_numbers: pa.Array | None = None  # int64, one per table row
    blank_rows: tuple[tuple[int, int], ...] = ()
    #: Rows above the header that hold data (read as rows of the table, with a warning).
    above_header: tuple[int, ...] = ()
    #: Data rows hidden in Excel (by hand or by a filter): read and scored, with a warning.
    hidden_rows: tuple[tuple[int, int], ...] = ()

    @property
    def label(self) -> str:
        """``file!sheet`` for a workbook sheet, the file otherwise."""
        return f"{self.source}!{self.sheet}" if self.sheet else self.source


def load_tables(obj: TableLike, role: str, limits: Limits | None = None) -> list[Loaded]:
    """Read ``obj`` (the ``role`` input: schools, counties, kindergartens) into Arrow tables.

    One :class:`Loaded` per table found: a workbook gives one per visible sheet of the role,
    anything else gives one. ``obj`` may be a pyarrow Table or RecordBatch, a pandas
    DataFrame, a dict of columns, a path, a :class:`Loaded` or a list of them.

    >>> import pyarrow as pa
    >>> [t.table.num_rows for t in load_tables(pa.table({"school_id": ["a", "b"]}), "schools")]
    [2]
    """
    limits = limits or Limits()
    if isinstance(obj, Loaded):
        return [obj]
    if isinstance(obj, list | tuple) and obj and all(isinstance(o, Loaded) for o in obj):
        return list(obj)
    if isinstance(obj, pa.Table):
        return [Loaded(usable_columns(obj, f"<{role} table>"), f"<{role} table>", 1)]
    if isinstance(obj, pa.RecordBatch):
        return [Loaded(usable_columns(pa.Table.from_batches([obj]), f"<{role} table>"), f"<{role} table>", 1)]
    if isinstance(obj, str | Path):
        path = Path(obj)
        if not path.exists():
            raise InputError(f"{role}: file {path} does not exist", zh=f"{role_zh(role)}:文件 {path} 不存在")
        if path.suffix.lower() in EXCEL_SUFFIXES:
            return _workbook_tables(path, role, limits)
        return [_read_file(path, role, limits)]
    if isinstance(obj, dict):
        try:
            table = pa.table(obj)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise InputError(
                f"{role}: cannot build a table from the given dict: {exc}",
                zh=f"{role_zh(role)}:无法由所给的字典构建表:{exc}",
            ) from exc
        return [Loaded(usable_columns(table, f"<{role} dict>"), f"<{role} dict>", 1)]
    if type(obj).__module__.startswith("pandas"):
        try:
            table = pa.Table.from_pandas(obj, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise InputError(
                f"{role}: cannot convert the pandas DataFrame to Arrow: {exc}",
                zh=f"{role_zh(role)}:无法将 pandas DataFrame 转换为 Arrow:{exc}",
            ) from exc
        return [Loaded(usable_columns(table, f"<{role} DataFrame>"), f"<{role} DataFrame>", 1)]
    raise InputError(
        f"{role}: expected a pyarrow Table, a pandas DataFrame or a file path, got {type(obj).__name__}",
        zh=f"{role_zh(role)}:应为 pyarrow 表、pandas DataFrame 或文件路径,而不是 {type(obj).__name__}",
    )


def load_table(obj: TableLike, role: str, limits: Limits | None = None) -> Loaded:
    """The single table of ``obj`` (see :func:`load_tables`); a workbook with several sheets
    of the role is an error that lists them (callers that take several use ``load_tables``)."""
    tables = load_tables(obj, role, limits)
    if len(tables) > 1:
        labels = ", ".join(t.label for t in tables)
        raise InputError(
            f"{role}: {len(tables)} tables given ({labels}); only one can be read here: "
            "put the rows in one sheet or file",
            zh=f"{role_zh(role)}:给出了 {len(tables)} 张表({labels});此处只能读取一张:"
            "请把各行放在同一个工作表或文件中",
        )
    return tables[0]


def load_files(paths: Sequence[Path], limits: Limits | None = None) -> dict[str, list[Loaded]]:
    """Read files whose role (schools, counties, kindergartens) is told by sheet names,
    file names or headers — what the CLI does with ``eduscore evaluate a.xlsx b.csv``.

    Every table found is kept: a role read from several sheets or files has several
    :class:`Loaded`, in the order given."""
    limits = limits or Limits()
    found: dict[str, list[Loaded]] = {}
    for path in map(Path, paths):
        if not path.exists():
            raise InputError(f"file {path} does not exist", zh=f"文件 {path} 不存在")
        if path.suffix.lower() in EXCEL_SUFFIXES:
            book = _workbook(path, limits)
            loaded = book.tables()
            if not loaded:
                names = book.names or "(none)"
                raise InputError(
                    f"{path}: no sheet named for schools (学校), counties (县) or kindergartens (幼儿园), "
                    f"and no sheet whose header holds 学校标识码, 县区代码 or 幼儿园标识码; "
                    f"sheets found: {names}",
                    zh=f"{path}:没有名为 学校、县 或 幼儿园 的工作表,也没有表头含 学校标识码、县区代码 或 "
                    f"幼儿园标识码 的工作表;现有工作表:{names}",
                )
        else:
            table = _read_file(path, "input", limits)
            # The header's id column decides over the file name (县直学校.csv is a schools
            # table); a county code alone, which every table has, does not.
            by_header, by_name = guess_role(table.table), role_of_name(path.stem)
            role = by_header if by_header in ("schools", "kindergartens") else (by_name or by_header)
            if role is None:
                raise InputError(
                    f"{path}: cannot tell whether this is a schools, counties or kindergartens table; "
                    "name the file after it (e.g. schools.csv, 学校.csv) "
                    "or use --schools/--counties/--kindergartens",
                    zh=f"{path}:无法判断这是学校、县还是幼儿园表;请按表名命名文件(如 学校.csv、schools.csv),"
                    "或使用 --schools/--counties/--kindergartens",
                )
            loaded = {role: [table]}
        for role, tables in loaded.items():
            found.setdefault(role, []).extend(tables)
    return found


def role_of_name(name: str) -> str | None:
    """The role a file or sheet name starts with (``学校_2024.csv`` → schools), if any."""
    key = name.strip().lower()
    for role, names in SHEET_NAMES.items():
        if any(key == n or key.startswith(n) for n in names):
            return role
    return None


# A role's name followed only by a continuation mark names that role's sheet outright:
# 学校(续), 学校 续表, 学校2, 学校_2024, schools (cont.), schools-2.
_CONTINUED = re.compile(
    r"[\s_\-—.·]*(?:[(（]\s*(?:续表?\s*\d*|cont(?:inued)?\.?|\d+)\s*[)）]|续表?\s*\d*|cont(?:inued)?\.?|\d+)$",
    re.IGNORECASE,
)


def role_of_sheet(name: str) -> tuple[str | None, bool]:
    """(role, certain) told by a sheet's name: certain when the name is a role's name, with
    at most a continuation mark (``学校``, ``学校(续)``, ``schools 2``); uncertain when it only
    starts with one (``学校代码说明``), in which case the sheet's header must confirm it."""
    key = name.strip().lower()
    base = _CONTINUED.sub("", key).strip() or key
    for role, names in SHEET_NAMES.items():
        if base in names:
            return role, True
    return role_of_name(name), False


def guess_role(table: pa.Table) -> str | None:
    """The role whose required identifying column the table has."""
    return _role_of_headers(table.column_names)


def _role_of_headers(headers: Sequence[Any]) -> str | None:
    names = {_norm(h) for h in headers if h is not None}
    for role, key in (
        ("kindergartens", "kindergarten_id"),
        ("schools", "school_id"),
        ("counties", "county_code"),
    ):
        col = contract.columns(role)[key]
        if _norm(col.name) in names or _norm(col.zh) in names:
            return role
    return None


def _norm(header: Any) -> str:
    return str(header).strip().replace("（", "(").replace("）", ")").replace(" ", "").lower()


_KNOWN_HEADERS = {
    _norm(k)
    for role in ("schools", "sections", "counties", "kindergartens")
    for k in contract.header_aliases(role)
}


def find_header(rows: Sequence[Sequence[Any]]) -> int:
    """The index of the first row holding at least two known column names, or -1."""
    for i, row in enumerate(rows):
        if sum(_norm(v) in _KNOWN_HEADERS for v in row if v not in (None, "")) >= 2:
            return i
    return -1


_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?$")


def data_like(row: Sequence[Any], header: Sequence[Any]) -> bool:
    """Whether a row above the header holds data rather than a title: at least three filled
    cells (and a third of the header's), two of them numbers. A title ("2024年义务教育学校
    基本情况表"), a "填报单位:… 填报日期:…" line or a units row is none of these; a school's
    row moved above the header by a sort is."""
    filled = [str(v).strip() for v in row if v is not None and str(v).strip()]
    named = sum(1 for v in header if v is not None and str(v).strip())
    numbers = sum(1 for v in filled if _NUMBER.match(v))
    return len(filled) >= max(3, named // 3) and numbers >= 2


# --------------------------------------------------------------------------- Arrow inputs


def usable_columns(table: pa.Table, source: str) -> pa.Table:
    """The table with every column as text, numbers, booleans or dates — or an InputError
    naming the first column that is none of these (a list, a structure, a map, bytes that
    are not UTF-8 text), since one cell must hold one value.

    Dictionary-encoded, run-end-encoded and view columns are decoded, binary columns that
    hold UTF-8 text become text, extension types are read as their storage."""
    columns = []
    changed = False
    for name, col in zip(table.column_names, table.columns, strict=True):
        usable = _usable(col, name, source)
        changed = changed or usable is not col
        columns.append(usable)
    return pa.table(columns, names=table.column_names) if changed else table


def _usable(col: pa.ChunkedArray, name: str, source: str) -> pa.ChunkedArray:
    t = col.type
    if isinstance(t, pa.ExtensionType):
        storage = pa.chunked_array([c.storage for c in col.chunks], type=t.storage_type)
        return _usable(storage, name, source)
    if pa.types.is_dictionary(t):
        return (
            _usable(pc.cast(col, t.value_type), name, source)
            if _scalar(t.value_type)
            else _refuse(name, t, source)
        )
    if pa.types.is_run_end_encoded(t):
        decoded = pa.chunked_array([pc.run_end_decode(c) for c in col.chunks], type=t.value_type)
        return _usable(decoded, name, source)
    if pa.types.is_string_view(t):
        return pc.cast(col, pa.string())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return _as_text(col, name, source)
    if pa.types.is_fixed_size_binary(t):
        return _as_text(pc.cast(col, pa.binary()), name, source, t)
    if _scalar(t):
        return col
    return _refuse(name, t, source)


def _scalar(t: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_string_view(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
        or pa.types.is_boolean(t)
        or pa.types.is_null(t)
        or pa.types.is_date(t)
        or pa.types.is_timestamp(t)
        or pa.types.is_time(t)
        or pa.types.is_duration(t)
    )


def _as_text(
    col: pa.ChunkedArray, name: str, source: str, shown: pa.DataType | None = None
) -> pa.ChunkedArray:
    try:
        return pc.cast(col, pa.large_string() if pa.types.is_large_binary(col.type) else pa.string())
    except pa.ArrowInvalid:
        pass
    # Which row: halve the column until the bad value is found (log n casts, no row loop).
    flat = col.combine_chunks()
    lo, hi = 0, len(flat)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            pc.cast(flat.slice(lo, mid - lo), pa.string())
            lo = mid
        except pa.ArrowInvalid:
            hi = mid
    value = flat[lo].as_py()
    raise InputError(
        f"{source}: column {name!r} holds bytes ({shown or col.type}) that are not UTF-8 text, "
        f"first in row {lo + 1} ({value[:40]!r}); expected text or numbers: decode the column "
        "to text first",
        zh=f"{source}:列 {name!r} 为字节数据({shown or col.type}),且不是 UTF-8 文本,首见于第 {lo + 1} 行"
        f"({value[:40]!r});应为文本或数字:请先将该列解码为文本",
    )


def _refuse(name: str, t: pa.DataType, source: str) -> NoReturn:
    raise InputError(
        f"{source}: column {name!r} has the type {t}, which eduscore cannot read: every cell must "
        "hold one value, text or a number (a list, a structure or a map does not); convert the "
        "column to text or drop it",
        zh=f"{source}:列 {name!r} 的类型为 {t},无法读取:每个单元格只能是一个值(文本或数字),"
        "不能是列表、结构或映射;请将该列转换为文本或删除",
    )


# --------------------------------------------------------------------------- workbooks


@attrs.frozen
class _Workbook:
    """A workbook's sheets as read, and the tables found on them."""

    path: Path
    sheets: list[Sheet]
    found: dict[str, list[_Candidate]]  # role → the visible sheets of that role
    others: list[_Candidate]  # visible sheets with content that no role claims

    def tables(self) -> dict[str, list[Loaded]]:
        """The tables of every role (built only when asked: a sheet's own problems, such as
        a header without data, matter only when its table is read)."""
        return {role: [_sheet_table(self.path, c) for c in cs] for role, cs in self.found.items()}

    @property
    def names(self) -> str:
        return ", ".join(s.name for s in self.sheets)


@attrs.frozen
class _Candidate:
    """A sheet with its blank-row mask and the position of its header (-1: none found)."""

    sheet: Sheet
    raw: pa.Table
    blank: npt.NDArray[np.bool_]
    filled: npt.NDArray[np.int64]
    header: int


def load_workbook(path: Path, limits: Limits | None = None) -> dict[str, list[Loaded]]:
    """Every visible sheet of a workbook that holds one of the tables, by role.

    Raises :class:`~eduscore.errors.InputError` when a hidden sheet holds a table."""
    return _workbook(path, limits or Limits()).tables()


def _workbook(path: Path, limits: Limits) -> _Workbook:
    with _progress(path):
        sheets = read_workbook(path, limits)
    found: dict[str, list[_Candidate]] = {}
    others: list[_Candidate] = []
    hidden: list[tuple[str, str]] = []
    headless: list[str] = []
    for sheet in sheets:
        by_name, certain = role_of_sheet(sheet.name)
        if sheet.table is None:
            if certain and sheet.visible not in ("hidden", "veryhidden"):
                raise InputError(
                    f"{path}!{sheet.name}: cannot read this sheet ({sheet.error})",
                    zh=f"{path}!{sheet.name}:无法读取此工作表({sheet.error})",
                )
            continue
        raw = sheet.table
        if raw.num_columns > limits.max_columns:
            raise exceeded(
                f"{path}!{sheet.name}",
                f"the sheet has {raw.num_columns:,} columns",
                f"工作表有 {raw.num_columns:,} 列",
                "max_columns",
                limits,
                raw.num_columns,
            )
        blank = blank_rows(raw)
        filled = np.flatnonzero(~blank).astype(np.int64)
        head = [list(r.values()) for r in raw.take(pa.array(filled[:10], pa.int64())).to_pylist()]
        at = find_header(head)
        candidate = _Candidate(sheet, raw, blank, filled, at)
        # The name decides when it is a role's name; otherwise the header must say which table.
        role = by_name if certain else (_role_of_headers(head[at]) if at >= 0 else None)
        if role is None and at < 0 and _holds_data(raw, filled):
            # Rows of numbers under no header eduscore knows (English or home-made column
            # names, or no header at all): skipped without a word when other sheets are read.
            headless.append(sheet.name)
        if sheet.visible != "visible":
            if role is not None and len(filled):  # an empty hidden sheet hides nothing
                hidden.append((sheet.name, role))
        elif role is not None:
            found.setdefault(role, []).append(candidate)
        elif len(filled):
            others.append(candidate)
    if hidden:
        raise _hidden(path, sheets, hidden)
    if headless and found:
        raise _headless(path, sheets, headless)
    # A visible sheet with a table header that no role claims would be skipped silently
    # when other sheets are read: its rows (a district's schools, say) would vanish.
    headed = [c for c in others if c.header >= 0]
    if headed and (found or len(headed) > 1):
        raise _unclaimed(path, sheets, headed)
    return _Workbook(path, sheets, found, others)


def _holds_data(raw: pa.Table, filled: npt.NDArray[np.int64]) -> bool:
    """Whether a sheet without a known header has rows that look like data (a school's
    figures), among its first 50 filled rows: an instructions sheet has none."""
    rows = raw.take(pa.array(filled[:50], pa.int64())).to_pylist()
    return any(data_like(list(r.values()), []) for r in rows)


def _headless(path: Path, sheets: list[Sheet], names: list[str]) -> InputError:
    which = ", ".join(repr(n) for n in names)
    every = ", ".join(s.name for s in sheets)
    return InputError(
        f"{path}: sheet(s) {which} hold rows of figures under no header eduscore knows, so they "
        "would not be read: give the sheet the template's headers (eduscore template) and name it "
        f"学校, 县 or 幼儿园, or delete it or move it to another file (sheets: {every})",
        zh=f"{path}:工作表 {which} 中有数据行,但没有可识别的表头,这些行不会被读取:请使用模板的表头"
        "(eduscore template)并将工作表命名为 学校、县 或 幼儿园,"
        f"或删除该工作表、移到其他文件(工作表:{every})",
    )


def _unclaimed(path: Path, sheets: list[Sheet], headed: list[_Candidate]) -> InputError:
    names = ", ".join(repr(c.sheet.name) for c in headed)
    every = ", ".join(s.name for s in sheets)
    return InputError(
        f"{path}: sheet(s) {names} hold a table (their header has known column names) but eduscore "
        "cannot tell which one: name each 学校, 县 or 幼儿园 (a continuation as 学校(续)), or give it the "
        "id column (学校标识码 / 县区代码 / 幼儿园标识码), or delete it — its rows would otherwise not be "
        f"read (sheets: {every})",
        zh=f"{path}:工作表 {names} 含有数据表(表头有可识别的列名),但无法判断是哪一张表:"
        "请将其命名为 学校、县 或 幼儿园(续表可命名为 学校(续)),"
        "或加上标识列(学校标识码 / 县区代码 / 幼儿园标识码),或删除该工作表,"
        f"否则其中的行不会被读取(工作表:{every})",
    )


def _workbook_tables(path: Path, role: str, limits: Limits) -> list[Loaded]:
    book = _workbook(path, limits)
    if role in book.found:
        return [_sheet_table(path, c) for c in book.found[role]]
    # No sheet named or headed for this role: a workbook with a single table is that table
    # (the caller said what it is), and its header problems are then the user's clue.
    candidates = [c for cs in book.found.values() for c in cs] + book.others
    if len(candidates) == 1:
        return [_sheet_table(path, candidates[0])]
    names = SHEET_NAMES.get(role, ())[:4]
    raise InputError(
        f"{path}: no sheet for the {role} table; name it {' or '.join(names) or 'after the table'} "
        f"(sheets found: {book.names or '(none)'})",
        zh=f"{path}:没有{ROLE_ZH.get(role, role)}表的工作表;请将工作表命名为 {' 或 '.join(names) or role}"
        f"(现有工作表:{book.names or '(无)'})",
    )


def _hidden(path: Path, sheets: list[Sheet], hidden: list[tuple[str, str]]) -> InputError:
    zh_state = {"visible": "可见", "hidden": "隐藏", "veryhidden": "深度隐藏", "unknown": "未知"}
    listing_en = ", ".join(f"{s.name} ({s.visible})" for s in sheets)
    listing_zh = ",".join(f"{s.name}({zh_state.get(s.visible, s.visible)})" for s in sheets)
    which_en = ", ".join(f"{name!r} (a {role} table)" for name, role in hidden)
    which_zh = ",".join(f"“{name}”({ROLE_ZH.get(role, role)}表)" for name, role in hidden)
    return InputError(
        f"{path}: hidden sheet(s) {which_en} hold data; eduscore does not score what you cannot "
        "see: unhide the sheet (right-click a sheet tab → Unhide) if its rows belong to the "
        f"evaluation, or delete it. Sheets: {listing_en}",
        zh=f"{path}:隐藏的工作表 {which_zh} 中有数据;eduscore 不会评估看不见的数据:如其中各行应参与评估,"
        f"请取消隐藏(右击工作表标签 → 取消隐藏),否则请删除该工作表。工作表:{listing_zh}",
    )


def _sheet_table(path: Path, c: _Candidate) -> Loaded:
    """The sheet's data below its header, without blank rows, with sheet row numbers."""
    label = f"{path}!{c.sheet.name}"
    if len(c.filled) == 0:
        raise InputError(
            f"{label}: the sheet is empty (no header row, no data)",
            zh=f"{label}:工作表是空的(没有表头,也没有数据)",
        )
    header_at = int(c.filled[max(c.header, 0)])
    first = c.raw.slice(header_at, 1).to_pylist()[0].values()
    names_row = [None if v is None else str(v).strip() for v in first]
    below = np.arange(header_at + 1, c.raw.num_rows, dtype=np.int64)
    data = below[~c.blank[header_at + 1 :]]
    # Rows above the header that hold data (a sort moved the header down, or a row was
    # typed above it) are rows of the table, read under the header's columns and flagged.
    over = c.filled[c.filled < header_at]
    above = np.array(
        [
            r
            for r, row in zip(over, c.raw.take(pa.array(over, pa.int64())).to_pylist(), strict=True)
            if data_like(list(row.values()), names_row)
        ],
        dtype=np.int64,
    )
    data = np.concatenate([above, data])
    if len(data) == 0:
        raise InputError(
            f"{label}: the sheet has a header (row {header_at + 1}) but no data rows",
            zh=f"{label}:工作表只有表头(第 {header_at + 1} 行),没有数据行",
        )
    contiguous = int(data[-1]) - int(data[0]) + 1 == len(data)  # no blank row inside: no copy
    body = c.raw.slice(int(data[0]), len(data)) if contiguous else c.raw.take(pa.array(data, pa.int64()))
    columns, names = [], []
    for i, name in enumerate(names_row):
        if not name:
            if blank_rows(body.select([i])).all():
                continue  # an empty column without a name: Excel's formatted-but-empty cells
            name = f"({column_letter(i)})"  # cells without a header are reported, not lost
        columns.append(body.column(i))
        names.append(name)
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(
            f"{label}: header names repeated: {', '.join(dupes)}",
            zh=f"{label}:表头名称重复:{', '.join(dupes)}",
        )
    return Loaded(
        pa.table(columns, names=names),
        str(path),
        header_at + 1,
        c.sheet.name,
        pa.array(data + 1, pa.int64()),
        runs(np.setdiff1d(below, data, assume_unique=True) + 1),
        tuple(int(r) + 1 for r in above),
        runs(np.intersect1d(np.array(c.sheet.hidden_rows, dtype=np.int64), data + 1)),
    )


def runs(rows: npt.NDArray[np.int64]) -> tuple[tuple[int, int], ...]:
    """Sorted row numbers as runs: [3, 4, 5, 9] → ((3, 5), (9, 9))."""
    if len(rows) == 0:
        return ()
    cut = np.flatnonzero(np.diff(rows) != 1)
    firsts = np.concatenate([[rows[0]], rows[cut + 1]])
    lasts = np.concatenate([rows[cut], [rows[-1]]])
    return tuple((int(a), int(b)) for a, b in zip(firsts, lasts, strict=True))


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


def _read_file(path: Path, role: str, limits: Limits) -> Loaded:
    if not path.exists():
        raise InputError(f"{role}: file {path} does not exist", zh=f"{role_zh(role)}:文件 {path} 不存在")
    suffix = path.suffix.lower()
    check_file_size(path, limits)
    try:
        with _progress(path):
            if suffix in CSV_SUFFIXES:
                read = read_csv(path, "\t" if suffix == ".tsv" else ",", limits, find_header, data_like)
                return Loaded(
                    read.table,
                    str(path),
                    read.header_row,
                    row_numbers=pa.array(read.row_numbers, pa.int64()),
                    blank_rows=runs(read.blank_records),
                    above_header=tuple(int(r) for r in read.above_header),
                )
            if suffix in (".parquet", ".pq"):
                return Loaded(usable_columns(_parquet(path, limits), str(path)), str(path), 1)
            if suffix in (".feather", ".arrow", ".ipc"):
                return Loaded(usable_columns(_arrow_file(path, limits), str(path)), str(path), 1)
    except (InputError, LimitError):
        raise
    except MemoryError as exc:
        raise exceeded(
            str(path),
            f"reading it ran out of memory ({exc})",
            f"读取时内存不足({exc})",
            "max_uncompressed_mb",
            limits,
            limits.max_uncompressed_mb / 2,
        ) from None
    except (pa.ArrowException, OSError, ValueError, IndexError) as exc:
        raise InputError(
            f"{role}: cannot read {path}: {exc}", zh=f"{role_zh(role)}:无法读取 {path}:{exc}"
        ) from exc
    raise InputError(
        f"{role}: {path} has an unsupported file type {suffix or '(none)'}; "
        "use .csv, .xlsx/.xls, .parquet or .feather/.arrow",
        zh=f"{role_zh(role)}:不支持的文件类型 {suffix or '(无)'}({path});"
        "请使用 .csv、.xlsx/.xls、.parquet 或 .feather/.arrow",
    )


def _parquet(path: Path, limits: Limits) -> pa.Table:
    """A Parquet file, batch by batch: a few MB of Parquet can hold gigabytes of repeated
    values, so the footer's uncompressed size is checked first and the data read so far
    after every batch."""
    file = pq.ParquetFile(path)
    meta = file.metadata
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    batches, read = [], 0
    for batch in [] if size > limits.max_uncompressed_mb * MB else file.iter_batches(batch_size=1 << 16):
        read += batch.nbytes
        if read > limits.max_uncompressed_mb * MB:
            size = read
            break
        batches.append(batch)
    if size > limits.max_uncompressed_mb * MB:
        raise exceeded(
            str(path),
            f"its data take {size / MB:,.0f} MB or more once read",
            f"读入后数据达 {size / MB:,.0f} MB 或更多",
            "max_uncompressed_mb",
            limits,
            max(size, meta.num_rows * 64) / MB,
        )
    return pa.Table.from_batches(batches, schema=file.schema_arrow)


def _arrow_file(path: Path, limits: Limits) -> pa.Table:
    """An Arrow IPC file (Feather v2), batch by batch so that a compressed file cannot
    unpack beyond ``max_uncompressed_mb``; Feather v1 and IPC streams as they are."""
    try:
        # Not closed here: the batches of an uncompressed file are views of the mapped file.
        reader = ipc.open_file(pa.memory_map(str(path)))
        batches, size = [], 0
        for i in range(reader.num_record_batches):
            batch = reader.get_batch(i)
            size += batch.nbytes
            if size > limits.max_uncompressed_mb * MB:
                raise exceeded(
                    str(path),
                    f"its data take more than {size / MB:,.0f} MB once read",
                    f"读入后数据超过 {size / MB:,.0f} MB",
                    "max_uncompressed_mb",
                    limits,
                    size / MB * 2,
                )
            batches.append(batch)
        return pa.Table.from_batches(batches, schema=reader.schema)
    except pa.ArrowInvalid:
        pass
    try:
        return feather.read_table(str(path))
    except pa.ArrowInvalid:
        return ipc.open_stream(pa.memory_map(str(path))).read_all()
