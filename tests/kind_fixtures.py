"""Rule kinds for the tests: a good one, and ones broken on purpose (each breaks one
property of :class:`eduscore.testing.RuleKindConformance`), and plugins offering them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from eduscore.model.records import KIND_OUTPUT_SCHEMA, RuleKind, RuleSet
from eduscore.model.rules import Text
from eduscore.plugins.hookspecs import hookimpl

SHARE_SCHEMA = {
    "type": "object",
    "required": ["per_100", "min_share"],
    "additionalProperties": False,
    "properties": {
        "per_100": {"type": "number", "minimum": 0},
        "min_share": {"type": "number", "minimum": 0, "maximum": 1},
        "comparator": {"const": ">="},
    },
}


def _output(key: Any, status: Any, value: Any, threshold: Any, reason: Any, args: Any) -> pa.Table:
    return pa.table(
        {
            "key": key,
            "status": status,
            "value": value,
            "threshold": threshold,
            "reason": reason,
            "reason_args": args,
        },
        schema=KIND_OUTPUT_SCHEMA,
    )


def share_meeting(table: pa.Table, params: Mapping[str, Any]) -> pa.Table:
    """County level: the share of a county's units (with students) having at least
    ``per_100`` backbone teachers per 100 students must be at least ``min_share``. A unit
    lacking the figure makes its county not assessed."""
    students = pc.cast(table.column("students"), pa.float64())
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
    lacking = pc.or_(pc.greater(missing, 0), pc.is_null(share))
    ok = pc.greater_equal(share, float(params["min_share"]))
    status = pc.if_else(lacking, "not_assessed", pc.if_else(ok, "pass", "fail"))
    reason = pc.if_else(
        pc.greater(missing, 0),
        pa.scalar("lacking"),
        pc.if_else(
            pc.is_null(share), pa.scalar("no_units"), pc.if_else(ok, pa.scalar(None, pa.string()), "below")
        ),
    )
    args = pa.array([None] * agg.num_rows, pa.list_(pa.string()))
    args = pc.if_else(
        pc.equal(reason, "lacking"),
        pa.ListArray.from_arrays(
            pa.array(range(0, agg.num_rows + 1), pa.int32()), pc.cast(missing, pa.string()).combine_chunks()
        ),
        args,
    )
    return _output(
        agg.column("county"),
        status,
        share,
        pa.repeat(pa.scalar(float(params["min_share"])), agg.num_rows),
        reason,
        args,
    )


SHARE_MESSAGES = {
    "below": Text(zh="达标学校比例低于要求", en="too small a share of schools meets the standard"),
    "lacking": Text(zh="{0} 所学校缺少骨干教师数", en="{0} school(s) lack the number of backbone teachers"),
    "no_units": Text(zh="没有有学生的学校", en="no school with students"),
}


def share_kind(**changes: Any) -> RuleKind:
    base = {
        "id": "citykit.share_meeting",
        "level": "county",
        "reads": "units",
        "params_schema": SHARE_SCHEMA,
        "inputs": {"backbone_teachers": "float"},
        "handler": share_meeting,
        "description": Text(zh="县内达标学校的比例", en="share of a county's schools meeting a standard"),
        "messages": SHARE_MESSAGES,
    }
    base.update(changes)
    return RuleKind(**base)


def unit_floor(table: pa.Table, params: Mapping[str, Any]) -> pa.Table:
    """Section level: each unit's backbone teachers per 100 students at least ``per_100``."""
    students = pc.cast(table.column("students"), pa.float64())
    rate = pc.if_else(
        pc.greater(students, 0),
        pc.multiply(pc.divide(table.column("backbone_teachers"), students), 100.0),
        None,
    )
    ok = pc.greater_equal(rate, float(params["per_100"]))
    status = pc.if_else(pc.is_null(ok), "not_assessed", pc.if_else(ok, "pass", "fail"))
    reason = pc.if_else(pc.is_null(ok), pa.scalar("missing_input"), pa.scalar(None, pa.string()))
    # A reason of eduscore's catalog, with its two arguments.
    args = pa.array([["backbone_teachers", "骨干教师数"]] * table.num_rows, pa.list_(pa.string()))
    args = pc.if_else(pc.is_null(ok), args, pa.scalar(None, pa.list_(pa.string())))
    n = table.num_rows
    return _output(
        table.column("key"), status, rate, pa.repeat(pa.scalar(float(params["per_100"])), n), reason, args
    )


def floor_kind(**changes: Any) -> RuleKind:
    base = {
        "id": "citykit.unit_floor",
        "level": "section",
        "reads": "units",
        "params_schema": {
            "type": "object",
            "required": ["per_100"],
            "properties": {"per_100": {"type": "number"}},
        },
        "inputs": {"backbone_teachers": "float"},
        "handler": unit_floor,
        "description": Text(zh="每校骨干教师比例", en="backbone teachers per 100 students, per school"),
    }
    base.update(changes)
    return RuleKind(**base)


# ----------------------------------------------------------------- broken on purpose


def order_dependent(table: pa.Table, params: Mapping[str, Any]) -> pa.Table:
    """The first row of each county decides it: depends on the order of the rows."""
    good = share_meeting(table, params)
    firsts: dict[str, int] = {}
    for i, c in enumerate(table.column("county").to_pylist()):
        firsts.setdefault(c, i)
    first_students = table.column("students").to_pylist()
    flip = [(first_students[firsts[k]] or 0) % 2 == 1 for k in good.column("key").to_pylist()]
    status = pc.if_else(
        pc.and_(pa.array(flip), pc.not_equal(good.column("status"), "not_assessed")),
        "fail",
        good.column("status"),
    )
    return good.set_column(1, "status", status)


def county_coupled(table: pa.Table, params: Mapping[str, Any]) -> pa.Table:
    """The standard is the mean over *all* counties: one county's result depends on the others."""
    students = pc.cast(table.column("students"), pa.float64())
    rate = pc.multiply(pc.divide(table.column("backbone_teachers"), students), 100.0)
    mean = pc.mean(pc.if_else(pc.is_finite(rate), rate, None)).as_py() or 0.0
    return share_meeting(table, {**params, "per_100": mean})


def passing_on_null(table: pa.Table, params: Mapping[str, Any]) -> pa.Table:
    """A missing figure counts as meeting the standard."""
    filled = table.set_column(
        table.column_names.index("backbone_teachers"),
        "backbone_teachers",
        pc.fill_null(table.column("backbone_teachers"), 1e9),
    )
    return share_meeting(filled, params)


def raising(table: pa.Table, params: Mapping[str, Any]) -> pa.Table:
    raise ZeroDivisionError("the plugin's bug")


# ----------------------------------------------------------------- plugins


class KindPlugin:
    """A plugin offering rule kinds (and counting the calls of their handlers)."""

    EDUSCORE_API_VERSION = 2

    def __init__(self, *kinds: RuleKind) -> None:
        self.calls = 0
        self.kinds = tuple(self._counted(k) for k in kinds)

    def _counted(self, kind: RuleKind) -> RuleKind:
        handler = kind.handler
        assert handler is not None

        def counted(table: pa.Table, params: Mapping[str, Any]) -> pa.Table:
            self.calls += 1
            return handler(table, params)

        return RuleKind(
            id=kind.id,
            level=kind.level,
            reads=kind.reads,
            params_schema=kind.params_schema,
            inputs=kind.inputs,
            handler=counted,
            description=kind.description,
            messages=kind.messages,
        )

    @hookimpl
    def eduscore_rule_kinds(self) -> Iterator[RuleKind]:
        yield from self.kinds


class RuleSetPlugin:
    EDUSCORE_API_VERSION = 2

    def __init__(self, *docs: dict[str, Any]) -> None:
        self.docs = docs

    @hookimpl
    def eduscore_rule_sets(self) -> Iterator[RuleSet]:
        for doc in self.docs:
            yield RuleSet(document=doc)


def kind_rule(rule_id: str, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": rule_id,
        "kind": kind,
        "group": "city",
        "name": {"zh": f"规则{rule_id}", "en": f"rule {rule_id}"},
        "confidence": "I",
        "source": {"document": "test"},
        "params": params,
    }


def rule_set_using(
    *rules: dict[str, Any], jurisdiction: str = "97", rs_id: str = "test-city"
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "id": rs_id,
        "version": "3.1.0",
        "framework": "quality-balance-2017",
        "jurisdiction": jurisdiction,
        "name": {"zh": "测试", "en": "Test"},
        "source": {"document": "test"},
        "confidence": "I",
        "add_rules": list(rules),
    }
