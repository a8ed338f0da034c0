"""The result of an evaluation: Arrow tables (data-contract §4), JSON and a summary."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import attrs
import jsonschema
import pyarrow as pa
import pyarrow.compute as pc

from eduscore._version import __version__
from eduscore.model.framework import CONFIDENCE_LABELS, Framework, load_schema
from eduscore.model.messages import label

VERDICTS = ("certified", "not_certified", "incomplete")
NATIONAL = "national"


@attrs.define
class Result:
    """Everything an evaluation produced.

    Tables (all :class:`pyarrow.Table`):

    - ``verdicts`` — one row per county × year: verdict and reasons;
    - ``checks`` — one row per county × check, with status, value, threshold,
      comparator, confidence tag, source document and the rule set that set it;
    - ``dispersion`` — per county × level × indicator: sections, students,
      weighted mean, weighted SD, CV, limit, status;
    - ``sections`` — one row per scored unit (school section or kindergarten):
      identity, scope, indicator values, estimate flags, the unit rule statuses;
    - ``section_checks`` — long form: unit × indicator / unit rule, with value,
      threshold, met, ratio to threshold, status and any relaxation used;
    - ``excluded`` — units out of scope, with the rule that excluded them;
    - ``findings`` — every validation finding: file, sheet, row, column, value, rule,
      severity (``error`` rejects the row, ``warning`` keeps it, ``notice`` drops a
      totals row) and messages in Chinese and English;
    - ``rejected`` — the findings that reject their row;
    - ``accounting`` — per input table: rows read = scored + excluded + rejected.
    """

    framework: Framework
    verdicts: pa.Table
    checks: pa.Table
    dispersion: pa.Table
    sections: pa.Table
    section_checks: pa.Table
    excluded: pa.Table
    rejected: pa.Table
    accounting: pa.Table
    findings: pa.Table
    options: dict[str, bool]
    relaxations: tuple[str, ...]
    missing_columns: list[str]
    rule_sets: tuple[dict[str, str], ...] = ()

    TABLES = (
        "verdicts",
        "checks",
        "dispersion",
        "sections",
        "section_checks",
        "excluded",
        "findings",
        "rejected",
        "accounting",
    )

    def tables(self) -> dict[str, pa.Table]:
        return {name: getattr(self, name) for name in self.TABLES}

    def verdict(self, county_code: str, year: int | None = None) -> str:
        """The verdict of one county (and year, when the data have several)."""
        rows = self.verdicts.filter(pc.equal(self.verdicts.column("county_code"), county_code))
        if year is not None:
            rows = rows.filter(pc.equal(rows.column("year"), year))
        if rows.num_rows != 1:
            raise KeyError(f"{rows.num_rows} verdict rows for county {county_code} year {year}")
        return str(rows.column("verdict")[0].as_py())

    def failing_sections(self) -> pa.Table:
        """Sections whose unit rules fail, one row per failing section check."""
        sc = self.section_checks
        return sc.filter(
            pc.and_(pc.equal(sc.column("status"), "fail"), pc.not_equal(sc.column("kind"), "indicator"))
        )

    def to_dict(self) -> dict[str, Any]:
        fw = self.framework
        return {
            "eduscore_version": __version__,
            "framework": {
                "id": fw.id,
                "version": fw.version,
                "name": {"zh": fw.name.zh, "en": fw.name.en},
                "document": fw.document["number"],
                "title": fw.document["title"],
            },
            "options": self.options,
            "rule_sets": [dict(r) for r in self.rule_sets],
            "relaxations": list(self.relaxations),
            "missing_columns": self.missing_columns,
            "confidence_tags": CONFIDENCE_LABELS,
            **{name: _records(table) for name, table in self.tables().items()},
        }

    def to_json(self, *, indent: int | None = 2, validate: bool = True) -> str:
        """The result as JSON, validated against ``schemas/result.schema.json``.

        Every record is validated while the result is small; a table of more than
        :data:`FULL_VALIDATION_ROWS` rows — all made by the same vectorised code, with one
        Arrow schema — is validated on a sample of its records (its first, last and evenly
        spread ones), so that a province or the nation is not held up for minutes."""
        data = self.to_dict()
        if validate:
            sampled = {k: _sample(v) if isinstance(v, list) else v for k, v in data.items()}
            jsonschema.validate(sampled, load_schema("result"), cls=jsonschema.Draft202012Validator)
        return json.dumps(data, ensure_ascii=False, indent=indent, allow_nan=False)

    def summary(self, lang: str = "en", max_items: int = 8) -> str:
        """A short human summary: the verdict per county and what stands in the way."""
        zh = lang == "zh"
        fw = self.framework
        lines = [f"{fw.name.get(lang)} — {fw.document['number']} ({fw.id} v{fw.version})"]
        checks = self.checks
        for v in self.verdicts.to_pylist():
            who = f"{v['county_code']} {v['county_name'] or ''}".strip()
            when = f" {v['year']}" if v["year"] is not None else ""
            verdict = label(f"verdict.{v['verdict']}", "zh") if zh else v["verdict"]
            counts = (
                f"达标 {v['n_pass']},未达标 {v['n_fail']},未评估 {v['n_not_assessed']}"
                if zh
                else f"{v['n_pass']} pass, {v['n_fail']} fail, {v['n_not_assessed']} not assessed"
            )
            lines.append(f"\n{who}{when}: {verdict.upper() if not zh else verdict}  ({counts})")
            mine = checks.filter(
                pc.and_(
                    pc.equal(checks.column("county_code"), v["county_code"]),
                    pc.equal(pc.fill_null(checks.column("year"), -1), -1 if v["year"] is None else v["year"]),
                )
            )
            for status in ("fail", "not_assessed", "not_computable"):
                rows = mine.filter(pc.equal(mine.column("status"), status)).to_pylist()
                if not rows:
                    continue
                shown = label(f"status.{status}", "zh") if zh else status.replace("_", " ")
                lines.append(f"  {shown}:")
                for r in rows[:max_items]:
                    name = r["name_zh"] if zh else r["name_en"]
                    lines.append(f"    - {r['check_id']} [{r['confidence']}] {name}: {_describe(r, zh)}")
                    if status == "fail" and r["kind"] in ("section_threshold", "count_met_with_floor"):
                        lines += self._failing_units(
                            v["county_code"], v["year"], r["check_id"], zh, max_items
                        )
                if len(rows) > max_items:
                    lines.append(
                        f"    … {len(rows) - max_items} more"
                        if not zh
                        else f"    … 另有 {len(rows) - max_items} 项"
                    )
        acc = self.accounting.to_pylist()
        if acc:
            lines.append("")
            for a in acc:
                lines.append(
                    f"{a['table']} ({a['source']}): {a['rows']} rows = {a['scored']} scored + "
                    f"{a['excluded']} excluded + {a['rejected']} rejected + {a['unused']} unused"
                )
        return "\n".join(lines)

    def _failing_units(self, county: str, year: int | None, check_id: str, zh: bool, limit: int) -> list[str]:
        sc = self.section_checks
        mask = pc.and_(pc.equal(sc.column("county_code"), county), pc.equal(sc.column("check_id"), check_id))
        mask = pc.and_(mask, pc.equal(sc.column("status"), "fail"))
        if year is not None:
            mask = pc.and_(mask, pc.equal(sc.column("year"), year))
        failing = sc.filter(mask)
        names = _unit_names(self.sections)
        out = []
        for r in failing.to_pylist()[:limit]:
            label = names.get(r["unit_id"], r["unit_id"])
            level = f" ({r['level']})" if r["level"] else ""
            detail = (
                r["reason"]
                if r["kind"] == "count_met_with_floor"
                else (
                    f"{_num(r['value'])} vs {r['comparator']} {_num(r['threshold'])}"
                    if r["value"] is not None and r["threshold"] is not None
                    else r["reason"]
                )
            )
            out.append(f"        · {label}{level}: {detail}")
        if failing.num_rows > limit:
            out.append(
                f"        · … {failing.num_rows - limit} more"
                if not zh
                else f"        · … 另有 {failing.num_rows - limit} 个"
            )
        return out


def _unit_names(sections: pa.Table) -> dict[str, str]:
    for col in ("school_name", "kindergarten_name"):
        if col in sections.column_names:
            return dict(
                zip(sections.column("unit_id").to_pylist(), sections.column(col).to_pylist(), strict=True)
            )
    return {}


def _describe(r: Mapping[str, Any], zh: bool = False) -> str:
    value, th = r["value"], r["threshold"]
    reason = r.get("reason_zh") if zh else r["reason"]
    if r["status"] in ("not_assessed", "not_computable"):
        return str(reason or ("未评估" if zh else "not assessed"))
    if r["kind"] in ("section_threshold", "count_met_with_floor"):
        return str(reason or "")
    parts = []
    if value is not None and th is not None:
        parts.append(f"{_num(value)} ({'要求' if zh else 'needs'} {r['comparator']} {_num(th)})")
    if reason:
        parts.append(str(reason))
    return "; ".join(parts)


def _num(x: float) -> str:
    if math.isfinite(x) and abs(x) < 1 and x != 0:
        return f"{x:.3f}"
    return f"{x:,.4g}" if abs(x) < 1e6 else f"{x:,.0f}"


#: Tables up to this many rows have every record validated by :meth:`Result.to_json`.
FULL_VALIDATION_ROWS = 5_000


def _sample(rows: list[Any], keep: int = 1_000) -> list[Any]:
    """All of a short list; of a long one, the first and last ``keep`` and ``keep`` spread
    evenly between them."""
    if len(rows) <= FULL_VALIDATION_ROWS:
        return rows
    step = max(1, (len(rows) - 2 * keep) // keep)
    return rows[:keep] + rows[keep:-keep:step] + rows[-keep:]


def _records(t: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = t.to_pylist()
    for row in rows:
        for k, v in row.items():
            if isinstance(v, float) and not math.isfinite(v):
                row[k] = None
    return rows
