"""What a command imports: ``eduscore --help`` answers without the engine, the analyses,
the reports, jsonschema or pyarrow; ``import eduscore`` imports the public names on first
use; the report floor's formats still join the built-in plugin before the registry is
first built (the composition root, docs/architecture.md).

Each check runs a fresh interpreter with ``-X importtime`` and reads the names of the
modules it imported: no timing is asserted (docs/performance.md has the figures).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable

import pytest

# What parsing the arguments must never pull in: the pipeline above the inputs' limits,
# and the heavy libraries it uses.
NOT_FOR_HELP = (
    "eduscore.engine",
    "eduscore.planning",
    "eduscore.report",
    "eduscore.plugins",
    "eduscore.result",
    "eduscore.model.framework",
    "jsonschema",
    "pandas",
    "numpy",
    "pyarrow",
    "rich",
    "xlsxwriter",
    "docx",
    "fastexcel",
)
# Listing the frameworks builds the plugin registry (which validates every plugin's
# documents with jsonschema and compiles their formulas with pyarrow.compute), but
# neither scores nor analyses anything.
NOT_FOR_FRAMEWORKS = (
    "eduscore.engine",
    "eduscore.planning",
    "eduscore.report.view",
    "eduscore.report.terminal",
    "eduscore.report.html",
    "eduscore.report.xlsx",
    "eduscore.report.docx",
    "docx",
    "pyarrow.dataset",
    "rich",
    "xlsxwriter",
)


# Runs the code given as its first argument with the rest as sys.argv[1:], then lists
# sys.modules: -X importtime does not log a module imported through importlib.import_module
# (as eduscore's lazy names are), only what that module imports in turn.
RUNNER = """
import sys
code = sys.argv.pop(1)
try:
    exec(compile(code, "<code>", "exec"), {"__name__": "__main__"})
finally:
    sys.stderr.write("modules: " + " ".join(sorted(sys.modules)) + "\\n")
"""


def imported(code: str, *args: str) -> set[str]:
    """The modules a fresh interpreter imports running ``code`` (with ``sys.argv[1:] = args``):
    those ``python -X importtime`` logs, and those in ``sys.modules`` at the end."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("EDUSCORE_TRACE_PLUGINS", "PYTHONPROFILEIMPORTTIME")
    }
    env["EDUSCORE_LANG"] = "en"
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", RUNNER, code, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stderr.splitlines()
    timed = {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")}
    timed.discard("imported package")  # the header line
    listed = [line.split()[1:] for line in lines if line.startswith("modules: ")]
    assert timed and len(listed) == 1, run.stderr[-3000:]
    return timed | set(listed[0])


def offending(names: Iterable[str], forbidden: Iterable[str]) -> list[str]:
    """The modules among ``names`` that are, or are inside, one of ``forbidden``."""
    return sorted(n for n in names for f in forbidden if n == f or n.startswith(f + "."))


# The eduscore program (its entry() ends the process at once: main() lets RUNNER list
# sys.modules; --help and --version end it with SystemExit(0)).
ENTRY = "from eduscore.cli import main; raise SystemExit(main())"


def test_offending_finds_submodules_and_spares_namesakes() -> None:
    assert offending(
        ["eduscore.engine.score", "numpy", "numpyish", "eduscore.engineer"], ["eduscore.engine", "numpy"]
    ) == [
        "eduscore.engine.score",
        "numpy",
    ]


@pytest.mark.parametrize(
    "args", [("--help",), ("evaluate", "--help"), ("plan", "--help"), ("--version",)], ids=" ".join
)
def test_help_imports_nothing_heavy(args: tuple[str, ...]) -> None:
    names = imported(ENTRY, *args)
    assert "eduscore.cli" in names
    assert offending(names, NOT_FOR_HELP) == []


def test_frameworks_imports_neither_the_engine_nor_the_analyses() -> None:
    names = imported(ENTRY, "frameworks")
    assert {"eduscore.cli", "eduscore.plugins.registry"} <= names
    assert offending(names, NOT_FOR_FRAMEWORKS) == []


def test_import_eduscore_is_lazy_and_its_names_are_there_on_use() -> None:
    assert offending(imported("import eduscore"), NOT_FOR_HELP) == []
    # The names come from their modules when first read: the detector above sees them.
    names = imported("import eduscore; eduscore.evaluate; eduscore.make_plan")
    assert {"eduscore.engine.evaluate", "eduscore.planning.plan"} <= names


def test_public_names_resolve_to_their_definitions() -> None:
    import eduscore
    from eduscore.engine.evaluate import evaluate
    from eduscore.planning.whatif import whatif
    from eduscore.result import Result

    assert eduscore.evaluate is evaluate
    assert eduscore.whatif is whatif
    assert eduscore.Result is Result
    for name in eduscore.__all__:
        assert getattr(eduscore, name) is not None, name
    assert set(eduscore.__all__) <= set(dir(eduscore))
    with pytest.raises(AttributeError, match="no attribute 'evaluat'"):
        eduscore.evaluat  # noqa: B018 - the attribute access is the test


@pytest.mark.parametrize(
    "code",
    [
        "import eduscore; r = eduscore.get_registry()",
        # The plugin floor alone, never the report floor by hand: the composition root's
        # work is done by the registry itself before it is first built.
        "from eduscore.plugins.registry import get_registry; r = get_registry()",
        "from eduscore.plugins.registry import Registry; r = Registry(discover=False)",
        "from eduscore.plugins.catalog import builtin_ids; ids = builtin_ids()\n"
        "from eduscore.plugins.registry import get_registry; r = get_registry()",
    ],
)
def test_the_builtin_formats_join_before_the_registry_is_first_built(code: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "EDUSCORE_TRACE_PLUGINS"}
    run = subprocess.run(
        [sys.executable, "-c", f"{code}\nprint(' '.join(sorted(r.renderers())))"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert set(run.stdout.split()) >= {"csv", "html", "json", "md", "parquet", "xlsx"}
