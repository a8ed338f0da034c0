"""The list of the project's province plugins (``src/eduscore/plugins/known_plugins.json``), which
lets eduscore say when a county's province rules are not installed, equals ``plugins/``."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from eduscore.plugins.registry import known_rule_sets

PLUGINS = Path(__file__).parents[1] / "plugins"


def test_the_known_plugins_are_the_plugins_folder() -> None:
    found = set()
    for project in sorted(PLUGINS.glob("eduscore-*/pyproject.toml")):
        meta = tomllib.loads(project.read_text("utf-8"))
        (name,) = meta["project"]["entry-points"]["eduscore"]
        distribution = meta["project"]["name"]
        for doc in project.parent.glob("src/*/*.json"):
            rs = json.loads(doc.read_text("utf-8"))
            found.add((name, distribution, rs["framework"], rs["jurisdiction"]))
    known = {(k.plugin, k.distribution, k.framework, k.jurisdiction) for k in known_rule_sets()}
    assert found and known == found
