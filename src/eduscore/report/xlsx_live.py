"""The workbook as a live model: which formula each computed cell holds.

The per-school sheet holds every in-scope section's raw figures (the values the engine
computed on: after nine-year schools are split into sections and the framework's
options). Everything derived from them is an Excel formula that gives what the engine
gives, so a bureau can change a school's figure and watch its indicators, its six-of-seven
status, the CVs and the resource verdict move:

* each indicator's value: the indicator's formula over the row's cells
  (:mod:`eduscore.report.excel_formula`), the relaxed variant where a relaxation applied
  to that section — and only where that formula reproduces the engine's value from the
  row's figures; otherwise the engine's value, written as a number (:class:`Value`);
* met and ratio to the standard: :func:`met_formula`, :func:`ratio_formula` (the
  engine's comparison, with its tolerance of 1e-9 of the threshold);
* the count-met rule (six of seven): :class:`CountMetCells`;
* the student-weighted mean and CV of a county's sections: :func:`mean_formula`,
  :func:`cv_formula` (``√(Σp·x²/P − x̄²)/|x̄|``, the engine's CV up to rounding), and
  each CV's status against its limit: :func:`cv_status_formula`.

Missing is ``""``: a formula gives it where the engine's value is missing, and every
formula that reads a value tests it with ``ISNUMBER``, so missing is never a pass.
Formulas here are built from cell references, numbers and the status words only —
never from text of the inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import pyarrow as pa

from eduscore.errors import FormulaError
from eduscore.model.formula import Columns, compile_formula, evaluate_expressions
from eduscore.model.needs import indicator_formulas, indicator_inputs
from eduscore.report.excel_formula import CellKind, number_text, to_excel
from eduscore.result import Result

#: The engine's tolerance at a threshold (:data:`eduscore.engine.score.THRESHOLD_TOLERANCE`).
TOLERANCE = "1E-09"


def quoted(text: str) -> str:
    """A text as an Excel string literal."""
    return '"' + text.replace('"', '""') + '"'


def compare_formula(value: str, comparator: str, threshold: str) -> str:
    """``value comparator threshold`` as the engine compares (:data:`eduscore.engine.score.COMPARE`):
    within 1e-9 of the threshold counts as at it."""
    slack = f"ABS({threshold})*{TOLERANCE}"
    if comparator == ">=":
        return f"{value}>={threshold}-{slack}"
    if comparator == ">":
        return f"{value}>{threshold}+{slack}"
    if comparator == "<=":
        return f"{value}<={threshold}+{slack}"
    if comparator == "<":
        return f"{value}<{threshold}-{slack}"
    if comparator == "==":
        return f"ABS({value}-{threshold})<={slack}"
    raise ValueError(f"unknown comparator {comparator!r}")


def met_formula(value: str, threshold: str, comparator: str) -> str:
    """1 where the value meets its standard, 0 where not, ``""`` where either is missing."""
    test = compare_formula(value, comparator, threshold)
    return f'=IF(AND(ISNUMBER({value}),ISNUMBER({threshold})),IF({test},1,0),"")'


def ratio_formula(value: str, threshold: str, comparator: str) -> str:
    """The value's ratio to its standard, oriented so that 1 is "at it" and less is worse
    (:func:`eduscore.engine.score.met_and_ratio`): missing with a zero denominator, 1
    when both are 0."""
    num, den = (value, threshold) if comparator in (">=", ">") else (threshold, value)
    return f'=IF(AND(ISNUMBER({value}),ISNUMBER({threshold})),IF({den}=0,IF({num}=0,1,""),{num}/{den}),"")'


@attrs.frozen
class CountMetCells:
    """The formulas of a count-met rule (``count_met_with_floor``) over one row: how many
    indicators are met, missed and missing, how many missed ones are below the floor, and
    the status — fail when more are missed than allowed or any missed one is below the
    floor, else not assessed when any is missing, else pass (the engine's order:
    :func:`eduscore.engine.sections.count_met_units`)."""

    met: Sequence[str]  # the met cells (1/0/"") of the indicators with a threshold
    ratio: Sequence[str]  # their ratio cells
    min_met: int
    floor_ratio: float

    def met_count(self) -> str:
        return f"=SUM({','.join(self.met)})"

    def missed_count(self, met_count_cell: str) -> str:
        return f"=COUNT({','.join(self.met)})-{met_count_cell}"

    def missing_count(self) -> str:
        return f"={len(self.met)}-COUNT({','.join(self.met)})"

    def below_floor_count(self) -> str:
        floor = number_text(self.floor_ratio)
        terms = [
            f"IF(AND({m}=0,ISNUMBER({r})),IF({compare_formula(r, '<', floor)},1,0),0)"
            for m, r in zip(self.met, self.ratio, strict=True)
        ]
        return "=" + "+".join(terms) if terms else "=0"

    def status(self, missed: str, missing: str, below: str, words: Mapping[str, str]) -> str:
        allowed = len(self.met) - self.min_met
        return (
            f"=IF(OR({below}>0,{missed}>{allowed}),{quoted(words['fail'])},"
            f"IF({missing}>0,{quoted(words['not_assessed'])},{quoted(words['pass'])}))"
        )


def missing_count(weights: str, values: str) -> str:
    """How many sections make a CV incomplete: a weight that is not a number, or a
    positive weight beside a value that is not one (:func:`eduscore.engine.dispersion.dispersion_by_indicator`;
    sections without students carry no weight and are left out)."""
    return f"SUMPRODUCT((1-ISNUMBER({weights}))+ISNUMBER({weights})*({weights}>0)*(1-ISNUMBER({values})))"


def mean_formula(weights: str, values: str) -> str:
    """The student-weighted mean of the sections with students; ``""`` when any is missing
    or none has students."""
    total = f'SUMIF({weights},">0")'
    return (
        f'=IF({missing_count(weights, values)}>0,"",'
        f'IF({total}=0,"",SUMPRODUCT(({weights}>0)*{weights},{values})/{total}))'
    )


def cv_formula(weights: str, values: str, mean: str) -> str:
    """The student-weighted CV (population SD over the mean's magnitude); ``""`` where the
    mean is missing or 0."""
    total = f'SUMIF({weights},">0")'
    spread = f"SQRT(MAX(0,SUMPRODUCT(({weights}>0)*{weights},{values},{values})/{total}-{mean}^2))"
    return f'=IF(ISNUMBER({mean}),IF({mean}=0,"",{spread}/ABS({mean})),"")'


def cv_status_formula(cv: str, mean: str, limit: str, words: Mapping[str, str]) -> str:
    """Pass within the limit (1e-9 of it counts as at it); not computable where the mean
    is known but the CV is not (a mean of 0); not assessed where data are missing."""
    return (
        f"=IF(ISNUMBER({cv}),IF({compare_formula(cv, '<=', limit)},{quoted(words['pass'])},"
        f"{quoted(words['fail'])}),IF(ISNUMBER({mean}),{quoted(words['not_computable'])},"
        f"{quoted(words['not_assessed'])}))"
    )


def composite_formula(cvs: Sequence[str]) -> str:
    """The mean of the CVs, missing unless every one is known."""
    joined = ",".join(cvs)
    return f'=IF(COUNT({joined})={len(cvs)},AVERAGE({joined}),"")'


def composite_status_formula(mean: str, limit: str, words: Mapping[str, str]) -> str:
    return (
        f"=IF(ISNUMBER({mean}),IF({compare_formula(mean, '<=', limit)},{quoted(words['pass'])},"
        f"{quoted(words['fail'])}),{quoted(words['not_assessed'])})"
    )


def verdict_formula(fails: Sequence[str], unknown: Sequence[str], words: Mapping[str, str]) -> str:
    """Fail when any count of failures is positive, else not assessed when any count of
    unknowns is, else pass."""
    fail = "+".join(fails) or "0"
    open_ = "+".join(unknown) or "0"
    return (
        f"=IF({fail}>0,{quoted(words['fail'])},"
        f"IF({open_}>0,{quoted(words['not_assessed'])},{quoted(words['pass'])}))"
    )


# --------------------------------------------------------------------------- inputs


def input_columns(result: Result, exclude: Sequence[str] = ()) -> dict[str, CellKind]:
    """The raw input columns of the per-school sheet: those the indicators read that the
    sections table carries as numbers or conditions, in the order they first appear."""
    sections = result.sections
    out: dict[str, CellKind] = {}
    for name in indicator_inputs(result.framework, result.relaxations):
        if name in exclude or name not in sections.column_names:
            continue
        kind = sections.schema.field(name).type
        if pa.types.is_dictionary(kind):
            continue
        if pa.types.is_boolean(kind):
            out[name] = "bool"
        elif pa.types.is_integer(kind) or pa.types.is_floating(kind):
            out[name] = "number"
    return out


@attrs.frozen
class Value:
    """An indicator cell: its formula (``None``: the engine's value is written as a
    number) and the engine's value (``None``: missing)."""

    formula: str | None
    value: float | None
    #: Why there is no formula (empty when there is one).
    why: str = ""


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if not (isinstance(a, float | int) and isinstance(b, float | int)):
        return False
    if math.isnan(a) or math.isnan(b):
        return False
    return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)


def indicator_values(
    result: Result,
    rows: Sequence[Mapping[str, Any]],
    relaxation_of: Mapping[tuple[int, str], str | None],
    kinds: Mapping[str, CellKind],
    cells_of: Sequence[Mapping[str, str]],
) -> dict[str, list[Value]]:
    """Each indicator's cell in each row: the formula the engine used for that row (the
    relaxed one where ``relaxation_of[(row, indicator)]`` names a relaxation with a formula
    for it) over the row's cells (``cells_of[row]``: column → cell), kept only where it is
    translatable and, evaluated by the engine's own formula compiler on the row's figures,
    gives the engine's value — a formula the engine did not use (a rule set's own, say) is
    never written."""
    fw = result.framework
    variants = indicator_formulas(fw, result.relaxations)
    # The figures of the rows as the engine holds them, for its compiler.
    table = pa.table(
        {
            name: pa.array([r.get(name) for r in rows], pa.bool_() if kind == "bool" else pa.float64())
            for name, kind in kinds.items()
        }
        or {"_": pa.nulls(len(rows), pa.bool_())}
    )
    columns = Columns(dict(kinds))
    chosen: dict[str, list[str | None]] = {}
    texts: dict[str, str] = {}
    for ind in fw.indicators:
        own = dict(variants.get(ind.id, ((None, ind.formula),)))
        picks: list[str | None] = []
        for i in range(len(rows)):
            relaxed = relaxation_of.get((i, ind.id))
            text = own.get(relaxed) if relaxed is not None else own.get(None)
            if relaxed is not None and text is None:
                # The relaxation that applied changed the threshold only.
                text = own.get(None) if len(own) == 1 else None
            picks.append(text)
            if text is not None:
                texts.setdefault(text, f"f{len(texts)}")
        chosen[ind.id] = picks
    exprs = {}
    for text, key in texts.items():
        try:
            exprs[key] = compile_formula(text, columns, expect="number").expression
        except FormulaError:
            continue  # it reads a column the sheet does not hold: no formula
    computed = evaluate_expressions(table, exprs).to_pydict() if exprs and rows else {}
    out: dict[str, list[Value]] = {}
    for ind in fw.indicators:
        cells: list[Value] = []
        for i, row in enumerate(rows):
            engine = row.get(ind.id)
            engine_value = float(engine) if isinstance(engine, int | float) else None
            picked = chosen[ind.id][i]
            if picked is None:
                cells.append(Value(None, engine_value, "formula"))
            elif texts[picked] not in computed or not _same(computed[texts[picked]][i], engine):
                cells.append(Value(None, engine_value, "differs"))
            else:
                formula = to_excel(picked, cells_of[i], kinds)
                cells.append(Value(formula, engine_value, "" if formula else "excel"))
        out[ind.id] = cells
    return out
