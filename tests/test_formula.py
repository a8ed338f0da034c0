"""The formula language: parsing, type checks, clear errors, and no way to run code."""

from __future__ import annotations

import math
import operator

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eduscore.errors import FormulaError
from eduscore.model.formula import Columns, compile_formula, evaluate_expression, names, parse

COLS = Columns(
    {"students": "number", "teachers": "number", "school_type": "text", "ok": "bool", "year": "number"}
)


def run(text: str, table: pa.Table, cols: Columns = COLS) -> list[object]:
    return evaluate_expression(table, compile_formula(text, cols).expression).to_pylist()


TABLE = pa.table(
    {
        "students": pa.array([100, 0, 250, None], pa.int64()),
        "teachers": pa.array([5, 3, None, 2], pa.int64()),
        "school_type": ["primary", "junior", "nine_year", None],
        "ok": [True, False, None, True],
        "year": [2020, 2021, 2022, 2023],
    }
)


def test_indicator_formula_evaluates_with_precedence() -> None:
    assert run("teachers / students * 100", TABLE) == [5.0, None, None, None]
    assert run("1 + 2 * 3 - -1", TABLE)[0] == 8.0
    assert run("(1 + 2) * 3", TABLE)[0] == 9.0


def test_division_by_zero_is_missing_and_explained() -> None:
    c = compile_formula("teachers / students", COLS)
    assert [d.text for d in c.divisions] == ["students"]
    assert run("teachers / students", TABLE)[1] is None


def test_conditions_functions_and_in_lists() -> None:
    assert run("school_type in ('primary', 'nine_year')", TABLE) == [True, False, True, None]
    assert run("ceil(students / 12)", TABLE) == [9.0, 0.0, 21.0, None]
    assert run("if(ok, 1, 0)", TABLE) == [1.0, 0.0, None, 1.0]
    assert run("max(students, teachers)", TABLE) == [100.0, 3.0, None, None]
    assert run("coalesce(teachers, 0)", TABLE) == [5.0, 3.0, 0.0, 2.0]
    assert run("not ok and students > 10", TABLE) == [
        False,
        False,
        None,
        False,
    ]  # Kleene: false and missing = false
    assert run("year >= 2022 or ok", TABLE) == [True, False, True, True]


def test_unknown_column_names_a_suggestion() -> None:
    with pytest.raises(FormulaError, match=r"unknown column 'studnets' \(did you mean 'students'\?\)"):
        compile_formula("teachers / studnets", COLS)


def test_type_errors_are_clear() -> None:
    with pytest.raises(FormulaError, match="needs a number, but school_type is text"):
        compile_formula("school_type / students", COLS)
    with pytest.raises(FormulaError, match="'and' needs conditions"):
        compile_formula("students and ok", COLS)
    with pytest.raises(FormulaError, match="cannot compare text with number"):
        compile_formula("school_type == 3", COLS)
    with pytest.raises(FormulaError, match="gives a bool, but a number is expected"):
        compile_formula("students > 3", COLS, expect="number")


def test_syntax_errors_point_at_the_place() -> None:
    with pytest.raises(FormulaError) as err:
        compile_formula("teachers / (students * 100", COLS)
    assert "expected ')'" in str(err.value) and "^" in str(err.value)
    with pytest.raises(FormulaError, match="unexpected character"):
        parse("students; import os")


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('echo hi')", "open('x')", "eval('1')", "students.__class__", "exec('x')"],
)
def test_no_code_can_be_run(text: str) -> None:
    with pytest.raises(FormulaError):
        compile_formula(text, COLS)


def test_aggregates_only_in_county_formulas() -> None:
    with pytest.raises(FormulaError, match="only allowed in county formulas"):
        compile_formula("sum(students)", COLS)
    c = compile_formula("sum(students) / year", Columns({"year": "number"}), rows=COLS)
    assert [a.function for a in c.aggregates] == ["sum"]
    assert c.row_columns == {"students"} and names(parse("sum(students) / year")) == {"students", "year"}


# A slow reference: evaluate the parsed expression row by row in Python.
_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}
expr_text = st.recursive(
    st.one_of(st.sampled_from(["a", "b", "c"]), st.integers(0, 50).map(str)),
    lambda inner: st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    ),
    max_leaves=8,
)


def slow(text: str, row: dict[str, float | None]) -> float | None:
    from eduscore.model.formula import Binary, Name, Num

    def ev(node: object) -> float | None:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Name):
            return row[node.name]
        assert isinstance(node, Binary)
        left, right = ev(node.left), ev(node.right)
        if left is None or right is None:
            return None
        if node.op == "/":
            return None if right == 0 else left / right
        return _OPS[node.op](left, right)

    return ev(parse(text))


@given(
    expr_text,
    st.lists(
        st.tuples(*(st.one_of(st.none(), st.integers(-20, 20).map(float)) for _ in range(3))),
        min_size=1,
        max_size=10,
    ),
)
def test_arithmetic_matches_a_row_by_row_reference(text: str, rows: list[tuple[float | None, ...]]) -> None:
    table = pa.table({k: pa.array([r[i] for r in rows], pa.float64()) for i, k in enumerate("abc")})
    cols = Columns({"a": "number", "b": "number", "c": "number"})
    got = run(text, table, cols)
    for g, r in zip(got, rows, strict=True):
        want = slow(text, dict(zip("abc", r, strict=True)))
        if want is None:
            assert g is None
        else:
            assert g is not None and math.isclose(g, want, rel_tol=1e-9, abs_tol=1e-9)


# Hostile or broken framework documents: limits instead of RecursionError, short messages.
@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("(" * 500 + "students" + ")" * 500, "nests more than"),
        ("-" * 3000 + "students", "nests more than"),
        ("not " * 1000 + "ok", "nests more than"),
        ("ceil(" * 400 + "students" + ")" * 400, "nests more than"),
        ("students+" * 20_000 + "students", "longer than"),
        ("+".join(["students"] * 1_000), "deeper than"),
        ("students * 2 " + "'" + "x" * 10_000_000 + "'", "longer than"),
    ],
    ids=["parentheses", "unary-minus", "not", "calls", "long-sum", "deep-sum", "10MB-literal"],
)
def test_formula_limits_raise_formula_errors_not_recursion(text: str, needle: str) -> None:
    with pytest.raises(FormulaError, match=needle) as err:
        compile_formula(text, COLS)
    # The message names the limit in both languages and never echoes a huge formula back.
    assert len(str(err.value)) < 1_000 and len(err.value.message("zh")) < 1_000
    assert err.value.zh != err.value.en and "公式" in err.value.zh


def test_formulas_within_the_limits_still_work() -> None:
    from eduscore.model.formula import MAX_FORMULA_DEPTH, MAX_FORMULA_NESTING

    nested = "(" * MAX_FORMULA_NESTING + "students" + ")" * MAX_FORMULA_NESTING
    assert run(nested, TABLE)[0] == 100.0
    chain = "+".join(["students"] * MAX_FORMULA_DEPTH)
    assert run(chain, TABLE)[0] == 100.0 * MAX_FORMULA_DEPTH


def test_error_messages_quote_a_window_around_the_error() -> None:
    types = ", ".join(f"'type{i}'" for i in range(400))  # a long but flat 'in' list
    text = f"school_type in ({types}) and studnets > 0 and school_type in ({types})"
    with pytest.raises(FormulaError) as err:
        compile_formula(text, COLS)
    message = str(err.value)
    assert "unknown column 'studnets'" in message and len(message) < 500
    line, caret = message.splitlines()[-2:]
    # The caret still points at the typo inside the quoted window.
    assert line[caret.index("^") :].startswith("studnets")
