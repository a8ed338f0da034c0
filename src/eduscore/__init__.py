"""eduscore: evaluate Chinese counties against the MOE supervision-evaluation frameworks.

>>> import eduscore
>>> result = eduscore.evaluate(**eduscore.demo_inputs())
>>> print(result.summary())  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .analysis import analyse, decompose
from .demo import demo_inputs
from .errors import EduscoreError, FormulaError, FrameworkError, InputError
from .evaluate import evaluate
from .framework import Framework, Indicator, Rule, builtin_ids, load_framework
from .margins import margins
from .overlay import applicable_rule_sets, effective_framework
from .plan import make_plan
from .plugins import get_registry
from .result import Result
from .whatif import compare_years, whatif


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
    "analyse",
    "applicable_rule_sets",
    "compare_years",
    "decompose",
    "demo_inputs",
    "effective_framework",
    "evaluate",
    "frameworks",
    "get_registry",
    "load_framework",
    "make_plan",
    "margins",
    "whatif",
]
