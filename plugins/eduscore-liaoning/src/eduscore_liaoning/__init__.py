"""eduscore rule sets: Liaoning with Shenyang (辽宁, 沈阳). The rules are data: see the JSON files here."""

from __future__ import annotations

from collections.abc import Iterator

from eduscore.plugins import RuleSet, hookimpl, rule_sets_from_package

EDUSCORE_API_VERSION = 2


@hookimpl
def eduscore_rule_sets() -> Iterator[RuleSet]:
    return rule_sets_from_package(__name__)
