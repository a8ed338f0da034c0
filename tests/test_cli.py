"""The CLI on real files: exit codes, readers, reports, template, explain, show."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import jsonschema
import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import eduscore
from eduscore.model import contract
from eduscore.model.framework import load_schema
from eduscore.report.html import render_html
from eduscore.report.markdown import render_markdown
from eduscore.report.xlsx import write_xlsx
from eduscore.report.xlsx_words import sheet_name
from helpers import AT_THRESHOLD_PRIMARY, run_cli, school, table

ARTIFACTS = Path(os.environ.get("EDUSCORE_TEST_ARTIFACTS", Path(__file__).parent / "artifacts"))


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=env)


def test_demo_writes_terminal_html_xlsx_json(tmp_path: Path) -> None:
    proc = cli("demo", "--out", str(tmp_path), env={"COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert "SYNTHETIC" in proc.stdout and "未通过认定" in proc.stdout and "示例县北坡村小学" in proc.stdout
    assert "14 行 = 计入 13 + 不纳入 1 + 未采用 0 + 未使用 0" in proc.stdout
    for name in ("report.html", "report.xlsx", "result.json"):
        assert (tmp_path / name).exists(), name
        assert str(tmp_path / name) in proc.stdout
    jsonschema.validate(json.loads((tmp_path / "result.json").read_text("utf-8")), load_schema("result"))
    english = cli("demo", "--out", str(tmp_path / "en"), "--lang", "en", "--format", "md", "--format", "csv")
    assert "not certified" in english.stdout
    assert (tmp_path / "en" / "checks.csv").read_bytes().startswith("\ufeff".encode())
    assert "| Rule |" in (tmp_path / "en" / "report.md").read_text("utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "nope.csv"], "文件 nope.csv 不存在"),
        (["evaluate", "nope.csv", "--lang", "en"], "file nope.csv does not exist"),
        (["evaluate"], "没有输入文件"),
        (["evaluate", "--lang", "en"], "no input files"),
        (["demo", "--out", "{tmp}", "--format", "pdf"], "未知的报告格式 pdf"),
        (["demo", "--out", "{tmp}", "--format", "pdf", "--lang", "en"], "unknown output format"),
        (["evaluate", "--schools", "{bad}", "--lang", "en"], "required column(s) missing"),
        (["evaluate", "--schools", "{bad}", "--lang", "zh"], "学校表缺少必需的列"),
        (["evaluate", "--schools", "{bad}", "--county", "33048x"], "--county"),
        (["demo", "--relax", "no_such"], "框架没有放宽条件 no_such"),
        (["demo", "--relax", "no_such", "--lang", "en"], "unknown relaxation"),
        (["show", "quality-balance-2071"], "是否指 'quality-balance-2017'"),
        (["show", "quality-balance-2071", "--lang", "en"], "did you mean 'quality-balance-2017'"),
        (["explain", "cv.nothing.primary", "--demo"], "没有检查项"),
        (["explain", "cv.nothing.primary", "--demo", "--lang", "en"], "no check"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    bad = tmp_path / "schools.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    proc = cli(*(a.format(tmp=tmp_path, bad=bad) for a in args))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and message in proc.stderr


def test_fail_on_not_certified_for_pipelines(tmp_path: Path) -> None:
    assert cli("demo", "--out", str(tmp_path), "--fail-on-not-certified", "-q").returncode == 3


def test_gbk_chinese_headers_and_wan_yuan_equal_utf8_english(tmp_path: Path) -> None:
    """A GBK CSV with Chinese headers and 万元 evaluates to the same result as UTF-8 English."""
    rows = [
        school("a", **AT_THRESHOLD_PRIMARY),
        school("b", **{**AT_THRESHOLD_PRIMARY, "sports_area_m2": 6000.0}),
    ]
    english = table(rows)
    (tmp_path / "en").mkdir()
    pacsv.write_csv(english, tmp_path / "en" / "schools.csv")
    zh = {c.name: c.zh for c in contract.SCHOOLS}
    header, cols = [], []
    for name in english.column_names:
        values = english.column(name).to_pylist()
        if name == "equipment_value_cny":
            header.append("教学仪器设备值(万元)")
            cols.append([f"{v / 10_000:g}" for v in values])
        else:
            header.append(zh[name])
            cols.append([str(v) for v in values])
    text = ",".join(header) + "\n" + "\n".join(",".join(r) for r in zip(*cols, strict=True)) + "\n"
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "学校.csv").write_bytes(text.encode("gbk"))
    (tmp_path / "en" / "counties.csv").write_text(
        "county_code,social_recognition\n990101,0.9\n", encoding="utf-8"
    )
    (tmp_path / "zh" / "县.csv").write_bytes("县区代码,社会认可度(%)\n990101,90\n".encode("gbk"))
    out = {}
    for lang in ("en", "zh"):
        files = sorted(str(p) for p in (tmp_path / lang).glob("*.csv"))
        proc = cli("evaluate", *files, "--json", str(tmp_path / f"{lang}.json"), "-q")
        assert proc.returncode == 0, proc.stderr
        out[lang] = json.loads((tmp_path / f"{lang}.json").read_text("utf-8"))
    for key in ("verdicts", "checks", "dispersion", "section_checks"):
        assert out["en"][key] == out["zh"][key], key
    assert out["zh"]["rejected"] == []


def test_a_filled_in_template_evaluates_without_edits(tmp_path: Path) -> None:
    path = tmp_path / "模板.xlsx"
    assert cli("template", "-o", str(path)).returncode == 0
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["学校", "县", "说明"]
    schools, counties = book["学校"], book["县"]
    headers = [c.value for c in schools[1]]
    zh = {c.zh: c.name for c in contract.SCHOOLS}
    assert all(h in zh for h in headers), [h for h in headers if h not in zh]
    values = {
        **AT_THRESHOLD_PRIMARY,
        "county_code": "990101",
        "school_id": "S1",
        "school_name": "甲小学",
        "school_type": "小学",
        "year": 2024,
        "location": "乡村",
        "ownership": "公办",
    }
    for i, h in enumerate(headers, start=1):
        v = values.get(zh[h])
        if v is not None:
            schools.cell(row=2, column=i, value=v)
    cheaders = [c.value for c in counties[1]]
    czh = {c.zh: c for c in contract.COUNTIES}
    for i, h in enumerate(cheaders, start=1):
        col = czh[h]
        value = {"county_code": "990101", "county_name": "示例县", "year": 2024}.get(col.name)
        if value is None:
            value = {"bool": "是", "rate": "100%", "float": 9000, "int": 2000}.get(col.type)
        if col.name.startswith("veto_"):
            value = "否"
        if col.valid is not None:  # a monitoring level is 1-4
            value = col.valid[1]
        counties.cell(row=2, column=i, value=value)
    book.save(path)
    proc = cli("evaluate", str(path), "--json", str(tmp_path / "r.json"), "-q")
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert result["rejected"] == []
    assert [a["rows"] for a in result["accounting"]] == [1, 1]
    assert result["verdicts"][0]["n_not_assessed"] < 20  # the template carries the columns the checks read


def _recalculated_cvs(path: Path) -> dict[tuple[str, str, int], float]:
    import formulas

    model = formulas.ExcelModel().loads(str(path)).finish()
    solution = model.calculate()
    out = {}
    for key, value in solution.items():
        if (
            f"[{path.name.upper()}]{sheet_name('cv', 'zh').upper()}" in key.upper()
            and "!" in key
            and ":" not in key.split("!")[1]
        ):
            cell = key.split("!")[1]
            raw = value.value[0, 0] if hasattr(value, "value") else value
            if isinstance(raw, float | int):
                col = "".join(ch for ch in cell if ch.isalpha())
                row = int("".join(ch for ch in cell if ch.isdigit()))
                out[(col, str(row), 0)] = float(raw)
    return out


def test_xlsx_formula_cvs_recalculate_to_the_engine_cvs(tmp_path: Path) -> None:
    result = eduscore.evaluate(**eduscore.demo_inputs())
    path = write_xlsx(result, tmp_path, "zh")
    book = openpyxl.load_workbook(path)  # formulas, not cached values
    ws = book[sheet_name("cv", "zh")]
    headers = [c.value for c in ws[1]]
    recalculated = _recalculated_cvs(path)
    fw = result.framework
    disp = {(d["level"], d["indicator"]): d for d in result.dispersion.to_pylist()}
    checked = 0
    for row in ws.iter_rows(min_row=2):
        if row[2].value not in ("小学", "初中"):
            break  # the CV table ends; the recomputed resource verdict is below it
        level = {"小学": "primary", "初中": "junior"}[row[2].value]
        for k, ind in enumerate(fw.indicators):
            cv_cell = row[5 + 2 * k]
            assert "SQRT(MAX(0,SUMPRODUCT(" in str(cv_cell.value), cv_cell.value
            assert headers[5 + 2 * k] == f"{ind.name.zh} 差异系数"
            got = recalculated[(cv_cell.column_letter, str(cv_cell.row), 0)]
            assert math.isclose(got, disp[(level, ind.id)]["cv"], rel_tol=1e-9), (level, ind.id)
            checked += 1
    assert checked == 14


HOSTILE = "<script>alert(1)</script>"


def _hostile_result() -> eduscore.Result:
    rows = [
        school("x", **{**AT_THRESHOLD_PRIMARY, "sports_area_m2": 1000.0}),
        school("y", **{**AT_THRESHOLD_PRIMARY, "sports_area_m2": 1000.0}),
    ]
    t = table(rows)
    names = [HOSTILE, '=HYPERLINK("http://example.invalid","x")|*_[a](b)']
    t = t.set_column(t.column_names.index("school_name"), "school_name", pa.array(names))
    return eduscore.evaluate(schools=t)


def test_text_from_inputs_is_inert_in_html_markdown_and_xlsx(tmp_path: Path) -> None:
    result = _hostile_result()
    page = render_html(result)
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    md = render_markdown(result)
    assert HOSTILE not in md and "\\<script\\>" in md and "\\|\\*\\_\\[a\\](b)" in md
    path = write_xlsx(result, tmp_path)
    ws = openpyxl.load_workbook(path)[sheet_name("sections", "zh")]
    cells = [
        c
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")
    ]
    assert cells and all(c.data_type == "s" for c in cells)
    # Every cell that came from an input and starts like a formula stays text.
    for start in ("+", "-", "@"):
        t = table([school("z", **{**AT_THRESHOLD_PRIMARY, "sports_area_m2": 1.0})])
        t = t.set_column(t.column_names.index("school_name"), "school_name", pa.array([f"{start}SUM(1,2)"]))
        path = write_xlsx(eduscore.evaluate(schools=t), tmp_path / f"x{ord(start)}")
        book = openpyxl.load_workbook(path)
        found = [
            c for s in book.worksheets for r in s.iter_rows() for c in r if c.value == f"{start}SUM(1,2)"
        ]
        assert found and all(c.data_type == "s" for c in found), start


def _chrome() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.mark.skipif(
    _chrome() is None, reason="Chromium and chromedriver are not installed (.ci/run installs them)"
)
def test_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    browser, driver_path = _chrome()  # type: ignore[misc]
    result = eduscore.evaluate(**eduscore.demo_inputs())
    hostile = _hostile_result()
    (tmp_path / "demo.html").write_text(render_html(result), encoding="utf-8")
    (tmp_path / "hostile.html").write_text(render_html(hostile), encoding="utf-8")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,2000",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get((tmp_path / "demo.html").as_uri())
        charts = driver.find_elements(By.CSS_SELECTOR, "svg")
        assert len(charts) >= 2 + 14  # two CV charts, a distribution per indicator and level
        bars = driver.find_elements(By.CSS_SELECTOR, "svg rect.bar")
        assert len(bars) == 14 and all(b.size["width"] > 0 for b in bars)
        assert "未通过认定" in driver.find_element(By.CSS_SELECTOR, ".verdict").text
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(ARTIFACTS / "report.png"))
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == []
        driver.get((tmp_path / "hostile.html").as_uri())
        assert HOSTILE in driver.find_element(By.TAG_NAME, "body").text  # shown as text
        assert driver.execute_script("return document.querySelectorAll('main script').length") == 0
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        driver.quit()


def test_explain_derives_the_engine_cv() -> None:
    proc = cli("explain", "cv.sports_area_per_student.primary", "--demo", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    result = eduscore.evaluate(**eduscore.demo_inputs())
    cv = next(c for c in result.checks.to_pylist() if c["check_id"] == "cv.sports_area_per_student.primary")
    assert f"CV = S / x̄ = {cv['value']:.6f}" in proc.stdout
    assert "x̄  = Σ p·x / P" in proc.stdout and "示例县北坡村小学" in proc.stdout
    six = cli("explain", "school_six_of_seven", "--demo", "--school", "990101007", "--lang", "en")
    assert six.returncode == 0 and "示例县北坡村小学" in six.stdout and "fail" in six.stdout


def test_show_lists_rules_after_overlays() -> None:
    proc = cli("show", "quality-balance-2017", "--county", "210102", "--year", "2024", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert "liaoning-quality-balance" in proc.stdout and "shenyang-quality-balance" in proc.stdout
    assert "1150" in proc.stdout.replace(",", "")


def test_county_option_fills_the_code_and_filters(tmp_path: Path) -> None:
    no_code = table([{k: v for k, v in school("a", **AT_THRESHOLD_PRIMARY).items() if k != "county_code"}])
    pacsv.write_csv(no_code, tmp_path / "schools.csv")
    proc = cli(
        "evaluate",
        str(tmp_path / "schools.csv"),
        "--county",
        "330482",
        "--json",
        str(tmp_path / "r.json"),
        "-q",
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert [v["county_code"] for v in result["verdicts"]] == ["330482"]
    two = table([school("a", **AT_THRESHOLD_PRIMARY), school("b", county="330483", **AT_THRESHOLD_PRIMARY)])
    pacsv.write_csv(two, tmp_path / "two.csv")
    proc = cli(
        "evaluate",
        "--schools",
        str(tmp_path / "two.csv"),
        "--county",
        "990101",
        "--json",
        str(tmp_path / "t.json"),
        "-q",
    )
    result = json.loads((tmp_path / "t.json").read_text("utf-8"))
    assert [v["county_code"] for v in result["verdicts"]] == ["990101"]
    assert result["accounting"][0] | {} == {**result["accounting"][0], "rows": 2, "scored": 1, "unused": 1}


def test_workbook_with_title_rows_and_chinese_sheet_names(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "县数据.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("学校基本情况")
    ws.merge_range(0, 0, 0, 5, "2024年义务教育学校基本情况表")
    ws.write_row(
        1, 0, ["县区代码", "学校标识码", "学校名称", "学校类型", "小学在校生数", "体育运动场馆面积(平方米)"]
    )
    ws.write_row(2, 0, ["990101", "a", "甲", "小学", 100, 800])
    ws.write_row(3, 0, ["990101", "b", "乙", "小学", "一百", 800])
    book.add_worksheet("县级指标").write_row(0, 0, ["县区代码", "社会认可度"])
    book.get_worksheet_by_name("县级指标").write_row(1, 0, ["990101", "90%"])
    book.close()
    result = eduscore.evaluate(schools=path, counties=path)
    rejected = result.rejected.to_pylist()
    assert [(r["source"], r["sheet"], r["row"], r["column"], r["value"]) for r in rejected] == [
        (str(path), "学校基本情况", 4, "students_primary", "一百")
    ]
    social = next(c for c in result.checks.to_pylist() if c["check_id"] == "social_recognition")
    assert social["value"] == pytest.approx(0.9)


def test_legacy_xls_workbooks_are_read(tmp_path: Path) -> None:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("学校")
    for c, h in enumerate(
        ["县区代码", "学校标识码", "学校名称", "学校类型", "小学在校生数", "体育运动场馆面积(平方米)"]
    ):
        sheet.write(0, c, h)
    for c, v in enumerate(["990101", "a", "甲小学", "小学", 100, 750]):
        sheet.write(1, c, v)
    book.save(str(tmp_path / "schools.xls"))
    proc = cli("evaluate", str(tmp_path / "schools.xls"), "--json", str(tmp_path / "r.json"), "-q")
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "r.json").read_text("utf-8"))
    value = next(c["value"] for c in result["section_checks"] if c["check_id"] == "sports_area_per_student")
    assert value == 7.5 and result["rejected"] == []


def test_terminal_report_fits_a_narrow_terminal(tmp_path: Path) -> None:
    from rich.cells import cell_len

    proc = cli("demo", "--out", str(tmp_path), env={"COLUMNS": "60"})
    assert proc.returncode == 0, proc.stderr
    report = [line for line in proc.stdout.splitlines() if not line.startswith(("演示数据", "已写入"))]
    assert report and max(cell_len(line) for line in report) <= 60
    assert "\x1b[" not in proc.stdout  # no colour codes when not a terminal


def test_a_county_code_that_matches_nothing_and_an_unknown_format_stop_early(tmp_path: Path) -> None:
    """Found by the new-user walk: ``--county 123456`` wrote empty reports with exit 0;
    ``--format pdf`` printed the whole report before refusing."""
    demo = sorted(str(p) for p in (Path(eduscore.__file__).parent / "demo").glob("*.csv"))
    proc = cli("evaluate", *demo, "--county", "123456", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "123456" in proc.stderr and "没有这个县代码" in proc.stderr
    assert not (tmp_path / "o").exists()
    proc = cli("demo", "--out", str(tmp_path / "p"), "--format", "pdf")
    assert proc.returncode == 2 and "未知的报告格式 pdf" in proc.stderr
    assert proc.stdout == "" and not (tmp_path / "p").exists()
