"""A small, safe formula language compiled to ``pyarrow.compute`` expressions.

Framework documents write indicator values, thresholds and conditions as formulas,
for example ``teachers_above_degree / students * 100`` or
``sum(if(category in ('public', 'private_inclusive'), children, 0)) / sum(children)``.
A formula is tokenised and parsed by a recursive-descent grammar into a tiny syntax
tree, type-checked against the known columns, and compiled into one
:class:`pyarrow.compute.Expression` that Arrow evaluates over whole tables. Nothing
is ever passed to Python's ``eval``: the only things a formula can do are the
operators and functions listed below.

Grammar (lowest precedence first)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
             | sum "in" "(" literal ("," literal)* ")"
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := "-" unary | atom
    atom    := number | string | "true" | "false" | "null"
             | name | name "(" [expr ("," expr)*] ")" | "(" expr ")"

Row functions: ``ceil``, ``floor``, ``abs``, ``min``, ``max`` (element-wise),
``coalesce``, ``if(condition, then, else)``, ``is_null``.
Aggregate functions (county formulas only, over the rows of one county):
``sum``, ``mean``, ``minimum``, ``maximum``, ``count(condition)``, ``all``, ``any``, and
``distinct(x)`` (how many different non-missing values, e.g. townships served).
Aggregates never skip missing values: one missing input makes the aggregate missing,
so the check that uses it is "not assessed" instead of silently passing.

Division by zero gives a missing value, never ``inf``; :attr:`Compiled.divisions`
lists every denominator so the engine can say *why* a value is missing.

Formulas come from documents anyone can write, so their size is bounded: at most
:data:`MAX_FORMULA_LENGTH` characters, :data:`MAX_FORMULA_NESTING` levels of
parentheses, function calls, signs and ``not``, and a syntax tree at most
:data:`MAX_FORMULA_DEPTH` operations deep. Beyond them :class:`FormulaError` names the
limit (instead of Python's ``RecursionError``), and every message quotes only a window
of the formula around the error.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Collection, Mapping
from typing import Literal

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from eduscore.errors import FormulaError

Kind = Literal["number", "text", "bool"]

ROW_FUNCTIONS = ("ceil", "floor", "abs", "min", "max", "coalesce", "if", "is_null")
AGGREGATE_FUNCTIONS = ("sum", "mean", "minimum", "maximum", "count", "distinct", "all", "any")

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|==|!=|[<>+\-*/(),])
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}

# The parser and the compiler recurse: each level of nesting costs about eight Python
# frames while parsing and each level of the tree two while compiling, so these limits
# keep far below Python's recursion limit (1,000) with room for the caller's own frames.
# Real formulas are a few dozen characters and a handful of levels deep.
MAX_FORMULA_LENGTH = 10_000
MAX_FORMULA_NESTING = 50
MAX_FORMULA_DEPTH = 100
# Characters of the formula quoted on each side of the place an error points at.
QUOTE_WINDOW = 60


# --------------------------------------------------------------------------- syntax


@attrs.frozen
class Token:
    kind: str  # number, string, name, op, keyword, end
    text: str
    pos: int


@attrs.frozen
class Num:
    value: float


@attrs.frozen
class Str:
    value: str


@attrs.frozen
class Bool:
    value: bool


@attrs.frozen
class Null:
    pass


@attrs.frozen
class Name:
    name: str
    pos: int


@attrs.frozen
class Unary:
    op: str  # "-" or "not"
    operand: Node


@attrs.frozen
class Binary:
    op: str  # + - * / < <= > >= == != and or
    left: Node
    right: Node
    pos: int


@attrs.frozen
class InList:
    operand: Node
    values: tuple[Num | Str, ...]


@attrs.frozen
class Call:
    function: str
    args: tuple[Node, ...]
    pos: int


Node = Num | Str | Bool | Null | Name | Unary | Binary | InList | Call


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise FormulaError(_at(text, pos, f"unexpected character {text[pos]!r}"))
        kind = match.lastgroup or ""
        if kind != "ws":
            word = match.group()
            if kind == "name" and word in _KEYWORDS:
                kind = "keyword"
            tokens.append(Token(kind, word, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def quote(text: str, pos: int = 0, window: int = QUOTE_WINDOW) -> tuple[str, int]:
    """A short excerpt of ``text`` around ``pos`` (``…`` where cut) and where ``pos`` is in it.

    A formula can be megabytes long when a document is broken or hostile; messages quote
    this excerpt, never the whole text.
    """
    start, end = max(0, pos - window), min(len(text), pos + window)
    head = "…" if start > 0 else ""
    tail = "…" if end < len(text) else ""
    return head + text[start:end] + tail, pos - start + len(head)


def _at(text: str, pos: int, message: str) -> str:
    shown, caret = quote(text, pos)
    return f"{message} at position {pos + 1} in formula\n    {shown}\n    {' ' * caret}^"


def _limit_error(text: str, pos: int | None, en: str, zh: str) -> FormulaError:
    """A size limit broken at ``pos`` (``None``: the whole formula, quoted from its start)."""
    shown, caret = quote(text, pos or 0)
    if pos is None:
        return FormulaError(f"{en}; the formula begins\n    {shown}", zh=f"{zh};公式开头为\n    {shown}")
    where = f"\n    {shown}\n    {' ' * caret}^"
    return FormulaError(
        f"{en} at position {pos + 1} in formula{where}",
        zh=f"{zh}(公式第 {pos + 1} 个字符处){where}",
    )


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.nesting = 0

    def enter(self, tok: Token) -> None:
        """One level deeper (parentheses, a call, a sign, ``not``): refuse beyond the limit."""
        self.nesting += 1
        if self.nesting > MAX_FORMULA_NESTING:
            raise _limit_error(
                self.text,
                tok.pos,
                f"the formula nests more than {MAX_FORMULA_NESTING} levels of parentheses, "
                "function calls, signs or 'not'; simplify it or split it into indicators",
                f"公式嵌套超过 {MAX_FORMULA_NESTING} 层(括号、函数调用、正负号或 not);"
                "请简化公式或拆成多个指标",
            )

    def leave(self) -> None:
        self.nesting -= 1

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def error(self, message: str, tok: Token | None = None) -> FormulaError:
        return FormulaError(_at(self.text, (tok or self.tok).pos, message))

    def accept(self, *texts: str) -> Token | None:
        if self.tok.kind in ("op", "keyword") and self.tok.text in texts:
            tok = self.tok
            self.i += 1
            return tok
        return None

    def expect(self, text: str) -> Token:
        tok = self.accept(text)
        if tok is None:
            found = self.tok.text or "end of formula"
            raise self.error(f"expected {text!r}, found {found!r}")
        return tok

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.error("empty formula")
        node = self.or_()
        if self.tok.kind != "end":
            raise self.error(f"unexpected {self.tok.text!r}")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while tok := self.accept("or"):
            node = Binary("or", node, self.and_(), tok.pos)
        return node

    def and_(self) -> Node:
        node = self.not_()
        while tok := self.accept("and"):
            node = Binary("and", node, self.not_(), tok.pos)
        return node

    def not_(self) -> Node:
        if tok := self.accept("not"):
            self.enter(tok)
            node = Unary("not", self.not_())
            self.leave()
            return node
        return self.compare()

    def compare(self) -> Node:
        node = self.sum()
        if tok := self.accept("<", "<=", ">", ">=", "==", "!="):
            return Binary(tok.text, node, self.sum(), tok.pos)
        if self.accept("in"):
            self.expect("(")
            values = [self.literal()]
            while self.accept(","):
                values.append(self.literal())
            self.expect(")")
            return InList(node, tuple(values))
        return node

    def literal(self) -> Num | Str:
        tok = self.tok
        if tok.kind == "number":
            self.i += 1
            return Num(float(tok.text))
        if tok.kind == "string":
            self.i += 1
            return Str(tok.text[1:-1])
        raise self.error("expected a number or a quoted text value")

    def sum(self) -> Node:
        node = self.product()
        while tok := self.accept("+", "-"):
            node = Binary(tok.text, node, self.product(), tok.pos)
        return node

    def product(self) -> Node:
        node = self.unary()
        while tok := self.accept("*", "/"):
            node = Binary(tok.text, node, self.unary(), tok.pos)
        return node

    def unary(self) -> Node:
        if tok := self.accept("-"):
            self.enter(tok)
            node = Unary("-", self.unary())
            self.leave()
            return node
        return self.atom()

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind in ("number", "string"):
            return self.literal()
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            self.i += 1
            return Bool(tok.text == "true")
        if tok.kind == "keyword" and tok.text == "null":
            self.i += 1
            return Null()
        if tok.kind == "name":
            self.i += 1
            if self.accept("("):
                self.enter(tok)
                args: list[Node] = []
                if not self.accept(")"):
                    args.append(self.or_())
                    while self.accept(","):
                        args.append(self.or_())
                    self.expect(")")
                self.leave()
                return Call(tok.text, tuple(args), tok.pos)
            return Name(tok.text, tok.pos)
        if paren := self.accept("("):
            self.enter(paren)
            node = self.or_()
            self.expect(")")
            self.leave()
            return node
        raise self.error(f"unexpected {tok.text or 'end of formula'!r}")


def parse(text: str) -> Node:
    """Parse ``text`` into a syntax tree, raising :class:`FormulaError` on bad syntax or
    beyond the size limits (:data:`MAX_FORMULA_LENGTH`, :data:`MAX_FORMULA_NESTING`,
    :data:`MAX_FORMULA_DEPTH`)."""
    if not isinstance(text, str):
        shown, _ = quote(repr(text))
        raise FormulaError(f"a formula must be text, got {shown}", zh=f"公式必须是文本,实际是 {shown}")
    if len(text) > MAX_FORMULA_LENGTH:
        raise _limit_error(
            text,
            None,
            f"the formula is {len(text):,} characters long, longer than the limit of "
            f"{MAX_FORMULA_LENGTH:,}; split it into indicators",
            f"公式长 {len(text):,} 个字符,超过上限 {MAX_FORMULA_LENGTH:,};请拆成多个指标",
        )
    tree = _Parser(text).parse()
    _check_depth(text, tree)
    return tree


def children(node: Node) -> tuple[Node, ...]:
    """The operands of a node of the syntax tree (none for a leaf), left to right."""
    match node:
        case Unary(operand=operand) | InList(operand=operand):
            return (operand,)
        case Binary(left=left, right=right):
            return (left, right)
        case Call(args=args):
            return args
    return ()


def _check_depth(text: str, tree: Node) -> None:
    """Refuse trees deeper than :data:`MAX_FORMULA_DEPTH` (``a + a + …`` chains parse in a
    loop but compile recursively), walking the tree without recursion."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_FORMULA_DEPTH:
            raise _limit_error(
                text,
                _pos(node),
                f"the formula is deeper than {MAX_FORMULA_DEPTH} operations (a chain of more than "
                f"{MAX_FORMULA_DEPTH} terms or nested calls); split it into indicators",
                f"公式运算层级超过 {MAX_FORMULA_DEPTH} 层(超过 {MAX_FORMULA_DEPTH} 项相连或层层嵌套);"
                "请拆成多个指标",
            )
        stack.extend((child, depth + 1) for child in children(node))


def names(node: Node) -> set[str]:
    """Every column name a formula refers to (inside aggregates too)."""
    match node:
        case Name(name=name):
            return {name}
        case Unary(operand=operand):
            return names(operand)
        case Binary(left=left, right=right):
            return names(left) | names(right)
        case InList(operand=operand):
            return names(operand)
        case Call(args=args):
            return set().union(*(names(a) for a in args)) if args else set()
    return set()


def plain_column(formula: str | Node) -> str | None:
    """The column ``formula`` consists of, when it is one bare column name; else ``None``.

    >>> plain_column("music_rooms"), plain_column(" (music_rooms) "), plain_column("rooms / 2")
    ('music_rooms', 'music_rooms', None)
    """
    if isinstance(formula, str):
        try:
            formula = parse(formula)
        except FormulaError:
            return None
    return formula.name if isinstance(formula, Name) else None


@attrs.frozen
class PerStudent:
    """The terms of a per-student formula ``resource / denominator * per``.

    ``resource`` and ``denominator`` are column names (``sports_area_m2``, ``students``);
    ``per`` is the constant factor, 100 for "per 100 students" and 1 for "per student".
    One more ``resource`` raises the value by ``per / denominator``.
    """

    resource: str
    denominator: str
    per: float


def per_student_terms(
    formula: str | Node, denominators: Collection[str] = ("students",)
) -> PerStudent | None:
    """Read ``formula`` as ``resource / denominator * per``; ``None`` when it is not that.

    The formula is read from its syntax tree, so how it is written does not matter: as
    a product of factors (``*`` and ``/`` in any order and grouping, parentheses
    anywhere), it must have exactly one column above the line, exactly one column
    below it (one of ``denominators``), and otherwise only numbers, whose quotient
    ``per`` must be positive and finite. Anything else — a sum, a sign, a function
    call, a second column, another denominator — is not of that shape, and neither is
    text that is not a formula at all (the framework loader reports that).

    >>> per_student_terms("sports_area_m2 / students * 100")
    PerStudent(resource='sports_area_m2', denominator='students', per=100.0)
    >>> per_student_terms("100 * (sports_area_m2) / students")
    PerStudent(resource='sports_area_m2', denominator='students', per=100.0)
    >>> per_student_terms("sports_area_m2 / teachers * 100") is None
    True
    >>> per_student_terms("sports_area_m2 / students + 1") is None
    True
    """
    if isinstance(formula, str):
        try:
            formula = parse(formula)
        except FormulaError:
            return None
    above: list[Node] = []
    below: list[Node] = []
    # Flatten the product without recursion: (node, True) lies above the line.
    stack: list[tuple[Node, bool]] = [(formula, True)]
    while stack:
        node, up = stack.pop()
        if isinstance(node, Binary) and node.op in ("*", "/"):
            stack.append((node.left, up))
            stack.append((node.right, up if node.op == "*" else not up))
        else:
            (above if up else below).append(node)
    columns_above = [n for n in above if isinstance(n, Name)]
    columns_below = [n for n in below if isinstance(n, Name)]
    if len(columns_above) != 1 or len(columns_below) != 1 or columns_below[0].name not in denominators:
        return None
    per = 1.0
    for node in above:
        if isinstance(node, Num):
            per *= node.value
        elif not isinstance(node, Name):
            return None
    for node in below:
        if isinstance(node, Num):
            per /= node.value if node.value else math.nan
        elif not isinstance(node, Name):
            return None
    if not (math.isfinite(per) and per > 0):
        return None
    return PerStudent(columns_above[0].name, columns_below[0].name, per)


# --------------------------------------------------------------------------- compile


@attrs.frozen
class Division:
    """A denominator in a formula, kept so that a missing value can be explained."""

    denominator: pc.Expression
    text: str


@attrs.frozen
class Aggregate:
    """An aggregate over the unit rows of one county, to be computed by group-by."""

    column: str  # name of the aggregated column in the county table
    function: str  # Arrow hash aggregate name, e.g. "sum"
    argument: pc.Expression  # row-level expression aggregated


@attrs.frozen
class Compiled:
    text: str
    expression: pc.Expression
    kind: Kind
    columns: frozenset[str]
    divisions: tuple[Division, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()
    row_columns: frozenset[str] = frozenset()  # columns of the unit table used inside aggregates


_ARROW_AGG = {
    "sum": "sum",
    "mean": "mean",
    "minimum": "min",
    "maximum": "max",
    "count": "sum",
    "distinct": "count_distinct",
    "all": "all",
    "any": "any",
}

Resolver = Callable[[str], Kind | None]
_KIND_ZH: dict[str, str] = {"number": "数值", "text": "文本", "bool": "条件(是/否)"}
_ARROW_TYPES: dict[str, pa.DataType] = {"number": pa.float64(), "text": pa.string(), "bool": pa.bool_()}


class _Compiler:
    def __init__(
        self,
        text: str,
        resolve: Resolver,
        row_resolve: Resolver | None,
        agg_prefix: str,
    ) -> None:
        self.text = text
        self.resolve = resolve
        self.row_resolve = row_resolve
        self.agg_prefix = agg_prefix
        self.divisions: list[Division] = []
        self.aggregates: list[Aggregate] = []
        self.columns: set[str] = set()
        self.row_columns: set[str] = set()

    def fail(self, pos: int, message: str) -> FormulaError:
        return FormulaError(_at(self.text, pos, message))

    def known(self, resolve: Resolver, name: str, pos: int) -> Kind:
        kind = resolve(name)
        if kind is None:
            raise self.fail(pos, f"unknown column {name!r}{_suggest(name, resolve)}")
        return kind

    def number(self, node: Node, expr: pc.Expression, kind: Kind, what: str) -> pc.Expression:
        if kind != "number":
            raise self.fail(_pos(node), f"{what} needs a number, but {_show(node)} is {kind}")
        return expr

    def compile(self, node: Node, resolve: Resolver) -> tuple[pc.Expression, Kind]:
        match node:
            case Num(value=value):
                return pc.scalar(float(value)), "number"
            case Str(value=value):
                return pc.scalar(value), "text"
            case Bool(value=value):
                return pc.scalar(value), "bool"
            case Null():
                return pc.scalar(pa.scalar(None, pa.float64())), "number"
            case Name(name=name, pos=pos):
                kind = self.known(resolve, name, pos)
                self.columns.add(name)
                field = pc.field(name)
                if kind == "number":
                    field = field.cast(pa.float64())
                return field, kind
            case Unary(op="-", operand=operand):
                expr, kind = self.compile(operand, resolve)
                return pc.negate(self.number(operand, expr, kind, "'-'")), "number"
            case Unary(op="not", operand=operand):
                expr, kind = self.compile(operand, resolve)
                if kind != "bool":
                    raise self.fail(_pos(operand), f"'not' needs a condition, got {kind}")
                return pc.invert(expr), "bool"
            case Binary(op=op, left=left, right=right, pos=pos):
                return self.binary(op, left, right, pos, resolve)
            case InList(operand=operand, values=values):
                expr, kind = self.compile(operand, resolve)
                if kind == "number" and all(isinstance(v, Num) for v in values):
                    value_set = pa.array([v.value for v in values], pa.float64())
                    # is_in hashes the bits: -0.0 (from -a with a = 0) would not be 0, as it
                    # is for ==; adding 0.0 makes it +0.0 and leaves every other value as is.
                    expr = pc.add(expr, pc.scalar(0.0))
                elif kind == "text" and all(isinstance(v, Str) for v in values):
                    value_set = pa.array([v.value for v in values], pa.string())
                else:
                    raise self.fail(_pos(operand), f"'in' list values must all be {kind}")
                # is_in with nulls: keep missing as missing, not as "not in the list".
                isin = pc.is_in(expr, value_set=value_set)
                return pc.if_else(pc.is_null(expr), pc.scalar(pa.scalar(None, pa.bool_())), isin), "bool"
            case Call(function=function, args=args, pos=pos):
                return self.call(function, args, pos, resolve)
        raise self.fail(0, f"cannot compile {node!r}")  # pragma: no cover

    def binary(
        self, op: str, left: Node, right: Node, pos: int, resolve: Resolver
    ) -> tuple[pc.Expression, Kind]:
        lexpr, lkind = self.compile(left, resolve)
        rexpr, rkind = self.compile(right, resolve)
        if op in ("and", "or"):
            if lkind != "bool" or rkind != "bool":
                bad = left if lkind != "bool" else right
                raise self.fail(_pos(bad), f"'{op}' needs conditions, but {_show(bad)} is not one")
            fn = pc.and_kleene if op == "and" else pc.or_kleene
            return fn(lexpr, rexpr), "bool"
        if op in ("==", "!="):
            if lkind != rkind and not (_is_null(left) or _is_null(right)):
                raise self.fail(pos, f"cannot compare {lkind} with {rkind} using {op!r}")
            fn = pc.equal if op == "==" else pc.not_equal
            return fn(lexpr, rexpr), "bool"
        what = f"{op!r}"
        lexpr = self.number(left, lexpr, lkind, what)
        rexpr = self.number(right, rexpr, rkind, what)
        if op in ("<", "<=", ">", ">="):
            fn = {"<": pc.less, "<=": pc.less_equal, ">": pc.greater, ">=": pc.greater_equal}[op]
            return fn(lexpr, rexpr), "bool"
        if op == "+":
            return pc.add(lexpr, rexpr), "number"
        if op == "-":
            return pc.subtract(lexpr, rexpr), "number"
        if op == "*":
            return pc.multiply(lexpr, rexpr), "number"
        # Division: a zero denominator gives a missing value (explained via `divisions`).
        self.divisions.append(Division(rexpr, _show(right)))
        zero = pc.equal(rexpr, pc.scalar(0.0))
        missing = pc.scalar(pa.scalar(None, pa.float64()))
        return pc.if_else(zero, missing, pc.divide(lexpr, rexpr)), "number"

    def call(
        self, function: str, args: tuple[Node, ...], pos: int, resolve: Resolver
    ) -> tuple[pc.Expression, Kind]:
        if function in AGGREGATE_FUNCTIONS:
            return self.aggregate(function, args, pos)
        if function not in ROW_FUNCTIONS:
            known = ROW_FUNCTIONS + (AGGREGATE_FUNCTIONS if self.row_resolve else ())
            hint = difflib.get_close_matches(function, known, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise self.fail(pos, f"unknown function {function!r}{extra}")
        compiled = [self.compile(a, resolve) for a in args]
        exprs = [e for e, _ in compiled]
        kinds = [k for _, k in compiled]

        def arity(n: int) -> None:
            if len(args) != n:
                raise self.fail(pos, f"{function}() takes {n} argument(s), got {len(args)}")

        if function in ("ceil", "floor", "abs"):
            arity(1)
            x = self.number(args[0], exprs[0], kinds[0], f"{function}()")
            fn = {"ceil": pc.ceil, "floor": pc.floor, "abs": pc.abs}[function]
            return fn(x), "number"
        if function in ("min", "max"):
            if len(args) < 2:
                raise self.fail(pos, f"{function}() takes at least 2 arguments")
            nums = [self.number(a, e, k, f"{function}()") for a, e, k in zip(args, exprs, kinds, strict=True)]
            fn = pc.min_element_wise if function == "min" else pc.max_element_wise
            # skip_nulls=False: a missing input keeps the result missing.
            return fn(*nums, skip_nulls=False), "number"
        if function == "coalesce":
            if not args:
                raise self.fail(pos, "coalesce() needs at least one argument")
            kind = next((k for a, k in zip(args, kinds, strict=True) if not _is_null(a)), kinds[0])
            return pc.coalesce(*exprs), kind
        if function == "is_null":
            arity(1)
            return pc.is_null(exprs[0]), "bool"
        # if(condition, then, else)
        arity(3)
        if kinds[0] != "bool":
            raise self.fail(_pos(args[0]), "the first argument of if() must be a condition")
        if kinds[1] != kinds[2] and not (_is_null(args[1]) or _is_null(args[2])):
            raise self.fail(pos, f"if() branches differ in type: {kinds[1]} and {kinds[2]}")
        kind = kinds[2] if _is_null(args[1]) else kinds[1]
        # A bare null takes the type of the other branch (text, number or condition).
        typed_null = pc.scalar(pa.scalar(None, _ARROW_TYPES[kind]))
        then = typed_null if _is_null(args[1]) else exprs[1]
        other = typed_null if _is_null(args[2]) else exprs[2]
        return pc.if_else(exprs[0], then, other), kind

    def aggregate(self, function: str, args: tuple[Node, ...], pos: int) -> tuple[pc.Expression, Kind]:
        if self.row_resolve is None:
            raise self.fail(pos, f"{function}() aggregates rows and is only allowed in county formulas")
        if len(args) != 1:
            raise self.fail(pos, f"{function}() takes exactly one argument")
        inner = _Compiler(self.text, self.row_resolve, None, "")
        expr, kind = inner.compile(args[0], self.row_resolve)
        self.row_columns |= inner.columns
        if function in ("all", "any", "count") and kind != "bool":
            raise self.fail(pos, f"{function}() needs a condition")
        if function not in ("all", "any", "count", "distinct") and kind != "number":
            raise self.fail(pos, f"{function}() needs a number")
        if function == "count":
            expr = pc.if_else(expr, pc.scalar(1.0), pc.scalar(0.0))
        column = f"{self.agg_prefix}{len(self.aggregates)}"
        self.aggregates.append(Aggregate(column, _ARROW_AGG[function], expr))
        # Row-level divisions inside an aggregate only make the aggregate missing.
        result_kind: Kind = "bool" if function in ("all", "any") else "number"
        field = pc.field(column)
        return (field.cast(pa.float64()) if result_kind == "number" else field), result_kind


def _is_null(node: Node) -> bool:
    return isinstance(node, Null)


def _pos(node: Node) -> int:
    match node:
        case Name(pos=pos) | Binary(pos=pos) | Call(pos=pos):
            return pos
        case Unary(operand=operand) | InList(operand=operand):
            return _pos(operand)
    return 0


def _show(node: Node) -> str:
    match node:
        case Num(value=value):
            return f"{value:g}"
        case Str(value=value):
            return repr(value)
        case Bool(value=value):
            return "true" if value else "false"
        case Null():
            return "null"
        case Name(name=name):
            return name
        case Unary(op=op, operand=operand):
            return f"{op} {_show(operand)}" if op == "not" else f"-{_show(operand)}"
        case Binary(op=op, left=left, right=right):
            return f"({_show(left)} {op} {_show(right)})"
        case InList(operand=operand, values=values):
            return f"{_show(operand)} in ({', '.join(_show(v) for v in values)})"
        case Call(function=function, args=args):
            return f"{function}({', '.join(_show(a) for a in args)})"
    return "?"  # pragma: no cover


def _suggest(name: str, resolve: Resolver) -> str:
    candidates = getattr(resolve, "candidates", None)
    if not candidates:
        return ""
    hint = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


class Columns:
    """A resolver over a mapping of column name → kind, offering did-you-mean hints."""

    def __init__(self, kinds: Mapping[str, Kind]) -> None:
        self.candidates = dict(kinds)

    def __call__(self, name: str) -> Kind | None:
        return self.candidates.get(name)


def compile_formula(
    text: str,
    columns: Resolver,
    *,
    rows: Resolver | None = None,
    expect: Kind | None = None,
    aggregate_prefix: str = "__agg",
) -> Compiled:
    """Compile ``text`` into an Arrow expression.

    ``columns`` resolves names of the table the formula is evaluated on. ``rows``, when
    given, resolves names of the unit table that aggregate functions run over (county
    formulas); without it aggregates are refused. ``expect`` checks the result kind.

    >>> cols = Columns({"teachers": "number", "students": "number"})
    >>> c = compile_formula("teachers / students * 100", cols)
    >>> c.kind, sorted(c.columns)
    ('number', ['students', 'teachers'])
    """
    tree = parse(text)
    compiler = _Compiler(text, columns, rows, aggregate_prefix)
    expr, kind = compiler.compile(tree, columns)
    if expect is not None and kind != expect:
        shown, _ = quote(text)
        raise FormulaError(
            f"formula {shown!r} gives a {kind}, but a {expect} is expected here",
            zh=f"公式 {shown!r} 的结果是 {_KIND_ZH[kind]},此处需要{_KIND_ZH[expect]}",
        )
    return Compiled(
        text=text,
        expression=expr,
        kind=kind,
        columns=frozenset(compiler.columns),
        divisions=tuple(compiler.divisions),
        aggregates=tuple(compiler.aggregates),
        row_columns=frozenset(compiler.row_columns),
    )


def evaluate_expressions(t: pa.Table, exprs: Mapping[str, pc.Expression]) -> pa.Table:
    """Evaluate named Arrow expressions (compiled formulas) over ``t`` in one projection."""
    # Imported here: pyarrow.dataset costs a fifth of a second to import (it loads pandas
    # when installed), which commands that score nothing (--help, frameworks) never pay.
    import pyarrow.dataset as ds

    return ds.dataset(t).to_table(columns=dict(exprs))


def evaluate_expression(t: pa.Table, expr: pc.Expression) -> pa.ChunkedArray:
    """Evaluate one Arrow expression (a compiled formula) over ``t``."""
    return evaluate_expressions(t, {"v": expr}).column("v")
