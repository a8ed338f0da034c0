"""Which framework applies: frameworks by id, and the rule sets that govern a county.

The registry (:mod:`.registry`) holds what the plugins provided; this module answers the
questions the rest of eduscore asks of it: the framework with a given id or path
(:func:`load_framework`), the rule sets governing a county in a year
(:func:`applicable_rule_sets`) and the county's effective framework after its province's,
city's and own rules (:func:`effective_framework`, built with :mod:`.overlay`), and, for
a whole table of counties at once, which chain of rule sets governs each row
(:func:`assign_chains`).
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from eduscore.errors import FrameworkError
from eduscore.model.framework import (
    MAX_DOCUMENT_BYTES,
    Framework,
    did_you_mean,
    framework_from_dict,
    framework_to_dict,
    parse_document,
    too_large_error,
)
from eduscore.model.records import RuleKind, RuleSet
from eduscore.plugins.overlay import CHAIN_SEPARATOR, apply_rule_set
from eduscore.plugins.registry import get_registry


def preparation_step_ids() -> list[str]:
    """Ids of the preparation steps the registered plugins provide (options refer to them)."""
    return sorted(get_registry().preparation_steps())


def rule_kinds() -> dict[str, RuleKind]:
    """The rule kinds the registered plugins provide, by id (the built-in ones included)."""
    return get_registry().rule_kinds()


def builtin_ids() -> list[str]:
    """Ids of the frameworks the registered plugins provide (the built-in plugin: the national three)."""
    return sorted(get_registry().frameworks())


def _registered(framework_id: str) -> Framework:
    return get_registry().framework(framework_id)


def load_framework(framework: str | Path | Framework | Mapping[str, Any]) -> Framework:
    """A framework by built-in id, by path to a JSON document, or from a parsed document.

    >>> load_framework("quality-balance-2017").document["number"]
    '教督〔2017〕6号'
    """
    if isinstance(framework, Framework):
        return framework
    if isinstance(framework, Mapping):
        return framework_from_dict(framework, steps=preparation_step_ids(), kinds=rule_kinds())
    text = str(framework)
    if isinstance(framework, str) and text in builtin_ids():
        return _registered(text)
    path = Path(text)
    if path.suffix.lower() == ".json" and path.exists():
        what = f"framework document {path}"
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:  # refuse before reading it into memory
            raise too_large_error(size, what)
        return framework_from_dict(
            parse_document(path.read_bytes(), what),
            str(path),
            steps=preparation_step_ids(),
            kinds=rule_kinds(),
        )
    hint = difflib.get_close_matches(text, builtin_ids(), n=1)
    raise FrameworkError(
        f"unknown framework {text!r}{did_you_mean(text, builtin_ids())}; "
        f"built-in frameworks: {', '.join(builtin_ids())}, or give the path of a .json document",
        zh=f"未知的框架 {text!r}" + (f"(是否指 {hint[0]!r}?)" if hint else "") + ";内置框架:"
        f"{'、'.join(builtin_ids())},或给出框架 .json 文件的路径",
    )


def _rule_sets() -> list[RuleSet]:
    return get_registry().rule_sets()


def rule_sets_for(framework: str) -> list[RuleSet]:
    """Registered rule sets of ``framework``, least specific jurisdiction first."""
    return [rs for rs in _rule_sets() if rs.framework == framework]


def applicable_rule_sets(county_code: str, framework: str, year: int | None = None) -> list[RuleSet]:
    """The rule sets governing one county in one year, in the order they apply."""
    return [rs for rs in rule_sets_for(framework) if rs.applies(county_code, year)]


def with_rule_sets(base: Framework, chain: Sequence[RuleSet]) -> Framework:
    """``base`` with the rule sets of ``chain`` applied in order."""
    return _with_rule_sets(base, tuple(chain))


@functools.lru_cache(maxsize=256)
def _with_rule_sets(base: Framework, chain: tuple[RuleSet, ...]) -> Framework:
    if not chain:
        return base
    # Overlay the framework the caller holds, not the document it was first read from:
    # a framework changed with attrs.evolve keeps its changes.
    doc: Mapping[str, Any] = framework_to_dict(base)
    for rs in chain:
        doc = apply_rule_set(doc, rs)
    label = " → ".join([base.id, *(f"{rs.id} ({rs.jurisdiction})" for rs in chain)])
    return framework_from_dict(doc, label, steps=preparation_step_ids(), kinds=rule_kinds())


def effective_framework(
    county_code: str, framework: str | Framework = "quality-balance-2017", year: int | None = None
) -> Framework:
    """The framework that applies to one county after its province's, city's and own rules.

    ``framework`` is an id or a :class:`Framework` (which is overlaid as it is, edits included).

    >>> fw = effective_framework("990101", "quality-balance-2017", year=2024)
    >>> fw.rule_sets   # no rule set governs the synthetic province 99
    ()
    """
    base = load_framework(framework)
    return with_rule_sets(base, applicable_rule_sets(county_code, base.id, year))


def assign_chains(
    counties: pa.Table, framework_id: str
) -> tuple[pa.ChunkedArray, dict[str, tuple[RuleSet, ...]]]:
    """Label every county row with the chain of rule sets that governs it.

    Vectorised over counties: one pass per registered rule set of the framework (a few),
    never a loop over counties. Returns the chain key per row ('' = national only) and
    the rule sets of each key.
    """
    codes = counties.column("county_code")
    years = counties.column("year")
    key = (
        pa.chunked_array([pa.repeat(pa.scalar(""), counties.num_rows)])
        if counties.num_rows
        else pa.chunked_array([], pa.string())
    )
    by_id = {}
    for rs in rule_sets_for(framework_id):
        hit = pc.fill_null(pc.starts_with(codes, rs.jurisdiction), False)
        if rs.from_year is not None:
            hit = pc.and_(hit, pc.fill_null(pc.greater_equal(years, rs.from_year), True))
        if rs.until_year is not None:
            hit = pc.and_(hit, pc.fill_null(pc.less_equal(years, rs.until_year), True))
        joined = pc.binary_join_element_wise(key, pa.scalar(rs.id), CHAIN_SEPARATOR)
        key = pc.if_else(hit, pc.if_else(pc.equal(key, ""), pa.scalar(rs.id), joined), key)
        by_id[rs.id] = rs
    chains = {
        k: tuple(by_id[i] for i in k.split(CHAIN_SEPARATOR) if i)
        for k in pc.unique(key).to_pylist()
        if k is not None
    }
    return key, chains


def clear_caches() -> None:
    """Forget overlaid frameworks (after plugins were registered or unregistered by hand;
    the registry's own caches follow its plugins)."""
    _with_rule_sets.cache_clear()
