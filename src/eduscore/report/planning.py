"""Report sections beyond the verdict: the plan, the nearest risks, the decomposition.

Shared by the HTML report (one block per county) and the XLSX workbook (one sheet
each). The rows come from :meth:`eduscore.report.context.RenderContext.analyses`."""

from __future__ import annotations

import math
from html import escape
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from eduscore.planning.analysis import Analyses
from eduscore.planning.plan import resources
from eduscore.report.view import CountySlices, ReportView, number, percent
from eduscore.report.xlsx_words import heads, value_word

WORDS = {
    "zh": {
        "plan": "达标方案:还需要什么",
        "plan_note_relative": "最少增量(按各项指标自身单位;教师、教室取整数)。未给出单价:六项达标时留作“不低于85%”的一项按相对缺口最大者选择。",
        "plan_note_cost": "按给定单价计算的最低成本方案。",
        "additions": "各校需增加",
        "resource": "资源",
        "now": "现值",
        "after": "增加后",
        "add": "增加",
        "for_six": "用于六项达标",
        "for_cv": "用于差异系数",
        "action": "处理",
        "meet": "达到标准",
        "floor": "达到标准的85%",
        "cv_plan": "差异系数整改(全县最少总增量:把最低的学校补到同一水平)",
        "floor_value": "补足到",
        "total": "总增量",
        "receiving": "受补学校数",
        "cv_after": "整改后差异系数",
        "other": "其他未达标项",
        "change": "调整",
        "reduce": "减少",
        "totals": "合计",
        "cost": "成本",
        "risks": "最接近失败的检查",
        "margin": "余量",
        "flip_growth": "在校生增长多少即不达标",
        "flip_units": "再减少即不达标",
        "decomposition": "差异来自哪里(按{by}分解)",
        "between_share": "组间占比",
        "theil": "泰尔指数",
        "theil_between": "组间",
        "theil_within": "组内",
        "groups": "组数",
        "nothing": "无需增加。",
    },
    "en": {
        "plan": "What it takes to pass",
        "plan_note_relative": "Least additions in each indicator's own units (whole teachers and rooms). No prices given: for six-of-seven, the indicator left at 85 % is the one with the largest relative gap.",
        "plan_note_cost": "The cheapest plan at the prices given.",
        "additions": "Additions per school",
        "resource": "Resource",
        "now": "Now",
        "after": "After",
        "add": "Add",
        "for_six": "for six-of-seven",
        "for_cv": "for the CV",
        "action": "Action",
        "meet": "meet the threshold",
        "floor": "reach 85 % of it",
        "cv_plan": "CV remediation (least total addition: raise the lowest schools to one floor)",
        "floor_value": "raise to",
        "total": "Total addition",
        "receiving": "Schools receiving",
        "cv_after": "CV after",
        "other": "Other failing checks",
        "change": "Change",
        "reduce": "reduce",
        "totals": "Totals",
        "cost": "Cost",
        "risks": "Checks nearest to failing",
        "margin": "Margin",
        "flip_growth": "fails at enrolment growth of",
        "flip_units": "fails after losing",
        "decomposition": "Where the disparity lies (by {by})",
        "between_share": "between-group share",
        "theil": "Theil",
        "theil_between": "between",
        "theil_within": "within",
        "groups": "groups",
        "nothing": "Nothing to add.",
    },
}

_GROUPING = {"education_group": ("教育集团", "education group"), "location": ("城乡分类", "location")}


_UNIT_SUFFIX = {"_m2": " (m²)", "_cny": " (yuan)"}


def resource_label(row: dict[str, Any], lang: str, key: str = "resource") -> str:
    """A resource or input column as the reader's language names it: the contract's
    Chinese header, or its English name spelled out (``sports_area_m2`` → sports area (m²))."""
    if lang == "zh":
        return str(row.get(f"{key}_zh") or row.get(key) or "")
    name = str(row.get(key) or "")
    for suffix, unit in _UNIT_SUFFIX.items():
        if name.endswith(suffix):
            return name[: -len(suffix)].replace("_", " ") + unit
    return name.replace("_", " ")


def _share(x: float | None) -> str:
    """An unsigned whole percentage (37 %); missing, NaN and infinity as "—"."""
    return "—" if x is None or not math.isfinite(x) else f"{x * 100:.0f} %"


def _table(tag: str, title: str, css: str, heads: list[str], rows: list[list[str]], num: set[int]) -> str:
    """A titled HTML table; ``heads`` are plain text, cells already-escaped HTML, the
    columns in ``num`` right-aligned as numbers."""
    out = [f"<{tag}>{escape(title)}</{tag}><div class='scroll'><table class='{css}'><tr>"]
    out += [f"<th>{escape(h)}</th>" for h in heads]
    out.append("</tr>")
    for row in rows:
        cells = "".join(
            f"<td class='num'>{cell}</td>" if i in num else f"<td>{cell}</td>" for i, cell in enumerate(row)
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</table></div>")
    return "\n".join(out)


class ByCounty:
    """The rows of a table per (county code, year), made Python when asked for:
    ``get(key, [])`` gives the county's rows in the table's order, as ``to_pylist``
    makes them, or ``[]``."""

    def __init__(self, table: pa.Table | None) -> None:
        self._slices = CountySlices(table) if table is not None and table.num_rows else None

    def get(self, key: tuple[str, Any], default: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows = self._slices.rows(*key) if self._slices is not None else []
        return rows or default


class PlanningView:
    """The analyses of a result, grouped by county for the reports."""

    def __init__(self, a: Analyses, view: ReportView) -> None:
        self.a = a
        self.view = view
        self.w = WORDS[view.lang]
        plan = a.plan
        added = plan.gaps.filter(pc.greater(plan.gaps.column("addition"), 0.0)) if plan else None
        # Rows become Python per county when a report shows it (a nation's plan has
        # hundreds of thousands of rows).
        self.gaps = ByCounty(added)
        self.cv = ByCounty(plan.cv if plan else None)
        self.checks = ByCounty(plan.checks if plan else None)
        self.totals = ByCounty(plan.totals() if plan else None)
        self.county_costs = ByCounty(plan.county_costs() if plan else None)
        self.risks = ByCounty(a.risks)
        self.flips = ByCounty(a.flips)
        self.decomposition = ByCounty(a.decomposition)
        self.basis = plan.basis if plan else "relative"

    def by_name(self) -> str:
        zh, en = _GROUPING.get(self.a.by or "", (self.a.by or "", self.a.by or ""))
        return zh if self.view.lang == "zh" else en

    # ------------------------------------------------------------------ HTML
    def html(self, county_code: str, year: Any) -> str:
        key = (county_code, year)
        w, v = self.w, self.view
        out: list[str] = []
        if self.a.plan is not None:
            out += [
                f"<h3>{escape(w['plan'])}</h3>",
                f"<p class='meta'>{escape(w['plan_note_' + self.basis])}</p>",
            ]
            gaps, cv, checks = self.gaps.get(key, []), self.cv.get(key, []), self.checks.get(key, [])
            if not (gaps or cv or checks):
                out.append(f"<p>{escape(w['nothing'])}</p>")
            if gaps:
                heads = [
                    v.words["school"],
                    v.words["level"],
                    w["resource"],
                    v.words["indicator"],
                    w["now"],
                    w["after"],
                    w["add"],
                    w["for_six"],
                    w["for_cv"],
                    w["action"],
                ]
                rows = [
                    [
                        escape(str(g["school_name"])),
                        escape(v.level(g["level"])),
                        escape(resource_label(g, v.lang)),
                        escape(v.indicator_name(g["indicator"])),
                        number(g["value"]),
                        number(g["value_after"]),
                        f"<b>+{number(g['addition'])}</b>",
                        number(g["for_six_of_seven"]),
                        number(g["for_cv"]),
                        escape(w.get(g["action"], "") if g["action"] else ""),
                    ]
                    for g in gaps
                ]
                out.append(_table("h4", w["additions"], "plan", heads, rows, {4, 5, 6, 7, 8}))
            if cv:
                heads = [
                    v.words["level"],
                    v.words["indicator"],
                    "CV",
                    w["cv_after"],
                    v.words["threshold"],
                    w["floor_value"],
                    w["total"],
                    w["receiving"],
                ]
                rows = [
                    [
                        escape(v.level(c["level"])),
                        escape(v.indicator_name(c["indicator"])),
                        number(c["cv"]),
                        number(c["cv_after"]),
                        f"≤ {number(c['limit'])}",
                        number(c["floor"]),
                        f"<b>+{number(c['total_addition'])}</b> {escape(resource_label(c, v.lang))}",
                        str(c["n_sections"]),
                    ]
                    for c in cv
                ]
                out.append(_table("h4", w["cv_plan"], "plan", heads, rows, {2, 3, 4, 5, 6, 7}))
            if checks:
                heads = [
                    v.words["school"],
                    v.words["level"],
                    v.words["rule"],
                    w["now"],
                    v.words["threshold"],
                    w["change"],
                ]
                rows = [
                    [
                        escape(str(c["school_name"])),
                        escape(v.level(c["level"])),
                        escape(str(c["name_zh"] if v.lang == "zh" else c["name_en"])),
                        escape(v.amount(c["value"], v.measure(c["check_id"]))),
                        escape(v.threshold_text(c)),
                        f"{escape(w['add'] if c['direction'] == 'add' else w['reduce'])} {number(c['change'])} "
                        f"{escape(resource_label(c, v.lang, 'column'))}",
                    ]
                    for c in checks
                ]
                out.append(_table("h4", w["other"], "plan", heads, rows, {3, 4, 5}))
            totals = self.totals.get(key, [])
            if totals:
                out.append(
                    f"<p><b>{escape(w['totals'])}</b>: "
                    + "; ".join(
                        f"{escape(resource_label(t, v.lang))} +{number(t['addition'])}"
                        + (f" ({escape(w['cost'])} {number(t['cost'])})" if t["cost"] is not None else "")
                        for t in totals
                    )
                    + "</p>"
                )
        risks = self.risks.get(key, [])
        if risks:
            heads = [
                v.words["rule"],
                v.words["school"],
                v.words["value"],
                v.words["threshold"],
                w["margin"],
                w["flip_growth"],
                w["flip_units"],
            ]
            rows = [
                [
                    escape(str(r["name_zh"] if v.lang == "zh" else r["name_en"])),
                    f"{escape(str(r['school_name'] or ''))} {escape(v.level(r['level']) if r['level'] else '')}",
                    escape(v.amount(r["value"], v.measure(r["check_id"]))),
                    escape(v.threshold_text(r)),
                    percent(r["relative_margin"]),
                    percent(r["flip_growth"]),
                    escape(f"{number(r['flip_units'])} {r['units']}" if r["flip_units"] is not None else "—"),
                ]
                for r in risks
            ]
            out.append(_table("h3", w["risks"], "risks", heads, rows, {2, 3, 4, 5, 6}))
        dec = self.decomposition.get(key, [])
        if dec:
            heads = [
                v.words["level"],
                v.words["indicator"],
                w["groups"],
                w["between_share"],
                w["theil"],
                w["theil_within"],
                w["theil_between"],
            ]
            rows = [
                [
                    escape(v.level(d["level"])),
                    escape(v.indicator_name(d["indicator"])),
                    str(d["n_groups"]),
                    _share(d["between_share"]),
                    number(d["theil"], 4),
                    number(d["theil_within"], 4),
                    number(d["theil_between"], 4),
                ]
                for d in dec
            ]
            title = w["decomposition"].format(by=self.by_name())
            out.append(_table("h3", title, "decomposition", heads, rows, {2, 3, 4, 5, 6}))
        return "\n".join(out)

    # ------------------------------------------------------------------ XLSX
    def _close_margins(self) -> pa.Table:
        """County checks and CVs, and the section checks that fail or pass by less than
        10 % — all section rows of a nation would not fit in a worksheet (1,048,576 rows);
        the full table is ``eduscore.margins(result)`` or ``plan -o`` → margins.csv. The
        workbook writer cuts a sheet that is still too long, and says so on the sheet."""
        m = self.a.margins
        close = pc.or_(
            pc.not_equal(m.column("scope"), "section"),
            pc.fill_null(pc.less(m.column("relative_margin"), 0.1), False),
        )
        return m.filter(close)

    def sheets(self) -> list[tuple[str, list[str], list[list[Any]], list[int]]]:
        """(sheet key, headers, rows, widths) for the workbook, in the view's language: the
        sheet's name is :func:`eduscore.report.xlsx_words.sheet_name` of its key."""
        v, lang = self.view, self.view.lang
        zh = lang == "zh"
        yes, no = value_word("yes", lang), value_word("no", lang)
        out: list[tuple[str, list[str], list[list[Any]], list[int]]] = []
        plan = self.a.plan
        if plan is not None:
            rows = [
                [
                    g["county_code"],
                    g["year"],
                    g["school_id"],
                    g["school_name"],
                    v.level(g["level"]),
                    v.indicator_name(g["indicator"]),
                    resource_label(g, lang),
                    g["students"],
                    g["value"],
                    g["threshold"],
                    g["floor"],
                    g["to_threshold"],
                    g["to_floor"],
                    self.w.get(g["action"] or "", "") if g["action"] else "",
                    g["for_six_of_seven"],
                    g["for_cv"],
                    g["addition"],
                    g["value_after"],
                    g["cost"],
                ]
                for g in plan.gaps.to_pylist()
            ]
            out.append(
                (
                    "plan",
                    heads(
                        lang,
                        "county_code",
                        "year",
                        "school_id",
                        "school",
                        "level",
                        "indicator",
                        "resource",
                        "students",
                        "now",
                        "threshold",
                        "floor",
                        "to_threshold",
                        "to_floor",
                        "action",
                        "for_six",
                        "for_cv",
                        "total_addition",
                        "after",
                        "cost",
                    ),
                    rows,
                    [10, 6, 12, 24, 8, 26, 20, 9, 10, 10, 10, 12, 12, 14, 12, 12, 12, 10, 10],
                )
            )
            out.append(
                (
                    "cv_plan",
                    heads(
                        lang,
                        "county_code",
                        "year",
                        "level",
                        "indicator",
                        "resource",
                        "limit",
                        "cv",
                        "cv_after_schools",
                        "raise_to",
                        "continuous",
                        "total_addition",
                        "n_receiving",
                        "cv_after",
                        "cost",
                    ),
                    [
                        [
                            c["county_code"],
                            c["year"],
                            v.level(c["level"]),
                            v.indicator_name(c["indicator"]),
                            resource_label(c, lang),
                            c["limit"],
                            c["cv"],
                            c["cv_after_school_additions"],
                            c["floor"],
                            c["continuous_minimum"],
                            c["total_addition"],
                            c["n_sections"],
                            c["cv_after"],
                            c["cost"],
                        ]
                        for c in plan.cv.to_pylist()
                    ],
                    [10, 6, 8, 26, 20, 8, 10, 12, 12, 14, 12, 10, 12, 10],
                )
            )
            out.append(
                (
                    "other",
                    heads(
                        lang,
                        "county_code",
                        "year",
                        "school",
                        "level",
                        "check",
                        "now",
                        "comparator",
                        "threshold",
                        "change",
                        "direction",
                        "input_column",
                        "in_plan",
                    ),
                    [
                        [
                            c["county_code"],
                            c["year"],
                            c["school_name"],
                            v.level(c["level"]),
                            c["name_zh"] if zh else c["name_en"],
                            c["value"],
                            c["comparator"],
                            c["threshold"],
                            c["change"],
                            self.w["add"] if c["direction"] == "add" else self.w["reduce"],
                            resource_label(c, lang, "column"),
                            None if c["in_plan"] is None else (yes if c["in_plan"] else no),
                        ]
                        for c in plan.checks.to_pylist()
                    ],
                    [10, 6, 24, 8, 36, 10, 6, 10, 10, 8, 22, 10],
                )
            )
            out.append(
                (
                    "additions",
                    heads(
                        lang,
                        "county_code",
                        "year",
                        "school_id",
                        "school",
                        "level",
                        "input_column",
                        "input_name",
                        "addition",
                    ),
                    [
                        [
                            r["county_code"],
                            r["year"],
                            r["school_id"],
                            r["school_name"],
                            v.level(r["level"]),
                            r["column"],
                            resource_label(r, lang, "column"),
                            r["addition"],
                        ]
                        for r in plan.schools.to_pylist()
                    ],
                    [10, 6, 12, 24, 8, 28, 28, 12],
                )
            )
        resource_of = {k: r.resource for k, r in resources(v.fw).items()}
        out.append(
            (
                "margins",  # section checks within 10 % of flipping (see _close_margins)
                heads(
                    lang,
                    "county_code",
                    "year",
                    "scope",
                    "school",
                    "level",
                    "check",
                    "status",
                    "now",
                    "comparator",
                    "threshold",
                    "margin",
                    "relative_margin",
                    "flip_growth",
                    "flip_units",
                    "units",
                ),
                [
                    [
                        m["county_code"],
                        m["year"],
                        value_word(f"scope.{m['scope']}", lang),
                        m["school_name"],
                        v.level(m["level"]) if m["level"] else None,
                        m["name_zh"] if zh else m["name_en"],
                        v.status(m["status"]),
                        m["value"],
                        m["comparator"],
                        m["threshold"],
                        m["margin"],
                        m["relative_margin"],
                        m["flip_growth"],
                        m["flip_units"],
                        m["units"]
                        if zh or not m["units"]
                        else resource_label({"resource": resource_of.get(m["check_id"])}, lang),
                    ]
                    for m in self._close_margins().to_pylist()
                ],
                [10, 6, 8, 24, 8, 36, 8, 10, 6, 10, 10, 10, 12, 12, 20],
            )
        )
        if self.a.decomposition is not None:
            out.append(
                (
                    "decomposition",
                    heads(
                        lang,
                        "county_code",
                        "year",
                        "level",
                        "indicator",
                        "grouping",
                        "n_groups",
                        "n_schools",
                        "variance",
                        "within",
                        "between",
                        "between_share",
                        "theil",
                        "theil_within",
                        "theil_between",
                    ),
                    [
                        [
                            d["county_code"],
                            d["year"],
                            v.level(d["level"]),
                            v.indicator_name(d["indicator"]),
                            _GROUPING.get(d["grouping"], (d["grouping"], d["grouping"]))[0 if zh else 1],
                            d["n_groups"],
                            d["n_sections"],
                            d["variance"],
                            d["within"],
                            d["between"],
                            d["between_share"],
                            d["theil"],
                            d["theil_within"],
                            d["theil_between"],
                        ]
                        for d in self.a.decomposition.to_pylist()
                    ],
                    [10, 6, 8, 26, 14, 8, 8, 12, 12, 12, 12, 10, 10, 10],
                )
            )
        return out
