"""``eduscore.evaluate``: read → prepare → score → result, for all counties at once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eduscore.engine import integrity
from eduscore.engine.assemble import ScoredPart, build_result
from eduscore.engine.kinds import score
from eduscore.engine.memory import give_back
from eduscore.engine.score import Engine
from eduscore.errors import InputError, joined
from eduscore.inputs import validate
from eduscore.inputs.prepare import (
    add_missing_columns,
    apply_scope,
    display_rows,
    drop_rejected,
    long_sections,
    normalise,
    reject_duplicates,
    reject_near_duplicates,
    row_key,
    row_parts,
    school_facts_disagree,
    split_by_level,
)
from eduscore.inputs.read import ROLE_ZH, Limits, Loaded, TableLike, load_tables
from eduscore.model.framework import Framework, InputColumn
from eduscore.model.needs import raw_inputs
from eduscore.plugins.catalog import (
    assign_chains,
    builtin_ids,
    load_framework,
    rule_kinds,
    rule_sets_for,
    with_rule_sets,
)
from eduscore.plugins.registry import get_registry
from eduscore.result import Result


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
    ``limits`` (:class:`eduscore.inputs.read.Limits`) bounds what the readers accept.

    >>> import eduscore
    >>> result = eduscore.evaluate(**eduscore.demo_inputs())
    >>> result.verdicts.column_names[:3]
    ['county_code', 'year', 'county_name']
    """
    fw = load_framework(framework)
    given = {"schools": schools, "counties": counties, "kindergartens": kindergartens}
    unit_role = "schools" if fw.unit == "sections" else "kindergartens"
    needed = {"counties", unit_role}
    if all(given[name] is None for name in needed):
        raise InputError(
            f"{fw.id} needs {' and '.join(sorted(needed))}; nothing was given",
            zh=f"{fw.id} 需要{'和'.join(ROLE_ZH[n] for n in sorted(needed))}表;没有给出",
        )
    other = "kindergartens" if unit_role == "schools" else "schools"
    if given[unit_role] is None and given[other] is not None:
        # A preschool workbook evaluated as quality balance would come out "incomplete" on
        # every item, with its kindergartens unused: say which framework it is for.
        fits = [f for f in builtin_ids() if load_framework(f).unit != fw.unit]
        raise InputError(
            f"{fw.id} reads a {unit_role} table, but the input has {other} and no {unit_role}: "
            f"give the framework with --framework ({' or '.join(fits)})",
            zh=f"{fw.id} 评估的是{ROLE_ZH[unit_role]}表,但输入只有{ROLE_ZH[other]}表:"
            f"请用 --framework 指定评估办法({' 或 '.join(fits)})",
        )
    finding_parts: list[pa.Table] = []
    header_problems: list[InputError] = []
    inputs: dict[str, tuple[int, str]] = {}
    unused: dict[str, tuple[int, str]] = {}
    tables: dict[str, pa.Table] = {}
    registered = rule_sets_for(fw.id)
    # Input columns the framework and its registered rule sets declare (types, Chinese headers).
    declared = [
        *fw.inputs,
        *(InputColumn(**c) for rs in registered for c in rs.document.get("inputs", ())),
    ]
    extra_cols = {c.name: c.column() for c in declared}
    table_of = {c.name: c.table for c in declared}
    # The columns any check may read: a bad value anywhere else only warns.
    used = raw_inputs(fw, relaxations, options, [rs.document for rs in registered], rule_kinds())
    filtered: dict[str, int] = {}
    read_parts: list[tuple[str, str]] = []  # (source, sheet) of every table read, by part number
    row_counties: list[pa.Table] = []  # every data row's county, to charge rejected rows to it
    staged: dict[str, tuple[pa.Table, pa.Table]] = {}  # role → (table, findings) before dropping
    name_of: dict[str, str] = {}  # role → input name (sections come from the schools input)
    if county is not None and not re.fullmatch(r"\d{2}(\d{2}(\d{2})?)?", county):
        raise InputError(
            f"--county {county!r}: give a GB/T 2260 code or prefix of 2, 4 or 6 digits, e.g. 330482",
            zh=f"--county {county!r}:请给出 2、4 或 6 位的行政区划代码或前缀,如 330482",
        )
    for name, obj in given.items():
        if obj is None:
            continue
        try:
            loaded_parts = load_tables(obj, name, limits)
        except InputError as exc:  # report every unusable input at once, not only the first
            header_problems.append(exc)
            continue
        if county is not None and len(county) == 6:
            loaded_parts = [_with_county_code(p, county) for p in loaded_parts]
        label = _labels(loaded_parts)
        if name not in needed:
            unused[name] = (sum(p.table.num_rows for p in loaded_parts), label)
            continue
        role = name
        if name == "schools" and _is_long(loaded_parts[0].table):
            role = "sections"
        table_extra = {k: v for k, v in extra_cols.items() if table_of[k] in (role, name)}
        normalised: list[pa.Table] = []
        found_parts: list[pa.Table] = []
        for loaded in loaded_parts:
            part = len(read_parts)
            read_parts.append((loaded.source, loaded.sheet))
            if role != name and not _is_long(loaded.table):
                header_problems.append(
                    InputError(
                        f"{loaded.label}: a wide schools sheet among long (one row per section) ones; "
                        "use one form for all sheets",
                        zh=f"{loaded.label}:宽表(每校一行)与长表(每学段一行)混用;所有工作表请用同一种格式",
                    )
                )
                continue
            try:
                t_part, found_part = normalise(
                    loaded, role, table_extra, used=used[role], row_base=row_key(part, 0)
                )
            except InputError as exc:
                header_problems.append(exc)
                continue
            normalised.append(t_part)
            found_parts.append(found_part)
        if not normalised:
            continue
        t = (
            pa.concat_tables(normalised, promote_options="permissive")
            if len(normalised) > 1
            else normalised[0]
        )
        found = validate.concat(found_parts)
        staged[role] = (_with_year(t, year), found)
        name_of[role] = name
        inputs[name] = (sum(p.table.num_rows for p in loaded_parts), label)
    if len(header_problems) == 1:
        raise header_problems[0]  # keeps its kind (a LimitError stays one)
    if header_problems:
        raise InputError(*joined(*header_problems))
    give_back(sum(n for n, _ in inputs.values()))  # the read text is converted: let it go
    # Years are shared before duplicates are looked for: a copied row whose year cell is
    # empty is the same school in the same year, not a second school.
    no_year = validate.concat([*_share_year(staged), _counties_without_facts(staged)])
    if county is not None:
        # Only now, so that a row whose county code the counties table lacks (a mistyped
        # code: the school is lost to the county asked for) is still reported.
        no_year = _only_county(staged, no_year, county, name_of, filtered)
    finding_parts.append(no_year)
    for role in list(staged):
        # Taken out of ``staged``: a table that loses rows is copied, and the uncut one
        # must not stay alive beside it for the rest of the run.
        t, found = staged.pop(role)
        row_counties.append(integrity.row_counties(t, role))
        totals = found.filter(pc.equal(found.column("rule"), "totals_row"))
        # Duplicates are found among all data rows (a second row with the same id is
        # reported even when the first one is rejected for another reason), totals aside.
        t, dupes = reject_duplicates(drop_rejected(t, totals), _KEYS[role], validate.Where(role, ""))
        t, near = reject_near_duplicates(t, role, validate.Where(role, ""))
        differ = (
            school_facts_disagree(t, validate.Where(role, "")) if role == "sections" else validate.empty()
        )
        dupes = validate.concat([dupes, near, differ])
        t = drop_rejected(drop_rejected(t, found), no_year.filter(pc.equal(no_year.column("table"), role)))
        if adjust is not None:
            t = adjust(role, t)
        finding_parts += [found, dupes]
        tables[role] = t
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
    give_back(units.num_rows)  # the wide table is split into sections
    # The unit-role input is now in ``units``; only the counties table is read again.
    tables = {k: v for k, v in tables.items() if k == "counties"}
    internal = validate.concat(finding_parts)
    rejected = integrity.rejected_rows(
        internal,
        pa.concat_tables(row_counties) if row_counties else integrity.row_counties(_empty_units(), "schools"),
        read_parts,
    )
    findings = _displayed(internal, read_parts)
    frame = _county_frame(units, tables.get("counties"))
    absent = integrity.counties_of_rejected(rejected, frame)
    if absent.num_rows:
        frame = pa.concat_tables([frame, absent], promote_options="permissive").sort_by("_county")
    # Each county is judged by the national framework overlaid by its province's, city's
    # and own rule sets: score every distinct chain of rule sets once, over its counties.
    chain_keys, chains = assign_chains(frame, fw.id)
    frame = frame.append_column("_chain", chain_keys)
    effective = {key: with_rule_sets(fw, chain) for key, chain in sorted(chains.items())} or {"": fw}
    _check_names(effective.values(), options or {}, relaxations)
    steps = get_registry().preparation_steps()
    parts: list[ScoredPart] = []
    unusual: list[pa.Table] = []
    kind_findings: list[pa.Table] = []  # plugins' rule kinds that failed
    missing: set[str] = set()
    units, unit_slices = _grouped_by_chain(units, frame, list(effective))
    for key, fw_c in effective.items():
        counties_c = frame.filter(pc.equal(frame.column("_chain"), key)) if chains else frame
        start, length = unit_slices.get(key, (0, units.num_rows))
        units_c = units.slice(start, length)
        chosen = _options(fw_c, options)
        for opt in fw_c.options:
            if chosen[opt.id]:
                units_c = steps[opt.id].function(units_c)
        units_c, added_units = add_missing_columns(units_c, fw_c.column_kinds(fw_c.unit))
        counties_c, added_counties = add_missing_columns(counties_c, fw_c.column_kinds("counties"))
        missing |= set(added_units) | set(added_counties)
        units_c = apply_scope(units_c, fw_c)
        scored = score(Engine(fw_c, tuple(relaxations)), units_c, counties_c)
        parts.append(ScoredPart(fw_c, scored, counties_c))
        unusual.append(integrity.unusual_indicators(scored.units, fw_c, unit_table))
        if scored.findings is not None:
            kind_findings.append(scored.findings)
        del units_c, scored  # the raw inputs are read by the rules only
    n_units = units.num_rows
    del units
    give_back(n_units)
    registry = get_registry()
    problems = registry.problems()
    checks = pa.concat_tables(
        [
            integrity.integrity_checks(rejected, frame, problems, fw.version),
            integrity.missing_rule_set_checks(frame, registry.missing_rule_sets(fw.id), fw.version),
        ]
    )
    off = [(p.name, p.message("zh"), p.message("en")) for p in registry.switched_off()]
    return build_result(
        fw,
        parts=parts,
        findings=validate.concat(
            [
                findings,
                _displayed(validate.concat(unusual), read_parts),
                integrity.plugin_findings(problems),
                *kind_findings,
                integrity.switched_off_findings(off),
            ]
        ),
        extra_checks=checks,
        inputs=inputs,
        unused=unused,
        filtered=filtered,
        unit_table=unit_table,
        options=_options(fw, {k: v for k, v in (options or {}).items() if k in {o.id for o in fw.options}}),
        relaxations=tuple(relaxations),
        missing_columns=sorted(missing),
    )


def _labels(parts: list[Loaded]) -> str:
    """``file!sheet`` of one table, ``file!sheet1, sheet2`` of several sheets of a workbook."""
    if len(parts) == 1:
        return parts[0].label
    if len({p.source for p in parts}) == 1 and all(p.sheet for p in parts):
        return f"{parts[0].source}!{', '.join(p.sheet for p in parts)}"
    return ", ".join(p.label for p in parts)  # several files of one table


def _displayed(findings: pa.Table, parts: list[tuple[str, str]]) -> pa.Table:
    """Findings with row numbers as the file shows them, and the sheet each row is on
    (internal row numbers tell several sheets apart, see :func:`row_key`)."""
    if findings.num_rows == 0 or not parts:
        return findings
    part = pc.cast(row_parts(findings.column("row")), pa.int64())
    sources = pa.array([s for s, _ in parts], pa.string())
    sheets = pa.array([sh for _, sh in parts], pa.string())
    out = findings.set_column(findings.column_names.index("row"), "row", display_rows(findings.column("row")))
    out = out.set_column(out.column_names.index("source"), "source", pc.take(sources, part))
    return out.set_column(out.column_names.index("sheet"), "sheet", pc.take(sheets, part))


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
            kind_zh = "选项" if kind == "option" else "放宽条件"
            raise InputError(
                f"unknown {kind}(s) {', '.join(unknown)} for {fws[0].id}; "
                f"known: {', '.join(sorted(known)) or 'none'}",
                zh=f"框架没有{kind_zh} {'、'.join(unknown)};可用的有:{'、'.join(sorted(known)) or '(无)'}",
            )


def _options(fw: Framework, options: Mapping[str, bool] | None) -> dict[str, bool]:
    chosen = {o.id: o.default for o in fw.options}
    for key, value in (options or {}).items():
        if key not in chosen:
            raise InputError(
                f"unknown option {key!r} for {fw.id}; known: {', '.join(chosen) or 'none'}",
                zh=f"框架没有选项 {key!r};可用的有:{'、'.join(chosen) or '(无)'}",
            )
        chosen[key] = bool(value)
    return chosen


def _with_county_code(loaded: Loaded, county: str) -> Loaded:
    """A single-county bureau file often has no 县区代码 column: give it the county's code."""
    headers = {str(h).strip() for h in loaded.table.column_names}
    if headers & {"county_code", "县区代码"}:
        return loaded
    table = loaded.table.append_column("county_code", pa.repeat(pa.scalar(county), loaded.table.num_rows))
    return attrs.evolve(loaded, table=table)


def _is_long(t: pa.Table) -> bool:
    names = {str(n).strip() for n in t.column_names}
    return "level" in names or "学段" in names


def _with_year(t: pa.Table, year: int | None) -> pa.Table:
    if "year" not in t.column_names:
        t = t.append_column("year", pa.nulls(t.num_rows, pa.float64()))
    if year is not None:
        t = t.set_column(t.column_names.index("year"), "year", pc.fill_null(t.column("year"), float(year)))
    return t


def _only_county(
    staged: dict[str, tuple[pa.Table, pa.Table]],
    no_year: pa.Table,
    county: str,
    name_of: dict[str, str],
    filtered: dict[str, int],
) -> pa.Table:
    """Keep the rows of ``county`` (``--county``); rows of other counties are unused. A row
    whose county code cannot be read stays (and is rejected): it may belong to the county
    asked for. Findings about the whole sheet stay, and so does the warning on a code that
    no county row has (a mistyped code takes a school out of the county asked for)."""
    kept_all = []
    for role, (t, found) in list(staged.items()):
        code = t.column("county_code")
        unreadable = pc.invert(pc.fill_null(pc.match_substring_regex(code, r"^\d{6}$"), False))
        keep = pc.or_(pc.fill_null(pc.starts_with(code, county), False), unreadable)
        kept_rows = pc.filter(t.column("_row"), keep)
        kept_all.append(kept_rows)
        whole = pc.is_in(found.column("column"), pa.array(["(header)", "(row)"]))
        found = found.filter(pc.or_(whole, pc.is_in(found.column("row"), kept_rows)))
        filtered[name_of[role]] = t.num_rows - int(pc.sum(pc.cast(keep, pa.int64())).as_py() or 0)
        staged[role] = (t.filter(keep), found)
    kept = pa.chunked_array(kept_all, pa.int64()) if kept_all else pa.chunked_array([], pa.int64())
    orphan = pc.equal(no_year.column("rule"), "county_without_facts")
    return no_year.filter(pc.or_(orphan, pc.is_in(no_year.column("row"), kept)))


def _counties_without_facts(staged: dict[str, tuple[pa.Table, pa.Table]]) -> pa.Table:
    """Unit rows whose county has no row in the counties table (when one is given).

    A code that the counties table lacks altogether gets a warning on its first row (a
    mistyped code? its county items are all not assessed). A code the table has, but not
    for the row's year, is an error on every such row: a school with a mistyped year would
    otherwise drop out of its county's real year and form a county-year of its own."""
    counties = staged.get("counties")
    role = next((r for r in ("schools", "sections", "kindergartens") if r in staged), None)
    if counties is None or role is None or counties[0].num_rows == 0:
        return validate.empty()
    units, facts = staged[role][0], counties[0]
    code = units.column("county_code")
    known_code = pc.fill_null(pc.is_in(code, facts.column("county_code")), True)
    out = []
    orphan = pc.invert(known_code)
    if pc.any(orphan).as_py():
        firsts = units.filter(orphan).group_by("county_code", use_threads=False).aggregate([("_row", "min")])
        n = firsts.num_rows
        out.append(
            validate.findings(
                validate.Where(role, ""),
                firsts.column("_row_min"),
                "county_code",
                firsts.column("county_code"),
                pa.array([True] * n),
                "county_without_facts",
            )
        )
    year_text = pc.fill_null(pc.cast(pc.cast(units.column("year"), pa.int64()), pa.string()), "")
    fact_years = pc.fill_null(pc.cast(pc.cast(facts.column("year"), pa.int64()), pa.string()), "")
    key = pc.binary_join_element_wise(code, year_text, "|")
    fact_keys = pc.binary_join_element_wise(facts.column("county_code"), fact_years, "|")
    other_year = pc.and_(known_code, pc.invert(pc.fill_null(pc.is_in(key, fact_keys), True)))
    other_year = pc.and_(other_year, pc.is_valid(units.column("year")))
    if pc.any(other_year).as_py():
        out.append(
            validate.findings(
                validate.Where(role, ""),
                units.column("_row"),
                "year",
                pc.cast(pc.cast(units.column("year"), pa.int64()), pa.string()),
                other_year,
                "county_year_without_facts",
            )
        )
    return validate.concat(out)


def _share_year(staged: dict[str, tuple[pa.Table, pa.Table]]) -> list[pa.Table]:
    """A table without years takes the single year of the others, if there is exactly one.

    When the data hold several years, a row without one cannot be placed: it is rejected
    (``required_empty`` on ``year``) rather than forming a county-year of its own while
    its county's real year is judged without it. Returns those findings; the tables of
    ``staged`` get their years filled in place."""
    years: set[float] = set()
    for t, _ in staged.values():
        years |= {y for y in pc.unique(t.column("year")).to_pylist() if y is not None}
    if len(years) == 1:
        (only,) = years
        for name, (t, found) in staged.items():
            filled = t.set_column(t.column_names.index("year"), "year", pc.fill_null(t.column("year"), only))
            staged[name] = (filled, found)
        return []
    out = []
    if len(years) > 1:
        for name, (t, _) in staged.items():
            missing = pc.is_null(t.column("year"))
            if not pc.any(missing).as_py():
                continue
            out.append(
                validate.findings(
                    validate.Where(name, ""),
                    t.column("_row"),
                    "year",
                    t.column("year"),
                    missing,
                    "required_empty",
                    f"年份 year: 数据含 {len(years)} 个年份,此行未填 / the data hold {len(years)} years",
                )
            )
    return out


def _grouped_by_chain(
    units: pa.Table, frame: pa.Table, keys: list[str]
) -> tuple[pa.Table, dict[str, tuple[int, int]]]:
    """The units reordered so that each chain's units are one slice (stable: a chain's
    units keep their order), and each chain's (start, length).

    With several chains (a province's rule set installed), filtering the units per chain
    would hold a copy of nearly all of them beside the originals for the whole scoring;
    one reorder, column by column with each original let go of, holds one column twice
    at most, and every chain's units are then a zero-copy slice."""
    if len(keys) <= 1 or units.num_rows == 0:
        return units, {}
    county_row = pc.index_in(units.column("_county"), value_set=frame.column("_county"))
    chain_of = pc.index_in(pc.take(frame.column("_chain"), county_row), value_set=pa.array(keys, pa.string()))
    # A unit whose county is in no chain (none should be) goes last, outside every slice.
    codes = np.asarray(pc.fill_null(chain_of, len(keys)).to_numpy(zero_copy_only=False), dtype=np.int64)
    counts = np.bincount(codes, minlength=len(keys) + 1)
    starts = np.concatenate([[0], np.cumsum(counts)])
    slices = {key: (int(starts[i]), int(counts[i])) for i, key in enumerate(keys)}
    if np.all(codes[:-1] <= codes[1:]):
        return units, slices
    order = pa.array(np.argsort(codes, kind="stable"))
    columns = {}
    for name in units.column_names:
        columns[name] = units.column(name).take(order)
        units = units.drop_columns([name])
    return pa.table(columns), slices


_KEYS = {
    "schools": ["school_id", "year"],
    "sections": ["school_id", "level", "year"],
    "counties": ["county_code", "year"],
    "kindergartens": ["kindergarten_id", "year"],
}


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
