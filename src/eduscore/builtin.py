"""The built-in plugin: the national frameworks, preparation steps and output formats.

Registered through the same hooks as any province plugin.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .hookspecs import hookimpl
from .prepare import move_indoor_sports_area
from .records import FrameworkDoc, PreparationStep, Renderer, RenderFunction
from .report.files import atomic_path, write_text
from .report.text import csv_strings, csv_text, json_text

if TYPE_CHECKING:
    from .result import Result

EDUSCORE_API_VERSION = 1


@hookimpl
def eduscore_frameworks() -> Iterator[FrameworkDoc]:
    folder = resources.files("eduscore") / "frameworks"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".json"):
            doc = json.loads(entry.read_text(encoding="utf-8"))
            yield FrameworkDoc(id=doc["id"], document=doc)


@hookimpl
def eduscore_preparation_steps() -> Iterator[PreparationStep]:
    yield PreparationStep(
        id="move_indoor_sports_area",
        function=move_indoor_sports_area,
        description="count indoor gymnasium area as sports area instead of teaching area [S]",
    )


def _flat(table: pa.Table) -> pa.Table:
    """Lists become '; '-joined text and dictionary columns plain ones, so that CSV and
    Excel can hold them."""
    for i, field in enumerate(table.schema):
        column = table.column(i)
        if pa.types.is_dictionary(field.type):
            column = pc.cast(column, field.type.value_type)
        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            if not pa.types.is_string(column.type.value_type):
                column = pc.cast(column, pa.list_(pa.string()))
            column = pc.binary_join(column, "; ")
        if column is not table.column(i):
            table = table.set_column(i, field.name, column)
    return table


def csv_safe(table: pa.Table) -> pa.Table:
    """A table as it may go into a CSV file that someone opens in a spreadsheet.

    Text cells (and header names) that a spreadsheet would run as a formula get a
    leading single quote, and control characters are shown visibly
    (:mod:`eduscore.report.text`); NaN and ±infinity become empty cells, since no
    spreadsheet reads ``nan`` or ``inf`` as a number (``-inf`` would even start a
    formula). Numeric columns stay numeric: a number is never quoted.
    """
    table = _flat(table)
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            column = csv_strings(column)
        elif pa.types.is_floating(field.type):
            column = pc.if_else(pc.is_finite(column), column, pa.scalar(None, field.type))
        columns.append(column)
    return pa.table(columns, names=[csv_text(name) for name in table.column_names])


def render_json(result: Result, out: Path, lang: str = "zh") -> Path:
    return write_text(out / "result.json", json_text(result.to_json()))


def render_csv(result: Result, out: Path, lang: str = "zh") -> Path:
    """One CSV per table, UTF-8 with BOM so that Excel shows Chinese text."""
    for name, table in result.tables().items():
        write_csv_bom(table, out / f"{name}.csv")
    return out


def write_csv_bom(table: pa.Table, path: Path) -> None:
    """A table as CSV, UTF-8 with a byte-order mark (Excel then reads Chinese text right),
    made :func:`csv_safe`; list columns joined with "; ". Every CSV eduscore writes
    comes from here."""
    safe = csv_safe(table)
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        fh.write("\ufeff".encode())
        pacsv.write_csv(safe, fh)


def render_parquet(result: Result, out: Path, lang: str = "zh") -> Path:
    """One Parquet file per table: the values exactly as computed (NaN included), for
    programs rather than people."""
    for name, table in result.tables().items():
        with atomic_path(out / f"{name}.parquet") as tmp:
            pq.write_table(table, tmp)
    return out


@hookimpl
def eduscore_renderers() -> Iterator[Renderer]:
    yield Renderer("json", ".json", render_json, "result.json, valid against schemas/result.schema.json")
    yield Renderer("csv", ".csv", render_csv, "one CSV per result table (UTF-8 with BOM)")
    yield Renderer("parquet", ".parquet", render_parquet, "one Parquet file per result table")
    yield Renderer(
        "md", ".md", _lazy("markdown", "write_markdown"), "report.md: the report as Markdown tables"
    )
    yield Renderer("html", ".html", _lazy("html", "write_html"), "report.html: one offline file with charts")
    yield Renderer(
        "xlsx", ".xlsx", _lazy("xlsx", "write_xlsx"), "report.xlsx: workbook with live CV formulas"
    )


def _lazy(module: str, function: str) -> RenderFunction:
    """Import a report module only when its format is asked for."""

    def render(result: Result, out: Path, lang: str = "zh") -> Path:
        from importlib import import_module

        fn: RenderFunction = getattr(import_module(f"eduscore.report.{module}"), function)
        return fn(result, out, lang)

    return render
