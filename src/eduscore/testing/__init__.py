"""Test kit shipped with eduscore: hypothesis strategies for valid input tables.

It needs the test tools of the ``testing`` extra: ``pip install "eduscore[testing]"``
(hypothesis and pytest); ``pip install eduscore`` installs no test tool.

>>> from eduscore.testing import schools_tables
>>> from hypothesis import given
>>> @given(schools_tables())
... def test_never_raises(schools): ...
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401  - the kit's one requirement beyond eduscore's own
except ModuleNotFoundError as exc:  # pragma: no cover - the test run has the extra
    raise ModuleNotFoundError(
        "eduscore.testing (the test kit for plugin authors) needs hypothesis, which is not "
        'installed: pip install "eduscore[testing]"',
        name=exc.name,
    ) from exc

from eduscore.testing.kinds import (
    RuleKindConformance,
    check_property,
    county_tables,
    tables_for,
    unit_tables,
)
from eduscore.testing.strategies import counties_tables, kindergartens_tables, schools_tables

__all__ = [
    "RuleKindConformance",
    "check_property",
    "counties_tables",
    "county_tables",
    "kindergartens_tables",
    "schools_tables",
    "tables_for",
    "unit_tables",
]
