"""Aggregation of check statuses into verdicts and grades (vectorised over counties).

``all_pass`` (the national frameworks): any failing check → ``not_certified``; else any
check not assessed → ``incomplete``; else ``certified``. A basic pass is not a pass.

``graded`` (e.g. Liaoning's preschool scoring [S]): items are pass / basic pass / fail;
any fail → ``not_certified``; any not assessed → ``incomplete``; otherwise the county gets
the first band (best first) whose conditions it meets — at least ``min_pass`` passes and
at most ``max_basic`` basic passes — and below the lowest band it is ``not_certified``.

>>> bands = [{"grade": "创优", "min_pass": 33, "max_basic": 3},
...          {"grade": "提高", "min_pass": 31, "max_basic": 5},
...          {"grade": "巩固", "min_pass": 29, "max_basic": 7}]
>>> grade(["pass"] * 32 + ["basic_pass"] * 4, bands)
('certified', '提高')
>>> grade(["pass"] * 35 + ["fail"], bands)
('not_certified', None)
>>> grade(["pass"] * 22, bands, items=36)    # 14 items' statuses unknown
('incomplete', None)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

Band = Mapping[str, Any]


def grade_counts(
    n_pass: Any,
    n_basic: Any,
    n_fail: Any,
    n_not_assessed: Any,
    bands: Sequence[Band] | None,
    items: int | None = None,
) -> tuple[pa.Array, pa.Array]:
    """Verdict and grade per row from status counts (Arrow arrays). ``bands=None``: all_pass.

    ``items``: how many items the bands are defined over. Items beyond those counted are
    missing data — their statuses are unknown — so a county without a failure is then
    ``incomplete``, never graded on part of its items.
    """
    if items is not None:
        counted = pc.add(pc.add(pc.add(n_pass, n_basic), n_fail), n_not_assessed)
        n_not_assessed = pc.add(n_not_assessed, pc.max_element_wise(pc.subtract(items, counted), 0))
    failing = n_fail if bands is not None else pc.add(n_fail, n_basic)
    verdict = pc.if_else(
        pc.greater(failing, 0),
        "not_certified",
        pc.if_else(pc.greater(n_not_assessed, 0), "incomplete", "certified"),
    )
    # Nothing assessed at all is not a certification.
    nothing = pc.equal(pc.add(pc.add(pc.add(n_pass, n_basic), n_fail), n_not_assessed), 0)
    verdict = pc.if_else(nothing, "incomplete", verdict)
    grade = pa.nulls(len(verdict), pa.string())
    if bands is not None:
        for band in reversed(list(bands)):  # the best band is applied last, so it wins
            meets = pc.and_(
                pc.greater_equal(n_pass, band["min_pass"]), pc.less_equal(n_basic, band["max_basic"])
            )
            grade = pc.if_else(meets, pa.scalar(str(band["grade"])), grade)
        certified = pc.equal(verdict, "certified")
        grade = pc.if_else(certified, grade, pa.scalar(None, pa.string()))
        verdict = pc.if_else(pc.and_(certified, pc.is_null(grade)), "not_certified", verdict)
    return verdict, grade


def grade(
    statuses: Sequence[str], bands: Sequence[Band] | None, items: int | None = None
) -> tuple[str, str | None]:
    """Verdict and grade of one county from its item statuses (for examples and tests)."""

    def count(*kinds: str) -> pa.Array:
        return pa.array([sum(s in kinds for s in statuses)])

    verdict, g = grade_counts(
        count("pass"),
        count("basic_pass"),
        count("fail"),
        count("not_assessed", "not_computable"),
        bands,
        items,
    )
    return str(verdict[0].as_py()), g[0].as_py()


def grade_by_check(
    n_fail: Any,
    n_not_assessed: Any,
    passes: Any,
    items: int,
    bands: Sequence[Band],
) -> tuple[pa.Array, pa.Array]:
    """Verdict and grade per row when one check counts the graded items (``by_check``,
    e.g. Liaoning's, a kind of its plugin): ``passes`` is that check's value where it
    passed (null elsewhere), the other items are then basic passes. The verdict is as in
    ``graded`` over all checks (any fail → not certified, any not assessed → incomplete);
    a county without a failure whose counting check did not pass cannot be graded: it is
    ``incomplete``."""
    none = pa.repeat(pa.scalar(0, pa.int64()), len(passes))
    verdict = pc.if_else(
        pc.greater(n_fail, 0),
        "not_certified",
        pc.if_else(pc.greater(n_not_assessed, 0), "incomplete", "certified"),
    )
    counted = pc.fill_null(pc.cast(passes, pa.int64()), 0)
    _, grade = grade_counts(counted, pc.subtract(items, counted), none, none, bands)
    certified = pc.equal(verdict, "certified")
    graded = pc.and_(certified, pc.is_valid(passes))
    grade = pc.if_else(graded, grade, pa.scalar(None, pa.string()))
    verdict = pc.if_else(
        pc.and_(certified, pc.invert(pc.is_valid(passes))),
        "incomplete",
        pc.if_else(pc.and_(graded, pc.is_null(grade)), "not_certified", verdict),
    )
    return verdict, grade
