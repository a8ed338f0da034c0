"""The XLSX as a live model (issue #14 item 5).

The per-school sheet holds the raw inputs; indicator values, met, ratio, six-of-seven, the
CVs, their statuses and the resource verdict are formulas over them. Each test changes
raw inputs in the workbook (openpyxl), recalculates it with an independent evaluator
(``formulas``) and compares every recomputed value with :func:`eduscore.evaluate` run on
inputs changed the same way. The translator of framework formulas to Excel is checked
against the engine's own evaluation on random formulas and inputs, blanks and zeros
included.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eduscore
from eduscore import synthetic
from eduscore.model.formula import Columns, compile_formula, evaluate_expression
from eduscore.model.messages import label
from eduscore.report.excel_formula import to_excel
from eduscore.report.view import ReportView
from eduscore.report.xlsx import column_label, county_results, write_xlsx
from eduscore.report.xlsx_words import sheet_name
from helpers import table
from passing import schools as passing_schools

formulas = pytest.importorskip("formulas")
schedula = pytest.importorskip("schedula")

LEVELS = {"小学": "primary", "初中": "junior"}
STATUS = {s: label(f"status.{s}", "zh") for s in ("pass", "fail", "not_assessed", "not_computable")}
SECTIONS_SHEET, CV_SHEET, MATRIX_SHEET = (sheet_name(k, "zh") for k in ("sections", "cv", "compliance"))


# --------------------------------------------------------------------------- recalculation


def recalculate(path: Path) -> dict[tuple[str, str], Any]:
    """{(sheet, cell): value} of every formula cell after ``formulas`` recalculates the
    live sheets of the workbook (the others are dropped first: they hold no formulas the
    live ones read, and recalculating them only costs time)."""
    book = openpyxl.load_workbook(path)
    for name in book.sheetnames:
        if name not in (SECTIONS_SHEET, CV_SHEET, MATRIX_SHEET):
            del book[name]
    small = path.with_name(f"live-{path.name}")
    book.save(small)
    solution = formulas.ExcelModel().loads(str(small)).finish().calculate()
    out: dict[tuple[str, str], Any] = {}
    for key, value in solution.items():
        if "!" not in key:
            continue
        sheet, cell = key.rsplit("!", 1)
        if ":" in cell:
            continue
        raw = value.value[0, 0] if hasattr(value, "value") else value
        if isinstance(raw, np.generic):
            raw = raw.item()
        out[(sheet.split("]", 1)[-1].strip("'").upper(), cell.upper())] = raw
    return out


class Live:
    """A written workbook: its formulas (openpyxl) and, once recalculated, their values."""

    def __init__(self, path: Path, framework: eduscore.Framework) -> None:
        self.path = path
        self.framework = framework
        self.book = openpyxl.load_workbook(path)
        self.schools = self.book[SECTIONS_SHEET]
        self.header = {c.value: c.column_letter for c in self.schools[1]}
        self.values: dict[tuple[str, str], Any] = {}

    def row_of(self, school_id: str, level: str) -> int:
        for row in self.schools.iter_rows(min_row=2):
            if row[3].value == school_id and LEVELS.get(row[2].value) == level:
                return int(row[0].row)
        raise KeyError((school_id, level))

    def column(self, name: str) -> str:
        """The letter of the raw-input column ``name`` (its header is the column's Chinese name)."""
        return self.header[column_label(name, self.framework, "zh")]

    def set(self, school_id: str, level: str, name: str, value: float | None) -> None:
        self.schools[f"{self.column(name)}{self.row_of(school_id, level)}"] = value

    def recalculate(self) -> None:
        changed = self.path.with_name(f"changed-{self.path.name}")
        self.book.save(changed)
        self.values = recalculate(changed)

    def value(self, sheet: str, cell: str) -> Any:
        return self.values[(sheet.upper(), cell.upper())]


def written(result: eduscore.Result, folder: Path) -> Live:
    return Live(write_xlsx(result, folder, "zh"), result.framework)


def close(got: Any, want: float | None, what: str) -> None:
    if want is None or (isinstance(want, float) and not math.isfinite(want)):
        assert got == "", f"{what}: {got!r}, expected missing"
        return
    assert isinstance(got, int | float) and not isinstance(got, bool), f"{what}: {got!r}, expected {want}"
    assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-7), f"{what}: {got!r} != {want!r}"


def resource_verdict(result: eduscore.Result, county: str, year: Any) -> str:
    """The verdict of the resource group from the engine's checks."""
    statuses = [
        c["status"]
        for c in result.checks.to_pylist()
        if c["county_code"] == county and c["year"] == year and c["group"] == "resources"
    ]
    if "fail" in statuses:
        return STATUS["fail"]
    if any(s in ("not_assessed", "not_computable") for s in statuses):
        return STATUS["not_assessed"]
    return STATUS["pass"]


def assert_live_matches(live: Live, result: eduscore.Result) -> int:
    """Every recomputed indicator value, six-of-seven status, CV, CV status and the
    resource verdict equal the engine's on ``result``; returns how many values were compared."""
    fw = result.framework
    view = ReportView(result, "zh")
    compared = 0
    sections = [s for s in result.sections.to_pylist() if s["in_scope"]]
    assert live.schools.max_row - 1 == len(sections)
    status_col = next(
        letter
        for head, letter in live.header.items()
        if str(head).startswith(fw.rule("school_six_of_seven").name.zh)
    )
    for s in sections:
        row = live.row_of(s["school_id"] or s["unit_id"], s["level"])
        where = f"{s['school_name']} {s['level']}"
        for ind in fw.indicators:
            col = live.header[f"{ind.name.zh} 数值"]
            close(live.value(SECTIONS_SHEET, f"{col}{row}"), s[ind.id], f"{where} {ind.id}")
            compared += 1
        got = live.value(SECTIONS_SHEET, f"{status_col}{row}")
        assert got == view.status(s["school_six_of_seven__status"]), where
        compared += 1
    cv = live.book[CV_SHEET]
    head = [c.value for c in cv[1]]
    disp = {
        (d["county_code"], d["year"], d["level"], d["indicator"]): d for d in result.dispersion.to_pylist()
    }
    r = 2
    while cv[f"C{r}"].value in LEVELS:
        county, year, level = cv[f"A{r}"].value, cv[f"B{r}"].value, LEVELS[cv[f"C{r}"].value]
        for k, ind in enumerate(fw.indicators):
            d = disp.get((county, year, level, ind.id))
            cv_cell = f"{openpyxl.utils.get_column_letter(6 + 2 * k)}{r}"
            close(live.value(CV_SHEET, cv_cell), d["cv"] if d else None, f"CV {level} {ind.id}")
            status_cell = (
                f"{openpyxl.utils.get_column_letter(head.index(f'{ind.name.zh} 差异系数结果') + 1)}{r}"
            )
            assert live.value(CV_SHEET, status_cell) == view.status(d["status"] if d else "not_assessed"), (
                level,
                ind.id,
            )
            compared += 2
        r += 1
    verdicts = 0
    for row in cv.iter_rows(min_row=r):
        if row[0].value == "县区代码" and "结论" in [c.value for c in row]:
            col = [c.value for c in row].index("结论")
            data = cv[row[0].row + 1]
            got = live.value(CV_SHEET, data[col].coordinate)
            assert got == resource_verdict(result, data[0].value, data[1].value), got
            verdicts += 1
    assert verdicts == 1
    return compared + verdicts


# --------------------------------------------------------------------------- inputs changed


def demo_changed(tmp_path: Path, changes: Mapping[tuple[str, str], Any]) -> dict[str, Any]:
    """The demo inputs with cells of ``schools.csv`` changed: {(school id, Chinese header): value}."""
    inputs = eduscore.demo_inputs()
    with Path(inputs["schools"]).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    for (school_id, column), value in changes.items():
        (row,) = [r for r in rows[1:] if r[header.index("学校标识码")] == school_id]
        row[header.index(column)] = "" if value is None else str(value)
    path = tmp_path / "schools-changed.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return {**inputs, "schools": path}


@pytest.fixture(scope="module")
def demo() -> eduscore.Result:
    return eduscore.evaluate(**eduscore.demo_inputs())


def _status(result: eduscore.Result, school_id: str, level: str) -> str:
    (s,) = [s for s in result.sections.to_pylist() if s["school_id"] == school_id and s["level"] == level]
    return str(s["school_six_of_seven__status"])


def test_cutting_a_schools_sports_area_fails_it_in_the_workbook_as_in_the_engine(
    demo: eduscore.Result, tmp_path: Path
) -> None:
    """实验小学 passes six of seven; with 5,000 m² of sports ground for 1,420 pupils it is
    at 47 % of the standard, below the 85 % floor: it fails, in the workbook as in the engine."""
    live = written(demo, tmp_path)
    live.set("990101003", "primary", "sports_area_m2", 5000.0)
    live.recalculate()
    changed = eduscore.evaluate(**demo_changed(tmp_path, {("990101003", "体育运动场馆面积(平方米)"): 5000.0}))
    assert _status(demo, "990101003", "primary") == "pass"
    assert _status(changed, "990101003", "primary") == "fail"
    assert assert_live_matches(live, changed) > 100
    # The matrix follows the per-school sheet.
    matrix = live.book[MATRIX_SHEET]
    row = next(r for r in matrix.iter_rows(min_row=2) if r[2].value == "示例县实验小学")
    six = live.value(MATRIX_SHEET, row[-1].coordinate)
    assert six == STATUS["fail"]


@pytest.mark.slow
def test_a_cv_over_its_limit_and_blank_inputs_recompute_as_in_the_engine(
    demo: eduscore.Result, tmp_path: Path
) -> None:
    """Ten times the equipment of 城关第一小学 takes the primary equipment CV over 0.50;
    a blank backbone-teacher count leaves 西岭镇中心小学 (one indicator missed) not
    assessed — never a pass — and that CV not assessed."""
    live = written(demo, tmp_path)
    live.set("990101001", "primary", "equipment_value_cny", 4142.3 * 10_000)
    live.set("990101005", "primary", "backbone_teachers", None)
    live.recalculate()
    changed = eduscore.evaluate(
        **demo_changed(
            tmp_path,
            {("990101001", "教学仪器设备值(万元)"): 4142.3, ("990101005", "小学县级以上骨干教师数"): None},
        )
    )
    cvs = {(d["level"], d["indicator"]): d for d in changed.dispersion.to_pylist()}
    assert cvs[("primary", "equipment_value_per_student")]["status"] == "fail"
    assert cvs[("primary", "backbone_teachers_per_100")]["status"] == "not_assessed"
    assert _status(changed, "990101005", "primary") == "not_assessed"
    assert assert_live_matches(live, changed) > 100


@pytest.mark.slow
def test_a_nine_year_schools_sections_recompute_as_in_the_engine(
    demo: eduscore.Result, tmp_path: Path
) -> None:
    """明德九年一贯制学校 is split into sections: its junior teachers are the junior
    section's own; its sports ground is shared by student shares (each section's cell is
    its share of the school's). Both changed, the junior section passes six of seven."""
    shares = {
        s["level"]: s["split_share"] for s in demo.sections.to_pylist() if s["school_id"] == "990101011"
    }
    live = written(demo, tmp_path)
    live.set("990101011", "junior", "teachers_above_degree", 45)
    for level, share in shares.items():
        live.set("990101011", level, "sports_area_m2", 30_000.0 * share)
    live.recalculate()
    changed = eduscore.evaluate(
        **demo_changed(
            tmp_path,
            {
                ("990101011", "初中高于规定学历专任教师数"): 45,
                ("990101011", "体育运动场馆面积(平方米)"): 30_000.0,
            },
        )
    )
    assert _status(demo, "990101011", "junior") == "fail"
    assert _status(changed, "990101011", "junior") == "pass"
    assert assert_live_matches(live, changed) > 100


@pytest.mark.slow
def test_the_resource_verdict_flips_with_one_school(tmp_path: Path) -> None:
    """A county whose resources all pass: the verdict cell says 达标 once recalculated;
    one school below 85 % of the sports standard makes it 未达标, as in the engine."""
    rows = passing_schools()
    result = eduscore.evaluate(schools=table(rows))
    assert resource_verdict(result, "990101", 2024) == STATUS["pass"]
    live = written(result, tmp_path / "before")
    live.recalculate()
    assert_live_matches(live, result)
    first = rows[0]
    live = written(result, tmp_path / "after")
    live.set(first["school_id"], "primary", "sports_area_m2", 3000.0)
    live.recalculate()
    changed = eduscore.evaluate(schools=table([{**first, "sports_area_m2": 3000.0}, *rows[1:]]))
    assert resource_verdict(changed, "990101", 2024) == STATUS["fail"]
    assert_live_matches(live, changed)


@pytest.mark.slow
def test_a_synthetic_county_recalculates_to_the_engine(tmp_path: Path) -> None:
    """A county of the synthetic nation (its own workbook, as --xlsx-per-county writes it),
    recalculated unchanged and with one school's teachers halved."""
    nation = synthetic.national(0.002, seed=3)
    result = eduscore.evaluate(**nation)
    # The smallest county of at least 15 schools of both levels (a workbook recalculates in seconds).
    sizes = {
        code: sum(1 for s in part.sections.to_pylist() if s["in_scope"])
        for code, part in county_results(result)
    }
    code = min((n, c) for c, n in sizes.items() if n >= 15)[1]
    part = dict(county_results(result))[code]
    live = written(part, tmp_path / "as-is")
    live.recalculate()
    assert assert_live_matches(live, part) > 50
    schools = nation["schools"]
    mine = schools.filter(pa.compute.equal(schools.column("county_code"), code))
    single = [s for s in mine.to_pylist() if s["school_type"] in ("primary", "小学")]
    target = single[0] if single else mine.to_pylist()[0]
    level = "primary" if single else next(s["level"] for s in part.sections.to_pylist() if s["in_scope"])
    column = f"teachers_above_degree_{level}"
    live = written(part, tmp_path / "changed")
    row = next(
        s for s in part.sections.to_pylist() if s["school_id"] == target["school_id"] and s["level"] == level
    )
    halved = math.floor((row["teachers_above_degree"] or 0) / 2)
    live.set(target["school_id"], level, "teachers_above_degree", halved)
    live.recalculate()
    changed_schools = mine.set_column(
        mine.column_names.index(column),
        column,
        pa.array([halved if s["school_id"] == target["school_id"] else s[column] for s in mine.to_pylist()]),
    )
    counties = nation["counties"]
    changed = eduscore.evaluate(
        schools=changed_schools,
        counties=counties.filter(pa.compute.equal(counties.column("county_code"), code)),
    )
    assert_live_matches(live, changed)


# --------------------------------------------------------------------------- formulas


def test_the_workbook_writes_only_formulas_the_engine_used(demo: eduscore.Result, tmp_path: Path) -> None:
    """A framework whose formula differs from what the engine computed (a rule set's own,
    say) never reaches the sheet: the engine's values are written as numbers, and the
    cells say why; formulas that cannot be written in Excel (text values) likewise."""
    import attrs

    fw = demo.framework
    changed = tuple(
        attrs.evolve(i, formula="sports_area_m2 / students * 2") if i.id == "sports_area_per_student" else i
        for i in fw.indicators
    )
    other = attrs.evolve(demo, framework=attrs.evolve(fw, indicators=changed))
    live = written(other, tmp_path)
    col = live.header[f"{fw.indicator('sports_area_per_student').name.zh} 数值"]
    cells = [live.schools[f"{col}{r}"] for r in range(2, live.schools.max_row + 1)]
    assert cells and all(isinstance(c.value, float) for c in cells)  # numbers, not formulas
    engine = {(s["school_id"], s["level"]): s["sports_area_per_student"] for s in demo.sections.to_pylist()}
    for c in cells:
        key = (live.schools[f"D{c.row}"].value, LEVELS[live.schools[f"C{c.row}"].value])
        assert math.isclose(c.value, engine[key], rel_tol=1e-15)  # xlsxwriter writes 16 digits
    tips = [dv for dv in live.schools.data_validations.dataValidation if f"{col}2" in str(dv.sqref)]
    assert tips and "固定值" in str(tips[0].prompt)
    other_col = live.header[f"{fw.indicator('equipment_value_per_student').name.zh} 数值"]
    assert str(live.schools[f"{other_col}2"].value).startswith("=IF(")


def test_a_relaxed_formula_is_the_sections_own(tmp_path: Path) -> None:
    """With the dense-city relaxation, a dense-city school's sports area counts its extra
    ground (coalesce(sports_area_extra_m2, 0)); the others' does not: each row's formula
    is the one the engine used for it, and recalculates to its value."""
    from helpers import AT_THRESHOLD_PRIMARY, school

    rows = [
        school("a", **{**AT_THRESHOLD_PRIMARY, "sports_area_m2": 5000.0, "central_city_dense": True,
                      "sports_area_extra_m2": 2600.0}),
        school("b", **{**AT_THRESHOLD_PRIMARY, "sports_area_m2": 5000.0, "central_city_dense": False,
                      "sports_area_extra_m2": 2600.0}),
        school("c", **{**AT_THRESHOLD_PRIMARY, "central_city_dense": True}),
    ]  # fmt: skip
    result = eduscore.evaluate(schools=table(rows), relaxations=["dense_city_sports_space"])
    live = written(result, tmp_path)
    col = live.header[f"{result.framework.indicator('sports_area_per_student').name.zh} 数值"]
    formula = {sid: str(live.schools[f"{col}{live.row_of(sid, 'primary')}"].value) for sid in "abc"}
    assert (
        "sports_area" not in formula["a"] and formula["a"].count("ISNUMBER") >= 3
    )  # cells, with the extra one
    assert formula["a"] != formula["b"] and formula["a"] == formula["c"].replace(
        str(live.row_of("c", "primary")), str(live.row_of("a", "primary"))
    )
    live.recalculate()
    assert_live_matches(live, result)


# Random formulas of the grammar the translator writes, over columns a, b, c.
_NAMES = ("a", "b", "c")
_leaf = st.one_of(st.sampled_from(_NAMES), st.sampled_from(["0", "1", "2", "0.5", "3", "100", "null"]))


def _numbers(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    conditions = st.one_of(
        st.tuples(children, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), children).map(" ".join),
        children.map(lambda x: f"is_null({x})"),
        children.map(lambda x: f"{x} in (0, 1, 2)"),
    )
    logic = st.one_of(
        conditions,
        st.tuples(conditions, st.sampled_from(["and", "or"]), conditions).map(
            lambda t: f"({t[0]}) {t[1]} ({t[2]})"
        ),
        conditions.map(lambda c: f"not ({c})"),
    )
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        children.map(lambda x: f"-{x}"),
        st.tuples(st.sampled_from(["ceil", "floor", "abs"]), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(
            st.sampled_from(["min", "max", "coalesce"]), st.lists(children, min_size=2, max_size=3)
        ).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(logic, children, children).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
    )


_formulas = st.recursive(_leaf, _numbers, max_leaves=8)
_values = st.sampled_from([None, 0.0, 1.0, 2.0, -1.0, 0.5, 3.0, 7.25, 100.0, -0.5])


def _excel_function(excel: str) -> Callable[..., Any]:
    return formulas.Parser().ast(excel)[1].compile()


@given(text=_formulas, rows=st.lists(st.tuples(_values, _values, _values), min_size=1, max_size=6))
def test_translated_formulas_give_the_engines_values(text: str, rows: list[tuple[float | None, ...]]) -> None:
    """Each random formula, translated for cells A1, B1, C1 and evaluated by ``formulas``,
    gives on each row what the engine's compiler gives: the same number, or "" where the
    engine's value is missing (blank inputs, zero divisors, null, missing conditions)."""
    try:
        compiled = compile_formula(text, Columns(dict.fromkeys(_NAMES, "number")), expect="number")
    except eduscore.errors.FormulaError:
        return  # not a formula the engine accepts (e.g. a comparison of null with null)
    excel = to_excel(text, {"a": "A1", "b": "B1", "c": "C1"})
    assert excel is not None, text
    data = pa.table({n: pa.array([r[i] for r in rows], pa.float64()) for i, n in enumerate(_NAMES)})
    engine = evaluate_expression(data, compiled.expression).to_pylist()
    function = _excel_function(excel)
    for row, want in zip(rows, engine, strict=True):
        cells = dict(zip(("A1", "B1", "C1"), row, strict=True))
        args = [schedula.EMPTY if cells[ref] is None else cells[ref] for ref in function.inputs]
        got = function(*args)
        got = np.asarray(got, dtype=object).item() if not isinstance(got, str | float | int) else got
        if want is None or (isinstance(want, float) and math.isnan(want)):
            assert got == "", (text, excel, row, got)
        else:
            assert isinstance(got, int | float) and not isinstance(got, bool), (text, excel, row, got)
            assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-300), (text, excel, row, got, want)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("teachers / students * 100", '=IF(AND(ISNUMBER(A1),ISNUMBER(B1),B1<>0),A1/B1*100,"")'),
        ("a - (b - c)", '=IF(AND(ISNUMBER(A1),ISNUMBER(B1),ISNUMBER(C1)),A1-(B1-C1),"")'),
        ("ceil(a / 12)", '=IF(ISNUMBER(A1),-INT(-(A1/12)),"")'),
        ("coalesce(a, 0)", "=IF(ISNUMBER(A1),A1,0)"),
        ("null", '=""'),
        ("2 * 3", "=2*3"),
    ],
)
def test_translations_read_as_written(text: str, expected: str) -> None:
    cells = {"teachers": "A1", "students": "B1", "a": "A1", "b": "B1", "c": "C1"}
    assert to_excel(text, cells) == expected


@pytest.mark.parametrize(
    "text",
    [
        "sum(a) / 2",  # an aggregate
        "if(location == 'rural', a, b)",  # a text value
        "a / unknown",  # a column without a cell
        "1e999 * a",  # a number Excel cannot hold
        " + ".join(["a"] * 3000),  # beyond Excel's length
        "a +",  # not a formula
    ],
)
def test_what_excel_cannot_say_is_not_translated(text: str) -> None:
    assert to_excel(text, {"a": "A1", "b": "B1", "location": "D1"}) is None


def test_the_sections_table_carries_the_raw_inputs_the_engine_used(demo: eduscore.Result) -> None:
    """Each indicator recomputes from the raw columns of its section (after the split),
    and the result's JSON still validates."""
    fw = demo.framework
    for s in demo.sections.to_pylist():
        for ind in fw.indicators:
            data = pa.table(
                {
                    k: pa.array([v], pa.float64())
                    for k, v in s.items()
                    if isinstance(v, int | float) and not isinstance(v, bool)
                }
            )
            compiled = compile_formula(
                ind.formula, Columns(dict.fromkeys(data.column_names, "number")), expect="number"
            )
            (got,) = evaluate_expression(data, compiled.expression).to_pylist()
            assert got == s[ind.id], (s["school_name"], ind.id)
    assert (
        json.loads(demo.to_json())["sections"][0]["sports_area_m2"]
        == demo.sections.column("sports_area_m2")[0].as_py()
    )


def test_negative_zero_is_in_a_list_of_zero() -> None:
    """``-a in (0, 1)`` with a = 0 holds, as ``-a == 0`` does (found by the translator's
    comparison: Arrow's is_in told -0.0 from 0.0)."""
    compiled = compile_formula("-a in (0, 1)", Columns({"a": "number"}), expect="bool")
    got = evaluate_expression(pa.table({"a": [0.0, -1.0, None, 2.0]}), compiled.expression).to_pylist()
    assert got == [True, True, None, False]
