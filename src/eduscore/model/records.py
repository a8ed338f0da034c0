"""Typed records that plugin hooks return (one hook style everywhere: yield frozen records)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa

from eduscore.model.framework import parse_document

if TYPE_CHECKING:
    from eduscore.report.context import RenderContext


@attrs.frozen(eq=False)
class FrameworkDoc:
    """A framework document offered by a plugin (``eduscore_frameworks``)."""

    id: str
    document: Mapping[str, Any]  # parsed JSON, validated by framework.schema.json at load
    plugin: str = ""


@attrs.frozen(eq=False)
class RuleSet:
    """A jurisdiction's overlay on one framework (``eduscore_rule_sets``).

    ``document`` is parsed JSON validated by ``schemas/ruleset.schema.json``; its
    ``jurisdiction`` is a GB/T 2260 code prefix (2 digits province, 4 city, 6 county).
    """

    document: Mapping[str, Any]
    plugin: str = ""

    @property
    def id(self) -> str:
        return str(self.document["id"])

    @property
    def version(self) -> str:
        return str(self.document["version"])

    @property
    def framework(self) -> str:
        return str(self.document["framework"])

    @property
    def jurisdiction(self) -> str:
        return str(self.document["jurisdiction"])

    @property
    def from_year(self) -> int | None:
        value = self.document.get("effective", {}).get("from")
        return None if value is None else int(value)

    @property
    def until_year(self) -> int | None:
        value = self.document.get("effective", {}).get("until")
        return None if value is None else int(value)

    def applies(self, county_code: str, year: int | None) -> bool:
        """Whether this rule set governs ``county_code`` in ``year`` (unknown year: any)."""
        if not county_code.startswith(self.jurisdiction):
            return False
        if year is None:
            return True
        if self.from_year is not None and year < self.from_year:
            return False
        return not (self.until_year is not None and year > self.until_year)


def rule_sets_from_package(package: str) -> Iterator[RuleSet]:
    """Every ``*.json`` rule set document shipped inside ``package`` (a plugin's own package).

    A plugin's hook is then one line: ``return rule_sets_from_package(__name__)``. A file
    that is not JSON, or beyond the document limits, raises :class:`FrameworkError` naming
    it (and so the plugin is refused by name).
    """
    folder = resources.files(package)
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".json"):
            document = parse_document(entry.read_bytes(), f"rule set file {package}/{entry.name}")
            yield RuleSet(document=document)


PreparationFunction = Callable[[pa.Table], pa.Table]


@attrs.frozen
class PreparationStep:
    """A named preparation step over the scored units (``eduscore_preparation_steps``).

    Frameworks and rule sets switch steps on by listing their id in ``options``; the
    function takes the whole units table and returns it (never called per row).
    """

    id: str
    function: PreparationFunction
    description: str = ""
    plugin: str = ""


RenderFunction = Callable[["RenderContext", Path], Path]


@attrs.frozen
class Renderer:
    """An output format (``eduscore_renderers``): ``function(context, folder)`` writes the
    result of ``context`` (a :class:`~eduscore.report.context.RenderContext`: ``result``,
    ``lang`` "zh" or "en", ``analyses()``) into ``folder`` and returns the path it wrote."""

    id: str
    suffix: str
    function: RenderFunction
    description: str = ""
    plugin: str = ""
