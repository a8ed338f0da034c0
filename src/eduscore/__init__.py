"""eduscore: evaluate Chinese counties against the MOE supervision-evaluation frameworks.

>>> import eduscore
>>> result = eduscore.evaluate(**eduscore.demo_inputs())
>>> print(result.summary())  # doctest: +SKIP

The public names below are imported on first use (PEP 562): ``import eduscore`` reads no
framework, imports neither pyarrow nor numpy, and ``eduscore --help`` answers at once.
``from eduscore import evaluate`` works as before, and type checkers see the real names
through the ``TYPE_CHECKING`` imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from eduscore import _compose
from eduscore._version import __version__
from eduscore.errors import EduscoreError, FormulaError, FrameworkError, InputError

if TYPE_CHECKING:
    from eduscore.demo import demo_inputs
    from eduscore.engine.evaluate import evaluate
    from eduscore.model.framework import Framework, Indicator, Rule
    from eduscore.planning.analysis import analyse, decompose
    from eduscore.planning.margins import margins
    from eduscore.planning.plan import make_plan
    from eduscore.planning.whatif import compare_years, whatif
    from eduscore.plugins.catalog import applicable_rule_sets, effective_framework, load_framework
    from eduscore.plugins.registry import get_registry
    from eduscore.province.allocate import allocate
    from eduscore.province.history import History, history
    from eduscore.result import Result

# Each public name and the module that defines it, imported when the name is first read.
_LAZY = {
    "demo_inputs": "eduscore.demo",
    "evaluate": "eduscore.engine.evaluate",
    "Framework": "eduscore.model.framework",
    "Indicator": "eduscore.model.framework",
    "Rule": "eduscore.model.framework",
    "analyse": "eduscore.planning.analysis",
    "decompose": "eduscore.planning.analysis",
    "margins": "eduscore.planning.margins",
    "make_plan": "eduscore.planning.plan",
    "compare_years": "eduscore.planning.whatif",
    "whatif": "eduscore.planning.whatif",
    "applicable_rule_sets": "eduscore.plugins.catalog",
    "effective_framework": "eduscore.plugins.catalog",
    "load_framework": "eduscore.plugins.catalog",
    "get_registry": "eduscore.plugins.registry",
    "History": "eduscore.province.history",
    "history": "eduscore.province.history",
    "allocate": "eduscore.province.allocate",
    "Result": "eduscore.result",
}


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next use is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _join_formats() -> None:
    """The composition root: the report floor's output formats join the built-in plugin,
    so that the plugin floor below never imports the report floor above it.

    Left with :mod:`eduscore._compose` when eduscore is imported and run by the registry
    just before it first builds the built-in plugin, so that a command that never uses
    the registry (``eduscore --help``) never imports the report floor.
    """
    from eduscore.plugins.registry import add_builtin_part
    from eduscore.report import formats

    add_builtin_part(formats)


_compose.leave(_join_formats)


def frameworks() -> list[str]:
    """Ids of the built-in frameworks.

    >>> frameworks()
    ['basic-balance-2012', 'preschool-2020', 'quality-balance-2017']
    """
    from eduscore.plugins.catalog import builtin_ids

    return builtin_ids()


__all__ = [
    "EduscoreError",
    "FormulaError",
    "Framework",
    "FrameworkError",
    "History",
    "Indicator",
    "InputError",
    "Result",
    "Rule",
    "__version__",
    "allocate",
    "analyse",
    "applicable_rule_sets",
    "compare_years",
    "decompose",
    "demo_inputs",
    "effective_framework",
    "evaluate",
    "frameworks",
    "get_registry",
    "history",
    "load_framework",
    "make_plan",
    "margins",
    "whatif",
]
