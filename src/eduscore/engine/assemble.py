"""Assembly: from the scores of every county to the :class:`~eduscore.result.Result`.

Verdict aggregation (every check → a county's verdict, with its reasons), rule-set
modifiers of the verdict (e.g. Gansu's all-or-nothing across neighbours), the dispersion
table with its limits, the per-section table and the row accounting. Scoring logic lives
here, next to the rule kinds; the result itself is data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eduscore.engine.dispersion import dense_codes
from eduscore.engine.grading import grade_by_check, grade_counts
from eduscore.engine.memory import give_back
from eduscore.engine.score import UNIT_IDENTITY, Scored, label_array
from eduscore.engine.unit_table import LongTable
from eduscore.inputs.prepare import constant, display_rows, lists_from_long
from eduscore.inputs.validate import rejecting
from eduscore.model.framework import Framework
from eduscore.model.messages import coded, label, render
from eduscore.model.messages import text as message_text
from eduscore.result import NATIONAL, Result


def _split_key(t: pa.Table) -> pa.Table:
    """Replace the internal ``_county`` key by ``county_code`` and ``year`` columns."""
    key = t.column("_county")
    if not pa.types.is_dictionary(key.type):
        code, year = _split_text(key.combine_chunks())
        chunks_code, chunks_year = [code], [year]
    else:
        # The long per-unit table repeats one key array for every check: split each
        # distinct chunk once and share the result, so the codes and years of 16 million
        # rows cost what the units' own do.
        done: dict[tuple[int, ...], tuple[pa.Array, pa.Array]] = {}
        chunks_code, chunks_year = [], []
        for chunk in key.chunks:
            ident = (
                *(b.address if b is not None else 0 for b in chunk.buffers()),
                *(b.address if b is not None else 0 for b in chunk.dictionary.buffers()),
                chunk.offset,
                len(chunk),
            )
            if ident not in done:
                done[ident] = _split_text(chunk)
            code, year = done[ident]
            chunks_code.append(code)
            chunks_year.append(year)
    rest = t.drop_columns(["_county"])
    code_type = chunks_code[0].type if chunks_code else pa.string()
    return pa.table(
        {
            "county_code": pa.chunked_array(chunks_code, code_type),
            "year": pa.chunked_array(chunks_year, pa.int64()),
            **{n: rest.column(n) for n in rest.column_names},
        }
    )


def _split_text(key: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The county code and the year of "code|year" keys (a dictionary keeps its indices)."""
    encoded = key if pa.types.is_dictionary(key.type) else key.dictionary_encode()
    parts = pc.split_pattern(encoded.dictionary, "|")
    year_text = pc.list_element(parts, 1)
    years = pc.cast(pc.if_else(pc.equal(year_text, ""), pa.scalar(None, pa.string()), year_text), pa.int64())
    codes = pc.list_element(parts, 0)
    if pa.types.is_dictionary(key.type):
        code = pa.DictionaryArray.from_arrays(encoded.indices, codes)
    else:
        code = pc.take(codes, encoded.indices)
    return code, pc.take(years, encoded.indices)


# --------------------------------------------------------------------------- assembly


@attrs.frozen
class ScoredPart:
    """The scores of the counties that share one effective framework (one chain of rule sets)."""

    framework: Framework
    scored: Scored
    counties: pa.Table


def build_result(
    fw: Framework,
    *,
    parts: list[ScoredPart],
    findings: pa.Table,
    inputs: Mapping[str, tuple[int, str]],
    unused: Mapping[str, tuple[int, str]],
    unit_table: str,
    options: dict[str, bool],
    filtered: Mapping[str, int] | None = None,
    relaxations: tuple[str, ...],
    missing_columns: list[str],
    extra_checks: pa.Table | None = None,
) -> Result:
    """Assemble the result from the scored parts. ``extra_checks`` (in the engine's check
    schema, e.g. the input-integrity checks) join the checks of the counties they name
    before the verdicts are drawn."""
    checks, verdicts, dispersion, sections, units = [], [], [], [], []
    section_checks: list[list[pa.Table]] = []
    for part in parts:
        fw_c, scored = part.framework, part.scored
        sections.append(_section_table(scored.units, scored.unit_rules, fw_c, scored.inputs))
        units.append(scored.units.select(["_row", "in_scope"]))
        section_checks.append(list(scored.unit_parts))
        own = scored.checks
        # The scores are consumed as they are assembled: at national scale their coded
        # texts and the rendered ones must not be held at once.
        scored.consume()
        if extra_checks is not None and extra_checks.num_rows:
            mine = extra_checks.filter(
                pc.is_in(extra_checks.column("_county"), part.counties.column("_county"))
            )
            if mine.num_rows:
                own = pa.concat_tables([own, mine.cast(own.schema)])
        own = bilingual(own)
        n = own.num_rows
        part_checks = own.append_column("framework", label_array(fw.id, n, pa.int16())).append_column(
            "framework_version", label_array(fw.version, n, pa.int16())
        )
        checks.append(part_checks)
        verdicts.append(_verdicts(part_checks, part.counties.select(["_county", "county_name"]), fw_c))
        give_back(units[-1].num_rows)  # the verdicts' intermediates
        dispersion.append(
            bilingual(_with_descriptive_mean(_with_limits(scored.dispersion, part_checks, fw_c), fw_c))
        )
        give_back(units[-1].num_rows)
    all_verdicts = _apply_modifiers(_concat_all(verdicts), parts)
    if len(parts) > 1:  # chains of rule sets are scored apart: the counties in code order again
        all_verdicts = all_verdicts.sort_by("_county")
    all_sections = _concat_all(sections)
    all_units = _concat_all(units)
    return Result(
        framework=fw,
        verdicts=_split_key(all_verdicts),
        checks=_unified(_split_key(_concat_all(checks))),
        dispersion=_split_key(_concat_all(dispersion)),
        sections=_split_key(all_sections),
        section_checks=LongTable(section_checks, _section_checks_of(all_sections)).build,
        excluded=_split_key(all_sections.filter(pc.invert(all_sections.column("in_scope")))),
        findings=findings,
        rejected=rejecting(findings),
        accounting=_accounting(all_units, rejecting(findings), inputs, unused, unit_table, filtered or {}),
        options=options,
        relaxations=relaxations,
        missing_columns=missing_columns,
        rule_sets=tuple(dict(o) for p in parts for o in p.framework.rule_sets),
    )


def _section_checks_of(sections: pa.Table) -> Callable[[list[pa.Table]], pa.Table]:
    """How the long ``section_checks`` table is finished when read: texts rendered, the
    key split, and each unit's name (school or kindergarten) beside its id."""
    name_column = next((c for c in ("school_name", "kindergarten_name") if c in sections.column_names), None)

    def finish(parts: list[pa.Table]) -> pa.Table:
        table = _split_key(_concat_all([bilingual(t, dictionary=True) for t in parts]))
        names = _unit_names(table.column("unit_id"), sections, name_column)
        return table.add_column(table.column_names.index("unit_id") + 1, "unit_name", names)

    return finish


def _unit_names(unit_ids: pa.ChunkedArray, sections: pa.Table, name_column: str | None) -> pa.ChunkedArray:
    """The name of each unit id, sharing the ids' dictionary indices: one lookup per
    distinct unit, not per row (a unit's first name where a unit id repeats)."""
    kind = pa.dictionary(pa.int32(), pa.string())
    known = sections.column("unit_id").combine_chunks()
    if pa.types.is_dictionary(known.type):
        known = known.cast(known.type.value_type)
    if name_column is None:
        names = pa.nulls(len(known), pa.string())
    else:
        names = pc.cast(sections.column(name_column).combine_chunks(), pa.string())
    chunks = []
    for chunk in unit_ids.chunks:
        if not pa.types.is_dictionary(chunk.type):
            chunk = pc.dictionary_encode(chunk)
        where = pc.index_in(pc.cast(chunk.dictionary, known.type), value_set=known)
        chunks.append(
            pa.DictionaryArray.from_arrays(pc.cast(chunk.indices, pa.int32()), pc.take(names, where))
        )
    return pa.chunked_array(chunks, kind)


def _unified(t: pa.Table) -> pa.Table:
    """One dictionary per dictionary-encoded column (each rule's rows came with their own):
    group-bys and joins need it, and each text is held once."""
    out = t.unify_dictionaries()
    for i, field in enumerate(out.schema):
        if pa.types.is_dictionary(field.type) and out.column(i).num_chunks > 1:
            out = out.set_column(i, field, pa.chunked_array([out.column(i).combine_chunks()]))
    return out


def _concat_all(tables: list[pa.Table]) -> pa.Table:
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="permissive")


def _no_null_lists(lists: pa.ChunkedArray, empty: pa.Scalar) -> pa.ChunkedArray:
    """Missing lists as empty ones; a column without any is kept as it is (not copied: the
    reason lists of a nation are ~50 MB each)."""
    return pc.if_else(pc.is_null(lists), empty, lists) if lists.null_count else lists


def _passes_of(checks: pa.Table, check_id: str, counties: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Each county's value of check ``check_id`` where it passed (null elsewhere)."""
    mine = pc.and_(
        pc.equal(pc.cast(checks.column("check_id"), pa.string()), check_id),
        pc.equal(pc.cast(checks.column("status"), pa.string()), "pass"),
    )
    rows = checks.filter(mine)
    where = pc.index_in(
        pc.cast(counties, pa.string()),
        value_set=pc.cast(rows.column("_county"), pa.string()).combine_chunks(),
    )
    return pc.take(rows.column("value").combine_chunks(), where)


def _verdicts(checks: pa.Table, names: pa.Table, fw: Framework) -> pa.Table:
    """Verdict per county from its checks, by the framework's aggregation.

    ``all_pass``: any failing check → not certified; otherwise any check not assessed →
    incomplete; otherwise certified (a basic pass is not a pass). ``graded``: as above,
    and a certified county gets the first grade band whose pass and basic-pass counts it
    meets — below the lowest band it is not certified. ``graded`` with ``by_check``: one
    check counts the items (e.g. a plugin's kind); the grade follows its value.
    """
    graded = fw.verdict.get("kind") == "graded"
    # Every text column is numbered once; the counts are bincounts over county numbers and
    # the reason texts are written once per distinct (check, status, reason).
    county, counties = dense_codes(checks.column("_county"))
    status, statuses = dense_codes(checks.column("status"))
    names_of = statuses.to_pylist()

    def among(*wanted: str) -> np.ndarray:
        return np.isin(status, [k for k, v in enumerate(names_of) if v in wanted])

    sums = [
        ("n_pass", among("pass")),
        ("n_basic_pass", among("basic_pass")),
        ("n_fail", among("fail")),
        ("n_not_assessed", among("not_assessed", "not_computable")),
    ]
    n = len(counties)
    counts = pa.table(
        {
            "_county": counties,
            **{
                f"{c}_sum": pa.array(np.bincount(county, weights=m, minlength=n).astype(np.int64))
                for c, m in sums
            },
        }
    ).filter(pa.array(np.bincount(county, minlength=n) > 0))
    out = names.join(counts, "_county", use_threads=False).sort_by("_county")
    # Reasons are written for the checks that did not pass only, in their checks' order.
    rows = np.flatnonzero(~sums[0][1])
    # Only those rows' texts are encoded (a nation's checks mostly pass).
    texts = checks.select(["check_id", "reason", "reason_zh"]).take(pa.array(rows))
    parts = [
        dense_codes(texts.column("check_id")),
        (status[rows], statuses),
        dense_codes(texts.column("reason")),
        dense_codes(texts.column("reason_zh")),
    ]
    del texts
    combo = np.zeros(len(rows), dtype=np.int64)
    for codes, values in parts:
        combo = combo * max(len(values), 1) + codes
    distinct, which = np.unique(combo, return_inverse=True)
    digits = []
    for _, values in reversed(parts):
        digits.append(pa.array(distinct % max(len(values), 1)))
        distinct = distinct // max(len(values), 1)
    reason_zh_i, reason_i, status_i, check_i = digits
    check_ids, status_of = parts[0][1].take(check_i), statuses.take(status_i)
    where = np.asarray(
        pc.fill_null(pc.index_in(counties, value_set=out.column("_county")), -1).to_numpy(
            zero_copy_only=False
        ),
        dtype=np.int64,
    )
    parent = where[county[rows]]
    for lang, reasons, column in (
        ("en", parts[2][1].take(reason_i), "reason"),
        ("zh", parts[3][1].take(reason_zh_i), "reason_zh"),
    ):
        word = pc.if_else(
            pc.equal(status_of, "fail"),
            pa.scalar(label("status.fail", lang)),
            pc.if_else(
                pc.equal(status_of, "basic_pass"),
                pa.scalar(label("status.basic_pass", lang)),
                pa.scalar(label("status.not_assessed", lang)),
            ),
        )
        text = pc.binary_join_element_wise(check_ids, word, pc.fill_null(reasons, ""), ": ")
        listed = np.flatnonzero(
            (parent >= 0) & np.asarray(pc.is_valid(text).to_numpy(zero_copy_only=False))[which]
        )
        # The texts by their codes: lists_from_long writes each county's texts once.
        values = pa.DictionaryArray.from_arrays(pa.array(which[listed]), text)
        out = out.append_column(
            f"{column}_list", lists_from_long(pa.array(parent[listed]), values, out.num_rows)
        )
    n_pass, n_basic, n_fail, n_na = (pc.fill_null(out.column(f"{c}_sum"), 0) for c, _ in sums)
    items = fw.verdict.get("items") if graded else None
    by_check = fw.verdict.get("by_check") if graded else None
    if by_check is not None:
        # One check counts the graded items (e.g. a plugin's kind): the grade follows its value.
        verdict, grade = grade_by_check(
            n_fail,
            n_na,
            _passes_of(checks, by_check, out.column("_county")),
            int(items or 0),
            fw.verdict["bands"],
        )
    else:
        verdict, grade = grade_counts(
            n_pass, n_basic, n_fail, n_na, fw.verdict["bands"] if graded else None, items
        )
    if items is not None and by_check is None:
        # Say which part of the graded items this framework cannot see.
        counted = pc.add(pc.add(pc.add(n_pass, n_basic), n_fail), n_na)
        short = pc.and_(pc.less(counted, items), pc.equal(verdict, "incomplete"))
        for column, lang in (("reason_list", "en"), ("reason_zh_list", "zh")):
            note = message_text(coded("graded_items_missing", items), lang) or ""
            merged = _append_reason(out.column(column), short, note)
            out = out.set_column(out.column_names.index(column), column, merged)
    empty = pa.scalar([], pa.list_(pa.string()))
    origin = fw.verdict.get("origin", {})
    n = out.num_rows
    return pa.table(
        {
            "_county": out.column("_county"),
            "county_name": out.column("county_name"),
            "verdict": verdict,
            "verdict_zh": pc.if_else(
                pc.equal(verdict, "certified"),
                label("verdict.certified", "zh"),
                pc.if_else(
                    pc.equal(verdict, "not_certified"),
                    label("verdict.not_certified", "zh"),
                    label("verdict.incomplete", "zh"),
                ),
            ),
            "grade": grade,
            "reasons": _no_null_lists(out.column("reason_list"), empty),
            "reasons_zh": _no_null_lists(out.column("reason_zh_list"), empty),
            "n_pass": n_pass,
            "n_basic_pass": n_basic,
            "n_fail": n_fail,
            "n_not_assessed": n_na,
            "aggregation": constant(str(fw.verdict.get("kind", "all_pass")), n, pa.string()),
            "aggregation_rule_set": constant(str(origin.get("rule_set", NATIONAL)), n, pa.string()),
        }
    )


def _apply_modifiers(verdicts: pa.Table, parts: list[ScoredPart]) -> pa.Table:
    """Verdict modifiers such as Gansu's: a city's declared counties all fail in a year
    if any one of them is not certified (``group_all_or_nothing``)."""
    for part in parts:
        for mod in part.framework.verdict_modifiers:
            mine = pc.is_in(verdicts.column("_county"), part.counties.column("_county"))
            code = pc.utf8_slice_codeunits(verdicts.column("_county"), 0, int(mod["group_prefix"]))
            year = pc.list_element(pc.split_pattern(verdicts.column("_county"), "|"), 1)
            group = pc.binary_join_element_wise(code, year, "|")
            verdicts = _unknown_neighbours(verdicts, mine, group, mod)
            failed = pc.and_(mine, pc.equal(verdicts.column("verdict"), "not_certified"))
            bad_groups = pc.unique(pc.filter(group, failed))
            hit = pc.and_(mine, pc.and_(pc.is_in(group, bad_groups), pc.invert(failed)))
            if not pc.any(hit).as_py():
                continue
            area = "§area.city" if mod["group_prefix"] == 4 else "§area.province"
            note = coded("neighbour_not_certified", mod["id"], area)
            verdict = pc.if_else(hit, pa.scalar("not_certified"), verdicts.column("verdict"))
            verdicts = _with_notes(verdicts, hit, note)
            verdicts = (
                verdicts.set_column(verdicts.column_names.index("verdict"), "verdict", verdict)
                .set_column(
                    verdicts.column_names.index("verdict_zh"),
                    "verdict_zh",
                    pc.if_else(
                        hit, pa.scalar(label("verdict.not_certified", "zh")), verdicts.column("verdict_zh")
                    ),
                )
                .set_column(
                    verdicts.column_names.index("grade"),
                    "grade",
                    pc.if_else(hit, pa.scalar(None, pa.string()), verdicts.column("grade")),
                )
            )
    return verdicts


def _unknown_neighbours(
    verdicts: pa.Table, mine: pa.ChunkedArray, group: pa.ChunkedArray, mod: Mapping[str, Any]
) -> pa.Table:
    """Under an all-or-nothing rule a county is certified only if every county of its group
    is: while one of them is incomplete, the others cannot be known to pass either."""
    verdict = verdicts.column("verdict")
    unknown = pc.and_(mine, pc.equal(verdict, "incomplete"))
    groups = pc.unique(pc.filter(group, unknown))
    hit = pc.and_(mine, pc.and_(pc.is_in(group, groups), pc.equal(verdict, "certified")))
    if not pc.any(hit).as_py():
        return verdicts
    area = "§area.city" if mod["group_prefix"] == 4 else "§area.province"
    verdicts = _with_notes(verdicts, hit, coded("neighbour_incomplete", mod["id"], area))
    return (
        verdicts.set_column(
            verdicts.column_names.index("verdict"),
            "verdict",
            pc.if_else(hit, pa.scalar("incomplete"), verdict),
        )
        .set_column(
            verdicts.column_names.index("verdict_zh"),
            "verdict_zh",
            pc.if_else(hit, pa.scalar(label("verdict.incomplete", "zh")), verdicts.column("verdict_zh")),
        )
        .set_column(
            verdicts.column_names.index("grade"),
            "grade",
            pc.if_else(hit, pa.scalar(None, pa.string()), verdicts.column("grade")),
        )
    )


def bilingual(t: pa.Table, column: str = "reason", *, dictionary: bool = False) -> pa.Table:
    """The coded reasons of ``t`` rendered from the message catalog: ``reason`` in
    English and, beside it, ``reason_zh`` in Chinese (:mod:`eduscore.model.messages`).
    With ``dictionary`` (the long table of unit checks: millions of rows, a few dozen
    reasons) both columns are dictionary-encoded over the same indices."""
    if column not in t.column_names or f"{column}_zh" in t.column_names:
        return t
    i = t.column_names.index(column)
    coded_reasons = t.column(column)
    if dictionary:
        if pa.types.is_dictionary(coded_reasons.type):  # one dictionary for every chunk
            coded_reasons = pa.table({"r": coded_reasons}).unify_dictionaries().column("r").combine_chunks()
        else:
            coded_reasons = pc.dictionary_encode(pc.cast(coded_reasons, pa.string()).combine_chunks())
    t = t.set_column(i, column, render(coded_reasons, "en", dictionary=dictionary))
    return t.add_column(i + 1, f"{column}_zh", render(coded_reasons, "zh", dictionary=dictionary))


def _with_notes(verdicts: pa.Table, mask: pa.ChunkedArray, note: str) -> pa.Table:
    """Append a coded ``note`` to both reason lists where ``mask`` holds."""
    for column, lang in (("reasons", "en"), ("reasons_zh", "zh")):
        merged = _append_reason(verdicts.column(column), mask, message_text(note, lang) or "")
        verdicts = verdicts.set_column(verdicts.column_names.index(column), column, merged)
    return verdicts


def _append_reason(reasons: pa.ChunkedArray, mask: pa.ChunkedArray, note: str) -> pa.Array:
    """Append ``note`` to the reason lists of the rows where ``mask`` holds (vectorised)."""
    lists = pc.fill_null(reasons, pa.scalar([], pa.list_(pa.string())))
    rows = _plain(pc.cast(pc.indices_nonzero(_plain(pc.fill_null(mask, False))), pa.int64()))
    return lists_from_long(
        pa.concat_arrays([_plain(pc.cast(pc.list_parent_indices(lists), pa.int64())), rows]),
        pa.concat_arrays([_plain(pc.list_flatten(lists)), constant(note, len(rows), pa.string())]),
        len(lists),
    )


def _plain(x: pa.Array | pa.ChunkedArray) -> pa.Array:
    return x.combine_chunks() if isinstance(x, pa.ChunkedArray) else x


def _with_limits(dispersion: pa.Table, checks: pa.Table, fw: Framework) -> pa.Table:
    """Attach each CV's limit and status from its check (kind dispersion_limit)."""
    cv_checks = checks.filter(pc.equal(checks.column("kind"), "dispersion_limit"))
    # A CV check's id is "rule.indicator.level"; rule ids may hold dots themselves, so the
    # indicator is looked up from the ids the rules make, never split out of the text.
    made = [
        (f"{r.id}.{i}.{level}", i)
        for r in fw.rules_of("dispersion_limit")
        for i in r.indicators
        for level in fw.levels
    ]
    index = pc.index_in(cv_checks.column("check_id"), value_set=pa.array([k for k, _ in made], pa.string()))
    ind = pc.take(pa.array([i for _, i in made], pa.string()), index)
    lookup = pa.table(
        {
            "_county": cv_checks.column("_county"),
            "level": cv_checks.column("level"),
            "indicator": ind,
            "limit": cv_checks.column("threshold"),
            "status": cv_checks.column("status"),
            "reason": cv_checks.column("reason"),
        }
    )
    if dispersion.num_rows == 0:
        return (
            dispersion.append_column("limit", pa.array([], pa.float64()))
            .append_column("status", pa.array([], pa.string()))
            .append_column("reason", pa.array([], pa.string()))
        )
    joined = dispersion.join(lookup, ["_county", "level", "indicator"], use_threads=False)
    return joined.sort_by([("_county", "ascending"), ("level", "descending"), ("indicator", "ascending")])


MEAN_OF_CVS = "mean_of_cvs"


def _with_descriptive_mean(dispersion: pa.Table, fw: Framework) -> pa.Table:
    """Counties often publish the mean of the single CVs (frameworks.md §1.2). Report it
    as an ``info`` row per county × level — it never enters the verdict."""
    tested = {i for r in fw.rules_of("dispersion_limit") if r.limit for i in r.indicators}
    if not tested or dispersion.num_rows == 0:
        return dispersion
    mine = dispersion.filter(pc.is_in(dispersion.column("indicator"), pa.array(sorted(tested))))
    agg = mine.group_by(["_county", "level"], use_threads=False).aggregate(
        [
            ("cv", "mean", pc.ScalarAggregateOptions(skip_nulls=False)),
            ("n_sections", "max"),
            ("n_missing", "max"),
            ("students", "max"),
        ]
    )
    n = agg.num_rows
    rows = pa.table(
        {
            "_county": agg.column("_county"),
            "level": agg.column("level"),
            "indicator": constant(MEAN_OF_CVS, n, pa.string()),
            "n_sections": agg.column("n_sections_max"),
            "n_missing": agg.column("n_missing_max"),
            "students": agg.column("students_max"),
            "mean": pa.nulls(n, pa.float64()),
            "sd": pa.nulls(n, pa.float64()),
            "cv": agg.column("cv_mean"),
            "limit": pa.nulls(n, pa.float64()),
            "status": constant("info", n, pa.string()),
            "reason": constant(
                f"descriptive mean of the {len(tested)} CVs; not used for the verdict", n, pa.string()
            ),
        }
    )
    return pa.concat_tables([dispersion, rows.cast(dispersion.schema)]).sort_by(
        [("_county", "ascending"), ("level", "descending"), ("indicator", "ascending")]
    )


def _section_table(
    units: pa.Table, unit_status: Mapping[str, pa.Table], fw: Framework, inputs: tuple[str, ...] = ()
) -> pa.Table:
    """One row per unit: identity, the raw inputs of its indicators (``inputs``: the values
    the engine computed on), each indicator's value, each unit rule's status."""
    cols = {name: units.column(name) for name in UNIT_IDENTITY if name in units.column_names}
    if "_row" in cols:
        cols["source_row"] = display_rows(cols.pop("_row"))
    for name in inputs:
        cols.setdefault(name, units.column(name))
    for ind in fw.indicators:
        cols[ind.id] = units.column(ind.id)
    kinds = {r.id: r.kind for r in fw.rules}
    for rule_id, t in unit_status.items():
        # unit_checks rows for one rule are in unit order (one per unit), so they align.
        cols[f"{rule_id}__status"] = t.column("status")
        if kinds[rule_id] == "count_met_with_floor":
            cols[f"{rule_id}__met_count"] = pc.cast(t.column("value"), pa.int64())
    return pa.table(cols)


def _accounting(
    units: pa.Table,
    rejected: pa.Table,
    inputs: Mapping[str, tuple[int, str]],
    unused: Mapping[str, tuple[int, str]],
    unit_table: str,
    filtered: Mapping[str, int],
) -> pa.Table:
    rows = []
    for table, (n, source) in inputs.items():
        tables = ("schools", "sections") if table == "schools" else (table,)
        rej = rejected.filter(pc.is_in(rejected.column("table"), pa.array(list(tables))))
        n_rejected = (
            rej.select(["source", "sheet", "row"]).group_by(["source", "sheet", "row"]).aggregate([]).num_rows
        )
        scored = excluded = 0
        if table == unit_table and units.num_rows:
            per_row = (
                units.select(["_row", "in_scope"])
                .group_by("_row", use_threads=False)
                .aggregate([("in_scope", "any")])
            )
            scored = int(pc.sum(pc.cast(per_row.column("in_scope_any"), pa.int64())).as_py() or 0)
            excluded = per_row.num_rows - scored
        else:
            scored = n - n_rejected - filtered.get(table, 0)
        rows.append(
            {
                "table": table,
                "source": source,
                "rows": n,
                "scored": scored,
                "excluded": excluded,
                "rejected": n_rejected,
                "unused": filtered.get(table, 0),
            }
        )
    for table, (n, source) in unused.items():
        rows.append(
            {
                "table": table,
                "source": source,
                "rows": n,
                "scored": 0,
                "excluded": 0,
                "rejected": 0,
                "unused": n,
            }
        )
    schema = pa.schema(
        [("table", pa.string()), ("source", pa.string())]
        + [(k, pa.int64()) for k in ("rows", "scored", "excluded", "rejected", "unused")]
    )
    return pa.Table.from_pylist(rows, schema=schema)
