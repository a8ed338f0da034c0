"""Nothing silent: what keeps a county from certification besides its checks.

A county whose input rows were rejected, or which a failed plugin may govern, cannot be
``certified``: the evaluation did not see all of its data or all of its rules. Each such
problem becomes a check of kind ``input_integrity`` with status ``not_assessed`` in the
county's checks, so that the verdict is ``incomplete`` (a ``not_certified`` stays
``not_certified``) and the reason names the rejected rows or the plugin — in the
terminal, every report and ``result.json``, like any other check.

A rejected row is charged to the county its county code names. A row whose county code
itself cannot be read could belong to any county: it is charged to every county of the
evaluation (the reason says so), since certifying a county that may be missing a school
would be a silent pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eduscore.engine.score import CHECK_SCHEMA
from eduscore.inputs import validate
from eduscore.inputs.prepare import display_rows, row_parts
from eduscore.model.messages import coded, coded_array

if TYPE_CHECKING:
    from eduscore.model.framework import Framework
    from eduscore.plugins.registry import KnownRuleSet, PluginInfo

KIND = "input_integrity"
GROUP = "inputs"
GROUP_NAME = {"zh": "数据完整性", "en": "Input integrity"}
REJECTED_ID = "inputs.rejected_rows"
PLUGINS_ID = "inputs.plugins"
RULE_SETS_ID = "inputs.rule_sets"
_SHOWN = 5  # rejected rows named in a reason; the findings list them all
_CODE = r"^\d{6}$"


def row_counties(t: pa.Table, table: str) -> pa.Table:
    """Each data row's county code and year (as read), by internal row number."""
    n = t.num_rows
    return pa.table(
        {
            "table": pa.repeat(pa.scalar(table), n),
            "_row": t.column("_row"),
            "county_code": pc.cast(t.column("county_code"), pa.string())
            if "county_code" in t.column_names
            else pa.nulls(n, pa.string()),
            "year": pc.cast(t.column("year"), pa.float64())
            if "year" in t.column_names
            else pa.nulls(n, pa.float64()),
        }
    )


def rejected_rows(findings: pa.Table, rows: pa.Table, parts: Sequence[tuple[str, str]]) -> pa.Table:
    """The data rows with an error — rejected, or (a county row) kept with a value not read —
    with their county code (null when it cannot be read), year and where they are: one
    row per input row. Totals rows are notices, not errors."""
    errors = findings.filter(pc.equal(findings.column("severity"), "error"))
    keys = errors.select(["table", "row"]).group_by(["table", "row"], use_threads=False).aggregate([])
    keys = keys.rename_columns(["table", "_row"])
    table = pc.if_else(pc.equal(keys.column("table"), "sections"), "schools", keys.column("table"))
    keys = keys.set_column(0, "table", table)
    rows = rows.set_column(
        0, "table", pc.if_else(pc.equal(rows.column("table"), "sections"), "schools", rows.column("table"))
    )
    joined = keys.join(rows, ["table", "_row"], join_type="left outer", use_threads=False)
    code = joined.column("county_code")
    valid = pc.fill_null(pc.match_substring_regex(code, _CODE), False)
    sources = pa.array([s for s, _ in parts], pa.string())
    sheets = pa.array([sh for _, sh in parts], pa.string())
    part = pc.cast(row_parts(joined.column("_row")), pa.int64())
    out = pa.table(
        {
            "table": joined.column("table"),
            "_row": joined.column("_row"),
            "county_code": pc.if_else(valid, code, pa.scalar(None, pa.string())),
            "year": joined.column("year"),
            "source": pc.take(sources, part) if len(sources) else pa.nulls(joined.num_rows, pa.string()),
            "sheet": pc.take(sheets, part) if len(sheets) else pa.nulls(joined.num_rows, pa.string()),
            "row": display_rows(joined.column("_row")),
        }
    )
    return out.sort_by([("table", "ascending"), ("_row", "ascending")])


def counties_of_rejected(rejected: pa.Table, frame: pa.Table) -> pa.Table:
    """County keys (``_county``, ``county_code``, ``year``) of rejected rows whose county
    is nowhere else in the data — so that a county whose only school was rejected is
    reported (incomplete), not silently absent."""
    known = pc.unique(frame.column("county_code"))
    mine = rejected.filter(
        pc.and_(
            pc.is_valid(rejected.column("county_code")),
            pc.invert(pc.is_in(rejected.column("county_code"), known)),
        )
    )
    if mine.num_rows == 0:
        return pa.table(
            {
                "_county": pa.array([], pa.string()),
                "county_code": pa.array([], pa.string()),
                "year": pa.array([], pa.float64()),
            }
        )
    years = [y for y in pc.unique(frame.column("year")).to_pylist() if y is not None]
    year = mine.column("year")
    if len(years) == 1:
        year = pc.fill_null(year, years[0])
    distinct = pa.table({"county_code": mine.column("county_code"), "year": year})
    distinct = distinct.group_by(["county_code", "year"], use_threads=False).aggregate([])
    year_text = pc.fill_null(pc.cast(pc.cast(distinct.column("year"), pa.int64()), pa.string()), "")
    key = pc.binary_join_element_wise(distinct.column("county_code"), year_text, "|")
    return pa.table(
        {"_county": key, "county_code": distinct.column("county_code"), "year": distinct.column("year")}
    )


def _where(rejected: pa.Table, lang: str = "en") -> pa.ChunkedArray:
    """``file!sheet row 12`` (``file!sheet 第 12 行``) for each rejected row."""
    place = pc.if_else(
        pc.equal(pc.fill_null(rejected.column("sheet"), ""), ""),
        rejected.column("source"),
        pc.binary_join_element_wise(rejected.column("source"), rejected.column("sheet"), "!"),
    )
    row = pc.cast(rejected.column("row"), pa.string())
    if lang == "zh":
        return pc.binary_join_element_wise(place, pa.scalar(" 第 "), row, pa.scalar(" 行"), "")
    return pc.binary_join_element_wise(place, row, " row ")


def _check_rows(
    keys: pa.Array, check_id: str, name: tuple[str, str], values: pa.Array, reasons: pa.Array, version: str
) -> pa.Table:
    n = len(keys)

    def const(value: str | None) -> pa.Array:
        return pa.repeat(pa.scalar(value, pa.string()), n)

    return pa.table(
        {
            "_county": keys,
            "check_id": const(check_id),
            "rule_id": const(check_id),
            "kind": const(KIND),
            "group": const(GROUP),
            "item": const(""),
            "level": const(None),
            "name_zh": const(name[0]),
            "name_en": const(name[1]),
            "status": const("not_assessed"),
            "value": pc.cast(values, pa.float64()),
            "threshold": pa.repeat(pa.scalar(0.0), n),
            "comparator": const("=="),
            "reason": reasons,
            "confidence": const("I"),
            "confidence_note": const("eduscore: a county is certified only on complete data and rules"),
            "document": const("eduscore 数据校验 (docs/validation.md)"),
            "clause": const("数据与规则不全不予认定 (nothing silent)"),
            "spec": const(""),
            "rule_set": const("national"),
            "rule_set_version": const(version),
            "relaxed_by": const(None),
            "kind_plugin": const(None),
        }
    ).cast(CHECK_SCHEMA)


def integrity_checks(
    rejected: pa.Table, frame: pa.Table, plugin_problems: Sequence[PluginInfo], version: str
) -> pa.Table:
    """The ``input_integrity`` checks of every county of ``frame`` (``_county``,
    ``county_code``, ``year``) that has rejected rows or may be governed by a failed plugin."""
    parts = []
    if rejected.num_rows:
        where, where_zh = _where(rejected), _where(rejected, "zh")
        # Rows charged to their own county: same code, and same year where the row has one.
        readable = pc.is_valid(rejected.column("county_code"))
        own = rejected.filter(readable)
        own = own.append_column("where", pc.filter(where, readable))
        own = own.append_column("where_zh", pc.filter(where_zh, readable))
        keys = frame.select(["_county", "county_code", "year"]).rename_columns(
            ["_county", "county_code", "key_year"]
        )
        charged = own.join(keys, "county_code", use_threads=False)
        same_year = pc.or_(
            pc.is_null(charged.column("year")),
            pc.fill_null(pc.equal(charged.column("year"), charged.column("key_year")), True),
        )
        # A row whose year is none of its county's years (a mistyped year, rejected for
        # it) is charged to every year of its county: it belongs to one of them.
        placed = pc.unique(pc.filter(charged.column("_row"), same_year))
        astray = pc.invert(pc.is_in(charged.column("_row"), placed))
        charged = charged.filter(pc.or_(same_year, astray)).select(["_county", "_row", "where", "where_zh"])
        unread = rejected.filter(pc.is_null(rejected.column("county_code")))
        if unread.num_rows:
            unreadable = pc.is_null(rejected.column("county_code"))
            unread_where = pc.filter(where, unreadable)
            unread_where_zh = pc.filter(where_zh, unreadable)
            every = pc.unique(frame.column("_county"))
            n_keys, n_rows = len(every), unread.num_rows
            tile = min(n_rows, _SHOWN)  # one shown location per unread row is enough for each county
            idx_key = pa.array(np.repeat(np.arange(n_keys), tile), pa.int64())
            idx_row = pa.array(np.tile(np.arange(tile), n_keys), pa.int64())
            marked = pc.binary_join_element_wise(
                pc.take(unread_where, idx_row), pa.scalar("(county code unreadable)"), " "
            )
            marked_zh = pc.binary_join_element_wise(
                pc.take(unread_where_zh, idx_row), pa.scalar("(县区代码无法识别)"), ""
            )
            charged = pa.concat_tables(
                [
                    charged,
                    pa.table(
                        {
                            "_county": pc.take(every, idx_key),
                            "_row": pc.take(unread.column("_row"), idx_row),
                            "where": marked,
                            "where_zh": marked_zh,
                        }
                    ),
                ]
            )
            extra_counts = n_rows - tile
        else:
            extra_counts = 0
        if charged.num_rows:
            grouped = charged.group_by("_county", use_threads=False).aggregate(
                [("_row", "count"), ("where", "list"), ("where_zh", "list")]
            )
            counts = pc.add(grouped.column("_row_count"), extra_counts)
            shown = pc.list_slice(grouped.column("where_list"), 0, _SHOWN)
            shown_zh = pc.list_slice(grouped.column("where_zh_list"), 0, _SHOWN)
            listing, listing_zh = pc.binary_join(shown, ", "), pc.binary_join(shown_zh, ",")
            reasons = pc.if_else(
                pc.greater(counts, pc.list_value_length(shown)),
                coded_array("rejected_rows_more", counts, listing, listing_zh),
                coded_array("rejected_rows", counts, listing, listing_zh),
            )
            parts.append(
                _check_rows(
                    grouped.column("_county").combine_chunks(),
                    REJECTED_ID,
                    ("输入数据行均已采用", "every input row used"),
                    counts,
                    reasons,
                    version,
                )
            )
    if plugin_problems:
        every = pc.unique(frame.column("_county"))
        names = "; ".join(p.message("en") for p in plugin_problems)
        names_zh = ";".join(p.message("zh") for p in plugin_problems)
        text = coded("plugins_failed", len(plugin_problems), names, names_zh)
        parts.append(
            _check_rows(
                every,
                PLUGINS_ID,
                ("省市规则插件均已加载", "every rule plugin loaded"),
                pa.repeat(pa.scalar(float(len(plugin_problems))), len(every)),
                pa.repeat(pa.scalar(text), len(every)),
                version,
            )
        )
    if not parts:
        return CHECK_SCHEMA.empty_table()
    return pa.concat_tables(parts)


def missing_rule_set_checks(frame: pa.Table, missing: Sequence[KnownRuleSet], version: str) -> pa.Table:
    """``inputs.rule_sets.<plugin>`` on every county in the jurisdiction of a province or city
    rule set of the eduscore project that is not installed: judged by national rules only,
    such a county is not certified until the plugin is installed or switched off on purpose."""
    parts = []
    by_plugin: dict[str, list[KnownRuleSet]] = {}
    for k in missing:
        by_plugin.setdefault(k.plugin, []).append(k)
    codes = frame.column("county_code")
    for plugin, known in by_plugin.items():
        hit = None
        for k in known:
            mine = pc.fill_null(pc.starts_with(codes, k.jurisdiction), False)
            hit = mine if hit is None else pc.or_(hit, mine)
        keys = pc.filter(frame.column("_county"), hit)
        if not len(keys):
            continue
        first = known[0]
        where = ", ".join(k.jurisdiction for k in known)
        text = coded(
            "rule_set_missing",
            first.place_en,
            where,
            repr(plugin),
            first.distribution,
            plugin,
            first.place_zh,
        )
        parts.append(
            _check_rows(
                pc.unique(keys),
                f"{RULE_SETS_ID}.{plugin}",
                (f"适用{first.place_zh}的评估规则", f"the rules of {first.place_en} applied"),
                pa.repeat(pa.scalar(1.0), len(pc.unique(keys))),
                pa.repeat(pa.scalar(text), len(pc.unique(keys))),
                version,
            )
        )
    return pa.concat_tables(parts) if parts else CHECK_SCHEMA.empty_table()


def switched_off_findings(names: Sequence[tuple[str, str, str]]) -> pa.Table:
    """A notice for each plugin switched off on purpose, ``(name, why_zh, why_en)``: its rules
    are not applied, and the result says so."""
    if not names:
        return validate.empty()
    k = len(names)
    return validate.findings(
        validate.Where("plugins", "(installed plugins)"),
        pa.array([0] * k, pa.int64()),
        "(plugin)",
        pa.array([n for n, _, _ in names], pa.string()),
        pa.array([True] * k),
        "plugin_switched_off",
        pa.array([zh for _, zh, _ in names], pa.string()),
        pa.array([en for _, _, en in names], pa.string()),
    )


def plugin_findings(plugin_problems: Sequence[PluginInfo]) -> pa.Table:
    """One finding per failed plugin (table ``plugins``), in the result's findings."""
    if not plugin_problems:
        return validate.empty()
    k = len(plugin_problems)
    return validate.findings(
        validate.Where("plugins", "(installed plugins)"),
        pa.array([0] * k, pa.int64()),
        "(plugin)",
        pa.array([p.name for p in plugin_problems], pa.string()),
        pa.array([True] * k),
        "plugin_failed",
        pa.array([p.message("zh") for p in plugin_problems], pa.string()),
        pa.array([p.message("en") for p in plugin_problems], pa.string()),
    )


#: An indicator value this many times its (minimum) threshold is more likely a unit slip
#: (元 under a 万元 header: × 10,000) than a school that rich.
UNUSUAL_FACTOR = 50.0


def unusual_indicators(units: pa.Table, fw: Framework, table: str) -> pa.Table:
    """A warning for each unit whose indicator value is over :data:`UNUSUAL_FACTOR` times its
    minimum threshold: such a value passes silently, and is nearly always a unit mistake."""
    parts = []
    levels = units.column("level") if "level" in units.column_names else None
    for ind in fw.indicators:
        if ind.threshold is None or ind.comparator not in (">=", ">") or ind.id not in units.column_names:
            continue
        th = ind.threshold
        if th.formula or th.by_school_type:
            continue
        limit: pa.Array | pa.ChunkedArray | pa.Scalar
        if th.by_level and levels is not None:
            limit = pa.scalar(None, pa.float64())
            for level, v in th.by_level.items():
                limit = pc.if_else(pc.equal(levels, level), pa.scalar(float(v)), limit)
            if th.value is not None:
                limit = pc.fill_null(limit, float(th.value))
        elif th.value is not None:
            limit = pa.scalar(float(th.value))
        else:
            continue
        value = units.column(ind.id)
        high = pc.fill_null(pc.greater(value, pc.multiply(limit, UNUSUAL_FACTOR)), False)
        high = pc.and_(high, pc.fill_null(pc.greater(limit, 0.0), False))
        if not pc.any(high).as_py():
            continue
        parts.append(
            validate.findings(
                validate.Where(table, ""),
                units.column("_row"),
                ind.id,
                value,
                high,
                "unusual_indicator",
                f"{ind.name.zh} 超过标准的 {UNUSUAL_FACTOR:.0f} 倍:单位是否有误(元/万元)?",
                f"{ind.name.en} over {UNUSUAL_FACTOR:.0f} times its threshold: a unit mistake (元/万元)?",
            )
        )
    return validate.concat(parts)
