"""Validation findings: every problem in the inputs, all at once, with where and why.

A finding names the file, sheet, row (as in the file: the header is row 1 unless title
rows sit above it), column, value, the rule, a severity and a message in Chinese and
English. ``error`` rejects the row (it is not scored, and is counted as rejected; a
county with a rejected row cannot be certified); ``warning`` keeps it; ``notice`` says
what eduscore did on its own: dropped a row that is not data (a totals row, counted as
rejected but no error), skipped blank rows, cleaned a code (kept).

The rules are listed in :data:`RULES`; ``docs/validation.md`` explains each one and how
to fix the data, and a test fails when a rule is not documented there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import attrs
import pyarrow as pa
import pyarrow.compute as pc

FINDING_SCHEMA = pa.schema(
    [
        ("table", pa.string()),
        ("source", pa.string()),
        ("sheet", pa.string()),
        ("row", pa.int64()),
        ("column", pa.string()),
        ("value", pa.string()),
        ("rule", pa.string()),
        ("severity", pa.string()),
        ("message_zh", pa.string()),
        ("message_en", pa.string()),
        ("reason", pa.string()),
        ("rejects_row", pa.bool_()),
    ]
)
SEVERITIES = ("error", "warning", "notice")


@attrs.frozen
class ValidationRule:
    id: str
    severity: str
    zh: str
    en: str
    #: Whether a finding of this rule takes its row out of the data (errors and totals rows).
    rejects: bool = True
    #: Whether the value is about one cell, so that a bad value in a column the framework
    #: does not read is only a warning (the cell is ignored, the row is kept).
    cell: bool = False


def _r(id: str, severity: str, zh: str, en: str, *, cell: bool = False) -> ValidationRule:
    return ValidationRule(id, severity, zh, en, rejects=severity != "warning", cell=cell)


def _notice(id: str, zh: str, en: str) -> ValidationRule:
    """A notice that keeps its row: eduscore tells what it did on its own."""
    return ValidationRule(id, "notice", zh, en, rejects=False)


RULES: dict[str, ValidationRule] = {
    r.id: r
    for r in (
        _r("required_empty", "error", "必填项为空", "a required value is empty"),
        _r("not_a_number", "error", "不是数字", "not a number", cell=True),
        _r(
            "not_an_integer",
            "error",
            "应为整数(人数、间数、台数等不能有小数)",
            "expected a whole number (counts of people, rooms, devices have no fractions)",
            cell=True,
        ),
        _r(
            "bad_thousands_separator",
            "error",
            "逗号不是千位分隔符(应为 1,850 这样每三位一个逗号)",
            "a comma that is not a thousands separator (write 1,850 or 1850)",
            cell=True,
        ),
        _r(
            "percent_not_rate",
            "error",
            "此列不是比例,不能填百分数",
            "a percentage in a column that is not a rate",
            cell=True,
        ),
        _r("negative", "error", "不能为负数", "must not be negative", cell=True),
        _r(
            "looks_like_percentage",
            "error",
            "比例大于1,像是百分数:请填 0.85 或 85%",
            "a rate above 1 looks like a percentage: write 0.85 or 85%",
            cell=True,
        ),
        _r(
            "rate_out_of_range",
            "error",
            "比例应在 0 到 1 之间",
            "a rate must lie between 0 and 1",
            cell=True,
        ),
        _r("unknown_value", "error", "不是可选值", "not one of the allowed values", cell=True),
        _r("not_yes_no", "error", "应为 是/否", "expected yes/no (是/否, true/false, 1/0)", cell=True),
        _r(
            "county_code_format",
            "error",
            "县区代码应为6位数字(如 330482)",
            "county_code must be a 6-digit GB/T 2260 code such as 330482",
        ),
        _r("year_out_of_range", "error", "年份超出合理范围", "year out of range", cell=True),
        _r("implausible_value", "error", "数值大得不合理", "implausibly large value", cell=True),
        _r("out_of_range", "error", "超出该项的取值范围", "outside the range this item can take", cell=True),
        _r(
            "unusual_value",
            "warning",
            "数值异常,请核对(单位是否为元而非万元?)",
            "an unusual value: check it (the unit: 元, not 万元?)",
            cell=True,
        ),
        _r(
            "cells_beyond_header",
            "error",
            "此行的单元格比表头多(名称中未加引号的逗号会使其后各列错位):该行不采用",
            "the row has more cells than the header (an unquoted comma in a name shifts the cells "
            "after it): the row is not used",
        ),
        _r(
            "spreadsheet_error",
            "error",
            "单元格是表格公式的错误值(如 #DIV/0!、#N/A),不是数据:请修正公式",
            "the cell holds a spreadsheet error (#DIV/0!, #N/A …), not a value: fix the formula",
            cell=True,
        ),
        _r(
            "conflicting_values",
            "error",
            "同一数据以两种单位填写且不一致(元与万元)",
            "the same figure given in two units that disagree (元 and 万元)",
            cell=True,
        ),
        _r(
            "unusual_indicator",
            "warning",
            "指标值远超标准,请核对单位与数值",
            "an indicator far above its threshold: check the unit and the value",
        ),
        _r(
            "class_size_below_average",
            "error",
            "最大班额远小于平均班额(学生数÷班级数)",
            "the largest class is far smaller than the average class (pupils ÷ classes)",
            cell=True,
        ),
        _r(
            "level_not_taught",
            "error",
            "学校类型与学段数据矛盾:该类学校没有这个学段",
            "the school type does not teach this level, yet counts are reported for it",
        ),
        _r(
            "duplicate_id",
            "error",
            "标识码重复:前面已有同一单位,此行不采用",
            "duplicate id: an earlier row has the same id, this row is not used",
        ),
        _r(
            "exceeds_teachers",
            "error",
            "该类教师数多于专任教师总数",
            "more of these teachers than full-time teachers",
            cell=True,
        ),
        _r(
            "exceeds_classes",
            "error",
            "超额班级数多于班级总数",
            "more oversize classes than classes",
            cell=True,
        ),
        _r(
            "totals_row",
            "notice",
            "合计行,已忽略(不是一所学校或一个县)",
            "a totals row, dropped (it is not a school or a county)",
        ),
        _r(
            "zero_students",
            "warning",
            "学生数为0但填有办学资源:该学段指标无法计算",
            "zero students but resources reported: this level's indicators cannot be computed",
        ),
        _r(
            "children_per_teacher",
            "warning",
            "生师比异常(每名教师超过60名幼儿)",
            "more than 60 children per full-time teacher: check the counts",
        ),
        _r("class_size_implausible", "warning", "最大班额超过100人,请核对", "largest class above 100: check"),
        _r("unknown_column", "warning", "无法识别的列,未使用", "unrecognised column, not used"),
        _r(
            "derived_column_ignored",
            "warning",
            "此列由各学段数据计算得出,所填数值未采用",
            "this column is computed from the sections; the values given are not used",
        ),
        _r(
            "county_without_facts",
            "warning",
            "县区代码在县表中没有对应行:该县的县级指标均未评估。代码是否填错?",
            "no row of the counties table has this county code, so its county items are not assessed: "
            "is the code mistyped?",
        ),
        _r(
            "staff_without_pupils",
            "error",
            "某学段学生数为0却填有该学段的教师或班级:该学段会被略去,请核对",
            "a level with 0 pupils but its own teachers or classes: the level would drop out, "
            "check the counts",
        ),
        _r(
            "spanning_school_one_level",
            "warning",
            "一贯制学校有一个学段没有学生(规模上限按一贯制学校计):请核对学校类型",
            "a school of two levels with no pupils in one of them (its size cap is the higher one): "
            "check the school type",
        ),
        _r(
            "county_year_without_facts",
            "error",
            "县表中有该县,但没有这一年份的行:年份是否填错?",
            "the counties table has this county, but not for this year: is the year mistyped?",
        ),
        _r(
            "similar_id",
            "error",
            "同县同年已有一行,其标识码与此行只差写法(如 .0、前导零、科学计数法、连字符、大小写):"
            "视为同一学校的重复行,此行未采用",
            "an earlier row of this county and year has the same id written differently (.0, "
            "leading zeros, scientific notation, dashes, case): a duplicate of one school, this "
            "row is not used",
        ),
        ValidationRule(
            "same_name",
            "error",
            "同县同年(同学段)另有同名学校,标识码不同:是否重复填报?两行都已计入;核实前该县不能通过认定"
            "(如确为两所学校,请在名称中区分,如加校区名)",
            "another school of this county and year (and level) has the same name under a "
            "different id: is it listed twice? Both rows are counted; the county cannot be "
            "certified until this is resolved (if they are two schools, tell their names apart, "
            "e.g. by campus)",
            rejects=False,
        ),
        ValidationRule(
            "school_facts_differ",
            "error",
            "同一学校的各学段行中,属于全校的信息(县区、名称、类型、专用教室、建校年份等)填写不一致:"
            "无法判断哪一个正确;各行均已计入,核实前该县不能通过认定",
            "the rows of one school's sections disagree on a fact of the whole school (county, "
            "name, type, special rooms, year built…): which one is right cannot be told; the rows "
            "are counted, and the county cannot be certified until this is resolved",
            rejects=False,
        ),
        _notice(
            "text_cleaned",
            "已规范化:全角字符、不可见字符或控制字符已转换或删除",
            "cleaned: full-width, invisible or control characters converted or removed",
        ),
        _r(
            "ambiguous_percent",
            "error",
            "表头标明(%),而此值不大于1:无法确定是百分数还是比例(1 可能是 1%,也可能是 100%),"
            "未读取;请写成百分数,如 85 或 85%",
            "the header says (%) but the value is at most 1: it could be a percentage (1 is 1 %) "
            "or a fraction (1 is 100 %), so it is not read; write it as a percentage, e.g. 85 or 85%",
            cell=True,
        ),
        _notice(
            "percent_header_fractions",
            "表头标明(%),但此列的数都是不大于1的小数:按比例读取(如 0.85 即 85%)",
            "the header says (%) but every value of the column is a fraction: read as fractions "
            "(0.85 is 85%)",
        ),
        _r(
            "row_above_header",
            "warning",
            "此行在表头之上却填有数据:已按表头各列作为数据行读取并评估;请核对表头是否在首行"
            "(排序时未勾选“数据包含标题”会把表头移到中间)",
            "this row lies above the header but holds data: it is read and scored as a row of the "
            "table under the header's columns; check that the header is the first row (sorting "
            "without “my data has headers” moves the header down)",
        ),
        ValidationRule(
            "hidden_rows",
            "warning",
            "工作表中有隐藏的行(手动隐藏或被筛选掉):这些行已读取并参与评估;请取消隐藏或清除筛选后核对",
            "the sheet has hidden rows (hidden by hand or filtered out): they are read and scored; "
            "unhide them or clear the filter to check them",
            rejects=False,
        ),
        _notice(
            "blank_rows",
            "空行已跳过(不是数据行)",
            "blank rows skipped (they are not rows of data)",
        ),
        _notice(
            "plugin_switched_off",
            "插件已按设置停用,其省市规则未应用",
            "a plugin switched off on purpose: its province or city rules are not applied",
        ),
        _r(
            "plugin_failed",
            "error",
            "插件加载失败,其省市规则未能应用:修复或卸载该插件,或用 EDUSCORE_DISABLE_PLUGINS 明确停用",
            "a plugin failed, so its province or city rules were not applied: fix or uninstall it, "
            "or block it explicitly with EDUSCORE_DISABLE_PLUGINS",
        ),
        _r(
            "plugin_kind_failed",
            "error",
            "插件的规则类型出错(抛出异常或返回的表格式不对),该规则涉及的县未能评估:请修复或卸载该插件",
            "a plugin's rule kind failed (it raised, or returned a malformed table), so the counties "
            "its rule touches are not assessed: fix or uninstall the plugin",
        ),
    )
}

#: Suffix of a cell finding downgraded to a warning because the framework does not read its column.
UNUSED_ZH = "本评估办法不使用该列:此值已忽略,该行照常计入"
UNUSED_EN = "this framework does not use the column: the value is ignored, the row is kept"


def empty() -> pa.Table:
    return FINDING_SCHEMA.empty_table()


@attrs.frozen
class Where:
    """Where a table came from: the file and sheet, and what its rows are called."""

    table: str
    source: str
    sheet: str = ""


Detail: TypeAlias = pa.ChunkedArray | pa.Array | str | Callable[[], pa.ChunkedArray | pa.Array] | None


def findings(
    where: Where,
    rows: pa.Array,
    column: str,
    values: pa.ChunkedArray | pa.Array,
    mask: pa.ChunkedArray | pa.Array,
    rule: str,
    detail: Detail = None,
    detail_en: Detail = None,
) -> pa.Table:
    """One finding per row where ``mask`` holds. ``detail`` (one text, or one per row)
    is appended to the rule's message, e.g. "did you mean 'nine_year'?"; with
    ``detail_en``, ``detail`` is the Chinese text and ``detail_en`` the English one.
    A detail may be a function giving the per-row texts: it is called only when some
    row is found (formatting a column of numbers as text costs more than the check)."""
    mask = pc.fill_null(mask, False)
    if not pc.any(mask).as_py():
        return empty()
    if callable(detail):
        detail = detail()
    if callable(detail_en):
        detail_en = detail_en()
    spec = RULES[rule]
    picked_rows = pc.filter(rows, mask)
    k = len(picked_rows)
    zh = pa.repeat(pa.scalar(spec.zh), k)
    en = pa.repeat(pa.scalar(spec.en), k)

    def append(message: pa.Array, text: pa.ChunkedArray | pa.Array | str, separator: str) -> pa.Array:
        extra = pc.filter(text, mask) if not isinstance(text, str) else pa.repeat(pa.scalar(text), k)
        extra = pc.fill_null(pc.cast(extra, pa.string()), "")
        sep = pc.if_else(pc.equal(extra, ""), "", separator)
        return pc.binary_join_element_wise(message, sep, extra, "")

    if detail is not None:
        zh = append(zh, detail, ";" if detail_en is not None else "; ")
        en = append(en, detail if detail_en is None else detail_en, "; ")
    return pa.table(
        {
            "table": pa.repeat(pa.scalar(where.table), k),
            "source": pa.repeat(pa.scalar(where.source), k),
            "sheet": pa.repeat(pa.scalar(where.sheet), k),
            "row": picked_rows,
            "column": pa.repeat(pa.scalar(column), k),
            "value": pc.cast(pc.filter(values, mask), pa.string()),
            "rule": pa.repeat(pa.scalar(rule), k),
            "severity": pa.repeat(pa.scalar(spec.severity), k),
            "message_zh": zh,
            "message_en": en,
            "reason": en,
            "rejects_row": pa.repeat(pa.scalar(spec.rejects), k),
        },
        schema=FINDING_SCHEMA,
    )


def concat(parts: list[pa.Table]) -> pa.Table:
    parts = [p for p in parts if p.num_rows]
    if not parts:
        return empty()
    return pa.concat_tables(parts).sort_by(
        [("table", "ascending"), ("row", "ascending"), ("column", "ascending")]
    )


def downgrade_unused(found: pa.Table, used: set[str]) -> pa.Table:
    """A bad value in a column the framework does not read is a warning, not a rejection:
    the cell is ignored (it was already set missing) and the row is scored."""
    cell_rules = pa.array(sorted(r.id for r in RULES.values() if r.cell))
    if found.num_rows == 0:
        return found
    hit = pc.and_(
        pc.is_in(found.column("rule"), cell_rules),
        pc.invert(pc.is_in(found.column("column"), pa.array(sorted(used), pa.string()))),
    )
    hit = pc.and_(hit, pc.equal(found.column("severity"), "error"))
    if not pc.any(hit).as_py():
        return found
    out = found
    for name, value in (
        ("severity", pc.if_else(hit, pa.scalar("warning"), found.column("severity"))),
        ("rejects_row", pc.if_else(hit, pa.scalar(False), found.column("rejects_row"))),
        (
            "message_zh",
            pc.if_else(
                hit,
                pc.binary_join_element_wise(found.column("message_zh"), pa.scalar(UNUSED_ZH), ";"),
                found.column("message_zh"),
            ),
        ),
        (
            "message_en",
            pc.if_else(
                hit,
                pc.binary_join_element_wise(found.column("message_en"), pa.scalar(UNUSED_EN), "; "),
                found.column("message_en"),
            ),
        ),
    ):
        out = out.set_column(out.column_names.index(name), name, value)
    return out.set_column(out.column_names.index("reason"), "reason", out.column("message_en"))


KEPT_ZH = "此值不采用,该县其余数据照常评估"
KEPT_EN = "this value is not used; the county's other facts are"


def keep_rows_for_cells(found: pa.Table) -> pa.Table:
    """A county row holds every fact of its county: one bad cell must not drop them all
    (37 checks "missing input" for one mistyped rate). A cell error there keeps the row and
    leaves only that value missing — still an error, which keeps the county from being
    certified (see :mod:`eduscore.engine.integrity`)."""
    if found.num_rows == 0:
        return found
    cell_rules = pa.array(sorted(r.id for r in RULES.values() if r.cell))
    hit = pc.and_(pc.is_in(found.column("rule"), cell_rules), found.column("rejects_row"))
    if not pc.any(hit).as_py():
        return found
    out = found.set_column(
        found.column_names.index("rejects_row"),
        "rejects_row",
        pc.if_else(hit, pa.scalar(False), found.column("rejects_row")),
    )
    for name, suffix, sep in (("message_zh", KEPT_ZH, ";"), ("message_en", KEPT_EN, "; ")):
        joined = pc.binary_join_element_wise(out.column(name), pa.scalar(suffix), sep)
        out = out.set_column(out.column_names.index(name), name, pc.if_else(hit, joined, out.column(name)))
    return out.set_column(out.column_names.index("reason"), "reason", out.column("message_en"))


def rejecting(found: pa.Table) -> pa.Table:
    """The findings that reject their row."""
    return found.filter(found.column("rejects_row"))
