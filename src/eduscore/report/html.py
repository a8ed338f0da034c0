"""The HTML report: self-contained pages (inline CSS and SVG, no network).

One county: ``report.html`` holds the whole report — the verdict per county citing each
rule's document and clause; what it takes to pass (the plan), the checks nearest to
failing and where the disparity lies; every check; the CV of each indicator against its
limit per level; the per-school matrix of ratio-to-threshold; the distribution of each
indicator across schools; the failing schools with what they lack; excluded and rejected
rows; the row accounting. No script.

Several counties (a city, a province, the nation): ``report.html`` is an index — one row
per county in a table sortable by any column (a few lines of inline script, offline) —
and each county's report, as above, is a page of its own in ``counties/``. Every page is
rendered from the view's groupings, made once for all counties; only the index grows
with the number of counties.

Every piece of text that came from the inputs is escaped.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa

from eduscore._version import __version__
from eduscore.model import contract
from eduscore.model.rules import Text
from eduscore.report.charts import FONT, cv_bars, ratio_color, strip_plot
from eduscore.report.context import RenderContext, context_of
from eduscore.report.files import write_text
from eduscore.report.firstpage import (
    RESOURCE_NUMBERS,
    RESOURCE_STATUS,
    FirstPage,
    FirstPages,
    counted_text,
    part_table,
    resource_table,
)
from eduscore.report.firstpage import WORDS as FIRST_WORDS
from eduscore.report.planning import PlanningView
from eduscore.report.text import visible
from eduscore.report.view import (
    CountyView,
    ReportView,
    accounting_line,
    clause_text,
    number,
    percent,
    spec_text,
)
from eduscore.result import Result

CSS = f"""
body{{font-family:{FONT};margin:0;color:#212121;background:#fafafa;line-height:1.45}}
header,main{{max-width:1180px;margin:0 auto;padding:0 18px}}
header{{padding-top:18px}} h1{{font-size:22px;margin:6px 0}} h2{{font-size:19px;margin-top:34px}}
h3{{font-size:16px;margin-top:24px}} h4{{font-size:14px;margin:14px 0 4px}} .meta{{color:#616161;font-size:13px}}
.verdict{{border-radius:8px;padding:12px 16px;margin:12px 0;font-size:18px;font-weight:bold}}
.certified{{background:#e8f5e9;color:#1b5e20}} .not_certified{{background:#ffebee;color:#b71c1c}}
.incomplete{{background:#fff8e1;color:#8d6e00}}
table{{border-collapse:collapse;margin:8px 0;font-size:13px;background:#fff}}
th,td{{border:1px solid #ddd;padding:4px 7px;text-align:left;vertical-align:top}}
th{{background:#f1f1f1;position:sticky;top:0}} td.num{{text-align:right;font-variant-numeric:tabular-nums}}
.s-pass{{color:#1b5e20}} .s-fail{{color:#b71c1c;font-weight:bold}} .s-basic_pass{{color:#ef6c00}}
.s-not_assessed,.s-not_computable{{color:#8d6e00}} .conf{{font-family:monospace;color:#555}}
.scroll{{overflow-x:auto;max-width:100%}} .charts svg{{display:block;margin:10px 0}}
ul.reasons{{font-size:13px;margin:4px 0 0 0}} footer{{color:#757575;font-size:12px;margin:40px 0 20px}}
.first-page{{background:#fff;border:1px solid #ddd;border-radius:8px;padding:4px 18px 14px;margin:12px 0}}
.first-page h3{{margin-top:16px}} .first-page table{{width:100%}}
.first-page td.num{{white-space:nowrap}} p.plan{{font-size:13px}}
@media print{{.first-page{{border:none;page-break-after:always;break-after:page}} th{{position:static}}}}
"""


def _status(view: ReportView, status: str | None) -> str:
    return f'<span class="s-{escape(status or "")}">{escape(view.status(status))}</span>'


def render_html(source: Result | RenderContext, lang: str | None = None) -> str:
    """The whole result as one page, every county in it: ``report.html`` of one county.

    A result of several counties is written as an index and a page per county
    (:func:`write_html`, :func:`county_pages`)."""
    context = context_of(source, lang)
    view = ReportView(context.result, context.lang)
    planning = PlanningView(context.analyses(), view)
    sources: dict[tuple[str, str], set[str]] = defaultdict(set)
    first = FirstPages(view, planning)
    body = [_county(view, county, sources, planning, first) for county in view.counties()]
    body.append(_sources(view, sources))
    body.append(_tables(view, context.result.excluded.to_pylist(), findings=True))
    return _document(view, escape(view.fw.name.get(view.lang)), body, _accounting(view))


def _document(
    view: ReportView, title: str, body: list[str], footer: str, nav: str = "", tail: str = "", css: str = ""
) -> str:
    """A whole page: head (``title`` is HTML), the framework's header, ``body``, ``footer``."""
    fw, lang = view.fw, view.lang
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{title} — eduscore</title><style>{CSS}{css}</style></head><body>",
        f"<header>{nav}<h1>{escape(fw.name.get(lang))}</h1>",
        f'<div class="meta">{escape(fw.document["number"])} 《{escape(fw.document["title"])}》 · '
        f"<code>{escape(fw.id)}</code> v{escape(fw.version)} · eduscore {escape(__version__)}</div></header><main>",
        *body,
        f"<footer>{footer}</footer></main>{tail}</body></html>",
    ]
    # Escaping made the text inert as HTML; this pass shows the control characters
    # that escaping leaves (an ESC, a right-to-left override) in the whole page.
    return visible("\n".join(parts), multiline=True)


def _accounting(view: ReportView) -> str:
    return f"{escape(view.words['accounting'])}: " + "; ".join(
        escape(accounting_line(a, view.lang)) for a in view.result.accounting.to_pylist()
    )


def _county(
    view: ReportView,
    county: Any,
    sources: dict[tuple[str, str], set[str]],
    planning: PlanningView,
    first: FirstPages,
) -> str:
    w = view.words
    year = f" {county.year}" if county.year is not None else ""
    grade = f" · {escape(w['grade'])} {escape(county.grade)}" if county.grade else ""
    out = [
        f'<section class="county" id="c{escape(county.county_code)}">',
        f"<h2>{escape(county.county_code)} {escape(county.county_name)}{escape(year)}</h2>",
        f'<div class="verdict {escape(county.verdict)}">{escape(w["verdict"])}: '
        f"{escape(view.verdict(county.verdict))}{grade}</div>",
    ]
    out.append(_first_page(view, first.of(county)))
    out.append(f"<h2>{escape(FIRST_WORDS[view.lang]['detail'])}</h2>")
    if county.failing:
        out.append(f"<h3>{escape(w['failing_sections'])}</h3><div class='scroll'><table><tr>")
        for col in (w["school"], w["level"], w["rule"], w["value"], w["threshold"], w["ratio"], w["gap"]):
            out.append(f"<th>{escape(col)}</th>")
        out.append("</tr>")
        for g in county.failing:
            out.append(
                f"<tr><td>{escape(g.name)}</td><td>{escape(view.level(g.level))}</td><td>{escape(g.check_name)}</td>"
                f"<td class='num'>{escape(view.gap_value(g))}</td><td class='num'>{escape(view.gap_threshold(g))}</td>"
                f"<td class='num' style='background:{ratio_color(g.ratio)}'>{number(g.ratio)}</td>"
                f"<td class='num'>{escape(view.gap_text(g))}</td></tr>"
            )
        out.append("</table></div>")
    if county.allowed:
        out.append(f"<h3>{escape(w['allowed'])}</h3><div class='scroll'><table><tr>")
        for col in (w["school"], w["level"], w["indicator"], w["value"], w["threshold"], w["ratio"]):
            out.append(f"<th>{escape(col)}</th>")
        out.append("</tr>")
        for g in county.allowed:
            out.append(
                f"<tr><td>{escape(g.name)}</td><td>{escape(view.level(g.level))}</td><td>{escape(g.check_name)}</td>"
                f"<td class='num'>{escape(view.gap_value(g))}</td><td class='num'>{escape(view.gap_threshold(g))}</td>"
                f"<td class='num'>{number(g.ratio)}</td></tr>"
            )
        out.append("</table></div>")
    out.append(f"<div class='analyses'>{planning.html(county.county_code, county.year)}</div>")
    out.append(_cv_charts(view, county))
    out.append(_matrix(view, county))
    # Checks, citing document and clause.
    out.append(f"<h3>{escape(w['checks'])}</h3><div class='scroll'><table><tr>")
    for col in (
        w["rule"],
        w["status"],
        w["value"],
        w["threshold"],
        w["confidence"],
        w["source"],
        w["rule_set"],
    ):
        out.append(f"<th>{escape(col)}</th>")
    out.append("</tr>")
    group = None
    for ch in county.checks:
        if ch["group"] != group:
            group = ch["group"]
            out.append(f'<tr><th colspan="7">{escape(view.group_name(group))}</th></tr>')
        cite = " ".join(
            x for x in (clause_text(ch["document"], view.lang), clause_text(ch["clause"], view.lang)) if x
        )
        sources[(ch["document"], ch["clause"] or "")].add(ch["confidence"])
        threshold = view.check_threshold(ch)
        out.append(
            f"<tr><td>{escape(view.check_name(ch))}<br><code>{escape(ch['check_id'])}</code></td>"
            f"<td>{_status(view, ch['status'])}</td><td class='num'>{escape(view.check_value(ch))}</td>"
            f"<td class='num'>{escape(threshold)}</td>"
            f"<td class='conf'>[{escape(ch['confidence'])}]</td><td>{escape(cite)}"
            + (
                f"<br><small>{escape(view.words['spec'])} {escape(spec_text(ch['spec'], view.lang))}</small>"
                if ch["spec"]
                else ""
            )
            + f"</td><td>{escape(view.rule_set_name(ch['rule_set']))} {escape(ch['rule_set_version'])}"
            + (
                f"<br><small class='relaxed'>⚠ {escape(ch['relaxed_by'])}</small>"
                if ch.get("relaxed_by")
                else ""
            )
            + (
                f"<br><small>{escape(ch['kind'])}: {escape(ch['kind_plugin'])}</small>"
                if ch.get("kind_plugin")
                else ""
            )
            + "</td></tr>"
        )
    out.append("</table></div>")
    out.append(_distributions(view, county))
    out.append("</section>")
    return "\n".join(out)


def table(heads: list[str], rows: list[list[str]], num: set[int] | None = None) -> str:
    """A plain table: ``heads`` as text (escaped here), ``rows`` of cells already HTML;
    the columns in ``num`` right-aligned."""
    num = num or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    body = "".join(
        "<tr>"
        + "".join(f"<td class='num'>{c}</td>" if i in num else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<div class='scroll'><table><tr>{head}</tr>{body}</table></div>"


def _first_page(view: ReportView, page: FirstPage) -> str:
    """The page an inspector signs off (:mod:`eduscore.report.firstpage`); printed on a
    page of its own."""
    w, lang = FIRST_WORDS[view.lang], view.lang
    out = ['<div class="first-page">', f"<h3>{escape(w['title'])}</h3>"]

    heads, parts = part_table(page, lang)
    rows = [
        [
            escape(r[0]),
            *r[1:-2],
            f"<span class='s-fail'>{r[-2]}</span>" if r[-2] != "0" else "0",
            f"<span class='s-not_assessed'>{r[-1]}</span>" if r[-1] != "0" else "0",
        ]
        for r in parts
    ]
    out.append(table(heads, rows, set(range(1, len(heads)))))
    for level in page.resources:
        out.append(f"<h3>{escape(w['resources'])} · {escape(view.level(level.level))}</h3>")
        heads, text_rows = resource_table(view, level)
        rows = [
            [escape(c) for c in r[:RESOURCE_STATUS]]
            + [_status(view, line.cv_status) if line.cv_status else "—"]
            for r, line in zip(text_rows, level.lines, strict=True)
        ]
        out.append(table(heads, rows, set(RESOURCE_NUMBERS)))
        for name, passed, assessed, unknown in level.counted:
            cls = "s-fail" if passed < assessed else ("s-not_assessed" if unknown else "s-pass")
            shown = escape(counted_text(passed, assessed, unknown, lang))
            colon = ":" if lang == "zh" else ": "
            out.append(f"<p class='plan'>{escape(name)}{colon}<span class='{cls}'>{shown}</span></p>")
    out.append(f"<h3>{escape(w['failures'])}</h3>")
    if page.failures:
        rows = [
            [escape(x.group), escape(x.name), escape(x.value), escape(x.standard), escape(x.detail)]
            for x in page.failures
        ]
        heads = [w["part"], view.words["rule"], view.words["value"], w["standard"], view.words["reason"]]
        out.append(table(heads, rows, {2, 3}))
    elif not page.notes:
        out.append(f"<p>{escape(w['no_failures'])}</p>")
    if page.notes:
        out.append('<ul class="reasons">' + "".join(f"<li>{escape(r)}</li>" for r in page.notes) + "</ul>")
    if page.missing:
        out.append(f"<h3>{escape(w['missing'])}</h3>")
        rows = [[escape(x.group), escape(x.name), escape(x.detail)] for x in page.missing]
        out.append(table([w["part"], view.words["rule"], w["supply"]], rows))
    if page.plan:
        out.append(f"<h3>{escape(w['plan'])}</h3>")
        sep = ";" if lang == "zh" else "; "
        out.append(
            f"<p class='plan'>{escape(sep.join(page.plan))}</p><p class='meta'>{escape(w['plan_more'])}</p>"
        )
    out.append("</div>")
    return "\n".join(out)


def _cv_charts(view: ReportView, county: Any) -> str:
    rows_by_level: dict[str, list[tuple[str, float | None, float | None]]] = defaultdict(list)
    for d in county.dispersion:
        if d["status"] == "info":
            continue
        rows_by_level[d["level"]].append((view.indicator_name(d["indicator"]), d["cv"], d["limit"]))
    if not rows_by_level:
        return ""
    charts = [
        cv_bars(rows, f"{view.words['dispersion']} — {view.level(level)}", view.words["limit"])
        for level, rows in sorted(rows_by_level.items(), key=lambda kv: kv[0] != "primary")
    ]
    return f"<h3>{escape(view.words['dispersion'])}</h3><div class='charts'>" + "".join(charts) + "</div>"


def _section_rows(view: ReportView, county: Any) -> list[dict[str, Any]]:
    return view.sections_of(county.county_code, county.year)


def _matrix(view: ReportView, county: Any) -> str:
    """Per-school matrix: each indicator's value, coloured by its ratio to the threshold."""
    fw = view.fw
    indicators = [i for i in fw.indicators if i.threshold is not None]
    if not indicators:
        return ""
    ratios = view.indicator_ratios_of(county.county_code, county.year)
    rows = _section_rows(view, county)
    if not rows:
        return ""
    w = view.words
    out = [
        f"<h3>{escape(w['school'])} × {escape(w['indicator'])} ({escape(w['ratio'])})</h3><div class='scroll matrix'><table><tr>"
    ]
    out.append(f"<th>{escape(w['school'])}</th><th>{escape(w['level'])}</th><th>{escape(w['students'])}</th>")
    for ind in indicators:
        out.append(f"<th>{escape(ind.name.get(view.lang))}</th>")
    ids = [(ind.id, escape(ind.id)) for ind in indicators]
    six = [r.id for r in fw.rules_of("count_met_with_floor")]
    for rule_id in six:
        out.append(f"<th>{escape(fw.rule(rule_id).name.get(view.lang))}</th>")
    out.append("</tr>")
    for row in sorted(rows, key=lambda r: (r.get("level") != "primary", str(r.get("school_name") or ""))):
        name = row.get("school_name") or row.get("kindergarten_name") or row["unit_id"]
        out.append(
            f"<tr><td>{escape(str(name))}</td><td>{escape(view.level(row.get('level')))}</td>"
            f"<td class='num'>{number(row.get('students'))}</td>"
        )
        unit = row["unit_id"]
        for key, key_html in ids:
            ratio = ratios.get((unit, key))
            # number() writes digits, signs, points, commas and "—": nothing to escape.
            out.append(
                f"<td class='num cell' style='background:{ratio_color(ratio)}' title='{key_html}: ratio {number(ratio)}'>"
                f"{number(row.get(key))}</td>"
            )
        for rule_id in six:
            out.append(f"<td>{_status(view, row.get(f'{rule_id}__status'))}</td>")
        out.append("</tr>")
    out.append("</table></div>")
    return "\n".join(out)


def _distributions(view: ReportView, county: Any) -> str:
    rows = _section_rows(view, county)
    if not rows:
        return ""
    charts = []
    levels = sorted({r.get("level") or "" for r in rows}, key=lambda lv: lv != "primary")
    # Each row's weight and label once, by level: not again for every indicator.
    by_level: dict[str, list[tuple[dict[str, Any], float, str]]] = defaultdict(list)
    for r in rows:
        by_level[r.get("level") or ""].append(
            (r, float(r.get("students") or r.get("children") or 0), str(r.get("school_name") or r["unit_id"]))
        )
    for ind in view.fw.indicators:
        for level in levels:
            points = [
                (float(r[ind.id]), weight, name)
                for r, weight, name in by_level[level]
                if r.get(ind.id) is not None
            ]
            if not points:
                continue
            th = ind.threshold.for_level(level or None) if ind.threshold else None
            title = f"{ind.name.get(view.lang)} — {view.level(level)}"
            charts.append(strip_plot(points, th, title, ind.unit.get(view.lang), view.lang))
    if not charts:
        return ""
    return f"<h3>{escape(view.words['indicator'])}</h3><div class='charts'>" + "".join(charts) + "</div>"


def _sources(view: ReportView, sources: dict[tuple[str, str], set[str]]) -> str:
    w = view.words
    out = [
        f"<h2>{escape(w['source'])}</h2><table><tr><th>{escape(w['document'])}</th><th>{escape(w['clause'])}</th>"
        f"<th>{escape(w['confidence'])}</th></tr>"
    ]
    for (doc, clause), tags in sorted(sources.items()):
        out.append(
            f"<tr><td>{escape(clause_text(doc, view.lang))}</td><td>{escape(clause_text(clause, view.lang))}</td>"
            f"<td class='conf'>{escape(' '.join(sorted(tags)))}</td></tr>"
        )
    legend = w["confidence_labels"]
    out.append(
        "</table><p class='meta'>"
        + ("; " if view.lang == "en" else ";").join(f"[{k}] {escape(text)}" for k, text in legend.items())
        + "</p>"
    )
    return "\n".join(out)


def _tables(view: ReportView, excluded: list[dict[str, Any]], findings: bool) -> str:
    """The units kept out of the calculation, and (``findings``) the data problems."""
    w = view.words
    out = []
    if excluded:
        reason_key = "exclusion_reason_zh" if view.lang == "zh" else "exclusion_reason_en"
        out.append(
            f"<h2>{escape(w['excluded'])}</h2><table><tr><th>{escape(w['school'])}</th><th>{escape(w['rule'])}</th><th>{escape(w['reason'])}</th></tr>"
        )
        for e in excluded:
            name = e.get("school_name") or e.get("kindergarten_name") or e["unit_id"]
            out.append(
                f"<tr><td>{escape(str(name))} {escape(view.level(e.get('level')))}</td><td><code>{escape(str(e['excluded_by']))}</code></td>"
                f"<td>{escape(str(e.get(reason_key) or ''))}</td></tr>"
            )
        out.append("</table>")
    if findings and view.result.findings.num_rows:
        out.append(_findings(view, view.finding_rows()))
    return "\n".join(out)


def _findings(view: ReportView, rows: list[list[Any]]) -> str:
    out = [f"<h2>{escape(view.words['findings'])}</h2><div class='scroll'><table><tr>"]
    out += [f"<th>{escape(h)}</th>" for h in view.finding_headers()]
    out.append("</tr>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in row) + "</tr>")
    out.append("</table></div>")
    return "\n".join(out)


def write_html(source: Result | RenderContext, out: Path, lang: str | None = None) -> Path:
    """Write ``report.html`` into ``out``: the whole report for one county; for several,
    an index of every county with a page per county in ``out/counties/``. Returns the
    path of ``report.html``."""
    context = context_of(source, lang)
    if context.result.verdicts.num_rows <= 1:
        return write_text(out / "report.html", render_html(context))
    for name, page in county_pages(context):
        write_text(out / name, page)
    return out / "report.html"


#: The folder of the county pages, beside ``report.html``.
COUNTY_FOLDER = "counties"
#: Rows of data problems the index shows; all of them are in findings.csv, report.xlsx, result.json.
MAX_FINDINGS = 1000

_WORDS = {
    "counties": Text(zh="个县", en="counties"),
    "code": Text(zh="代码", en="Code"),
    "county": Text(zh="县", en="County"),
    "year": Text(zh="年份", en="Year"),
    "cv_limit": Text(zh="差异系数/上限", en="CV / limit"),
    "cost": Text(zh="方案成本", en="Plan cost"),
    "risk": Text(zh="最接近翻转的检查", en="Nearest to flipping"),
    "rank": Text(zh="距认定排名", en="Rank to certification"),
    "unpriced": Text(zh="另有未计价的增配:", en="Also added, not priced: "),
    "short": Text(zh="差", en="short"),
    "spare": Text(zh="余", en="spare"),
    "how": Text(
        zh="点击列标题排序,再点一次反向;点击县代码打开该县的完整报告。",
        en="Click a column header to sort, again to reverse; click a county code to open its full report.",
    ),
    "cv_note": Text(
        zh="差异系数/上限:各学段差异系数与其上限之比的最大值(大于 1 即超限)。",
        en="CV / limit: per level, the largest ratio of an indicator's CV to its limit (above 1 fails).",
    ),
    "cost_note": Text(
        zh="方案成本(元):按给定单价,达标方案对各校的全部增配(六项指标、差异系数、功能教室及其面积)的成本,与资金分配所计相同;县级项目不计价;标 * 的县另有未计价的增配(如培训经费占比),见提示。",
        en="Plan cost (yuan): every addition the plan makes to the schools (six-of-seven, CVs, special rooms and their areas) at the prices given, as the fund allocation prices it; county-level checks are not priced; * marks a county whose plan also adds what has no price (e.g. the training budget share), named in its tooltip.",
    ),
    "risk_note": Text(
        zh="最接近翻转的检查:每县三项,先列离达标最近的未达标项(差:相对缺口),再列离失败最近的达标项(余:相对余量);多校的检查按最差的学校计。",
        en="Nearest to flipping: per county three checks, first the failing ones nearest to passing "
        "(short: the relative shortfall), then the passing ones nearest to failing (spare: the relative margin); "
        "a check of many schools counts its worst school.",
    ),
    "rank_note": Text(
        zh="距认定排名:未通过认定的县按未达标项数从少到多排列{cost};资料不全的县缺少数据,不参与排名,列在最后。",
        en="Rank to certification: counties not certified, by the number of failing checks{cost}, fewest first; "
        "incomplete counties lack data, are not ranked and come last.",
    ),
    "rank_cost": Text(zh=",再按方案成本从低到高", en=", then by the plan's cost"),
    "all": Text(zh="全部县", en="All counties"),
    "alerts": Text(zh="监测预警", en="Monitoring alerts"),
    "alerts_col": Text(zh="预警", en="Alerts"),
    "alerts_note": Text(
        zh="曾通过认定的县,本年有检查项未达标或未评估(据归档中以往年份的结果):{n} 个县。",
        en="Counties certified in an earlier year with checks that fail or are not assessed this year "
        "(from the earlier years in the archive): {n}.",
    ),
    "alerts_none": Text(
        zh="归档中以往通过认定的县,本年没有预警。",
        en="No county certified in an earlier year of the archive has an alert this year.",
    ),
    "certified_in": Text(zh="认定年份", en="Certified in"),
    "alert_checks": Text(zh="预警的检查", en="Checks alerting"),
    "findings_more": Text(
        zh="以上为前 {shown} 条,共 {total} 条;全部见 findings.csv、report.xlsx 或 result.json(--format csv/xlsx/json)。",
        en="The first {shown} of {total}; all of them are in findings.csv, report.xlsx or result.json (--format csv/xlsx/json).",
    ),
    "findings_elsewhere": Text(
        zh="数据问题(不按县区分)见汇总页。", en="Data problems (not by county) are on the index page."
    ),
}

INDEX_CSS = """
table.counties th{cursor:pointer;user-select:none;white-space:nowrap}
table.counties th[aria-sort=ascending]::after{content:" \\25B2"} table.counties th[aria-sort=descending]::after{content:" \\25BC"}
table.counties td.certified,table.counties td.not_certified,table.counties td.incomplete{font-weight:bold}
td.over{color:#b71c1c;font-weight:bold}
"""
PAGE_CSS = "nav{font-size:13px;margin-bottom:4px}\n"

# Sorts the rows of a table.counties by the clicked column: by data-v when a cell has it,
# else by its text; numerically in a th.num column; empty cells last either way.
SORT_SCRIPT = """<script>
document.querySelectorAll("table.counties").forEach(function (table) {
  var heads = table.tHead.rows[0].cells, body = table.tBodies[0];
  Array.prototype.forEach.call(heads, function (th, i) {
    function sort() {
      var up = th.getAttribute("aria-sort") !== "ascending", num = th.classList.contains("num");
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var rows = Array.prototype.map.call(body.rows, function (row) {
        var cell = row.cells[i], v = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent;
        return [v === "" ? null : (num ? parseFloat(v) : v), row];
      });
      rows.sort(function (a, b) {
        if (a[0] === null || b[0] === null) { return (a[0] === null) - (b[0] === null); }
        var d = num ? a[0] - b[0] : String(a[0]).localeCompare(String(b[0]), document.documentElement.lang);
        return up ? d : -d;
      });
      rows.forEach(function (r) { body.appendChild(r[1]); });
    }
    th.tabIndex = 0;
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
  });
});
</script>"""

_SAFE_STEM = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,63}")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_VERDICT_RANK = {"not_certified": 0, "incomplete": 1, "certified": 2}


def page_names(keys: list[tuple[str, int | None]]) -> dict[tuple[str, int | None], str]:
    """``counties/<code>.html`` for each (county code, year); ``<code>-<year>`` when a code
    has several years. A code that is not a plain file name (it came from the inputs: a
    slash, a dot, a reserved device name) becomes ``county-<n>``; names that would clash
    on a case-blind file system get a suffix."""
    codes = [code for code, _ in keys]
    repeated = len(set(codes)) < len(codes)
    used: set[str] = set()
    out: dict[tuple[str, int | None], str] = {}
    for n, (code, year) in enumerate(keys, start=1):
        stem = code if _SAFE_STEM.fullmatch(code) and code.lower() not in _RESERVED else f"county-{n}"
        if repeated and year is not None:
            stem += f"-{year}"
        name, k = stem, 2
        while name.lower() in used:
            name, k = f"{stem}-{k}", k + 1
        used.add(name.lower())
        out[(code, year)] = f"{COUNTY_FOLDER}/{name}.html"
    return out


def county_pages(source: Result | RenderContext, lang: str | None = None) -> Iterator[tuple[str, str]]:
    """(path relative to the output folder, page) of every county page, then of the index
    ``report.html``: one page per county — the report :func:`render_html` gives for one
    county — and the index, a sortable table of every county that links to them.

    Pages are yielded one at a time, so that a nation's pages are never all in memory;
    the view groups every table by county once, before the first page."""
    context = context_of(source, lang)
    view = ReportView(context.result, context.lang)
    planning = PlanningView(context.analyses(), view)
    first = FirstPages(view, planning)
    lang = view.lang
    verdicts = view.result.verdicts
    names = page_names(
        list(zip(*(verdicts.column(k).to_pylist() for k in ("county_code", "year")), strict=True))
    )
    counties: list[CountyView] = []  # what the index shows of each: no checks, no schools
    sources: dict[tuple[str, str], set[str]] = defaultdict(set)
    back = f'<nav><a href="../report.html">← {escape(_WORDS["all"].get(lang))}</a></nav>'
    version = f"eduscore {escape(__version__)}"
    for county in view.counties():
        counties.append(attrs.evolve(county, reasons=[], checks=[], failing=[]))
        mine: dict[tuple[str, str], set[str]] = defaultdict(set)
        body = [
            _county(view, county, mine, planning, first),
            _sources(view, mine),
            _tables(view, view.excluded_of(county.county_code, county.year), findings=False),
        ]
        if view.result.findings.num_rows:
            body.append(f"<p class='meta'>{escape(_WORDS['findings_elsewhere'].get(lang))}</p>")
        for key, tags in mine.items():
            sources[key] |= tags
        title = escape(f"{county.county_code} {county.county_name}") + " — " + escape(view.fw.name.get(lang))
        yield (
            names[(county.county_code, county.year)],
            _document(view, title, body, version, nav=back, css=PAGE_CSS),
        )
    yield "report.html", _index(view, planning, counties, names, sources, context.alerts)


def _index(
    view: ReportView,
    planning: PlanningView,
    counties: list[CountyView],
    names: dict[tuple[str, int | None], str],
    sources: dict[tuple[str, str], set[str]],
    context_alerts: pa.Table | None = None,
) -> str:
    lang, w = view.lang, view.words

    def word(key: str) -> str:
        return escape(_WORDS[key].get(lang))

    years = len({c.year for c in counties}) > 1
    graded = any(c.grade for c in counties)
    levels = sorted(
        {d["level"] for c in counties for d in c.dispersion if _cv_ratio(d) is not None},
        key=lambda lv: (lv != "primary", lv != "junior", lv or ""),
    )
    plan = planning.a.plan
    priced = plan is not None and plan.basis == "cost"
    tally = {v: sum(c.verdict == v for c in counties) for v in _VERDICT_RANK}
    costs = (
        {(c.county_code, c.year): _plan_cost(planning, (c.county_code, c.year)) for c in counties}
        if priced
        else {}
    )
    counties, ranks = ranked(counties, costs)
    heads = [f"<th>{word('code')}</th>", f"<th>{word('county')}</th>"]
    heads += [f"<th class='num'>{word('year')}</th>"] if years else []
    heads += [f"<th>{escape(w['verdict'])}</th>"]
    heads += [f"<th>{escape(w['grade'])}</th>"] if graded else []
    heads += [f"<th class='num'>{escape(view.status(s))}</th>" for s in ("fail", "not_assessed")]
    heads += [f"<th class='num'>{word('rank')}</th>"]
    heads += [f"<th class='num'>{word('cv_limit')} · {escape(view.level(lv))}</th>" for lv in levels]
    heads += [f"<th class='num'>{word('cost')}</th>"] if priced else []
    heads += [f"<th class='num'>{word('risk')}</th>"]
    alerts = _alerts_by_county(context_alerts)
    if context_alerts is not None:
        heads += [f"<th class='num'>{word('alerts_col')}</th>"]
    rows = []
    for c in counties:
        key = (c.county_code, c.year)
        rank = ranks.get(key)
        cells = [
            f"<td><a href='{escape(names[key])}'>{escape(c.county_code)}</a></td>",
            f"<td>{escape(c.county_name)}</td>",
        ]
        if years:
            cells.append(f"<td class='num'>{escape(str(c.year if c.year is not None else ''))}</td>")
        cells.append(
            f"<td class='{escape(c.verdict)}' data-v='{_VERDICT_RANK[c.verdict]}'>{escape(view.verdict(c.verdict))}</td>"
        )
        if graded:
            cells.append(f"<td>{escape(c.grade or '')}</td>")
        cells += [f"<td class='num'>{c.counts[k]}</td>" for k in ("n_fail", "n_not_assessed")]
        cells.append(
            f"<td class='num' data-v='{'' if rank is None else rank}'>{'—' if rank is None else rank}</td>"
        )
        worst = _worst_cv(view, c)
        for lv in levels:
            cv = worst.get(lv)
            if cv is None:
                cells.append("<td class='num' data-v=''>—</td>")
                continue
            ratio, tip = cv
            over = " over" if ratio > 1 + 1e-12 else ""
            cells.append(
                f"<td class='num{over}' data-v='{ratio!r}' title='{escape(tip)}'>{number(ratio)}</td>"
            )
        if priced:
            total = costs[key]
            sortable = "" if total is None or not math.isfinite(total) else repr(total)
            missing = _unpriced(view, planning, key)
            tip = f" title='{escape(word('unpriced'))}{escape('、'.join(missing) if lang == 'zh' else ', '.join(missing))}'"
            mark = " *" if missing else ""
            cells.append(
                f"<td class='num' data-v='{sortable}'{tip if missing else ''}>{number(total)}{mark}</td>"
            )
        cells.append(_flips_cell(view, planning.flips.get(key, [])))
        if context_alerts is not None:
            n_alerts = len(alerts.get(key, []))
            cells.append(f"<td class='num{' over' if n_alerts else ''}'>{n_alerts}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    summary = " · ".join(f"{escape(view.verdict(v))} {n}" for v, n in tally.items() if n)
    rank_note = escape(
        _WORDS["rank_note"].get(lang).format(cost=_WORDS["rank_cost"].get(lang) if priced else "")
    )
    notes = (
        [word("how"), rank_note, word("cv_note")]
        + ([word("cost_note")] if priced else [])
        + [word("risk_note")]
    )
    body = [
        f"<h2>{len(counties)} {word('counties')}</h2><p>{summary}</p>",
        *([] if context_alerts is None else [_alerts_section(view, alerts, names)]),
        "<p class='meta'>" + "<br>".join(notes) + "</p>",
        "<div class='scroll'><table class='counties'><thead><tr>" + "".join(heads) + "</tr></thead><tbody>",
        "\n".join(rows),
        "</tbody></table></div>",
        _sources(view, sources),
    ]
    findings = view.finding_rows()
    if findings:
        body.append(_findings(view, findings[:MAX_FINDINGS]))
        if len(findings) > MAX_FINDINGS:
            more = _WORDS["findings_more"].get(lang).format(shown=MAX_FINDINGS, total=len(findings))
            body.append(f"<p class='meta'>{escape(more)}</p>")
    title = escape(view.fw.name.get(lang)) + f" — {len(counties)} {word('counties')}"
    return _document(view, title, body, _accounting(view), tail=SORT_SCRIPT, css=INDEX_CSS)


def _cv_ratio(d: dict[str, Any]) -> float | None:
    cv, limit = d.get("cv"), d.get("limit")
    if (
        d.get("status") == "info"
        or cv is None
        or not limit
        or not math.isfinite(cv)
        or not math.isfinite(limit)
    ):
        return None
    return float(cv) / float(limit)


def _worst_cv(view: ReportView, county: CountyView) -> dict[str | None, tuple[float, str]]:
    """Per level: the largest CV / limit of the county, and which indicator it is."""
    out: dict[str | None, tuple[float, str]] = {}
    for d in county.dispersion:
        ratio = _cv_ratio(d)
        if ratio is None or (d["level"] in out and out[d["level"]][0] >= ratio):
            continue
        tip = f"{view.indicator_name(d['indicator'])}: {number(d['cv'])} / {number(d['limit'])}"
        out[d["level"]] = (ratio, tip)
    return out


def _alerts_by_county(alerts: pa.Table | None) -> dict[tuple[str, int | None], list[dict[str, Any]]]:
    """The alerts of each (county, year): a few rows per county, made Python once."""
    out: dict[tuple[str, int | None], list[dict[str, Any]]] = defaultdict(list)
    if alerts is None:
        return out
    for row in alerts.to_pylist():
        out[(row["county_code"], row["year"])].append(row)
    return out


def _alerts_section(
    view: ReportView,
    alerts: dict[tuple[str, int | None], list[dict[str, Any]]],
    names: dict[tuple[str, int | None], str],
) -> str:
    """The counties certified in an earlier year with a check failing or not assessed now."""
    lang = view.lang

    def word(key: str) -> str:
        return escape(_WORDS[key].get(lang))

    keys = sorted(alerts, key=lambda k: (k[0], k[1] or 0))
    if not keys:
        return f"<h3>{word('alerts')}</h3><p>{word('alerts_none')}</p>"
    rows = []
    for key in keys:
        items = alerts[key]
        first = items[0]
        checks = "<br>".join(
            escape(f"{r['name_zh'] if lang == 'zh' else r['name_en']}: {view.status(r['status'])}")
            + f" <code>{escape(r['check_id'])}</code>"
            for r in items
        )
        # A county certified before with no result this year has no page of this run.
        code = f"<a href='{escape(names[key])}'>{escape(key[0])}</a>" if key in names else escape(key[0])
        rows.append(
            f"<tr><td>{code}</td>"
            f"<td>{escape(first['county_name'] or '')}</td>"
            f"<td class='num'>{escape(str(first['certified_year']))}</td>"
            f"<td class='{escape(first['verdict'] or '')}'>{escape(view.verdict(first['verdict']) if first['verdict'] else '')}</td>"
            f"<td>{checks}</td></tr>"
        )
    heads = [
        word("code"),
        word("county"),
        word("certified_in"),
        escape(view.words["verdict"]),
        word("alert_checks"),
    ]
    note = escape(_WORDS["alerts_note"].get(lang).format(n=len(keys)))
    return (
        f"<h3>{word('alerts')}</h3><p class='meta'>{note}</p><table class='alerts'><thead><tr>"
        + "".join(f"<th>{h}</th>" for h in heads)
        + "</tr></thead><tbody>"
        + "\n".join(rows)
        + "</tbody></table>"
    )


def _plan_cost(planning: PlanningView, key: tuple[str, int | None]) -> float | None:
    """What a county's whole plan costs (:meth:`Plan.county_costs`: every addition it makes,
    rooms and their areas included, as the fund allocation prices it); 0 with nothing to
    add, None when an addition has no price."""
    rows = planning.county_costs.get(key, [])
    return rows[0]["cost"] if rows else 0.0


def _unpriced(view: ReportView, planning: PlanningView, key: tuple[str, int | None]) -> list[str]:
    """The additions of a county's plan that have no price (named in the reader's language)."""
    rows = planning.county_costs.get(key, [])
    if not rows:
        return []
    names = {c.name: c.zh for c in (*contract.SCHOOLS, *contract.SECTIONS)} if view.lang == "zh" else {}
    return [names.get(c, c) for c in (rows[0]["unpriced"] or [])]


def ranked(
    counties: list[CountyView], costs: dict[tuple[str, int | None], float | None]
) -> tuple[list[CountyView], dict[tuple[str, int | None], int]]:
    """The counties in the order of their distance from certification, and the rank of
    each county not certified (1 = the nearest).

    Certified counties come first (no distance), then those not certified by the number
    of failing checks, then by the cost of their plan when priced (an unknown cost last),
    then the incomplete ones — missing data leave their distance unknown, so they are not
    ranked. Ties keep the code order."""

    def key(c: CountyView) -> tuple[Any, ...]:
        group = {"certified": 0, "not_certified": 1}.get(c.verdict, 2)
        cost = costs.get((c.county_code, c.year))
        priced = cost if cost is not None and math.isfinite(cost) else math.inf
        return (
            group,
            c.counts["n_fail"] if group == 1 else 0,
            priced if group == 1 else 0.0,
            c.county_code,
            c.year or 0,
        )

    order = sorted(counties, key=key)
    ranks: dict[tuple[str, int | None], int] = {}
    for c in order:
        if c.verdict == "not_certified":
            ranks[(c.county_code, c.year)] = len(ranks) + 1
    return order, ranks


def _flips_cell(view: ReportView, flips: list[dict[str, Any]]) -> str:
    """The checks nearest to flipping (nearest first), one per line, with the margin signed:
    + a passing check's margin, − a failing check's shortfall."""
    if not flips:
        return "<td data-v=''>—</td>"
    lines = []
    for r in flips:
        name = r["name_zh"] if view.lang == "zh" else r["name_en"]
        where = " ".join(
            x for x in (r["school_name"] or "", view.level(r["level"]) if r["level"] else "") if x
        )
        margin = r["relative_margin"]
        word = _WORDS["short" if r["status"] == "fail" else "spare"].get(view.lang)
        size = percent(abs(margin)).lstrip("+") if margin is not None else "—"
        lines.append(escape(f"{word} {size} · {name}" + (f" ({where})" if where else "")))
    first = flips[0]["relative_margin"]
    sortable = "" if first is None or not math.isfinite(first) else repr(first)
    return f"<td data-v='{sortable}'>" + "<br>".join(lines) + "</td>"
