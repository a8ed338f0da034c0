"""The words of the XLSX workbooks, one language per workbook (issue #14 item 2).

Each sheet's name (:data:`SHEETS`) and each column header (:data:`HEADS`) in Chinese and
in English, in one place: the writers (:mod:`eduscore.report.xlsx`, the plan sheets of
:mod:`eduscore.report.planning`), the formulas that refer to another sheet and the
terminal's "the rest is in sheet …" all take them from here. Names from the inputs
(schools, counties) and from the framework (indicators, rules) are not here: they come
with the data, in the reader's language where the framework has both."""

from __future__ import annotations

LANGS = ("zh", "en")

#: Sheet key → its name in each language (at most 31 characters, none of ``[]:*?/\``).
SHEETS: dict[str, tuple[str, str]] = {
    "verdict": ("结论", "Verdict"),
    "checks": ("检查项", "Checks"),
    "sections": ("分校数据", "Schools"),
    "cv": ("差异系数", "CV"),
    "compliance": ("达标矩阵", "Compliance"),
    "excluded": ("不纳入", "Excluded"),
    "findings": ("数据问题", "Findings"),
    "plan": ("达标方案", "Plan"),
    "cv_plan": ("差异系数整改", "CV plan"),
    "other": ("其他未达标", "Other failing"),
    "additions": ("学校增量", "Additions"),
    "margins": ("安全边际", "Margins"),
    "decomposition": ("差异分解", "Decomposition"),
    "accounting": ("核对", "Accounting"),
    # The summary workbook of many counties.
    "about": ("说明", "About"),
    "open_checks": ("未达标检查", "Open checks"),
    "findings_summary": ("数据问题汇总", "Findings summary"),
    # The history of many counties and years (eduscore history).
    "history_counties": ("各县概况", "Counties"),
    "history_verdicts": ("各年结论", "Verdicts by year"),
    "history_cv": ("各年差异系数", "CVs by year"),
    "history_changes": ("检查项变化", "Changes"),
    "history_alerts": ("预警", "Alerts"),
}


def sheet_name(key: str, lang: str) -> str:
    """The name of sheet ``key`` in a workbook of language ``lang`` (English unless "zh")."""
    zh, en = SHEETS[key]
    return zh if lang == "zh" else en


#: Column key → its header in each language.
HEADS: dict[str, tuple[str, str]] = {
    # Identity.
    "county_code": ("县区代码", "county code"),
    "county_name": ("县区名称", "county name"),
    "year": ("年份", "year"),
    "level": ("学段", "level"),
    "school_id": ("学校标识码", "school id"),
    "school_name": ("学校名称", "school name"),
    "school": ("学校", "school"),
    "students": ("学生数", "students"),
    "n_schools": ("学校数", "schools"),
    # Verdicts.
    "verdict": ("结论", "verdict"),
    "grade": ("等级", "grade"),
    "n_pass": ("达标项数", "passed"),
    "n_fail": ("未达标项数", "failed"),
    "n_not_assessed": ("未评估项数", "not assessed"),
    "reasons": ("原因", "reasons"),
    "failing_checks": ("未达标项目", "failing checks"),
    # Checks.
    "check_id": ("检查项编号", "check id"),
    "name": ("名称", "name"),
    "check": ("检查项", "check"),
    "group": ("分组", "group"),
    "status": ("结果", "status"),
    "value": ("数值", "value"),
    "comparator": ("比较", "comparator"),
    "threshold": ("标准", "threshold"),
    "reason": ("说明", "reason"),
    "confidence": ("可信度", "confidence"),
    "document": ("文件", "document"),
    "clause": ("条款", "clause"),
    "rule_set": ("规则来源", "rule set"),
    "version": ("版本", "version"),
    "relaxed_by": ("声明放宽", "relaxed by"),
    "kind_plugin": ("规则种类(插件)", "rule kind (plugin)"),
    # Excluded sections.
    "rule": ("规则", "rule"),
    "exclusion_reason": ("原因", "reason"),
    # Data problems.
    "file": ("文件", "file"),
    "sheet": ("工作表", "sheet"),
    "row": ("行", "row"),
    "column": ("列", "column"),
    "cell_value": ("值", "value"),
    "severity": ("级别", "severity"),
    "message": ("说明", "message"),
    "n_rows": ("行数", "rows"),
    "first_row": ("首行", "first row"),
    "first_message": ("说明(首行)", "message (first row)"),
    # Row accounting.
    "table": ("表", "table"),
    "source": ("文件", "source"),
    "rows": ("行数", "rows"),
    "scored": ("计入", "scored"),
    "excluded": ("不纳入", "excluded"),
    "rejected": ("未采用", "rejected"),
    "unused": ("未使用", "unused"),
    "accounting": ("说明", "accounting"),
    # The CVs of many counties.
    "cv_limit": ("差异系数上限", "CV limit"),
    "failing_cvs": ("未达标的差异系数", "failing CVs"),
    # The plan.
    "indicator": ("指标", "indicator"),
    "resource": ("资源", "resource"),
    "now": ("现值", "value"),
    "floor": ("85%线", "85% floor"),
    "to_threshold": ("达标需增", "to threshold"),
    "to_floor": ("达85%需增", "to floor"),
    "action": ("处理", "action"),
    "for_six": ("用于六项达标", "for six of seven"),
    "for_cv": ("用于差异系数", "for the CV"),
    "addition": ("增加", "addition"),
    "total_addition": ("合计增量", "total addition"),
    "after": ("增加后", "after"),
    "cost": ("成本", "cost"),
    "limit": ("上限", "limit"),
    "cv": ("差异系数", "CV"),
    "cv_after_schools": ("校内增量后差异系数", "CV after school additions"),
    "raise_to": ("补足到", "raise to"),
    "continuous": ("连续最优", "continuous minimum"),
    "n_receiving": ("受补学校数", "schools receiving"),
    "cv_after": ("整改后差异系数", "CV after"),
    "change": ("调整", "change"),
    "direction": ("方向", "direction"),
    "input_column": ("字段", "column"),
    "input_name": ("字段名", "column name"),
    "in_plan": ("已计入方案", "in plan"),
    # Margins.
    "scope": ("范围", "scope"),
    "margin": ("余量", "margin"),
    "relative_margin": ("相对余量", "relative margin"),
    "flip_growth": ("在校生增长多少即不达标", "fails at enrolment growth of"),
    "flip_units": ("再减少多少即不达标", "fails after losing"),
    "units": ("单位", "units"),
    # The decomposition.
    "grouping": ("分组方式", "grouping"),
    "n_groups": ("组数", "groups"),
    "variance": ("方差", "variance"),
    "within": ("组内", "within"),
    "between": ("组间", "between"),
    "between_share": ("组间占比", "between-group share"),
    "theil": ("泰尔指数", "Theil"),
    "theil_within": ("泰尔指数组内", "Theil within"),
    "theil_between": ("泰尔指数组间", "Theil between"),
    # The history (eduscore history).
    "framework": ("评估框架", "framework"),
    "years": ("评估年份", "years"),
    "first_certified_year": ("首次通过认定年份", "first certified"),
    "certified_year": ("通过认定年份", "certified in"),
    "latest_year": ("最近评估年份", "latest year"),
    "latest_verdict": ("最近结论", "latest verdict"),
    "n_alerts": ("预警项数", "alerts"),
    "n_alerts_latest": ("最近一年预警项数", "alerts in the latest year"),
    "previous_year": ("上次评估年份", "previous year"),
    "previous_verdict": ("上次结论", "previous verdict"),
    "previous_cv": ("上次差异系数", "previous CV"),
    "cv_change": ("差异系数变化", "CV change"),
    "previous_status": ("上次结果", "previous status"),
    "previous_value": ("上次数值", "previous value"),
    "check_change": ("变化", "change"),
}


def head(key: str, lang: str) -> str:
    """The header of column ``key`` in ``lang``."""
    zh, en = HEADS[key]
    return zh if lang == "zh" else en


def heads(lang: str, *keys: str) -> list[str]:
    """The headers of columns ``keys`` in ``lang``."""
    return [head(k, lang) for k in keys]


#: Words in cells: a margin's scope, yes and no.
VALUES: dict[str, tuple[str, str]] = {
    "scope.section": ("学校", "school"),
    "scope.county": ("县", "county"),
    "scope.cv": ("差异系数", "CV"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}


def value_word(key: str, lang: str) -> str:
    """A word written in a cell (:data:`VALUES`), the key itself when there is none."""
    zh, en = VALUES.get(key, (key, key))
    return zh if lang == "zh" else en


# The words of the live sheets (the per-school sheet, the CVs and the recomputed verdict):
# their notes and headers, in the workbook's language.
LIVE = {
    "zh": {
        "input": "原始数据(可修改):修改某校的数据,其各项指标、{0}、差异系数及资源配置结论随之重算",
        "formula": "公式:由本行的原始数据计算(与评估引擎的算法相同);请修改蓝色的原始数据列,不要修改公式",
        "fixed": "固定值:评估引擎的计算结果。该指标在本行的公式无法用 Excel 公式重现,修改原始数据不会更新此格",
        "standard": "该校该学段的标准(评估时所用,固定值)",
        "met": "是否达到标准(公式)",
        "ratio": "达标比:数值 ÷ 标准(公式;1 为恰好达标,低于 1 为未达标)",
        "value": "{0} 数值",
        "standard_head": "标准",
        "met_head": "达标",
        "ratio_head": "达标比",
        "gap_head": "差距",
        "met_count": "达标项数",
        "missed": "未达标项数",
        "missing": "缺数据项数",
        "below": "低于{0}项数",
        "status": "{0} 结果",
        "mean": "{0} 均值",
        "cv": "{0} 差异系数",
        "limit": "差异系数上限",
        "cv_status": "{0} 差异系数结果",
        "failing": "未达标的差异系数个数",
        "composite": "{0} 数值",
        "composite_limit": "{0} 上限",
        "composite_status": "{0} 结果",
        "verdict_title": "{0}结论(随分校数据重算)",
        "group": "分组",
        "units_fail": "{0}:未达标学校数",
        "units_open": "{0}:未评估学校数",
        "cvs_fail": "差异系数:未达标数",
        "cvs_open": "差异系数:未评估或无法计算数",
        "fixed_fail": "其他检查(不随数据重算):未达标数",
        "fixed_open": "其他检查(不随数据重算):未评估数",
        "fixed_list": "其他检查",
        "verdict": "结论",
        "cv_note": (
            "差异系数 = √(Σ学生数×数值² ÷ 学生总数 − 均值²) ÷ 均值(学生数加权),"
            "只计学生数大于 0 的学校;任一学校缺数据时不计算(未评估)。"
        ),
        "yes_no": '"是";"是";"否"',
    },
    "en": {
        "input": "raw input (editable): change a school's figure and its indicators, {0}, the CVs and the resource verdict are recomputed",
        "formula": "formula over this row's raw inputs (the engine's computation); edit the blue raw-input columns, not the formulas",
        "fixed": "fixed value: the engine's result. This indicator's formula for this row has no Excel form; editing the raw inputs does not update this cell",
        "standard": "the standard for this school and level (as evaluated; fixed)",
        "met": "whether the standard is met (formula)",
        "ratio": "ratio to the standard (formula; 1 = exactly at it, below 1 = short of it)",
        "value": "{0} value",
        "standard_head": "standard",
        "met_head": "met",
        "ratio_head": "ratio",
        "gap_head": "gap",
        "met_count": "met",
        "missed": "missed",
        "missing": "missing data",
        "below": "below {0}",
        "status": "{0} status",
        "mean": "{0} mean",
        "cv": "{0} CV",
        "limit": "CV limit",
        "cv_status": "{0} CV status",
        "failing": "failing CVs",
        "composite": "{0} value",
        "composite_limit": "{0} limit",
        "composite_status": "{0} status",
        "verdict_title": "{0} verdict (recomputed from the schools sheet)",
        "group": "group",
        "units_fail": "{0}: schools failing",
        "units_open": "{0}: schools not assessed",
        "cvs_fail": "CVs failing",
        "cvs_open": "CVs not assessed or not computable",
        "fixed_fail": "other checks (not recomputed): failing",
        "fixed_open": "other checks (not recomputed): not assessed",
        "fixed_list": "other checks",
        "verdict": "verdict",
        "cv_note": (
            "CV = √(Σ students × value² ÷ students − mean²) ÷ mean (weighted by students), over the "
            "schools with students; not computed (not assessed) while any school lacks data."
        ),
        "yes_no": '"yes";"yes";"no"',
    },
}
