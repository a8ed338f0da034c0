"""Per-student terms read from the parsed formula (issue #13, item 6).

The plan and the report used to recognise ``resource / students [* k]`` with a regular
expression over the formula text. They now read the syntax tree
(:func:`eduscore.model.formula.per_student_terms`): every formula the expression accepted
is recognised with the same terms, the same formula written another way is recognised
too, and a formula that only looks similar is not.
"""

from __future__ import annotations

import math
import re

import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import eduscore
from eduscore.model.formula import (
    Columns,
    PerStudent,
    compile_formula,
    evaluate_expression,
    per_student_terms,
    plain_column,
)
from eduscore.model.framework import framework_from_dict, framework_to_dict
from eduscore.planning.plan import cells, make_plan, resources

# The regular expression the plan and the report used before (plan.py, SIMPLE_FORMULA).
OLD = re.compile(r"^\s*(\w+)\s*/\s*students\s*(?:\*\s*(\d+(?:\.\d+)?))?\s*$")


def old_terms(text: str) -> PerStudent | None:
    m = OLD.match(text)
    return PerStudent(m.group(1), "students", float(m.group(2) or 1)) if m else None


# Every shape the old expression accepted, as the frameworks write them.
WRITTEN = [
    "teachers_above_degree / students * 100",
    "backbone_teachers / students * 100",
    "sports_area_m2 / students",
    "equipment_value_cny / students",
    "sports_area_m2/students*100",
    "  sports_area_m2   /students *  2.5 ",
    "books / students * 007",
    "x / students * 0.001",
    "students / students",
]

# The same formulas written another way: (formula, the form the old expression accepted).
REWRITTEN = [
    ("(sports_area_m2) / students * 100", "sports_area_m2 / students * 100"),
    ("100 * sports_area_m2 / students", "sports_area_m2 / students * 100"),
    ("sports_area_m2 * 100 / students", "sports_area_m2 / students * 100"),
    ("(sports_area_m2 / students) * 100", "sports_area_m2 / students * 100"),
    ("100 * (sports_area_m2 / students)", "sports_area_m2 / students * 100"),
    ("sports_area_m2 * (100 / students)", "sports_area_m2 / students * 100"),
    ("((sports_area_m2)) / (students)", "sports_area_m2 / students"),
    ("sports_area_m2 / (students / 100)", "sports_area_m2 / students * 100"),
    ("sports_area_m2 / students * 10 * 10", "sports_area_m2 / students * 100"),
    ("1 * sports_area_m2 / students", "sports_area_m2 / students"),
]

# Formulas that only look like a per-student resource.
LOOK_ALIKES = [
    "sports_area_m2 / teachers * 100",
    "sports_area_m2 / students + 1",
    "1 + sports_area_m2 / students",
    "sports_area_m2 / students - 0",
    "-sports_area_m2 / students",
    "sports_area_m2 / students * -100",
    "sports_area_m2 / students * (0 - 100)",
    "abs(sports_area_m2) / students",
    "coalesce(sports_area_m2, 0) / students",
    "(sports_area_m2 + coalesce(sports_area_extra_m2, 0)) / students",
    "(pe_arts_teachers + coalesce(pe_arts_teachers_shared, 0)) / students * 100",
    "sports_area_m2 * teachers / students",
    "sports_area_m2 / students / teachers",
    "sports_area_m2 / students * students",
    "students / sports_area_m2",
    "sports_area_m2 * students",
    "sports_area_m2 / (students + 1)",
    "sports_area_m2 / students * 100 >= 7.5",
    "100 / students",
    "sports_area_m2 / 100",
    "sports_area_m2",
    "sports_area_m2 / students * 0",
    "sports_area_m2 / students / 0",
    "sports_area_m2 / students * 1e400",
    "sum(sports_area_m2) / sum(students)",
    "if(ok, sports_area_m2, 0) / students",
    "sports_area_m2 / students * true",
    "sports_area_m2 / students * 'x'",
    "",
    "sports_area_m2 / / students",
    "体育 / students",
]


@pytest.mark.parametrize("text", WRITTEN)
def test_the_written_shapes_read_as_before(text: str) -> None:
    assert old_terms(text) is not None
    assert per_student_terms(text) == old_terms(text)


@pytest.mark.parametrize(("text", "same_as"), REWRITTEN)
def test_the_same_formula_written_another_way_is_recognised(text: str, same_as: str) -> None:
    assert old_terms(text) is None  # the regular expression missed these
    assert per_student_terms(text) == old_terms(same_as)


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_a_formula_that_only_looks_similar_is_not_recognised(text: str) -> None:
    assert per_student_terms(text) is None


def test_the_deliberate_differences_from_the_regular_expression() -> None:
    # A constant factor of 0 made the plan divide by 0, and a number is not a resource
    # column: the expression took both, the syntax tree takes neither.
    assert old_terms("x / students * 0") == PerStudent("x", "students", 0.0)
    assert per_student_terms("x / students * 0") is None
    assert old_terms("5 / students") == PerStudent("5", "students", 1.0)
    assert per_student_terms("5 / students") is None


def test_other_denominators_when_asked_for() -> None:
    text = "outdoor_play_area_m2 / children"
    assert per_student_terms(text) is None
    assert per_student_terms(text, ("children",)) == PerStudent("outdoor_play_area_m2", "children", 1.0)
    assert per_student_terms("teachers / students * 100", ("children",)) is None


def test_a_parsed_tree_is_read_like_its_text() -> None:
    from eduscore.model.formula import parse

    text = "100 * sports_area_m2 / students"
    assert per_student_terms(parse(text)) == per_student_terms(text)


# --------------------------------------------------------------------------------------
# Properties

_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True).filter(
    lambda s: s not in _KEYWORDS
)
spaces = st.sampled_from(["", " ", "  ", "\t", " \n "])
factors = st.one_of(
    st.integers(1, 10_000).map(str),
    st.tuples(st.integers(0, 999), st.integers(0, 999_999)).map(lambda t: f"{t[0]}.{t[1]}"),
    st.sampled_from(["100", "1", "007", "100.0", "2.5"]),
)


@settings(max_examples=300, deadline=None)
@given(identifiers, st.none() | factors, st.lists(spaces, min_size=6, max_size=6))
def test_every_shape_the_regular_expression_accepted_reads_the_same(
    name: str, factor: str | None, ws: list[str]
) -> None:
    text = f"{ws[0]}{name}{ws[1]}/{ws[2]}students{ws[3]}"
    if factor is not None:
        text += f"*{ws[4]}{factor}{ws[5]}"
    old = old_terms(text)
    assert old is not None
    assume(old.per > 0)  # a factor of 0 is refused on purpose (see above)
    assert per_student_terms(text) == old


@settings(max_examples=300, deadline=None)
@given(
    identifiers,
    factors,
    st.sampled_from(
        [
            "{r} / students * {k}",
            "{k} * {r} / students",
            "{r} * {k} / students",
            "({r} / students) * {k}",
            "{k} * ({r} / students)",
            "{r} * ({k} / students)",
            "({r}) / (students) * ({k})",
            "(({k} * {r})) / students",
        ]
    ),
)
def test_rewritten_shapes_read_as_the_written_one(name: str, factor: str, shape: str) -> None:
    expected = old_terms(f"{name} / students * {factor}")
    assert expected is not None
    assume(expected.per > 0)
    got = per_student_terms(shape.format(r=name, k=factor))
    assert got is not None
    assert got.resource == expected.resource and got.denominator == "students"
    assert got.per == pytest.approx(expected.per, rel=1e-12)


# Random products of columns and numbers, grouped at random and sometimes spoiled by a
# sum, a sign or a call: recognised exactly when, as a fraction, they have one column
# above the line, ``students`` alone below it and a positive constant; and then they
# compute resource / students * per.
_NAMES = ("a", "b", "students")
_factor = st.sampled_from(["a", "b", "students", "students", "2", "100", "0.5", "0"])
TABLE = pa.table({"a": [3.0, 7.5, 11.0], "b": [2.0, 5.0, 13.0], "students": [40.0, 90.0, 250.0]})
COLS = Columns({"a": "number", "b": "number", "students": "number"})


@st.composite
def fractions(draw: st.DrawFn) -> tuple[str, PerStudent | None]:
    up = draw(st.lists(_factor, min_size=1, max_size=3))
    down = draw(st.lists(_factor, min_size=0, max_size=2))
    spoil = draw(st.sampled_from([None, None, None, "{} + 0", "-{}", "abs({})", "0 - {}"]))

    def product(items: list[str]) -> str:
        if len(items) == 1:
            return items[0]
        i = draw(st.integers(1, len(items) - 1))
        left, right = product(items[:i]), product(items[i:])
        text = f"{left} * {right}"
        return f"({text})" if draw(st.booleans()) else text

    if spoil is not None:
        i = draw(st.integers(0, len(up) - 1))
        up = [*up[:i], spoil.format(up[i]), *up[i + 1 :]]
    if not down:
        text = product(up)
    else:
        bottom = product(down)
        if len(down) > 1 or draw(st.booleans()):
            bottom = f"({bottom})"
        shape = draw(st.sampled_from(["{t} / {b}", "{f} * ({r} / {b})", "({r} / {b}) * {f}"]))
        if "{f}" in shape and len(up) > 1:
            text = shape.format(f=product(up[:1]), r=product(up[1:]), b=bottom)
        else:
            text = f"{product(up)} / {bottom}"
    columns_up = [u for u in up if u in _NAMES]
    numbers_up = [float(u) for u in up if u not in _NAMES and spoil is None]
    numbers_down = [float(d) for d in down if d not in _NAMES]
    per = math.prod(numbers_up) / math.prod(numbers_down) if 0.0 not in numbers_down else math.nan
    ok = (
        spoil is None
        and len(columns_up) == 1
        and [d for d in down if d in _NAMES] == ["students"]
        and math.isfinite(per)
        and per > 0
    )
    return text, PerStudent(columns_up[0], "students", per) if ok else None


@settings(max_examples=500, deadline=None)
@given(fractions())
def test_random_products_are_recognised_exactly_when_they_are_per_student(
    case: tuple[str, PerStudent | None],
) -> None:
    text, expected = case
    got = per_student_terms(text)
    if expected is None:
        assert got is None
        return
    assert got is not None
    assert (got.resource, got.denominator) == (expected.resource, expected.denominator)
    assert got.per == pytest.approx(expected.per, rel=1e-12)
    values = evaluate_expression(TABLE, compile_formula(text, COLS).expression).to_pylist()
    x, n = TABLE.column(got.resource).to_pylist(), TABLE.column("students").to_pylist()
    for v, xi, ni in zip(values, x, n, strict=True):
        assert v == pytest.approx(xi / ni * got.per, rel=1e-12)


# --------------------------------------------------------------------------------------
# The plan and the report


@pytest.mark.parametrize("framework", ["quality-balance-2017", "basic-balance-2012", "preschool-2020"])
def test_resources_of_the_built_in_frameworks_are_as_before(framework: str) -> None:
    fw = eduscore.load_framework(framework)
    before = {
        i.id: (t.resource, t.per)
        for i in fw.indicators
        if (t := old_terms(i.formula)) is not None and i.comparator in (">=", ">")
    }
    assert {k: (r.resource, r.per) for k, r in resources(fw).items()} == before


def test_a_framework_written_another_way_plans_the_same() -> None:
    inputs = eduscore.demo_inputs()
    doc = framework_to_dict(eduscore.load_framework("quality-balance-2017"))
    for ind in doc["indicators"]:
        terms = per_student_terms(ind["formula"])
        if terms is not None and terms.per != 1:
            ind["formula"] = f"{terms.per:g} * ({terms.resource}) / students"
    rewritten = framework_from_dict(doc)
    assert any("(" in i.formula for i in rewritten.indicators)
    plan = make_plan(eduscore.evaluate(**inputs))
    again = make_plan(eduscore.evaluate(**inputs, framework=rewritten))
    assert {k: (r.resource, r.per, r.whole) for k, r in resources(rewritten).items()} == {
        k: (r.resource, r.per, r.whole)
        for k, r in resources(eduscore.load_framework("quality-balance-2017")).items()
    }
    for name in ("gaps", "cv", "checks", "schools", "sections"):
        assert getattr(again, name).equals(getattr(plan, name)), name


def test_plain_columns() -> None:
    assert plain_column("music_rooms") == "music_rooms"
    assert plain_column(" ( music_rooms ) ") == "music_rooms"
    for text in ("rooms / 2", "outdoor_play_area_m2 / children", "true", "12", "", "-rooms", "f(rooms)"):
        assert plain_column(text) is None


def test_cells_number_county_year_level_and_keep_their_keys() -> None:
    t = pa.table(
        {
            "county_code": ["330482", "330482", "110101", "330482", "110101"],
            "year": pa.array([2024, 2024, None, 2023, None], pa.int64()),
            "level": ["primary", "junior", "primary", "primary", "primary"],
        }
    )
    c = cells(t)
    assert c.code.tolist() == [0, 1, 2, 3, 2]
    assert len(c) == 4
    assert c.keys.to_pylist() == [
        {"county_code": "330482", "year": 2024, "level": "primary"},
        {"county_code": "330482", "year": 2024, "level": "junior"},
        {"county_code": "110101", "year": None, "level": "primary"},
        {"county_code": "330482", "year": 2023, "level": "primary"},
    ]
