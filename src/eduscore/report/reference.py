"""Generate the indicator and rule reference (``docs/indicators.md``) from the framework documents.

    python -m eduscore.report.reference > docs/indicators.md

A test regenerates it and fails when the committed page is out of date, so the
reference can never drift from the documents the engine actually runs.
"""

from __future__ import annotations

from eduscore.model.contract import LEVEL_NAMES
from eduscore.model.framework import CONFIDENCE_LABELS, Framework, Rule, Threshold
from eduscore.plugins.catalog import builtin_ids, load_framework


def _threshold(th: Threshold | None, comparator: str | None) -> str:
    if th is None:
        return "—"
    if th.formula:
        return f"{comparator} `{th.formula}`"
    parts = []
    if th.value is not None:
        parts.append(f"{comparator} {th.value:g}")
    for level, v in th.by_level.items():
        parts.append(f"{LEVEL_NAMES[level]} {comparator} {v:g}")
    for school_type, v in th.by_school_type.items():
        parts.append(f"{school_type}: {comparator} {v:g}")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rule_detail(rule: Rule) -> str:
    if rule.kind in ("section_threshold", "county_threshold", "prerequisite") and rule.value:
        detail = f"`{rule.value}` {_threshold(rule.threshold, rule.comparator)}"
        if rule.applies_when:
            detail += f" (when `{rule.applies_when}`)"
        return detail
    if rule.column:
        return f"`{rule.column}` is true"
    if rule.kind == "veto":
        return f"fails when `{rule.when}`"
    if rule.kind == "scope_exclusion":
        return f"excludes when `{rule.when}`"
    if rule.kind == "count_met_with_floor":
        return f"≥ {rule.min_met} of {len(rule.indicators)} met; misses ≥ {rule.floor_ratio:.0%} of threshold"
    if rule.kind in ("dispersion_limit", "composite_dispersion"):
        limits = (
            ", ".join(f"{LEVEL_NAMES[k]} ≤ {v:g}" for k, v in rule.limit.items()) or "no limit (descriptive)"
        )
        return f"{limits} over {len(rule.indicators)} indicators"
    if rule.kind == "relaxation":
        targets = "; ".join(
            f"{t.target}: " + (f"`{t.formula}`" if t.formula else _threshold(t.threshold, "→"))
            for t in rule.targets
        )
        return f"opt-in, when `{rule.when}` — {targets}"
    return ""


def framework_reference(fw: Framework) -> str:
    lines = [
        f"## `{fw.id}` — {fw.name.zh} / {fw.name.en}",
        "",
        f"Document: {fw.document['number']} 《{fw.document['title']}》 · version {fw.version} · "
        f"unit scored: {fw.unit}",
        "",
    ]
    if fw.description:
        lines += [fw.description.zh, "", fw.description.en, ""]
    if fw.indicators:
        lines += [
            "### Indicators",
            "",
            "| id | 中文 | English | unit | formula | threshold | conf | source |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for ind in fw.indicators:
            conf = f"[{ind.confidence}]" + (f" {ind.confidence_note}" if ind.confidence_note else "")
            lines.append(
                f"| `{ind.id}` | {ind.name.zh} | {_cell(ind.name.en)} | {ind.unit.zh} | `{ind.formula}` | "
                f"{_threshold(ind.threshold, ind.comparator)} | {_cell(conf)} | {_cell(ind.source.cite())} |"
            )
        lines.append("")
    if fw.split:
        w = fw.split.weights
        lines += [
            "### Schools spanning levels",
            "",
            f"Shared resources ({', '.join(f'`{c}`' for c in fw.split.shared)}) are split by "
            "student-weighted "
            f"shares: a junior student counts {w['junior']:g} and a senior student {w['senior']:g} primary "
            f"students. [{fw.split.confidence}] {fw.split.confidence_note} — {fw.split.source.cite()}",
            "",
        ]
    lines += ["### Rules", ""]
    for group, label in (fw.groups or {}).items():
        rules = [r for r in fw.rules if r.group == group]
        if not rules:
            continue
        lines += [
            f"#### {label.zh} / {label.en}",
            "",
            "| id | item | kind | 中文 | English | rule | conf | source |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in rules:
            conf = f"[{r.confidence}]" + (f" {r.confidence_note}" if r.confidence_note else "")
            lines.append(
                f"| `{r.id}` | {r.item} | {r.kind} | {_cell(r.name.zh)} | {_cell(r.name.en)} | "
                f"{_cell(_rule_detail(r))} | {_cell(conf)} | {_cell(r.source.cite())} |"
            )
        lines.append("")
    for opt in fw.options:
        lines += [
            "### Options",
            "",
            f"- `{opt.id}` (default {'on' if opt.default else 'off'}): {opt.name.zh} / {opt.name.en} "
            f"[{opt.confidence}] — {opt.source.cite()}",
            "",
        ]
    return "\n".join(lines)


def reference() -> str:
    tags = "\n".join(f"- **[{k}]** {v}" for k, v in CONFIDENCE_LABELS.items())
    body = "\n\n".join(framework_reference(load_framework(fid)) for fid in builtin_ids())
    return (
        "# Indicator and rule reference\n\n"
        "Generated from the framework documents in `src/eduscore/frameworks/` by "
        "`python -m eduscore.report.reference`; do not edit by hand.\n\n"
        f"Confidence tags:\n{tags}\n\n{body}\n"
    )


if __name__ == "__main__":  # pragma: no cover
    print(reference(), end="")
