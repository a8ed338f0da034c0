"""``eduscore show``: a framework's indicators, thresholds and rules, after a county's overlays."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from eduscore.model.framework import Framework, Threshold
from eduscore.plugins.catalog import effective_framework, load_framework
from eduscore.report.console import SafeConsole


def describe_threshold(th: Threshold | None, comparator: str | None) -> str:
    if th is None:
        return "—"
    return f"{comparator or ''} {th.describe()}".strip()


def framework_for(framework: str, county: str | None, year: int | None) -> Framework:
    if county:
        return effective_framework(county, framework, year)
    return load_framework(framework)


def print_framework(
    framework: str, county: str | None = None, year: int | None = None, lang: str = "zh"
) -> None:
    fw = framework_for(framework, county, year)
    console = SafeConsole(highlight=False)
    console.print(
        f"[bold]{escape(fw.name.get(lang))}[/bold] — {escape(fw.document['number'])} ({fw.id} v{fw.version})"
    )
    if county:
        chain = " → ".join(
            ["national", *(f"{r['rule_set']} {r['version']} ({r['jurisdiction']})" for r in fw.rule_sets)]
        )
        console.print(f"county {escape(county)}{f' {year}' if year else ''}: {escape(chain)}")
    if fw.indicators:
        table = Table(title="indicators / 指标", title_justify="left")
        for col in ("id", "name", "formula", "threshold", "conf", "rule set"):
            table.add_column(col, overflow="fold")
        for ind in fw.indicators:
            table.add_row(
                escape(ind.id),
                escape(ind.name.get(lang)),
                escape(ind.formula),
                escape(describe_threshold(ind.threshold, ind.comparator)),
                f"[{ind.confidence}]",
                escape(ind.rule_set),
            )
        console.print(table)
    table = Table(title="rules / 规则", title_justify="left")
    for col in ("id", "kind", "name", "rule", "conf", "source", "rule set"):
        table.add_column(col, overflow="fold")
    for rule in fw.rules:
        if rule.value:
            detail = f"{rule.value} {describe_threshold(rule.threshold, rule.comparator)}"
        elif rule.column:
            detail = f"{rule.column} is true"
        elif rule.when:
            detail = f"when {rule.when}"
        elif rule.limit:
            detail = ", ".join(f"{k} ≤ {v:g}" for k, v in rule.limit.items())
        elif rule.min_met is not None:
            detail = f"≥ {rule.min_met} met, misses ≥ {rule.floor_ratio:.0%}"
        else:
            detail = ""
        if rule.kind == "relaxation":
            detail += " (opt-in)" if not rule.enabled else ""
        table.add_row(
            escape(rule.id),
            rule.kind,
            escape(rule.name.get(lang)),
            escape(detail),
            f"[{rule.confidence}]",
            escape(rule.source.cite()),
            escape(f"{rule.rule_set} {rule.rule_set_version}"),
        )
    console.print(table)
    verdict = fw.verdict
    console.print(
        f"verdict / 认定: {verdict.get('kind')}"
        + (f" {verdict.get('bands')}" if verdict.get("bands") else "")
    )
