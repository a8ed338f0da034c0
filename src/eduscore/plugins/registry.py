"""Plugin discovery and the registry of frameworks, rule sets, preparation steps and renderers.

Discovery is explicit and observable:

- plugins are found through the entry-point group ``eduscore``;
- ``EDUSCORE_PLUGINS=a,b`` loads only those plugins (set it empty to load none);
- ``EDUSCORE_DISABLE_PLUGINS=a,b`` blocks those plugins (pluggy's ``set_blocked``);
- ``EDUSCORE_TRACE_PLUGINS=1`` prints every hook call and what it returned to stderr
  (pluggy's hook-call monitoring);
- a plugin module declares ``EDUSCORE_API_VERSION``; a missing or incompatible version
  refuses the plugin with a message naming it;
- ``check_pending()`` makes a misspelt hook name fail loudly;
- an unknown name in ``EDUSCORE_PLUGINS`` or ``EDUSCORE_DISABLE_PLUGINS`` is an error;
- every hook of a plugin is called once when the registry is built and its documents
  are checked; a plugin that fails is refused by name (``Registry.problems()``) and the
  others keep working.

The national frameworks come from the built-in plugin :mod:`eduscore.builtin`, through
the same hooks.
"""

from __future__ import annotations

import difflib
import functools
import os
import sys
import types
from collections.abc import Iterator, Mapping, Sequence
from importlib import metadata
from typing import Any, TypeVar, cast

import attrs
import pluggy

from eduscore import _compose
from eduscore._version import __version__
from eduscore.errors import EduscoreError, resolve_lang
from eduscore.model.framework import Framework, framework_from_dict, schema_problems
from eduscore.model.messages import register_kind_messages
from eduscore.model.records import (
    FrameworkDoc,
    PreparationStep,
    Renderer,
    RuleKind,
    RuleSet,
    rule_kind_problem,
)
from eduscore.plugins import builtin, hookspecs
from eduscore.plugins.overlay import validate_rule_set

API_VERSION = 2
ENTRY_POINT_GROUP = "eduscore"
ENV_ALLOW = "EDUSCORE_PLUGINS"
ENV_BLOCK = "EDUSCORE_DISABLE_PLUGINS"
ENV_TRACE = "EDUSCORE_TRACE_PLUGINS"
BUILTIN = "eduscore.builtin"

# Every hook and the record type it must yield.
HOOK_RECORDS: dict[str, type] = {
    "eduscore_frameworks": FrameworkDoc,
    "eduscore_rule_sets": RuleSet,
    "eduscore_preparation_steps": PreparationStep,
    "eduscore_renderers": Renderer,
    "eduscore_rule_kinds": RuleKind,
}

# Statuses of PluginInfo. A plugin the user did not switch off that cannot do its work is a
# *problem*: it may have governed some county, so a result must not look complete without it.
LOADED, EMPTY = "loaded", "empty"
BLOCKED, NOT_ALLOWED = "blocked", "not_allowed"
REFUSED, FAILED = "refused", "failed"
PROBLEM_STATUSES = frozenset({REFUSED, FAILED, EMPTY})

T = TypeVar("T")


class PluginError(EduscoreError):
    """A plugin is broken: duplicate ids, a misspelt hook, an invalid document, an unknown
    plugin name in ``EDUSCORE_PLUGINS``, two rule sets claiming the same county and years."""


@attrs.frozen
class PluginInfo:
    """What ``eduscore plugins`` shows about one plugin.

    ``status`` is one of:

    - ``loaded`` — registered and provides something;
    - ``empty`` — registered but provides nothing (no frameworks, rule sets, steps or
      renderers: a wheel built without its JSON documents);
    - ``refused`` — cannot be used: it does not import, or needs another plugin API;
    - ``failed`` — imported, but a hook raised or yielded the wrong records, or one of its
      documents is invalid (a rule set that relaxes a rule without declaring it, an
      unknown target, …); it was unregistered as a whole;
    - ``blocked`` / ``not_allowed`` — switched off by ``EDUSCORE_DISABLE_PLUGINS`` /
      left out of ``EDUSCORE_PLUGINS``.

    ``reason`` says why in English, ``reason_zh`` in Chinese (:meth:`message`).
    """

    name: str
    version: str
    status: str
    reason: str = ""
    frameworks: tuple[str, ...] = ()
    rule_sets: tuple[str, ...] = ()  # "id v1.0.0 (framework, jurisdiction)"
    jurisdictions: tuple[str, ...] = ()
    reason_zh: str = ""
    preparation_steps: tuple[str, ...] = ()
    renderers: tuple[str, ...] = ()
    rule_kinds: tuple[str, ...] = ()

    @property
    def problem(self) -> bool:
        """Whether this plugin was meant to work and does not (refused, failed or empty)."""
        return self.status in PROBLEM_STATUSES

    def message(self, lang: str = "en") -> str:
        """One line for a person: the plugin, its status and why, in ``lang`` ("zh" or "en")."""
        reason = (self.reason_zh or self.reason) if lang == "zh" else self.reason
        if lang == "zh":
            label = _STATUS_ZH.get(self.status, self.status)
            return f"插件 {self.name!r}({self.version}){label}" + (f":{reason}" if reason else "")
        return f"plugin {self.name!r} ({self.version}) {self.status}" + (f": {reason}" if reason else "")


_STATUS_ZH = {
    LOADED: "已加载",
    EMPTY: "未提供任何内容",
    BLOCKED: "已被禁用",
    NOT_ALLOWED: "不在允许列表中",
    REFUSED: "被拒绝",
    FAILED: "出错,已停用",
}


def status_label(status: str, lang: str = "en") -> str:
    """A plugin's status as ``eduscore plugins`` shows it: ``loaded`` / "已加载"."""
    return _STATUS_ZH.get(status, status) if lang == "zh" else status


def _names(variable: str) -> set[str] | None:
    raw = os.environ.get(variable)
    if raw is None:
        return None
    return {n.strip() for n in raw.split(",") if n.strip()}


def _years(rs: RuleSet) -> str:
    start = rs.from_year if rs.from_year is not None else "…"
    end = rs.until_year if rs.until_year is not None else "…"
    return f"{start}–{end}"


def _overlap(a: RuleSet, b: RuleSet) -> bool:
    """Both rule sets would govern the same counties in some year."""
    if a.framework != b.framework or a.jurisdiction != b.jurisdiction:
        return False

    def years(rs: RuleSet) -> tuple[int, int]:
        return (
            rs.from_year if rs.from_year is not None else -(10**9),
            rs.until_year if rs.until_year is not None else 10**9,
        )

    (a_from, a_until), (b_from, b_until) = years(a), years(b)
    return max(a_from, b_from) <= min(a_until, b_until)


class Registry:
    """The plugin manager and everything the plugins provided, collected once.

    Building it imports every allowed plugin, calls each of its hooks once (the records
    are kept), and checks its documents. A plugin that fails any of this is refused by
    name — unregistered, listed with its reason, announced on stderr and returned by
    :meth:`problems` — while the other plugins keep working.
    """

    def __init__(self, *, discover: bool = True) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.refused: list[PluginInfo] = []
        self.versions: dict[str, str] = {}
        self.trace = bool(os.environ.get(ENV_TRACE))
        if self.trace:
            self.pm.add_hookcall_monitoring(_trace_before, _trace_after)
        self._records: dict[str, dict[str, tuple[Any, ...]]] = {}
        self._cache: dict[str, Any] = {}
        self._conflict: PluginError | None = None
        _compose.compose()  # the report floor's formats join the built-in plugin (eduscore._join_formats)
        self._register(_builtin_plugin(), BUILTIN, __version__)
        problem = self._probe(BUILTIN)
        if problem:  # pragma: no cover - eduscore itself is broken
            raise PluginError(f"the built-in plugin is broken: {problem[0]}", zh=f"内置插件出错:{problem[1]}")
        if discover:
            self._discover()
        for name, en, zh in self._document_failures(set(self._records)):
            self._refuse(name, FAILED, en, zh)
        self._refresh()

    # --------------------------------------------------------------- registration

    def _discover(self) -> None:
        allow, block = _names(ENV_ALLOW), _names(ENV_BLOCK) or set()
        found = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
        _check_names(allow, block, [ep.name for ep in found])
        for name in sorted(block):
            self.pm.set_blocked(name)  # pluggy refuses to register it from now on
        for ep in found:
            version = ep.dist.version if ep.dist is not None else "?"
            if self.pm.is_blocked(ep.name):
                self.refused.append(
                    PluginInfo(
                        ep.name, version, BLOCKED, f"listed in {ENV_BLOCK}", reason_zh=f"已列入 {ENV_BLOCK}"
                    )
                )
                continue
            if allow is not None and ep.name not in allow:
                self.refused.append(
                    PluginInfo(
                        ep.name,
                        version,
                        NOT_ALLOWED,
                        f"not listed in {ENV_ALLOW}",
                        reason_zh=f"未列入 {ENV_ALLOW}",
                    )
                )
                continue
            if self.pm.has_plugin(ep.name) or ep.name in self.versions:
                self._refuse(
                    ep.name,
                    REFUSED,
                    "another installed distribution already provides a plugin of this name",
                    "已安装的另一个发行包已提供同名插件",
                    version,
                )
                continue
            try:
                module = ep.load()
            except Exception as exc:  # a broken plugin must not break eduscore
                self._refuse(
                    ep.name,
                    REFUSED,
                    f"cannot be imported: {_short(repr(exc))}",
                    f"无法导入:{_short(repr(exc))}",
                    version,
                )
                continue
            reason = api_mismatch(module)
            if reason:
                self._refuse(ep.name, REFUSED, reason, _api_mismatch_zh(module), version)
                continue
            try:
                self._register(module, ep.name, version)
            except PluginError as exc:
                self._refuse(ep.name, FAILED, exc.en, exc.zh, version)
                continue
            except ValueError as exc:  # pluggy: the same module under two entry-point names
                self._refuse(ep.name, REFUSED, f"cannot be registered: {exc}", f"无法注册:{exc}", version)
                continue
            problem = self._probe(ep.name)
            if problem:
                self._refuse(ep.name, FAILED, *problem)

    def _register(self, plugin: object, name: str, version: str) -> None:
        if self.pm.register(_hashable(plugin, name), name=name) is None:
            raise PluginError(
                f"plugin {name!r} is blocked: it is listed in {ENV_BLOCK}",
                zh=f"插件 {name!r} 已被禁用:已列入 {ENV_BLOCK}",
            )
        self.versions[name] = version
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=name)
            del self.versions[name]
            raise PluginError(
                f"plugin {name!r}: {exc} (is a hook name misspelt?)",
                zh=f"插件 {name!r}:{exc}(钩子名称是否拼错?)",
            ) from exc

    def _probe(self, name: str) -> tuple[str, str] | None:
        """Call every hook of plugin ``name`` once and keep its records; on failure return
        why (English, Chinese) and keep nothing. Never raises: one broken plugin must not
        take down every command."""
        records: dict[str, tuple[Any, ...]] = {}
        others = [p for n, p in self.pm.list_name_plugin() if n != name and p is not None]
        for hook, kind in HOOK_RECORDS.items():
            # This plugin's implementation alone, called through pluggy (so that the
            # hook-call monitoring of EDUSCORE_TRACE_PLUGINS sees it): a failure is its own.
            caller = self.pm.subset_hook_caller(hook, remove_plugins=others)
            got: list[Any] = []
            if caller.get_hookimpls():
                try:
                    produced: list[Any] = [r for result in caller() for r in (result or ())]
                except Exception as exc:
                    text = _short(repr(exc))
                    return f"its hook {hook} raised {text}", f"其钩子 {hook} 出错:{text}"
                for record in produced:
                    if not isinstance(record, kind):
                        shown = _short(repr(record))
                        return (
                            f"its hook {hook} must yield {kind.__name__} records, got {shown}",
                            f"其钩子 {hook} 必须产生 {kind.__name__} 记录,实际得到 {shown}",
                        )
                    if isinstance(record, RuleSet):
                        # The schema first, so that reading rs.id and the years cannot fail later.
                        try:
                            schema_problems("ruleset", record.document, f"a rule set of plugin {name!r}")
                        except EduscoreError as exc:
                            return exc.en, exc.zh
                    elif not isinstance(getattr(record, "id", None), str):
                        return (
                            f"its hook {hook} yielded a {kind.__name__} without a text id",
                            f"其钩子 {hook} 产生的 {kind.__name__} 没有文本 id",
                        )
                    if isinstance(record, RuleKind):
                        wrong = rule_kind_problem(record)
                        if wrong:
                            return wrong, f"规则类型记录有误:{wrong}"
                        if record.builtin and name != BUILTIN:
                            return (
                                f"its rule kind {record.id!r} says builtin=True; only eduscore's are",
                                f"其规则类型 {record.id!r} 声明 builtin=True;只有 eduscore 自带的可以",
                            )
                        record = attrs.evolve(record, version=self.versions.get(name, "?"))
                    got.append(attrs.evolve(cast(Any, record), plugin=name))
            records[hook] = tuple(got)
        self._records[name] = records
        for rule_kind in records.get("eduscore_rule_kinds", ()):
            register_kind_messages(rule_kind)
        return None

    def _refuse(self, name: str, status: str, en: str, zh: str, version: str | None = None) -> None:
        """Unregister plugin ``name`` (if it was) and list it with its reason."""
        if self.pm.has_plugin(name):
            self.pm.unregister(name=name)
        self._records.pop(name, None)
        version = version if version is not None else self.versions.get(name, "?")
        self.versions.pop(name, None)
        info = PluginInfo(name, version, status, en, reason_zh=zh)
        self.refused.append(info)
        self._cache.clear()
        lang = resolve_lang()
        print(f"eduscore: {info.message(lang)}", file=sys.stderr)

    def _document_failures(self, live: set[str], touched: str | None = None) -> list[tuple[str, str, str]]:
        """Plugins among ``live`` whose documents are invalid, as (name, English, Chinese).

        Framework documents are validated, then rule sets from the widest jurisdiction
        down (each after the ones above it); a plugin with one bad document fails as a
        whole, and the check starts again without it — a county rule set is only judged
        on top of province rule sets that are themselves valid.
        """
        live = set(live)
        failures: list[tuple[str, str, str]] = []
        while True:
            failure = self._first_document_failure(live, framework_from_dict, validate_rule_set, touched)
            if failure is None:
                return failures
            failures.append(failure)
            live.discard(failure[0])

    def _first_document_failure(
        self, live: set[str], framework_from_dict: Any, validate_rule_set: Any, touched: str | None
    ) -> tuple[str, str, str] | None:
        """The first invalid document among the plugins ``live``; with ``touched`` (a plugin
        just registered by hand, all others already checked) only what it can affect: its
        own documents and the rule sets under its rule sets or on its frameworks."""

        def provided(hook: str) -> list[Any]:
            return [r for name in self._order() if name in live for r in self._records[name][hook]]

        def affected(record: Any) -> bool:
            if touched is None or record.plugin == touched:
                return True
            if not isinstance(record, RuleSet):
                return False
            mine = self._records[touched]
            return any(
                o.framework == record.framework and record.jurisdiction.startswith(o.jurisdiction)
                for o in mine["eduscore_rule_sets"]
            ) or any(doc.id == record.framework for doc in mine["eduscore_frameworks"])

        # A plugin that re-uses an id eduscore itself provides is at fault on its own.
        for hook in HOOK_RECORDS:
            if hook == "eduscore_rule_sets":
                continue
            builtin_ids = {r.id for r in self._records[BUILTIN][hook]}
            for record in provided(hook):
                if record.plugin != BUILTIN and record.id in builtin_ids and affected(record):
                    what = type(record).__name__
                    return (
                        record.plugin,
                        f"it provides {what} {record.id!r}, which eduscore itself provides",
                        f"它提供的 {what} {record.id!r} 与 eduscore 内置的重名",
                    )
        frameworks: dict[str, FrameworkDoc] = {}
        for doc in provided("eduscore_frameworks"):
            frameworks.setdefault(doc.id, doc)
        steps = sorted({s.id for s in provided("eduscore_preparation_steps")})
        kinds: dict[str, RuleKind] = {}
        for rule_kind in provided("eduscore_rule_kinds"):
            kinds.setdefault(rule_kind.id, rule_kind)
        for doc in frameworks.values():
            if doc.plugin == BUILTIN or not affected(doc):
                continue  # the built-in ones are validated when loaded, and under every rule set
            try:
                framework_from_dict(doc.document, f"{doc.id} (plugin {doc.plugin})", steps=steps, kinds=kinds)
            except EduscoreError as exc:
                return doc.plugin, exc.en, exc.zh
        rule_sets = sorted(
            provided("eduscore_rule_sets"),
            key=lambda r: (r.framework, len(r.jurisdiction), r.jurisdiction, r.id),
        )
        for rs in rule_sets:
            if not affected(rs):
                continue
            try:
                validate_rule_set(rs, frameworks, rule_sets, steps=steps, kinds=kinds)
            except EduscoreError as exc:
                return rs.plugin, exc.en, exc.zh
        return None

    def _order(self) -> list[str]:
        """Plugin names in the order hooks are called (pluggy: the last registered first)."""
        return [name for name, _ in reversed(self.pm.list_name_plugin()) if name in self._records]

    def _refresh(self) -> None:
        """Recompute what depends on the set of plugins: caches and conflicts."""
        self._cache.clear()
        self._conflict = None
        rule_sets = [r for name in self._order() for r in self._records[name]["eduscore_rule_sets"]]
        for i, a in enumerate(rule_sets):
            for b in rule_sets[i + 1 :]:
                if a.id != b.id and _overlap(a, b):
                    self._conflict = PluginError(
                        f"rule sets {a.id!r} (plugin {a.plugin!r}, years {_years(a)}) and {b.id!r} "
                        f"(plugin {b.plugin!r}, years {_years(b)}) both claim jurisdiction "
                        f"{a.jurisdiction} for {a.framework} in overlapping years; eduscore cannot "
                        f"tell which one governs. Block one plugin with {ENV_BLOCK}, or fix the "
                        "'effective' years so that they do not overlap",
                        zh=f"规则集 {a.id!r}(插件 {a.plugin!r},{_years(a)} 年)与 {b.id!r}"
                        f"(插件 {b.plugin!r},{_years(b)} 年)在重叠的年份都适用于 {a.jurisdiction} 的 "
                        f"{a.framework},无法确定以哪个为准。请用 {ENV_BLOCK} 禁用其中一个插件,"
                        "或修改 effective 年份使其不重叠",
                    )
                    return

    def register(self, plugin: object, name: str, version: str = "0") -> None:
        """Register a plugin object (module or instance) by hand, e.g. in a test.

        Unlike discovery, a broken plugin raises :class:`PluginError` here (naming it and
        why) and is not registered: the caller is right there to fix it. So does a name
        listed in ``EDUSCORE_DISABLE_PLUGINS`` (blocked in pluggy when plugins were found).
        """
        reason = api_mismatch(plugin)
        if reason:
            raise PluginError(
                f"plugin {name!r} refused: {reason}", zh=f"插件 {name!r} 被拒绝:{_api_mismatch_zh(plugin)}"
            )
        self._register(plugin, name, version)
        probed = self._probe(name)
        # Everything registered before passed these checks, so whatever fails now fails
        # because of this plugin (an invalid document of its own, or a province rule set
        # that a city rule set of another plugin no longer fits on).
        found = [(name, *probed)] if probed else self._document_failures(set(self._records), touched=name)
        if found:
            self.pm.unregister(name=name)
            self._records.pop(name, None)
            self.versions.pop(name, None)
            en, zh = joined_failures(found)
            raise PluginError(f"plugin {name!r} refused: {en}", zh=f"插件 {name!r} 被拒绝:{zh}")
        self._refresh()

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self._records.pop(name, None)
        self.versions.pop(name, None)
        self._refresh()

    # --------------------------------------------------------------- collection

    def _collect(self, hook: str) -> Iterator[tuple[str, Any]]:
        for name in self._order():
            for record in self._records[name][hook]:
                yield name, record

    def _unique(self, hook: str, kind: type[T]) -> dict[str, T]:
        if hook in self._cache:
            return dict(self._cache[hook])
        found: dict[str, T] = {}
        owner: dict[str, str] = {}
        for plugin, record in self._collect(hook):
            rid = record.id
            if rid in found:
                raise PluginError(
                    f"duplicate {kind.__name__} id {rid!r}: provided by both {owner[rid]!r} and {plugin!r}; "
                    f"block one of them with {ENV_BLOCK}",
                    zh=f"{kind.__name__} id {rid!r} 重复:插件 {owner[rid]!r} 和 {plugin!r} 都提供了;"
                    f"请用 {ENV_BLOCK} 禁用其中一个",
                )
            found[rid] = record
            owner[rid] = plugin
        ordered = dict(sorted(found.items()))
        self._cache[hook] = ordered
        return dict(ordered)

    def frameworks(self) -> dict[str, FrameworkDoc]:
        return self._unique("eduscore_frameworks", FrameworkDoc)

    def framework(self, framework_id: str) -> Framework:
        """The registered framework ``framework_id``, parsed and validated once per registry."""
        key = f"framework:{framework_id}"
        if key not in self._cache:
            doc = self.frameworks()[framework_id]
            steps = sorted(self.preparation_steps())
            self._cache[key] = framework_from_dict(
                doc.document, f"{framework_id} (plugin {doc.plugin})", steps=steps, kinds=self.rule_kinds()
            )
        fw: Framework = self._cache[key]
        return fw

    def rule_sets(self) -> list[RuleSet]:
        """All rule sets, validated, ordered from the least to the most specific jurisdiction.

        Raises :class:`PluginError` when two rule sets of one framework claim the same
        jurisdiction in overlapping years (naming both and their plugins), or share an id.
        """
        if self._conflict is not None:
            raise self._conflict
        if "rule_sets" not in self._cache:
            found = self._unique("eduscore_rule_sets", RuleSet)
            self._cache["rule_sets"] = sorted(
                found.values(), key=lambda r: (r.framework, len(r.jurisdiction), r.jurisdiction, r.id)
            )
        return list(self._cache["rule_sets"])

    def preparation_steps(self) -> dict[str, PreparationStep]:
        return self._unique("eduscore_preparation_steps", PreparationStep)

    def renderers(self) -> dict[str, Renderer]:
        return self._unique("eduscore_renderers", Renderer)

    def rule_kinds(self) -> dict[str, RuleKind]:
        """Every rule kind, by id: eduscore's own (``builtin``) and the plugins'."""
        return self._unique("eduscore_rule_kinds", RuleKind)

    def missing_rule_sets(self, framework: str) -> list[KnownRuleSet]:
        """The project's rule sets of ``framework`` whose jurisdiction no registered rule set
        covers, and whose plugin the user did not switch off (``EDUSCORE_DISABLE_PLUGINS``, or
        left out of ``EDUSCORE_PLUGINS``): a county there would be judged by national rules
        only, without its province's — an evaluation must say so.

        >>> [k.plugin for k in Registry(discover=False).missing_rule_sets("preschool-2020")]
        ['henan', 'hunan', 'gansu', 'liaoning']
        """
        off = set(_names(ENV_BLOCK) or set())
        allow = _names(ENV_ALLOW)
        covered = {(rs.framework, rs.jurisdiction) for rs in self._rule_sets_quietly()}
        return [
            k
            for k in known_rule_sets()
            if k.framework == framework
            and (k.framework, k.jurisdiction) not in covered
            and k.plugin not in off
            and (allow is None or k.plugin in allow)
        ]

    def _rule_sets_quietly(self) -> list[RuleSet]:
        try:
            return self.rule_sets()
        except PluginError:  # a conflict is raised where rule sets are used, not here
            return []

    def switched_off(self) -> list[PluginInfo]:
        """Plugins the user switched off on purpose: blocked, or left out of the allow-list."""
        return [i for i in self.plugins() if i.status in (BLOCKED, NOT_ALLOWED)]

    def plugins(self) -> list[PluginInfo]:
        """Every plugin seen: loaded (or empty) ones with what they provide, then refused,
        failed, blocked and not allowed ones with why. Never raises (a conflict between
        plugins is for :meth:`rule_sets` to raise; ``eduscore plugins`` shows it)."""
        infos = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:  # blocked (pluggy's set_blocked): listed with self.refused
                continue
            records = self._records.get(name, {})
            mine: list[RuleSet] = list(records.get("eduscore_rule_sets", ()))
            provided = {
                hook: tuple(sorted(str(r.id) for r in records.get(hook, ()))) for hook in HOOK_RECORDS
            }
            empty = not any(provided.values())
            infos.append(
                PluginInfo(
                    name=name,
                    version=self.versions.get(name, "?"),
                    status=EMPTY if empty else LOADED,
                    reason=_EMPTY_EN if empty else "",
                    reason_zh=_EMPTY_ZH if empty else "",
                    frameworks=tuple(
                        sorted(set(provided["eduscore_frameworks"]) | {r.framework for r in mine})
                    ),
                    rule_sets=tuple(
                        f"{r.id} v{r.version} ({r.framework}, {r.jurisdiction})"
                        for r in sorted(mine, key=lambda r: (r.framework, len(r.jurisdiction), r.id))
                    ),
                    jurisdictions=tuple(sorted({r.jurisdiction for r in mine})),
                    preparation_steps=provided["eduscore_preparation_steps"],
                    renderers=provided["eduscore_renderers"],
                    rule_kinds=provided["eduscore_rule_kinds"],
                )
            )
        return sorted(infos, key=lambda i: (i.name != BUILTIN, i.name)) + self.refused

    def problems(self) -> list[PluginInfo]:
        """Plugins that were meant to work and do not: refused (cannot be imported, another
        plugin API), failed (a hook raised or yielded the wrong records, an invalid
        document, a relaxation not declared) or empty (registers nothing).

        Plugins the user switched off (``EDUSCORE_DISABLE_PLUGINS``, left out of
        ``EDUSCORE_PLUGINS``) are not problems. Any one of these may have governed a county
        (a province's rule set that silently fell away), so an evaluation should not call
        a county certified while this list is not empty.

        >>> get_registry().problems()
        []
        """
        return [info for info in self.plugins() if info.problem]


_EMPTY_EN = (
    "it registers nothing (no frameworks, rule sets, preparation steps or renderers); "
    "was it built without its documents? check the package's build configuration"
)
_EMPTY_ZH = (
    "它未提供任何内容(没有框架、规则集、预处理步骤或输出格式);是否打包时漏掉了规则文件?请检查其打包配置"
)


def joined_failures(found: list[tuple[str, str, str]]) -> tuple[str, str]:
    """(plugin, English, Chinese) failures as one English and one Chinese text."""
    if len(found) == 1:
        return found[0][1], found[0][2]
    return (
        "\n".join(f"plugin {who!r}: {en}" for who, en, _ in found),
        "\n".join(f"插件 {who!r}:{zh}" for who, _, zh in found),
    )


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


@attrs.frozen
class KnownRuleSet:
    """A rule set of the eduscore project's own province and city plugins (``plugins/`` in
    its repository): which plugin and distribution provide it, for which framework and
    jurisdiction (``known_plugins.json``)."""

    plugin: str
    distribution: str
    framework: str
    jurisdiction: str
    place_zh: str
    place_en: str


@functools.cache
def known_rule_sets() -> tuple[KnownRuleSet, ...]:
    """The project's rule sets, whether installed or not."""
    import json
    from importlib import resources

    doc = json.loads((resources.files("eduscore.plugins") / "known_plugins.json").read_text(encoding="utf-8"))
    return tuple(
        KnownRuleSet(
            p["name"],
            p["distribution"],
            rs["framework"],
            rs["jurisdiction"],
            p["place"]["zh"],
            p["place"]["en"],
        )
        for p in doc["plugins"]
        for rs in p["rule_sets"]
    )


def _check_names(allow: set[str] | None, block: set[str], installed: list[str]) -> None:
    """An unknown name in the allow- or block-list is an error, never a silent no-op: a
    misspelt ``EDUSCORE_PLUGINS=zhejaing`` would otherwise judge Zhejiang by national
    rules only."""
    problems_en: list[str] = []
    problems_zh: list[str] = []
    if BUILTIN in block:
        problems_en.append(f"{ENV_BLOCK} lists {BUILTIN!r}: eduscore's built-in plugin cannot be blocked")
        problems_zh.append(f"{ENV_BLOCK} 列出了 {BUILTIN!r}:eduscore 的内置插件不能禁用")
    # The project's own plugins may be named without being installed: blocking one says
    # "judge its province by national rules, on purpose".
    project = {k.plugin for k in known_rule_sets()}
    candidates = sorted(set(installed) | project)
    for variable, names in ((ENV_ALLOW, allow or set()), (ENV_BLOCK, block)):
        for name in sorted(names - set(installed) - {BUILTIN} - project):
            hint = difflib.get_close_matches(name, candidates, n=1)
            near = f" (did you mean {hint[0]!r}?)" if hint else ""
            near_zh = f"(是否应为 {hint[0]!r}?)" if hint else ""
            known = ", ".join(installed) or "none"
            problems_en.append(
                f"{variable} names {name!r}, but no installed plugin has that name{near}; installed: {known}"
            )
            problems_zh.append(f"{variable} 中的 {name!r} 不是已安装的插件{near_zh};已安装:{known}")
    if problems_en:
        raise PluginError("\n".join(problems_en), zh="\n".join(problems_zh))


def api_mismatch(plugin: object) -> str:
    """Why ``plugin`` cannot be used with this eduscore's plugin API ('' when it can)."""
    declared = getattr(plugin, "EDUSCORE_API_VERSION", None)
    if declared is None:
        return f"it does not declare EDUSCORE_API_VERSION (this eduscore offers API version {API_VERSION})"
    if declared != API_VERSION:
        if str(declared).strip() == str(API_VERSION):
            return (
                f"it declares EDUSCORE_API_VERSION = {declared!r}, text; write the number "
                f"EDUSCORE_API_VERSION = {API_VERSION}"
            )
        return f"it needs eduscore plugin API version {declared!r}; this eduscore offers {API_VERSION}"
    return ""


def _api_mismatch_zh(plugin: object) -> str:
    declared = getattr(plugin, "EDUSCORE_API_VERSION", None)
    if declared is None:
        return f"未声明 EDUSCORE_API_VERSION(本 eduscore 提供插件接口版本 {API_VERSION})"
    return f"需要插件接口版本 {declared!r},本 eduscore 提供 {API_VERSION}"


def _trace_before(hook: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
    """pluggy's hook-call monitoring before a call (``EDUSCORE_TRACE_PLUGINS``): nothing to say."""


def _trace_after(
    outcome: pluggy.Result[Any], hook: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]
) -> None:
    """pluggy's hook-call monitoring after a call (``EDUSCORE_TRACE_PLUGINS``): print which
    plugin's hook gave which records, one line on stderr.

    A hook may return a generator, so the records are drawn here (once; the caller gets
    them as lists) and an exception raised while drawing them becomes the call's."""
    if not impls or outcome.exception is not None:
        return
    try:
        produced = [list(result or ()) for result in outcome.get_result()]
    except Exception as exc:
        outcome.force_exception(exc)
        return
    outcome.force_result(produced)
    kind = HOOK_RECORDS.get(hook, object)
    ids = ", ".join(str(getattr(r, "id", r)) for result in produced for r in result if isinstance(r, kind))
    names = ", ".join(dict.fromkeys(impl.plugin_name for impl in impls))
    print(f"eduscore: hook {hook} → {names}: {ids or 'nothing'}", file=sys.stderr)


def _hashable(plugin: object, name: str) -> object:
    """``plugin``, or — when it cannot be hashed (a ``types.SimpleNamespace``) — a module
    object with its attributes: pluggy calls one plugin's hooks through a subset of the
    plugin manager, which keeps plugins in a set."""
    try:
        hash(plugin)
    except TypeError:
        proxy = types.ModuleType(name)
        for attribute in dir(plugin):
            if not attribute.startswith("__"):
                setattr(proxy, attribute, getattr(plugin, attribute))
        return proxy
    return plugin


@functools.cache
def _registry() -> Registry:
    return Registry()


def get_registry() -> Registry:
    """The process-wide registry (plugins are discovered on first use).

    The composition root's work is done first (:mod:`eduscore._compose`): the output
    formats of the report floor join the built-in plugin before it is first built.
    """
    _compose.compose()
    return _registry()


def reset_registry() -> None:
    """Forget the registry so that the next use rediscovers plugins (after changing the environment)."""
    _registry.cache_clear()


# The parts of the built-in plugin: eduscore's own frameworks and preparation steps
# (:mod:`eduscore.plugins.builtin`), and whatever the layers above add through the
# composition root (the output formats of :mod:`eduscore.report.formats`, added by
# ``eduscore._join_formats`` just before the registry is first built: see
# :mod:`eduscore._compose`), so that this layer never imports the ones above it.
_BUILTIN_PARTS: list[object] = [builtin]


def add_builtin_part(part: object) -> None:
    """Add hook implementations to the built-in plugin (for eduscore's own layers)."""
    if part not in _BUILTIN_PARTS:
        _BUILTIN_PARTS.append(part)
        reset_registry()


def _builtin_plugin() -> object:
    """One plugin object (a module) holding the hook implementations of every built-in part."""
    hooks: dict[str, Any] = {}
    for part in _BUILTIN_PARTS:
        for name in dir(part):
            if name.startswith("eduscore_") and callable(getattr(part, name)):
                if name in hooks:  # pragma: no cover - eduscore's own parts never overlap
                    raise PluginError(f"built-in hook {name} is implemented twice")
                hooks[name] = getattr(part, name)
    hooks["EDUSCORE_API_VERSION"] = builtin.EDUSCORE_API_VERSION
    plugin = types.ModuleType(BUILTIN, "eduscore's built-in plugin: its frameworks, steps and formats")
    plugin.__dict__.update(hooks)
    return plugin
