"""Packaging (issue #13): ``pip install eduscore`` brings no test tool, the test kit is the
``testing`` extra, the pytest plugin is opt-in, and every plugin pins the eduscore versions
of its plugin API."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

from eduscore.plugins.registry import API_VERSION

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
TEST_TOOLS = {"hypothesis", "pytest"}


def _without_test_tools(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a Python where hypothesis and pytest cannot be imported."""
    blocked = "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in sorted(TEST_TOOLS))
    return subprocess.run([sys.executable, "-c", blocked + code], capture_output=True, text=True, check=False)


def test_the_package_depends_on_no_test_tool_and_the_kit_is_the_testing_extra() -> None:
    project = PROJECT["project"]
    names = {Requirement(r).name for r in project["dependencies"]}
    assert not names & TEST_TOOLS
    assert set(project["optional-dependencies"]) == {"testing"}
    assert {Requirement(r).name for r in project["optional-dependencies"]["testing"]} == TEST_TOOLS
    assert "pytest11" not in project.get("entry-points", {})  # opt-in: conftest.py names it
    assert {"test", "dev"} <= set(PROJECT["dependency-groups"])


def test_eduscore_and_its_cli_run_without_the_test_tools() -> None:
    run = _without_test_tools(
        "import eduscore, eduscore.cli\n"
        "eduscore.evaluate(**eduscore.demo_inputs())\n"
        "print(sorted(m for m, mod in sys.modules.items()\n"
        "             if mod is not None and m.split('.')[0] in ('hypothesis', 'pytest', '_pytest')))\n"
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_the_kit_without_its_extra_names_the_extra() -> None:
    run = _without_test_tools("import eduscore.testing\n")
    assert run.returncode != 0
    assert 'pip install "eduscore[testing]"' in run.stderr


def test_every_plugin_pins_the_eduscore_versions_of_its_plugin_api() -> None:
    version = Version(__import__("eduscore").__version__)
    projects = [*ROOT.glob("plugins/*/pyproject.toml"), *ROOT.glob("docs/examples/*/pyproject.toml")]
    assert projects
    for path in projects:
        meta = tomllib.loads(path.read_text("utf-8"))
        [eduscore] = [Requirement(r) for r in meta["project"]["dependencies"] if r.startswith("eduscore")]
        assert version in eduscore.specifier, (path, str(eduscore.specifier))
        assert any(s.operator == "<" for s in eduscore.specifier), f"{path}: no upper bound"
        assert (path.parent / "tests" / "conftest.py").read_text("utf-8").count(
            'pytest_plugins = ["eduscore.testing.pytest_plugin"]'
        ) == 1
    assert API_VERSION == 2, "a new plugin API: move the plugins' eduscore range to the versions offering it"
