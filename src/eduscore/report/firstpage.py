"""The first page of a county's report: what an inspector signs off.

In the order official self-evaluation reports and inspection summaries use:

1. the verdict;
2. one table of the framework's parts (资源配置, 政府保障程度, 教育质量, 社会认可度, and
   the prerequisites and vetoes), each with its checks passed, failed and not assessed;
3. the resource table as official reports lay it out: per level, each indicator's
   county value (the student-weighted mean), its standard, the schools meeting it
   (and those allowed below it by the six-of-seven rule), its difference coefficient
   and the limit; then the schools meeting six of seven;
4. the failures, then what is missing (each check not assessed, with the input to
   supply), then the plan's totals.

The same :class:`FirstPage` feeds the HTML, the Markdown, the terminal and the Word
self-evaluation report, so they never disagree. Its tables are computed for every county
at once (one group-by over the section checks), and a county's rows become Python only
when its page is written.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from eduscore.model.contract import LEVELS
from eduscore.report.planning import PlanningView, resource_label
from eduscore.report.view import CountySlices, CountyView, ReportView, number, plain, reason_of

#: Groups that are not parts of the verdict's table (a relaxation is a note on a rule).
_NOT_PARTS = ("relaxation",)
_FAILING = ("fail", "basic_pass")
_UNKNOWN = ("not_assessed", "not_computable")
_UNIT_KINDS = ("section_threshold", "count_met_with_floor")
#: Schools named on the first page for a failed check over schools (the rest are counted).
NAMED_SCHOOLS = 5

WORDS = {
    "zh": {
        "title": "评估结论",
        "part": "评估内容",
        "checks": "项目数",
        "passed": "达标",
        "failed": "未达标",
        "basic": "基本达标",
        "unknown": "未评估",
        "resources": "资源配置情况",
        "county_value": "全县值",
        "standard": "标准",
        "meeting": "达标学校",
        "allowed": "另 {k} 所低于标准、按85%规则允许",
        "unknown_schools": "{k} 所未评估",
        "allowed_short": "允许",
        "allowed_note": "“允许”:低于标准但不低于标准的85%,所在学校七项中至少六项达标,按规定视为达标。",
        "cv": "差异系数",
        "limit": "上限",
        "cv_status": "差异系数结果",
        "schools_of": "{met}/{n} 所",
        "six": "七项指标中至少六项达标、余项不低于标准85%的学校",
        "failures": "未达标项目",
        "no_failures": "无未达标项目。",
        "missing": "未评估项目(需补充的数据)",
        "supply": "需补充",
        "plan": "整改所需(达标方案合计)",
        "plan_more": "逐校明细见报告的“达标方案”部分。",
        "cost": "成本",
        "schools_prefix": "{n} 所学校(学段):",
        "detail": "详细情况",
    },
    "en": {
        "title": "Summary",
        "part": "Part",
        "checks": "Checks",
        "passed": "Passed",
        "failed": "Failed",
        "basic": "Basic pass",
        "unknown": "Not assessed",
        "resources": "Resource allocation",
        "county_value": "County value",
        "standard": "Standard",
        "meeting": "Schools meeting",
        "allowed": "{k} more below it, allowed by the 85 % rule",
        "unknown_schools": "{k} not assessed",
        "allowed_short": "allowed",
        "allowed_note": "'allowed': below the standard but at 85 % of it or more, in a school meeting six of "
        "seven: the school passes.",
        "cv": "CV",
        "limit": "Limit",
        "cv_status": "CV result",
        "schools_of": "{met} of {n}",
        "six": "Schools meeting six of seven indicators, the rest at 85 % of the standard or more",
        "failures": "Failed checks",
        "no_failures": "No check failed.",
        "missing": "Not assessed (data to supply)",
        "supply": "Supply",
        "plan": "What it takes (plan totals)",
        "plan_more": "School by school in the report's plan section.",
        "cost": "cost",
        "schools_prefix": "{n} school section(s): ",
        "detail": "Details",
    },
}


@attrs.frozen
class PartCount:
    """One part of the framework (a group of checks) and how its checks came out."""

    group: str
    name: str
    n_checks: int
    n_pass: int
    n_basic_pass: int
    n_fail: int
    n_not_assessed: int


@attrs.frozen
class ResourceLine:
    """One indicator at one level: the county's value, the standard, the schools meeting
    it, and its difference coefficient against the limit."""

    indicator: str
    name: str
    county_value: str
    standard: str
    n_meeting: int
    n_allowed: int
    n_schools: int
    n_unknown: int
    cv: float | None
    limit: float | None
    cv_status: str | None


@attrs.frozen
class LevelResources:
    """The resource table of one level, and the schools meeting the count-met rule."""

    level: str
    lines: list[ResourceLine]
    #: (rule name, schools passing, schools assessed, schools not assessed) of each
    #: count-met rule (six of seven).
    counted: list[tuple[str, int, int, int]]


@attrs.frozen
class Line:
    """A failed or missing check: its part, its name, and what the page says of it."""

    group: str
    name: str
    value: str
    standard: str
    detail: str


@attrs.frozen
class FirstPage:
    county: CountyView
    parts: list[PartCount]
    resources: list[LevelResources]
    failures: list[Line]
    missing: list[Line]
    #: The plan's totals, one line each (resource, addition, cost when prices were given).
    plan: list[str]
    #: Reasons of the verdict that belong to no single check (a city's all-or-nothing
    #: rule, graded items), as the verdict gives them.
    notes: list[str] = attrs.field(factory=list)


class FirstPages:
    """First pages of every county of a result: the section counts are grouped once."""

    def __init__(self, view: ReportView, planning: PlanningView | None = None) -> None:
        self.view = view
        self.planning = planning
        self.words = WORDS[view.lang]
        self._counts: CountySlices | None = None
        self._reasons: CountySlices | None = None
        self._allowed: CountySlices | None = None

    # ------------------------------------------------------------ tables of every county
    def _section_counts(self) -> CountySlices:
        """Per county × year × level × check: the threshold, the sections passing, and
        the sections assessed, and those not assessed (indicator and count-met checks only)."""
        if self._counts is None:
            sc = self.view.result.section_checks
            kind = plain(sc.column("kind"))
            sc = sc.filter(pc.is_in(kind, pa.array(["indicator", "count_met_with_floor"])))
            status = plain(sc.column("status"))
            table = pa.table(
                {
                    "county_code": plain(sc.column("county_code")),
                    "year": sc.column("year"),
                    "level": pc.fill_null(plain(sc.column("level")), ""),
                    "check_id": plain(sc.column("check_id")),
                    "threshold": sc.column("threshold"),
                    "passed": pc.cast(pc.equal(status, "pass"), pa.int64()),
                    # Excluded and not-applicable sections are outside the count.
                    "assessed": pc.cast(pc.is_in(status, pa.array(["pass", *_FAILING])), pa.int64()),
                    "unknown": pc.cast(pc.is_in(status, pa.array(list(_UNKNOWN))), pa.int64()),
                }
            )
            grouped = table.group_by(
                ["county_code", "year", "level", "check_id"], use_threads=False
            ).aggregate([("threshold", "min"), ("passed", "sum"), ("assessed", "sum"), ("unknown", "sum")])
            self._counts = CountySlices(grouped)
        return self._counts

    def _section_reasons(self) -> CountySlices:
        """Per county × year × check: the reasons its sections were not assessed, counted."""
        if self._reasons is None:
            sc = self.view.result.section_checks
            sc = sc.filter(pc.is_in(plain(sc.column("status")), pa.array(list(_UNKNOWN))))
            table = pa.table(
                {
                    "county_code": plain(sc.column("county_code")),
                    "year": sc.column("year"),
                    "check_id": plain(sc.column("check_id")),
                    "reason": pc.fill_null(plain(sc.column("reason")), ""),
                    "reason_zh": pc.fill_null(plain(sc.column("reason_zh")), ""),
                }
            )
            grouped = table.group_by(
                ["county_code", "year", "check_id", "reason", "reason_zh"], use_threads=False
            ).aggregate([("check_id", "count")])
            self._reasons = CountySlices(grouped)
        return self._reasons

    def _allowed_counts(self) -> CountySlices:
        if self._allowed is None:
            _, allowed = self.view._failing_indicators()
            self._allowed = CountySlices(allowed.select(["county_code", "year", "level", "check_id"]))
        return self._allowed

    # ------------------------------------------------------------------ one county
    def of(self, county: CountyView) -> FirstPage:
        return FirstPage(
            county=county,
            parts=self.parts(county),
            resources=self.resources(county),
            failures=self.failures(county),
            missing=self.missing(county),
            plan=self.plan(county),
            notes=self.notes(county),
        )

    def notes(self, county: CountyView) -> list[str]:
        ids = {c["check_id"] for c in county.checks}
        return [r for r in county.reasons if r.split(":", 1)[0] not in ids]

    def parts(self, county: CountyView) -> list[PartCount]:
        view = self.view
        by_group: dict[str, Counter[str]] = {}
        for ch in county.checks:
            by_group.setdefault(ch["group"], Counter())[ch["status"]] += 1
        order = [g for g in view.fw.groups if g in by_group] + sorted(
            g for g in by_group if g not in view.fw.groups
        )
        out = []
        for group in order:
            if group in _NOT_PARTS:
                continue
            c = by_group[group]
            out.append(
                PartCount(
                    group=group,
                    name=view.group_name(group),
                    n_checks=sum(c.values()),
                    n_pass=c["pass"],
                    n_basic_pass=c["basic_pass"],
                    n_fail=c["fail"],
                    n_not_assessed=c["not_assessed"] + c["not_computable"],
                )
            )
        return out

    def resources(self, county: CountyView) -> list[LevelResources]:
        view, fw = self.view, self.view.fw
        if not county.dispersion and not fw.indicators:
            return []
        key = (county.county_code, county.year)
        counts = {(r["level"], r["check_id"]): r for r in self._section_counts().rows(*key)}
        allowed = Counter((r["level"] or "", r["check_id"]) for r in self._allowed_counts().rows(*key))
        cvs = {(d["level"], d["indicator"]): d for d in county.dispersion}
        levels = sorted({lv for lv, _ in counts} | {lv for lv, _ in cvs}, key=_level_order)
        counted_rules = [r for r in fw.rules if r.kind == "count_met_with_floor"]
        out = []
        for level in levels:
            lines = []
            for ind in fw.indicators:
                c = counts.get((level, ind.id))
                d = cvs.get((level, ind.id))
                if c is None and d is None:
                    continue
                measure = view.measure(ind.id)
                mean = d["mean"] if d else None
                threshold = c["threshold_min"] if c else None
                lines.append(
                    ResourceLine(
                        indicator=ind.id,
                        name=view.indicator_name(ind.id),
                        county_value=view.amount(mean, measure),
                        standard=view.threshold_text(
                            {"threshold": threshold, "comparator": ind.comparator, "check_id": ind.id}
                        )
                        or "—",
                        n_meeting=int(c["passed_sum"]) if c else 0,
                        n_allowed=allowed[(level, ind.id)],
                        n_schools=int(c["assessed_sum"]) if c else 0,
                        n_unknown=int(c["unknown_sum"]) if c else 0,
                        cv=d["cv"] if d else None,
                        limit=d["limit"] if d else None,
                        cv_status=d["status"] if d else None,
                    )
                )
            counted = []
            for rule in counted_rules:
                c = counts.get((level, rule.id))
                if c is not None:
                    counted.append(
                        (
                            rule.name.get(view.lang),
                            int(c["passed_sum"]),
                            int(c["assessed_sum"]),
                            int(c["unknown_sum"]),
                        )
                    )
            if lines or counted:
                out.append(LevelResources(level=level, lines=lines, counted=counted))
        return out

    def failures(self, county: CountyView) -> list[Line]:
        """The failed checks; for a check over schools, how many fail and which (the
        first few names; every school is in the failing-schools table)."""
        view = self.view
        schools: dict[str, list[str]] = {}
        for g in county.failing:
            names = schools.setdefault(g.check_id, [])
            name = f"{g.name}({view.level(g.level)})" if g.level and view.lang == "zh" else g.name
            if g.level and view.lang != "zh":
                name = f"{g.name} ({view.level(g.level)})"
            if name not in names:
                names.append(name)
        sep = "、" if view.lang == "zh" else ", "
        out = []
        for ch in county.checks:
            if ch["status"] not in _FAILING:
                continue
            unit_rule = ch["kind"] in _UNIT_KINDS
            detail = reason_of(ch, view.lang) if unit_rule else view.status(ch["status"])
            named = schools.get(ch["check_id"], [])
            if unit_rule and named:
                more = len(named) - NAMED_SCHOOLS
                detail += (":" if view.lang == "zh" else ": ") + sep.join(named[:NAMED_SCHOOLS])
                if more > 0:
                    detail += f" 等 {len(named)} 所" if view.lang == "zh" else f" and {more} more"
            out.append(
                Line(
                    group=view.group_name(ch["group"]),
                    name=view.check_name(ch),
                    value="" if unit_rule else view.check_value(ch),
                    standard=view.check_threshold(ch),
                    detail=detail,
                )
            )
        return out

    def missing(self, county: CountyView) -> list[Line]:
        """Each check not assessed, with what to supply: its own reason, or for a check
        over schools the reasons its schools were not assessed (the inputs they lack)."""
        view, w = self.view, self.words
        section_reasons: dict[str, list[dict[str, Any]]] = {}
        if any(ch["status"] in _UNKNOWN and ch["kind"] in _UNIT_KINDS for ch in county.checks):
            for r in self._section_reasons().rows(county.county_code, county.year):
                section_reasons.setdefault(r["check_id"], []).append(r)
        key = "reason_zh" if view.lang == "zh" else "reason"
        out = []
        for ch in county.checks:
            if ch["status"] not in _UNKNOWN:
                continue
            rows = sorted(section_reasons.get(ch["check_id"], []), key=lambda r: -r["check_id_count"])
            if rows:
                detail = ";".join(
                    w["schools_prefix"].format(n=r["check_id_count"]) + (r[key] or "—") for r in rows[:3]
                )
            else:
                detail = reason_of(ch, view.lang) or "—"
            out.append(
                Line(
                    group=view.group_name(ch["group"]),
                    name=view.check_name(ch),
                    value="",
                    standard="",
                    detail=detail,
                )
            )
        return out

    def plan(self, county: CountyView) -> list[str]:
        if self.planning is None or self.planning.a.plan is None:
            return []
        lang, w = self.view.lang, self.words
        totals = self.planning.totals.get((county.county_code, county.year), [])
        open_, close = ("(", ")") if lang == "zh" else (" (", ")")
        return [
            f"{resource_label(t, lang)} +{number(t['addition'])}"
            + (f"{open_}{w['cost']} {number(t['cost'])}{close}" if t["cost"] is not None else "")
            for t in totals
        ]


def _level_order(level: str) -> tuple[int, str]:
    return (LEVELS.index(level) if level in LEVELS else len(LEVELS), level)


def part_table(page: FirstPage, lang: str) -> tuple[list[str], list[list[str]]]:
    """The parts table as headers and rows of text (a 基本达标 column only when used)."""
    w = WORDS[lang]
    basic = any(p.n_basic_pass for p in page.parts)
    heads = (
        [w["part"], w["checks"], w["passed"]] + ([w["basic"]] if basic else []) + [w["failed"], w["unknown"]]
    )
    rows = [
        [p.name, str(p.n_checks), str(p.n_pass)]
        + ([str(p.n_basic_pass)] if basic else [])
        + [str(p.n_fail), str(p.n_not_assessed)]
        for p in page.parts
    ]
    return heads, rows


#: The columns of :func:`resource_table` holding numbers, and the one of the CV's status.
RESOURCE_NUMBERS = (1, 2, 4, 5)
RESOURCE_STATUS = 6


def resource_table(view: ReportView, level: LevelResources) -> tuple[list[str], list[list[str]]]:
    """One level's resource table as headers and rows of text: indicator, county value,
    standard, schools meeting, CV, limit, the CV's status."""
    w = WORDS[view.lang]
    heads = [view.words["indicator"], w["county_value"], w["standard"], w["meeting"], w["cv"], w["limit"]]
    heads.append(w["cv_status"])
    rows = [
        [
            line.name,
            line.county_value,
            line.standard,
            schools_text(line, view.lang),
            number(line.cv),
            f"≤ {number(line.limit)}" if line.limit is not None else "—",
            view.status(line.cv_status) if line.cv_status else "—",
        ]
        for line in level.lines
    ]
    return heads, rows


def schools_text(line: ResourceLine, lang: str) -> str:
    """'9/10 所(另 1 所低于标准、按85%规则允许)' — the schools meeting an indicator; "—"
    when no school was assessed for it."""
    w = WORDS[lang]
    if not line.n_schools and not line.n_unknown and not line.n_meeting:
        return "—"
    text = w["schools_of"].format(met=line.n_meeting, n=line.n_schools)
    notes = [w["allowed"].format(k=line.n_allowed)] if line.n_allowed else []
    notes += [w["unknown_schools"].format(k=line.n_unknown)] if line.n_unknown else []
    if notes:
        text += f"({';'.join(notes)})" if lang == "zh" else f" ({'; '.join(notes)})"
    return text


def counted_text(passed: int, assessed: int, unknown: int, lang: str) -> str:
    """'6/10 所' — the schools meeting a count-met rule, and those not assessed."""
    w = WORDS[lang]
    text = w["schools_of"].format(met=passed, n=assessed)
    if unknown:
        note = w["unknown_schools"].format(k=unknown)
        text += f"({note})" if lang == "zh" else f" ({note})"
    return text
