"""The built-in output formats: JSON, CSV, Parquet, Markdown, HTML, XLSX and DOCX.

Hook implementations of ``eduscore_renderers``, joined to the built-in plugin when
eduscore is imported, so a plugin's formats and eduscore's own are listed and chosen the
same way (``eduscore plugins``, ``--format``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from eduscore.errors import InputError, OutputError
from eduscore.model.records import Renderer
from eduscore.plugins.hookspecs import hookimpl
from eduscore.plugins.registry import get_registry
from eduscore.report.context import RenderContext, context_of
from eduscore.report.files import (
    MANIFEST_NAME,
    atomic_path,
    output_folder,
    published,
    read_manifest,
    write_manifest,
)
from eduscore.report.text import csv_strings, csv_text

if TYPE_CHECKING:
    from eduscore.result import Result


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


def render_json(context: RenderContext, out: Path) -> Path:
    """result.json: one document, or for a large result the document and the long tables
    as Parquet files beside it (:meth:`~eduscore.result.Result.write_json`)."""
    return context.result.write_json(out)


def render_csv(context: RenderContext, out: Path) -> Path:
    result = context.result
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


def render_parquet(context: RenderContext, out: Path) -> Path:
    result = context.result
    """One Parquet file per table: the values exactly as computed (NaN included), for
    programs rather than people."""
    for name, table in result.tables().items():
        with atomic_path(out / f"{name}.parquet") as tmp:
            pq.write_table(table, tmp)
    return out


@hookimpl
def eduscore_renderers() -> Iterator[Renderer]:
    yield Renderer(
        "json",
        ".json",
        render_json,
        "result.json, valid against schemas/result.schema.json (a large result: long tables as Parquet beside it)",
    )
    yield Renderer("csv", ".csv", render_csv, "one CSV per result table (UTF-8 with BOM)")
    yield Renderer("parquet", ".parquet", render_parquet, "one Parquet file per result table")
    yield Renderer("md", ".md", render_markdown, "report.md: the report as Markdown tables")
    yield Renderer(
        "html",
        ".html",
        render_html,
        "report.html: offline, with charts (several counties: an index and counties/*.html)",
    )
    yield Renderer("xlsx", ".xlsx", render_xlsx, "report.xlsx: workbook with live CV formulas")
    yield Renderer(
        "docx",
        ".docx",
        render_docx,
        "self-evaluation.docx: the self-evaluation report draft (自评报告) in Word "
        "(several counties: self-evaluation/<code>.docx)",
    )


def render_markdown(context: RenderContext, out: Path) -> Path:
    from eduscore.report.markdown import write_markdown  # only when the format is asked for

    return write_markdown(context, out)


def render_html(context: RenderContext, out: Path) -> Path:
    from eduscore.report.html import write_html

    return write_html(context, out)


def render_xlsx(context: RenderContext, out: Path) -> Path:
    from eduscore.report.xlsx import write_xlsx

    return write_xlsx(context, out)


def render_docx(context: RenderContext, out: Path) -> Path:
    from eduscore.report.docx import write_docx

    return write_docx(context, out)


def write_outputs(
    source: Result | RenderContext,
    out: Path,
    formats: Sequence[str] = ("json", "csv", "parquet"),
    lang: str | None = None,
) -> list[Path]:
    """Write a result (or a :class:`RenderContext`) into the folder ``out`` with the named
    renderers (built-in or from plugins) and return the paths they wrote.

    The renderers write into a staging folder inside ``out``; the files are then moved
    into ``out`` together, under the folder's lock (:mod:`eduscore.report.files`): a
    run never mixes its files with another's, a symlink in ``out`` is replaced, never
    written through, and an unwritable ``out`` is an :class:`~eduscore.errors.OutputError`.
    """
    renderers = get_registry().renderers()
    unknown = [f for f in formats if f not in renderers]
    if unknown:
        raise InputError(
            f"unknown output format(s) {', '.join(unknown)}; known: {', '.join(renderers)}",
            zh=f"未知的报告格式 {'、'.join(unknown)};可用的格式:{'、'.join(renderers)}",
        )
    context = context_of(source, lang)
    earlier = {fmt: paths for fmt, paths in read_manifest(out).items() if fmt not in formats and paths}
    with output_folder(out) as staging:
        written = render_into(context, staging, formats)
    if earlier:  # an earlier run's files this run does not replace: say so, never silently
        files = sorted(p for paths in earlier.values() for p in paths if (out / p).exists())
        if files:
            shown = ", ".join(files[:5]) + (" …" if len(files) > 5 else "")
            if context.lang == "zh":
                context.notices.append(
                    f"注意:{out} 中的 {shown}(格式 {'、'.join(sorted(earlier))})是之前某次运行写下的,"
                    "本次没有重写,内容不是本次的结果;不需要请删除,或本次也加上这些格式(--format)。"
                )
            else:
                context.notices.append(
                    f"note: {shown} in {out} (format {', '.join(sorted(earlier))}) were written by an "
                    "earlier run and not rewritten by this one: they do not show this result; delete "
                    "them, or ask for these formats too (--format)."
                )
    return [published(path, staging, out) for path in written]


def render_into(context: RenderContext, folder: Path, formats: Sequence[str]) -> list[Path]:
    """Run the renderers into ``folder``; an OS error of a plugin's renderer is an
    :class:`OutputError` naming its format, like the built-in ones'."""
    renderers = get_registry().renderers()
    written = []
    owned: dict[str, list[str]] = {}
    before = _files_under(folder)
    for fmt in formats:
        try:
            written.append(renderers[fmt].function(context, folder))
        except OSError as exc:
            raise OutputError(
                f"output format {fmt}: cannot write its file: {exc}",
                zh=f"输出格式 {fmt}:无法写入文件:{exc}",
            ) from None
        after = _files_under(folder)
        owned[fmt] = sorted(after - before)
        before = after
    # Which files each format wrote: a later run into the same folder removes those of
    # its formats that it does not write again (files.output_folder).
    write_manifest(folder, owned)
    return written


def _files_under(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != MANIFEST_NAME and not p.name.startswith(".eduscore")
    }
