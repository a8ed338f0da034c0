"""The history of many counties and their monitoring alerts (预警), as the terminal, one
HTML page and a workbook show them (issue #15 item 2; the tables are
:class:`eduscore.province.history.History`).

One language per output. Many counties stay readable: the terminal lists the alerts and
one row per county (at most ``max_rows`` of each, saying where the rest are); the page
puts the counties with alerts first and draws each county's CVs by year against their
limits (inline SVG, offline); the workbook holds every row.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
from rich.markup import escape as markup
from rich.table import Table
from rich.text import Text

from eduscore._version import __version__
from eduscore.engine.assemble import MEAN_OF_CVS
from eduscore.errors import InputError
from eduscore.model.contract import LEVEL_NAMES
from eduscore.model.messages import label
from eduscore.plugins.catalog import load_framework
from eduscore.province.history import History
from eduscore.report.charts import plain_number, trend_chart
from eduscore.report.console import SafeConsole
from eduscore.report.files import atomic_path, close_workbook, ensure_folder, write_text
from eduscore.report.html import CSS, table
from eduscore.report.text import visible
from eduscore.report.xlsx import _Writer
from eduscore.report.xlsx_words import heads

#: The formats :func:`write_history` writes, and their files.
FILES = {"html": "history.html", "xlsx": "history.xlsx"}
#: Counties whose sections of the page carry CV charts at most (those with alerts first);
#: the others are in the table of counties and the workbook.
CHART_COUNTIES = 200
#: Counties the terminal shows in detail (changes, failing CVs) when there are this few.
DETAIL_COUNTIES = 3

_STYLE = {"certified": "bold green", "not_certified": "bold red", "incomplete": "bold yellow"}

_WORDS: dict[str, tuple[str, str]] = {
    "title": ("历史与预警", "History and monitoring alerts"),
    "counties_years": ("{0} 个县,{1} 年", "{0} count{2}, {1}"),
    "verdicts_by_year": ("各年结论", "Verdicts by year"),
    "alerts": ("预警", "Monitoring alerts"),
    "alerts_what": (
        "曾通过认定的县,在此后年份未达标或未评估的检查项",
        "Counties certified in an earlier year: the checks that fail or are not assessed in a later year",
    ),
    "n_alerts": ("预警 {0} 项,涉及 {1} 个县", "{0} alert{2} in {1} count{3}"),
    "no_alerts": (
        "没有预警:曾通过认定的县此后各项检查均达标。",
        "No alerts: every county certified in an earlier year still passes every check.",
    ),
    "no_certified": (
        "没有在较早年份通过认定的县,因此没有预警。",
        "No county was certified in an earlier year, so there is nothing to monitor.",
    ),
    "counties": ("各县", "Counties"),
    "county": ("县", "county"),
    "certified_year": ("通过认定年份", "certified in"),
    "alert_year": ("预警年份", "year of alert"),
    "certified_then_alert": ("认定→预警", "certified → alert"),
    "first_certified": ("首次通过认定", "first certified"),
    "latest": ("最新结论", "latest verdict"),
    "by_year": ("各年结论", "verdict by year"),
    "changes": ("检查项变化", "Changes of checks"),
    "change": ("变化", "change"),
    "before": ("上次", "before"),
    "now": ("本次", "now"),
    "alerts_column": ("预警项数", "alerts"),
    "cv_trend": ("差异系数逐年变化", "CVs by year"),
    "cv_failing": ("超过上限或状态改变的差异系数", "CVs above their limit or whose status changed"),
    "limit": ("上限", "limit"),
    "framework": ("框架", "framework"),
    "previous_status": ("上次结果", "previous status"),
    "certified_years": ("认定年份", "certified"),
    "more_rows": ("另有 {0} 行未显示,见 {1}", "{0} more rows not shown: see {1}"),
    "write_to": (
        "用 --out 文件夹 写出全部内容(history.html、history.xlsx)",
        "write everything with --out FOLDER (history.html, history.xlsx)",
    ),
    "charts_left_out": (
        "差异系数趋势图只画前 {1} 个县(有预警的在前);另有 {0} 个没有预警的县未单列,其逐年结论见上表,逐年数据见 history.xlsx。",
        "CV trend charts are drawn for the first {1} counties (those with alerts first); {0} more counties without alerts are not listed one by one: their verdicts by year are in the table above, every figure in history.xlsx.",
    ),
    "source": ("数据来源", "source"),
    "results": ("评估结果", "results"),
    "no_changes": ("各检查项与上年相同。", "No check changed since the previous year."),
    "first_year_only": ("只有一个年份,无可比较。", "One year only: nothing to compare."),
    "none": ("无", "none"),
    "mean_of_cvs": ("各项差异系数的平均值(仅供参考)", "mean of the CVs (for reference)"),
}

CHANGE_WORDS: dict[str, tuple[str, str]] = {
    "started_passing": ("转为达标", "started passing"),
    "stopped_passing": ("不再达标", "stopped passing"),
    "started_failing": ("转为未达标", "started failing"),
    "reached_basic_pass": ("转为基本达标", "reached basic pass"),
    "no_longer_assessed": ("转为未评估(缺少数据)", "no longer assessed (data missing)"),
    "new_check": ("新增检查项", "new check"),
    "dropped_check": ("不再检查", "no longer checked"),
}


def word(key: str, lang: str) -> str:
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


def change_word(change: str | None, lang: str) -> str:
    if change is None:
        return ""
    zh, en = CHANGE_WORDS.get(change, (change, change))
    return zh if lang == "zh" else en


def verdict_word(verdict: str | None, lang: str) -> str:
    return label(f"verdict.{verdict}", lang) if verdict else ""


def status_word(status: str | None, lang: str) -> str:
    return label(f"status.{status}", lang) if status else ""


def level_word(level: str | None, lang: str) -> str:
    if not level:
        return ""
    return LEVEL_NAMES.get(level, level) if lang == "zh" else level


@functools.cache
def _framework(framework_id: str) -> Any:
    try:
        return load_framework(framework_id)
    except Exception:  # a framework of a plugin not installed here: its id is shown
        return None


def framework_name(framework_id: str, lang: str) -> str:
    fw = _framework(framework_id)
    return str(fw.name.get(lang)) if fw is not None else framework_id


def indicator_name(framework_id: str, indicator: str, lang: str) -> str:
    if indicator == MEAN_OF_CVS:
        return word("mean_of_cvs", lang)
    fw = _framework(framework_id)
    if fw is not None:
        try:
            return str(fw.indicator(indicator).name.get(lang))
        except KeyError:
            pass
    return indicator


def check_name(row: dict[str, Any], lang: str) -> str:
    return str((row.get("name_zh") if lang == "zh" else row.get("name_en")) or row["check_id"])


def _why(a: dict[str, Any], lang: str) -> str:
    """An alert's reason, else its value against its threshold."""
    reason = a["reason_zh"] if lang == "zh" else a["reason"]
    if reason:
        return str(reason)
    standard = f"{a['comparator'] or ''} {number(a['threshold'], lang)}".strip()
    return f"{number(a['value'], lang)}({'标准' if lang == 'zh' else 'threshold'} {standard})"


def number(x: float | None, lang: str) -> str:
    return "—" if x is None else plain_number(x, lang, 4)


def county_label(code: str, name: str | None) -> str:
    return f"{code} {name or ''}".strip()


def _years_text(years: Sequence[int]) -> str:
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0]) if years else ""


def _by_county(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Rows grouped by county and framework (for rendering: the tables are already sorted)."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault((r["county_code"], r["framework"]), []).append(r)
    return out


def _county_order(h: History) -> list[dict[str, Any]]:
    """Counties with alerts in their latest year first, then with alerts, then by code."""
    rows = h.counties.to_pylist()
    return sorted(
        rows, key=lambda c: (-c["n_alerts_latest"], -c["n_alerts"], c["county_code"], c["framework"])
    )


def _headline(h: History, lang: str) -> str:
    n = h.counties.num_rows
    years = _years_text(h.years)
    frameworks = (
        "、".join(framework_name(f, lang) for f in h.frameworks)
        if lang == "zh"
        else ", ".join(framework_name(f, lang) for f in h.frameworks)
    )
    text = word("counties_years", lang).format(n, years, "y" if n == 1 else "ies")
    return f"{text} · {frameworks}"


def _alerts_line(h: History, lang: str) -> str:
    n = h.alerts.num_rows
    if n == 0:
        certified_before = any(
            c["first_certified_year"] is not None and c["latest_year"] > c["first_certified_year"]
            for c in h.counties.to_pylist()
        )
        return word("no_alerts" if certified_before else "no_certified", lang)
    k = sum(1 for c in h.counties.to_pylist() if c["n_alerts"])
    return word("n_alerts", lang).format(n, k, "" if n == 1 else "s", "y" if k == 1 else "ies")


# ---------------------------------------------------------------------------------------
# Terminal


def print_history(
    h: History, lang: str = "zh", file: IO[str] | None = None, max_rows: int = 30, full_in: str | None = None
) -> None:
    """The alerts (at most ``max_rows``), one row per county (at most ``max_rows``, those
    with alerts first) and, for a few counties, their changes and CVs."""
    console = SafeConsole(file=file, highlight=False, soft_wrap=False)
    zh = lang == "zh"
    rest_in = full_in or word("write_to", lang)
    console.print(Text(f"{word('title', lang)}: {_headline(h, lang)}", style="bold"))
    console.print(
        Text(
            f"{word('source', lang)}: {h.source if h.source != 'results' else word('results', lang)}",
            style="dim",
        )
    )
    # Verdict counts per year.
    counts: dict[int, dict[str, int]] = {}
    for v in h.verdicts.to_pylist():
        counts.setdefault(v["year"], {}).setdefault(v["verdict"], 0)
        counts[v["year"]][v["verdict"]] += 1
    line = Text(f"{word('verdicts_by_year', lang)}: ")
    for year in sorted(counts):
        line.append(f"{year} ")
        line.append(
            ("、" if zh else ", ").join(
                f"{verdict_word(k, lang)} {n}" for k, n in sorted(counts[year].items())
            )
        )
        line.append(";" if zh else "; ")
    console.print(line)
    # Alerts.
    console.print(Text(f"\n{word('alerts', lang)} — {word('alerts_what', lang)}", style="bold"))
    console.print(_alerts_line(h, lang))
    alerts = h.alerts.to_pylist()
    if alerts:
        t = Table(show_lines=False)
        for col in (
            word("county", lang),
            word("certified_then_alert", lang),
            "检查项" if zh else "check",
            "结果" if zh else "status",
            "说明" if zh else "reason",
        ):
            t.add_column(col, overflow="fold")
        for a in alerts[:max_rows]:
            t.add_row(
                markup(county_label(a["county_code"], a["county_name"])),
                f"{a['certified_year']} → {a['year']}",
                markup(check_name(a, lang)),
                Text(status_word(a["status"], lang), style="bold red" if a["status"] == "fail" else "yellow"),
                markup(_why(a, lang)),
            )
        console.print(t)
        if len(alerts) > max_rows:
            console.print(word("more_rows", lang).format(len(alerts) - max_rows, rest_in))
    # Counties.
    counties = _county_order(h)
    verdicts = _by_county(h.verdicts.to_pylist())
    t = Table(title=word("counties", lang), title_justify="left")
    for col in (
        word("county", lang),
        word("by_year", lang),
        word("first_certified", lang),
        word("latest", lang),
        word("alerts_column", lang),
    ):
        t.add_column(col, overflow="fold")
    for c in counties[:max_rows]:
        trail = Text()
        for i, v in enumerate(verdicts.get((c["county_code"], c["framework"]), [])):
            if i:
                trail.append(" → ")
            trail.append(f"{v['year']} ")
            trail.append(verdict_word(v["verdict"], lang), style=_STYLE.get(v["verdict"], ""))
        t.add_row(
            markup(county_label(c["county_code"], c["county_name"])),
            trail,
            str(c["first_certified_year"] or "—"),
            Text(verdict_word(c["latest_verdict"], lang), style=_STYLE.get(c["latest_verdict"], "")),
            str(c["n_alerts"]),
        )
    console.print(t)
    if len(counties) > max_rows:
        console.print(word("more_rows", lang).format(len(counties) - max_rows, rest_in))
    if len(counties) <= DETAIL_COUNTIES:
        changes = _by_county(h.changes.to_pylist())
        cvs = _by_county(h.cv.to_pylist())
        for c in counties:
            key = (c["county_code"], c["framework"])
            console.print(Text(f"\n{county_label(c['county_code'], c['county_name'])}", style="bold"))
            mine = changes.get(key, [])
            if c["n_years"] < 2:
                console.print(word("first_year_only", lang))
                continue
            if not mine:
                console.print(word("no_changes", lang))
            else:
                t = Table(title=word("changes", lang), title_justify="left")
                for col in (
                    "年份" if zh else "year",
                    "检查项" if zh else "check",
                    word("change", lang),
                    word("before", lang),
                    word("now", lang),
                ):
                    t.add_column(col, overflow="fold")
                for ch in mine[:max_rows]:
                    t.add_row(
                        str(ch["year"]),
                        markup(check_name(ch, lang)),
                        change_word(ch["change"], lang),
                        f"{status_word(ch['previous_status'], lang)} {number(ch['previous_value'], lang) if ch['previous_status'] else ''}".strip(),
                        f"{status_word(ch['status'], lang)} {number(ch['value'], lang) if ch['status'] else ''}".strip(),
                    )
                console.print(t)
                if len(mine) > max_rows:
                    console.print(word("more_rows", lang).format(len(mine) - max_rows, rest_in))
            moving = [
                d
                for d in cvs.get(key, [])
                if d["status"] == "fail"
                or (d["previous_status"] is not None and d["previous_status"] != d["status"])
            ]
            if moving:
                t = Table(title=word("cv_failing", lang), title_justify="left")
                for col in (
                    "年份" if zh else "year",
                    "指标" if zh else "indicator",
                    "差异系数" if zh else "CV",
                    word("limit", lang),
                    word("before", lang),
                ):
                    t.add_column(col, overflow="fold")
                for d in moving[:max_rows]:
                    t.add_row(
                        str(d["year"]),
                        markup(
                            f"{indicator_name(d['framework'], d['indicator'], lang)} {level_word(d['level'], lang)}"
                        ),
                        Text(number(d["cv"], lang), style="bold red" if d["status"] == "fail" else ""),
                        number(d["limit"], lang),
                        number(d["previous_cv"], lang),
                    )
                console.print(t)


# ---------------------------------------------------------------------------------------
# HTML


def render_history_html(h: History, lang: str = "zh") -> str:
    """One page: the alerts, the counties (those with alerts first) and, per county, the
    verdict by year, its alerts and changes, and its CVs by year against their limits."""
    zh = lang == "zh"
    counties = _county_order(h)
    verdicts = _by_county(h.verdicts.to_pylist())
    alerts = _by_county(h.alerts.to_pylist())
    changes = _by_county(h.changes.to_pylist())
    cvs = _by_county(h.cv.to_pylist())
    years = h.years
    body = [f"<p>{escape(_headline(h, lang))}</p>"]
    body.append(f"<h2 id='alerts'>{escape(word('alerts', lang))}</h2>")
    body.append(
        f"<p class='meta'>{escape(word('alerts_what', lang))}</p><p>{escape(_alerts_line(h, lang))}</p>"
    )
    if h.alerts.num_rows:
        body.append(
            table(
                [
                    word("county", lang),
                    word("certified_year", lang),
                    word("alert_year", lang),
                    "检查项" if zh else "check",
                    "结果" if zh else "status",
                    "数值" if zh else "value",
                    "标准" if zh else "threshold",
                    "说明" if zh else "reason",
                ],
                [
                    [
                        f"<a href='#c-{escape(a['county_code'])}-{escape(a['framework'])}'>{escape(county_label(a['county_code'], a['county_name']))}</a>",
                        str(a["certified_year"]),
                        str(a["year"]),
                        escape(check_name(a, lang)),
                        _status_html(a["status"], lang),
                        escape(number(a["value"], lang)),
                        escape(f"{a['comparator'] or ''} {number(a['threshold'], lang)}".strip()),
                        escape((a["reason_zh"] if zh else a["reason"]) or ""),
                    ]
                    for a in h.alerts.to_pylist()
                ],
                num={1, 2, 5, 6},
            )
        )
    body.append(f"<h2 id='counties'>{escape(word('counties', lang))}</h2>")
    body.append(
        table(
            [
                word("county", lang),
                word("by_year", lang),
                word("first_certified", lang),
                word("latest", lang),
                word("alerts_column", lang),
            ],
            [
                [
                    f"<a href='#c-{escape(c['county_code'])}-{escape(c['framework'])}'>{escape(county_label(c['county_code'], c['county_name']))}</a>"
                    if i < CHART_COUNTIES or c["n_alerts"]
                    else escape(county_label(c["county_code"], c["county_name"])),
                    " → ".join(
                        f"{v['year']} <span class='{escape(v['verdict'])}-text'>{escape(verdict_word(v['verdict'], lang))}</span>"
                        for v in verdicts.get((c["county_code"], c["framework"]), [])
                    ),
                    str(c["first_certified_year"] or "—"),
                    escape(verdict_word(c["latest_verdict"], lang)),
                    str(c["n_alerts"]),
                ]
                for i, c in enumerate(counties)
            ],
            num={2, 4},
        )
    )
    left_out = 0
    for i, c in enumerate(counties):
        key = (c["county_code"], c["framework"])
        charted = i < CHART_COUNTIES
        if not charted and not c["n_alerts"]:
            left_out += 1
            continue
        part = [
            f"<section id='c-{escape(c['county_code'])}-{escape(c['framework'])}'>"
            f"<h3>{escape(county_label(c['county_code'], c['county_name']))}"
            f" <span class='meta'>{escape(framework_name(c['framework'], lang))}</span></h3>"
        ]
        part.append(
            table(
                [
                    "年份" if zh else "year",
                    "结论" if zh else "verdict",
                    "未达标项数" if zh else "failed",
                    "未评估项数" if zh else "not assessed",
                ],
                [
                    [
                        str(v["year"]),
                        f"<span class='{escape(v['verdict'])}-text'>{escape(verdict_word(v['verdict'], lang))}</span>",
                        str(v["n_fail"]),
                        str(v["n_not_assessed"]),
                    ]
                    for v in verdicts.get(key, [])
                ],
                num={0, 2, 3},
            )
        )
        mine = alerts.get(key, [])
        if mine:
            part.append(f"<h4>{escape(word('alerts', lang))}</h4>")
            part.append(
                table(
                    [
                        word("alert_year", lang),
                        "检查项" if zh else "check",
                        "结果" if zh else "status",
                        word("previous_status", lang),
                        "说明" if zh else "reason",
                    ],
                    [
                        [
                            str(a["year"]),
                            escape(check_name(a, lang)),
                            _status_html(a["status"], lang),
                            _status_html(a["previous_status"], lang),
                            escape((a["reason_zh"] if zh else a["reason"]) or ""),
                        ]
                        for a in mine
                    ],
                )
            )
        mine_changes = changes.get(key, [])
        if mine_changes:
            part.append(f"<h4>{escape(word('changes', lang))}</h4>")
            part.append(
                table(
                    [
                        "年份" if zh else "year",
                        "检查项" if zh else "check",
                        word("change", lang),
                        word("before", lang),
                        word("now", lang),
                    ],
                    [
                        [
                            str(ch["year"]),
                            escape(check_name(ch, lang)),
                            escape(change_word(ch["change"], lang)),
                            _status_html(ch["previous_status"], lang)
                            + (
                                f" {escape(number(ch['previous_value'], lang))}"
                                if ch["previous_status"]
                                else ""
                            ),
                            _status_html(ch["status"], lang)
                            + (f" {escape(number(ch['value'], lang))}" if ch["status"] else ""),
                        ]
                        for ch in mine_changes
                    ],
                )
            )
        if charted:
            part.append(_cv_charts(cvs.get(key, []), years, lang))
        part.append("</section>")
        body.append("".join(part))
    if left_out:
        body.append(
            f"<p class='meta'>{escape(word('charts_left_out', lang).format(left_out, CHART_COUNTIES))}</p>"
        )
    title = word("title", lang)
    css = ".certified-text{color:#1b5e20;font-weight:bold}.not_certified-text{color:#b71c1c;font-weight:bold}.incomplete-text{color:#8d6e00;font-weight:bold}section{margin-top:26px}"
    source = h.source if h.source != "results" else word("results", lang)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{escape(title)} — eduscore</title><style>{CSS}{css}</style></head><body>",
        f"<header><h1>{escape(title)}</h1><div class='meta'>{escape(word('source', lang))}: {escape(source)} · eduscore {escape(__version__)}</div></header><main>",
        *body,
        "</main></body></html>",
    ]
    return visible("\n".join(parts), multiline=True)


def _status_html(status: str | None, lang: str) -> str:
    if not status:
        return "—"
    return f'<span class="s-{escape(status)}">{escape(status_word(status, lang))}</span>'


def _cv_charts(rows: list[dict[str, Any]], years: list[int], lang: str) -> str:
    """One trend chart per level: each indicator's CV by year, the limits as lines."""
    if not rows:
        return ""
    out = []
    shown_years = sorted({r["year"] for r in rows})
    for level in sorted({r["level"] for r in rows}, key=lambda x: (x != "primary", x)):
        mine = [r for r in rows if r["level"] == level]
        framework = mine[0]["framework"]
        series = []
        for indicator in sorted({r["indicator"] for r in mine}):
            by_year = {r["year"]: r["cv"] for r in mine if r["indicator"] == indicator}
            series.append((indicator_name(framework, indicator, lang), [by_year.get(y) for y in shown_years]))
        limits = [r["limit"] for r in mine]
        title = f"{word('cv_trend', lang)} · {level_word(level, lang)}"
        out.append(trend_chart(series, shown_years, limits, title, lang, word("limit", lang)))
    return "<div class='charts'>" + "".join(out) + "</div>"


def write_history_html(h: History, folder: Path, lang: str = "zh") -> Path:
    """Write ``history.html`` into ``folder``; return its path."""
    return write_text(ensure_folder(folder) / FILES["html"], render_history_html(h, lang))


# ---------------------------------------------------------------------------------------
# XLSX

#: Sheet keys of the history workbook, in order.
SHEETS = ("history_counties", "history_verdicts", "history_cv", "history_changes", "history_alerts")


def alert_sheet_rows(alerts: pa.Table, lang: str) -> list[list[Any]]:
    """The rows of the alerts sheet: every column of ``History.alerts`` in order, names,
    reasons, statuses, verdicts, levels and frameworks in ``lang``."""
    zh = lang == "zh"
    return [
        [
            a["county_code"],
            a["county_name"],
            framework_name(a["framework"], lang),
            a["certified_year"],
            a["year"],
            verdict_word(a["verdict"], lang),
            a["check_id"],
            level_word(a["level"], lang),
            check_name(a, lang),
            status_word(a["status"], lang),
            status_word(a["previous_status"], lang),
            a["value"],
            a["comparator"],
            a["threshold"],
            (a["reason_zh"] if zh else a["reason"]) or "",
        ]
        for a in alerts.to_pylist()
    ]


ALERT_HEADS = (
    "county_code",
    "county_name",
    "framework",
    "certified_year",
    "year",
    "verdict",
    "check_id",
    "level",
    "name",
    "status",
    "previous_status",
    "value",
    "comparator",
    "threshold",
    "reason",
)


def write_history_xlsx(h: History, folder: Path, lang: str = "zh") -> Path:
    """Write ``history.xlsx`` into ``folder``: the counties, the verdicts by year, the CVs
    by year, the changes and the alerts, in ``lang``; return its path."""
    path = ensure_folder(folder) / FILES["xlsx"]
    with atomic_path(path) as tmp:
        w = _Writer(tmp, lang=lang)
        w.sheet(
            "history_counties",
            heads(
                lang,
                "county_code",
                "county_name",
                "framework",
                "years",
                "first_certified_year",
                "latest_year",
                "latest_verdict",
                "grade",
                "n_alerts",
                "n_alerts_latest",
            ),
            [
                [
                    c["county_code"],
                    c["county_name"],
                    framework_name(c["framework"], lang),
                    "、".join(map(str, c["years"])) if lang == "zh" else ", ".join(map(str, c["years"])),
                    c["first_certified_year"],
                    c["latest_year"],
                    verdict_word(c["latest_verdict"], lang),
                    c["latest_grade"],
                    c["n_alerts"],
                    c["n_alerts_latest"],
                ]
                for c in _county_order(h)
            ],
            [10, 18, 24, 16, 12, 10, 16, 8, 8, 12],
        )
        w.sheet(
            "history_verdicts",
            heads(
                lang,
                "county_code",
                "county_name",
                "framework",
                "year",
                "verdict",
                "grade",
                "n_pass",
                "n_fail",
                "n_not_assessed",
                "previous_year",
                "previous_verdict",
            ),
            [
                [
                    v["county_code"],
                    v["county_name"],
                    framework_name(v["framework"], lang),
                    v["year"],
                    verdict_word(v["verdict"], lang),
                    v["grade"],
                    v["n_pass"],
                    v["n_fail"],
                    v["n_not_assessed"],
                    v["previous_year"],
                    verdict_word(v["previous_verdict"], lang),
                ]
                for v in h.verdicts.to_pylist()
            ],
            [10, 18, 24, 7, 16, 8, 8, 8, 10, 10, 16],
        )
        w.sheet(
            "history_cv",
            heads(
                lang,
                "county_code",
                "framework",
                "level",
                "indicator",
                "year",
                "cv",
                "limit",
                "status",
                "previous_year",
                "previous_cv",
                "cv_change",
            ),
            [
                [
                    d["county_code"],
                    framework_name(d["framework"], lang),
                    level_word(d["level"], lang),
                    indicator_name(d["framework"], d["indicator"], lang),
                    d["year"],
                    d["cv"],
                    d["limit"],
                    status_word(d["status"], lang),
                    d["previous_year"],
                    d["previous_cv"],
                    d["change"],
                ]
                for d in h.cv.to_pylist()
            ],
            [10, 24, 8, 30, 7, 10, 8, 10, 10, 10, 10],
        )
        w.sheet(
            "history_changes",
            heads(
                lang,
                "county_code",
                "framework",
                "year",
                "previous_year",
                "check_id",
                "level",
                "name",
                "previous_status",
                "status",
                "check_change",
                "previous_value",
                "value",
                "threshold",
            ),
            [
                [
                    ch["county_code"],
                    framework_name(ch["framework"], lang),
                    ch["year"],
                    ch["previous_year"],
                    ch["check_id"],
                    level_word(ch["level"], lang),
                    check_name(ch, lang),
                    status_word(ch["previous_status"], lang),
                    status_word(ch["status"], lang),
                    change_word(ch["change"], lang),
                    ch["previous_value"],
                    ch["value"],
                    ch["threshold"],
                ]
                for ch in h.changes.to_pylist()
            ],
            [10, 24, 7, 10, 30, 8, 40, 10, 10, 16, 10, 10, 10],
        )
        w.sheet(
            "history_alerts",
            heads(lang, *ALERT_HEADS),
            alert_sheet_rows(h.alerts, lang),
            [10, 18, 24, 12, 10, 16, 30, 8, 40, 10, 10, 10, 6, 10, 40],
        )
        close_workbook(w.book, tmp)
    return path


def write_history(
    h: History, folder: Path, formats: Sequence[str] = ("html", "xlsx"), lang: str = "zh"
) -> list[Path]:
    """Write the history in each of ``formats`` (html, xlsx) into ``folder``."""
    unknown = [f for f in formats if f not in FILES]
    if unknown:
        raise InputError(
            f"unknown history format(s) {', '.join(unknown)}; known: {', '.join(FILES)}",
            zh=f"未知的历史报告格式 {'、'.join(unknown)};可用的格式:{'、'.join(FILES)}",
        )
    writers = {"html": write_history_html, "xlsx": write_history_xlsx}
    return [writers[f](h, folder, lang) for f in formats]
