"""Values as evidence: would a formula reproduce the number typed in a cell?

A typed-in number that equals what the neighbouring formula would compute at its place
was almost certainly produced by that formula once and pasted over it (or copied from a
printout). The agreement is only evidence when it could not happen by chance: a result
equal to one of its own inputs (a copy of the cell above, a sum over one non-empty
cell), a zero, or a formula reading a blank cell proves nothing; and a number with few
significant digits agrees with many things.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from sheetbrain.formulas.evaluate import (
    CellValues,
    CompiledShape,
    Evaluation,
    NotEvaluable,
    compile_shape,
)
from sheetbrain.formulas.nodes import Node, Reference, walk

Position = tuple[int, int]
# Evaluations one sheet may spend on evidence: beyond this a huge sheet falls back to
# what its structure alone says, so audit time stays linear.
EVALUATION_BUDGET = 200_000


@dataclass(frozen=True, slots=True)
class Agreement:
    """A formula's result at a cell agrees with the number typed there."""

    significant_digits: int
    exact: bool  # equal, not merely equal once rounded as the cell shows it


def significant_digits(number: float) -> int:
    """Digits a typed number commits to: 32 -> 2, 1200 -> 2, 21.5 -> 3, 0.05 -> 1."""
    text = f"{abs(number):.12g}"
    mantissa = text.split("e")[0].replace(".", "").lstrip("0")
    if "." not in text.split("e")[0]:
        mantissa = mantissa.rstrip("0")
    return max(1, len(mantissa))


def decimals(number: float) -> int:
    """Decimal places of a typed number as written: 21.5 -> 1, 32 -> 0, 1e-05 -> 5."""
    text = f"{abs(number):.12g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        places = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return max(0, places - int(exponent))
    return len(text.split(".")[1]) if "." in text else 0


def agreement(typed: float, evaluation: Evaluation) -> Agreement | None:
    """How the evaluated result agrees with `typed`, or None when it does not (or only
    trivially: zero, a blank input, or a result equal to one of its inputs)."""
    result = evaluation.result
    if not isinstance(result, float) or isinstance(result, bool) or typed == 0:
        return None
    exact = math.isclose(result, typed, rel_tol=1e-9, abs_tol=1e-12)
    shown = exact or abs(result - typed) <= 0.5 * 10.0 ** -decimals(typed) * (1 + 1e-9)
    if not shown or evaluation.blank_operand or result == 0:
        return None
    for operand in evaluation.operands:
        if isinstance(operand, float) and math.isclose(
            operand, result, rel_tol=1e-9, abs_tol=1e-12
        ):
            return None
    return Agreement(significant_digits(typed), exact)


def _same(operand: object, result: float) -> bool:
    return isinstance(operand, float) and math.isclose(operand, result, rel_tol=1e-9, abs_tol=1e-12)


@dataclass(frozen=True, slots=True)
class ParsedShape:
    """A shape's syntax tree, the cell it was parsed for, and every cell holding it."""

    shape: str
    tree: Node
    origin: Position | None  # None when the representative cell has no address
    indices: tuple[int, ...]


@dataclass
class ShapeEvaluator:
    """Compiles each shape once, on first use, and evaluates it at any cell."""

    parsed: Mapping[str, ParsedShape]
    values: CellValues
    sheet: str | None
    budget: int = EVALUATION_BUDGET
    _compiled: dict[str, CompiledShape | None] = field(default_factory=dict)

    def compiled(self, shape: str) -> CompiledShape | None:
        if shape not in self._compiled:
            self._compiled[shape] = self._compile(shape)
        return self._compiled[shape]

    def _compile(self, shape: str) -> CompiledShape | None:
        found = self.parsed.get(shape)
        if found is None or found.origin is None:
            return None
        tree, origin = found.tree, found.origin
        # a formula reading no cell is a constant: agreeing with it is no evidence
        if not any(isinstance(node, Reference) for node in walk(tree)):
            return None
        try:
            return compile_shape(tree, origin, self.sheet)
        except NotEvaluable:
            return None

    def spend(self) -> bool:
        """Take one evaluation from the sheet's budget; False once it is used up."""
        if self.budget <= 0:
            return False
        self.budget -= 1
        return True

    def evaluate(self, shape: str, row: int, column: int) -> Evaluation | None:
        """The shape's result at (row, column); None when it cannot be evaluated there."""
        compiled = self.compiled(shape)
        if compiled is None or not self.spend():
            return None
        try:
            return compiled.evaluate(row, column, self.values)
        except NotEvaluable:
            return None
