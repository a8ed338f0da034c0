#!/usr/bin/env python3
"""One-file bootstrap for a fresh machine that has only Python 3.11+.

    python3 dev.py demo    # create .venv, install eduscore, evaluate the bundled demo county
    python3 dev.py test    # create .venv, install eduscore[testing] and the dependency groups
                           # test and dev, run ruff, mypy, lint-imports and pytest
    python3 dev.py test --all   # the same, with the slow brute-force and fuzz tests (what CI runs)

Everything is installed into ``.venv`` beside this file by pip, from the project's
own ``pyproject.toml`` (and the plugins'); the virtual environment is re-synced whenever
one of them changes. ``demo`` installs eduscore alone, no test or development tool; ``test``
first brings the venv's pip to 25.1 or newer, which reads ``[dependency-groups]`` (PEP 735).
Extra arguments after the command are passed on (to ``eduscore demo`` or to pytest).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _run(*cmd: str | Path) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT)
    if code:
        sys.exit(code)


# pip reads PEP 735 dependency groups (pip install --group) from version 25.1 on; the pip
# that venv bundles with Python 3.11-3.13 is older.
PIP_FOR_GROUPS = "pip>=25.1"


def ensure_env(extras: str, groups: tuple[str, ...] = ()) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must speak on old Pythons too
        sys.exit(f"eduscore needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    # Re-install only when the project's dependencies (or the extras asked for) change.
    pyproject = (ROOT / "pyproject.toml").read_bytes()
    others = sorted((ROOT / "plugins").glob("*/pyproject.toml")) + sorted(
        (ROOT / "docs" / "examples").glob("*/pyproject.toml")
    )
    for path in others:
        pyproject += path.read_bytes()
    wanted = ";".join([extras, *groups])
    stamp_value = hashlib.sha256(pyproject + wanted.encode()).hexdigest()
    stamp = VENV / f".eduscore-{'-'.join(filter(None, [extras.replace(',', '-'), *groups])) or 'base'}"
    if stamp.exists() and stamp.read_text() == stamp_value:
        return
    spec = f".[{extras}]" if extras else "."
    editable = ["-e", spec]
    for group in groups:
        editable += ["--group", group]  # from ./pyproject.toml ([dependency-groups])
    if groups:
        _run(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", PIP_FOR_GROUPS)
    if "testing" in extras:
        # The province and city rule sets, each its own distribution, are tested too.
        for plugin in sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists()):
            editable += ["-e", str(plugin.relative_to(ROOT))]
        for example in sorted(
            p for p in (ROOT / "docs" / "examples").iterdir() if (p / "pyproject.toml").exists()
        ):
            editable += ["-e", str(example.relative_to(ROOT))]
    _run(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", *editable)
    for other in VENV.glob(".eduscore-*"):
        other.unlink()
    stamp.write_text(stamp_value)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"demo", "test"}:
        sys.exit(__doc__)
    command, rest = argv[0], argv[1:]
    if command == "demo":
        ensure_env("")
        _run(BIN / "eduscore", "demo", *rest)
    else:
        ensure_env("testing", groups=("test", "dev"))
        _run(BIN / "ruff", "check", "src", "tests", "plugins", "docs", "benchmarks", "dev.py")
        _run(BIN / "ruff", "format", "--check", "src", "tests", "plugins", "docs", "benchmarks", "dev.py")
        _run(BIN / "mypy")
        _run(BIN / "lint-imports")  # the floors: each layer imports only the layers below it
        # Every core; the slow brute-force, fuzz and stress tests only with --all (CI).
        selection = [] if "--all" in rest else ["-m", "not slow"]
        rest = [a for a in rest if a != "--all"]
        _run(PY, "-m", "pytest", "-n", "auto", *selection, *rest)


if __name__ == "__main__":
    main(sys.argv[1:])
