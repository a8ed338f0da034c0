from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

# eduscore's pytest plugin is opt-in (no pytest11 entry point): the fixtures
# eduscore_registry and register_plugin, as a plugin author gets them (docs/plugins.md).
pytest_plugins = ["eduscore.testing.pytest_plugin"]

# The language comes from --lang, else EDUSCORE_LANG, else the locale: the tests pin the
# default (Chinese, eduscore's own) so that a machine's locale cannot change what they
# see; a test about another language says so itself (--lang en, EDUSCORE_LANG=en).
os.environ["EDUSCORE_LANG"] = "zh"

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")
