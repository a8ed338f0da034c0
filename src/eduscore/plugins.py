"""Plugin discovery and the registry of frameworks, rule sets, preparation steps and renderers.

Discovery is explicit and observable:

- plugins are found through the entry-point group ``eduscore``;
- ``EDUSCORE_PLUGINS=a,b`` loads only those plugins (set it empty to load none);
- ``EDUSCORE_DISABLE_PLUGINS=a,b`` blocks those plugins;
- ``EDUSCORE_TRACE_PLUGINS=1`` prints every hook call and what it returned to stderr;
- a plugin module declares ``EDUSCORE_API_VERSION``; a missing or incompatible version
  refuses the plugin with a message naming it;
- ``check_pending()`` makes a misspelt hook name fail loudly.

The national frameworks come from the built-in plugin :mod:`eduscore.builtin`, through
the same hooks.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterator
from importlib import metadata
from typing import Any, TypeVar

import attrs
import pluggy

from . import hookspecs
from .errors import EduscoreError
from .records import FrameworkDoc, PreparationStep, Renderer, RuleSet

API_VERSION = 1
ENTRY_POINT_GROUP = "eduscore"
ENV_ALLOW = "EDUSCORE_PLUGINS"
ENV_BLOCK = "EDUSCORE_DISABLE_PLUGINS"
ENV_TRACE = "EDUSCORE_TRACE_PLUGINS"
BUILTIN = "eduscore.builtin"

T = TypeVar("T")


class PluginError(EduscoreError):
    """A plugin is broken: duplicate ids, a misspelt hook, an invalid document."""


@attrs.frozen
class PluginInfo:
    """What ``eduscore plugins`` shows about one plugin."""

    name: str
    version: str
    status: str  # loaded, blocked, not_allowed, refused
    reason: str = ""
    frameworks: tuple[str, ...] = ()
    rule_sets: tuple[str, ...] = ()  # "id v1.0.0 (framework, jurisdiction)"
    jurisdictions: tuple[str, ...] = ()


def _names(variable: str) -> set[str] | None:
    raw = os.environ.get(variable)
    if raw is None:
        return None
    return {n.strip() for n in raw.split(",") if n.strip()}


class Registry:
    """The plugin manager and everything the plugins provided, collected once."""

    def __init__(self, *, discover: bool = True) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.refused: list[PluginInfo] = []
        self.versions: dict[str, str] = {}
        self.trace = bool(os.environ.get(ENV_TRACE))
        from . import builtin

        self._register(builtin, BUILTIN, _version("eduscore"))
        if discover:
            self._discover()
        self._cache: dict[str, Any] = {}

    # --------------------------------------------------------------- registration

    def _discover(self) -> None:
        allow, block = _names(ENV_ALLOW), _names(ENV_BLOCK) or set()
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            version = ep.dist.version if ep.dist is not None else "?"
            if ep.name in block:
                self.refused.append(PluginInfo(ep.name, version, "blocked", f"listed in {ENV_BLOCK}"))
                continue
            if allow is not None and ep.name not in allow:
                self.refused.append(PluginInfo(ep.name, version, "not_allowed", f"not listed in {ENV_ALLOW}"))
                continue
            try:
                module = ep.load()
            except Exception as exc:  # a broken plugin must not break eduscore
                self.refused.append(PluginInfo(ep.name, version, "refused", f"cannot be imported: {exc!r}"))
                continue
            reason = api_mismatch(module)
            if reason:
                self.refused.append(PluginInfo(ep.name, version, "refused", reason))
                print(f"eduscore: plugin {ep.name!r} refused: {reason}", file=sys.stderr)
                continue
            self._register(module, ep.name, version)

    def _register(self, plugin: object, name: str, version: str) -> None:
        self.pm.register(plugin, name=name)
        self.versions[name] = version
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=name)
            raise PluginError(f"plugin {name!r}: {exc} (is a hook name misspelt?)") from exc

    def register(self, plugin: object, name: str, version: str = "0") -> None:
        """Register a plugin object (module or instance) by hand, e.g. in a test."""
        reason = api_mismatch(plugin)
        if reason:
            raise PluginError(f"plugin {name!r} refused: {reason}")
        self._register(plugin, name, version)
        self._cache.clear()

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self._cache.clear()

    # --------------------------------------------------------------- collection

    def _collect(self, hook: str) -> Iterator[tuple[str, Any]]:
        caller = getattr(self.pm.hook, hook)
        for impl in reversed(caller.get_hookimpls()):
            produced = list(impl.function() or ())
            if self.trace:
                ids = ", ".join(str(getattr(r, "id", r)) for r in produced)
                print(f"eduscore: hook {hook} → {impl.plugin_name}: {ids or 'nothing'}", file=sys.stderr)
            for record in produced:
                yield impl.plugin_name, record

    def _unique(self, hook: str, kind: type[T]) -> dict[str, T]:
        if hook in self._cache:
            return dict(self._cache[hook])
        found: dict[str, T] = {}
        owner: dict[str, str] = {}
        for plugin, record in self._collect(hook):
            if not isinstance(record, kind):
                raise PluginError(
                    f"plugin {plugin!r}: {hook} must yield {kind.__name__} records, got {record!r}"
                )
            record = attrs.evolve(record, plugin=plugin)  # type: ignore[misc]
            rid = record.id  # type: ignore[attr-defined]
            if rid in found:
                raise PluginError(
                    f"duplicate {kind.__name__} id {rid!r}: provided by both {owner[rid]!r} and {plugin!r}"
                )
            found[rid] = record
            owner[rid] = plugin
        ordered = dict(sorted(found.items()))
        self._cache[hook] = ordered
        return dict(ordered)

    def frameworks(self) -> dict[str, FrameworkDoc]:
        return self._unique("eduscore_frameworks", FrameworkDoc)

    def rule_sets(self) -> list[RuleSet]:
        """All rule sets, validated, ordered from the least to the most specific jurisdiction."""
        if "rule_sets" not in self._cache:
            from .overlay import validate_rule_set

            found = self._unique("eduscore_rule_sets", RuleSet)
            for rs in found.values():
                validate_rule_set(rs, self.frameworks(), list(found.values()))
            self._cache["rule_sets"] = sorted(
                found.values(), key=lambda r: (r.framework, len(r.jurisdiction), r.jurisdiction, r.id)
            )
        return list(self._cache["rule_sets"])

    def preparation_steps(self) -> dict[str, PreparationStep]:
        return self._unique("eduscore_preparation_steps", PreparationStep)

    def renderers(self) -> dict[str, Renderer]:
        return self._unique("eduscore_renderers", Renderer)

    def plugins(self) -> list[PluginInfo]:
        """Every plugin seen: loaded ones with what they provide, and refused ones with why."""
        infos = []
        rule_sets = self.rule_sets()
        frameworks = self.frameworks()
        for name, _plugin in self.pm.list_name_plugin():
            mine = [r for r in rule_sets if r.plugin == name]
            infos.append(
                PluginInfo(
                    name=name,
                    version=self.versions.get(name, "?"),
                    status="loaded",
                    frameworks=tuple(
                        sorted(
                            {f.id for f in frameworks.values() if f.plugin == name}
                            | {r.framework for r in mine}
                        )
                    ),
                    rule_sets=tuple(f"{r.id} v{r.version} ({r.framework}, {r.jurisdiction})" for r in mine),
                    jurisdictions=tuple(sorted({r.jurisdiction for r in mine})),
                )
            )
        return sorted(infos, key=lambda i: (i.name != BUILTIN, i.name)) + self.refused


def api_mismatch(plugin: object) -> str:
    """Why ``plugin`` cannot be used with this eduscore's plugin API ('' when it can)."""
    declared = getattr(plugin, "EDUSCORE_API_VERSION", None)
    if declared is None:
        return f"it does not declare EDUSCORE_API_VERSION (this eduscore offers API version {API_VERSION})"
    if declared != API_VERSION:
        return f"it needs eduscore plugin API version {declared!r}; this eduscore offers {API_VERSION}"
    return ""


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


@functools.cache
def _registry() -> Registry:
    return Registry()


def get_registry() -> Registry:
    """The process-wide registry (plugins are discovered on first use)."""
    return _registry()


def reset_registry() -> None:
    """Forget the registry so that the next use rediscovers plugins (after changing the environment)."""
    _registry.cache_clear()
    from .framework import clear_framework_cache

    clear_framework_cache()
