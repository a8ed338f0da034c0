"""The long per-unit check table (``Result.section_checks``), kept compact until it is read.

About 16 rows per school section: 12 million rows for the nation at four times its size.
Evaluating does not need the long table itself, only its parts, so the result keeps each
check's part compact and builds the table the first time someone reads it:

* the unit's identity (county, unit, level) is one array shared by every check;
* ``met`` and ``ratio`` of a check made by :meth:`Engine.unit_check` are not kept: they
  are :func:`~eduscore.engine.score.met_and_ratio` of its value, threshold and comparator,
  and are computed again, by the same function on the same values, when read;
* thresholds and coded reasons with few distinct values are held as one-byte codes;
* the reasons are rendered in English and Chinese when read.

The table read is the same, value for value, as the one built whole (tests/test_unit_table.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from eduscore.engine.score import SECTION_CHECK_SCHEMA, STANDARD, concat_checks, met_and_ratio

_SMALL = 127  # distinct values that fit one-byte codes


def compact(part: pa.Table) -> pa.Table:
    """One check's rows (:data:`SECTION_CHECK_SCHEMA`, or already without ``met`` and
    ``ratio`` as :meth:`Engine.unit_check` makes them) as the result keeps them."""
    standard = (part.schema.metadata or {}).get(STANDARD) == b"1"
    if not (standard and "met" not in part.column_names):
        if not part.schema.equals(SECTION_CHECK_SCHEMA):  # a rule kind's own table: its types
            part = part.cast(SECTION_CHECK_SCHEMA)
        if standard:
            part = part.drop_columns(["met", "ratio"])
    for name in ("threshold", "reason"):
        i = part.column_names.index(name)
        part = part.set_column(i, name, _narrow(part.column(i)))
    return part


def expand(part: pa.Table) -> pa.Table:
    """A compact part back in :data:`SECTION_CHECK_SCHEMA`."""
    threshold = part.column("threshold").cast(pa.float64())
    columns = {name: part.column(name) for name in part.column_names}
    columns["threshold"] = threshold
    columns["reason"] = part.column("reason").cast(SECTION_CHECK_SCHEMA.field("reason").type)
    if "met" not in columns:
        columns["met"], columns["ratio"] = met_ratio_of(part)
    return pa.table({f.name: columns[f.name] for f in SECTION_CHECK_SCHEMA}, schema=SECTION_CHECK_SCHEMA)


def met_ratio_of(part: pa.Table) -> tuple[Any, Any]:
    """``met`` and ``ratio`` of a check's rows, kept or compact."""
    if "met" in part.column_names:
        return part.column("met"), part.column("ratio")
    comparators = part.column("comparator").unique().drop_null().to_pylist()
    # One comparator per check (its label array); none: nothing to compare with.
    comparator = str(comparators[0]) if comparators else None
    return met_and_ratio(part.column("value"), part.column("threshold").cast(pa.float64()), comparator)


def _narrow(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column of few distinct values as one-byte dictionary codes (the values unchanged,
    bit for bit); any other column as it is."""
    if pa.types.is_dictionary(column.type) and not pa.types.is_string(column.type.value_type):
        return column  # already narrowed
    if pa.types.is_dictionary(column.type):
        if column.num_chunks != 1 or len(column.chunk(0).dictionary) > _SMALL:
            return column
        chunk = column.chunk(0)
        return pa.chunked_array(
            [pa.DictionaryArray.from_arrays(pc.cast(chunk.indices, pa.int8()), chunk.dictionary)]
        )
    encoded = pc.dictionary_encode(column.combine_chunks())
    if len(encoded.dictionary) > _SMALL:
        return column
    return pa.chunked_array(
        [pa.DictionaryArray.from_arrays(pc.cast(encoded.indices, pa.int8()), encoded.dictionary)]
    )


class LongTable:
    """The compact parts of the long table and how to finish it; :meth:`build` makes it."""

    def __init__(self, parts: list[list[pa.Table]], finish: Callable[[list[pa.Table]], pa.Table]) -> None:
        self.parts = parts  # per scored part (chain of rule sets): its checks' compact tables
        self.finish = finish  # the expanded tables of each scored part → the result's table

    def build(self) -> pa.Table:
        return self.finish(
            [concat_checks([expand(t) for t in tables], SECTION_CHECK_SCHEMA) for tables in self.parts]
        )
