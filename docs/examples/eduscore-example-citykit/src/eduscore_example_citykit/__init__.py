"""An example rule kind: the share of a county's school sections meeting a standard.

The handler is called once per evaluation with every county's school sections in one
Arrow table and works on whole columns (a group-by per county): no loop over rows or
counties.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from eduscore.plugins import KIND_OUTPUT_SCHEMA, RuleKind, RuleSet, Text, hookimpl, rule_sets_from_package

EDUSCORE_API_VERSION = 2

PARAMS_SCHEMA = {
    "type": "object",
    "required": ["per_100", "min_share"],
    "additionalProperties": False,
    "properties": {
        "per_100": {"type": "number", "minimum": 0, "description": "backbone teachers per 100 students"},
        "min_share": {"type": "number", "minimum": 0, "maximum": 1},
        "comparator": {"const": ">="},
    },
}


def share_meeting(table: pa.Table, params: Mapping[str, Any]) -> pa.Table:
    """One row per county: the share of its sections with students that have at least
    ``per_100`` backbone teachers per 100 students, against ``min_share``."""
    students = table.column("students")
    counted = pc.fill_null(pc.greater(students, 0), False)
    rate = pc.multiply(pc.divide(table.column("backbone_teachers"), students), 100.0)
    meets = pc.greater_equal(rate, float(params["per_100"]))
    flags = pa.table(
        {
            "county": table.column("county"),
            "n": pc.cast(counted, pa.int64()),
            "met": pc.cast(pc.and_(counted, pc.fill_null(meets, False)), pa.int64()),
            "missing": pc.cast(pc.and_(counted, pc.is_null(meets)), pa.int64()),
        }
    )
    agg = flags.group_by("county", use_threads=False).aggregate(
        [("n", "sum"), ("met", "sum"), ("missing", "sum")]
    )
    n, met, missing = agg.column("n_sum"), agg.column("met_sum"), agg.column("missing_sum")
    share = pc.if_else(
        pc.greater(n, 0), pc.divide(pc.cast(met, pa.float64()), pc.cast(n, pa.float64())), None
    )
    min_share = float(params["min_share"])
    ok = pc.greater_equal(share, min_share)
    lacking = pc.greater(missing, 0)
    status = pc.if_else(pc.or_(lacking, pc.is_null(share)), "not_assessed", pc.if_else(ok, "pass", "fail"))
    none = pa.scalar(None, pa.string())
    reason = pc.if_else(
        lacking,
        pa.scalar("lacking"),
        pc.if_else(pc.is_null(share), pa.scalar("no_sections"), pc.if_else(ok, none, "below")),
    )
    # The number of sections lacking the figure, as the argument of "lacking".
    args = pa.ListArray.from_arrays(
        pa.array(range(agg.num_rows + 1), pa.int32()), pc.cast(missing, pa.string()).combine_chunks()
    )
    args = pc.if_else(lacking, args, pa.scalar(None, pa.list_(pa.string())))
    return pa.table(
        {
            "key": agg.column("county"),
            "status": status,
            "value": share,
            "threshold": pa.repeat(pa.scalar(min_share), agg.num_rows),
            "reason": reason,
            "reason_args": args,
        },
        schema=KIND_OUTPUT_SCHEMA,
    )


SHARE_MEETING = RuleKind(
    id="example-citykit.share_meeting",
    level="county",
    reads="units",
    params_schema=PARAMS_SCHEMA,
    inputs={"backbone_teachers": "float"},
    handler=share_meeting,
    description=Text(
        zh="县内骨干教师比例达标的学校(学段)所占比例不低于要求",
        en="share of a county's school sections meeting a backbone-teacher standard",
    ),
    messages={
        "below": Text(
            zh="达标学校(学段)比例低于要求", en="too small a share of school sections meets the standard"
        ),
        "lacking": Text(
            zh="{0} 个学校(学段)缺少骨干教师数",
            en="{0} school section(s) lack the number of backbone teachers",
        ),
        "no_sections": Text(zh="没有有学生的学校(学段)", en="no school section with students"),
    },
)


@hookimpl
def eduscore_rule_kinds() -> Iterator[RuleKind]:
    yield SHARE_MEETING


@hookimpl
def eduscore_rule_sets() -> Iterator[RuleSet]:
    return rule_sets_from_package(__name__)
