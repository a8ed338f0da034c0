"""The terminal report (rich): verdict per county, failing checks with value vs threshold,
failing schools with the gap. Wraps to narrow terminals; colour only on a TTY."""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..result import Result
from .view import ReportView, accounting_line, localise, number

_STYLE = {"certified": "bold green", "not_certified": "bold red", "incomplete": "bold yellow"}


def print_report(result: Result, lang: str = "zh", file: IO[str] | None = None, max_rows: int = 12) -> None:
    console = Console(file=file, highlight=False, soft_wrap=False)
    view = ReportView(result, lang)
    w = view.words
    fw = result.framework
    console.print(
        Text(f"{fw.name.get(lang)} — {fw.document['number']}  ({fw.id} v{fw.version})", style="bold")
    )
    for county in view.counties():
        year = f" {county.year}" if county.year is not None else ""
        head = Text(f"\n{county.county_code} {county.county_name}{year}: ")
        label = view.verdict(county.verdict) + (f" · {w['grade']} {county.grade}" if county.grade else "")
        head.append(label, style=_STYLE[county.verdict])
        c = county.counts
        head.append(
            f"   ({view.status('pass')} {c['n_pass']} · {view.status('fail')} {c['n_fail']} · "
            f"{view.status('not_assessed')} {c['n_not_assessed']})"
        )
        console.print(head)
        failing = [ch for ch in county.checks if ch["status"] in ("fail", "basic_pass")]
        if failing:
            table = Table(title=w["checks"] + f" — {view.status('fail')}", title_justify="left", expand=False)
            for col in (w["rule"], w["value"], w["threshold"], w["confidence"]):
                table.add_column(col, overflow="fold")
            for ch in failing[:max_rows]:
                unit_rule = ch["kind"] in ("section_threshold", "count_met_with_floor")
                table.add_row(
                    f"{escape(view.check_name(ch))}\n[dim]{escape(ch['check_id'])}[/dim]",
                    escape(view.check_value(ch)),
                    "" if unit_rule else f"{ch['comparator']} {number(ch['threshold'])}",
                    f"[{ch['confidence']}]",
                )
            console.print(table)
            if len(failing) > max_rows:
                console.print(f"  … {len(failing) - max_rows}")
        if county.failing:
            table = Table(title=w["failing_sections"], title_justify="left", expand=False)
            for col in (w["school"], w["rule"], w["value"], w["threshold"], w["gap"]):
                table.add_column(col, overflow="fold")
            for g in county.failing[: max_rows * 2]:
                table.add_row(
                    escape(f"{g.name} {view.level(g.level)}"),
                    escape(g.check_name),
                    number(g.value),
                    f"{g.comparator or ''} {number(g.threshold)}",
                    escape(view.gap_text(g)),
                )
            console.print(table)
            if len(county.failing) > max_rows * 2:
                console.print(f"  … {len(county.failing) - max_rows * 2}")
        unknown = [ch for ch in county.checks if ch["status"] in ("not_assessed", "not_computable")]
        if unknown:
            console.print(Text(f"{view.status('not_assessed')}:", style="yellow"))
            for ch in unknown[:max_rows]:
                console.print(
                    f"  - {escape(view.check_name(ch))} ({escape(ch['check_id'])}): {escape(localise(ch['reason'], lang))}"
                )
            if len(unknown) > max_rows:
                console.print(f"  … {len(unknown) - max_rows}")
    found = result.findings.to_pylist()
    if found:
        console.print(Text(f"\n{w['findings']}:", style="bold"))
        counts: dict[tuple[str, str], int] = {}
        for f in found:
            counts[(f["severity"], f["rule"])] = counts.get((f["severity"], f["rule"]), 0) + 1
        for (severity, rule), k in sorted(counts.items()):
            console.print(f"  {escape(w['severity'][severity])} · {escape(rule)}: {k}")
        key = "message_zh" if lang == "zh" else "message_en"
        for f in found[:max_rows]:
            where = f"{f['source']}" + (f"!{f['sheet']}" if f["sheet"] else "")
            console.print(
                f"  - {escape(where)} {f['row']} {escape(f['column'])} = {escape(str(f['value']))}: {escape(f[key])}"
            )
        if len(found) > max_rows:
            console.print(f"  … {len(found) - max_rows} (report.xlsx / result.json)")
    console.print(Text(f"\n{w['accounting']}:", style="bold"))
    for a in result.accounting.to_pylist():
        console.print(f"  {escape(accounting_line(a, lang))}")
