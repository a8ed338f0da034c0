"""A framework formula as an Excel formula over the cells of one row.

The workbook's per-school sheet holds each section's raw figures; its indicator columns
are Excel formulas over them, translated here from the formula's syntax tree
(:func:`eduscore.model.formula.parse`) — never by rewriting its text, and never by
evaluating anything. The Excel formula gives what the engine gives, missing values
included:

* a missing value is the empty text ``""``: a blank or non-numeric input cell is
  missing (``ISNUMBER``), so is a division by zero, and missing spreads through
  arithmetic, ``min``/``max``, ``ceil``/``floor``/``abs`` and comparisons as it does in
  the engine; ``coalesce`` takes the first value that is not missing, ``is_null`` tests
  for one, ``and``/``or`` follow the same three-valued logic as the engine (``false and
  missing`` is false), and ``if`` with a missing condition is missing;
* each part of the formula is computed only where it is defined (Excel's ``IF`` computes
  only the branch it takes), so a zero divisor gives ``""``, never ``#DIV/0!``;
* the tree's grouping is kept exactly (``a - (b - c)`` stays so), so the arithmetic is
  the engine's, operation for operation.

For ``teachers_above_degree / students * 100`` over cells G2 and F2::

    =IF(AND(ISNUMBER(G2),ISNUMBER(F2),F2<>0),G2/F2*100,"")

What cannot be written this way — text values, aggregates (county formulas), a column
without a cell, a number Excel cannot hold, a formula beyond Excel's length or nesting
limits — gives ``None``: the caller writes the engine's value instead, and says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import attrs

from eduscore.errors import FormulaError
from eduscore.model.formula import (
    AGGREGATE_FUNCTIONS,
    Binary,
    Bool,
    Call,
    InList,
    Name,
    Node,
    Null,
    Num,
    Str,
    Unary,
    parse,
)

#: Excel's limits: 8,192 characters in a formula, 64 levels of nested functions.
MAX_LENGTH = 8_000
MAX_NESTING = 60

CellKind = Literal["number", "bool"]

# Operator precedence, lowest first (Excel's, for the operators a framework formula uses).
_COMPARE, _SUM, _PRODUCT, _UNARY, _ATOM = 1, 2, 3, 4, 5
_PRECEDENCE = {"+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT}
_EXCEL_COMPARE = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "<>"}


class Untranslatable(Exception):
    """A part of a formula that has no faithful Excel form here."""


Condition = tuple[str, ...]
"""A conjunction of Excel conditions: ``()`` always holds, :data:`NEVER` never does."""
NEVER: Condition = ("FALSE",)


@attrs.frozen
class _Part:
    """A translated node: its Excel expression, the condition under which it is defined
    (``()``: always), its kind, its precedence and whether it can be evaluated without an
    Excel error even where it is not defined (a number or a cell reference)."""

    text: str
    defined: Condition
    kind: CellKind
    precedence: int = _ATOM
    plain: bool = False


def number_text(value: float) -> str:
    """A number as Excel reads it: ``100``, ``0.85``, ``1E-09``.

    >>> number_text(100.0), number_text(0.85), number_text(1e-9)
    ('100', '0.85', '1E-09')
    """
    if not math.isfinite(value):
        raise Untranslatable(f"{value} is not a number Excel can hold")
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value).upper()


def _text(condition: Condition) -> str:
    """A condition as one Excel expression."""
    if not condition:
        return "TRUE"
    return condition[0] if len(condition) == 1 else f"AND({','.join(condition)})"


def _all(*conditions: Condition) -> Condition:
    """The conjunction of conditions."""
    terms: list[str] = []
    for c in conditions:
        if c == NEVER:
            return NEVER
        terms += [t for t in c if t not in terms]
    return tuple(terms)


def _any(*conditions: Condition) -> Condition:
    """The disjunction of conditions."""
    terms: list[str] = []
    for c in conditions:
        if not c:
            return ()
        if c != NEVER and _text(c) not in terms:
            terms.append(_text(c))
    if not terms:
        return NEVER
    return (terms[0],) if len(terms) == 1 else (f"OR({','.join(terms)})",)


def _when(condition: Condition, then: str, otherwise: str) -> str:
    """``then`` where ``condition`` holds, else ``otherwise`` (``then`` is not computed there)."""
    if not condition:
        return then
    if condition == NEVER:
        return otherwise
    return f"IF({_text(condition)},{then},{otherwise})"


def _wrap(part: _Part, above: int) -> str:
    """The part's text, in parentheses unless it binds tighter than ``above``."""
    return part.text if part.precedence > above else f"({part.text})"


class _Translator:
    def __init__(self, cells: Mapping[str, str], kinds: Mapping[str, CellKind]) -> None:
        self.cells = cells
        self.kinds = kinds

    def node(self, node: Node) -> _Part:
        match node:
            case Num(value=value):
                return _Part(number_text(value), (), "number", plain=True)
            case Bool(value=value):
                return _Part("TRUE" if value else "FALSE", (), "bool", plain=True)
            case Null():
                return _Part("0", NEVER, "number", plain=True)
            case Name(name=name):
                ref = self.cells.get(name)
                if ref is None:
                    raise Untranslatable(f"no cell holds {name!r}")
                kind = self.kinds.get(name, "number")
                test = "ISNUMBER" if kind == "number" else "ISLOGICAL"
                return _Part(ref, (f"{test}({ref})",), kind, plain=True)
            case Unary(op="-", operand=operand):
                x = self.number(operand)
                return _Part(f"-{_wrap(x, _UNARY)}", x.defined, "number", _UNARY)
            case Unary(op="not", operand=operand):
                x = self.condition(operand)
                return _Part(f"NOT({x.text})", x.defined, "bool")
            case Binary(op=op, left=left, right=right):
                return self.binary(op, left, right)
            case InList(operand=operand, values=values):
                x = self.number(operand)
                if not all(isinstance(v, Num) for v in values):
                    raise Untranslatable("a list of text values")
                tests = [f"{_wrap(x, _COMPARE)}={number_text(v.value)}" for v in values if isinstance(v, Num)]
                text = tests[0] if len(tests) == 1 else f"OR({','.join(tests)})"
                return _Part(text, x.defined, "bool", _COMPARE if len(tests) == 1 else _ATOM)
            case Call(function=function, args=args):
                return self.call(function, args)
            case Str():
                raise Untranslatable("a text value")
        raise Untranslatable(f"cannot translate {node!r}")  # pragma: no cover

    def number(self, node: Node) -> _Part:
        part = self.node(node)
        if part.kind != "number":
            raise Untranslatable("a condition where a number is expected")
        return part

    def condition(self, node: Node) -> _Part:
        part = self.node(node)
        if part.kind != "bool":
            raise Untranslatable("a number where a condition is expected")
        return part

    def nonzero(self, x: _Part) -> str:
        """``x`` is not zero — computed only where ``x`` is defined, unless that is harmless."""
        test = f"{_wrap(x, _COMPARE)}<>0"
        return test if x.plain or not x.defined else _when(x.defined, test, "FALSE")

    def binary(self, op: str, left: Node, right: Node) -> _Part:
        if op in ("and", "or"):
            a, b = self.condition(left), self.condition(right)
            return self.kleene(op, a, b)
        if op in ("==", "!="):
            if isinstance(left, Null) or isinstance(right, Null):
                return _Part("FALSE", NEVER, "bool")  # a comparison with null is missing
            a, b = self.node(left), self.node(right)
            if a.kind != b.kind:
                raise Untranslatable("a comparison of a number with a condition")
        else:
            a, b = self.number(left), self.number(right)
        if op in _EXCEL_COMPARE:
            text = f"{_wrap(a, _COMPARE)}{_EXCEL_COMPARE[op]}{_wrap(b, _COMPARE)}"
            return _Part(text, _all(a.defined, b.defined), "bool", _COMPARE)
        precedence = _PRECEDENCE[op]
        # Left-associative: only a looser left operand needs parentheses; the right one
        # keeps them at the same precedence too, so the engine's grouping stays exactly
        # (and a negative right operand is written in parentheses: a-(-b), not a--b).
        rhs = b.text if b.precedence > precedence and b.precedence != _UNARY else f"({b.text})"
        text = f"{_wrap(a, precedence - 1)}{op}{rhs}"
        defined = _all(a.defined, b.defined)
        if op == "/" and isinstance(right, Num):
            defined = defined if right.value != 0 else NEVER
        elif op == "/":
            # A zero divisor is missing (the engine's rule), computed only where b is.
            defined = _all(defined, (self.nonzero(b),))
        return _Part(text, defined, "number", precedence)

    def kleene(self, op: str, a: _Part, b: _Part) -> _Part:
        """``and``/``or`` with missing values: ``false and missing`` is false, ``true or
        missing`` true, the rest with a missing operand missing."""
        if not a.defined and not b.defined:
            return _Part(f"{op.upper()}({a.text},{b.text})", (), "bool")
        neutral = "TRUE" if op == "and" else "FALSE"
        value = f"{op.upper()}({_when(a.defined, a.text, neutral)},{_when(b.defined, b.text, neutral)})"
        # Defined where both are, or where one alone decides (false for and, true for or).
        decides_a = _when(a.defined, a.text if op == "or" else f"NOT({a.text})", "FALSE")
        decides_b = _when(b.defined, b.text if op == "or" else f"NOT({b.text})", "FALSE")
        defined = _any(_all(a.defined, b.defined), (decides_a,), (decides_b,))
        return _Part(value, defined, "bool")

    def call(self, function: str, args: tuple[Node, ...]) -> _Part:
        if function in AGGREGATE_FUNCTIONS:
            raise Untranslatable(f"the aggregate {function}()")
        if function in ("ceil", "floor", "abs") and len(args) == 1:
            x = self.number(args[0])
            forms = {"ceil": f"-INT(-{_wrap(x, _UNARY)})", "floor": f"INT({x.text})", "abs": f"ABS({x.text})"}
            return _Part(forms[function], x.defined, "number", _UNARY if function == "ceil" else _ATOM)
        if function in ("min", "max") and len(args) >= 2:
            xs = [self.number(a) for a in args]
            text = f"{function.upper()}({','.join(x.text for x in xs)})"
            return _Part(text, _all(*(x.defined for x in xs)), "number")  # missing if any is
        if function == "coalesce" and args:
            parts: list[_Part] = []
            for a in args:
                p = self.node(a)
                if p.defined == NEVER:
                    continue  # a null argument never gives the value
                parts.append(p)
                if not p.defined:
                    break  # always defined: the arguments after it are never reached
            if not parts:
                return _Part("0", NEVER, "number", plain=True)
            if len({p.kind for p in parts}) != 1:
                raise Untranslatable("coalesce() of numbers and conditions")
            if len(parts) == 1:
                return parts[0]
            text = parts[-1].text
            for p in reversed(parts[:-1]):
                text = _when(p.defined, p.text, text)
            return _Part(text, _any(*(p.defined for p in parts)), parts[0].kind)
        if function == "is_null" and len(args) == 1:
            x = self.node(args[0])
            if not x.defined:
                return _Part("FALSE", (), "bool")
            return _Part(f"NOT({_text(x.defined)})", (), "bool")
        if function == "if" and len(args) == 3:
            c = self.condition(args[0])
            branches = [self.node(a) for a in args[1:]]
            kinds = {b.kind for b, a in zip(branches, args[1:], strict=True) if not isinstance(a, Null)}
            if len(kinds) > 1:
                raise Untranslatable("if() branches of different kinds")
            then, other = branches
            kind = kinds.pop() if kinds else "number"
            text = f"IF({c.text},{then.text},{other.text})"
            defined = c.defined
            if then.defined or other.defined:
                chosen = f"IF({c.text},{_text(then.defined)},{_text(other.defined)})"
                defined = _all(c.defined, (_when(c.defined, chosen, "FALSE"),))
            return _Part(text, defined, kind)
        raise Untranslatable(f"the function {function}() with {len(args)} argument(s)")


def to_excel(
    formula: str | Node,
    cells: Mapping[str, str],
    kinds: Mapping[str, CellKind] | None = None,
) -> str | None:
    """The Excel formula (``=…``) computing ``formula`` from the cells that hold its
    columns (``cells``: column name → cell reference such as ``G2``; ``kinds``: the columns
    that are conditions rather than numbers), giving ``""`` where the engine's value is
    missing. ``None`` when the formula has no faithful Excel form (see the module docs).

    >>> to_excel("teachers / students * 100", {"teachers": "G2", "students": "F2"})
    '=IF(AND(ISNUMBER(G2),ISNUMBER(F2),F2<>0),G2/F2*100,"")'
    >>> to_excel("(a + coalesce(b, 0)) / students", {"a": "G2", "b": "H2", "students": "F2"})
    '=IF(AND(ISNUMBER(G2),ISNUMBER(F2),F2<>0),(G2+IF(ISNUMBER(H2),H2,0))/F2,"")'
    >>> to_excel("sum(a) / 2", {"a": "G2"}) is None
    True
    """
    try:
        tree = parse(formula) if isinstance(formula, str) else formula
        part = _Translator(cells, kinds or {}).number(tree)
    except (Untranslatable, FormulaError, RecursionError):
        return None
    if part.defined == NEVER:
        text = '=""'
    elif not part.defined:
        text = f"={part.text}"
    else:
        text = f'=IF({_text(part.defined)},{part.text},"")'
    if len(text) > MAX_LENGTH or _nesting(text) > MAX_NESTING:
        return None
    return text


def _nesting(text: str) -> int:
    """The deepest nesting of parentheses in ``text`` (outside string literals)."""
    depth = deepest = 0
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif not quoted and ch == ")":
            depth -= 1
    return deepest
