"""Plugins: the hook specifications, the registry, rule-set overlays and the built-in plugin.

Province and city rule sets, extra frameworks, preparation steps, output formats and rule kinds all
come through pluggy hooks (:mod:`.hookspecs`); :mod:`.registry` discovers installed
plugins, refuses broken ones by name and answers "which rules apply to this county in
this year"; :mod:`.overlay` applies a rule set to a national framework document;
:mod:`.builtin` provides the three national frameworks through the same hooks.
Builds on :mod:`eduscore.model` and :mod:`eduscore.inputs`.
"""

from eduscore.model.records import (
    KIND_OUTPUT_SCHEMA,
    FrameworkDoc,
    PreparationStep,
    Renderer,
    RuleKind,
    RuleSet,
    rule_sets_from_package,
)
from eduscore.model.rules import Text
from eduscore.plugins.hookspecs import hookimpl

# What a plugin author imports: ``from eduscore.plugins import hookimpl, RuleSet, ...``.
__all__ = [
    "KIND_OUTPUT_SCHEMA",
    "FrameworkDoc",
    "PreparationStep",
    "Renderer",
    "RuleKind",
    "RuleSet",
    "Text",
    "hookimpl",
    "rule_sets_from_package",
]
