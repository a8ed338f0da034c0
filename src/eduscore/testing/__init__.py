"""Test kit shipped with eduscore: hypothesis strategies for valid input tables.

>>> from eduscore.testing import schools_tables
>>> from hypothesis import given
>>> @given(schools_tables())
... def test_never_raises(schools): ...
"""

from __future__ import annotations

from eduscore.testing.strategies import counties_tables, kindergartens_tables, schools_tables

__all__ = ["counties_tables", "kindergartens_tables", "schools_tables"]
