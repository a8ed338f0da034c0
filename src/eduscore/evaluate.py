"""``eduscore.evaluate``: read → prepare → score → result, for all counties at once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import validate
from .errors import InputError
from .framework import Framework, InputColumn, load_framework
from .overlay import assign_chains, rule_sets_for, with_rule_sets
from .plugins import get_registry
from .prepare import (
    add_missing_columns,
    apply_scope,
    drop_rejected,
    long_sections,
    normalise,
    reject_duplicates,
    split_by_level,
)
from .read import Limits, Loaded, TableLike, load_table
from .result import Result, ScoredPart, build_result
from .score import Engine


def evaluate(
    schools: TableLike | None = None,
    counties: TableLike | None = None,
    kindergartens: TableLike | None = None,
    *,
    framework: str | Path | Framework | Mapping[str, Any] = "quality-balance-2017",
    year: int | None = None,
    options: Mapping[str, bool] | None = None,
    relaxations: Iterable[str] = (),
    county: str | None = None,
    adjust: Callable[[str, pa.Table], pa.Table] | None = None,
    limits: Limits | None = None,
) -> Result:
    """Evaluate every county in the inputs against one framework.

    ``schools`` (wide, one row per school, or long, one row per section with a
    ``level`` column), ``counties`` and ``kindergartens`` may each be a pyarrow Table,
    a pandas DataFrame or a path to a CSV / Parquet / Feather file; headers may be the
    contract's English names or their Chinese aliases. ``framework`` is a built-in id,
    a path to a framework JSON document, or a :class:`Framework`. ``year`` fills in
    the year where the data do not carry one. ``options`` switches named preparation
    steps of the framework on or off; ``relaxations`` enables named relaxations.
    ``limits`` (:class:`eduscore.read.Limits`) bounds what the readers accept.

    >>> import eduscore
    >>> result = eduscore.evaluate(**eduscore.demo_inputs())
    >>> result.verdicts.column_names[:3]
    ['county_code', 'year', 'county_name']
    """
    fw = load_framework(framework)
    given = {"schools": schools, "counties": counties, "kindergartens": kindergartens}
    needed = {"counties", "schools" if fw.unit == "sections" else "kindergartens"}
    if all(given[name] is None for name in needed):
        raise InputError(f"{fw.id} needs {' and '.join(sorted(needed))}; nothing was given")
    finding_parts: list[pa.Table] = []
    header_problems: list[str] = []
    inputs: dict[str, tuple[int, str]] = {}
    unused: dict[str, tuple[int, str]] = {}
    tables: dict[str, pa.Table] = {}
    # Input columns the framework and its registered rule sets declare (types, Chinese headers).
    declared = [
        *fw.inputs,
        *(InputColumn(**c) for rs in rule_sets_for(fw.id) for c in rs.document.get("inputs", ())),
    ]
    extra_cols = {c.name: c.column() for c in declared}
    table_of = {c.name: c.table for c in declared}
    filtered: dict[str, int] = {}
    if county is not None and not re.fullmatch(r"\d{2}(\d{2}(\d{2})?)?", county):
        raise InputError(
            f"--county {county!r}: give a GB/T 2260 code or prefix of 2, 4 or 6 digits, e.g. 330482"
        )
    for name, obj in given.items():
        if obj is None:
            continue
        try:
            loaded = load_table(obj, name, limits)
        except InputError as exc:  # report every unusable input at once, not only the first
            header_problems.append(str(exc))
            continue
        if county is not None and len(county) == 6:
            loaded = _with_county_code(loaded, county)
        if name not in needed:
            unused[name] = (loaded.table.num_rows, loaded.label)
            continue
        role = name
        if name == "schools" and _is_long(loaded.table):
            role = "sections"
        table_extra = {k: v for k, v in extra_cols.items() if table_of[k] in (role, name)}
        try:
            t, found = normalise(loaded, role, table_extra)
        except InputError as exc:
            header_problems.append(str(exc))
            continue
        if county is not None:
            keep = pc.fill_null(pc.starts_with(t.column("county_code"), county), False)
            kept_rows = pc.filter(t.column("_row"), keep)
            header = pc.equal(found.column("column"), "(header)")
            found = found.filter(pc.or_(header, pc.is_in(found.column("row"), kept_rows)))
            filtered[name] = t.num_rows - int(pc.sum(pc.cast(keep, pa.int64())).as_py() or 0)
            t = t.filter(keep)
        keys = {
            "schools": ["school_id", "year"],
            "sections": ["school_id", "level", "year"],
            "counties": ["county_code", "year"],
            "kindergartens": ["kindergarten_id", "year"],
        }[role]
        # Duplicates are found among all data rows (a second row with the same id is reported
        # even when the first one is rejected for another reason), totals rows aside.
        t = _with_year(t, year)
        totals = found.filter(pc.equal(found.column("rule"), "totals_row"))
        t, dupes = reject_duplicates(
            drop_rejected(t, totals), keys, validate.Where(role, loaded.source, loaded.sheet)
        )
        t = drop_rejected(t, found)
        if adjust is not None:
            t = adjust(role, t)
        finding_parts += [found, dupes]
        inputs[name] = (loaded.table.num_rows, loaded.label)
        tables[role] = t
    if header_problems:
        raise InputError("\n".join(header_problems))
    _share_year(tables)
    # Units: school sections (split from the wide form) or kindergartens.
    if fw.unit == "sections":
        unit_table = "schools"
        if "schools" in tables:
            units = split_by_level(tables["schools"], fw, keep=extra_cols)
        elif "sections" in tables:
            units = long_sections(tables["sections"])
        else:
            units = _empty_units()
    else:
        unit_table = "kindergartens"
        units = tables.get("kindergartens", _empty_units())
        if "kindergarten_id" in units.column_names:
            units = units.append_column("unit_id", units.column("kindergarten_id"))
    if "section_id" in units.column_names:
        units = units.append_column("unit_id", units.column("section_id"))
    units = _add_key(units)
    frame = _county_frame(units, tables.get("counties"))
    # Each county is judged by the national framework overlaid by its province's, city's
    # and own rule sets: score every distinct chain of rule sets once, over its counties.
    chain_keys, chains = assign_chains(frame, fw.id)
    frame = frame.append_column("_chain", chain_keys)
    effective = {key: with_rule_sets(fw, chain) for key, chain in sorted(chains.items())} or {"": fw}
    _check_names(effective.values(), options or {}, relaxations)
    steps = get_registry().preparation_steps()
    parts: list[ScoredPart] = []
    missing: set[str] = set()
    for key, fw_c in effective.items():
        counties_c = frame.filter(pc.equal(frame.column("_chain"), key)) if chains else frame
        units_c = units.filter(pc.is_in(units.column("_county"), counties_c.column("_county")))
        chosen = _options(fw_c, options)
        for opt in fw_c.options:
            if chosen[opt.id]:
                units_c = steps[opt.id].function(units_c)
        units_c, added_units = add_missing_columns(units_c, fw_c.column_kinds(fw_c.unit))
        counties_c, added_counties = add_missing_columns(counties_c, fw_c.column_kinds("counties"))
        missing |= set(added_units) | set(added_counties)
        units_c = apply_scope(units_c, fw_c)
        scored = Engine(fw_c, tuple(relaxations)).run(units_c, counties_c)
        parts.append(ScoredPart(fw_c, scored, counties_c))
    return build_result(
        fw,
        parts=parts,
        findings=validate.concat(finding_parts),
        inputs=inputs,
        unused=unused,
        filtered=filtered,
        unit_table=unit_table,
        options=_options(fw, {k: v for k, v in (options or {}).items() if k in {o.id for o in fw.options}}),
        relaxations=tuple(relaxations),
        missing_columns=sorted(missing),
    )


def _check_names(
    frameworks: Iterable[Framework], options: Mapping[str, bool], relaxations: Iterable[str]
) -> None:
    """Unknown option or relaxation names are errors (a typo must not silently do nothing)."""
    fws = list(frameworks)
    known_options = {o.id for f in fws for o in f.options}
    known_relax = {r.id for f in fws for r in f.rules_of("relaxation")}
    for kind, given, known in (
        ("option", set(options), known_options),
        ("relaxation", set(relaxations), known_relax),
    ):
        unknown = sorted(given - known)
        if unknown:
            raise InputError(
                f"unknown {kind}(s) {', '.join(unknown)} for {fws[0].id}; "
                f"known: {', '.join(sorted(known)) or 'none'}"
            )


def _options(fw: Framework, options: Mapping[str, bool] | None) -> dict[str, bool]:
    chosen = {o.id: o.default for o in fw.options}
    for key, value in (options or {}).items():
        if key not in chosen:
            raise InputError(f"unknown option {key!r} for {fw.id}; known: {', '.join(chosen) or 'none'}")
        chosen[key] = bool(value)
    return chosen


def _with_county_code(loaded: Loaded, county: str) -> Loaded:
    """A single-county bureau file often has no 县区代码 column: give it the county's code."""
    headers = {str(h).strip() for h in loaded.table.column_names}
    if headers & {"county_code", "县区代码"}:
        return loaded
    table = loaded.table.append_column("county_code", pa.array([county] * loaded.table.num_rows, pa.string()))
    return Loaded(table, loaded.source, loaded.header_rows, loaded.sheet)


def _is_long(t: pa.Table) -> bool:
    names = {str(n).strip() for n in t.column_names}
    return "level" in names or "学段" in names


def _with_year(t: pa.Table, year: int | None) -> pa.Table:
    if "year" not in t.column_names:
        t = t.append_column("year", pa.nulls(t.num_rows, pa.float64()))
    if year is not None:
        t = t.set_column(t.column_names.index("year"), "year", pc.fill_null(t.column("year"), float(year)))
    return t


def _share_year(tables: dict[str, pa.Table]) -> None:
    """A table without years takes the single year of the others, if there is exactly one."""
    years: set[float] = set()
    for t in tables.values():
        years |= {y for y in pc.unique(t.column("year")).to_pylist() if y is not None}
    if len(years) != 1:
        return
    (only,) = years
    for name, t in tables.items():
        tables[name] = t.set_column(
            t.column_names.index("year"), "year", pc.fill_null(t.column("year"), only)
        )


def _add_key(t: pa.Table) -> pa.Table:
    """``_county``: county code and year in one string, so that joins never meet null keys."""
    if "county_code" not in t.column_names:
        t = t.append_column("county_code", pa.nulls(t.num_rows, pa.string()))
    if "year" not in t.column_names:
        t = t.append_column("year", pa.nulls(t.num_rows, pa.float64()))
    year_text = pc.fill_null(pc.cast(pc.cast(t.column("year"), pa.int64()), pa.string()), "")
    key = pc.binary_join_element_wise(t.column("county_code"), year_text, "|")
    return t.append_column("_county", key)


def _empty_units() -> pa.Table:
    return pa.table(
        {
            "county_code": pa.array([], pa.string()),
            "year": pa.array([], pa.float64()),
            "unit_id": pa.array([], pa.string()),
            "_row": pa.array([], pa.int64()),
        }
    )


def _county_frame(units: pa.Table, counties: pa.Table | None) -> pa.Table:
    """One row per county × year found in any input, with the county facts joined on."""
    keys = units.select(["_county", "county_code", "year"])
    if "county_name" in units.column_names:
        keys = keys.append_column("county_name", units.column("county_name"))
    else:
        keys = keys.append_column("county_name", pa.nulls(units.num_rows, pa.string()))
    keys = (
        keys.group_by("_county", use_threads=False)
        .aggregate([("county_code", "min"), ("year", "min"), ("county_name", "min")])
        .rename_columns(["_county", "county_code", "year", "county_name"])
    )
    if counties is not None:
        counties = _add_key(counties)
        if "county_name" not in counties.column_names:
            counties = counties.append_column("county_name", pa.nulls(counties.num_rows, pa.string()))
        from_units = keys.filter(pc.invert(pc.is_in(keys.column("_county"), counties.column("_county"))))
        facts = counties.drop_columns(["_row"])
        frame = pa.concat_tables([facts, from_units], promote_options="permissive")
    else:
        frame = keys
    return frame.sort_by("_county")
