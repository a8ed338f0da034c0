"""eduscore: evaluate Chinese counties against the MOE supervision-evaluation frameworks.

>>> import eduscore
>>> result = eduscore.evaluate(**eduscore.demo_inputs())
>>> print(result.summary())  # doctest: +SKIP
"""

from __future__ import annotations

from eduscore._version import __version__
from eduscore.demo import demo_inputs
from eduscore.engine.evaluate import evaluate
from eduscore.errors import EduscoreError, FormulaError, FrameworkError, InputError
from eduscore.model.framework import Framework, Indicator, Rule
from eduscore.planning.analysis import analyse, decompose
from eduscore.planning.margins import margins
from eduscore.planning.plan import make_plan
from eduscore.planning.whatif import compare_years, whatif
from eduscore.plugins.catalog import applicable_rule_sets, builtin_ids, effective_framework, load_framework
from eduscore.plugins.registry import add_builtin_part, get_registry
from eduscore.report import formats as _formats
from eduscore.result import Result

# The composition root: the report layer's output formats join the built-in plugin here,
# so the plugin layer below never imports the report layer above it.
add_builtin_part(_formats)


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
