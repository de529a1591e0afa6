"""Evaluate a formula shape at any cell of its sheet, against the values the sheet holds.

The engine asks "what would this column's formula give here?" for typed-in numbers, so a
shape is compiled once into nested closures and then called per cell with the cell's
position. It reads other cells' values (typed values, or formulas' cached results) through
a `CellValues` source and never recalculates a workbook: a referenced formula counts with
the value the file last showed for it.

Arithmetic, comparisons, text joins and the common aggregates, rounding and logical
functions are supported; anything else (other functions, names, references to other
sheets) raises `NotEvaluable` when compiled, and the caller falls back to what it can
tell without a value. A maintained evaluator was measured first: PyPI `formulas` 1.3.4
needs about 0.3 s to compile one shape and 0.4 ms per call, over 100 times this budget
for a sheet of a few thousand shapes (docs/formula-engine.md).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sheetbrain.formulas.nodes import (
    Binary,
    Boolean,
    Call,
    Group,
    Node,
    Number,
    Percent,
    Reference,
    Text,
    Unary,
)
from sheetbrain.formulas.references import MAX_COLUMN, MAX_ROW, Bound, ReferenceKind

# The largest area an aggregate may read: beyond it, evaluating per cell would cost more
# than the evidence is worth (whole columns of data belong to lookups, not to totals).
MAX_AREA_CELLS = 10_000


@dataclass(frozen=True, slots=True)
class ErrorValue:
    """An Excel error value such as #DIV/0!."""

    code: str


ERROR_CODES = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
)
DIV0 = ErrorValue("#DIV/0!")
VALUE_ERROR = ErrorValue("#VALUE!")
NUM_ERROR = ErrorValue("#NUM!")

Value = float | str | bool | ErrorValue | None  # None is a blank cell


class CellValues(Protocol):
    """What an evaluation reads: one cell, or the non-blank cells of an area."""

    def value(self, row: int, column: int) -> Value: ...

    def area(
        self, first_row: int, first_column: int, last_row: int, last_column: int
    ) -> Iterable[Value]: ...


class NotEvaluable(Exception):
    """The shape uses something the evaluator does not model."""


@dataclass(slots=True)
class Evaluation:
    """A result and what it was computed from: the values of the single cells it read,
    whether one of them was blank, and how many cells its areas held."""

    result: Value
    operands: list[Value] = field(default_factory=list)
    blank_operand: bool = False
    area_cells: int = 0


_Compiled = Callable[[int, int, CellValues, Evaluation], "Value | list[Value]"]


@dataclass(frozen=True, slots=True)
class CompiledShape:
    """A shape ready to evaluate at any (row, column)."""

    function: _Compiled

    def evaluate(self, row: int, column: int, values: CellValues) -> Evaluation:
        evaluation = Evaluation(None)
        result = self.function(row, column, values, evaluation)
        evaluation.result = _scalar(result)
        return evaluation


def compile_shape(tree: Node, origin: tuple[int, int], sheet: str | None) -> CompiledShape:
    """Compile the syntax tree of a formula written at `origin` (row, column).

    Raises NotEvaluable when the formula uses something not modelled here.
    """
    return CompiledShape(_Compiler(origin, sheet).compile(tree))


def to_number(value: Value) -> float | ErrorValue:
    """Excel's coercion for arithmetic: blank is 0, TRUE is 1, numeric text is its number."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float | int):
        return float(value)
    if isinstance(value, ErrorValue):
        return value
    try:
        return float(value.strip().replace(",", ""))
    except ValueError:
        return VALUE_ERROR


class _Compiler:
    def __init__(self, origin: tuple[int, int], sheet: str | None) -> None:
        self.origin = origin
        self.sheet = sheet.upper() if sheet else None

    def compile(self, node: Node) -> _Compiled:
        match node:
            case Number(value=value):
                return lambda row, column, values, ev: value
            case Text(value=text):
                return lambda row, column, values, ev: text
            case Boolean(value=flag):
                return lambda row, column, values, ev: flag
            case Group(inner=inner):
                return self.compile(inner)
            case Reference():
                return self._reference(node)
            case Unary(operator=sign, operand=operand):
                return _negate(self.compile(operand)) if sign == "-" else self.compile(operand)
            case Percent(operand=operand):
                return _arithmetic(self.compile(operand), _constant(100.0), operator.truediv)
            case Binary(operator=symbol, left=left, right=right):
                return self._binary(symbol, left, right)
            case Call(name=name, args=args):
                function = _FUNCTIONS.get(name)
                if function is None:
                    raise NotEvaluable(f"function {name} is not modelled")
                return function(tuple(self.compile(arg) for arg in args))
        raise NotEvaluable(f"{type(node).__name__} is not modelled")

    def _binary(self, symbol: str, left: Node, right: Node) -> _Compiled:
        if symbol in _ARITHMETIC:
            return _arithmetic(self.compile(left), self.compile(right), _ARITHMETIC[symbol])
        if symbol in _COMPARISONS:
            return _comparison(self.compile(left), self.compile(right), _COMPARISONS[symbol])
        if symbol == "&":
            return _join(self.compile(left), self.compile(right))
        raise NotEvaluable(f"operator {symbol!r} is not modelled")

    def _reference(self, node: Reference) -> _Compiled:
        if node.workbook is not None or (
            node.sheet is not None and node.sheet.upper() != self.sheet
        ):
            raise NotEvaluable("references another sheet")
        area = node.area
        if area.kind in (ReferenceKind.COLUMNS, ReferenceKind.ROWS):
            raise NotEvaluable("whole rows and columns are not evaluated")
        origin_row, origin_column = self.origin
        first_row = _bound(area.first_row, origin_row)
        first_column = _bound(area.first_column, origin_column)
        if area.kind is ReferenceKind.CELL:
            return _cell_reader(first_row, first_column)
        last_row = _bound(area.last_row, origin_row)
        last_column = _bound(area.last_column, origin_column)
        return _area_reader(first_row, first_column, last_row, last_column)


_BoundAt = Callable[[int], int]


def _bound(bound: Bound | None, origin: int) -> _BoundAt:
    """Where a row or column bound lands for a formula at index `at`."""
    if bound is None:  # cannot happen for cells and areas; kept total for the type checker
        raise NotEvaluable("open-ended reference")
    if bound.absolute:
        fixed = bound.index
        return lambda at: fixed
    offset = bound.index - origin
    return lambda at: at + offset


def _cell_reader(row_at: _BoundAt, column_at: _BoundAt) -> _Compiled:
    def read(row: int, column: int, values: CellValues, ev: Evaluation) -> Value:
        target_row, target_column = row_at(row), column_at(column)
        if not (1 <= target_row <= MAX_ROW and 1 <= target_column <= MAX_COLUMN):
            return ErrorValue("#REF!")
        value = values.value(target_row, target_column)
        ev.operands.append(value)
        if value is None:
            ev.blank_operand = True
        return value

    return read


def _area_reader(
    first_row_at: _BoundAt,
    first_column_at: _BoundAt,
    last_row_at: _BoundAt,
    last_column_at: _BoundAt,
) -> _Compiled:
    def read(row: int, column: int, values: CellValues, ev: Evaluation) -> list[Value]:
        first_row, last_row = sorted((first_row_at(row), last_row_at(row)))
        first_column, last_column = sorted((first_column_at(column), last_column_at(column)))
        if first_row < 1 or first_column < 1 or last_row > MAX_ROW or last_column > MAX_COLUMN:
            return [ErrorValue("#REF!")]
        if (last_row - first_row + 1) * (last_column - first_column + 1) > MAX_AREA_CELLS:
            raise NotEvaluable("area too large to evaluate")
        found = list(values.area(first_row, first_column, last_row, last_column))
        ev.operands.extend(found)
        ev.area_cells += len(found)
        return found

    return read


def _constant(value: float) -> _Compiled:
    return lambda row, column, values, ev: value


def _scalar(value: Value | list[Value]) -> Value:
    """A range used where one value is expected: Excel would intersect; we give up."""
    if isinstance(value, list):
        return value[0] if len(value) == 1 else VALUE_ERROR
    return value


def _number(value: Value | list[Value]) -> float | ErrorValue:
    return to_number(_scalar(value))


def _negate(operand: _Compiled) -> _Compiled:
    def negate(row: int, column: int, values: CellValues, ev: Evaluation) -> Value:
        number = _number(operand(row, column, values, ev))
        return number if isinstance(number, ErrorValue) else -number

    return negate


def _divide(left: float, right: float) -> float | ErrorValue:
    return DIV0 if right == 0 else left / right


def _power(left: float, right: float) -> float | ErrorValue:
    try:
        result = left**right
    except (OverflowError, ZeroDivisionError):
        return NUM_ERROR
    return NUM_ERROR if isinstance(result, complex) else float(result)


_ARITHMETIC: dict[str, Callable[[float, float], float | ErrorValue]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _divide,
    "^": _power,
}
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def _arithmetic(
    left: _Compiled, right: _Compiled, apply: Callable[[float, float], float | ErrorValue]
) -> _Compiled:
    def combine(row: int, column: int, values: CellValues, ev: Evaluation) -> Value:
        a = _number(left(row, column, values, ev))
        if isinstance(a, ErrorValue):
            return a
        b = _number(right(row, column, values, ev))
        if isinstance(b, ErrorValue):
            return b
        result = apply(a, b)
        if isinstance(result, float) and not math.isfinite(result):
            return NUM_ERROR
        return result

    return combine


def _comparable(value: Value) -> tuple[int, Any]:
    """Excel orders numbers < text < logicals; text compares without case."""
    if value is None:
        return 0, 0.0
    if isinstance(value, bool):
        return 2, value
    if isinstance(value, str):
        return 1, value.lower()
    return 0, value


def _comparison(
    left: _Compiled, right: _Compiled, compare: Callable[[Any, Any], bool]
) -> _Compiled:
    def test(row: int, column: int, values: CellValues, ev: Evaluation) -> Value:
        a = _scalar(left(row, column, values, ev))
        b = _scalar(right(row, column, values, ev))
        for side in (a, b):
            if isinstance(side, ErrorValue):
                return side
        if a is None and isinstance(b, str):
            a = ""
        if b is None and isinstance(a, str):
            b = ""
        return compare(_comparable(a), _comparable(b))

    return test


def _text(value: Value) -> str | ErrorValue:
    if isinstance(value, ErrorValue):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:.15g}"
    return value


def _join(left: _Compiled, right: _Compiled) -> _Compiled:
    def join(row: int, column: int, values: CellValues, ev: Evaluation) -> Value:
        a = _text(_scalar(left(row, column, values, ev)))
        b = _text(_scalar(right(row, column, values, ev)))
        if isinstance(a, ErrorValue):
            return a
        return b if isinstance(b, ErrorValue) else a + b

    return join


# --- functions -------------------------------------------------------------------------

_Arguments = tuple[_Compiled, ...]


def _numbers(
    arguments: _Arguments, row: int, column: int, values: CellValues, ev: Evaluation
) -> Iterator[float | ErrorValue]:
    """What SUM and its kin add up: numbers in areas (text, logicals and blanks skipped),
    and every direct argument coerced."""
    for argument in arguments:
        result = argument(row, column, values, ev)
        if isinstance(result, list):
            for item in result:
                if isinstance(item, ErrorValue):
                    yield item
                elif isinstance(item, float | int) and not isinstance(item, bool):
                    yield float(item)
        elif result is not None:
            yield to_number(result)


def _aggregate(
    reduce: Callable[[list[float]], float | ErrorValue],
) -> Callable[[_Arguments], _Compiled]:
    def build(arguments: _Arguments) -> _Compiled:
        def run(row: int, column: int, values: CellValues, ev: Evaluation) -> Value:
            numbers: list[float] = []
            for number in _numbers(arguments, row, column, values, ev):
                if isinstance(number, ErrorValue):
                    return number
                numbers.append(number)
            return reduce(numbers)

        return run

    return build


def _average(numbers: list[float]) -> float | ErrorValue:
    return sum(numbers) / len(numbers) if numbers else DIV0


def _count(arguments: _Arguments) -> _Compiled:
    def run(row: int, column: int, values: CellValues, ev: Evaluation) -> Value:
        return float(
            sum(
                1
                for number in _numbers(arguments, row, column, values, ev)
                if not isinstance(number, ErrorValue)
            )
        )

    return run


def _count_filled(arguments: _Arguments) -> _Compiled:
    def run(row: int, column: int, values: CellValues, ev: Evaluation) -> Value:
        total = 0
        for argument in arguments:
            result = argument(row, column, values, ev)
            total += len(result) if isinstance(result, list) else int(result is not None)
        return float(total)

    return run


def _round_half_away(number: float, digits: int) -> float:
    scale = 10.0**digits
    scaled = abs(number) * scale
    # a tiny nudge so that 2.675 (stored as 2.67499...) rounds like Excel shows it
    rounded = math.floor(scaled + 0.5 + 1e-9 * max(1.0, scaled))
    return math.copysign(rounded / scale, number)


def _rounding(kind: str) -> Callable[[_Arguments], _Compiled]:
    def build(arguments: _Arguments) -> _Compiled:
        if len(arguments) not in (1, 2):
            raise NotEvaluable(f"{kind} with {len(arguments)} arguments")

        def run(row: int, column: int, values: CellValues, ev: Evaluation) -> Value:
            number = _number(arguments[0](row, column, values, ev))
            digits = _number(arguments[1](row, column, values, ev)) if len(arguments) == 2 else 0.0
            if isinstance(number, ErrorValue):
                return number
            if isinstance(digits, ErrorValue):
                return digits
            places = int(digits)
            scale = 10.0**places
            if kind == "ROUND":
                return _round_half_away(number, places)
            if kind == "ROUNDUP":
                return math.copysign(math.ceil(abs(number) * scale - 1e-9) / scale, number)
            return math.copysign(math.floor(abs(number) * scale + 1e-9) / scale, number)

        return run

    return build


def _unary(apply: Callable[[float], float | ErrorValue]) -> Callable[[_Arguments], _Compiled]:
    def build(arguments: _Arguments) -> _Compiled:
        if len(arguments) != 1:
            raise NotEvaluable("wrong number of arguments")
        [argument] = arguments

        def run(row: int, column: int, values: CellValues, ev: Evaluation) -> Value:
            number = _number(argument(row, column, values, ev))
            return number if isinstance(number, ErrorValue) else apply(number)

        return run

    return build


def _sqrt(number: float) -> float | ErrorValue:
    return NUM_ERROR if number < 0 else math.sqrt(number)


def _truthy(value: Value) -> bool | ErrorValue:
    if isinstance(value, ErrorValue):
        return value
    if isinstance(value, str):
        upper = value.upper()
        if upper in ("TRUE", "FALSE"):
            return upper == "TRUE"
        return VALUE_ERROR
    number = to_number(value)
    return number if isinstance(number, ErrorValue) else number != 0


def _if(arguments: _Arguments) -> _Compiled:
    if len(arguments) not in (2, 3):
        raise NotEvaluable("IF with a wrong number of arguments")

    def run(row: int, column: int, values: CellValues, ev: Evaluation) -> Value:
        condition = _truthy(_scalar(arguments[0](row, column, values, ev)))
        if isinstance(condition, ErrorValue):
            return condition
        if condition:
            return _scalar(arguments[1](row, column, values, ev))
        if len(arguments) == 3:
            return _scalar(arguments[2](row, column, values, ev))
        return False

    return run


def _iferror(arguments: _Arguments) -> _Compiled:
    if len(arguments) != 2:
        raise NotEvaluable("IFERROR with a wrong number of arguments")

    def run(row: int, column: int, values: CellValues, ev: Evaluation) -> Value:
        result = _scalar(arguments[0](row, column, values, ev))
        if isinstance(result, ErrorValue):
            return _scalar(arguments[1](row, column, values, ev))
        return result

    return run


def _logical(combine: Callable[[Iterable[bool]], bool]) -> Callable[[_Arguments], _Compiled]:
    def build(arguments: _Arguments) -> _Compiled:
        def run(row: int, column: int, values: CellValues, ev: Evaluation) -> Value:
            flags: list[bool] = []
            for argument in arguments:
                result = argument(row, column, values, ev)
                items = result if isinstance(result, list) else [result]
                for item in items:
                    flag = _truthy(item)
                    if isinstance(flag, ErrorValue):
                        return flag
                    flags.append(flag)
            return combine(flags)

        return run

    return build


def _not(arguments: _Arguments) -> _Compiled:
    if len(arguments) != 1:
        raise NotEvaluable("NOT with a wrong number of arguments")

    def run(row: int, column: int, values: CellValues, ev: Evaluation) -> Value:
        flag = _truthy(_scalar(arguments[0](row, column, values, ev)))
        return flag if isinstance(flag, ErrorValue) else not flag

    return run


def _modulo(arguments: _Arguments) -> _Compiled:
    return _binary_function(arguments, lambda a, b: DIV0 if b == 0 else a - b * math.floor(a / b))


def _power_function(arguments: _Arguments) -> _Compiled:
    return _binary_function(arguments, _power)


def _binary_function(
    arguments: _Arguments, apply: Callable[[float, float], float | ErrorValue]
) -> _Compiled:
    if len(arguments) != 2:
        raise NotEvaluable("wrong number of arguments")
    return _arithmetic(arguments[0], arguments[1], apply)


def _product(numbers: list[float]) -> float:
    return math.prod(numbers) if numbers else 0.0


_FUNCTIONS: dict[str, Callable[[_Arguments], _Compiled]] = {
    "SUM": _aggregate(lambda numbers: math.fsum(numbers)),
    "AVERAGE": _aggregate(_average),
    "MIN": _aggregate(lambda numbers: min(numbers, default=0.0)),
    "MAX": _aggregate(lambda numbers: max(numbers, default=0.0)),
    "PRODUCT": _aggregate(_product),
    "COUNT": _count,
    "COUNTA": _count_filled,
    "ROUND": _rounding("ROUND"),
    "ROUNDUP": _rounding("ROUNDUP"),
    "ROUNDDOWN": _rounding("ROUNDDOWN"),
    "TRUNC": _rounding("ROUNDDOWN"),
    "INT": _unary(lambda number: float(math.floor(number))),
    "ABS": _unary(abs),
    "SQRT": _unary(_sqrt),
    "MOD": _modulo,
    "POWER": _power_function,
    "IF": _if,
    "IFERROR": _iferror,
    "AND": _logical(all),
    "OR": _logical(any),
    "NOT": _not,
}
