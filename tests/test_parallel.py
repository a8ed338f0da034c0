"""Columns converted in threads give exactly what the plain loop gives (issue #12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import eduscore
import eduscore._parallel as parallel
from eduscore._parallel import parallel_map

MESSY = Path(__file__).parent / "data" / "messy"


@pytest.fixture
def two_threads() -> Iterator[None]:
    before = pa.cpu_count()
    pa.set_cpu_count(2)
    try:
        yield
    finally:
        pa.set_cpu_count(before)


def test_parallel_map_keeps_order_and_raises_the_first_error(
    two_threads: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_ROWS", 0)
    assert parallel_map(lambda i: i * i, range(50), rows=1) == [i * i for i in range(50)]

    def boom(i: int) -> int:
        if i in (7, 30):
            raise ValueError(f"item {i}")
        return i

    with pytest.raises(ValueError, match="item 7"):
        parallel_map(boom, range(50), rows=1)


@pytest.mark.parametrize(
    "inputs",
    [
        {"schools": MESSY / "学校_gbk.csv", "counties": MESSY / "县数据.xlsx"},
        {"kindergartens": MESSY / "kindergartens.csv", "counties": MESSY / "县数据.xlsx"},
    ],
    ids=["schools", "kindergartens"],
)
def test_threaded_conversion_gives_the_loops_result(
    inputs: dict[str, Path], two_threads: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Messy files (every kind of bad cell) through both paths: the same findings in the
    same order, the same tables."""
    framework = "preschool-2020" if "kindergartens" in inputs else "quality-balance-2017"
    monkeypatch.setattr(parallel, "MIN_ROWS", 10**12)
    loop = eduscore.evaluate(**inputs, framework=framework)
    monkeypatch.setattr(parallel, "MIN_ROWS", 0)
    threaded = eduscore.evaluate(**inputs, framework=framework)
    assert loop.findings.num_rows > 5
    for name in ("findings", "verdicts", "checks", "sections", "accounting", "rejected"):
        assert getattr(threaded, name).equals(getattr(loop, name)), name
