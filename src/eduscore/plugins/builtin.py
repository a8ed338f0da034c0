"""The built-in plugin: the national frameworks and preparation steps.

Registered through the same hooks as any province plugin. The built-in output formats
are hook implementations of the report layer (:mod:`eduscore.report.formats`), joined to
this plugin just before the registry is first built (:mod:`eduscore._compose`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources

from eduscore.inputs.prepare import move_indoor_sports_area
from eduscore.model.records import FrameworkDoc, PreparationStep
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
