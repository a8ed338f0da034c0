"""Charts as inline SVG: no JavaScript, no network, opens anywhere, prints cleanly.

All text put into a chart is escaped; the charts take plain numbers and labels. A
NaN or an infinity is drawn as missing (a grey "—", no dot, no line): it never reaches
an SVG coordinate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

PASS, FAIL, WARN, GREY = "#2e7d32", "#c62828", "#ef6c00", "#9e9e9e"
FONT = (
    "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif"
)


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px;font-family:{FONT}" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def cv_bars(
    rows: Sequence[tuple[str, float | None, float | None]], title: str, limit_word: str = "limit / 上限"
) -> str:
    """Horizontal bars: each indicator's CV against its limit (a red line).

    ``rows``: (label, cv, limit). A missing CV is drawn as a grey "—".
    """
    rows = [(label, _finite(cv), _finite(limit)) for label, cv, limit in rows]
    label_w, bar_w, row_h = 300, 360, 26
    top = 28
    height = top + row_h * len(rows) + 30
    largest = max([0.1, *(v for _, cv, lim in rows for v in (cv, lim) if v is not None)])

    def share(v: float) -> float:
        """Where ``v`` lies along the bar: divided before multiplied, so never infinite."""
        return v / largest / 1.15

    x0 = label_w
    body = [f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    for i, (label, cv, limit) in enumerate(rows):
        y = top + i * row_h
        body.append(
            f'<text x="{x0 - 8}" y="{y + 17}" font-size="12" text-anchor="end">{escape(label)}</text>'
        )
        body.append(f'<rect x="{x0}" y="{y + 4}" width="{bar_w}" height="{row_h - 8}" fill="#f3f3f3"/>')
        if cv is None:
            body.append(f'<text x="{x0 + 6}" y="{y + 17}" font-size="12" fill="{GREY}">—</text>')
        else:
            ok = limit is None or cv <= limit * (1 + 1e-9)
            w = max(0.0, bar_w * share(cv))  # an SVG width is never negative
            body.append(
                f'<rect class="bar" x="{x0}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{PASS if ok else FAIL}"/>'
            )
            shown = f"{cv:.3f}" if abs(cv) < 1e6 else f"{cv:.3g}"
            body.append(f'<text x="{x0 + w + 4:.1f}" y="{y + 17}" font-size="11">{shown}</text>')
        if limit is not None:
            lx = x0 + bar_w * share(limit)
            body.append(
                f'<line x1="{lx:.1f}" x2="{lx:.1f}" y1="{y + 1}" y2="{y + row_h - 1}" stroke="{FAIL}" stroke-width="2"/>'
            )
    ly = top + row_h * len(rows) + 18
    body.append(
        f'<line x1="{x0}" x2="{x0 + 18}" y1="{ly - 4}" y2="{ly - 4}" stroke="{FAIL}" stroke-width="2"/>'
    )
    limits = sorted({limit for _, _, limit in rows if limit is not None})
    shown_limits = " / ".join(f"{v:.2f}" for v in limits)
    body.append(
        f'<text x="{x0 + 24}" y="{ly}" font-size="11">{escape(limit_word)} {escape(shown_limits)}</text>'
    )
    return _svg(label_w + bar_w + 60, height, body, title)


def plain_number(x: float, lang: str = "zh", digits: int = 3) -> str:
    """A number as an axis or a label writes it, never in scientific notation: 0.045,
    4.5, 1,470; from ten thousand on in 万 (亿) in Chinese — 1.5万, 2.3亿 — and with
    thousands separators in English (15,000)."""
    if not math.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    big = abs(x)
    if big >= 1e15 or big < 1e-6:  # no real figure: an input error, shown compactly
        return f"{x:.3g}"
    if lang == "zh" and big >= 1e4:
        unit, base = ("亿", 1e8) if big >= 1e8 else ("万", 1e4)
        scaled = x / base
        return f"{_significant(scaled, digits)}{unit}"
    if big >= 10**digits:
        return f"{x:,.0f}"
    return _significant(x, digits)


def _significant(x: float, digits: int) -> str:
    """``x`` with ``digits`` significant digits in fixed notation, trailing zeros dropped."""
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def strip_plot(
    points: Sequence[tuple[float, float, str]],
    threshold: float | None,
    title: str,
    unit: str = "",
    lang: str = "zh",
) -> str:
    """Each school's value as a dot (area ∝ students) on one axis, with the threshold line.

    ``points``: (value, students, label). Labels become tooltips (escaped).
    """
    threshold = _finite(threshold)
    points = [(v, s if math.isfinite(s) else 0.0, label) for v, s, label in points if math.isfinite(v)]
    width, height, pad = 640, 110, 40
    values = [v for v, _, _ in points]
    # Positions are computed on values scaled into [-1, 1], so that even the largest
    # finite values (a per-student value of 1e308) give finite coordinates.
    scale = max([1.0, *(abs(v) for v in values), abs(threshold) if threshold is not None else 0.0])
    lo = min([*values, threshold if threshold is not None else math.inf, 0.0]) / scale
    hi = max([*values, threshold if threshold is not None else -math.inf, 1e-9]) / scale * 1.05
    span = hi - lo or 1.0

    def x(v: float) -> float:
        return pad + (width - 2 * pad) * (v / scale - lo) / span

    biggest = max([p for _, p, _ in points] + [1.0])
    body = [f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>']
    body.append(f'<line x1="{pad}" x2="{width - pad}" y1="70" y2="70" stroke="#777"/>')
    for tick in range(5):
        value = (lo + span * tick / 4) * scale
        label = plain_number(value, lang)
        tick_x = pad + (width - 2 * pad) * tick / 4
        body.append(f'<text x="{tick_x:.1f}" y="92" font-size="10" text-anchor="middle">{label}</text>')
    if threshold is not None:
        tx = x(threshold)
        body.append(
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="26" y2="78" stroke="{FAIL}" stroke-dasharray="4 3"/>'
        )
        body.append(
            f'<text x="{tx:.1f}" y="24" font-size="10" text-anchor="middle" fill="{FAIL}">{plain_number(threshold, lang, 4)}</text>'
        )
    unit = escape(unit)
    sqrt, append = math.sqrt, body.append
    for v, students, label in points:
        r = 3 + 9 * sqrt(max(students, 0) / biggest)
        color = (
            PASS
            if threshold is None or v >= threshold * (1 - 1e-9)
            else (WARN if v >= 0.85 * threshold else FAIL)
        )
        append(
            f'<circle class="dot" cx="{x(v):.1f}" cy="55" r="{r:.1f}" fill="{color}" fill-opacity="0.55" stroke="{color}">'
            f"<title>{escape(label)}: {plain_number(v, lang, 4)} {unit}</title></circle>"
        )
    return _svg(width, height, body, title)


def ratio_color(ratio: float | None) -> str:
    """Background for a ratio-to-threshold cell: red below 85 %, amber below 100 %, green."""
    if ratio is None or not math.isfinite(ratio):
        return "#eeeeee"
    if ratio < 0.85:
        return "#ffcdd2"
    if ratio < 1 - 1e-9:
        return "#ffe0b2"
    return "#c8e6c9"


#: Line colours of a trend chart (distinct in print and for common colour blindness).
SERIES_COLORS = ("#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#2e7d32", "#ad1457", "#4e342e", "#546e7a")


def trend_chart(
    series: Sequence[tuple[str, Sequence[float | None]]],
    years: Sequence[int],
    limits: Sequence[float | None],
    title: str,
    lang: str = "zh",
    limit_word: str = "上限",
) -> str:
    """Lines of values by year (e.g. each indicator's CV), with each distinct limit as a
    dashed red line. ``series``: (label, one value per year of ``years``); a missing value
    breaks its line. Axis labels are :func:`plain_number`; every text is escaped."""
    width, pad_l, pad_r, top, plot_h = 640, 56, 16, 26, 170
    series = [(label, [_finite(v) for v in values]) for label, values in series]
    shown_limits = sorted({v for v in (_finite(x) for x in limits) if v is not None})
    values = [v for _, vs in series for v in vs if v is not None]
    high = max([1e-9, *values, *shown_limits]) * 1.12
    n = len(years)

    def x(i: int) -> float:
        return pad_l + (width - pad_l - pad_r) * ((i + 0.5) / max(n, 1))

    def y(v: float) -> float:
        return top + plot_h * (1 - v / high)

    body = [f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    for tick in range(5):
        value = high * tick / 4
        ty = y(value)
        body.append(
            f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#eeeeee"/>'
            f'<text x="{pad_l - 6}" y="{ty + 4:.1f}" font-size="10" text-anchor="end">{plain_number(value, lang)}</text>'
        )
    for i, year in enumerate(years):
        body.append(
            f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" font-size="11" text-anchor="middle">{escape(str(year))}</text>'
        )
    for limit in shown_limits:
        ly = y(limit)
        body.append(
            f'<line class="limit" x1="{pad_l}" x2="{width - pad_r}" y1="{ly:.1f}" y2="{ly:.1f}" stroke="{FAIL}" stroke-width="1.5" stroke-dasharray="6 4"/>'
            f'<text x="{width - pad_r}" y="{ly - 3:.1f}" font-size="10" text-anchor="end" fill="{FAIL}">{escape(limit_word)} {plain_number(limit, lang)}</text>'
        )
    for k, (label, vs) in enumerate(series):
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        run: list[str] = []
        for i, v in enumerate([*vs, None]):
            if v is not None:
                run.append(f"{x(i):.1f},{y(v):.1f}")
            elif run:
                if len(run) > 1:
                    body.append(
                        f'<polyline class="trend" points="{" ".join(run)}" fill="none" stroke="{color}" stroke-width="2"/>'
                    )
                run = []
        for i, v in enumerate(vs):
            if v is None:
                continue
            over = any(v > lim * (1 + 1e-9) for lim in shown_limits)
            body.append(
                f'<circle class="point" cx="{x(i):.1f}" cy="{y(v):.1f}" r="{4.5 if over else 3}" fill="{FAIL if over else color}">'
                f"<title>{escape(label)} {escape(str(years[i]))}: {plain_number(v, lang)}</title></circle>"
            )
    legend_y = top + plot_h + 34
    per_row = 2
    for k, (label, _) in enumerate(series):
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        lx = pad_l + (k % per_row) * ((width - pad_l) // per_row)
        ly = legend_y + (k // per_row) * 16
        body.append(
            f'<line x1="{lx}" x2="{lx + 16}" y1="{ly - 4}" y2="{ly - 4}" stroke="{color}" stroke-width="2"/>'
            f'<text x="{lx + 22}" y="{ly}" font-size="11">{escape(label)}</text>'
        )
    height = legend_y + 16 * ((len(series) + per_row - 1) // per_row) + 4
    return _svg(width, height, body, title)
