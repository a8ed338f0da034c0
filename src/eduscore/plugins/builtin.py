"""The built-in plugin: the national frameworks, preparation steps and rule kinds.

Registered through the same hooks as any province plugin. The built-in output formats
are hook implementations of the report layer (:mod:`eduscore.report.formats`), joined to
this plugin just before the registry is first built (:mod:`eduscore._compose`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources

from eduscore.inputs.prepare import move_indoor_sports_area
from eduscore.model.records import FrameworkDoc, PreparationStep, RuleKind
from eduscore.model.rules import Text
from eduscore.plugins.hookspecs import hookimpl

EDUSCORE_API_VERSION = 2


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


# eduscore's own rule kinds: (id, level, reads, Chinese, English). Their rules write their
# fields on the rule itself (value, comparator, threshold …: schemas/framework.schema.json),
# and the engine scores them with its own vectorised handlers (eduscore.engine.kinds).
_KINDS = (
    (
        "section_threshold",
        "section",
        "units",
        "每个学校(学段)或幼儿园的指标达到标准",
        "every unit meets a threshold",
    ),
    (
        "count_met_with_floor",
        "section",
        "units",
        "每个学校(学段)达到若干项标准,其余不低于标准的一定比例",
        "every unit meets most thresholds, the others within a floor",
    ),
    (
        "dispersion_limit",
        "county",
        "units",
        "指标的差异系数不超过限值",
        "coefficient of variation at most a limit",
    ),
    (
        "composite_dispersion",
        "county",
        "units",
        "各指标差异系数的平均值不超过限值",
        "mean of the coefficients of variation at most a limit",
    ),
    ("county_threshold", "county", "counties", "县级指标达到标准", "a county figure meets a threshold"),
    ("attestation", "county", "counties", "县级填报的是/否事项", "a yes/no fact the county attests"),
    ("veto", "county", "counties", "一票否决", "a one-vote veto"),
    ("prerequisite", "county", "counties", "前提条件", "a condition before anything else counts"),
    (
        "scope_exclusion",
        "section",
        "units",
        "不纳入评估的对象(数据准备时应用)",
        "units out of scope (applied in preparation)",
    ),
    ("relaxation", "section", "units", "可选的放宽规则", "an optional relaxation of unit checks"),
)


@hookimpl
def eduscore_rule_kinds() -> Iterator[RuleKind]:
    for kind_id, level, reads, zh, en in _KINDS:
        yield RuleKind(
            id=kind_id,
            level=level,
            reads=reads,
            params_schema={},
            inputs={},
            handler=None,
            description=Text(zh=zh, en=en),
            builtin=True,
        )
