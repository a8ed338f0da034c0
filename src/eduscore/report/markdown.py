"""The Markdown report: the same content as the terminal, as tables a bureau can paste."""

from __future__ import annotations

from pathlib import Path

from eduscore.report.context import RenderContext, context_of
from eduscore.report.files import write_text
from eduscore.report.firstpage import WORDS as FIRST_WORDS
from eduscore.report.firstpage import FirstPage, FirstPages, counted_text, part_table, resource_table
from eduscore.report.planning import PlanningView
from eduscore.report.text import visible
from eduscore.report.view import ReportView, accounting_line, clause_text, number
from eduscore.result import Result


def cell(text: object) -> str:
    """Text from the inputs, made inert in Markdown: escaped markup, no raw HTML, one
    line, control characters shown (:func:`~eduscore.report.text.visible`)."""
    s = "" if text is None else str(text)
    for ch in ("\\", "|", "*", "_", "`", "[", "]", "<", ">", "#"):
        s = s.replace(ch, "\\" + ch)
    return visible(s.replace("\r\n", " ").replace("\r", " ").replace("\n", " "))


def render_markdown(source: Result | RenderContext, lang: str | None = None) -> str:
    context = context_of(source, lang)
    result, lang = context.result, context.lang
    view = ReportView(result, lang)
    w = view.words
    fw = result.framework
    out = [
        f"# {fw.name.get(lang)}",
        "",
        f"{fw.document['number']} 《{fw.document['title']}》 · `{fw.id}` v{fw.version}",
        "",
    ]
    first = FirstPages(view, PlanningView(context.analyses(), view))
    for county in view.counties():
        year = f" {county.year}" if county.year is not None else ""
        grade = f" · {w['grade']} {cell(county.grade)}" if county.grade else ""
        out += [
            f"## {cell(county.county_code)} {cell(county.county_name)}{year}: {view.verdict(county.verdict)}{grade}",
            "",
        ]
        out += _first_page(view, first.of(county))
        out += [f"### {FIRST_WORDS[lang]['detail']}", ""]
        out += [
            f"| {w['rule']} | {w['status']} | {w['value']} | {w['threshold']} | {w['confidence']} | {w['source']} |"
        ]
        out += ["|---|---|---|---|---|---|"]
        for ch in county.checks:
            cited = " ".join(
                x for x in (clause_text(ch["document"], lang), clause_text(ch["clause"], lang)) if x
            )
            # A check scored by a plugin's rule kind names the kind and its plugin, quietly.
            provenance = view.kind_source(ch)
            cited = " · ".join(x for x in (cited, provenance) if x)
            out.append(
                f"| {cell(view.check_name(ch))} (`{ch['check_id']}`) | {view.status(ch['status'])} | "
                f"{cell(view.check_value(ch))} | "
                f"{cell(view.check_threshold(ch))} | [{ch['confidence']}] | {cell(cited)} |"
            )
        out.append("")
        relaxed = view.relaxed(county)
        if relaxed:
            out += [f"**{w['relaxed']}**", "", *(f"- {cell(line)}" for line in relaxed), ""]
        if county.failing:
            out += [f"### {w['failing_sections']}", ""]
            out += [
                f"| {w['school']} | {w['level']} | {w['rule']} | {w['value']} | {w['threshold']} | {w['gap']} |"
            ]
            out += ["|---|---|---|---|---|---|"]
            for g in county.failing:
                gap = view.gap_text(g)
                out.append(
                    f"| {cell(g.name)} | {view.level(g.level)} | {cell(g.check_name)} | {cell(view.gap_value(g))} | "
                    f"{cell(view.gap_threshold(g))} | {cell(gap)} |"
                )
            out.append("")
        if county.allowed:
            out += [f"### {w['allowed']}", ""]
            out += [f"| {w['school']} | {w['level']} | {w['indicator']} | {w['value']} | {w['threshold']} |"]
            out += ["|---|---|---|---|---|"]
            for g in county.allowed:
                out.append(
                    f"| {cell(g.name)} | {view.level(g.level)} | {cell(g.check_name)} | {cell(view.gap_value(g))} | "
                    f"{cell(view.gap_threshold(g))} |"
                )
            out.append("")
        if county.dispersion:
            out += [f"### {w['dispersion']}", ""]
            out += [
                f"| {w['level']} | {w['indicator']} | {w['students']} | {w['mean']} | {w['cv']} | {w['limit']} | {w['status']} |"
            ]
            out += ["|---|---|---|---|---|---|---|"]
            for d in county.dispersion:
                out.append(
                    f"| {view.level(d['level'])} | {cell(view.indicator_name(d['indicator']))} | {number(d['students'])} | "
                    f"{number(d['mean'])} | {number(d['cv'])} | {number(d['limit'])} | {view.status(d['status'])} |"
                )
            out.append("")
    out += [f"## {w['accounting']}", ""] + [
        f"- {cell(accounting_line(a, lang))}" for a in result.accounting.to_pylist()
    ]
    if result.findings.num_rows:
        heads = view.finding_headers()
        out += ["", f"## {w['findings']}", "", "| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
        for row in view.finding_rows():
            out.append("| " + " | ".join(cell(v) for v in row) + " |")
    # Every value went through cell(); this pass covers what did not (framework texts
    # from plugins, numbers) so that no control character reaches the file.
    return visible("\n".join(out) + "\n", multiline=True)


def _table(heads: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(cell(h) for h in heads) + " |",
        "|" + "---|" * len(heads),
        *("| " + " | ".join(cell(c) for c in row) + " |" for row in rows),
        "",
    ]


def _first_page(view: ReportView, page: FirstPage) -> list[str]:
    """The first page (:mod:`eduscore.report.firstpage`) as Markdown."""
    w, lang = FIRST_WORDS[view.lang], view.lang
    out = [f"### {w['title']}", ""]
    out += _table(*part_table(page, lang))
    for level in page.resources:
        out += [f"#### {w['resources']} · {view.level(level.level)}", ""]
        out += _table(*resource_table(view, level))
        for name, passed, assessed, unknown in level.counted:
            out += [f"{cell(name)}: **{counted_text(passed, assessed, unknown, lang)}**", ""]
    out += [f"#### {w['failures']}", ""]
    if page.failures:
        out += _table(
            [w["part"], view.words["rule"], view.words["value"], w["standard"], view.words["reason"]],
            [[x.group, x.name, x.value, x.standard, x.detail] for x in page.failures],
        )
    elif not page.notes:
        out += [w["no_failures"], ""]
    if page.notes:
        out += [*(f"- {cell(r)}" for r in page.notes), ""]
    if page.missing:
        out += [f"#### {w['missing']}", ""]
        out += _table(
            [w["part"], view.words["rule"], w["supply"]], [[x.group, x.name, x.detail] for x in page.missing]
        )
    if page.plan:
        sep = ";" if lang == "zh" else "; "
        out += [f"#### {w['plan']}", "", cell(sep.join(page.plan)), "", w["plan_more"], ""]
    return out


def write_markdown(source: Result | RenderContext, out: Path, lang: str | None = None) -> Path:
    return write_text(out / "report.md", render_markdown(source, lang))
