"""Plugins: the hook specifications, the registry, rule-set overlays and the built-in plugin.

Province and city rule sets, extra frameworks, preparation steps and output formats all
come through pluggy hooks (:mod:`.hookspecs`); :mod:`.registry` discovers installed
plugins, refuses broken ones by name and answers "which rules apply to this county in
this year"; :mod:`.overlay` applies a rule set to a national framework document;
:mod:`.builtin` provides the three national frameworks through the same hooks.
Builds on :mod:`eduscore.model` and :mod:`eduscore.inputs`.
"""

from eduscore.model.records import (
    FrameworkDoc,
    PreparationStep,
    Renderer,
    RuleSet,
    rule_sets_from_package,
)
from eduscore.plugins.hookspecs import hookimpl

# What a plugin author imports: ``from eduscore.plugins import hookimpl, RuleSet, ...``.
__all__ = ["FrameworkDoc", "PreparationStep", "Renderer", "RuleSet", "hookimpl", "rule_sets_from_package"]
