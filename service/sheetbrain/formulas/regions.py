"""Tables on a sheet: labels, data blocks and runs of copied formulas.

A *run* is a stretch of a column (or row) where one formula shape repeats, allowing at
most `MAX_OUTLIERS` cells inside it that break the pattern (numbers or other formulas).
A *label* is a text cell; the label directly above a block of numbers and formulas is
that block's header. The table-aware rules reason about these instead of single cells.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from sheetbrain.formulas.references import format_address

Position = tuple[int, int]  # (row, column)
MAX_OUTLIERS = 2
# A row labelled like this sums up the rows above it.
_TOTALS_LABEL = re.compile(r"\b(sub-?)?totals?\b|\bsum\b|\bgrand\b|\bsumme\b|\bgesamt", re.I)


@dataclass(frozen=True, slots=True)
class SheetCell:
    index: int
    row: int
    column: int
    shape: str | None  # None for a value cell
    numeric: bool  # a number value (formula cells: False)

    @property
    def address(self) -> str:
        return format_address(self.row, self.column)

    @property
    def position(self) -> Position:
        return self.row, self.column


@dataclass(frozen=True, slots=True)
class FormulaRun:
    """Cells of one column (vertical) or row sharing the formula `shape`, outliers included."""

    vertical: bool
    shape: str
    cells: tuple[SheetCell, ...]  # in order along the line
    outliers: tuple[SheetCell, ...]  # cells inside the run whose shape differs

    @property
    def agreeing(self) -> int:
        return len(self.cells) - len(self.outliers)

    @property
    def direction(self) -> str:
        return "column" if self.vertical else "row"

    def neighbours(self, cell: SheetCell) -> tuple[SheetCell | None, SheetCell | None]:
        """The run's pattern cells nearest before and after `cell`."""
        position = self.cells.index(cell)
        before = (c for c in reversed(self.cells[:position]) if c.shape == self.shape)
        after = (c for c in self.cells[position + 1 :] if c.shape == self.shape)
        return next(before, None), next(after, None)


def lines(cells: Mapping[Position, SheetCell], vertical: bool) -> Iterator[list[SheetCell]]:
    """Contiguous stretches of non-empty cells down each column (or along each row)."""
    order = sorted(cells, key=lambda p: (p[1], p[0])) if vertical else sorted(cells)
    ordered = [cells[position] for position in order]
    if not ordered:
        return
    line = [ordered[0]]
    for previous, cell in itertools.pairwise(ordered):
        if vertical:
            adjacent = cell.column == previous.column and cell.row == previous.row + 1
        else:
            adjacent = cell.row == previous.row and cell.column == previous.column + 1
        if not adjacent:
            yield line
            line = []
        line.append(cell)
    yield line


def formula_runs(line: list[SheetCell], vertical: bool, min_run: int) -> Iterator[FormulaRun]:
    """Runs along one line: a shape that repeats at least `min_run` times, its outliers
    enclosed by pattern cells on both sides and outnumbered at least two to one."""
    start = 0
    while start < len(line):
        shape = line[start].shape
        if shape is None:
            start += 1
            continue
        members: list[SheetCell] = [line[start]]
        outliers: list[SheetCell] = []
        pending: list[SheetCell] = []
        for cell in line[start + 1 :]:
            if cell.shape == shape:
                members += [*pending, cell]
                outliers += pending
                pending = []
            else:
                pending.append(cell)
                if len(pending) + len(outliers) > MAX_OUTLIERS:
                    break
        agreeing = len(members) - len(outliers)
        if agreeing >= min_run and agreeing >= 2 * len(outliers):
            yield FormulaRun(vertical, shape, tuple(members), tuple(outliers))
        start += len(members)


class Regions:
    """Runs, labels and blocks of one sheet, computed once and shared by the rules."""

    def __init__(
        self,
        cells: Mapping[Position, SheetCell],
        labels: Mapping[Position, str],
        min_run: int,
    ) -> None:
        self.cells = cells
        self.labels = labels
        self.min_run = min_run

    @cached_property
    def column_lines(self) -> tuple[list[SheetCell], ...]:
        return tuple(lines(self.cells, vertical=True))

    @cached_property
    def row_lines(self) -> tuple[list[SheetCell], ...]:
        return tuple(lines(self.cells, vertical=False))

    @cached_property
    def runs(self) -> tuple[FormulaRun, ...]:
        return tuple(
            run
            for vertical, found in ((True, self.column_lines), (False, self.row_lines))
            for line in found
            for run in formula_runs(line, vertical, self.min_run)
        )

    @cached_property
    def run_of(self) -> dict[Position, FormulaRun]:
        """The run each pattern cell belongs to (the column run when it is in two)."""
        found: dict[Position, FormulaRun] = {}
        for run in self.runs:
            for cell in run.cells:
                if cell.shape == run.shape:
                    found.setdefault(cell.position, run)
        return found

    @cached_property
    def outliers(self) -> tuple[tuple[FormulaRun, SheetCell], ...]:
        """Each cell breaking a run once (its column run first), unless it follows the
        pattern of its neighbours in the other direction (a total row crossing a column)."""
        seen: set[Position] = set()
        found = []
        for run in self.runs:
            for cell in run.outliers:
                if cell.position not in seen and not self._explained_across(cell, run.vertical):
                    seen.add(cell.position)
                    found.append((run, cell))
        return tuple(found)

    def _explained_across(self, cell: SheetCell, vertical: bool) -> bool:
        offsets = ((0, -1), (0, 1)) if vertical else ((-1, 0), (1, 0))
        across = [self.cells.get((cell.row + dr, cell.column + dc)) for dr, dc in offsets]
        shapes = [None if other is None else other.shape or "value" for other in across]
        if cell.shape is None:
            # a number typed into a labelled totals row is an override whatever is around it
            totals = not vertical and self.is_totals_row(cell.row)
            return not totals and all(shape == "value" for shape in shapes)
        return cell.shape in shapes

    @cached_property
    def _totals_rows(self) -> frozenset[int]:
        labelled = self.labels.items()
        return frozenset(row for (row, _), text in labelled if _TOTALS_LABEL.search(text))

    def is_totals_row(self, row: int) -> bool:
        """A label in the row says it is a total ("Total", "Subtotal", "Sum", ...)."""
        return row in self._totals_rows

    def block_start(self, position: Position, vertical: bool) -> Position:
        """First cell of the unbroken numbers/formulas that reach `position`, going up
        its column (vertical) or left along its row."""
        row, column = position
        step = (1, 0) if vertical else (0, 1)
        while (row - step[0], column - step[1]) in self.cells:
            row, column = row - step[0], column - step[1]
        return row, column

    def header_of(self, position: Position, vertical: bool) -> Position | None:
        """The label directly above (or left of) the block containing `position`."""
        row, column = self.block_start(position, vertical)
        before = (row - 1, column) if vertical else (row, column - 1)
        return before if before in self.labels else None
