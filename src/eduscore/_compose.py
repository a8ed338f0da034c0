"""Where the composition root leaves its work for the registry to do.

The built-in plugin is eduscore's frameworks and preparation steps (floor 4) *and* the
report floor's output formats (floor 8). The plugin floor must not import the report
floor, so the top package (:mod:`eduscore`, the composition root) joins them; but
importing the report floor costs a good part of a second (pyarrow's compute and Parquet
modules, the planning analyses), which ``eduscore --help`` should not pay. So the top
package only leaves a *composer* here when it is imported — a function that imports the
formats and adds them to the built-in plugin — and the registry runs the composers left
here just before it builds the built-in plugin (:func:`eduscore.plugins.registry.get_registry`).

This module imports nothing, so that every floor may read it.
"""

from __future__ import annotations

from collections.abc import Callable

_COMPOSERS: list[Callable[[], None]] = []


def leave(composer: Callable[[], None]) -> None:
    """Leave ``composer`` to be run (once) before the built-in plugin is next built."""
    if composer not in _COMPOSERS:
        _COMPOSERS.append(composer)


def compose() -> None:
    """Run the composers left so far, each once, in the order they were left."""
    while _COMPOSERS:
        composer = _COMPOSERS.pop(0)
        try:
            composer()
        except BaseException:  # not composed: try again at the next use of the registry
            _COMPOSERS.insert(0, composer)
            raise
