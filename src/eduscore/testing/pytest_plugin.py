"""eduscore's pytest plugin, opt-in: name it in your top-level ``conftest.py``::

    pytest_plugins = ["eduscore.testing.pytest_plugin"]

(installed with ``pip install "eduscore[testing]"``). Fixtures for plugin authors:

- ``eduscore_registry`` — the plugin registry of this process;
- ``register_plugin`` — ``register_plugin(plugin_object, name)`` registers a plugin
  (a module or an object with hook implementations) for the duration of one test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from eduscore.plugins.registry import Registry, get_registry, reset_registry


@pytest.fixture
def eduscore_registry() -> Registry:
    return get_registry()


@pytest.fixture
def register_plugin() -> Iterator[Callable[[object, str], None]]:
    registered: list[str] = []

    def register(plugin: object, name: str) -> None:
        get_registry().register(plugin, name)
        _clear_caches()
        registered.append(name)

    yield register
    for name in registered:
        get_registry().unregister(name)
    _clear_caches()


def _clear_caches() -> None:
    from eduscore.plugins.catalog import clear_caches

    clear_caches()


__all__ = ["eduscore_registry", "register_plugin", "reset_registry"]
