"""``eduscore explain``: how one number of a result was derived, step by step.

For a CV: every in-scope school section with its students, value and weighted squared
deviation → the student-weighted mean → SD → CV → limit → status, with the rule's
source. For a school rule: each school's value against its threshold. For a county
item: the formula, the value, the threshold and the source.
"""

from __future__ import annotations

import math
from typing import Any

import pyarrow.compute as pc

from eduscore.errors import InputError
from eduscore.report.text import visible
from eduscore.report.view import ReportView, clause_text, number, reason_of
from eduscore.result import Result


def _pick_county(result: Result, county: str | None, year: int | None) -> tuple[str, int | None]:
    rows = result.verdicts.to_pylist()
    if county is not None:
        rows = [r for r in rows if r["county_code"] == county]
    if year is not None:
        rows = [r for r in rows if r["year"] == year]
    if len(rows) != 1:
        known = ", ".join(
            f"{r['county_code']} {r['year'] or ''}".strip() for r in result.verdicts.to_pylist()[:20]
        )
        raise InputError(
            f"name one county (and year) with --county/--year; this result has: {known or 'none'}",
            zh=f"请用 --county/--year 指定一个县(和年份);本结果中有:{known or '(无)'}",
        )
    return rows[0]["county_code"], rows[0]["year"]


def explain(
    result: Result,
    check_id: str,
    county: str | None = None,
    year: int | None = None,
    school: str | None = None,
    lang: str = "zh",
) -> str:
    code, year = _pick_county(result, county, year)
    view = ReportView(result, lang)
    checks = [c for c in result.checks.to_pylist() if c["county_code"] == code and c["year"] == year]
    by_id = {c["check_id"]: c for c in checks}
    if check_id not in by_id and check_id not in {i.id for i in result.framework.indicators}:
        import difflib

        hint = difflib.get_close_matches(check_id, list(by_id), n=3)
        raise InputError(
            f"no check {check_id!r} for {code}; did you mean {', '.join(hint) or '—'}? "
            f"(all checks: eduscore evaluate … --format csv, checks.csv)",
            zh=f"{code} 没有检查项 {check_id!r}"
            + (f";是否指 {'、'.join(hint)}?" if hint else "")
            + "(全部检查项见 eduscore evaluate … --format csv 输出的 checks.csv)",
        )
    check = by_id.get(check_id)
    lines = [f"{code} {year or ''}  {check_id}".strip()]
    if check is not None:
        lines.append(
            f"{view.check_name(check)}  [{check['confidence']}] {check['document']} {clause_text(check['clause'], view.lang)}"
            + (f" (spec {check['spec']})" if check["spec"] else "")
        )
        lines.append(f"rule set: {check['rule_set']} {check['rule_set_version']}")
    if check is not None and check["kind"] == "dispersion_limit":
        lines += _explain_cv(result, view, code, year, check)
    elif check is not None and check["kind"] == "composite_dispersion":
        level = check["level"]
        cvs = [
            d
            for d in result.dispersion.to_pylist()
            if d["county_code"] == code
            and d["year"] == year
            and d["level"] == level
            and d["status"] != "info"
        ]
        for d in cvs:
            lines.append(f"  CV {d['indicator']}: {number(d['cv'], 6)}")
        lines.append(
            f"mean of {len(cvs)} CVs = {number(check['value'], 6)}  {check['comparator']} {number(check['threshold'])}"
            f"  → {view.status(check['status'])}"
        )
    elif check is None or check["kind"] in ("indicator", "section_threshold", "count_met_with_floor"):
        lines += _explain_units(result, view, code, year, check_id, school)
        if check is not None:
            lines.append(
                f"county: {reason_of(check, view.lang) or view.status(check['status'])} → {view.status(check['status'])}"
            )
    else:
        rule = next((r for r in result.framework.rules if r.id == check["rule_id"]), None)
        if rule is not None and (rule.value or rule.when or rule.column):
            lines.append(f"formula: {rule.value or rule.when or f'{rule.column} is true'}")
        lines.append(
            f"value {number(check['value'], 6)}  {check['comparator']} {number(check['threshold'])}"
            f"  → {view.status(check['status'])}"
            + (f"  ({reason_of(check, view.lang)})" if check["reason"] else "")
        )
    # School names and reasons come from the inputs: shown, never sent to a terminal live.
    return visible("\n".join(lines), multiline=True)


def _explain_cv(
    result: Result, view: ReportView, code: str, year: int | None, check: dict[str, Any]
) -> list[str]:
    # "rule.indicator.level": the rule id (which may hold dots) and the level are known.
    level = check["level"]
    indicator = check["check_id"][len(check["rule_id"]) + 1 : -(len(level) + 1)]
    sc = result.section_checks
    mask = pc.and_(pc.equal(sc.column("county_code"), code), pc.equal(sc.column("check_id"), indicator))
    rows = [
        r
        for r in sc.filter(mask).to_pylist()
        if r["level"] == level and r["year"] == year and r["status"] != "excluded"
    ]
    students = {s["unit_id"]: s.get("students") for s in result.sections.to_pylist()}
    pairs = [
        (view.names.get(r["unit_id"], r["unit_id"]), students.get(r["unit_id"]) or 0.0, r["value"])
        for r in rows
    ]
    lines = [
        f"indicator: {view.indicator_name(indicator)} ({indicator}), {view.level(level)}",
        f"formula: {result.framework.indicator(indicator).formula}",
        "",
    ]
    total = sum(p for _, p, x in pairs if x is not None and p > 0)
    if total == 0 or any(x is None for _, p, x in pairs if p > 0):
        lines.append(f"  {reason_of(check, view.lang) or view.status(check['status'])}")
        return lines
    mean = sum(p * x for _, p, x in pairs if x is not None) / total
    lines.append(f"{'school':<28}{'students p':>12}{'value x':>14}{'p/P':>9}{'p/P·(x−x̄)²':>16}")
    var = 0.0
    for name, p, x in pairs:
        if x is None or p <= 0:
            continue
        term = p / total * (x - mean) ** 2
        var += term
        lines.append(f"{name[:26]:<28}{p:>12,.0f}{x:>14,.6g}{p / total:>9.4f}{term:>16,.6g}")
    sd = math.sqrt(var)
    lines += [
        "",
        f"P  = Σ p = {total:,.0f}",
        f"x̄  = Σ p·x / P = {mean:,.6g}",
        f"S  = sqrt(Σ (p/P)(x − x̄)²) = sqrt({var:,.6g}) = {sd:,.6g}",
        f"CV = S / x̄ = {sd / mean:.6f}" if mean else "CV: x̄ = 0, not computable",
        f"engine CV = {number(check['value'], 6)}  {check['comparator']} limit {number(check['threshold'])}"
        f"  → {view.status(check['status'])}",
    ]
    return lines


def _explain_units(
    result: Result, view: ReportView, code: str, year: int | None, check_id: str, school: str | None
) -> list[str]:
    sc = result.section_checks
    rows = [
        r
        for r in sc.filter(pc.equal(sc.column("check_id"), check_id)).to_pylist()
        if r["county_code"] == code and r["year"] == year
    ]
    if school:
        rows = [r for r in rows if r["unit_id"] == school or r["unit_id"].split(":")[0] == school]
        if not rows:
            raise InputError(
                f"no school {school!r} in {code} for {check_id}",
                zh=f"{code} 的检查项 {check_id} 中没有学校 {school!r}",
            )
    lines = [f"{'school':<28}{'level':>8}{'value':>12}{'threshold':>14}{'ratio':>8}  status"]
    for r in rows:
        name = view.names.get(r["unit_id"], r["unit_id"])
        lines.append(
            f"{name[:26]:<28}{view.level(r['level']):>8}{number(r['value']):>12}"
            f"{(r['comparator'] or '') + ' ' + number(r['threshold']):>14}{number(r['ratio']):>8}  "
            f"{view.status(r['status'])}"
            + (f" ({reason_of(r, view.lang)})" if r["reason"] else "")
            + (f" [relaxation {r['relaxation']}]" if r["relaxation"] else "")
        )
    return lines
