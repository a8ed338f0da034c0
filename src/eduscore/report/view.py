"""The report's view of a result: per county, its checks in the framework's order, its
failing sections with the gap to each threshold, its CVs — labelled in Chinese or English.

Every renderer (terminal, Markdown, HTML, XLSX) reads this view, so they say the same.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eduscore.engine import integrity
from eduscore.engine.assemble import MEAN_OF_CVS
from eduscore.errors import EduscoreError
from eduscore.inputs.read import TABLE_ZH
from eduscore.model import contract
from eduscore.model.contract import LEVEL_NAMES
from eduscore.model.formula import PerStudent, per_student_terms
from eduscore.model.framework import CONFIDENCE_LABELS, Framework
from eduscore.model.messages import label
from eduscore.result import VERDICTS, Result
from eduscore.result import accounting_line as accounting_line  # re-exported: the reports use it
from eduscore.result import source_text as source_text

STATUS = {
    "zh": {
        "pass": "达标",
        "fail": "未达标",
        "basic_pass": "基本达标",
        "not_assessed": "未评估",
        "not_computable": "无法计算",
        "not_applicable": "不适用",
        "excluded": "不纳入",
        "info": "参考",
    },
    "en": {
        "pass": "pass",
        "fail": "fail",
        "basic_pass": "basic pass",
        "not_assessed": "not assessed",
        "not_computable": "not computable",
        "not_applicable": "not applicable",
        "excluded": "excluded",
        "info": "info",
    },
}
VERDICT = {lang: {v: label(f"verdict.{v}", lang) for v in VERDICTS} for lang in ("zh", "en")}
WORDS: dict[str, dict[str, Any]] = {
    "zh": {
        "verdict": "认定结论",
        "checks": "评估项目",
        "failing_sections": "未达标学校",
        "dispersion": "差异系数",
        "indicator": "指标",
        "level": "学段",
        "value": "数值",
        "threshold": "标准",
        "status": "结果",
        "source": "依据",
        "confidence": "可信度",
        "school": "学校",
        "students": "学生数",
        "mean": "均值",
        "cv": "差异系数",
        "limit": "上限",
        "gap": "差距",
        "ratio": "达标比",
        "rule": "规则",
        "reason": "说明",
        "accounting": "数据行核对",
        "excluded": "不纳入计算的学校",
        "rejected": "未采用的数据行",
        "findings": "数据问题",
        "severity": {
            "error": "错误(该行不采用)",
            "warning": "警告(该行仍采用)",
            "notice": "提示(已自动处理)",
        },
        "rule_set": "规则来源",
        "kind_source": "种类 {kind}({plugin})",
        "relaxed": "规则集声明放宽的项目",
        "grade": "等级",
        "synthetic": "",
        "document": "文件",
        "clause": "条款",
        "spec": "规则说明",
        "confidence_labels": {"C": "经一手文件确认", "S": "二手来源", "I": "实现时的取舍"},
        "tables": {role: f"{name}表" for role, name in TABLE_ZH.items()},
        "allowed": "单项低于标准、按“七项中六项达标且余项不低于85%”视为达标的学校",
        "allowed_line": "另有 {n} 项单项指标低于标准但不低于标准的85%,所在学校七项中至少六项达标,按规定视为达标",
    },
    "en": {
        "verdict": "Verdict",
        "checks": "Checks",
        "failing_sections": "Failing schools",
        "dispersion": "Difference coefficients (CV)",
        "indicator": "Indicator",
        "level": "Level",
        "value": "Value",
        "threshold": "Threshold",
        "status": "Status",
        "source": "Source",
        "confidence": "Conf.",
        "school": "School",
        "students": "Students",
        "mean": "Mean",
        "cv": "CV",
        "limit": "Limit",
        "gap": "Gap",
        "ratio": "Ratio",
        "rule": "Rule",
        "reason": "Reason",
        "accounting": "Row accounting",
        "excluded": "Schools outside the calculation",
        "rejected": "Input rows not used",
        "findings": "Data problems",
        "severity": {
            "error": "error (row not used)",
            "warning": "warning (row kept)",
            "notice": "notice (handled automatically)",
        },
        "rule_set": "Rule set",
        "kind_source": "kind {kind} ({plugin})",
        "relaxed": "Rules relaxed by a rule set (declared)",
        "grade": "Grade",
        "synthetic": "",
        "document": "document",
        "clause": "clause",
        "spec": "spec",
        "confidence_labels": CONFIDENCE_LABELS,
        "tables": {role: role for role in TABLE_ZH},
        "allowed": "Schools that pass with an indicator below standard (six of seven met, the rest at 85 % or more)",
        "allowed_line": "{n} more indicator(s) below standard but at 85 % or more of it, in schools meeting six "
        "of seven: allowed, these schools pass",
    },
}
# The unit of a bare column, from its name (zh, en): what a count or an area is counted in.
_UNIT_SUFFIXES = (
    ("_m2", ("平方米", "m²")),
    ("_cny", ("元", "CNY")),
    ("classrooms", ("间", "rooms")),
    ("_rooms", ("间", "rooms")),
    ("max_class_size", ("人", "pupils")),
    ("students", ("人", "pupils")),
    ("children", ("人", "children")),
    ("teachers", ("人", "teachers")),
    ("computers", ("台", "computers")),
    ("books", ("册", "volumes")),
    ("classes", ("个班", "classes")),
)
_ALL_COLUMNS = {c.name: c for table in contract.TABLES.values() for c in table}


def unit_of(column: str) -> tuple[str, str] | None:
    """The unit (zh, en) a column counts in, from its name: 平方米 for ``*_m2``, 人 for
    any count of teachers (``teachers_above_degree``), …; None when the name says none."""
    unit = next((u for suffix, u in _UNIT_SUFFIXES if column.endswith(suffix)), None)
    if unit is None and "teachers" in column:
        return ("人", "teachers")
    return unit


_COMPARATORS = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠", ">": ">", "<": "<"}
_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@attrs.frozen
class Measure:
    """What a check's value is: a ``rate`` (a fraction shown as a percentage), a yes/no
    (``bool``), or a ``number`` with its unit (zh, en) when one is known."""

    kind: str = "number"
    unit: tuple[str, str] | None = None


def measure_of(formula: str | None, framework: Framework | None = None) -> Measure:
    """The measure of a value formula: a bare column's type (a rate, a yes/no) or its
    unit (:func:`unit_of`); a plain number for any other formula."""
    if not formula:
        return Measure()
    formula = formula.strip()
    if _BARE.fullmatch(formula):
        column = _ALL_COLUMNS.get(formula)
        if column is None and framework is not None:
            column = next((c.column() for c in framework.inputs if c.name == formula), None)
        if column is not None and column.type == "rate":
            return Measure("rate")
        if column is not None and column.type == "bool":
            return Measure("bool")
        return Measure("number", unit_of(formula))
    return Measure()


def number(x: float | None, digits: int = 3) -> str:
    """Numbers as a statistician writes them: 0.452, 4.2, 2,153, 1,234,567; missing,
    NaN and infinity as "—"."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    if x == 0:
        return "0"
    if abs(x) < 1:
        text = f"{x:.{digits}f}"
        return text[1:] if text.startswith("-") and not text.strip("-0.") else text  # never "-0.000"
    if abs(x) < 100:
        return (
            f"{x:.{max(digits - 1, 1)}f}".rstrip("0").rstrip(".") if abs(x - round(x)) > 1e-9 else f"{x:.0f}"
        )
    return f"{x:,.0f}"


def number_pair(value: float | None, threshold: float | None) -> tuple[str, str]:
    """A value and its threshold written with as many digits as it takes to tell them
    apart (2.2989 against 2.3 is not "2.3" against "2.3"), up to six."""
    for digits in range(3, 8):
        shown = number(value, digits), number(threshold, digits)
        if shown[0] != shown[1] or value == threshold or value is None or threshold is None:
            return shown
    return shown


def percent(x: float | None) -> str:
    """A share as a signed percentage (+4.2 %); missing, NaN and infinity as "—"."""
    if x is None or not math.isfinite(x):
        return "—"
    if round(x * 100, 1) == 0:
        return "0.0 %"  # never "-0.0 %"
    return f"{x * 100:+.1f} %"


def reason_of(row: Mapping[str, Any], lang: str) -> str:
    """A check's reason in the report's language: the engine renders each reason from the
    message catalog in both (``reason``, ``reason_zh``; :mod:`eduscore.model.messages`)."""
    text = row.get("reason_zh") if lang == "zh" else row.get("reason")
    return str(text or "")


# A clause as the frameworks cite it is bilingual ("政府保障程度 (government guarantee),
# 15 items"); in Chinese the English glosses go and the counts are said in Chinese.
_GLOSS = re.compile(r"\s*\((?=[A-Za-z])[^()]*\)")
_CLAUSE_ZH = (
    (re.compile(r",\s*(\d+) items\b"), r",共 \1 项"),
    (re.compile(r",\s*(\d+) indicators\b"), r",共 \1 项指标"),
    (re.compile(r"\((\d+) items\)"), r"(\1 项)"),
    (re.compile(r":\s*every item must pass"), ":每项均须达到"),
    (re.compile(r",\s*read literally with the nature of the indicators"), ""),
    (
        re.compile(r"\ba city implementation citing an MOE formula workbook\b"),
        "某市实施细则(引用教育部测算表)",
    ),
)


def clause_text(clause: str | None, lang: str) -> str:
    """A cited clause in the report's language: in Chinese without its English glosses
    ("政府保障程度,共 15 项"); in English as the framework writes it."""
    if not clause or lang != "zh":
        return clause or ""
    text = clause
    for pattern, replacement in _CLAUSE_ZH:
        text = pattern.sub(replacement, text)
    stripped = _GLOSS.sub("", text).strip()
    return stripped or clause


_PLACE_ZH = {"(header)": "(表头)", "(row)": "(整行)"}


def column_text(column: str | None, lang: str) -> str:
    """A finding's column: a header as the file writes it; the whole header row or the
    whole row, ``(header)``/``(row)``, in the report's language."""
    text = column or ""
    return _PLACE_ZH.get(text, text) if lang == "zh" else text


def spec_text(spec: str | None, lang: str) -> str:
    """A reference to the project's rules text (frameworks.md sections): "§2.3、§1.1"."""
    text = spec or ""
    return text.replace(" and ", "、") if lang == "zh" else text


def plain(column: Any) -> Any:
    """A column (or array) with its dictionary decoded, as Arrow's kernels want it."""
    return column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column


class CountySlices:
    """A table sorted by (county code, year) once, so that each county's rows are one
    zero-copy slice, turned into Python rows only when its county is shown: a nation's
    report never holds every table as Python objects at once.

    The sort is stable: each county's rows keep their order in the table.
    """

    def __init__(self, table: pa.Table) -> None:
        keys = ["county_code", "year"]
        # The keys decoded (Arrow sorts no dictionary column of a table).
        key_table = pa.table(
            [
                c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
                for c in table.select(keys).columns
            ],
            names=keys,
        )
        if table.num_rows:
            order = pc.sort_indices(key_table, sort_keys=[(k, "ascending") for k in keys])
            table, key_table = table.take(order), key_table.take(order)
        # One chunk: each county's rows are a slice of one array per column, and a
        # dictionary column's values are turned into Python once (:meth:`rows`).
        self.table = table.combine_chunks()
        self._values: dict[int, list[Any]] = {}
        # Each county's rows are a run of the sorted keys: a run starts where a key differs
        # from the row before. (Arrow's group_by does not promise the order of its
        # groups: taking offsets from it gave some counties another county's rows.)
        self._where: dict[tuple[str, Any], tuple[int, int]] = {}
        n = key_table.num_rows
        if n:
            start = np.zeros(n, dtype=bool)
            start[0] = True
            for column in key_table.columns:
                codes = pc.dictionary_encode(column.combine_chunks(), null_encoding="encode").indices
                c = np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64)
                start[1:] |= c[1:] != c[:-1]
            starts = np.flatnonzero(start)
            lengths = np.diff(np.append(starts, n)).tolist()
            firsts = key_table.take(pa.array(starts, pa.int64()))
            codes_, years = (firsts.column(k).to_pylist() for k in keys)
            for code, year, begin, length in zip(codes_, years, starts.tolist(), lengths, strict=True):
                self._where[(code, year)] = (begin, length)

    def slice(self, county_code: str, year: Any) -> pa.Table:
        where = self._where.get((county_code, year))
        return self.table.slice(*where) if where else self.table.slice(0, 0)

    def rows(self, county_code: str, year: Any) -> list[dict[str, Any]]:
        """One county's rows as dicts, as ``Table.to_pylist`` gives them; a dictionary
        column is decoded by its indices into its values made Python once per table
        (Arrow would make a scalar of every cell)."""
        part = self.slice(county_code, year)
        if not part.num_rows:
            return []
        columns = []
        for i, column in enumerate(part.columns):
            array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
            if not pa.types.is_dictionary(array.type):
                columns.append(array.to_pylist())
                continue
            values = self._values.get(i)
            if values is None:
                values = self._values[i] = array.dictionary.to_pylist()
            if array.null_count == len(array):
                columns.append([None] * len(array))
                continue
            decoded = [values[k] for k in array.indices.fill_null(0).to_numpy().tolist()]
            if array.null_count:
                for k in np.flatnonzero(array.is_null().to_numpy(zero_copy_only=False)).tolist():
                    decoded[k] = None
            columns.append(decoded)
        names = part.column_names
        return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


@attrs.frozen
class SectionGap:
    unit_id: str
    name: str
    level: str | None
    check_id: str
    check_name: str
    value: float | None
    threshold: float | None
    comparator: str | None
    ratio: float | None
    gap: float | None  # in the indicator's units: how far from the threshold
    resource_gap: float | None  # in the resource's own units (teachers, m², yuan, rooms)
    resource: str | None
    reason: str | None
    reason_zh: str | None = None


@attrs.frozen
class CountyView:
    county_code: str
    county_name: str
    year: int | None
    verdict: str
    grade: str | None
    reasons: list[str]
    counts: dict[str, int]
    checks: list[dict[str, Any]]  # ordered by group then document order
    failing: list[SectionGap]
    dispersion: list[dict[str, Any]]
    #: Indicators a school misses while it meets the count-met rule (six of seven, the
    #: rest at 85 % or more): allowed, and the school passes — not failures.
    allowed: list[SectionGap] = attrs.field(factory=list)


class ReportView:
    """Per-county slices of a :class:`Result`, in the framework's order and language."""

    def __init__(self, result: Result, lang: str = "zh") -> None:
        self.result = result
        self.lang = lang if lang in ("zh", "en") else "zh"
        self.fw: Framework = result.framework
        self.words = WORDS[self.lang]
        self.names = self._unit_names()
        self._rule_order = {r.id: i for i, r in enumerate(self.fw.rules)}
        groups = list(self.fw.groups) or []
        self._group_order = {g: i for i, g in enumerate(groups)}
        # Per-student indicators (``resource / students * k``): a gap is also a quantity of the resource.
        self._per_student: dict[str, PerStudent | None] = {
            i.id: per_student_terms(i.formula) for i in self.fw.indicators
        }
        self._sections_by_county: CountySlices | None = None
        self._sections_last: tuple[tuple[str, Any] | None, list[dict[str, Any]]] = (None, [])
        self._ratios_by_county: CountySlices | None = None
        self._excluded_by_county: CountySlices | None = None
        self._indicators = {i.id: i for i in reversed(self.fw.indicators)}  # the first of an id
        self._rules = {r.id: r for r in reversed(self.fw.rules)}
        self._rule_set_names: dict[str, str] | None = None
        self._names_of_checks: dict[str, str] | None = None

    def sections_of(self, county_code: str, year: int | None) -> list[dict[str, Any]]:
        """The in-scope scored units of one county, as rows. The sections table is sorted
        by county once per report (:class:`CountySlices`), never scanned again for each county."""
        if self._sections_by_county is None:
            s = self.result.sections
            s = s.filter(pc.fill_null(s.column("in_scope"), False)) if "in_scope" in s.column_names else s
            self._sections_by_county = CountySlices(s)
        if self._sections_last[0] != (county_code, year):  # the matrix and the charts ask in turn
            self._sections_last = ((county_code, year), self._sections_by_county.rows(county_code, year))
        return self._sections_last[1]

    def indicator_ratios_of(self, county_code: str, year: int | None) -> dict[tuple[str, str], float | None]:
        """{(unit id, indicator id): ratio to the threshold} of one county, sorted by county once."""
        if self._ratios_by_county is None:
            sc = self.result.section_checks
            sc = sc.filter(pc.equal(sc.column("kind"), "indicator")).select(
                ["county_code", "year", "unit_id", "check_id", "ratio"]
            )
            self._ratios_by_county = CountySlices(sc)
        return {
            (r["unit_id"], r["check_id"]): r["ratio"] for r in self._ratios_by_county.rows(county_code, year)
        }

    def excluded_of(self, county_code: str, year: int | None) -> list[dict[str, Any]]:
        """The units of one county kept out of the calculation, grouped once per report."""
        if self._excluded_by_county is None:
            self._excluded_by_county = CountySlices(self.result.excluded)
        return self._excluded_by_county.rows(county_code, year)

    def check_order(self, check: Mapping[str, Any]) -> tuple[int, int]:
        """Where a county's check comes in its report: by group, then in document order."""
        return self._group_order.get(check["group"], 99), self._rule_order.get(check["rule_id"], 999)

    def first_failing(self) -> dict[tuple[str, Any], dict[str, Any]]:
        """{(county code, year): its first failing check} in report order (:meth:`check_order`),
        of every county at once: what a one-row-per-county table shows, without each
        county's details."""
        checks = self.result.checks
        failing = checks.filter(pc.is_in(plain(checks.column("status")), pa.array(["fail", "basic_pass"])))
        cols = ["county_code", "year", "check_id", "group", "rule_id", "name_zh", "name_en", "status"]
        first: dict[tuple[str, Any], tuple[tuple[int, int], dict[str, Any]]] = {}
        for row in failing.select(cols).to_pylist():
            key, order = (row["county_code"], row["year"]), self.check_order(row)
            if key not in first or order < first[key][0]:  # the earlier row wins a tie
                first[key] = (order, row)
        return {key: row for key, (_, row) in first.items()}

    def status(self, status: str | None) -> str:
        return STATUS[self.lang].get(status or "", status or "—")

    def verdict(self, verdict: str) -> str:
        return VERDICT[self.lang][verdict]

    def level(self, level: str | None) -> str:
        if not level:
            return ""
        return LEVEL_NAMES.get(level, level) if self.lang == "zh" else level

    def indicator_name(self, indicator_id: str) -> str:
        try:
            ind = self.fw.indicator(indicator_id)
        except KeyError:
            if indicator_id == MEAN_OF_CVS:  # the descriptive row of the dispersion table
                return (
                    "各指标差异系数的平均值(仅供参考)"
                    if self.lang == "zh"
                    else "mean of the CVs (for reference)"
                )
            return indicator_id
        return ind.name.get(self.lang)

    def rule_set_name(self, rule_set: str | None) -> str:
        """A rule set as a reader knows it: 国家规定 for the national rules, else the name
        its document gives (its id when no installed plugin provides it)."""
        if not rule_set:
            return ""
        if self._rule_set_names is None:
            from eduscore.plugins.catalog import rule_sets_for

            names = {}
            try:
                for rs in rule_sets_for(self.fw.id):
                    name = rs.document.get("name") or {}
                    names[rs.id] = str(name.get(self.lang) or name.get("zh") or rs.id)
            except EduscoreError:  # a broken plugin is reported by evaluate; here its ids stand
                names = {}
            self._rule_set_names = names
        if rule_set == "national":
            return "国家规定" if self.lang == "zh" else "national rules"
        return self._rule_set_names.get(rule_set, rule_set)

    def reason_line(self, reason: str) -> str:
        """A verdict reason as a reader reads it: the engine writes ``check id: status:
        detail`` (ids for scripts, result.json); this gives ``name: detail`` (the status
        when there is no detail), and leaves a reason of no check as it is."""
        parts = reason.split(": ", 2)
        names = self._check_names()
        if len(parts) < 2 or parts[0] not in names:
            return reason
        detail = parts[2].strip() if len(parts) == 3 else ""
        colon = ":" if self.lang == "zh" else ": "
        return f"{names[parts[0]]}{colon}{detail or parts[1].strip()}"

    def _check_names(self) -> dict[str, str]:
        """{check id: its name in the report's language}, of every check of the result."""
        if self._names_of_checks is None:
            column = "name_zh" if self.lang == "zh" else "name_en"
            t = self.result.checks.select(["check_id", column])
            ids = plain(t.column("check_id"))
            first = pc.unique(ids)
            at = pc.index_in(first, value_set=ids)
            named = plain(t.column(column)).take(at)
            self._names_of_checks = dict(zip(first.to_pylist(), named.to_pylist(), strict=True))
        return self._names_of_checks

    def any_name(self, check_id: str) -> str:
        """The name of an indicator, a rule, or ``cv.<indicator>`` (its CV)."""
        if check_id.startswith("cv."):
            name = self.indicator_name(check_id[3:])
            return f"{name} 差异系数" if self.lang == "zh" else f"CV of {name}"
        if any(i.id == check_id for i in self.fw.indicators):
            return self.indicator_name(check_id)
        rule = next((r for r in self.fw.rules if r.id == check_id), None)
        return rule.name.get(self.lang) if rule else check_id

    def gap_text(self, g: SectionGap) -> str:
        """What it takes, with its unit and direction: '增加 42,200 元' (the resource to add,
        when known), '减少 80 人', '提高 1.5 个百分点'; else the reason."""
        zh = self.lang == "zh"
        if g.resource_gap is not None and g.resource:
            unit = unit_of(g.resource) or (g.resource, g.resource)
            return self._change(g.resource_gap, True, Measure("number", unit))
        if g.gap is not None:
            measure = self.measure(g.check_id)
            return self._change(g.gap, g.comparator in (">=", ">"), measure)
        return (g.reason_zh if zh else g.reason) or ""

    def _change(self, amount: float, up: bool, measure: Measure) -> str:
        zh = self.lang == "zh"
        if not math.isfinite(amount) or not math.isfinite(amount * 100):
            return "—"
        if measure.kind == "rate":
            points = f"{abs(amount) * 100:.1f}"
            return (
                (f"提高 {points} 个百分点" if up else f"降低 {points} 个百分点")
                if zh
                else (
                    f"raise by {points} percentage points" if up else f"lower by {points} percentage points"
                )
            )
        unit = (measure.unit[0] if zh else " " + measure.unit[1]) if measure.unit else ""
        shown = number(abs(amount))
        if zh:
            return (
                f"{'增加' if up else '减少'} {shown} {unit}".rstrip()
                if unit
                else f"{'增加' if up else '减少'} {shown}"
            )
        return f"{'add' if up else 'reduce by'} {shown}{unit}"

    def measure(self, check_id: str) -> Measure:
        """What a check's value is (:func:`measure_of` of its rule's value formula)."""
        rule = self._rules.get(check_id)
        if rule is not None:
            if rule.kind in ("attestation", "veto", "prerequisite") and rule.value is None:
                return Measure("bool")  # a yes/no item: held (是) or not (否)
            return measure_of(rule.value or rule.column, self.fw)
        ind = self._indicators.get(check_id)
        if ind is not None:
            return Measure("number", (ind.unit.zh, ind.unit.en)) if ind.unit else Measure()
        return Measure()

    def amount(self, x: float | None, measure: Measure, with_unit: bool = True) -> str:
        """A value as a document writes it: 96.5%, 是/否, 2,080人."""
        if x is None or not math.isfinite(x) or not math.isfinite(x * 100):
            return "—"
        if measure.kind == "rate":
            pct = x * 100
            return f"{pct:.0f}%" if abs(pct - round(pct)) < 1e-9 else f"{pct:.1f}%"
        if measure.kind == "bool":
            yes = x not in (0, False)
            return ("是" if yes else "否") if self.lang == "zh" else ("yes" if yes else "no")
        text = number(x)
        if with_unit and measure.unit:
            text += measure.unit[0] if self.lang == "zh" else " " + measure.unit[1]
        return text

    def check_value(self, ch: dict[str, Any]) -> str:
        """A county check's value as a document writes it; for unit rules, how many
        schools fail."""
        if ch["kind"] in ("section_threshold", "count_met_with_floor"):
            return reason_of(ch, self.lang) or "—"
        return self.amount(ch["value"], self.measure(ch["check_id"]))

    def check_threshold(self, ch: Mapping[str, Any]) -> str:
        """A county check's standard as a document writes it; none for a check over
        schools (each school has its own: the failing schools table shows them)."""
        if ch["kind"] in ("section_threshold", "count_met_with_floor"):
            return ""
        return self.threshold_text(ch)

    def gap_value(self, g: SectionGap) -> str:
        """A failing section's value as a document writes it."""
        return self.amount(g.value, self.measure(g.check_id))

    def gap_threshold(self, g: SectionGap) -> str:
        """A failing section's threshold with its comparator, as a document writes it."""
        return self.threshold_text(
            {"threshold": g.threshold, "comparator": g.comparator, "check_id": g.check_id}
        )

    def threshold_text(self, ch: Mapping[str, Any]) -> str:
        """'≥ 100%', '= 是', '≤ 2,000人': the comparator and the threshold as written."""
        if ch.get("threshold") is None:
            return ""
        comparator = _COMPARATORS.get(ch.get("comparator") or "", ch.get("comparator") or "")
        return f"{comparator} {self.amount(ch['threshold'], self.measure(ch['check_id']))}".strip()

    def finding_rows(self) -> list[list[Any]]:
        """Findings as rows: file, sheet, row, column, value, severity, rule, message."""
        key = "message_zh" if self.lang == "zh" else "message_en"
        return [
            [
                source_text(f["source"], self.lang),
                f["sheet"],
                f["row"],
                column_text(f["column"], self.lang),
                f["value"],
                self.words["severity"][f["severity"]],
                f["rule"],
                f[key],
            ]
            for f in self.result.findings.to_pylist()
        ]

    def finding_headers(self) -> list[str]:
        if self.lang == "zh":
            return ["文件", "工作表", "行", "列", "值", "级别", "规则", "说明"]
        return ["file", "sheet", "row", "column", "value", "severity", "rule", "message"]

    def relaxed(self, county: CountyView) -> list[str]:
        """The checks of ``county`` that a rule set's declared relaxation loosened, one line
        each: a certified verdict that leans on a relaxation says so."""
        return [
            f"{self.check_name(ch)}: {ch['relaxed_by']} · {ch['check_id']}"
            for ch in county.checks
            if ch.get("relaxed_by")
        ]

    def group_name(self, group: str) -> str:
        label = self.fw.groups.get(group)
        if label is None and group == integrity.GROUP:
            return integrity.GROUP_NAME[self.lang]
        return label.get(self.lang) if label else group

    def kind_source(self, row: dict[str, Any]) -> str:
        """Where a check's rule kind came from, when a plugin's kind scored it (its
        ``kind_plugin``: "plugin version"); "" for eduscore's own kinds."""
        plugin = row.get("kind_plugin")
        return self.words["kind_source"].format(kind=row["kind"], plugin=plugin) if plugin else ""

    def check_name(self, row: dict[str, Any]) -> str:
        return str(row["name_zh"] if self.lang == "zh" else row["name_en"])

    def _unit_names(self) -> dict[str, str]:
        s = self.result.sections
        for col in ("school_name", "kindergarten_name"):
            if col in s.column_names:
                return dict(zip(s.column("unit_id").to_pylist(), s.column(col).to_pylist(), strict=True))
        return {}

    def counties(self, only: Collection[str] | None = None) -> Iterator[CountyView]:
        """Every county in the order of the verdicts; with ``only``, just the counties of
        those codes (each table filtered to them first: a few counties of a nation cost
        what a few counties cost)."""
        res = self.result
        checks, dispersion, verdicts = res.checks, res.dispersion, res.verdicts
        missed, allowed = self._failing_indicators()
        failing = pa.concat_tables([res.failing_sections(), missed])
        if only is not None:
            codes = pa.array(sorted(only), pa.string())

            def of_only(t: pa.Table) -> pa.Table:
                return t.filter(pc.is_in(plain(t.column("county_code")), codes))

            checks, dispersion, verdicts, failing, allowed = (
                of_only(t) for t in (checks, dispersion, verdicts, failing, allowed)
            )
        units = pa.chunked_array(
            failing.column("unit_id").chunks + allowed.column("unit_id").chunks,
            failing.schema.field("unit_id").type,
        )
        students = self._students(units if only is not None else None)
        # Sorted by county once: each table is passed over one time, not once per county,
        # and a county's rows become Python objects only when its turn comes.
        checks_of, failing_of, disp_of, allowed_of = (
            CountySlices(t) for t in (checks, failing, dispersion, allowed)
        )
        for v in verdicts.to_pylist():
            key = (v["county_code"], v["year"])
            mine = checks_of.rows(*key)
            mine.sort(key=self.check_order)
            gaps = [self._gap(f, students) for f in failing_of.rows(*key)]
            gaps.sort(key=lambda g: (g.name, g.level or "", g.check_id))
            let_pass = [self._gap(f, students) for f in allowed_of.rows(*key)]
            let_pass.sort(key=lambda g: (g.name, g.level or "", g.check_id))
            yield CountyView(
                county_code=v["county_code"],
                county_name=v["county_name"] or "",
                year=v["year"],
                verdict=v["verdict"],
                grade=v.get("grade"),
                reasons=list(v["reasons_zh"] if self.lang == "zh" else v["reasons"]),
                counts={k: v[k] for k in ("n_pass", "n_fail", "n_not_assessed")},
                checks=mine,
                failing=gaps,
                dispersion=disp_of.rows(*key),
                allowed=let_pass,
            )

    def _failing_indicators(self) -> tuple[pa.Table, pa.Table]:
        """The sections' missed indicators, split: (missed in a section that fails the
        count-met rule or has none, missed but allowed — the section meets the count-met
        rule that counts this indicator: six of seven met, the rest at 85 % or more)."""
        sc = self.result.section_checks
        kind, status = plain(sc.column("kind")), plain(sc.column("status"))
        missed = sc.filter(pc.and_(pc.equal(kind, "indicator"), pc.equal(status, "fail")))
        counted = [r for r in self.fw.rules if r.kind == "count_met_with_floor" and r.indicators]
        if not counted or missed.num_rows == 0:
            return missed, missed.slice(0, 0)

        def key(t: pa.Table) -> pa.ChunkedArray:
            year = pc.fill_null(pc.cast(t.column("year"), pa.string()), "")
            return pc.binary_join_element_wise(plain(t.column("unit_id")), year, "|")

        allowed_mask = pa.chunked_array([pa.repeat(pa.scalar(False), missed.num_rows)], pa.bool_())
        ids = plain(missed.column("check_id"))
        for rule in counted:
            passed = sc.filter(
                pc.and_(pc.equal(plain(sc.column("check_id")), rule.id), pc.equal(status, "pass"))
            )
            hit = pc.and_(pc.is_in(ids, pa.array(list(rule.indicators))), pc.is_in(key(missed), key(passed)))
            allowed_mask = pc.or_(allowed_mask, hit)
        return missed.filter(pc.invert(allowed_mask)), missed.filter(allowed_mask)

    def _students(self, units: pa.ChunkedArray | None = None) -> dict[str, float]:
        """{unit id: students} of every section, or of ``units`` only."""
        s = self.result.sections
        col = (
            "students"
            if "students" in s.column_names
            else ("children" if "children" in s.column_names else None)
        )
        if col is None:
            return {}
        if units is not None:
            s = s.filter(pc.is_in(plain(s.column("unit_id")), plain(pc.unique(units))))
        return dict(zip(s.column("unit_id").to_pylist(), s.column(col).to_pylist(), strict=True))

    def _gap(self, row: dict[str, Any], students: dict[str, float]) -> SectionGap:
        value, th, comp = row["value"], row["threshold"], row["comparator"]
        gap = resource_gap = None
        resource = None
        name = row["check_id"]
        if row["kind"] == "indicator":
            ind = self._indicators.get(row["check_id"])
            name = ind.name.get(self.lang) if ind else name
            if value is not None and th is not None:
                gap = th - value if comp in (">=", ">") else value - th
                terms = self._per_student.get(ind.id) if ind else None
                n = students.get(row["unit_id"])
                if terms is not None and n:
                    resource = terms.resource
                    resource_gap = gap * n / terms.per
                    if ind is not None and ind.round_up and math.isfinite(resource_gap):
                        resource_gap = math.ceil(resource_gap - 1e-9)
        else:
            rule = self._rules.get(row["check_id"])
            name = rule.name.get(self.lang) if rule else name
            # For a count-met rule the reason ("5 of 7 met; one below 85 %") says more than a number.
            counted = row["kind"] == "count_met_with_floor"
            if value is not None and th is not None and comp in (">=", ">", "<=", "<") and not counted:
                gap = th - value if comp in (">=", ">") else value - th
        return SectionGap(
            unit_id=row["unit_id"],
            name=self.names.get(row["unit_id"], row["unit_id"]),
            level=row["level"],
            check_id=row["check_id"],
            check_name=name,
            value=value,
            threshold=th,
            comparator=comp,
            ratio=row["ratio"],
            gap=gap,
            resource_gap=resource_gap,
            resource=resource,
            reason=row["reason"],
            reason_zh=row.get("reason_zh"),
        )
