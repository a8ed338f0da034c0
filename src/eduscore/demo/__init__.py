"""The bundled demo data: one SYNTHETIC county (示例县, code 990101), made up for examples.

Province code 99 does not exist in GB/T 2260, so the demo can never be mistaken for a
real county. The numbers are invented to exercise every rule kind: spanning schools
split by level, a small teaching point, a special-education school out of scope, a few
indicators below their thresholds.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def demo_path(name: str) -> Path:
    """Path of a bundled demo file: ``schools.csv``, ``counties.csv`` or ``kindergartens.csv``."""
    return Path(str(resources.files("eduscore.demo") / name))


def demo_inputs() -> dict[str, Path]:
    """The demo files as keyword arguments for :func:`eduscore.evaluate`."""
    return {
        "schools": demo_path("schools.csv"),
        "counties": demo_path("counties.csv"),
        "kindergartens": demo_path("kindergartens.csv"),
    }
