"""eduscore rule sets: Liaoning with Shenyang (辽宁, 沈阳). The rules are data: see the JSON
files here. Liaoning's graded preschool scoring of 36 items (frameworks.md §5 [S]) is a
rule kind of this plugin, :data:`GRADED_ITEMS`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eduscore.plugins import KIND_OUTPUT_SCHEMA, RuleKind, RuleSet, Text, hookimpl, rule_sets_from_package

EDUSCORE_API_VERSION = 2

#: How many items Liaoning grades (frameworks.md §5 [S]); no source available to us lists
#: them, so they are numbered: the county's table gives each item's status.
N_ITEMS = 36
ITEMS = tuple(f"liaoning_item_{i:02d}" for i in range(1, N_ITEMS + 1))
#: The statuses an item's cell may hold (in English or Chinese).
PASS = ("pass", "达标")
BASIC = ("basic", "basic_pass", "基本达标")
FAIL = ("fail", "不达标")

PARAMS_SCHEMA = {
    "type": "object",
    "required": ["min_pass", "max_basic"],
    "additionalProperties": False,
    "properties": {
        "min_pass": {"type": "integer", "minimum": 0, "description": "passes the lowest grade needs"},
        "max_basic": {"type": "integer", "minimum": 0, "description": "basic passes it allows"},
        "comparator": {"const": ">="},
    },
}


def _count(table: pa.Table, words: tuple[str, ...]) -> pa.Array:
    """Per county, how many of its items hold one of ``words`` (a sum over the 36 columns)."""
    total = np.zeros(table.num_rows, dtype=np.int64)
    value_set = pa.array(words, pa.string())
    for name in ITEMS:
        cell = pc.utf8_trim_whitespace(pc.utf8_lower(table.column(name)))
        hit = pc.fill_null(pc.is_in(cell, value_set=value_set), False)
        total += np.asarray(hit.to_numpy(zero_copy_only=False), dtype=np.int64)
    return pa.array(total)


def graded_items(table: pa.Table, params: Mapping[str, Any]) -> pa.Table:
    """One row per county: its 36 items' statuses counted. Any failed item → ``fail``;
    else any item without a status → ``not_assessed``; else below the lowest grade
    (fewer than ``min_pass`` passes or more than ``max_basic`` basic passes) → ``fail``;
    else ``pass``. The value is the number of passes (the grade follows it: with all 36
    known and none failed, the basic passes are the rest)."""
    n_pass, n_basic, n_fail = _count(table, PASS), _count(table, BASIC), _count(table, FAIL)
    n_unknown = pc.subtract(pc.subtract(pc.subtract(N_ITEMS, n_pass), n_basic), n_fail)
    min_pass, max_basic = int(params["min_pass"]), int(params["max_basic"])
    failed, unknown = pc.greater(n_fail, 0), pc.greater(n_unknown, 0)
    low = pc.or_(pc.less(n_pass, min_pass), pc.greater(n_basic, max_basic))
    status = pc.if_else(failed, "fail", pc.if_else(unknown, "not_assessed", pc.if_else(low, "fail", "pass")))
    reason = pc.if_else(
        failed,
        "items_failed",
        pc.if_else(unknown, "items_unknown", pc.if_else(low, "below_grades", "graded")),
    )
    # The counts as the reasons' arguments: items, passes, basic passes, fails, unknown.
    k, n = 5, table.num_rows
    columns = [
        pa.repeat(pa.scalar(str(N_ITEMS)), n),
        *(pc.cast(c, pa.string()) for c in (n_pass, n_basic, n_fail, n_unknown)),
    ]
    flat = pa.chunked_array(columns, pa.string()).combine_chunks()
    order = (np.arange(n)[:, None] + np.arange(k)[None, :] * n).ravel()
    args = pa.ListArray.from_arrays(
        pa.array(np.arange(0, n * k + 1, k), pa.int32()), flat.take(pa.array(order, pa.int64()))
    )
    return pa.table(
        {
            "key": table.column("key"),
            "status": status,
            "value": pc.cast(n_pass, pa.float64()),
            "threshold": pa.repeat(pa.scalar(float(min_pass)), n),
            "reason": reason,
            "reason_args": args,
        },
        schema=KIND_OUTPUT_SCHEMA,
    )


GRADED_ITEMS = RuleKind(
    id="liaoning.graded_items",
    level="county",
    reads="counties",
    params_schema=PARAMS_SCHEMA,
    inputs=dict.fromkeys(ITEMS, "string"),
    handler=graded_items,
    description=Text(
        zh="辽宁学前教育分等评定:36 项逐项评为达标、基本达标或不达标",
        en="Liaoning's graded preschool scoring: each of 36 items pass, basic pass or fail",
    ),
    messages={
        "items_failed": Text(
            zh="{0} 项中有 {3} 项不达标(达标 {1} 项,基本达标 {2} 项)",
            en="{3} of {0} graded items fail ({1} pass, {2} basic pass)",
        ),
        "items_unknown": Text(
            zh="分等评定共 {0} 项,其中 {4} 项没有评定结果(已评:达标 {1} 项,基本达标 {2} 项,不达标 {3} 项)",
            en=(
                "graded scoring counts {0} items; {4} of them have no status "
                "({1} pass, {2} basic pass, {3} fail so far)"
            ),
        ),
        "below_grades": Text(
            zh="{0} 项中达标 {1} 项、基本达标 {2} 项,未达到最低等次",
            en="{1} of {0} items pass and {2} basic pass: below the lowest grade",
        ),
        "graded": Text(zh="{0} 项中达标 {1} 项、基本达标 {2} 项", en="{1} of {0} items pass, {2} basic pass"),
    },
)


@hookimpl
def eduscore_rule_kinds() -> Iterator[RuleKind]:
    yield GRADED_ITEMS


@hookimpl
def eduscore_rule_sets() -> Iterator[RuleSet]:
    return rule_sets_from_package(__name__)
