"""Typed records that plugin hooks return (one hook style everywhere: yield frozen records)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa

from eduscore.model.framework import parse_document
from eduscore.model.rules import Text

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


#: What a rule kind's handler returns, one row per key it judged (``eduscore_rule_kinds``).
KIND_OUTPUT_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("status", pa.string()),
        ("value", pa.float64()),
        ("threshold", pa.float64()),
        ("reason", pa.string()),
        ("reason_args", pa.list_(pa.string())),
    ]
)
#: The statuses a rule kind's handler may give.
KIND_STATUSES = ("pass", "basic_pass", "fail", "not_assessed")
#: The types a rule kind may declare for the columns it reads, and their Arrow types.
INPUT_TYPES: Mapping[str, pa.DataType] = {
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "string": pa.string(),
}
KindHandlerFunction = Callable[[pa.Table, Mapping[str, Any]], pa.Table]


@attrs.frozen(eq=False)
class RuleKind:
    """A rule kind (``eduscore_rule_kinds``): how rules of kind ``id`` are scored.

    ``handler(table, params)`` receives the whole Arrow table of every county at once —
    ``reads="units"``: one row per in-scope unit with columns ``key`` (unique per row),
    ``county`` (county × year), ``unit`` (the unit's id), ``level``, ``students`` and the
    declared ``inputs``; ``reads="counties"``: one row per county, ``key`` = ``county``, and
    the ``inputs`` — and the rule's ``params`` (validated by ``params_schema``). It returns
    a table of :data:`KIND_OUTPUT_SCHEMA`: one row per ``key`` it judged (a unit's key for
    ``level="section"``, a county's for ``level="county"``), a status of
    :data:`KIND_STATUSES`, value, threshold, a reason code (one of ``messages``, or a code
    of eduscore's catalog) and its arguments. It is called once per rule and evaluation,
    never per row or per county; the host checks what it returns
    (:mod:`eduscore.engine.plugin_kinds`).

    ``inputs`` maps each column the handler reads to its type (:data:`INPUT_TYPES`); a
    column the data lack reaches the handler as nulls of that type. ``messages``: the
    kind's reason codes, each a :class:`Text` with ``{0}``, ``{1}`` … for its arguments.
    The built-in kinds are listed through the same hook with ``builtin=True``: the engine
    scores them with its own vectorised handlers (:mod:`eduscore.engine.kinds`); the
    ``handler`` of a built-in kind, where it has one, is a table adapter of the same rule
    for the test kit.
    """

    id: str
    level: str  # "section" | "county": what each output row is about
    reads: str  # "units" | "counties": the table the handler receives
    params_schema: Mapping[str, Any]
    inputs: Mapping[str, str]
    handler: KindHandlerFunction | None
    description: Text
    messages: Mapping[str, Text] = attrs.field(factory=dict)
    builtin: bool = False
    plugin: str = ""
    version: str = ""

    @property
    def provider(self) -> str:
        """``"plugin version"``, as checks record it (``kind_plugin``)."""
        return f"{self.plugin} {self.version}".strip()

    def message_code(self, code: str) -> str:
        """The catalog code of one of this kind's own reason codes."""
        return f"kind.{self.id}.{code}"


def rule_kind_problem(kind: RuleKind) -> str | None:
    """What is wrong with a rule kind record, in English (None when nothing is)."""
    import jsonschema

    if kind.level not in ("section", "county"):
        return f"rule kind {kind.id!r}: level must be 'section' or 'county', not {kind.level!r}"
    if kind.reads not in ("units", "counties"):
        return f"rule kind {kind.id!r}: reads must be 'units' or 'counties', not {kind.reads!r}"
    if kind.level == "section" and kind.reads != "units":
        return f"rule kind {kind.id!r}: a section-level kind reads units"
    if not kind.builtin and not callable(kind.handler):
        return f"rule kind {kind.id!r}: its handler is not callable"
    if not isinstance(kind.description, Text):
        return f"rule kind {kind.id!r}: description must be a Text (zh, en)"
    for name, type_ in kind.inputs.items():
        if type_ not in INPUT_TYPES:
            allowed = ", ".join(INPUT_TYPES)
            return f"rule kind {kind.id!r}: input {name!r} has type {type_!r}, not one of {allowed}"
        if name in ("key", "county", "unit", "level", "students"):
            return f"rule kind {kind.id!r}: input {name!r} is a column the host gives anyway"
    for code, message in kind.messages.items():
        if not isinstance(message, Text):
            return f"rule kind {kind.id!r}: message {code!r} must be a Text (zh, en)"
    try:
        jsonschema.Draft202012Validator.check_schema(dict(kind.params_schema))
    except jsonschema.SchemaError as exc:
        return f"rule kind {kind.id!r}: params_schema is not a valid JSON Schema: {exc.message}"
    return None
