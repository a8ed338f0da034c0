"""Chinese throughout (issue #14 item 2): the Chinese reports (HTML, Markdown, terminal,
XLSX) of the demo county and of a synthetic sample of many counties carry no English
words, outside an allow-list of
what is not prose — ids (check, rule, indicator and column names, which have
underscores or dots, or are listed below), file names, option names and codes.

An English word that slips into a Chinese report (a gloss, a rule set id, an
untranslated label) fails this test, naming the word and where it stands."""

from __future__ import annotations

import html as html_lib
import io
import re
from collections.abc import Iterable
from pathlib import Path

import openpyxl
import pyarrow.csv as pv
import pytest

import eduscore
from eduscore.model import contract
from eduscore.report.context import RenderContext
from eduscore.report.explain import explain
from eduscore.report.html import render_html, write_html
from eduscore.report.markdown import render_markdown
from eduscore.report.terminal import print_report
from eduscore.report.xlsx import PER_COUNTY_FOLDER, is_summary, write_xlsx
from eduscore.synthetic import national

#: Words that are not prose: the product's name and Excel's, a marker the demo data
#: carries, the abbreviation of the coefficient of variation inspectors write too, units
#: and codes, file formats.
ALLOWED = {"eduscore", "Excel", "SYNTHETIC", "CV", "GB", "CNY"}
ALLOWED |= {"csv", "xlsx", "html", "json", "md", "parquet", "Parquet"}
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*[A-Za-z0-9]|[A-Za-z]")


def _ids(result: eduscore.Result) -> set[str]:
    fw = result.framework
    ids = {r.id for r in fw.rules} | {i.id for i in fw.indicators}
    ids |= set(result.checks.column("check_id").to_pylist())
    ids |= {c.name for table in contract.TABLES.values() for c in table} | {c.name for c in fw.inputs}
    ids |= set(result.findings.column("rule").to_pylist()) | set(result.findings.column("value").to_pylist())
    ids |= set(result.findings.column("column").to_pylist())
    ids |= {fw.id} | {r["rule_set"] for r in result.rule_sets}
    return {str(i) for i in ids if i}


def english_words(text: str, allowed: Iterable[str]) -> list[str]:
    """The words of ``text`` that are English prose: ASCII words that are not ids (no
    underscore, no dot, not in ``allowed``), not option names, not single letters."""
    allow = set(allowed) | ALLOWED
    found = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        before, after = text[max(0, m.start() - 1) : m.start()], text[m.end() : m.end() + 1]
        if before in "((" and after in "))" and before and after and "_" in word:
            # A raw id in brackets inside a sentence ("(left_behind_care_system)"): ids
            # stand apart, in a quiet style, never as part of the text.
            found.append(f"{word!r} in …{text[max(0, m.start() - 40) : m.end() + 20]!r}")
            continue
        if word in allow or "_" in word or "." in word or len(word) < 2:
            continue
        if text[max(0, m.start() - 2) : m.start()] == "--":  # an option name
            continue
        found.append(f"{word!r} in …{text[max(0, m.start() - 40) : m.end() + 20]!r}")
    return found


def _visible_html(page: str) -> str:
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<code>.*?</code>", " ", page, flags=re.S)  # ids, shown quietly
    page = re.sub(r"<title>.*?</title>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html_lib.unescape(page)


def _markdown_prose(text: str) -> str:
    text = re.sub(r"\\(.)", r"\1", text)  # Markdown's escapes (unknown\_column)
    return re.sub(r"`[^`]*`", " ", text)  # ids in code spans, shown quietly


@pytest.fixture(scope="module", params=["demo", "demo-missing-inputs", "national-sample"])
def result(request: pytest.FixtureRequest) -> eduscore.Result:
    if request.param == "demo":
        return eduscore.evaluate(**eduscore.demo_inputs())
    if request.param == "demo-missing-inputs":  # checks not assessed, and what to supply
        inputs = eduscore.demo_inputs()
        schools = pv.read_csv(inputs["schools"])
        schools = schools.drop_columns([c for c in schools.column_names if "班级数" in c])
        counties = pv.read_csv(inputs["counties"]).drop_columns(["社会认可度", "教师平均工资收入(元)"])
        return eduscore.evaluate(schools=schools, counties=counties)
    return eduscore.evaluate(**national(0.01, seed=3))


def _source_names(result: eduscore.Result) -> set[str]:
    """File names of the inputs and their parts (``/work/x/schools.csv``)."""
    out: set[str] = set()
    for source in result.accounting.column("source").to_pylist():
        out |= set(re.split(r"[/\\]", str(source)))
    return out


def test_chinese_html_has_no_english_words(result: eduscore.Result) -> None:
    words = english_words(_visible_html(render_html(result, "zh")), _ids(result) | _source_names(result))
    assert not words, "\n".join(words[:30])


def test_chinese_markdown_has_no_english_words(result: eduscore.Result) -> None:
    text = _markdown_prose(render_markdown(result, "zh"))
    words = english_words(text, _ids(result) | _source_names(result))
    assert not words, "\n".join(words[:30])


def test_chinese_terminal_has_no_english_words(result: eduscore.Result) -> None:
    out = io.StringIO()
    print_report(result, lang="zh", file=out)
    words = english_words(out.getvalue(), _ids(result) | _source_names(result))
    assert not words, "\n".join(words[:30])


def test_the_scan_finds_an_english_word() -> None:
    """The scan itself: an English gloss is found; ids, files and options are not."""
    text = (
        "资源配置 (resource allocation) school_six_of_seven report.html --county 代码 CV "
        "缺少数据:社会认可度(social_recognition)"
    )
    found = english_words(text, set())
    assert [f.split("'")[1] for f in found] == ["resource", "allocation", "social_recognition"]


def test_chinese_index_and_county_pages_have_no_english_words(tmp_path: Path) -> None:
    """Many counties: the index page and every county page."""
    result = eduscore.evaluate(**national(0.01, seed=3))
    write_html(result, tmp_path, "zh")
    pages = [tmp_path / "report.html", *sorted((tmp_path / "counties").glob("*.html"))]
    assert len(pages) == result.verdicts.num_rows + 1
    allowed = _ids(result) | _source_names(result)
    for page in pages:
        words = english_words(_visible_html(page.read_text("utf-8")), allowed)
        assert not words, f"{page.name}:\n" + "\n".join(words[:30])


def test_chinese_explain_has_no_english_words() -> None:
    """``eduscore explain`` of every check of the demo county, and of a CV, in Chinese
    (formulas name columns, which are ids; the CV's algebra uses letters)."""
    result = eduscore.evaluate(**eduscore.demo_inputs())
    allowed = _ids(result) | {"CV", "sqrt", "p/P", "S", "P"}
    checks = result.checks.column("check_id").to_pylist()
    assert len(checks) > 50
    for check in checks:
        words = english_words(explain(result, check, lang="zh"), allowed)
        assert not words, f"{check}:\n" + "\n".join(words[:10])


def _data_ids(result: eduscore.Result) -> set[str]:
    """Ids from the inputs the workbooks list (the per-school sheet's school ids)."""
    s = result.sections
    ids = [
        s.column(c).to_pylist() for c in ("school_id", "kindergarten_id", "unit_id") if c in s.column_names
    ]
    return {str(i) for column in ids for i in column if i}


def _workbooks(result: eduscore.Result, folder: Path, lang: str) -> list[Path]:
    """The workbooks ``--format xlsx --xlsx-per-county`` writes: the full one of one
    county; or the summary of many and each county's full one."""
    path = write_xlsx(RenderContext(result, lang, xlsx_per_county=True), folder)
    return [path, *sorted((folder / PER_COUNTY_FOLDER).glob("*.xlsx"))]


def test_chinese_workbooks_have_no_english_words(result: eduscore.Result, tmp_path: Path) -> None:
    """Every sheet name, every text cell (not formulas: their references and functions
    are Excel's) and every cell's tip of the Chinese workbooks."""
    allowed = _ids(result) | _source_names(result) | _data_ids(result) | {PER_COUNTY_FOLDER}
    books = _workbooks(result, tmp_path, "zh")
    assert len(books) == (1 + result.verdicts.num_rows if is_summary(result) else 1)
    found: list[str] = []
    for path in books:
        for ws in openpyxl.load_workbook(path).worksheets:
            where = f"{path.name}「{ws.title}」"
            found += [f"{where} sheet name: {w}" for w in english_words(ws.title, allowed)]
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str) and c.data_type != "f":
                        found += [f"{where}!{c.coordinate}: {w}" for w in english_words(c.value, allowed)]
            for dv in ws.data_validations.dataValidation:
                found += [f"{where} tip {dv.sqref}: {w}" for w in english_words(dv.prompt or "", allowed)]
    assert not found, f"{len(found)} English words:\n" + "\n".join(found[:30])


_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def test_english_workbooks_name_sheets_and_columns_in_english(
    result: eduscore.Result, tmp_path: Path
) -> None:
    """The English workbooks' sheet names and header rows carry no Chinese, but for names
    from the data (the framework's document number on the summary's first line)."""
    data = {result.framework.document["number"], result.framework.document.get("title", "")}
    found: list[str] = []
    for path in _workbooks(result, tmp_path, "en"):
        for ws in openpyxl.load_workbook(path, read_only=True).worksheets:
            where = f"{path.name} sheet {ws.title!r}"
            if _CJK.search(ws.title):
                found.append(f"{where}: its name")
            header = next(ws.iter_rows(max_row=1, values_only=True), ())
            for value in header:
                text = str(value or "")
                for name in data:
                    text = text.replace(name, "") if name else text
                if _CJK.search(text):
                    found.append(f"{where}: {value!r}")
    assert not found, "\n".join(found[:30])


def test_chinese_self_evaluation_draft_has_no_english_words(result: eduscore.Result, tmp_path: Path) -> None:
    """The 自评报告 (DOCX): every paragraph and table cell of the Chinese draft(s)."""
    import docx

    from eduscore.report.docx import write_docx

    written = write_docx(result, tmp_path, "zh")
    paths = sorted(written.glob("*.docx")) if written.is_dir() else [written]
    assert paths
    allowed = (
        _ids(result) | _source_names(result) | {"Excel", "Parquet", "parquet", "report.xlsx", "report.html"}
    )
    for path in paths:
        document = docx.Document(str(path))
        texts = [p.text for p in document.paragraphs]
        texts += [c.text for t in document.tables for row in t.rows for c in row.cells]
        words = english_words("\n".join(texts), allowed)
        assert not words, f"{path.name}:\n" + "\n".join(words[:30])


def test_workbook_verdict_reasons_name_checks_not_ids(tmp_path: Path) -> None:
    """The verdict sheet's reasons read "name: detail" (the new-user walk found
    "cv.sports_area_per_student.primary: 未达标: " with the detail missing)."""
    from eduscore.report.xlsx_words import sheet_name

    result = eduscore.evaluate(**eduscore.demo_inputs())
    book = openpyxl.load_workbook(write_xlsx(result, tmp_path, "zh"))
    reasons = str(book[sheet_name("verdict", "zh")].cell(row=2, column=9).value)
    assert "每所学校至少6项指标达到要求" in reasons and "school_six_of_seven" not in reasons
    assert "骨干教师不低于交流轮岗教师总数的20%:未达标" in reasons


def test_chinese_show_has_no_english_words(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``eduscore show`` in Chinese (the new-user walk found English headers)."""
    from eduscore.report.show import print_framework

    monkeypatch.setenv("COLUMNS", "400")  # no id wrapped across lines
    fw = eduscore.load_framework("quality-balance-2017")
    print_framework("quality-balance-2017", lang="zh")
    text = capsys.readouterr().out
    allowed = {r.id for r in fw.rules} | {r.kind for r in fw.rules} | {i.id for i in fw.indicators}
    allowed |= {c.name for t in contract.TABLES.values() for c in t} | {
        "coalesce",
        "ceil",
        "and",
        "or",
        "not",
    }
    allowed |= {fw.id}
    text = re.sub(r"'[^']*'", " ", text)  # text literals of formulas (school_type == 'special')
    words = english_words(text, allowed)
    assert not words, "\n".join(words[:30])
