"""The self-evaluation report draft (自评报告, ``--format docx``), read back with python-docx:
its tables against the result's own rows (the dispersion table, the section checks, the
checks, the plan), for the demo county, the preschool framework and many counties; text
from the inputs that would break a Word file does not."""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

import attrs
import docx
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pytest
from docx.document import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

import eduscore
from eduscore.report.context import RenderContext
from eduscore.report.docx import FILE_NAME, FOLDER, MAX_SCHOOLS, write_docx
from eduscore.report.formats import write_outputs
from eduscore.report.text import visible
from eduscore.report.view import STATUS, ReportView, number
from eduscore.synthetic import national
from helpers import run_cli

PRICES = {
    name: 10.0
    for name in (
        "sports_area_m2",
        "equipment_value_cny",
        "teaching_aux_area_m2",
        "teachers_above_degree",
        "backbone_teachers",
        "pe_arts_teachers",
        "multimedia_classrooms",
    )
}
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.fixture(scope="module")
def demo() -> eduscore.Result:
    return eduscore.evaluate(**eduscore.demo_inputs())


# --------------------------------------------------------------------------- reading back
def blocks(document: Document) -> list[Paragraph | Table]:
    """The paragraphs and tables of the body, in document order."""
    out: list[Paragraph | Table] = []
    for child in document.element.body.iterchildren():
        if child.tag.endswith("}p"):
            out.append(Paragraph(child, document))
        elif child.tag.endswith("}tbl"):
            out.append(Table(child, document))
    return out


def is_heading(block: Paragraph | Table, level: int | None = None) -> bool:
    if not isinstance(block, Paragraph):
        return False
    # The style id (python-docx's style lookup by name scans every style on each call).
    style = block._p.style or ""
    return style.startswith("Heading") and (level is None or style == f"Heading{level}")


def headings(document: Document) -> list[str]:
    return [b.text for b in blocks(document) if isinstance(b, Paragraph) and is_heading(b)]


def section(document: Document, heading: str, level: int = 1) -> list[Paragraph | Table]:
    """The blocks under the heading that ends with ``heading``, to the next heading of its level."""
    body = blocks(document)
    starts = [i for i, b in enumerate(body) if is_heading(b, level) and b.text.endswith(heading)]
    assert len(starts) == 1, (heading, headings(document))
    out = []
    for b in body[starts[0] + 1 :]:
        if any(is_heading(b, k) for k in range(1, level + 1)):
            break
        out.append(b)
    return out


def table_under(document: Document, heading: str, level: int = 2) -> list[list[str]]:
    """The rows (cell texts) of the first table under the heading ending with ``heading``."""
    table = next(b for b in section(document, heading, level) if isinstance(b, Table))
    return [[cell.text for cell in row.cells] for row in table.rows]


def all_text(document: Document) -> str:
    parts = []
    for b in blocks(document):
        if isinstance(b, Paragraph):
            parts.append(b.text)
        else:
            parts += [cell.text for row in b.rows for cell in row.cells]
    return "\n".join(parts)


# --------------------------------------------------------------------------- the checks
def check_resource_tables(document: Document, result: eduscore.Result, code: str, lang: str = "zh") -> int:
    """Every figure of the per-level resource tables against the dispersion table and a
    count of the section checks; returns the lines checked."""
    view = ReportView(result, lang)
    fw = result.framework
    indicators = {i.id for i in fw.indicators}  # not the mean of the CVs, an information line
    disp = result.dispersion.filter(pc.equal(result.dispersion.column("county_code"), code)).to_pylist()
    disp = [d for d in disp if d["indicator"] in indicators]
    sc = result.section_checks.filter(pc.equal(result.section_checks.column("county_code"), code))
    statuses: dict[tuple[str, str], Counter[str]] = {}
    for r in sc.select(["level", "check_id", "status"]).to_pylist():
        statuses.setdefault((r["level"] or "", r["check_id"]), Counter())[r["status"]] += 1
    part = fw.groups["resources"].get(lang)
    checked = 0
    for level in sorted({d["level"] for d in disp}):
        title = f"{part}情况({view.level(level)})" if lang == "zh" else f"{part} ({level})"
        rows = table_under(document, title)
        assert rows[0][:2] == (["指标", "全县值"] if lang == "zh" else ["Indicator", "County value"])
        by_name = {row[0]: row for row in rows[1:]}
        for d in (d for d in disp if d["level"] == level):
            name = view.indicator_name(d["indicator"])
            _, value, _standard, meeting, cv, limit, status = by_name.pop(name)
            assert value == view.amount(d["mean"], view.measure(d["indicator"]))
            assert cv == number(d["cv"])
            assert limit == (f"≤ {number(d['limit'])}" if d["limit"] is not None else "—")
            assert status == STATUS[lang].get(d["status"], "—")
            s = statuses.get((level, d["indicator"]), Counter())
            assessed = s["pass"] + s["fail"] + s["basic_pass"]
            if not assessed and not s["not_assessed"] and _standard == "—":
                assert meeting == "—"  # no standard per school (basic balance)
            elif lang == "zh":
                assert meeting.startswith(f"{s['pass']}/{assessed} 所"), (name, meeting, s)
            else:
                assert meeting.startswith(f"{s['pass']} of {assessed}"), (name, meeting, s)
            checked += 1
        assert not by_name, by_name  # no line that the result does not have
    return checked


def check_group_tables(document: Document, result: eduscore.Result, code: str, lang: str = "zh") -> None:
    """Each part's table lists exactly that part's checks, with their statuses."""
    checks = result.checks.filter(pc.equal(result.checks.column("county_code"), code)).to_pylist()
    name_key = "name_zh" if lang == "zh" else "name_en"
    groups = {c["group"] for c in checks} - {"relaxation"}
    assert groups
    view = ReportView(result, lang)
    for group in groups:
        part = view.group_name(group)
        title = f"{part}评估项目" if lang == "zh" else f"Checks: {part}"
        rows = table_under(document, title)
        got = Counter((row[0], row[3]) for row in rows[1:])
        want = Counter((c[name_key], STATUS[lang][c["status"]]) for c in checks if c["group"] == group)
        assert got == want, group


def check_problems(document: Document, result: eduscore.Result, code: str) -> None:
    """The problems section lists every failed and every not-assessed check."""
    checks = result.checks.filter(pc.equal(result.checks.column("county_code"), code)).to_pylist()
    failed = Counter(c["name_zh"] for c in checks if c["status"] in ("fail", "basic_pass"))
    missing = Counter(c["name_zh"] for c in checks if c["status"] in ("not_assessed", "not_computable"))
    problems = section(document, "存在的问题")
    assert problems
    if failed:
        assert Counter(row[1] for row in table_under(document, "未达标项目")[1:]) == failed
    if missing:
        assert Counter(row[1] for row in table_under(document, "未评估项目(需补充的数据)")[1:]) == missing
    else:
        assert not any(is_heading(b) and "未评估项目" in b.text for b in problems)


# --------------------------------------------------------------------------- the demo
def test_cli_writes_the_demo_county_draft(tmp_path: Path, demo: eduscore.Result) -> None:
    files = eduscore.demo_inputs()
    proc = run_cli(
        "evaluate", *(str(files[k]) for k in ("schools", "counties")), "--format", "docx", "--out", tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / FILE_NAME
    assert str(path) in proc.stdout
    document = docx.Document(str(path))
    code = "990101"
    title = document.paragraphs[0]
    assert title.style is not None and title.style.name == "Title"
    assert title.text == "示例县(合成数据)义务教育优质均衡发展督导评估自评报告"
    assert "草稿" in document.paragraphs[1].text
    assert check_resource_tables(document, demo, code) == 14  # seven indicators, two levels
    check_group_tables(document, demo, code)
    check_problems(document, demo, code)
    # The sections in the order of the framework's parts, then the problems and measures.
    top = [h for h in headings(document) if re.match("^[一二三四五六七八九十]+、", h)]
    assert top == [
        "一、基本情况",
        "二、申请条件",
        "三、资源配置",
        "四、政府保障程度",
        "五、教育质量",
        "六、社会认可度",
        "七、一票否决",
        "八、存在的问题",
        "九、整改措施",
    ]
    # Six of seven, as the first page counts it: 6 of 10 primary, 4 of 5 junior.
    text = all_text(document)
    assert "每所学校至少6项指标达到要求,余项不低于要求的85%:6/10 所" in text
    assert "每所学校至少6项指标达到要求,余项不低于要求的85%:4/5 所" in text
    # The schools, students and the school kept out, with its reason.
    assert table_under(document, "学校与学生")[1:] == [
        ["小学", "10", number(8514)],
        ["初中", "5", number(4350)],
        ["合计", "15", number(12864)],
    ]
    assert [r[0] for r in table_under(document, "不纳入计算的学校")[1:]] == ["示例县特殊教育学校"] * 2
    # Prose to complete is marked, highlighted.
    marks = [
        run
        for p in document.paragraphs
        for run in p.runs
        if run.text.startswith("【待填写:") and run.font.highlight_color is not None
    ]
    assert len(marks) >= 5


def test_the_per_school_table_marks_values_below_the_standard(demo: eduscore.Result, tmp_path: Path) -> None:
    document = docx.Document(str(write_docx(demo, tmp_path)))
    view = ReportView(demo, "zh")
    (county,) = view.counties()
    ratios = view.indicator_ratios_of(county.county_code, county.year)
    table = next(b for b in section(document, "各校七项指标情况(小学)", 2) if isinstance(b, Table))
    heads = [c.text for c in table.rows[0].cells]
    ids = [i.id for i in demo.framework.indicators]
    assert heads[1:] == [view.indicator_name(i) for i in ids]
    sections = {
        s["school_name"]: s
        for s in view.sections_of(county.county_code, county.year)
        if s["level"] == "primary"
    }
    assert len(table.rows) == 2 + len(sections) <= 2 + MAX_SCHOOLS
    below = 0
    for row in table.rows[2:]:
        cells = row.cells
        s = sections.pop(cells[0].text)
        for cell, ind in zip(cells[1:], ids, strict=True):
            assert cell.text == view.amount(s[ind], view.measure(ind), with_unit=False)
            ratio = ratios[(s["unit_id"], ind)]
            bold = any(run.bold for run in cell.paragraphs[0].runs)
            assert bold == (ratio is not None and ratio < 1), (s["school_name"], ind)
            below += bold
    assert not sections and below > 0


def test_long_tables_are_cut_and_say_where_the_rest_is(
    demo: eduscore.Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eduscore.report import docx as writer

    monkeypatch.setattr(writer, "MAX_SCHOOLS", 3)
    monkeypatch.setattr(writer, "MAX_ROWS", 2)
    document = docx.Document(str(write_docx(demo, tmp_path)))
    assert len(table_under(document, "各校七项指标情况(小学)")) == 2 + 3  # heads, standards, 3 schools
    text = all_text(document)
    assert "以上为前 3 所,共 10 所;全部学校见 report.xlsx「分校数据」工作表" in text
    assert len(table_under(document, "各校需增加的资源")) == 1 + 2
    assert "以上为前 2 行,共 " in text and "「达标方案」" in text


@pytest.mark.parametrize("prices", [None, PRICES])
def test_the_measures_are_the_plan(
    demo: eduscore.Result, tmp_path: Path, prices: dict[str, float] | None
) -> None:
    context = RenderContext(demo, "zh", costs=prices)
    (path,) = write_outputs(context, tmp_path, ["docx"])
    document = docx.Document(str(path))
    plan = context.analyses().plan
    assert plan is not None
    gaps = plan.gaps.filter(pc.greater(plan.gaps.column("addition"), 0.0)).to_pylist()
    rows = table_under(document, "各校需增加的资源")
    heads, rows = rows[0], rows[1:]
    assert [(r[0], r[heads.index("增加")]) for r in rows] == [
        (g["school_name"], "+" + number(g["addition"])) for g in gaps
    ]
    totals = plan.totals().to_pylist()
    total_rows = table_under(document, "增量合计")
    assert [(r[0], r[1]) for r in total_rows[1:]] == [
        (t["resource_zh"], "+" + number(t["addition"])) for t in totals
    ]
    other = table_under(document, "其他未达标项目的调整")[1:]
    assert len(other) == plan.checks.num_rows
    measures = section(document, "整改措施")
    text = "\n".join(
        b.text if isinstance(b, Paragraph) else "\n".join(c.text for row in b.rows for c in row.cells)
        for b in measures
    )
    if prices is None:
        assert "成本" not in text and "最少增量" in text
        assert all(t["cost"] is None for t in totals)
    else:
        assert "最低成本" in text
        assert [r[heads.index("成本")] for r in rows] == [number(g["cost"]) for g in gaps]
        assert [r[3] for r in total_rows[1:]] == [number(t["cost"]) for t in totals]
        assert f"合计成本:{number(sum(t['cost'] for t in totals))}。" in text


def test_missing_inputs_are_problems_to_supply(tmp_path: Path) -> None:
    inputs = eduscore.demo_inputs()
    schools = pv.read_csv(inputs["schools"])
    schools = schools.drop_columns([c for c in schools.column_names if "班级数" in c])
    counties = pv.read_csv(inputs["counties"]).drop_columns(["社会认可度"])
    result = eduscore.evaluate(schools=schools, counties=counties)
    assert pc.sum(pc.equal(result.checks.column("status"), "not_assessed")).as_py() > 0
    document = docx.Document(str(write_docx(result, tmp_path)))
    check_problems(document, result, "990101")
    check_group_tables(document, result, "990101")
    supply = table_under(document, "未评估项目(需补充的数据)")
    assert any("小学班级数" in row[2] for row in supply[1:])


def test_english_draft_has_no_chinese_headings(demo: eduscore.Result, tmp_path: Path) -> None:
    document = docx.Document(str(write_docx(demo, tmp_path, lang="en")))
    names = headings(document)
    assert len(names) > 20
    assert [h for h in names if _CJK.search(h)] == []
    assert check_resource_tables(document, demo, "990101", "en") == 14
    check_group_tables(document, demo, "990101", "en")
    assert "[To be completed:" in all_text(document)


# --------------------------------------------------------------------------- other frameworks, many counties
def test_preschool_draft_follows_its_own_parts(tmp_path: Path) -> None:
    result = eduscore.evaluate(**eduscore.demo_inputs(), framework="preschool-2020")
    document = docx.Document(str(write_docx(result, tmp_path)))
    view = ReportView(result, "zh")
    names = headings(document)
    parts = [view.group_name(g) for g in result.framework.groups]
    top = [
        re.sub("^[一二三四五六七八九十]+、", "", h)
        for h in names
        if re.match("^[一二三四五六七八九十]+、", h)
    ]
    assert top == ["基本情况", *parts, "存在的问题", "整改措施"]
    assert not any("资源配置情况" in h or "各校七项指标" in h for h in names)  # no CV table
    check_group_tables(document, result, "990101")
    check_problems(document, result, "990101")
    kindergartens = table_under(document, "学校与学生")
    assert kindergartens[0][1] == "幼儿园数"
    assert kindergartens[1][1:] == ["10", number(pc.sum(result.sections.column("children")).as_py())]


def test_basic_balance_draft_has_cvs_without_standards(tmp_path: Path) -> None:
    result = eduscore.evaluate(**eduscore.demo_inputs(), framework="basic-balance-2012")
    document = docx.Document(str(write_docx(result, tmp_path)))
    assert check_resource_tables(document, result, "990101") == 16  # eight indicators, two levels
    check_group_tables(document, result, "990101")
    check_problems(document, result, "990101")
    per_school = table_under(document, "各校七项指标情况(小学)")
    assert per_school[1][0] != "标准"  # no row of standards when there are none


def test_several_counties_one_draft_each(tmp_path: Path) -> None:
    result = eduscore.evaluate(**national(0.005, seed=5))
    n = result.verdicts.num_rows
    assert n > 5
    (folder,) = write_outputs(RenderContext(result, "zh", costs=PRICES), tmp_path, ["docx"])
    assert folder == tmp_path / FOLDER
    files = sorted(folder.glob("*.docx"))
    assert len(files) == n and not (tmp_path / FILE_NAME).exists()
    verdicts = {v["county_code"]: v for v in result.verdicts.to_pylist()}
    checked = 0
    for path in files:
        code = path.stem
        document = docx.Document(str(path))
        assert document.paragraphs[0].text.startswith(verdicts[code]["county_name"])
        check_group_tables(document, result, code)
        check_problems(document, result, code)
        if result.dispersion.filter(pc.equal(result.dispersion.column("county_code"), code)).num_rows:
            checked += check_resource_tables(document, result, code)
    assert checked > 7 * n / 2


# --------------------------------------------------------------------------- hostile text
HOSTILE = "恶意\x1b[2J<script>alert(1)</script>\x00\x07\ufffe\u202e学校&amp;"


def test_hostile_school_names_do_not_break_the_file(tmp_path: Path) -> None:
    inputs = eduscore.demo_inputs()
    schools = pv.read_csv(inputs["schools"])
    names = schools.column("学校名称").to_pylist()
    k = names.index("示例县北坡村小学")  # fails six of seven: named in the problems and the plan
    names[k] = HOSTILE
    schools = schools.set_column(schools.column_names.index("学校名称"), "学校名称", pa.array(names))
    counties = pv.read_csv(inputs["counties"])
    counties = counties.set_column(
        counties.column_names.index("县区名称"), "县区名称", pa.array(["县\x1b]0;x\x07<b>"])
    )
    result = eduscore.evaluate(schools=schools, counties=counties)
    # The reader drops most control characters (a finding says so); what it keeps, such
    # as U+FFFE, XML cannot hold: python-docx would refuse the text.
    (name,) = {n for n in result.sections.column("school_name").to_pylist() if n.startswith("恶意")}
    assert "\ufffe" in name and "<script>" in name
    path = write_docx(result, tmp_path)
    document = docx.Document(str(path))  # it parses
    text = all_text(document)
    shown = visible(name)
    assert shown != name and shown in text
    assert text.count(shown) >= 3  # the per-school, problems and plan tables
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert "\ufffe" not in xml and "\x1b" not in xml and "\x00" not in xml and "<script>" not in xml
    assert "&lt;script&gt;" in xml


def test_names_no_reader_cleaned_are_shown_not_written_raw(tmp_path: Path, demo: eduscore.Result) -> None:
    """Through the API a result's names may hold any character: NUL, ESC, BEL, C1, bidi."""
    s = demo.sections
    names = s.column("school_name").to_pylist()
    k = names.index("示例县北坡村小学")
    names[k] = HOSTILE
    result = attrs.evolve(
        demo, sections=s.set_column(s.column_names.index("school_name"), "school_name", pa.array(names))
    )
    path = write_docx(result, tmp_path)
    text = all_text(docx.Document(str(path)))
    assert visible(HOSTILE) in text
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202e\ufffe]", xml)
