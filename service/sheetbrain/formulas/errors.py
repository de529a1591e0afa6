"""Errors raised while reading a formula; each carries the 0-based position in the text."""

from __future__ import annotations


class FormulaError(Exception):
    """A formula could not be read. `position` indexes into `formula` (0-based)."""

    def __init__(self, message: str, formula: str, position: int) -> None:
        super().__init__(f"{message} at position {position} in {formula!r}")
        self.reason = message
        self.formula = formula
        self.position = position


class FormulaTokenizeError(FormulaError):
    """The text could not be split into tokens (unbalanced quotes, brackets, parentheses)."""


class FormulaParseError(FormulaError):
    """The tokens do not form an expression (missing operand, stray separator, ...)."""
