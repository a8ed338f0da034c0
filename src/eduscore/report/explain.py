"""``eduscore explain``: how one number of a result was derived, step by step.

For a CV: every in-scope school section with its students, value and weighted squared
deviation → the student-weighted mean → SD → CV → limit → status, with the rule's
source. For a school rule: each school's value against its threshold. For a county
item: the formula, the value, the threshold and the source.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

import pyarrow.compute as pc

from eduscore.errors import InputError
from eduscore.report.text import visible
from eduscore.report.view import ReportView, clause_text, number, reason_of, spec_text
from eduscore.result import Result

_WORDS = {
    "zh": {
        "rule_set": "规则来源",
        "spec": "规则说明",
        "county": "全县",
        "formula": "公式",
        "value": "数值",
        "indicator": "指标",
        "school": "学校",
        "level": "学段",
        "threshold": "标准",
        "ratio": "达标比",
        "status": "结果",
        "students": "学生数 p",
        "value_x": "数值 x",
        "mean_of": "{n} 个差异系数的平均值",
        "engine": "引擎算得 CV",
        "limit": "上限",
        "zero_mean": "x̄ = 0,差异系数无法计算",
        "relaxation": "放宽",
        "is_true": "{column} 为“是”",
    },
    "en": {
        "rule_set": "rule set",
        "spec": "spec",
        "county": "county",
        "formula": "formula",
        "value": "value",
        "indicator": "indicator",
        "school": "school",
        "level": "level",
        "threshold": "threshold",
        "ratio": "ratio",
        "status": "status",
        "students": "students p",
        "value_x": "value x",
        "mean_of": "mean of {n} CVs",
        "engine": "engine CV",
        "limit": "limit",
        "zero_mean": "CV: x̄ = 0, not computable",
        "relaxation": "relaxation",
        "is_true": "{column} is true",
    },
}
_COMPARATORS = {">=": "≥", "<=": "≤", "==": "=", ">": ">", "<": "<", "!=": "≠"}


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _cut(text: str, width: int) -> str:
    out, used = "", 0
    for ch in text:
        w = _width(ch)
        if used + w > width:
            break
        out, used = out + ch, used + w
    return out


def _pad(text: str, width: int, right: bool = False) -> str:
    """``text`` cut to ``width`` columns and padded to it (left- or right-aligned)."""
    text = _cut(text, width)
    space = " " * (width - _width(text))
    return space + text if right else text + space


def _plain(x: float) -> str:
    """Six significant digits, never in scientific notation (2.37371e-06 → 0.00000237371)."""
    if x == 0 or not math.isfinite(x):
        return number(x) if not math.isfinite(x) else "0"
    digits = max(0, 5 - math.floor(math.log10(abs(x))))
    return f"{x:,.{digits}f}"


def _cmp(comparator: str | None) -> str:
    return _COMPARATORS.get(comparator or "", comparator or "")


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
    w = _WORDS[view.lang]
    colon = ":" if view.lang == "zh" else ": "
    lines = [f"{code} {year or ''}  {check_id}".strip()]
    if check is not None:
        document = clause_text(check["document"], view.lang)
        lines.append(
            f"{view.check_name(check)}  [{check['confidence']}] {document} {clause_text(check['clause'], view.lang)}"
            + (f" ({w['spec']} {spec_text(check['spec'], view.lang)})" if check["spec"] else "")
        )
        lines.append(
            f"{w['rule_set']}{colon}{view.rule_set_name(check['rule_set'])} {check['rule_set_version']}"
        )
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
            lines.append(f"  CV {view.indicator_name(d['indicator'])}{colon}{number(d['cv'], 6)}")
        lines.append(
            f"{w['mean_of'].format(n=len(cvs))} = {number(check['value'], 6)}  {_cmp(check['comparator'])} "
            f"{number(check['threshold'])}  → {view.status(check['status'])}"
        )
    elif check is None or check["kind"] in ("indicator", "section_threshold", "count_met_with_floor"):
        lines += _explain_units(result, view, code, year, check_id, school)
        if check is not None:
            lines.append(
                f"{w['county']}{colon}{reason_of(check, view.lang) or view.status(check['status'])}"
                f" → {view.status(check['status'])}"
            )
    else:
        rule = next((r for r in result.framework.rules if r.id == check["rule_id"]), None)
        if rule is not None and (rule.value or rule.when or rule.column):
            formula = rule.value or rule.when or w["is_true"].format(column=rule.column)
            lines.append(f"{w['formula']}{colon}{formula}")
        lines.append(
            f"{w['value']} {view.check_value(check)}  {view.threshold_text(check)}"
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
    w = _WORDS[view.lang]
    colon = ":" if view.lang == "zh" else ": "
    lines = [
        f"{w['indicator']}{colon}{view.indicator_name(indicator)}, {view.level(level)} · {indicator}",
        f"{w['formula']}{colon}{result.framework.indicator(indicator).formula}",
        "",
    ]
    total = sum(p for _, p, x in pairs if x is not None and p > 0)
    if total == 0 or any(x is None for _, p, x in pairs if p > 0):
        lines.append(f"  {reason_of(check, view.lang) or view.status(check['status'])}")
        return lines
    mean = sum(p * x for _, p, x in pairs if x is not None) / total
    lines.append(
        _pad(w["school"], 28)
        + _pad(w["students"], 12, True)
        + _pad(w["value_x"], 14, True)
        + f"{'p/P':>9}{'p/P·(x−x̄)²':>16}"
    )
    var = 0.0
    for name, p, x in pairs:
        if x is None or p <= 0:
            continue
        term = p / total * (x - mean) ** 2
        var += term
        lines.append(f"{_pad(str(name), 28)}{p:>12,.0f}{_plain(x):>14}{p / total:>9.4f}{_plain(term):>16}")
    sd = math.sqrt(var)
    lines += [
        "",
        f"P  = Σ p = {total:,.0f}",
        f"x̄  = Σ p·x / P = {_plain(mean)}",
        f"S  = sqrt(Σ (p/P)(x − x̄)²) = sqrt({_plain(var)}) = {_plain(sd)}",
        f"CV = S / x̄ = {sd / mean:.6f}" if mean else w["zero_mean"],
        f"{w['engine']} = {number(check['value'], 6)}  {_cmp(check['comparator'])} {w['limit']} "
        f"{number(check['threshold'])}  → {view.status(check['status'])}",
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
    w = _WORDS[view.lang]
    lines = [
        _pad(w["school"], 28)
        + _pad(w["level"], 8, True)
        + _pad(w["value"], 12, True)
        + _pad(w["threshold"], 14, True)
        + _pad(w["ratio"], 8, True)
        + "  "
        + w["status"]
    ]
    for r in rows:
        name = str(view.names.get(r["unit_id"], r["unit_id"]))
        threshold = f"{_cmp(r['comparator'])} {number(r['threshold'])}".strip()
        lines.append(
            _pad(name, 28)
            + _pad(view.level(r["level"]), 8, True)
            + _pad(number(r["value"]), 12, True)
            + _pad(threshold, 14, True)
            + _pad(number(r["ratio"]), 8, True)
            + f"  {view.status(r['status'])}"
            + (f" ({reason_of(r, view.lang)})" if r["reason"] else "")
            + (f" [{w['relaxation']} {r['relaxation']}]" if r["relaxation"] else "")
        )
    return lines
