"""Slow, obviously correct pure-Python references that the fast Arrow engine is checked against."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction


def weighted_cv(values: Sequence[float], weights: Sequence[float]) -> float | None:
    """frameworks.md §1.1, literally, in exact rational arithmetic:
    x̄ = Σ p x / P;  S = sqrt(Σ (p/P)(x − x̄)²);  CV = S / x̄.
    Sections with zero students carry no weight. None when x̄ = 0 or P = 0."""
    pairs = [(Fraction(x), Fraction(p)) for x, p in zip(values, weights, strict=True) if p > 0]
    total = sum((p for _, p in pairs), Fraction(0))
    if total == 0:
        return None
    mean = sum((p * x for x, p in pairs), Fraction(0)) / total
    if mean == 0:
        return None
    var = sum(((p / total) * (x - mean) ** 2 for x, p in pairs), Fraction(0))
    return math.sqrt(var) / abs(float(mean))


def six_of_seven(
    values: Sequence[float | None], thresholds: Sequence[float], min_met: int = 6, floor: float = 0.85
) -> str:
    """§2.3 for one section with ≥ thresholds: 'pass', 'fail' or 'not_assessed'."""
    known = [(v, t) for v, t in zip(values, thresholds, strict=True) if v is not None]
    misses = [(v, t) for v, t in known if not v >= t]
    below = any(v / t < floor for v, t in misses)
    if below or len(misses) > len(thresholds) - min_met:
        return "fail"
    if len(known) < len(thresholds):
        return "not_assessed"
    return "pass"


def split_shares(
    school_type: str, a: float, b: float, c: float, junior: float = 1.1, senior: float = 1.32
) -> dict[str, float]:
    """§1.3's table, case by case as printed there."""
    if school_type == "nine_year":
        return {"primary": a / (a + junior * b), "junior": junior * b / (a + junior * b)}
    if school_type == "twelve_year":
        d = a + junior * b + senior * c
        return {"primary": a / d, "junior": junior * b / d}
    if school_type == "complete_middle":
        return {"junior": b / (b + (senior / junior) * c)}
    raise ValueError(school_type)
