"""The HTML report: one self-contained file (inline CSS and SVG, no script, no network).

Pages: the verdict per county citing each rule's document and clause; what it takes to
pass (the plan), the checks nearest to failing and where the disparity lies; every check; the
CV of each indicator against its limit per level; the per-school matrix of
ratio-to-threshold; the distribution of each indicator across schools; the failing
schools with what they lack; excluded and rejected rows; the row accounting. Every
piece of text that came from the inputs is escaped.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from pathlib import Path
from typing import Any

from eduscore._version import __version__
from eduscore.model.framework import CONFIDENCE_LABELS
from eduscore.report.charts import FONT, cv_bars, ratio_color, strip_plot
from eduscore.report.context import RenderContext, context_of
from eduscore.report.files import write_text
from eduscore.report.planning import PlanningView
from eduscore.report.text import visible
from eduscore.report.view import ReportView, accounting_line, number
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
"""


def _status(view: ReportView, status: str | None) -> str:
    return f'<span class="s-{escape(status or "")}">{escape(view.status(status))}</span>'


def render_html(source: Result | RenderContext, lang: str | None = None) -> str:
    context = context_of(source, lang)
    result, lang = context.result, context.lang
    view = ReportView(result, lang)
    w = view.words
    fw = result.framework
    parts: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{escape(fw.name.get(lang))} — eduscore</title><style>{CSS}</style></head><body>",
        f"<header><h1>{escape(fw.name.get(lang))}</h1>",
        f'<div class="meta">{escape(fw.document["number"])} 《{escape(fw.document["title"])}》 · '
        f"<code>{escape(fw.id)}</code> v{escape(fw.version)} · eduscore {escape(__version__)}</div></header><main>",
    ]
    sources: dict[tuple[str, str], set[str]] = defaultdict(set)
    planning = PlanningView(context.analyses(), view)
    for county in view.counties():
        parts.append(_county(view, county, sources, planning))
    parts.append(_sources(view, sources))
    parts.append(_tables(view, result))
    parts.append(
        f"<footer>{escape(w['accounting'])}: "
        + "; ".join(escape(accounting_line(a, lang)) for a in result.accounting.to_pylist())
        + "</footer></main></body></html>"
    )
    # Escaping made the text inert as HTML; this pass shows the control characters
    # that escaping leaves (an ESC, a right-to-left override) in the whole page.
    return visible("\n".join(parts), multiline=True)


def _county(
    view: ReportView, county: Any, sources: dict[tuple[str, str], set[str]], planning: PlanningView
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
    reasons = view.reasons(county)
    if reasons:
        out.append('<ul class="reasons">' + "".join(f"<li>{escape(r)}</li>" for r in reasons[:40]) + "</ul>")
    if county.failing:
        out.append(f"<h3>{escape(w['failing_sections'])}</h3><div class='scroll'><table><tr>")
        for col in (w["school"], w["level"], w["rule"], w["value"], w["threshold"], w["ratio"], w["gap"]):
            out.append(f"<th>{escape(col)}</th>")
        out.append("</tr>")
        for g in county.failing:
            out.append(
                f"<tr><td>{escape(g.name)}</td><td>{escape(view.level(g.level))}</td><td>{escape(g.check_name)}</td>"
                f"<td class='num'>{number(g.value)}</td><td class='num'>{escape(g.comparator or '')} {number(g.threshold)}</td>"
                f"<td class='num' style='background:{ratio_color(g.ratio)}'>{number(g.ratio)}</td>"
                f"<td class='num'>{escape(view.gap_text(g))}</td></tr>"
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
        cite = " ".join(x for x in (ch["document"], ch["clause"]) if x)
        sources[(ch["document"], ch["clause"] or "")].add(ch["confidence"])
        threshold = (
            ""
            if ch["kind"] in ("section_threshold", "count_met_with_floor")
            else f"{ch['comparator']} {number(ch['threshold'])}"
        )
        out.append(
            f"<tr><td>{escape(view.check_name(ch))}<br><code>{escape(ch['check_id'])}</code></td>"
            f"<td>{_status(view, ch['status'])}</td><td class='num'>{escape(view.check_value(ch))}</td>"
            f"<td class='num'>{escape(threshold)}</td>"
            f"<td class='conf'>[{escape(ch['confidence'])}]</td><td>{escape(cite)}"
            + (f"<br><small>spec {escape(ch['spec'])}</small>" if ch["spec"] else "")
            + f"</td><td>{escape(ch['rule_set'])} {escape(ch['rule_set_version'])}"
            + (
                f"<br><small class='relaxed'>⚠ {escape(ch['relaxed_by'])}</small>"
                if ch.get("relaxed_by")
                else ""
            )
            + "</td></tr>"
        )
    out.append("</table></div>")
    out.append(_distributions(view, county))
    out.append("</section>")
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
        cv_bars(rows, f"{view.words['dispersion']} — {view.level(level)}")
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
        for ind in indicators:
            ratio = ratios.get((row["unit_id"], ind.id))
            title = f"{ind.id}: ratio {number(ratio)}"
            out.append(
                f"<td class='num cell' style='background:{ratio_color(ratio)}' title='{escape(title)}'>"
                f"{number(row.get(ind.id))}</td>"
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
    for ind in view.fw.indicators:
        for level in levels:
            points = [
                (
                    float(r[ind.id]),
                    float(r.get("students") or r.get("children") or 0),
                    str(r.get("school_name") or r["unit_id"]),
                )
                for r in rows
                if (r.get("level") or "") == level and r.get(ind.id) is not None
            ]
            if not points:
                continue
            th = ind.threshold.for_level(level or None) if ind.threshold else None
            title = f"{ind.name.get(view.lang)} — {view.level(level)}"
            charts.append(strip_plot(points, th, title, ind.unit.get(view.lang)))
    if not charts:
        return ""
    return f"<h3>{escape(view.words['indicator'])}</h3><div class='charts'>" + "".join(charts) + "</div>"


def _sources(view: ReportView, sources: dict[tuple[str, str], set[str]]) -> str:
    w = view.words
    out = [
        f"<h2>{escape(w['source'])}</h2><table><tr><th>document</th><th>clause</th><th>{escape(w['confidence'])}</th></tr>"
    ]
    for (doc, clause), tags in sorted(sources.items()):
        out.append(
            f"<tr><td>{escape(doc)}</td><td>{escape(clause)}</td><td class='conf'>{escape(' '.join(sorted(tags)))}</td></tr>"
        )
    out.append(
        "</table><p class='meta'>"
        + "; ".join(f"[{k}] {escape(v)}" for k, v in CONFIDENCE_LABELS.items())
        + "</p>"
    )
    return "\n".join(out)


def _tables(view: ReportView, result: Result) -> str:
    w = view.words
    out = []
    excluded = result.excluded.to_pylist()
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
    if result.findings.num_rows:
        out.append(f"<h2>{escape(w['findings'])}</h2><div class='scroll'><table><tr>")
        out += [f"<th>{escape(h)}</th>" for h in view.finding_headers()]
        out.append("</tr>")
        for row in view.finding_rows():
            out.append(
                "<tr>" + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
            )
        out.append("</table></div>")
    return "\n".join(out)


def write_html(source: Result | RenderContext, out: Path, lang: str | None = None) -> Path:
    return write_text(out / "report.html", render_html(source, lang))
