"""eduscore's test kit (``pip install "eduscore[testing]"``): the pytest plugin is opt-in."""

pytest_plugins = ["eduscore.testing.pytest_plugin"]
