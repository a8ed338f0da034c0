"""Safety limits of the readers: how big an input may be before it is refused.

Every reader checks sizes *before* it materialises anything (a file's size, a workbook's
unzipped parts and declared sheet extents, a CSV's longest line and its column count), and
reads workbooks in a child process capped in memory and time, so that a hostile or broken
file ends in a :class:`~eduscore.errors.LimitError` that names the limit and how to raise it,
never in an exhausted machine.

>>> Limits().max_cells
20000000
>>> Limits(max_cells=50_000_000).max_cells
50000000
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from eduscore.errors import LimitError


@attrs.frozen
class Limits:
    """How large an input the readers accept; every field has a safe default.

    Each field is also a command-line option of ``eduscore evaluate`` (and ``plan``,
    ``whatif``, ``explain``): ``max_cells`` is ``--max-cells``, ``timeout_s`` is
    ``--read-timeout``, and so on (:data:`OPTIONS`).
    """

    #: Largest input file on disk (CSV, workbook, Parquet, Feather), in MB.
    max_file_mb: int = attrs.field(default=4096, validator=attrs.validators.gt(0))
    #: Cells of one workbook sheet, rows × columns of its extent (a stray cell at
    #: ``XFD1048576`` makes a sheet of 17 billion cells that a reader would allocate).
    max_cells: int = attrs.field(default=20_000_000, validator=attrs.validators.gt(0))
    #: Columns of a CSV header or a workbook sheet (Excel itself stops at 16,384).
    max_columns: int = attrs.field(default=16_384, validator=attrs.validators.gt(0))
    #: A workbook's parts once unzipped, all together; also a Parquet file's
    #: uncompressed data and a Feather file's data once read, in MB.
    max_uncompressed_mb: int = attrs.field(default=2048, validator=attrs.validators.gt(0))
    #: Unzipped size over zipped size of any workbook part larger than 1 MB: text
    #: spreadsheets compress 5 to 50 times, zip bombs a thousand times.
    max_ratio: int = attrs.field(default=200, validator=attrs.validators.gt(0))
    #: A workbook's shared-string table (all of its distinct texts), unzipped, in MB.
    max_shared_strings_mb: int = attrs.field(default=256, validator=attrs.validators.gt(0))
    #: Memory (address space) of the child process that reads a workbook, in MB
    #: (Linux; never above the limit the calling process itself runs under).
    max_memory_mb: int = attrs.field(default=4096, validator=attrs.validators.gt(0))
    #: Time the child process may take to read a workbook, in seconds.
    timeout_s: float = attrs.field(default=300.0, validator=attrs.validators.gt(0))
    #: Longest line (record) of a CSV file, in MB.
    max_line_mb: int = attrs.field(default=16, validator=attrs.validators.gt(0))


#: Command-line option of each field.
OPTIONS: dict[str, str] = {
    "max_file_mb": "--max-file-mb",
    "max_cells": "--max-cells",
    "max_columns": "--max-columns",
    "max_uncompressed_mb": "--max-uncompressed-mb",
    "max_ratio": "--max-ratio",
    "max_shared_strings_mb": "--max-shared-strings-mb",
    "max_memory_mb": "--max-memory-mb",
    "timeout_s": "--read-timeout",
    "max_line_mb": "--max-line-mb",
}

#: What each limit bounds, for ``--help``.
HELP: dict[str, str] = {
    "max_file_mb": "largest input file, in MB",
    "max_cells": "cells of one workbook sheet (rows × columns of its extent)",
    "max_columns": "columns of a CSV header or a sheet",
    "max_uncompressed_mb": "a workbook's parts unzipped, or a Parquet/Feather file's data, in MB",
    "max_ratio": "unzipped / zipped size of a workbook part",
    "max_shared_strings_mb": "a workbook's shared-string table unzipped, in MB",
    "max_memory_mb": "memory of the process that reads a workbook, in MB",
    "timeout_s": "seconds the reading of a workbook may take",
    "max_line_mb": "longest line of a CSV file, in MB",
}

#: The same in Chinese.
HELP_ZH: dict[str, str] = {
    "max_file_mb": "输入文件的最大大小,单位 MB",
    "max_cells": "工作表的最大单元格数(行数 × 列数)",
    "max_columns": "CSV 表头或工作表的最大列数",
    "max_uncompressed_mb": "工作簿解压后的大小,或 Parquet/Feather 文件数据的大小,单位 MB",
    "max_ratio": "工作簿各部分解压后与压缩时大小之比",
    "max_shared_strings_mb": "工作簿共享字符串表解压后的大小,单位 MB",
    "max_memory_mb": "读取工作簿的进程可用的内存,单位 MB",
    "timeout_s": "读取一个工作簿最多可用的秒数",
    "max_line_mb": "CSV 文件最长一行的大小,单位 MB",
}

MB = 1024 * 1024


def check_file_size(path: Path, limits: Limits) -> None:
    """Refuse a file larger than ``max_file_mb`` before anything of it is read."""
    size = path.stat().st_size
    if size > limits.max_file_mb * MB:
        raise exceeded(
            str(path),
            f"the file has {size / MB:,.0f} MB",
            f"文件大小 {size / MB:,.0f} MB",
            "max_file_mb",
            limits,
            size / MB,
        )


def exceeded(
    where: str,
    what_en: str,
    what_zh: str,
    field: str,
    limits: Limits,
    needed: float,
    *,
    needs_bytes: float = 0.0,
) -> LimitError:
    """A LimitError: ``where`` (file, sheet, row) ``what`` (the size found) exceeds ``field``.

    The message names the limit, its value, and how to raise it (the CLI option and the
    :class:`Limits` keyword) with a value above ``needed`` — unless reading would need
    ``needs_bytes`` of memory, more than the machine has, when it says that raising the
    limit would not help.
    """
    limit = getattr(limits, field)
    option = OPTIONS[field]
    unit = {"timeout_s": " s", "max_cells": "", "max_columns": "", "max_ratio": ""}.get(field, " MB")
    head_en = f"{where}: {what_en}, more than the limit of {_fmt(limit)}{unit} ({field}). "
    head_zh = f"{where}:{what_zh},超过上限 {_fmt(limit)}{unit}。"
    ram = physical_memory()
    if needs_bytes and ram and needs_bytes > ram:
        return LimitError(
            head_en + f"Raising the limit ({option}) would not help: reading it needs about "
            f"{needs_bytes / 2**30:,.0f} GiB of memory, more than this machine has ({ram / 2**30:,.0f} GiB)",
            zh=head_zh + f"提高上限({option})也无济于事:读取它约需 {needs_bytes / 2**30:,.0f} GiB 内存,"
            f"超过本机内存({ram / 2**30:,.0f} GiB)",
        )
    suggestion = _round_up(needed)
    return LimitError(
        head_en + f"If the file is genuine, raise the limit: {option} {suggestion} "
        f"(Python: Limits({field}={suggestion}))",
        zh=head_zh + f"如文件无误,可提高上限:{option} {suggestion}(Python:Limits({field}={suggestion}))",
    )


def physical_memory() -> int:
    """The machine's memory in bytes (0 when the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - Windows
        return 0


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def _round_up(value: float) -> int:
    """A round number comfortably above ``value`` (1, 2 or 5 times a power of ten)."""
    target = max(1.0, value * 1.25)
    power = 1
    while True:
        for step in (1, 2, 5):
            if step * power >= target:
                return step * power
        power *= 10
