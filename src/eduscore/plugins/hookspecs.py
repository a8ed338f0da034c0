"""eduscore's plugin hooks. Every hook returns an iterable of typed records.

Hooks are called once per evaluation (or once per table), never per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import pluggy

from eduscore.model.records import FrameworkDoc, PreparationStep, Renderer, RuleKind, RuleSet

PROJECT = "eduscore"
F = TypeVar("F", bound=Callable[..., object])
_spec = pluggy.HookspecMarker(PROJECT)
_impl = pluggy.HookimplMarker(PROJECT)


def hookspec(function: F) -> F:
    """Typed wrapper of pluggy's marker, so that mypy keeps the signatures."""
    marked: F = _spec(function)
    return marked


def hookimpl(function: F) -> F:
    """Mark a plugin function as the implementation of the hook of the same name."""
    marked: F = _impl(function)
    return marked


@hookspec
def eduscore_frameworks() -> Iterable[FrameworkDoc]:
    """Framework documents this plugin provides (the national ones come from the built-in plugin)."""
    raise NotImplementedError


@hookspec
def eduscore_rule_sets() -> Iterable[RuleSet]:
    """Jurisdiction rule sets (overlays on a framework) this plugin provides."""
    raise NotImplementedError


@hookspec
def eduscore_preparation_steps() -> Iterable[PreparationStep]:
    """Named steps that take and return the Arrow table of scored units."""
    raise NotImplementedError


@hookspec
def eduscore_renderers() -> Iterable[Renderer]:
    """Output formats that write a :class:`~eduscore.result.Result` to a file."""
    raise NotImplementedError


@hookspec
def eduscore_rule_kinds() -> Iterable[RuleKind]:
    """Rule kinds: how rules a JSON formula cannot express are scored, in Python over whole
    Arrow tables (:class:`~eduscore.model.records.RuleKind`). Rule sets and frameworks of
    any plugin refer to a kind by its id. The built-in kinds come through this hook too."""
    raise NotImplementedError
