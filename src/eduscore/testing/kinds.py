"""The test kit for rule kinds (hook ``eduscore_rule_kinds``): strategies and properties.

Strategies: :func:`unit_tables` and :func:`county_tables` build the Arrow tables a kind's
handler receives — every county at once, carrying the kind's declared inputs — with
nulls, zero students, single-school counties and extreme values among them.

Properties, every kind must pass them (each a function raising :class:`AssertionError`
with what went wrong, run over many tables by :func:`check_property`; a kind's tests
subclass :class:`RuleKindConformance`):

1. **row order**: the output (sorted by key) does not depend on the order of the rows;
2. **counties independent**: scoring all counties together gives each county the same
   result as scoring it alone;
3. **missing input → not_assessed**: where all the kind's inputs of a county are missing
   (nulls, or the columns absent), each of its units (section level) or the county
   (county level) is ``not_assessed`` — never ``pass``, ``basic_pass`` or ``fail``;
4. **deterministic**: the same table gives the same output twice;
5. **output schema**: the host accepts what it returns (the schema, one row per key, only
   keys it was given, statuses of the enum, reason codes it declared).

Every property calls the kind through the host (:func:`eduscore.engine.plugin_kinds.run_kind`),
exactly as an evaluation does.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eduscore.engine.plugin_kinds import KindFailure, run_kind
from eduscore.model.records import RuleKind

COUNTIES = ("990101|2024", "990102|2024", "990103|2024", "990101|2025", "330482|2024")
LEVELS = ("primary", "junior", None)

_FLOATS = st.one_of(
    st.none(),
    st.just(0.0),
    st.floats(0, 5_000, allow_nan=False, allow_infinity=False),
    st.sampled_from([1e-9, 0.5, 1.0, 1e6, 1e12]),
)
_INTS = st.one_of(st.none(), st.just(0), st.integers(0, 5_000), st.just(10**12))
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "float": _FLOATS,
    "int": _INTS,
    "bool": st.one_of(st.none(), st.booleans()),
    "string": st.one_of(st.none(), st.text("abc甲乙", max_size=4)),
}
_TYPES = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "string": pa.string()}
_STUDENTS = st.one_of(st.just(0), st.integers(1, 60), st.integers(1, 3_000), st.none())


@st.composite
def unit_tables(
    draw: st.DrawFn, kind: RuleKind, max_counties: int = 4, max_units: int = 8, missing: bool = True
) -> pa.Table:
    """The units table a kind reading units receives: ``key``, ``county``, ``unit``,
    ``level``, ``students`` and the kind's inputs. Counties of one unit up to
    ``max_units``; zero (and, with ``missing``, unknown) students; input values null,
    zero, tiny and huge."""
    counties = draw(st.lists(st.sampled_from(COUNTIES), min_size=1, max_size=max_counties, unique=True))
    rows: list[dict[str, Any]] = []
    for c in counties:
        for i in range(draw(st.integers(1, max_units))):
            unit = f"S{len(rows):05d}-{i}"
            row: dict[str, Any] = {
                "key": f"{c}/{unit}",
                "county": c,
                "unit": unit,
                "level": draw(st.sampled_from(LEVELS)),
                "students": draw(_STUDENTS if missing else st.integers(0, 3_000)),
            }
            for name, type_ in kind.inputs.items():
                values = _VALUES[type_] if missing else _VALUES[type_].filter(lambda v: v is not None)
                row[name] = draw(values)
            rows.append(row)
    return _table(kind, rows, ("key", "county", "unit", "level", "students"))


@st.composite
def county_tables(draw: st.DrawFn, kind: RuleKind, max_counties: int = 5, missing: bool = True) -> pa.Table:
    """The counties table a kind reading counties receives: ``key`` (= ``county``) and its inputs."""
    counties = draw(st.lists(st.sampled_from(COUNTIES), min_size=1, max_size=max_counties, unique=True))
    rows = []
    for c in counties:
        row: dict[str, Any] = {"key": c, "county": c}
        for name, type_ in kind.inputs.items():
            values = _VALUES[type_] if missing else _VALUES[type_].filter(lambda v: v is not None)
            row[name] = draw(values)
        rows.append(row)
    return _table(kind, rows, ("key", "county"))


def tables_for(kind: RuleKind, **options: Any) -> st.SearchStrategy[pa.Table]:
    """:func:`unit_tables` or :func:`county_tables`, as the kind reads."""
    return unit_tables(kind, **options) if kind.reads == "units" else county_tables(kind, **options)


def _table(kind: RuleKind, rows: list[dict[str, Any]], host: tuple[str, ...]) -> pa.Table:
    types = {"students": pa.int64()} | {n: _TYPES[t] for n, t in kind.inputs.items()}
    names = [*host, *kind.inputs]
    return pa.table({n: pa.array([r[n] for r in rows], types.get(n, pa.string())) for n in names})


# ----------------------------------------------------------------- the properties


def _rows(out: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = out.sort_by("key").to_pylist()
    return rows


def _same(a: pa.Table, b: pa.Table, what: str) -> None:
    rows_a, rows_b = _rows(a), _rows(b)
    if [r["key"] for r in rows_a] != [r["key"] for r in rows_b]:
        raise AssertionError(f"{what}: different keys answered")
    for x, y in zip(rows_a, rows_b, strict=True):
        for name, u in x.items():
            v = y[name]
            if isinstance(u, float) and isinstance(v, float):
                equal = (math.isnan(u) and math.isnan(v)) or math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-12)
            else:
                equal = u == v
            if not equal:
                raise AssertionError(f"{what}: key {x['key']!r}, {name}: {u!r} vs {v!r}")


def _run(kind: RuleKind, params: Mapping[str, Any], table: pa.Table) -> pa.Table:
    try:
        return run_kind(kind, table, params)
    except KindFailure as exc:
        raise AssertionError(f"the host refuses rule kind {kind.id!r}: {exc.what}") from exc


def output_schema_holds(kind: RuleKind, params: Mapping[str, Any], table: pa.Table) -> None:
    """The host accepts the output (schema, one row per key, keys given, statuses, reasons)."""
    _run(kind, params, table)


def deterministic(kind: RuleKind, params: Mapping[str, Any], table: pa.Table) -> None:
    """The same table gives the same output."""
    _same(_run(kind, params, table), _run(kind, params, table), "two runs over the same table differ")


def row_order_invariant(kind: RuleKind, params: Mapping[str, Any], table: pa.Table, seed: int = 0) -> None:
    """Shuffling the rows changes nothing (the output compared by key)."""
    order = list(range(table.num_rows))
    random.Random(seed).shuffle(order)
    shuffled = table.take(pa.array(order, pa.int64()))
    _same(_run(kind, params, table), _run(kind, params, shuffled), "shuffling the rows changes the output")


def counties_independent(kind: RuleKind, params: Mapping[str, Any], table: pa.Table) -> None:
    """Each county's result is the same scored with the others or alone."""
    together = _run(kind, params, table)
    for county in pc.unique(table.column("county")).to_pylist():
        alone = _run(kind, params, table.filter(pc.equal(table.column("county"), county)))
        if kind.level == "section":
            mine = pc.starts_with(together.column("key"), f"{county}/")
        else:
            mine = pc.equal(together.column("key"), county)
        _same(together.filter(mine), alone, f"county {county!r} scored with the others differs from alone")


def missing_input_not_assessed(
    kind: RuleKind, params: Mapping[str, Any], table: pa.Table, seed: int = 0, drop: bool = False
) -> None:
    """Where every input of a county is missing (or, with ``drop``, the input columns are
    absent), its units (section level) or the county itself are ``not_assessed``."""
    if not kind.inputs:
        return
    counties = pc.unique(table.column("county")).to_pylist()
    rng = random.Random(seed)
    blank = counties if drop else rng.sample(counties, max(1, len(counties) // 2))
    if drop:
        table = table.drop_columns([n for n in kind.inputs if n in table.column_names])
    else:
        hit = pc.is_in(table.column("county"), value_set=pa.array(blank, pa.string()))
        for name in kind.inputs:
            i = table.column_names.index(name)
            col = table.column(name)
            table = table.set_column(i, name, pc.if_else(hit, pa.scalar(None, col.type), col))
    out = _run(kind, params, table)
    for row in out.to_pylist():
        county = row["key"].split("/")[0] if kind.level == "section" else row["key"]
        if county in blank and row["status"] != "not_assessed":
            raise AssertionError(
                f"key {row['key']!r} has no input, yet its status is {row['status']!r} (must be not_assessed)"
            )


Property = Callable[..., None]
PROPERTIES: dict[str, Property] = {
    "output_schema_holds": output_schema_holds,
    "deterministic": deterministic,
    "row_order_invariant": row_order_invariant,
    "counties_independent": counties_independent,
    "missing_input_not_assessed": missing_input_not_assessed,
}


def check_property(
    kind: RuleKind, params: Mapping[str, Any], name: str, *, max_examples: int = 60, **options: Any
) -> None:
    """Run property ``name`` of :data:`PROPERTIES` over ``max_examples`` tables of ``kind``
    (hypothesis: it raises the smallest failing example's :class:`AssertionError`)."""
    prop = PROPERTIES[name]
    seeded = name in ("row_order_invariant", "missing_input_not_assessed")

    @settings(
        max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(table=tables_for(kind, **options), seed=st.integers(0, 2**16), drop=st.booleans())
    def run(table: pa.Table, seed: int, drop: bool) -> None:
        if name == "missing_input_not_assessed":
            prop(kind, params, table, seed, drop)
        elif seeded:
            prop(kind, params, table, seed)
        else:
            prop(kind, params, table)

    run()


class RuleKindConformance:
    """The properties every rule kind must pass. Subclass it in a test module, give the
    kind and the parameters of a typical rule; pytest runs every test below::

        from eduscore.testing import RuleKindConformance

        class TestShareMeeting(RuleKindConformance):
            kind = SHARE_MEETING            # the RuleKind your hook yields
            params = {"per_100": 1.0, "min_share": 0.8}
    """

    kind: ClassVar[RuleKind]
    params: ClassVar[Mapping[str, Any]] = {}
    max_examples: ClassVar[int] = 60

    def _check(self, name: str) -> None:
        check_property(self.kind, self.params, name, max_examples=self.max_examples)

    def test_output_schema_holds(self) -> None:
        self._check("output_schema_holds")

    def test_deterministic(self) -> None:
        self._check("deterministic")

    def test_row_order_invariant(self) -> None:
        self._check("row_order_invariant")

    def test_counties_independent(self) -> None:
        self._check("counties_independent")

    def test_missing_input_not_assessed(self) -> None:
        self._check("missing_input_not_assessed")
