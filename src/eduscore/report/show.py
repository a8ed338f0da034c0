"""``eduscore show``: a framework's indicators, thresholds and rules, after a county's overlays."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from eduscore.model.contract import LEVEL_NAMES
from eduscore.model.framework import Framework, Threshold
from eduscore.plugins.catalog import effective_framework, load_framework
from eduscore.report.console import SafeConsole

_COMPARATORS = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠"}


def describe_threshold(th: Threshold | None, comparator: str | None, lang: str = "en") -> str:
    """'≥ primary: 4.2; junior: 5.3' (in Chinese '≥ 小学 4.2;初中 5.3')."""
    if th is None:
        return "—"
    text = th.describe()
    if lang == "zh":
        for level, name in LEVEL_NAMES.items():
            text = text.replace(f"{level}: ", f"{name} ")
        text = text.replace("; ", ";")
    return f"{_COMPARATORS.get(comparator or '', comparator or '')} {text}".strip()


def _cite(text: str, lang: str) -> str:
    """A cited source in the reader's language: in Chinese without its English glosses."""
    from eduscore.report.view import clause_text

    return clause_text(text, lang)


def framework_for(framework: str, county: str | None, year: int | None) -> Framework:
    if county:
        return effective_framework(county, framework, year)
    return load_framework(framework)


_INDICATOR_HEADS = ("id", "name", "formula", "threshold", "conf", "rule set")
_RULE_HEADS = ("id", "kind", "name", "rule", "conf", "source", "rule set")


def print_framework(
    framework: str, county: str | None = None, year: int | None = None, lang: str = "zh"
) -> None:
    fw = framework_for(framework, county, year)
    zh = lang == "zh"
    console = SafeConsole(highlight=False)
    console.print(
        f"[bold]{escape(fw.name.get(lang))}[/bold] — {escape(fw.document['number'])} ({fw.id} v{fw.version})"
    )
    if county:
        chain = " → ".join(
            ["national", *(f"{r['rule_set']} {r['version']} ({r['jurisdiction']})" for r in fw.rule_sets)]
        )
        where = "县" if zh else "county"
        console.print(f"{where} {escape(county)}{f' {year}' if year else ''}: {escape(chain)}")
    if fw.indicators:
        table = Table(title="指标" if zh else "indicators", title_justify="left")
        for col in ("编号", "名称", "公式", "标准", "可信度", "规则来源") if zh else _INDICATOR_HEADS:
            table.add_column(col, overflow="fold")
        for ind in fw.indicators:
            table.add_row(
                escape(ind.id),
                escape(ind.name.get(lang)),
                escape(ind.formula),
                escape(describe_threshold(ind.threshold, ind.comparator, lang)),
                f"[{ind.confidence}]",
                escape("国家规定" if zh and ind.rule_set == "national" else ind.rule_set),
            )
        console.print(table)
    table = Table(title="规则" if zh else "rules", title_justify="left")
    for col in ("编号", "种类", "名称", "规则", "可信度", "依据", "规则来源") if zh else _RULE_HEADS:
        table.add_column(col, overflow="fold")
    for rule in fw.rules:
        if rule.value:
            detail = f"{rule.value} {describe_threshold(rule.threshold, rule.comparator, lang)}"
        elif rule.column:
            detail = f"{rule.column} 为“是”" if zh else f"{rule.column} is true"
        elif rule.when:
            detail = f"当 {rule.when}" if zh else f"when {rule.when}"
        elif rule.limit:
            detail = ", ".join(f"{LEVEL_NAMES.get(k, k) if zh else k} ≤ {v:g}" for k, v in rule.limit.items())
        elif rule.min_met is not None:
            detail = (
                f"至少 {rule.min_met} 项达标,其余不低于 {rule.floor_ratio:.0%}"
                if zh
                else f"≥ {rule.min_met} met, misses ≥ {rule.floor_ratio:.0%}"
            )
        else:
            detail = ""
        if rule.kind == "relaxation" and not rule.enabled:
            detail += "(需启用)" if zh else " (opt-in)"
        table.add_row(
            escape(rule.id),
            rule.kind,
            escape(rule.name.get(lang)),
            escape(detail),
            f"[{rule.confidence}]",
            escape(_cite(rule.source.cite(), lang)),
            escape(
                f"{'国家规定' if zh and rule.rule_set == 'national' else rule.rule_set} {rule.rule_set_version}"
            ),
        )
    console.print(table)
    verdict = fw.verdict
    console.print(
        f"{'认定方式' if zh else 'verdict'}: {verdict.get('kind')}"
        + (f" {verdict.get('bands')}" if verdict.get("bands") else "")
    )
