"""The sheet as the sheet-wide rules see it: located cells, each shape's references
relative to its cell, the parsed shapes, and shared analyses computed once.

The rules work on cell positions and each shape's references (computed once per shape
and shifted to each cell), so their cost is linear in cells with a small constant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar, cast

from sheetbrain.formulas.evidence import ParsedShape, ShapeEvaluator
from sheetbrain.formulas.model import AuditConfig
from sheetbrain.formulas.references import (
    MAX_COLUMN,
    MAX_ROW,
    Area,
    Bound,
)
from sheetbrain.formulas.regions import (
    Position,
    Regions,
    SheetCell,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RelativeArea:
    """A referenced area as seen from its formula's cell.

    Each bound is `base + shift * origin`: shift 0 for an absolute bound (base is the
    index), 1 for a relative one (base is the offset). This runs for every formula
    cell, so it is plain integer arithmetic.
    """

    first_row: int
    first_row_shift: int
    first_column: int
    first_column_shift: int
    last_row: int
    last_row_shift: int
    last_column: int
    last_column_shift: int

    @classmethod
    def of(cls, area: Area, row: int, column: int) -> RelativeArea:
        return cls(
            *_relative(area.first_row, row, 1),
            *_relative(area.first_column, column, 1),
            *_relative(area.last_row, row, MAX_ROW),
            *_relative(area.last_column, column, MAX_COLUMN),
        )

    def at(self, row: int, column: int) -> tuple[int, int, int, int]:
        """(first row, first column, last row, last column) for a formula in (row, column)."""
        first_row = self.first_row + self.first_row_shift * row
        last_row = self.last_row + self.last_row_shift * row
        first_column = self.first_column + self.first_column_shift * column
        last_column = self.last_column + self.last_column_shift * column
        # mixed absolute/relative corners can cross over when copied far enough
        if first_row > last_row:
            first_row, last_row = last_row, first_row
        if first_column > last_column:
            first_column, last_column = last_column, first_column
        return first_row, first_column, last_row, last_column


def _relative(bound: Bound | None, origin: int, whole: int) -> tuple[int, int]:
    """(base, shift) of one bound; a missing bound is the sheet edge `whole`."""
    if bound is None:
        return whole, 0
    if bound.absolute:
        return bound.index, 0
    return bound.index - origin, 1


@dataclass(frozen=True, slots=True)
class ShapeReferences:
    """Same-sheet references of one shape, relative to the cell."""

    areas: tuple[RelativeArea, ...]
    aggregated: tuple[RelativeArea, ...]  # ranges summed/averaged/counted (SUM(B2:B9))
    calculated: tuple[RelativeArea, ...] = ()  # single cells used in arithmetic (B2*C2)
    counted: tuple[RelativeArea, ...] = ()  # ranges whose text cells count (COUNTA(B1:B9))


@dataclass(frozen=True)
class SheetContext:
    cells: Mapping[Position, SheetCell]  # located numbers and formulas
    formulas: Mapping[int, str]  # index -> A1 text of formula cells
    references: Mapping[str, ShapeReferences]  # per shape
    config: AuditConfig
    labels: Mapping[Position, str] = field(default_factory=dict)  # located text cells
    parsed: Mapping[str, ParsedShape] = field(default_factory=dict)  # shapes that parse
    sheet: str | None = None
    _memo: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def regions(self) -> Regions:
        return Regions(self.cells, self.labels, self.config.min_consistent_run)

    @cached_property
    def evaluator(self) -> ShapeEvaluator:
        return ShapeEvaluator(self.parsed, self.regions, self.sheet)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """An analysis several rules share, computed once per sheet."""
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(T, self._memo[key])


CELLS_NAMED = 3  # cells a message names before "and N more"


def copies_of(context: SheetContext, parsed: ParsedShape) -> list[SheetCell]:
    return context.regions.cells_by_shape.get(parsed.shape, [])


def named(cells: list[SheetCell]) -> str:
    names = ", ".join(cell.address for cell in cells[:CELLS_NAMED])
    more = len(cells) - CELLS_NAMED
    return names + (f" and {more} more" if more > 0 else "")
