"""Small builders for hand-made test tables, and the CLI run in-process."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa

# A primary section exactly at every 2017 threshold with 1000 students.
AT_THRESHOLD_PRIMARY: dict[str, Any] = {
    "students_primary": 1000,
    "teachers_above_degree_primary": 42,
    "backbone_teachers_primary": 10,
    "pe_arts_teachers_primary": 9,
    "teaching_aux_area_m2": 4500.0,
    "sports_area_m2": 7500.0,
    "equipment_value_cny": 2_000_000.0,
    "multimedia_classrooms": 23,
}


def school(
    school_id: str, county: str = "990101", school_type: str = "primary", **values: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "county_code": county,
        "school_id": school_id,
        "school_name": f"学校{school_id}",
        "school_type": school_type,
    }
    row.update(values)
    return row


def table(rows: list[dict[str, Any]]) -> pa.Table:
    names: list[str] = []
    for r in rows:
        names += [k for k in r if k not in names]
    return pa.table({n: [r.get(n) for r in rows] for n in names})


# --------------------------------------------------------------------------- the CLI in-process

# Environment variables that only a new process honours (stream encodings, interpreter
# flags): a call that sets one runs ``python -m eduscore.cli`` in a subprocess.
_PROCESS_ONLY = ("PYTHON", "LC_", "LANG", "TERM")


def run_cli(
    *args: object, env: dict[str, str] | None = None, cwd: Path | None = None, process: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the eduscore command line and capture its status, stdout and stderr.

    In-process through :func:`eduscore.cli.main` (tens of milliseconds instead of a
    second's interpreter start), like ``entry`` does: argparse's exits become a status.
    With ``process=True``, or an environment variable a new process must see, it runs
    ``python -m eduscore.cli`` in a subprocess — for exit paths, pipes and encodings."""
    argv = [str(a) for a in args]
    extra = {"COLUMNS": "200", **(env or {})}
    if process or any(k.startswith(_PROCESS_ONLY) for k in env or {}):
        return subprocess.run(
            [sys.executable, "-m", "eduscore.cli", *argv],
            capture_output=True,
            text=True,
            check=False,
            cwd=cwd,
            env={**os.environ, **extra},
        )
    from eduscore import cli
    from eduscore.plugins.catalog import clear_caches
    from eduscore.plugins.registry import reset_registry

    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    out, err = io.StringIO(), io.StringIO()
    plugins_touched = any(k.startswith("EDUSCORE_") and "PLUGIN" in k for k in extra)
    try:
        os.environ.update(extra)
        if cwd is not None:
            os.chdir(cwd)
        if plugins_touched:
            reset_registry()
            clear_caches()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as exc:  # --help, --version, a usage error
                if isinstance(exc.code, str):
                    print(exc.code, file=sys.stderr)
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        if plugins_touched:
            reset_registry()
            clear_caches()
    return subprocess.CompletedProcess(["eduscore", *argv], code, out.getvalue(), err.getvalue())
