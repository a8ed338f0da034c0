"""History and monitoring alerts (预警) of many counties over the years (issue #15 item 2).

:func:`history` reads an archive of results (:mod:`eduscore.archive`: a hive-partitioned
Parquet dataset, ``DIR/<table>/framework=<id>/year=<yyyy>/<run_id>.parquet``) or a
sequence of :class:`~eduscore.result.Result` objects, and gives per county and framework:

- ``verdicts`` — county × year: verdict, grade, counts, and the previous year's verdict;
- ``cv`` — county × level × indicator × year: CV, limit, status and the change since the
  county's previous year (the same table :func:`eduscore.compare_years` gives, with the
  framework: both are :func:`eduscore.planning.whatif.cv_by_year`);
- ``changes`` — county × check × year: every check whose state changed since the county's
  previous year (:data:`CHANGES`);
- ``alerts`` — for each county certified in an earlier year, each check that fails or is
  not assessed in a later year (:data:`ALERT_STATUSES`);
- ``counties`` — one row per county and framework: its years, the first year it was
  certified, its latest verdict and its alerts.

"Previous year" is always the county's own previous evaluated year of that framework (a
county evaluated in 2022 and 2024 compares 2024 with 2022). Everything is computed on
whole Arrow tables — joins and group-bys over all counties at once, never a loop per
county or per row.

Which counties: ``county`` is one exact county code (six digits, GB/T 2260);
``province`` is a code prefix of two digits (a province) or four (a prefecture/city):
the counties whose codes start with it. Nothing matching is an error (``InputError``),
never an empty report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import eduscore.archive as archive_module
from eduscore.errors import InputError
from eduscore.planning.whatif import cv_by_year, previous_years, with_previous
from eduscore.result import Result

#: Statuses that raise a monitoring alert in a county certified in an earlier year: a
#: failing check, and a check that could not be assessed (missing data is never a pass).
#: A basic pass (graded frameworks) is no alert; an ``info`` row is no check.
ALERT_STATUSES = ("fail", "not_assessed", "not_computable")

#: The kinds of change of a check from the county's previous year to this one. Statuses
#: are compared by class: pass; basic pass; fail; not assessed (``not_assessed`` and
#: ``not_computable``); absent (no such check that year). Rows whose class did not
#: change are not listed.
CHANGES: dict[str, str] = {
    "started_passing": "passes now; did not pass before (failed, basic pass or not assessed)",
    "stopped_passing": "passed before; now fails or is only a basic pass",
    "started_failing": "fails now; before it was a basic pass or not assessed",
    "reached_basic_pass": "a basic pass now; before it failed or was not assessed",
    "no_longer_assessed": "not assessed now (data missing); before it passed, was a basic pass or failed",
    "new_check": "checked now, not checked in the previous year (status says how it came out)",
    "dropped_check": "checked in the previous year, not now",
}

_KEYS = ["county_code", "framework"]
_VERDICT_SCHEMA = pa.schema(
    [
        ("county_code", pa.string()),
        ("county_name", pa.string()),
        ("framework", pa.string()),
        ("year", pa.int64()),
        ("verdict", pa.string()),
        ("grade", pa.string()),
        ("n_pass", pa.int64()),
        ("n_fail", pa.int64()),
        ("n_not_assessed", pa.int64()),
    ]
)
_CHECK_SCHEMA = pa.schema(
    [
        ("county_code", pa.string()),
        ("framework", pa.string()),
        ("year", pa.int64()),
        ("check_id", pa.string()),
        ("level", pa.string()),
        ("name_zh", pa.string()),
        ("name_en", pa.string()),
        ("status", pa.string()),
        ("value", pa.float64()),
        ("threshold", pa.float64()),
        ("comparator", pa.string()),
        ("reason", pa.string()),
        ("reason_zh", pa.string()),
    ]
)
_CV_SCHEMA = pa.schema(
    [
        ("county_code", pa.string()),
        ("framework", pa.string()),
        ("level", pa.string()),
        ("indicator", pa.string()),
        ("year", pa.int64()),
        ("cv", pa.float64()),
        ("limit", pa.float64()),
        ("status", pa.string()),
    ]
)
_SCHEMAS = {"verdicts": _VERDICT_SCHEMA, "checks": _CHECK_SCHEMA, "dispersion": _CV_SCHEMA}

#: The columns of :attr:`History.changes` and :attr:`History.alerts`, in order.
CHANGE_COLUMNS = (
    "county_code",
    "framework",
    "year",
    "previous_year",
    "check_id",
    "level",
    "name_zh",
    "name_en",
    "previous_status",
    "status",
    "change",
    "previous_value",
    "value",
    "threshold",
)
ALERT_COLUMNS = (
    "county_code",
    "county_name",
    "framework",
    "certified_year",
    "year",
    "verdict",
    "check_id",
    "level",
    "name_zh",
    "name_en",
    "status",
    "previous_status",
    "value",
    "comparator",
    "threshold",
    "reason",
    "reason_zh",
)


@attrs.frozen
class History:
    """Counties over the years (see the module): Arrow tables, sorted by county,
    framework and year."""

    verdicts: pa.Table
    cv: pa.Table
    changes: pa.Table
    alerts: pa.Table
    counties: pa.Table
    #: Where the data came from: the archive folder, or "results".
    source: str = ""

    @property
    def years(self) -> list[int]:
        """The years of the history, ascending."""
        return sorted(y for y in pc.unique(self.verdicts.column("year")).to_pylist() if y is not None)

    @property
    def frameworks(self) -> list[str]:
        """The frameworks of the history."""
        return sorted(pc.unique(self.verdicts.column("framework")).to_pylist())


def history(
    source: str | Path | Result | Sequence[Result],
    *,
    county: str | None = None,
    province: str | None = None,
    framework: str | None = None,
) -> History:
    """The history of the counties of an archive folder (or of results): verdicts, CVs and
    changes by year, and the monitoring alerts of counties certified in an earlier year.

    ``county``: one exact county code; ``province``: a 2-digit province (or 4-digit
    prefecture) code prefix; ``framework``: one framework id (default: every framework
    found). An archive that does not exist or holds nothing, or no county matching,
    raises :class:`~eduscore.errors.InputError`.

    >>> import eduscore
    >>> h = history([eduscore.evaluate(**eduscore.demo_inputs())])
    >>> h.counties.column("latest_verdict").to_pylist(), h.alerts.num_rows
    (['not_certified'], 0)
    """
    if county is not None and province is not None:
        raise InputError(
            "give either a county or a province, not both", zh="请只指定县(--county)或省(--province)之一"
        )
    prefix = _prefix(province) if province is not None else None
    if county is not None:
        county = str(county).strip()
        if not re.fullmatch(r"\d{6}", county):
            raise InputError(
                f"county {county!r}: a county code has six digits (GB/T 2260), e.g. 330482; "
                "--province takes a 2- or 4-digit prefix",
                zh=f"县代码 {county!r}:县代码为六位数字(GB/T 2260),如 330482;"
                "省或地市请用 --province(两位或四位)",
            )
    if isinstance(source, str | Path):
        folder = Path(source)
        tables = _from_archive(folder, framework)
        where = str(folder)
    else:
        results = [source] if isinstance(source, Result) else list(source)
        if not results:
            raise InputError("no results to make a history of", zh="没有可用于历史比较的评估结果")
        tables = _from_results(results, framework)
        where = "results"
    tables = {name: _only(t, county, prefix) for name, t in tables.items()}
    if tables["verdicts"].num_rows == 0:
        what = (
            f"county {county}"
            if county is not None
            else f"province {province}"
            if province is not None
            else "any county"
        )
        what_zh = (
            f"县代码 {county}"
            if county is not None
            else f"省代码 {province}"
            if province is not None
            else "任何县"
        )
        fw = f" (framework {framework})" if framework else ""
        fw_zh = f"(框架 {framework})" if framework else ""
        raise InputError(
            f"{where}: no evaluation of {what}{fw} in it",
            zh=f"{where}:其中没有{what_zh}{fw_zh}的评估结果",
        )
    return _history(tables["verdicts"], tables["checks"], tables["dispersion"], where)


# ---------------------------------------------------------------------------------------
# Reading


def _prefix(province: str) -> str:
    code = str(province).strip()
    if not re.fullmatch(r"\d{2}|\d{4}", code):
        raise InputError(
            f"--province {province}: give a 2-digit province code (e.g. 33) or a 4-digit city code",
            zh=f"--province {province}:请给出两位省级代码(如 33)或四位地市代码",
        )
    return code


def _only(t: pa.Table, county: str | None, prefix: str | None) -> pa.Table:
    if county is not None:
        return t.filter(pc.equal(t.column("county_code"), county))
    if prefix is not None:
        return t.filter(pc.starts_with(t.column("county_code"), prefix))
    return t


def _conform(t: pa.Table, schema: pa.Schema) -> pa.Table:
    """``t``'s columns of ``schema``, cast to it (dictionaries decoded); a column the
    table lacks is null."""
    columns = []
    for field in schema:
        if field.name in t.column_names:
            column = t.column(field.name)
            if pa.types.is_dictionary(column.type):
                column = pc.cast(column, column.type.value_type)
            columns.append(pc.cast(column, field.type))
        else:
            columns.append(pa.nulls(t.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _from_results(results: Sequence[Result], framework: str | None) -> dict[str, pa.Table]:
    """The tables of several results, with their framework; a later result replaces an
    earlier one of the same county, framework and year (as the archive does)."""
    parts: dict[str, list[pa.Table]] = {name: [] for name in _SCHEMAS}
    for order, r in enumerate(results):  # a few results, each a whole table
        if framework is not None and r.framework.id != framework:
            continue
        for name in _SCHEMAS:
            t = getattr(r, name)
            if "framework" in t.column_names:
                t = t.drop_columns(["framework"])
            t = t.append_column("framework", pa.array([r.framework.id] * t.num_rows, pa.string()))
            t = _conform(t, _SCHEMAS[name])
            parts[name].append(t.append_column("_run", pa.array([order] * t.num_rows, pa.int64())))
    tables = {
        name: pa.concat_tables(ts)
        if ts
        else _SCHEMAS[name].append(pa.field("_run", pa.int64())).empty_table()
        for name, ts in parts.items()
    }
    # The latest result of each county × framework × year, for every table.
    latest = (
        tables["verdicts"]
        .group_by([*_KEYS, "year"], use_threads=False)
        .aggregate([("_run", "max")])
        .rename_columns([*_KEYS, "year", "_run"])
    )
    if latest.num_rows == tables["verdicts"].num_rows:  # no county-year twice: nothing to replace
        return {name: t.drop_columns(["_run"]) for name, t in tables.items()}
    return {
        name: t.join(
            latest, keys=[*_KEYS, "year", "_run"], join_type="inner", use_threads=False
        ).drop_columns(["_run"])
        for name, t in tables.items()
    }


def _read(folder: Path, table: str, framework: str | None) -> pa.Table:
    """One result table of the archive (:func:`eduscore.archive.read`: the latest run of
    each county × framework × year, ``framework`` and ``year`` as plain columns)."""
    out: pa.Table = archive_module.read(folder, table, framework=framework)
    return out


def _from_archive(folder: Path, framework: str | None) -> dict[str, pa.Table]:
    if folder.exists() and not folder.is_dir():
        raise InputError(
            f"{folder}: a file, not an archive folder (give the folder eduscore evaluate … --archive wrote)",
            zh=f"{folder}:这是一个文件,不是归档文件夹(请给出 eduscore evaluate … --archive 写入的文件夹)",
        )
    if not folder.is_dir():
        raise InputError(
            f"{folder}: no such archive folder (eduscore evaluate … --archive {folder} makes one)",
            zh=f"{folder}:没有这个归档文件夹(可用 eduscore evaluate … --archive {folder} 建立)",
        )
    empty = next(folder.iterdir(), None) is None
    tables = {name: _read(folder, name, framework) for name in _SCHEMAS} if not empty else {}
    if empty or tables["verdicts"].num_rows == 0:
        fw = f" of framework {framework}" if framework else ""
        fw_zh = f"框架 {framework} 的" if framework else ""
        raise InputError(
            f"{folder}: the archive holds no results{fw}",
            zh=f"{folder}:归档中没有{fw_zh}评估结果",
        )
    out = {name: _conform(t, _SCHEMAS[name]) for name, t in tables.items()}
    twice = (
        out["verdicts"]
        .group_by([*_KEYS, "year"], use_threads=False)
        .aggregate([("county_code", "count")])
        .filter(pc.greater(pc.field("county_code_count"), 1))
    )
    if twice.num_rows:
        first = twice.slice(0, 1).to_pylist()[0]
        raise InputError(
            f"{folder}: the archive holds {first['county_code_count']} runs of county "
            f"{first['county_code']}, {first['framework']}, {first['year']} ({twice.num_rows} such); "
            "an archive keeps one — re-archive that county",
            zh=f"{folder}:归档中县 {first['county_code']}({first['framework']},{first['year']} 年)"
            f"有 {first['county_code_count']} 次评估结果(共 {twice.num_rows} 处);归档应只保留一次,请重新归档",
        )
    return out


# ---------------------------------------------------------------------------------------
# The history


def _history(verdicts: pa.Table, checks: pa.Table, dispersion: pa.Table, source: str) -> History:
    verdicts = with_previous(verdicts, [*_KEYS], ["verdict"], by=_KEYS).sort_by(_order("year"))
    cv = cv_by_year(dispersion, _KEYS, by=_KEYS)
    checks = checks.filter(pc.invert(pc.fill_null(pc.equal(checks.column("status"), "info"), False)))
    changes = _changes(checks, verdicts)
    alerts = _alerts(checks, verdicts, changes)
    counties = _counties(verdicts, alerts)
    return History(
        verdicts=verdicts,
        cv=cv,
        changes=changes,
        alerts=alerts,
        counties=counties,
        source=source,
    )


def _order(*more: str) -> list[tuple[str, str]]:
    return [(c, "ascending") for c in [*_KEYS, *more]]


def _status_class(status: pa.ChunkedArray | pa.Array) -> Any:
    """pass / basic_pass / fail / unknown (not assessed or not computable) / absent (null)."""
    unknown = pc.is_in(status, pa.array(["not_assessed", "not_computable"]))
    return pc.if_else(pc.fill_null(unknown, False), pa.scalar("unknown"), status)


def _changes(checks: pa.Table, verdicts: pa.Table) -> pa.Table:
    """Every check whose status class changed since the county's previous year, with the
    checks present in only one of the two years (:data:`CHANGES`)."""
    years = previous_years(verdicts, _KEYS)  # each county's years and the one before each
    # The joins carry only keys, statuses, values and row numbers; names are taken after.
    narrow = checks.select([*_KEYS, "year", "check_id", "status", "value"]).append_column(
        "_row", pa.array(np.arange(checks.num_rows, dtype=np.int64))
    )
    now = narrow.join(years, keys=[*_KEYS, "year"], join_type="inner", use_threads=False)
    now = now.filter(pc.is_valid(now.column("previous_year")))
    before = narrow.rename_columns(
        [*_KEYS, "previous_year", "check_id", "previous_status", "previous_value", "_previous_row"]
    ).join(
        years.rename_columns([*_KEYS, "year", "previous_year"]).filter(
            pc.is_valid(years.column("previous_year"))
        ),
        keys=[*_KEYS, "previous_year"],
        join_type="inner",
        use_threads=False,
    )
    both = now.join(
        before, keys=[*_KEYS, "year", "previous_year", "check_id"], join_type="full outer", use_threads=False
    )
    was, now_is = _status_class(both.column("previous_status")), _status_class(both.column("status"))
    absent_before, absent_now = pc.is_null(was), pc.is_null(now_is)
    passes, passed = pc.equal(now_is, "pass"), pc.equal(was, "pass")
    cases = {
        "dropped_check": absent_now,
        "new_check": absent_before,
        "": pc.equal(was, now_is),  # the same class: no change
        "started_passing": passes,
        "no_longer_assessed": pc.equal(now_is, "unknown"),
        "stopped_passing": passed,
        "started_failing": pc.equal(now_is, "fail"),
        "reached_basic_pass": pc.equal(now_is, "basic_pass"),
    }
    conditions = pc.make_struct(
        *(pc.fill_null(c, False) for c in cases.values()), field_names=[f"c{i}" for i in range(len(cases))]
    )
    change = pc.case_when(conditions, *(pa.scalar(k or None, pa.string()) for k in cases))
    both = both.append_column("change", change)
    out = both.filter(pc.is_valid(both.column("change")))
    # Names and level from this year's row, or the previous year's for a dropped check;
    # the threshold this year's.
    row = pc.coalesce(out.column("_row"), out.column("_previous_row"))
    for col in ("level", "name_zh", "name_en"):
        out = out.append_column(col, checks.column(col).take(row))
    out = out.append_column("threshold", checks.column("threshold").take(out.column("_row")))
    return out.select(list(CHANGE_COLUMNS)).sort_by(_order("year", "check_id"))


def _alerts(checks: pa.Table, verdicts: pa.Table, changes: pa.Table) -> pa.Table:
    """The checks failing or not assessed in a year after the county's first certified
    year, with that year, the verdict of the alert's year and the check's previous status."""
    certified = (
        verdicts.filter(pc.equal(verdicts.column("verdict"), "certified"))
        .group_by(_KEYS, use_threads=False)
        .aggregate([("year", "min")])
        .rename_columns([*_KEYS, "certified_year"])
    )
    open_checks = checks.filter(
        pc.fill_null(pc.is_in(checks.column("status"), pa.array(ALERT_STATUSES)), False)
    )
    alerts = open_checks.join(certified, keys=_KEYS, join_type="inner", use_threads=False)
    alerts = alerts.filter(pc.greater(alerts.column("year"), alerts.column("certified_year")))
    alerts = alerts.join(
        verdicts.select([*_KEYS, "year", "county_name", "verdict", "previous_year"]),
        keys=[*_KEYS, "year"],
        join_type="left outer",
        use_threads=False,
    )
    # The status the check had in the county's previous year (null: not checked, or the
    # county's first year).
    before = checks.select([*_KEYS, "year", "check_id", "status"]).rename_columns(
        [*_KEYS, "previous_year", "check_id", "previous_status"]
    )
    alerts = alerts.join(
        before, keys=[*_KEYS, "previous_year", "check_id"], join_type="left outer", use_threads=False
    )
    found = alerts.select(list(ALERT_COLUMNS))
    missing = _missing_years(verdicts, certified, found.schema)
    return pa.concat_tables([found, missing]).sort_by(_order("year", "check_id"))


#: The check id of the alert "no result this year" (:func:`_missing_years`).
NO_RESULT = "no_result"


def _missing_years(verdicts: pa.Table, certified: pa.Table, schema: pa.Schema) -> pa.Table:
    """An alert for each year after a county's first certified year in which the history
    holds results of its framework for other counties but none for it: a certified county
    whose data were left out of a later run never drops out of monitoring in silence."""
    years = verdicts.group_by(["framework", "year"], use_threads=False).aggregate([])
    names = verdicts.group_by(_KEYS, use_threads=False).aggregate([("county_name", "last")])
    later = certified.join(years, ["framework"], join_type="inner", use_threads=False)
    later = later.filter(pc.greater(later.column("year"), later.column("certified_year")))
    have = verdicts.select([*_KEYS, "year"]).append_column(
        "_have", pa.array([True] * verdicts.num_rows, pa.bool_())
    )
    later = later.join(have, [*_KEYS, "year"], join_type="left outer", use_threads=False)
    later = later.filter(pc.is_null(later.column("_have")))
    later = later.join(names, _KEYS, join_type="left outer", use_threads=False)
    n = later.num_rows
    certified_in = pc.cast(later.column("certified_year"), pa.string())
    year = pc.cast(later.column("year"), pa.string())
    columns = {
        "county_code": later.column("county_code"),
        "county_name": later.column("county_name_last"),
        "framework": later.column("framework"),
        "certified_year": later.column("certified_year"),
        "year": later.column("year"),
        "check_id": pa.array([NO_RESULT] * n, pa.string()),
        "name_zh": pa.array(["本年没有评估结果"] * n, pa.string()),
        "name_en": pa.array(["no evaluation this year"] * n, pa.string()),
        "status": pa.array(["not_assessed"] * n, pa.string()),
        "reason": pc.binary_join_element_wise(
            "certified in ", certified_in, "; no result of it in ", year, " (other counties have one)", ""
        ),
        "reason_zh": pc.binary_join_element_wise(
            certified_in, " 年通过认定;", year, " 年其他县有评估结果,该县没有", ""
        ),
    }
    return pa.table(
        {
            f.name: pc.cast(columns[f.name], f.type) if f.name in columns else pa.nulls(n, f.type)
            for f in schema
        }
    )


def _counties(verdicts: pa.Table, alerts: pa.Table) -> pa.Table:
    """One row per county and framework: years, first certified year, latest verdict,
    alerts in all and in the latest year."""
    years = (
        verdicts.group_by(_KEYS, use_threads=False)
        .aggregate([("year", "min"), ("year", "max"), ("year", "count")])
        .rename_columns([*_KEYS, "first_year", "latest_year", "n_years"])
    )
    latest = verdicts.select([*_KEYS, "year", "county_name", "verdict", "grade"]).rename_columns(
        [*_KEYS, "latest_year", "county_name", "latest_verdict", "latest_grade"]
    )
    out = years.join(latest, keys=[*_KEYS, "latest_year"], join_type="left outer", use_threads=False)
    certified = (
        verdicts.filter(pc.equal(verdicts.column("verdict"), "certified"))
        .group_by(_KEYS, use_threads=False)
        .aggregate([("year", "min")])
        .rename_columns([*_KEYS, "first_certified_year"])
    )
    out = out.join(certified, keys=_KEYS, join_type="left outer", use_threads=False)
    n_alerts = (
        alerts.group_by(_KEYS, use_threads=False)
        .aggregate([("check_id", "count")])
        .rename_columns([*_KEYS, "n_alerts"])
    )
    latest_alerts = (
        alerts.select([*_KEYS, "year"])
        .rename_columns([*_KEYS, "latest_year"])
        .group_by([*_KEYS, "latest_year"], use_threads=False)
        .aggregate([("latest_year", "count")])
        .rename_columns([*_KEYS, "latest_year", "n_alerts_latest"])
    )
    out = out.join(n_alerts, keys=_KEYS, join_type="left outer", use_threads=False)
    out = out.join(latest_alerts, keys=[*_KEYS, "latest_year"], join_type="left outer", use_threads=False)
    for col in ("n_alerts", "n_alerts_latest"):
        out = out.set_column(
            out.column_names.index(col), col, pc.cast(pc.fill_null(out.column(col), 0), pa.int64())
        )
    # Joins carry no list column: the years are added last, both tables in key order
    # (one row per county and framework in each).
    listed = (
        verdicts.sort_by(_order("year"))
        .group_by(_KEYS, use_threads=False)
        .aggregate([("year", "list")])
        .sort_by(_order())
    )
    out = out.sort_by(_order()).append_column("years", listed.column("year_list"))
    columns = [
        "county_code",
        "county_name",
        "framework",
        "years",
        "first_year",
        "latest_year",
        "n_years",
        "first_certified_year",
        "latest_verdict",
        "latest_grade",
        "n_alerts",
        "n_alerts_latest",
    ]
    return out.select(columns).sort_by(_order())


def alerts_for(h: History, result: Result) -> pa.Table:
    """The alerts of ``h`` in the counties, years and framework of ``result``: what its
    index shows (``evaluate --archive``: the archive's earlier years tell which of this
    run's counties were certified before) — and the counties of its provinces certified
    before that have no result in its years (:data:`NO_RESULT`), so that a county left out
    of this year's files is said, not dropped from monitoring.

    >>> import eduscore
    >>> r = eduscore.evaluate(**eduscore.demo_inputs())
    >>> alerts_for(history([r]), r).num_rows
    0
    """
    alerts = h.alerts
    keys = pa.table(
        {
            "county_code": pc.cast(result.verdicts.column("county_code"), pa.string()),
            "year": pc.cast(result.verdicts.column("year"), alerts.schema.field("year").type),
        }
    )
    mine = alerts.filter(pc.equal(alerts.column("framework"), result.framework.id))
    joined = mine.join(keys, ["county_code", "year"], join_type="inner", use_threads=False)
    # Counties certified before that this run left out, in its provinces and years: said too.
    provinces = pc.unique(pc.utf8_slice_codeunits(keys.column("county_code"), 0, 2))
    absent = mine.filter(
        pc.and_(
            pc.equal(mine.column("check_id"), NO_RESULT),
            pc.and_(
                pc.is_in(pc.utf8_slice_codeunits(mine.column("county_code"), 0, 2), value_set=provinces),
                pc.is_in(mine.column("year"), value_set=pc.unique(keys.column("year"))),
            ),
        )
    )
    both = pa.concat_tables([joined.select(alerts.column_names), absent.select(alerts.column_names)])
    return both.sort_by(_order("year", "check_id"))
