"""The result of an evaluation: Arrow tables (data-contract §4), JSON and a summary."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import jsonschema
import pyarrow as pa
import pyarrow.compute as pc

from eduscore._version import __version__
from eduscore.inputs.read import TABLE_ZH
from eduscore.model.contract import LEVEL_NAMES
from eduscore.model.framework import CONFIDENCE_LABELS, Framework, load_schema
from eduscore.model.messages import label

if TYPE_CHECKING:
    from eduscore.archive import ArchiveWrite

VERDICTS = ("certified", "not_certified", "incomplete")
NATIONAL = "national"


@attrs.define(repr=False)
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
    # Built the first time it is read (eduscore.engine.unit_table): millions of rows that
    # an evaluation itself does not need. A table may be given as it is.
    _section_checks: pa.Table | Callable[[], pa.Table] = attrs.field(alias="section_checks")
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

    @property
    def section_checks(self) -> pa.Table:
        """Long form: unit × indicator / unit rule (see the class)."""
        if not isinstance(self._section_checks, pa.Table):
            self._section_checks = self._section_checks()
        return self._section_checks

    def tables(self) -> dict[str, pa.Table]:
        return {name: getattr(self, name) for name in self.TABLES}

    # ------------------------------------------------------------------ notebooks

    #: Counties listed by ``repr`` and ``_repr_html_`` (the rest are counted).
    REPR_COUNTIES = 10
    #: Failing or not-assessed checks named per county there.
    REPR_CHECKS = 3

    def __repr__(self) -> str:
        """A few lines: the framework, the verdict counts and the first counties' verdicts
        with what stands in their way (the tables themselves are attributes)."""
        lines = [f"<eduscore.Result {self.framework.id} v{self.framework.version}: {self._overview('en')}>"]
        for row in self._repr_rows("en", ids=True):
            counts = f"{row['n_pass']} pass, {row['n_fail']} fail, {row['n_not_assessed']} not assessed"
            why = f" — {row['why']}" if row["why"] else ""
            lines.append(f"  {row['county']}: {row['verdict']} ({counts}){why}")
        more = self.verdicts.num_rows - self.REPR_COUNTIES
        if more > 0:
            lines.append(f"  … {more:,} more counties (result.verdicts)")
        return "\n".join(lines)

    def _repr_html_(self, lang: str | None = None) -> str:
        """The notebook view: verdict counts, then a table of the first counties with
        their verdicts and the checks that stand in their way, in the user's language."""
        from html import escape

        from eduscore.errors import resolve_lang

        lang = resolve_lang(lang)
        zh = lang == "zh"
        head = (
            ("县", "结论", "达标", "未达标", "未评估", "未通过或未评估的检查")
            if zh
            else ("county", "verdict", "pass", "fail", "not assessed", "what stands in the way")
        )
        rows = []
        for row in self._repr_rows(lang):
            cells = [
                row["county"],
                row["verdict"],
                row["n_pass"],
                row["n_fail"],
                row["n_not_assessed"],
                row["why"],
            ]
            rows.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
        more = self.verdicts.num_rows - self.REPR_COUNTIES
        foot = ""
        if more > 0:
            foot = (
                f"<p>另有 {more:,} 个县(见 result.verdicts)</p>"
                if zh
                else f"<p>… {more:,} more counties (result.verdicts)</p>"
            )
        title = f"{self.framework.name.get(lang)} ({self.framework.id} v{self.framework.version})"
        return (
            f"<div><strong>{escape(title)}</strong>: {escape(self._overview(lang))}"
            "<table><thead><tr>"
            + "".join(f"<th>{escape(h)}</th>" for h in head)
            + "</tr></thead><tbody>"
            + "".join(rows)
            + f"</tbody></table>{foot}</div>"
        )

    def _overview(self, lang: str) -> str:
        """'3 counties: 1 certified, 2 not certified, 0 incomplete; 1,234 sections'."""
        counts = dict.fromkeys(VERDICTS, 0)
        for pair in pc.value_counts(self.verdicts.column("verdict")).to_pylist():
            counts[pair["values"]] = pair["counts"]
        units = self.sections.num_rows
        if lang == "zh":
            parts = ",".join(f"{label(f'verdict.{v}', 'zh')} {n:,}" for v, n in counts.items())
            return f"{self.verdicts.num_rows:,} 个县:{parts};评估单位 {units:,} 个"
        parts = ", ".join(f"{n:,} {v.replace('_', ' ')}" for v, n in counts.items())
        n = self.verdicts.num_rows
        return f"{n:,} count{'y' if n == 1 else 'ies'}: {parts}; {units:,} units"

    def _repr_rows(self, lang: str, ids: bool = False) -> list[dict[str, Any]]:
        """The first counties' verdict rows with their first failing / not-assessed checks
        (by name in ``lang``, or by id)."""
        first = self.verdicts.slice(0, self.REPR_COUNTIES)
        codes = first.column("county_code")
        mine = self.checks.filter(
            pc.and_(
                pc.is_in(self.checks.column("county_code"), codes),
                pc.is_in(self.checks.column("status"), pa.array(["fail", "not_assessed", "not_computable"])),
            )
        ).select(["county_code", "year", "check_id", "status", "name_zh", "name_en"])
        blocking: dict[tuple[Any, Any], list[str]] = {}
        name = "check_id" if ids else "name_zh" if lang == "zh" else "name_en"
        first_failures = {"fail": 0, "not_assessed": 1, "not_computable": 2}
        for c in sorted(mine.to_pylist(), key=lambda c: first_failures[c["status"]]):  # stable
            blocking.setdefault((c["county_code"], c["year"]), []).append(c[name] or c["check_id"])
        out = []
        for v in first.to_pylist():
            why = blocking.get((v["county_code"], v["year"]), [])
            shown = ("、" if lang == "zh" else " · ").join(why[: self.REPR_CHECKS])
            if len(why) > self.REPR_CHECKS:
                rest = len(why) - self.REPR_CHECKS
                shown += f" 等 {len(why)} 项" if lang == "zh" else f" (+{rest} more)"
            year = f" {v['year']}" if v["year"] is not None else ""
            out.append(
                {
                    "county": f"{v['county_code']} {v['county_name'] or ''}".strip() + year,
                    "verdict": label(f"verdict.{v['verdict']}", lang),
                    "n_pass": v["n_pass"],
                    "n_fail": v["n_fail"],
                    "n_not_assessed": v["n_not_assessed"],
                    "why": shown,
                }
            )
        return out

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
        return {**self._metadata(), **{name: _records(table) for name, table in self.tables().items()}}

    def to_json(self, *, indent: int | None = 2, validate: bool = True) -> str:
        """The result as one JSON document, validated against ``schemas/result.schema.json``.

        Every record is validated while a table is small; a table of more than
        :data:`FULL_VALIDATION_ROWS` rows — all made by the same vectorised code, with one
        Arrow schema — is validated on a sample of its records (its first, last and evenly
        spread ones), so that a province or the nation is not held up for minutes. Long
        tables are written by a vectorised path (Arrow builds each record's text), one
        record a line; short ones as :func:`json.dumps` writes them. Control characters
        that a terminal or viewer would act on are written as ``\\uXXXX`` escapes.

        A large result is better written split, with :meth:`write_json`."""
        if validate:
            self._validate({})
        return "".join(self._json_pieces({}, indent))

    def write_json(
        self,
        folder: str | Path,
        *,
        split_rows: int | None = None,
        inline_rows: int | None = None,
        indent: int | None = 2,
        validate: bool = True,
    ) -> Path:
        """Write ``result.json`` into ``folder`` and return its path.

        A result whose largest table has at most ``split_rows`` rows (default
        :data:`SPLIT_ROWS`) is one document, as :meth:`to_json` gives it. A larger one is
        written *split*: each table of more than ``inline_rows`` rows (default
        :data:`INLINE_ROWS`) goes to a Parquet file beside the document
        (``result.<table>.parquet``), and the document holds, in that table's place, a
        reference ``{"path", "format": "parquet", "rows", "sha256", "columns"}``
        (``schemas/result.schema.json``, ``$defs/external_table``). The document is
        validated against the schema (its inline tables in full), and each Parquet file
        structurally (:func:`check_external`): row count, sha256, and Arrow columns equal
        to the reference and to the columns the schema documents."""
        folder = Path(folder)
        split_rows = SPLIT_ROWS if split_rows is None else split_rows
        inline_rows = INLINE_ROWS if inline_rows is None else inline_rows
        tables = self.tables()
        external: dict[str, dict[str, Any]] = {}
        folder.mkdir(parents=True, exist_ok=True)
        if max(t.num_rows for t in tables.values()) > split_rows:
            for name, table in tables.items():
                if table.num_rows > inline_rows:
                    external[name] = _write_parquet(table, folder / f"result.{name}.parquet")
        if validate:
            self._validate(external)
            problems = check_external(external, folder)
            if problems:
                raise ValueError("; ".join(problems))
        path = folder / "result.json"
        tmp = folder / f".result.json.{os.getpid()}.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            for piece in self._json_pieces(external, indent):
                fh.write(piece)
        os.replace(tmp, path)
        return path

    def archive(self, folder: str | Path, inputs: Sequence[str | Path] = ()) -> ArchiveWrite:
        """Add this result to the archive in ``folder`` (:mod:`eduscore.archive`): its
        verdicts, checks, dispersion and sections in a Parquet dataset partitioned by
        framework and year, replacing an earlier run of the same county, framework and
        year; ``inputs`` are the files it was read from (their sha256 is recorded). A
        killed write leaves the archive as it was. Returns what was written and replaced."""
        from eduscore import archive

        tables = {name: getattr(self, name) for name in archive.TABLES}
        return archive.write(folder, tables, self._metadata(), inputs)

    def _metadata(self) -> dict[str, Any]:
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
        }

    def _validate(self, external: Mapping[str, Mapping[str, Any]]) -> None:
        """The document against the schema: external references as they are, every other
        table in full up to :data:`FULL_VALIDATION_ROWS` rows, on a sample beyond."""
        data: dict[str, Any] = self._metadata()
        for name, table in self.tables().items():
            data[name] = dict(external[name]) if name in external else _records(_sample_table(table))
        jsonschema.validate(data, load_schema("result"), cls=jsonschema.Draft202012Validator)

    def _json_pieces(self, external: Mapping[str, Mapping[str, Any]], indent: int | None) -> Iterator[str]:
        """The document's text, piece by piece: the metadata and references by
        :func:`json.dumps`, each table in its place."""
        marks = {name: f"\x00table:{name}" for name in self.TABLES}
        doc: dict[str, Any] = self._metadata()
        for name in self.TABLES:
            doc[name] = dict(external[name]) if name in external else marks[name]
        text = _json_safe(json.dumps(doc, ensure_ascii=False, indent=indent, allow_nan=False))
        for name in self.TABLES:
            if name in external:
                continue
            mark = json.dumps(marks[name])
            before, after = text.split(mark, 1)
            yield before
            yield from _json_table(getattr(self, name), indent)
            text = after
        yield text

    def summary(self, lang: str = "en", max_items: int = 8) -> str:
        """A short human summary: the verdict per county and what stands in the way."""
        zh = lang == "zh"
        fw = self.framework
        lines = [f"{fw.name.get(lang)} — {fw.document['number']} ({fw.id} v{fw.version})"]
        checks = self.checks
        for v in self.verdicts.to_pylist():
            who = f"{v['county_code']} {v['county_name'] or ''}".strip()
            when = f" {v['year']}" if v["year"] is not None else ""
            verdict = label(f"verdict.{v['verdict']}", "zh" if zh else "en")
            counts = (
                f"达标 {v['n_pass']},未达标 {v['n_fail']},未评估 {v['n_not_assessed']}"
                if zh
                else f"{v['n_pass']} pass, {v['n_fail']} fail, {v['n_not_assessed']} not assessed"
            )
            lines.append(f"\n{who}{when}: {verdict}  ({counts})")
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
            lines += [accounting_line(a, "zh" if zh else "en") for a in acc]
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
            level_name = (LEVEL_NAMES.get(r["level"], r["level"]) if zh else r["level"]) if r["level"] else ""
            level = (f"({level_name})" if zh else f" ({level_name})") if level_name else ""
            reason = r["reason_zh"] if zh else r["reason"]
            comparator = _COMPARATORS.get(r["comparator"] or "", r["comparator"] or "")
            detail = (
                reason
                if r["kind"] == "count_met_with_floor"
                else (
                    (
                        f"实际 {_num(r['value'])},要求 {comparator} {_num(r['threshold'])}"
                        if zh
                        else f"{_num(r['value'])} vs {comparator} {_num(r['threshold'])}"
                    )
                    if r["value"] is not None and r["threshold"] is not None
                    else reason
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
        comparator = _COMPARATORS.get(r["comparator"] or "", r["comparator"] or "")
        parts.append(f"{_num(value)} ({'要求' if zh else 'needs'} {comparator} {_num(th)})")
    if reason:
        parts.append(str(reason))
    return "; ".join(parts)


_COMPARATORS = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠", ">": ">", "<": "<"}
_MEMORY_SOURCE = re.compile(r"^<(\w+) table>$")


def source_text(source: str | None, lang: str) -> str:
    """Where rows came from, in the reader's language: a file name as it is; a table
    passed in memory (``<counties table>``) as ``<县表(内存)>`` in Chinese."""
    text = source or ""
    match = _MEMORY_SOURCE.match(text)
    if match and lang == "zh":
        return f"<{TABLE_ZH.get(match.group(1), match.group(1))}表(内存)>"
    return text


def accounting_line(a: Mapping[str, Any], lang: str) -> str:
    """rows = scored + excluded + rejected (+ unused): the invariant, in words."""
    if lang == "zh":
        table = f"{TABLE_ZH.get(a['table'], a['table'])}表"
        source = source_text(a["source"], lang)
        return (
            f"{table}({source}):{a['rows']} 行 = 计入 {a['scored']} + 不纳入 {a['excluded']} "
            f"+ 未采用 {a['rejected']} + 未使用 {a['unused']}"
        )
    return (
        f"{a['table']} ({a['source']}): {a['rows']} rows = {a['scored']} scored + {a['excluded']} excluded "
        f"+ {a['rejected']} rejected + {a['unused']} unused"
    )


def _num(x: float) -> str:
    if math.isfinite(x) and abs(x) < 1 and x != 0:
        return f"{x:.3f}"
    return f"{x:,.4g}" if abs(x) < 1e6 else f"{x:,.0f}"


#: Tables up to this many rows have every record validated by :meth:`Result.to_json`.
FULL_VALIDATION_ROWS = 5_000
#: :meth:`Result.write_json` writes a result split (long tables as Parquet files beside
#: ``result.json``) when its largest table has more rows than this: a province (150
#: counties, 158,000 rows of ``section_checks``) is split, a county (a few thousand) never.
SPLIT_ROWS = 50_000
#: In the split form, the tables of more rows than this go to Parquet; those left inline
#: are then validated in full.
INLINE_ROWS = FULL_VALIDATION_ROWS
#: Rows per batch of the vectorised JSON writer (each batch's text stays far below
#: Arrow's 2 GiB per string array).
_BATCH_ROWS = 65_536


def _sample(rows: list[Any], keep: int = 1_000) -> list[Any]:
    """All of a short list; of a long one, the first and last ``keep`` and ``keep`` spread
    evenly between them."""
    if len(rows) <= FULL_VALIDATION_ROWS:
        return rows
    step = max(1, (len(rows) - 2 * keep) // keep)
    return rows[:keep] + rows[keep:-keep:step] + rows[-keep:]


def _sample_table(table: pa.Table) -> pa.Table:
    """:func:`_sample` of a table's rows, taken in Arrow."""
    if table.num_rows <= FULL_VALIDATION_ROWS:
        return table
    return table.take(pa.array(_sample(list(range(table.num_rows))), pa.int64()))


def _records(t: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = t.to_pylist()
    for row in rows:
        for k, v in row.items():
            if isinstance(v, float) and not math.isfinite(v):
                row[k] = None
    return rows


# ---------------------------------------------------------------------------- JSON text
# The characters json.dumps(ensure_ascii=False) leaves raw that a terminal or viewer would
# act on; the same set as eduscore.report.text.json_text (a test holds them equal).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
# Strings that need more than quotes and backslashes escaped (C0 controls and the above).
_NEEDS_PYTHON_RE2 = (
    r"[\x00-\x1f\x7f-\x{9f}\x{61c}\x{200e}\x{200f}\x{2028}-\x{202e}\x{2066}-\x{2069}\x{fffe}\x{ffff}]"
)


def _json_safe(text: str) -> str:
    """JSON text with the control characters of its strings as ``\\uXXXX`` escapes."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _json_table(table: pa.Table, indent: int | None) -> Iterator[str]:
    """A table as a JSON array at the document's first level: a short table as
    :func:`json.dumps` writes it, a long one one record a line, built by Arrow."""
    if table.num_rows <= FULL_VALIDATION_ROWS:
        text = json.dumps(_records(table), ensure_ascii=False, indent=indent, allow_nan=False)
        yield _json_safe(text if indent is None else text.replace("\n", "\n" + " " * indent))
        return
    inner = "" if indent is None else "\n" + " " * (2 * indent)
    sep = ", " if indent is None else "," + inner
    yield "[" + inner
    first = True
    for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
        if batch.num_rows == 0:
            continue
        rows = _json_rows(batch)
        if not first:
            yield sep
        first = False
        joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(rows)], pa.int32()), rows), sep)
        yield joined[0].as_py()
    yield ("" if indent is None else "\n" + " " * indent) + "]"


def _json_rows(batch: pa.RecordBatch) -> pa.Array:
    """Each row of a batch as the text of a JSON object, ``{"key": value, ...}``."""
    parts: list[Any] = []
    for i, name in enumerate(batch.schema.names):
        key = json.dumps(name, ensure_ascii=False)
        parts.append(pa.scalar(("{" if i == 0 else ", ") + _json_safe(key) + ": "))
        parts.append(_json_values(batch.column(i)))
    if not parts:
        return pa.array(["{}"] * batch.num_rows, pa.string())
    parts.append(pa.scalar("}"))
    out: pa.Array = pc.binary_join_element_wise(*parts, "")
    return out


def _json_values(column: pa.Array) -> pa.Array:
    """The JSON text of each value of a column (``null`` for a missing one, and for NaN
    and ±infinity as :meth:`Result.to_dict` gives them); vectorised but for the rare
    string that holds a control character."""
    t = column.type
    out: Any
    if pa.types.is_dictionary(t):
        out = _json_values(column.dictionary).take(column.indices)
    elif pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        values = pc.cast(column, pa.string())
        escaped = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
        out = pc.binary_join_element_wise(pa.scalar('"'), escaped, pa.scalar('"'), "")
        rare = pc.fill_null(pc.match_substring_regex(values, _NEEDS_PYTHON_RE2), False)
        if pc.any(rare).as_py():
            texts = [_json_safe(json.dumps(v, ensure_ascii=False)) for v in values.filter(rare).to_pylist()]
            out = pc.replace_with_mask(out, rare, pa.array(texts, pa.string()))
    elif pa.types.is_integer(t) or pa.types.is_boolean(t):
        out = pc.cast(column, pa.string())
    elif pa.types.is_floating(t):
        finite = pc.if_else(pc.is_finite(column), column, pa.scalar(None, t))
        out = pc.cast(finite, pa.string())
    elif pa.types.is_null(t):
        out = pa.nulls(len(column), pa.string())
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        items = _json_values(column.values)
        lists = type(column).from_arrays(column.offsets, items)
        joined = pc.binary_join(lists, ",")
        out = pc.binary_join_element_wise(pa.scalar("["), pc.cast(joined, pa.string()), pa.scalar("]"), "")
        out = pc.if_else(column.is_null(), pa.scalar(None, pa.string()), out)
    else:  # dates, structs, …: not in eduscore's tables today; written as to_dict would
        values = [r["v"] for r in _records(pa.table({"v": column}))]
        out = pa.array(
            [_json_safe(json.dumps(v, ensure_ascii=False, default=str)) for v in values], pa.string()
        )
    result: pa.Array = pc.cast(pc.fill_null(out, "null"), pa.string())
    return result


# ---------------------------------------------------------------------------- split form
def _write_parquet(table: pa.Table, path: Path) -> dict[str, Any]:
    """Write one table of the split form and return its reference."""
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return {
        "path": path.name,
        "format": "parquet",
        "rows": table.num_rows,
        "sha256": _sha256(path),
        "columns": {f.name: str(f.type) for f in pq.read_schema(path)},  # as a reader gets them
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_external(external: Mapping[str, Mapping[str, Any]], folder: str | Path) -> list[str]:
    """The problems of the Parquet files a split ``result.json`` refers to (none: an empty
    list): each must exist in ``folder``, hash to its ``sha256``, hold ``rows`` rows, have
    exactly the Arrow ``columns`` of its reference, and the columns the result schema
    documents for its table — every required one, none it forbids, each of a type that
    gives the documented JSON type, and no missing value where the schema allows none.
    The values themselves are not read (that is the point of the split form)."""
    import pyarrow.parquet as pq

    folder = Path(folder)
    schema = load_schema("result")
    problems = []
    for name, ref in external.items():
        path = folder / str(ref.get("path", ""))
        where = f"{name} ({ref.get('path')})"
        if Path(str(ref.get("path", ""))).name != ref.get("path") or not path.is_file():
            problems.append(f"{where}: no such file beside result.json")
            continue
        if _sha256(path) != ref.get("sha256"):
            problems.append(f"{where}: sha256 differs from the reference (the file was changed or damaged)")
        try:
            meta = pq.ParquetFile(path).metadata
            arrow = pq.read_schema(path)
        except (OSError, pa.ArrowException) as exc:
            problems.append(f"{where}: not a readable Parquet file ({exc})")
            continue
        if meta.num_rows != ref.get("rows"):
            problems.append(f"{where}: {meta.num_rows} rows, the reference says {ref.get('rows')}")
        columns = {f.name: str(f.type) for f in arrow}
        if columns != ref.get("columns"):
            problems.append(
                f"{where}: its columns {columns} are not those of the reference {ref.get('columns')}"
            )
        problems += [f"{where}: {p}" for p in _documented_problems(schema, name, arrow, meta)]
    return problems


def _documented_problems(schema: Mapping[str, Any], table: str, arrow: pa.Schema, meta: Any) -> list[str]:
    """How an Arrow schema differs from the records the result schema documents for ``table``."""
    prop = schema["properties"][table]
    items = prop.get("else", prop)["items"]
    documented = items.get("properties", {})
    names = set(arrow.names)
    problems = [f"column {c!r} is missing" for c in items.get("required", []) if c not in names]
    if items.get("additionalProperties") is False:
        problems += [f"column {c!r} is not documented" for c in arrow.names if c not in documented]
    nulls = _null_counts(meta, arrow)
    for field in arrow:
        doc = documented.get(field.name)
        if doc is None:
            continue
        allowed = _documented_types(doc)
        given = _json_types(field.type)
        if allowed and not (allowed - {"null"}) & given and not (allowed == {"null"} and given == {"null"}):
            problems.append(f"column {field.name!r} is {field.type}, documented as {sorted(allowed)}")
        if allowed and "null" not in allowed and nulls.get(field.name, 0) > 0:
            problems.append(f"column {field.name!r} has missing values, which the schema does not allow")
    return problems


def _documented_types(doc: Mapping[str, Any]) -> set[str]:
    if "type" in doc:
        return {doc["type"]} if isinstance(doc["type"], str) else set(doc["type"])
    if "enum" in doc:
        return {"null" if v is None else "string" if isinstance(v, str) else "number" for v in doc["enum"]}
    return set()


def _json_types(t: pa.DataType) -> set[str]:
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return {"string"}
    if pa.types.is_integer(t):
        return {"integer", "number"}
    if pa.types.is_floating(t):
        return {"number"}
    if pa.types.is_boolean(t):
        return {"boolean"}
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return {"array"}
    if pa.types.is_null(t):
        return {"null"}
    if pa.types.is_struct(t):
        return {"object"}
    return set()


def _null_counts(meta: Any, arrow: pa.Schema) -> dict[str, int]:
    """Missing values per column of plain values, from the Parquet statistics (no data
    read); columns of lists are left out."""
    counts: dict[str, int] = {}
    if meta.num_columns != len(arrow):  # nested columns: leaves and fields do not pair up
        return counts
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c, field in enumerate(arrow):
            stats = group.column(c).statistics
            if meta.schema.column(c).max_repetition_level == 0 and stats is not None and stats.has_null_count:
                counts[field.name] = counts.get(field.name, 0) + stats.null_count
    return counts


def validate_json(path: str | Path) -> None:
    """Validate a ``result.json`` written by :meth:`Result.write_json` (or
    :meth:`Result.to_json`): the document against ``schemas/result.schema.json``, and the
    Parquet files of a split one by :func:`check_external`. Raises
    :class:`jsonschema.ValidationError` or :class:`ValueError`."""
    path = Path(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, load_schema("result"), cls=jsonschema.Draft202012Validator)
    external = {name: data[name] for name in Result.TABLES if isinstance(data.get(name), dict)}
    problems = check_external(external, path.parent)
    if problems:
        raise ValueError("; ".join(problems))
