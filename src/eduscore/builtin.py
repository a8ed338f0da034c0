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
    """Lists become '; '-joined text so that CSV and Excel can hold them."""
    for i, field in enumerate(table.schema):
        if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
            table = table.set_column(i, field.name, pc.binary_join(table.column(field.name), "; "))
        elif pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, pc.cast(table.column(field.name), field.type.value_type))
    return table


def render_json(result: Result, out: Path, lang: str = "zh") -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "result.json"
    path.write_text(result.to_json(), encoding="utf-8")
    return path


def render_csv(result: Result, out: Path, lang: str = "zh") -> Path:
    """One CSV per table, UTF-8 with BOM so that Excel shows Chinese text."""
    out.mkdir(parents=True, exist_ok=True)
    for name, table in result.tables().items():
        write_csv_bom(table, out / f"{name}.csv")
    return out


def write_csv_bom(table: pa.Table, path: Path) -> None:
    """A table as CSV, UTF-8 with a byte-order mark (Excel then reads Chinese text right);
    list columns joined with "; "."""
    with path.open("wb") as fh:
        fh.write("\ufeff".encode())
        pacsv.write_csv(_flat(table), fh)


def render_parquet(result: Result, out: Path, lang: str = "zh") -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for name, table in result.tables().items():
        pq.write_table(table, out / f"{name}.parquet")
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
