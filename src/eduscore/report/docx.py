"""The self-evaluation report draft (自评报告) a county submits with its application, as a
Word document (``--format docx``).

In the structure such reports follow: 一、基本情况 (the schools and students, the schools
outside the calculation, the data and the rules it was evaluated by, the result in
brief); then one section per part of the framework, in the framework's order (for the
quality-balance framework 申请条件, 资源配置 with the per-level indicator and difference-coefficient
tables and the schools' seven indicators, 政府保障程度, 教育质量, 社会认可度, 一票否决; for
the preschool framework its own parts), each with the table of its checks; then 存在的问题
(every failed and not-assessed check) and 整改措施 (the plan: each school's additions
with quantities, the difference-coefficient remediation, the other checks, the totals,
and their costs when ``--costs`` gave prices).

The figures are filled in from the same :class:`~eduscore.report.firstpage.FirstPage`
and :class:`~eduscore.report.planning.PlanningView` as the HTML, Markdown and terminal
reports, so they never disagree. What only the county can write (its circumstances, its
measures, deadlines, the seal) is left as highlighted ``【待填写:…】`` placeholders.

One county: ``self-evaluation.docx``. Several counties (a city, a province): one draft
per county in ``self-evaluation/<county code>.docx``, written one after another (a
province's documents are never all in memory). Every piece of text is made
:func:`~eduscore.report.text.visible` first: a control character from the inputs shows as
a visible sign, and nothing that XML cannot hold reaches python-docx.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from eduscore._version import __version__
from eduscore.report.context import RenderContext, context_of
from eduscore.report.files import atomic_path
from eduscore.report.firstpage import (
    RESOURCE_NUMBERS,
    FirstPage,
    FirstPages,
    LevelResources,
    counted_text,
    resource_table,
)
from eduscore.report.firstpage import WORDS as FIRST_WORDS
from eduscore.report.planning import WORDS as PLAN_WORDS
from eduscore.report.planning import PlanningView, resource_label
from eduscore.report.text import visible
from eduscore.report.view import CountyView, ReportView, accounting_line, clause_text, number
from eduscore.report.xlsx_words import sheet_name
from eduscore.result import Result

#: The draft of one county, in the output folder.
FILE_NAME = "self-evaluation.docx"
#: The drafts of several counties: ``self-evaluation/<county code>.docx``.
FOLDER = "self-evaluation"
#: Schools shown per level in the table of each school's indicators (all of them are in
#: report.xlsx, sheet 分校数据, and report.html).
MAX_SCHOOLS = 60
#: Rows of a plan table or of the excluded schools (all of them are in report.xlsx).
MAX_ROWS = 200
#: The groups that are no part of the report's sections (a relaxation is a note on a rule).
_NOT_PARTS = ("relaxation",)
_UNIT_KINDS = ("section_threshold", "count_met_with_floor")

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "{county}{framework}自评报告",
        "draft": "草稿(eduscore {version} 生成,数据与结论须经核实后定稿)",
        "data_year": "数据年度:{year}",
        "placeholder": "【待填写:{what}】",
        "overview": "基本情况",
        "county_profile": "县域概况",
        "profile_what": "县域面积、人口、经济社会发展概况,教育发展总体情况和推进工作的主要做法",
        "schools": "学校与学生",
        "level": "学段",
        "units": "学校(学段)数",
        "students": "在校生数",
        "children": "在园幼儿数",
        "kindergartens": "幼儿园",
        "all_levels": "全部",
        "schools_total": "纳入计算的学校共 {n} 所(一所学校有两个学段的,分学段计算)。",
        "kindergartens_total": "纳入计算的幼儿园共 {n} 所。",
        "excluded": "不纳入计算的学校",
        "excluded_kg": "不纳入计算的幼儿园",
        "kindergarten_count": "幼儿园数",
        "excluded_none": "无。",
        "school": "学校",
        "reason": "原因",
        "sources": "数据来源与评估依据",
        "basis": "评估依据:{number}《{title}》。",
        "rule_sets": "适用规则集:{sets}。",
        "sources_note": "数据文件(本次测算的全部输入,行数核对):",
        "result": "自评结果",
        "verdict": "按上述数据测算,结论为:{verdict}。",
        "relaxed": "规则集声明放宽的项目:",
        "resources_part": "资源配置",
        "resources_of": "{part}情况({level})",
        "indicator": "指标",
        "result_col": "结果",
        "per_school": "各校七项指标情况({level})",
        "per_school_note": "单位同上表;加粗为低于标准的数值。",
        "per_school_more": "以上为前 {shown} 所,共 {total} 所;全部学校见 report.xlsx「{sheet}」工作表或 report.html(多个县时为该县的工作簿或报告页)。",
        "checks_of": "{part}评估项目",
        "item": "项目",
        "value": "数值",
        "standard": "标准",
        "basis_col": "依据",
        "relaxed_by": "规则集放宽:{how}",
        "practice": "{part}方面的主要做法与成效",
        "problems": "存在的问题",
        "failures": "未达标项目",
        "no_failures": "无未达标项目。",
        "missing": "未评估项目(需补充的数据)",
        "causes": "问题成因分析",
        "measures": "整改措施",
        "plan_basis_relative": "以下为达到标准所需的最少增量(按各项指标自身单位;教师、教室取整数),由 eduscore 根据上述数据测算。",
        "plan_basis_cost": "以下为按给定单价计算的最低成本方案,由 eduscore 根据上述数据测算。",
        "no_plan": "本评估办法无可测算的资源增量。",
        "nothing": "无需增加。",
        "additions": "各校需增加的资源",
        "cv_plan": "差异系数整改",
        "other": "其他未达标项目的调整",
        "totals": "增量合计",
        "sections_n": "涉及学校(学段)数",
        "total_cost": "合计成本:{cost}。",
        "more_rows": "以上为前 {shown} 行,共 {total} 行;全部见 report.xlsx「{sheet}」工作表(多个县时为该县的工作簿)。",
        "measures_what": "针对上述问题的整改措施、责任单位、资金来源与完成时限",
        "signature": "县人民政府(盖章)、日期",
        "no_county": "结果中没有县区。",
        "sep": ";",
        "colon": ":",
    },
    "en": {
        "title": "{county}: self-evaluation report — {framework}",
        "draft": "Draft (written by eduscore {version}; check the data and the conclusions before submitting)",
        "data_year": "Year of the data: {year}",
        "placeholder": "[To be completed: {what}]",
        "overview": "Overview",
        "county_profile": "The county",
        "profile_what": "area, population, economy and society; education in the county and the main measures taken",
        "schools": "Schools and students",
        "level": "Level",
        "units": "School sections",
        "students": "Students",
        "children": "Children",
        "kindergartens": "kindergartens",
        "all_levels": "all",
        "schools_total": "{n} schools are counted (a school with two levels is counted per level).",
        "kindergartens_total": "{n} kindergartens are counted.",
        "excluded": "Schools outside the calculation",
        "excluded_kg": "Kindergartens outside the calculation",
        "kindergarten_count": "Kindergartens",
        "excluded_none": "None.",
        "school": "School",
        "reason": "Reason",
        "sources": "Data and rules",
        "basis": "Evaluated by: {number}, {title}.",
        "rule_sets": "Rule sets applied: {sets}.",
        "sources_note": "Input files (every input of this run, rows accounted for):",
        "result": "Result",
        "verdict": "On these data the result is: {verdict}.",
        "relaxed": "Rules relaxed by a rule set (declared):",
        "resources_part": "Resource allocation",
        "resources_of": "{part} ({level})",
        "indicator": "Indicator",
        "result_col": "Result",
        "per_school": "Each school's indicators ({level})",
        "per_school_note": "Units as in the table above; values below the standard in bold.",
        "per_school_more": "The first {shown} of {total} schools; all of them are in report.xlsx (sheet {sheet}) and report.html (several counties: the county's own workbook or page).",
        "checks_of": "Checks: {part}",
        "item": "Check",
        "value": "Value",
        "standard": "Standard",
        "basis_col": "Source",
        "relaxed_by": "relaxed by a rule set: {how}",
        "practice": "main measures and results ({part})",
        "problems": "Problems",
        "failures": "Failed checks",
        "no_failures": "No check failed.",
        "missing": "Not assessed (data to supply)",
        "causes": "why these problems arose",
        "measures": "Remedial measures",
        "plan_basis_relative": "The least additions that meet the standards (in each indicator's own units; whole teachers and rooms), computed by eduscore from these data.",
        "plan_basis_cost": "The cheapest plan at the prices given, computed by eduscore from these data.",
        "no_plan": "This framework has no resource additions to compute.",
        "nothing": "Nothing to add.",
        "additions": "Additions per school",
        "cv_plan": "Difference-coefficient remediation",
        "other": "Other failed checks",
        "totals": "Totals",
        "sections_n": "School sections",
        "total_cost": "Total cost: {cost}.",
        "more_rows": "The first {shown} of {total} rows; all of them are in report.xlsx, sheet “{sheet}” (several counties: the county's own workbook).",
        "measures_what": "measures for each problem, who is responsible, funding and deadlines",
        "signature": "county government (seal), date",
        "no_county": "The result holds no county.",
        "sep": "; ",
        "colon": ": ",
    },
}
_ZH_NUMERALS = "一二三四五六七八九十"
_BODY_FONT = {"zh": ("Times New Roman", "宋体"), "en": ("Calibri", "宋体")}
_HEADING_FONT = {"zh": ("Times New Roman", "黑体"), "en": ("Calibri", "黑体")}
_TABLE_HEAD_FILL = "E7E6E6"


def write_docx(source: Result | RenderContext, out: Path, lang: str | None = None) -> Path:
    """Write the self-evaluation report draft into ``out`` and return its path: for one
    county ``self-evaluation.docx``; for several the folder ``self-evaluation/`` with one
    document per county (``<county code>.docx``), written county by county."""
    context = context_of(source, lang)
    view = ReportView(context.result, context.lang)
    planning = PlanningView(context.analyses(), view)
    writer = _Writer(view, planning, FirstPages(view, planning), costs=context.costs is not None)
    verdicts = view.result.verdicts
    if verdicts.num_rows <= 1:
        path = out / FILE_NAME
        counties = list(view.counties())
        document = writer.document(counties[0]) if counties else writer.empty()
        _save(document, path)
        return path
    from eduscore.report.html import page_names  # the county pages' safe file names

    keys = list(zip(*(verdicts.column(k).to_pylist() for k in ("county_code", "year")), strict=True))
    names = {key: PurePosixPath(name).stem + ".docx" for key, name in page_names(keys).items()}
    folder = out / FOLDER
    for county in view.counties():
        _save(writer.document(county), folder / names[(county.county_code, county.year)])
    return folder


def _save(document: DocumentObject, path: Path) -> None:
    with atomic_path(path) as tmp:
        document.save(str(tmp))


def _t(text: object) -> str:
    """Text as it goes into the document: one line, control characters made visible (and
    so nothing XML cannot hold)."""
    return visible("" if text is None else str(text))


def zh_numeral(n: int) -> str:
    """一 … 九十九, as section numbers are written.

    >>> [zh_numeral(k) for k in (1, 10, 12, 20, 31)]
    ['一', '十', '十二', '二十', '三十一']
    """
    if n <= 10:
        return _ZH_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = ("" if tens == 1 else _ZH_NUMERALS[tens - 1]) + "十"
    return head + (_ZH_NUMERALS[ones - 1] if ones else "")


class _Writer:
    """Writes one county's draft at a time; the view and the plan are grouped by county
    once, for every county."""

    def __init__(self, view: ReportView, planning: PlanningView, first: FirstPages, *, costs: bool) -> None:
        self.view = view
        self.planning = planning
        self.first = first
        self.lang = view.lang
        self.w = WORDS[self.lang]
        self.fw_words = FIRST_WORDS[self.lang]
        self.plan_words = PLAN_WORDS[self.lang]
        self.costs = costs
        self.today = datetime.date.today()
        self._section = 0
        self._sub = 0
        self.doc: DocumentObject  # the document being written (:meth:`document`)

    # ------------------------------------------------------------ the document's frame
    def _new(self) -> DocumentObject:
        doc = Document()
        section = doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(25), Mm(22)
        section.left_margin, section.right_margin = Mm(25), Mm(22)
        latin, east = _BODY_FONT[self.lang]
        normal = doc.styles["Normal"]
        assert isinstance(normal, ParagraphStyle)
        _fonts(normal, latin, east)
        normal.font.size = Pt(11)
        normal.paragraph_format.space_after = Pt(4)
        normal.paragraph_format.line_spacing = 1.25
        h_latin, h_east = _HEADING_FONT[self.lang]
        for name, size in (("Title", 16), ("Heading 1", 15), ("Heading 2", 12.5), ("Heading 3", 11)):
            style = doc.styles[name]
            assert isinstance(style, ParagraphStyle)
            _fonts(style, h_latin, h_east)
            style.font.size = Pt(size)
            style.font.bold = True
            style.font.italic = False
            style.font.color.rgb = RGBColor(0, 0, 0)
            style.paragraph_format.space_before = Pt(12 if name == "Heading 1" else 8)
            style.paragraph_format.space_after = Pt(6)
        title = doc.styles["Title"]
        assert isinstance(title, ParagraphStyle)
        title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _no_border(title)
        table_text = doc.styles.add_style("eduscore Table Text", normal.type)
        assert isinstance(table_text, ParagraphStyle)
        table_text.base_style = normal
        table_text.font.size = Pt(9)
        table_text.paragraph_format.space_before = Pt(1)
        table_text.paragraph_format.space_after = Pt(1)
        table_text.paragraph_format.line_spacing = 1.0
        _page_numbers(section.footer.paragraphs[0])
        doc.core_properties.author = "eduscore"
        doc.core_properties.comments = _t(self.w["draft"].format(version=__version__))
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        doc.core_properties.created = doc.core_properties.modified = now
        doc.core_properties.revision = 1
        doc.core_properties.last_modified_by = "eduscore"
        self._section = self._sub = 0
        return doc

    def empty(self) -> DocumentObject:
        self.doc = self._new()
        self.doc.add_paragraph(_t(self.view.fw.name.get(self.lang)), style="Title")
        self.doc.add_paragraph(_t(self.w["no_county"]))
        return self.doc

    def document(self, county: CountyView) -> DocumentObject:
        """The draft of one county."""
        self.doc = self._new()
        page = self.first.of(county)
        self._title(county)
        self._overview(county, page)
        w = self.w
        resources_group = self._resources_group(county)
        if page.resources and resources_group is None:
            self.heading(w["resources_part"])
            self._resources(county, page, w["resources_part"])
        for part in page.parts:
            self.heading(part.name)
            if part.group == resources_group:
                self._resources(county, page, part.name)
            self._checks(county, part.group, part.name)
        self._problems(page)
        self._measures(county)
        self.doc.add_paragraph()
        self.placeholder(self.w["signature"], align=WD_ALIGN_PARAGRAPH.RIGHT)
        self.doc.core_properties.title = _t(self._title_text(county))
        return self.doc

    def _title_text(self, county: CountyView) -> str:
        framework = self.view.fw.name.get(self.lang)
        if self.lang == "zh" and framework.startswith("县域") and county.county_name:
            framework = framework[2:]  # 示例县 + 义务教育优质均衡发展督导评估, not 示例县县域…
        return self.w["title"].format(county=county.county_name or county.county_code, framework=framework)

    def _title(self, county: CountyView) -> None:
        self.doc.add_paragraph(_t(self._title_text(county)), style="Title")
        when = self.today.strftime("%Y年%m月%d日") if self.lang == "zh" else self.today.isoformat()
        line = [when, self.w["draft"].format(version=__version__)]
        if county.year is not None:
            line.insert(0, self.w["data_year"].format(year=county.year))
        p = self.doc.add_paragraph(_t(" · ".join(line)))
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER

    # ------------------------------------------------------------ building blocks
    def heading(self, text: str) -> Paragraph:
        """A numbered section: 一、基本情况 / 1. Overview."""
        self._section += 1
        self._sub = 0
        number_ = f"{zh_numeral(self._section)}、" if self.lang == "zh" else f"{self._section}. "
        heading: Paragraph = self.doc.add_heading(_t(number_ + text), level=1)
        return heading

    def subheading(self, text: str) -> Paragraph:
        """A numbered subsection: （一）学校与学生 / 1.2 Schools and students."""
        self._sub += 1
        number_ = f"（{zh_numeral(self._sub)}）" if self.lang == "zh" else f"{self._section}.{self._sub} "
        heading: Paragraph = self.doc.add_heading(_t(number_ + text), level=2)
        return heading

    def para(self, text: str, *, bold: bool = False) -> Paragraph:
        p = self.doc.add_paragraph()
        run = p.add_run(_t(text))
        run.bold = bold or None
        return p

    def placeholder(self, what: str, align: Any = None) -> Paragraph:
        """A highlighted 【待填写:…】: prose the county writes itself."""
        p = self.doc.add_paragraph()
        run = p.add_run(_t(self.w["placeholder"].format(what=what)))
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        if align is not None:
            p.alignment = align
        return p

    def table(
        self,
        heads: Sequence[str],
        rows: Iterable[Sequence[object]],
        widths: Sequence[float],
        *,
        numeric: Iterable[int] = (),
        bold: Iterable[tuple[int, int]] = (),
        size: float | None = None,
    ) -> Table:
        """A table with a shaded header row repeated on each page; ``widths`` in mm,
        the ``numeric`` columns right-aligned, the (row, column) cells in ``bold`` bold.

        The header and the first row are laid out through python-docx; every further row
        is a copy of the first with its texts replaced (laying out each cell through
        python-docx took a second per county)."""
        rows = [list(r) for r in rows]
        numeric, bold = set(numeric), set(bold)
        table: Table = self.doc.add_table(rows=2, cols=len(heads))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        # The style by its id: python-docx's style setter looks the default style up
        # among all styles on every call.
        style = self.doc.styles["eduscore Table Text"].style_id
        for i, column in enumerate(table.columns):
            column.width = Mm(widths[i])
        for r, row in enumerate(table.rows):
            for c, cell in enumerate(row.cells):
                cell.width = Mm(widths[c])
                p = cell.paragraphs[0]
                p._p.style = style
                run = p.add_run(_t(heads[c]) if r == 0 else "-")
                if size is not None:
                    run.font.size = Pt(size)
                if r == 0:
                    run.bold = True
                    _shade(cell._tc, _TABLE_HEAD_FILL)
                elif c in numeric:
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _repeat_header(table.rows[0]._tr)
        template = table.rows[1]._tr
        _keep_whole(template)
        pristine = copy.deepcopy(template)  # each row a copy of the unfilled one
        if not rows:
            table._tbl.remove(template)
        for r, values in enumerate(rows):
            tr = template if r == 0 else copy.deepcopy(pristine)
            if r:
                table._tbl.append(tr)
            for c, text in enumerate(tr.iter(qn("w:t"))):
                text.text = _t(values[c])
                text.set(qn("xml:space"), "preserve")
                if (r, c) in bold:
                    Run(text.getparent(), table).bold = True
        self.doc.add_paragraph().paragraph_format.space_after = Pt(2)
        return table

    # ------------------------------------------------------------ 一、基本情况
    def _overview(self, county: CountyView, page: FirstPage) -> None:
        w, view, lang = self.w, self.view, self.lang
        self.heading(w["overview"])
        self.subheading(w["county_profile"])
        self.placeholder(w["profile_what"])

        self.subheading(w["schools"])
        sections = view.sections_of(county.county_code, county.year)
        kindergartens = bool(sections) and "kindergarten_id" in sections[0]
        count_col = "children" if kindergartens else "students"
        by_level: dict[str, tuple[int, float]] = {}
        for s in sections:
            n, students = by_level.get(s.get("level") or "", (0, 0.0))
            by_level[s.get("level") or ""] = (n + 1, students + float(s.get(count_col) or 0))
        levels = sorted(by_level, key=_level_key)

        def level_name(level: str) -> str:
            return view.level(level) or (w["kindergartens"] if kindergartens else w["all_levels"])

        rows = [[level_name(lv), str(by_level[lv][0]), number(by_level[lv][1])] for lv in levels]
        if len(levels) > 1:
            rows.append(
                [
                    "合计" if lang == "zh" else "total",
                    str(sum(n for n, _ in by_level.values())),
                    number(sum(x for _, x in by_level.values())),
                ]
            )
        self.table(
            [w["level"], w["kindergarten_count"] if kindergartens else w["units"], w[count_col]],
            rows,
            [40, 40, 40],
            numeric=(1, 2),
        )
        id_col = "kindergarten_id" if kindergartens else "school_id"
        n_schools = len({s.get(id_col) or s.get("unit_id") for s in sections})
        self.para((w["kindergartens_total"] if kindergartens else w["schools_total"]).format(n=n_schools))

        self.subheading(w["excluded_kg"] if kindergartens else w["excluded"])
        excluded = view.excluded_of(county.county_code, county.year)
        if excluded:
            reason = "exclusion_reason_zh" if lang == "zh" else "exclusion_reason_en"
            name_col = "kindergarten_name" if "kindergarten_name" in excluded[0] else "school_name"
            self.table(
                [w["school"], w["level"], w["reason"]],
                [
                    [r.get(name_col) or r.get("unit_id"), view.level(r.get("level")), r.get(reason) or ""]
                    for r in excluded[:MAX_ROWS]
                ],
                [60, 25, 75],
            )
            self._more(len(excluded), MAX_ROWS, "excluded")
        else:
            self.para(w["excluded_none"])

        self.subheading(w["sources"])
        fw = view.fw
        self.para(w["basis"].format(number=fw.document["number"], title=fw.document["title"]))
        sets = sorted(
            {
                f"{ch['rule_set']} {ch['rule_set_version']}".strip()
                for ch in county.checks
                if ch.get("rule_set") and ch["rule_set"] != "national"
            }
        )
        if sets:
            self.para(w["rule_sets"].format(sets=("、" if lang == "zh" else ", ").join(sets)))
        self.para(w["sources_note"])
        for a in view.result.accounting.to_pylist():
            shown = {**a, "source": PurePosixPath(str(a["source"]).replace("\\", "/")).name or a["source"]}
            self.doc.add_paragraph(_t(accounting_line(shown, lang)), style="List Bullet")

        self.subheading(w["result"])
        verdict = view.verdict(county.verdict)
        if county.grade:
            verdict += (
                f"({view.words['grade']} {county.grade})" if lang == "zh" else f" (grade {county.grade})"
            )
        self.para(w["verdict"].format(verdict=verdict), bold=True)
        fwords = self.fw_words
        basic = any(p.n_basic_pass for p in page.parts)
        heads = [fwords["part"], fwords["checks"], fwords["passed"]]
        heads += [fwords["basic"]] if basic else []
        heads += [fwords["failed"], fwords["unknown"]]
        self.table(
            heads,
            [
                [
                    p.name,
                    p.n_checks,
                    p.n_pass,
                    *([p.n_basic_pass] if basic else []),
                    p.n_fail,
                    p.n_not_assessed,
                ]
                for p in page.parts
            ],
            [50] + [110 / (len(heads) - 1)] * (len(heads) - 1),
            numeric=range(1, len(heads)),
        )
        for note in page.notes:
            self.para(note)
        relaxed = view.relaxed(county)
        if relaxed:
            self.para(w["relaxed"], bold=True)
            for line in relaxed:
                self.doc.add_paragraph(_t(line), style="List Bullet")

    # ------------------------------------------------------------ 资源配置
    def _resources_group(self, county: CountyView) -> str | None:
        """The part the resource tables belong to: the group of the indicator, count-met
        and difference-coefficient checks (资源配置, 办学条件), or None."""
        for ch in county.checks:
            kind = str(ch["kind"])
            if kind in ("count_met_with_floor", "indicator") or "dispersion" in kind:
                return str(ch["group"])
        return "resources" if any(ch["group"] == "resources" for ch in county.checks) else None

    def _resources(self, county: CountyView, page: FirstPage, part: str) -> None:
        w, fw, view = self.w, self.fw_words, self.view
        for level in page.resources:
            self.subheading(w["resources_of"].format(part=part, level=view.level(level.level)))
            heads, rows = resource_table(view, level)
            self.table(
                [w["indicator"], *heads[1:-1], w["result_col"]],
                rows,
                [40, 22, 24, 28, 16, 14, 16],
                numeric=RESOURCE_NUMBERS,
                bold={
                    (i, 6) for i, line in enumerate(level.lines) if line.cv_status in ("fail", "basic_pass")
                },
            )
            for name, passed, assessed, unknown in level.counted:
                self.para(
                    f"{name}{w['colon']}{counted_text(passed, assessed, unknown, self.lang)}", bold=True
                )
            if any(line.n_allowed for line in level.lines):
                self.para(fw["allowed_note"])
            self._per_school(county, level)

    def _per_school(self, county: CountyView, level: LevelResources) -> None:
        """Each school's value of every indicator (the first :data:`MAX_SCHOOLS`), the values
        below the standard in bold."""
        w, view = self.w, self.view
        indicators = [line.indicator for line in level.lines]
        sections = [
            s
            for s in view.sections_of(county.county_code, county.year)
            if (s.get("level") or "") == level.level and any(i in s for i in indicators)
        ]
        if not sections or not indicators:
            return
        ratios = view.indicator_ratios_of(county.county_code, county.year)
        name_col = "school_name" if "school_name" in sections[0] else "kindergarten_name"
        shown = sorted(sections, key=lambda s: str(s.get(name_col) or ""))[:MAX_SCHOOLS]
        rows, bold = [], set()
        for r, s in enumerate(shown):
            row: list[object] = [s.get(name_col) or s["unit_id"]]
            for c, ind in enumerate(indicators, start=1):
                row.append(view.amount(s.get(ind), view.measure(ind), with_unit=False))
                ratio = ratios.get((s["unit_id"], ind))
                if ratio is not None and ratio < 1:
                    bold.add((r, c))
            rows.append(row)
        self.subheading(w["per_school"].format(level=view.level(level.level)))
        name_width = 34.0
        each = (160 - name_width) / len(indicators)
        standards = [w["standard"]] + [line.standard for line in level.lines]
        has_standards = any(line.standard != "—" for line in level.lines)  # none in basic balance
        top = [standards] if has_standards else []
        self.table(
            [w["school"], *(line.name for line in level.lines)],
            [*top, *rows],
            [name_width] + [each] * len(indicators),
            numeric=range(1, len(indicators) + 1),
            bold={(r + len(top), c) for r, c in bold} | {(0, c) for c in range(len(indicators) + 1) if top},
            size=7.5,
        )
        if has_standards:
            self.para(w["per_school_note"])
        if len(sections) > MAX_SCHOOLS:
            sheet = sheet_name("sections", self.lang)
            self.para(w["per_school_more"].format(shown=MAX_SCHOOLS, total=len(sections), sheet=sheet))

    # ------------------------------------------------------------ each part's checks
    def _checks(self, county: CountyView, group: str, part: str) -> None:
        w, view = self.w, self.view
        checks = [ch for ch in county.checks if ch["group"] == group]
        rows, bold = [], set()
        for i, ch in enumerate(checks):
            threshold = "" if ch["kind"] in _UNIT_KINDS else view.threshold_text(ch)
            cited = " ".join(
                x for x in (clause_text(ch["document"], self.lang), clause_text(ch["clause"], self.lang)) if x
            )
            if ch.get("relaxed_by"):
                cited += w["sep"] + w["relaxed_by"].format(how=ch["relaxed_by"])
            if ch.get("kind_plugin"):
                cited += w["sep"] + view.kind_source(ch)
            rows.append(
                [view.check_name(ch), view.check_value(ch), threshold, view.status(ch["status"]), cited]
            )
            if ch["status"] in ("fail", "basic_pass", "not_assessed", "not_computable"):
                bold.add((i, 3))
        self.subheading(w["checks_of"].format(part=part))
        self.table(
            [w["item"], w["value"], w["standard"], w["result_col"], w["basis_col"]],
            rows,
            [62, 24, 20, 16, 38],
            bold=bold,
        )
        self.placeholder(w["practice"].format(part=part))

    # ------------------------------------------------------------ 存在的问题
    def _problems(self, page: FirstPage) -> None:
        w, fw, vw = self.w, self.fw_words, self.view.words
        self.heading(w["problems"])
        self.subheading(w["failures"])
        if page.failures:
            self.table(
                [fw["part"], w["item"], w["value"], w["standard"], vw["reason"]],
                [[x.group, x.name, x.value, x.standard, x.detail] for x in page.failures],
                [24, 46, 18, 18, 54],
            )
        elif not page.notes:
            self.para(w["no_failures"])
        for note in page.notes:
            self.para(note)
        if page.missing:
            self.subheading(w["missing"])
            self.table(
                [fw["part"], w["item"], fw["supply"]],
                [[x.group, x.name, x.detail] for x in page.missing],
                [24, 56, 80],
            )
        self.placeholder(w["causes"])

    # ------------------------------------------------------------ 整改措施
    def _measures(self, county: CountyView) -> None:
        w, pw, vw, view = self.w, self.plan_words, self.view.words, self.view
        planning = self.planning
        self.heading(w["measures"])
        key = (county.county_code, county.year)
        if planning.a.plan is None:
            self.para(w["no_plan"])
            self.placeholder(w["measures_what"])
            return
        gaps, cv, checks = planning.gaps.get(key, []), planning.cv.get(key, []), planning.checks.get(key, [])
        totals = planning.totals.get(key, [])
        self.para(w["plan_basis_" + planning.basis])
        if not (gaps or cv or checks):
            self.para(w["nothing"])
        costs = self.costs
        if gaps:
            self.subheading(w["additions"])
            heads = [
                vw["school"],
                vw["level"],
                pw["resource"],
                vw["indicator"],
                pw["now"],
                pw["after"],
                pw["add"],
            ]
            heads += [pw["cost"]] if costs else []
            heads += [pw["action"]]
            self.table(
                heads,
                [
                    [
                        g["school_name"],
                        view.level(g["level"]),
                        resource_label(g, self.lang),
                        view.indicator_name(g["indicator"]),
                        number(g["value"]),
                        number(g["value_after"]),
                        "+" + number(g["addition"]),
                        *([number(g["cost"])] if costs else []),
                        pw.get(g["action"], "") if g["action"] else "",
                    ]
                    for g in gaps[:MAX_ROWS]
                ],
                [28, 12, 26, 34, 14, 14, 16, *([16] if costs else []), 16],
                numeric=range(4, 8 if costs else 7),
                size=8,
            )
            self._more(len(gaps), MAX_ROWS, "plan")
        if cv:
            self.subheading(w["cv_plan"])
            heads = [vw["level"], vw["indicator"], "CV" if self.lang == "en" else vw["cv"], pw["cv_after"]]
            heads += [vw["threshold"], pw["floor_value"], pw["total"], pw["receiving"]]
            heads += [pw["cost"]] if costs else []
            self.table(
                heads,
                [
                    [
                        view.level(c["level"]),
                        view.indicator_name(c["indicator"]),
                        number(c["cv"]),
                        number(c["cv_after"]),
                        f"≤ {number(c['limit'])}",
                        number(c["floor"]),
                        f"+{number(c['total_addition'])} {resource_label(c, self.lang)}",
                        c["n_sections"],
                        *([number(c["cost"])] if costs else []),
                    ]
                    for c in cv
                ],
                [12, 36, 14, 16, 14, 16, 32, 14, *([16] if costs else [])],
                numeric={2, 3, 4, 5, 7, 8},
                size=8,
            )
        if checks:
            self.subheading(w["other"])
            self.table(
                [vw["school"], vw["level"], vw["rule"], pw["now"], vw["threshold"], pw["change"]],
                [
                    [
                        c["school_name"],
                        view.level(c["level"]),
                        c["name_zh"] if self.lang == "zh" else c["name_en"],
                        number(c["value"]),
                        view.threshold_text(c),
                        f"{pw['add'] if c['direction'] == 'add' else pw['reduce']} {number(c['change'])} "
                        f"{resource_label(c, self.lang, 'column')}",
                    ]
                    for c in checks[:MAX_ROWS]
                ],
                [30, 12, 52, 16, 16, 34],
                numeric={3, 4},
                size=8,
            )
            self._more(len(checks), MAX_ROWS, "other")
        if totals:
            self.subheading(w["totals"])
            heads = [pw["resource"], pw["add"], w["sections_n"]] + ([pw["cost"]] if costs else [])
            self.table(
                heads,
                [
                    [
                        resource_label(t, self.lang),
                        "+" + number(t["addition"]),
                        t["n_sections"],
                        *([number(t["cost"])] if costs else []),
                    ]
                    for t in totals
                ],
                [70, 30, 30, *([30] if costs else [])],
                numeric=(1, 2, 3),
            )
            if costs:
                total = sum(t["cost"] for t in totals if t["cost"] is not None)
                self.para(w["total_cost"].format(cost=number(total)), bold=True)
        self.placeholder(w["measures_what"])

    def _more(self, total: int, shown: int, sheet: str) -> None:
        """A cut table's note: how many rows, and the workbook sheet (by key) that has them all."""
        if total > shown:
            name = sheet_name(sheet, self.lang)
            self.para(self.w["more_rows"].format(shown=shown, total=total, sheet=name))


# ---------------------------------------------------------------- OOXML details
def _level_key(level: str) -> tuple[int, str]:
    from eduscore.model.contract import LEVELS

    return (LEVELS.index(level) if level in LEVELS else len(LEVELS), level)


def _fonts(style: ParagraphStyle, latin: str, east_asian: str) -> None:
    """A style's Latin and East Asian fonts (python-docx sets only the Latin one)."""
    style.font.name = latin
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)


def _no_border(style: ParagraphStyle) -> None:
    """The default template's Title has a rule under it; a report title has none."""
    ppr = style.element.pPr
    if ppr is not None:
        for border in ppr.findall(qn("w:pBdr")):
            ppr.remove(border)


def _shade(tc: Any, fill: str) -> None:
    tcpr = tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def _repeat_header(tr: Any) -> None:
    """The header row is repeated at the top of each page a table runs onto."""
    trpr = tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


def _keep_whole(tr: Any) -> None:
    """A row is never split across two pages (a clause cut in half reads as two)."""
    trpr = tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))


def _page_numbers(p: Paragraph) -> None:
    """A centred page number in the footer (a PAGE field)."""
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    p._p.append(field)
