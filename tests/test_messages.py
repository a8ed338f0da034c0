"""Messages by code: the catalog renders every reason of the engine in both languages,
with no regex back-translation of English text."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eduscore
from eduscore.model import messages
from eduscore.model.messages import CATALOG, KEY, SEP, coded, coded_array, placeholders, render

SRC = Path(eduscore.__file__).parent


def test_every_message_has_both_languages_and_the_same_arguments() -> None:
    for code, message in CATALOG.items():
        assert message.en.strip() and message.zh.strip(), code
        assert re.search(r"[\u4e00-\u9fff]", message.zh), f"{code}: the Chinese text is not Chinese"
        en, zh = placeholders(message.en), placeholders(message.zh)
        used = en | zh
        # Each language may say an argument its own way (a Chinese label for an English
        # id), but together they use arguments 0 … k-1, none beyond.
        assert used == {str(i) for i in range(len(used))}, code


def test_every_code_the_source_emits_is_in_the_catalog() -> None:
    emitted = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text("utf-8")
        emitted |= set(re.findall(r"\bcoded(?:_array)?\(\s*\"([a-z_.]+)\"", text))
        emitted |= set(re.findall(r"\blabel\(\s*\"([a-z_.]+)\"", text))
        emitted |= {m.removeprefix(KEY) for m in re.findall(rf"\"({KEY}[a-z_.]+)\"", text)}
    assert emitted, "the scan found no codes"
    assert sorted(emitted - set(CATALOG)) == []


def test_no_regex_back_translation_remains() -> None:
    view = (SRC / "report" / "view.py").read_text("utf-8")
    assert "_REASONS_ZH" not in view and "def localise" not in view


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=50), st.sampled_from(["zh", "en"]))
def test_rendering_a_column_equals_rendering_each_row(counts: list[int], lang: str) -> None:
    column = coded_array("units_fail", pa.array(counts), f"{KEY}count.sections")
    mixed = pa.concat_arrays(
        [column, pa.array([coded("cv_undefined"), "plain text", None], pa.string())]  # type: ignore[list-item]
    )
    whole = render(mixed, lang).to_pylist()
    one_by_one = [messages.text(x, lang) for x in mixed.to_pylist()]
    assert whole == one_by_one
    assert whole[-2:] == ["plain text", None]
    expected = "{0} 个学校(学段)未达标" if lang == "zh" else "{0} school section(s) fail"
    assert whole[: len(counts)] == [expected.format(n) for n in counts]


def test_a_missing_argument_renders_empty_not_an_error() -> None:
    assert render(pa.array([SEP + "missing_input"]), "en").to_pylist() == ["missing input  ()"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_demo_reasons_are_in_the_report_language(lang: str) -> None:
    result = eduscore.evaluate(**eduscore.demo_inputs())
    column = "reason_zh" if lang == "zh" else "reason"
    reasons = [r for r in result.checks.column(column).to_pylist() if r]
    assert reasons
    for reason in reasons:
        assert SEP not in reason
        has_chinese = bool(re.search(r"[\u4e00-\u9fff]", reason))
        assert has_chinese == (lang == "zh") or re.search(r"[\u4e00-\u9fff]", reason), reason
    if lang == "zh":
        assert all(re.search(r"[\u4e00-\u9fff]", r) for r in reasons), reasons
        (verdict,) = result.verdicts.to_pylist()
        assert all(re.search(r"[\u4e00-\u9fff]", r) for r in verdict["reasons_zh"])
        assert verdict["verdict_zh"] == messages.label(f"verdict.{verdict['verdict']}", "zh")
