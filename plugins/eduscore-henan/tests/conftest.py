"""eduscore's test kit (``pip install "eduscore[testing]"``): the pytest plugin is opt-in."""

# The fixtures eduscore_registry and register_plugin (docs/plugins.md, "Tests").
pytest_plugins = ["eduscore.testing.pytest_plugin"]
