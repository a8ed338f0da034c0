"""Docs that run: the generated reference is current, examples in docs and docstrings pass."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

from eduscore.report.reference import reference

ROOT = Path(__file__).resolve().parents[1]
MODULES = [
    "eduscore",
    "eduscore.model.formula",
    "eduscore.model.framework",
    "eduscore.engine.evaluate",
    "eduscore.testing",
    "eduscore.engine.grading",
    "eduscore.plugins.overlay",
    "eduscore.planning.analysis",
    "eduscore.planning.plan",
    "eduscore.planning.margins",
    "eduscore.planning.whatif",
    "eduscore.report.docx",
]


def test_indicator_reference_is_generated_from_the_documents() -> None:
    committed = (ROOT / "docs" / "indicators.md").read_text("utf-8")
    assert committed == reference(), (
        "docs/indicators.md is stale: run python -m eduscore.report.reference > docs/indicators.md"
    )


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0


@pytest.mark.parametrize("page", ["python-api.md", "plugins.md", "planning.md"])
def test_doc_page_examples(page: str) -> None:
    failures, tried = doctest.testfile(
        str(ROOT / "docs" / page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert tried > 0 and failures == 0


def test_readme_quick_start_has_exactly_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", quick, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["python3 dev.py demo", "python3 dev.py test"]
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "python3 dev.py test" in ci


def test_every_validation_rule_is_documented() -> None:
    from eduscore.inputs.validate import RULES

    page = (ROOT / "docs" / "validation.md").read_text("utf-8")
    for rule in RULES.values():
        assert f"| `{rule.id}` | {rule.severity} |" in page, f"docs/validation.md lacks {rule.id}"
