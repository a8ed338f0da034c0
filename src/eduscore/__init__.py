"""eduscore: evaluate Chinese counties against the MOE supervision-evaluation frameworks.

>>> import eduscore
>>> result = eduscore.evaluate(**eduscore.demo_inputs())
>>> print(result.summary())  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .demo import demo_inputs
from .errors import EduscoreError, FormulaError, FrameworkError, InputError
from .evaluate import evaluate
from .framework import Framework, Indicator, Rule, builtin_ids, load_framework
from .overlay import applicable_rule_sets, effective_framework
from .plugins import get_registry
from .result import Result


def frameworks() -> list[str]:
    """Ids of the built-in frameworks.

    >>> frameworks()
    ['basic-balance-2012', 'preschool-2020', 'quality-balance-2017']
    """
    return builtin_ids()


__all__ = [
    "EduscoreError",
    "FormulaError",
    "Framework",
    "FrameworkError",
    "Indicator",
    "InputError",
    "Result",
    "Rule",
    "__version__",
    "applicable_rule_sets",
    "demo_inputs",
    "effective_framework",
    "evaluate",
    "frameworks",
    "get_registry",
    "load_framework",
]
