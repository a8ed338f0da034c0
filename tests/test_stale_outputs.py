"""A run into a folder that holds an earlier run's files leaves none of that run's files
of the formats it writes again: a county page or a Parquet part from the earlier run,
beside this run's index and document, would be read as this run's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import eduscore
from eduscore.report.files import MANIFEST_NAME
from eduscore.report.formats import write_outputs
from eduscore.result import Result
from eduscore.synthetic import national


@pytest.fixture(scope="module")
def many() -> Result:
    data = national(0.01, seed=5)  # a few dozen counties: an index and county pages
    return eduscore.evaluate(schools=data["schools"], counties=data["counties"])


@pytest.fixture(scope="module")
def one() -> Result:
    return eduscore.evaluate(**eduscore.demo_inputs())


def _files(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".eduscore")
    }


def test_county_pages_of_an_earlier_run_are_removed(tmp_path: Path, many: Result, one: Result) -> None:
    write_outputs(many, tmp_path, ["html", "json"])
    pages = {f for f in _files(tmp_path) if f.startswith("counties/")}
    assert len(pages) == many.verdicts.num_rows  # the earlier run wrote one page per county
    write_outputs(one, tmp_path, ["html", "json"])
    assert _files(tmp_path) == {"report.html", "result.json"}
    assert not (tmp_path / "counties").exists()
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest == {"html": ["report.html"], "json": ["result.json"]}


def test_parquet_parts_of_a_large_result_are_removed(
    tmp_path: Path, many: Result, one: Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    import eduscore.result

    # The split form at a small size: every table of more than 10 rows goes to Parquet.
    monkeypatch.setattr(eduscore.result, "SPLIT_ROWS", 10)
    monkeypatch.setattr(eduscore.result, "INLINE_ROWS", 10)
    write_outputs(many, tmp_path, ["json"])
    parts = {f for f in _files(tmp_path) if f.endswith(".parquet")}
    assert parts  # the earlier run was split
    monkeypatch.undo()
    write_outputs(one, tmp_path, ["json"])  # one document now
    assert _files(tmp_path) == {"result.json"}


def test_other_formats_and_the_users_files_stay(tmp_path: Path, many: Result, one: Result) -> None:
    write_outputs(many, tmp_path, ["html", "json"])
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "counties" / "mine.txt").write_text("mine too", encoding="utf-8")
    write_outputs(one, tmp_path, ["html"])  # json not written again: its file stays
    left = _files(tmp_path)
    assert {"report.html", "result.json", "notes.txt", "counties/mine.txt"} == left
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["html"] == ["report.html"] and manifest["json"] == ["result.json"]


def test_a_damaged_manifest_removes_nothing(tmp_path: Path, many: Result, one: Result) -> None:
    write_outputs(many, tmp_path, ["html"])
    (tmp_path / MANIFEST_NAME).write_text("{not json", encoding="utf-8")
    before = _files(tmp_path)
    write_outputs(one, tmp_path, ["html"])
    assert before <= _files(tmp_path)  # unknown ownership: nothing is deleted


def test_a_manifest_entry_leading_out_of_the_folder_is_ignored(tmp_path: Path, one: Result) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not eduscore's", encoding="utf-8")
    folder = tmp_path / "out"
    write_outputs(one, folder, ["html"])
    planted = {"html": ["report.html", "../outside.txt"]}
    (folder / MANIFEST_NAME).write_text(json.dumps(planted), encoding="utf-8")
    write_outputs(one, folder, ["html"])
    assert outside.read_text(encoding="utf-8") == "not eduscore's"


def test_files_of_an_earlier_run_that_stay_are_announced(tmp_path: Path, many: Result, one: Result) -> None:
    """A re-run into the same folder without the docx format leaves the earlier draft
    (its verdict may be the opposite): the run says so, naming the file (new-user walk)."""
    from eduscore.report.context import RenderContext

    write_outputs(many, tmp_path, ["html", "json"])
    context = RenderContext(one, "zh")
    write_outputs(context, tmp_path, ["html"])
    assert len(context.notices) == 1 and "result.json" in context.notices[0] and "json" in context.notices[0]
    again = RenderContext(one, "en")
    write_outputs(again, tmp_path, ["html", "json"])  # every earlier format rewritten: nothing to say
    assert again.notices == []
