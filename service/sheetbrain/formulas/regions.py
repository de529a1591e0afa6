"""Tables on a sheet: located cells with their values, labels, and runs of copied formulas.

A *run* is a stretch of a column (or row) where one formula shape repeats. Cells that
break the pattern are its *outliers*: at most `MAX_OUTLIERS` inside it (numbers or other
formulas, enclosed by copies on both sides), and at its ends formulas written like the
copies but referring elsewhere (a minority at the end of a run is still a minority). A
*label* is a text cell; the label directly above a block of numbers and formulas is that
block's header. The table-aware rules reason about these instead of single cells.

Everything here is computed once per sheet, in time linear in its cells (after one sort).
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property
from operator import attrgetter

from sheetbrain.formulas.evaluate import ERROR_CODES, ErrorValue, NotEvaluable, Value
from sheetbrain.formulas.references import format_address

Position = tuple[int, int]  # (row, column)
MAX_OUTLIERS = 2
# How far a table's width is followed each way from a cell: wide enough for any table,
# short of a whole column of stacked tables.
_MAX_SPAN = 60
# Nearest formulas looked at, each way along a line, when asking what a cell would hold.
_NEARBY_SHAPES = 1
_NEARBY_CELLS = 12
# A row labelled like this sums up the rows above it.
_TOTALS_LABEL = re.compile(r"\b(sub-?)?totals?\b|\bsum\b|\bgrand\b|\bsumme\b|\bgesamt", re.I)
# R1C1 references in a shape; what is left is the formula's skeleton.
R1C1_REFERENCE = re.compile(
    r"(?<![A-Za-z0-9_.$\\])R(?:\[-?\d+\]|\d+)?C(?:\[-?\d+\]|\d+)?"
    r"(?::R(?:\[-?\d+\]|\d+)?C(?:\[-?\d+\]|\d+)?)?(?![A-Za-z0-9_.(!\[\\])"
)
_SKELETON_TOKEN = re.compile(r"@|[A-Za-z_][A-Za-z0-9_.]*\(?|\d+(?:\.\d+)?|\S")
_REFERENCE_PART = re.compile(r"([RC])(\[-?\d+\]|\d+)?")
# How far an edited copy's reference may sit from the copies' one (rows or columns).
_NEAR = 2
# Tokens an edited copy may add or drop: one "+ reference" term is two.
_EDIT_TOKENS = 4


@dataclass(frozen=True, slots=True)
class SheetCell:
    """A number or a formula at its place on the sheet.

    `value` is the typed number, or the formula's cached result (None when unknown).
    """

    index: int
    row: int
    column: int
    shape: str | None  # None for a number
    value: Value = None

    @property
    def numeric(self) -> bool:
        """A typed-in number (formulas are never numeric here, whatever they show)."""
        return self.shape is None

    @property
    def address(self) -> str:
        return format_address(self.row, self.column)

    @property
    def position(self) -> Position:
        return self.row, self.column


def cell_value(value: object) -> Value:
    """A CellInput value as the evaluator sees it: numbers as floats, error codes as
    ErrorValue, anything else unknown (None)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return ErrorValue(value) if value in ERROR_CODES else value
    return None


def _known_value(cell: SheetCell) -> Value:
    """A cell's value for evaluation; a formula whose result was not sent is not blank."""
    if cell.value is None and cell.shape is not None:
        raise NotEvaluable("reads a formula whose value is not known")
    return cell.value


def skeleton(shape: str) -> str:
    """The shape with every reference replaced by '@': what copies have in common."""
    return R1C1_REFERENCE.sub("@", shape)


def edited_copy(shape: str, other: str) -> bool:
    """Is `other` a copy of `shape` edited by hand: the same formula with references moved
    a little (a range one row short, a cell one column off), or with one term added or
    dropped? Not a reordering of the same references, not a formula along the other axis
    (the row total in a row of column totals), not a different constant."""
    references, other_references = _references(shape), _references(other)
    if skeleton(shape) == skeleton(other):
        if sorted(references) == sorted(other_references):
            return False  # the same cells in another order
        return all(map(_near, references, other_references))
    first = _SKELETON_TOKEN.findall(skeleton(shape))
    second = _SKELETON_TOKEN.findall(skeleton(other))
    edits = SequenceMatcher(None, first, second, autojunk=False).get_opcodes()
    changed = [(tag, i2 - i1 + j2 - j1) for tag, i1, i2, j1, j2 in edits if tag != "equal"]
    if len(changed) != 1 or changed[0][0] == "replace" or changed[0][1] > _EDIT_TOKENS:
        return False
    shorter, longer = sorted((references, other_references), key=len)
    return bool(shorter) and all(reference in longer for reference in shorter)


_Bounds = tuple[tuple[str, str], ...]


def _references(shape: str) -> list[_Bounds]:
    return [
        tuple(_REFERENCE_PART.findall(match.group(0))) for match in R1C1_REFERENCE.finditer(shape)
    ]


def _near(reference: _Bounds, other: _Bounds) -> bool:
    if len(reference) != len(other):
        return False
    for (axis, offset), (other_axis, other_offset) in zip(reference, other, strict=True):
        relative = _is_relative(offset)
        if axis != other_axis or relative != _is_relative(other_offset):
            return False
        if relative:
            distance = abs(_offset(offset) - _offset(other_offset))
        else:
            distance = abs(int(offset) - int(other_offset))
        if distance > _NEAR:
            return False
    return True


def _is_relative(part: str) -> bool:
    """'[-1]' and '' (this row or column) move when copied; '3' does not."""
    return not part or part.startswith("[")


def _offset(part: str) -> int:
    return int(part[1:-1]) if part else 0


def targets(shape: str, row: int, column: int) -> list[tuple[int, int, int, int]]:
    """(first row, first column, last row, last column) of each cell or area reference of
    a shape written in (row, column); whole rows and columns are left out."""
    found = []
    for bounds in _references(shape):
        rows = [_place(offset, row) for axis, offset in bounds if axis == "R"]
        columns = [_place(offset, column) for axis, offset in bounds if axis == "C"]
        if len(rows) == len(columns) and rows:
            found.append((min(rows), min(columns), max(rows), max(columns)))
    return found


def _place(part: str, origin: int) -> int:
    return origin + _offset(part) if _is_relative(part) else int(part)


_ROW = attrgetter("row")
_COLUMN = attrgetter("column")


def _lines(cells: Iterable[SheetCell], vertical: bool) -> dict[int, list[SheetCell]]:
    """The cells of each column (vertical) or row, in order along it, lines in order.

    Grouping first and sorting each line by one integer is much cheaper than sorting
    every cell by (line, place); cells mostly arrive in order, so the sorts are short.
    """
    line_of, place_of = (_COLUMN, _ROW) if vertical else (_ROW, _COLUMN)
    unordered: dict[int, list[SheetCell]] = {}
    for cell in cells:
        index = line_of(cell)
        line = unordered.get(index)
        if line is None:
            unordered[index] = [cell]
        else:
            line.append(cell)
    grouped: dict[int, list[SheetCell]] = defaultdict(list)
    for index in sorted(unordered):
        line = unordered[index]
        line.sort(key=place_of)
        grouped[index] = line
    return grouped


@dataclass(frozen=True, slots=True)
class FormulaRun:
    """Cells of one column (vertical) or row sharing the formula `shape`, outliers included."""

    vertical: bool
    shape: str
    cells: tuple[SheetCell, ...]  # in order along the line
    outliers: tuple[SheetCell, ...]  # cells inside or at the ends whose shape differs

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


def _formula_count(line: list[SheetCell]) -> int:
    return sum(1 for cell in line if cell.shape is not None)


def segments(line: Sequence[SheetCell], vertical: bool) -> Iterator[list[SheetCell]]:
    """Contiguous stretches of a column's (or row's) cells, given in order along it."""
    segment: list[SheetCell] = []
    for cell in line:
        if segment:
            previous = segment[-1]
            step = cell.row - previous.row if vertical else cell.column - previous.column
            if step != 1:
                yield segment
                segment = []
        segment.append(cell)
    if segment:
        yield segment


@dataclass(slots=True)
class _Group:
    """Consecutive cells of one shape (numbers: shape None) within a line."""

    shape: str | None
    start: int
    end: int  # exclusive


def _groups(line: Sequence[SheetCell]) -> list[_Group]:
    groups: list[_Group] = []
    for position, cell in enumerate(line):
        if groups and groups[-1].shape == cell.shape and cell.shape is not None:
            groups[-1].end = position + 1
        else:
            groups.append(_Group(cell.shape, position, position + 1))
    return groups


def formula_runs(
    line: list[SheetCell],
    vertical: bool,
    min_run: int,
    computes_at: Callable[[str, SheetCell], bool] = lambda shape, cell: True,
) -> Iterator[FormulaRun]:
    """Runs along one line: a shape that repeats at least `min_run` times, with outliers
    inside it (enclosed by copies) and, at its ends, edited copies of it where the copies'
    formula would compute something (`computes_at`), all outnumbered at least two to one.
    Linear in the line's length."""
    groups = _groups(line)
    runs: list[tuple[int, int, str, list[int]]] = []  # first, end, shape, inner outliers
    start = 0
    while start < len(groups):
        shape = groups[start].shape
        if shape is None:
            start += 1
            continue
        last_member = start
        outliers: list[int] = []
        pending = 0
        following = start + 1
        while following < len(groups):
            group = groups[following]
            if group.shape == shape:
                outliers += range(groups[last_member].end, group.start)
                pending = 0
                last_member = following
            else:
                pending += group.end - group.start
                if pending + len(outliers) > MAX_OUTLIERS:
                    break
            following += 1
        first, end = groups[start].start, groups[last_member].end
        agreeing = end - first - len(outliers)
        if agreeing >= min_run and agreeing >= 2 * len(outliers):
            runs.append((first, end, shape, outliers))
        start = last_member + 1
    taken = {index for first, end, _, _ in runs for index in range(first, end)}
    for first, end, shape, outliers in runs:
        before = _end_outliers(line, range(first - 1, -1, -1), shape, taken, computes_at)
        after = _end_outliers(line, range(end, len(line)), shape, taken, computes_at)
        agreeing = end - first - len(outliers)
        if agreeing < 2 * (len(outliers) + len(before) + len(after)):
            before, after = [], []
        first, end = first - len(before), end + len(after)
        inside = {*outliers, *before, *after}
        yield FormulaRun(
            vertical,
            shape,
            tuple(line[first:end]),
            tuple(line[index] for index in range(first, end) if index in inside),
        )


def _end_outliers(
    line: Sequence[SheetCell],
    indices: Iterable[int],
    shape: str,
    taken: set[int],
    computes_at: Callable[[str, SheetCell], bool],
) -> list[int]:
    """Formulas right past a run's end that are edited copies of its shape."""
    found: list[int] = []
    for index in indices:
        cell = line[index]
        if len(found) == MAX_OUTLIERS or index in taken or cell.shape is None:
            break
        if not edited_copy(shape, cell.shape) or not computes_at(shape, cell):
            break
        found.append(index)
    return found


class Regions:
    """Runs, labels and blocks of one sheet, computed once and shared by the rules.

    It is also where formulas are evaluated: `value` and `area` read the sheet.
    """

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
    def extent(self) -> tuple[int, int, int, int] | None:
        """The audited rectangle (first row, first column, last row, last column): beyond
        it a cell is unknown, not blank. None when no cell has an address."""
        if not self.cells and not self.labels:
            return None
        rows = [row for row, _ in (*self.cells, *self.labels)]
        columns = [column for _, column in (*self.cells, *self.labels)]
        return min(rows), min(columns), max(rows), max(columns)

    @cached_property
    def known(self) -> tuple[int, int, int, int] | None:
        """Where values can be read: the extent, unless the audit carries no values at all
        (formulas only), when a formula reading another cell reads nothing known."""
        if not self.labels and all(cell.value is None for cell in self.cells.values()):
            return None
        return self.extent

    def _check_known(
        self, first_row: int, first_column: int, last_row: int, last_column: int
    ) -> None:
        known = self.known
        if known is None or not (
            known[0] <= first_row
            and known[1] <= first_column
            and last_row <= known[2]
            and last_column <= known[3]
        ):
            raise NotEvaluable("reads cells outside the audited range")

    def value(self, row: int, column: int) -> Value:
        self._check_known(row, column, row, column)
        return self._value(row, column)

    def _value(self, row: int, column: int) -> Value:
        cell = self.cells.get((row, column))
        if cell is not None:
            return _known_value(cell)
        return self.labels.get((row, column))

    def area(
        self, first_row: int, first_column: int, last_row: int, last_column: int
    ) -> list[Value]:
        self._check_known(first_row, first_column, last_row, last_column)
        cells, labels = self.cells, self.labels
        found: list[Value] = []
        for row in range(first_row, last_row + 1):
            for column in range(first_column, last_column + 1):
                cell = cells.get((row, column))
                if cell is not None:
                    value = _known_value(cell)
                    if value is not None:
                        found.append(value)
                elif (row, column) in labels:
                    found.append(labels[row, column])
        return found

    @cached_property
    def formulas_by_column(self) -> dict[int, list[SheetCell]]:
        """Formula cells of each column, top to bottom."""
        return _lines(self._formula_cells, vertical=True)

    @cached_property
    def formulas_by_row(self) -> dict[int, list[SheetCell]]:
        """Formula cells of each row, left to right."""
        return _lines(self._formula_cells, vertical=False)

    @cached_property
    def _formula_cells(self) -> list[SheetCell]:
        return [cell for cell in self.cells.values() if cell.shape is not None]

    @cached_property
    def cells_by_shape(self) -> dict[str, list[SheetCell]]:
        """The located copies of each formula shape."""
        grouped: dict[str, list[SheetCell]] = defaultdict(list)
        for cell in self.cells.values():
            if cell.shape is not None:
                grouped[cell.shape].append(cell)
        return grouped

    @cached_property
    def _content_by_row(self) -> dict[int, list[int]]:
        """Columns holding a number, formula or label, for each row, in order."""
        grouped: dict[int, list[int]] = defaultdict(list)
        for row, column in (*self.cells, *self.labels):
            grouped[row].append(column)
        return {row: sorted(columns) for row, columns in grouped.items()}

    @cached_property
    def _content_by_column(self) -> dict[int, list[int]]:
        grouped: dict[int, list[int]] = defaultdict(list)
        for row, column in (*self.cells, *self.labels):
            grouped[column].append(row)
        return {column: sorted(rows) for column, rows in grouped.items()}

    def across(self, vertical: bool, index: int, low: int, high: int) -> list[Position]:
        """Places with content across a line: in row `index` between columns low..high when
        the line is a column (vertical), else in column `index` between rows low..high."""
        found: list[int] = (self._content_by_row if vertical else self._content_by_column).get(
            index, []
        )
        start, end = bisect.bisect_left(found, low), bisect.bisect_right(found, high)
        if vertical:
            return [(index, column) for column in found[start:end]]
        return [(row, index) for row in found[start:end]]

    def span(self, position: Position, vertical: bool) -> tuple[int, int]:
        """The stretch of content through `position` across a line (along its row when the
        line is a column), stepping over single empty cells: the table's width there."""
        row, column = position
        found: list[int] = (self._content_by_row if vertical else self._content_by_column).get(
            row if vertical else column, []
        )
        at = column if vertical else row
        index = bisect.bisect_left(found, at)
        if index == len(found) or found[index] != at:
            return at, at
        low = high = index
        while low > 0 and found[low] - found[low - 1] <= 2 and at - found[low - 1] <= _MAX_SPAN:
            low -= 1
        while (
            high + 1 < len(found)
            and found[high + 1] - found[high] <= 2
            and found[high + 1] - at <= _MAX_SPAN
        ):
            high += 1
        return found[low], found[high]

    @cached_property
    def _formula_columns(self) -> dict[int, list[int]]:
        return {c: [cell.row for cell in found] for c, found in self.formulas_by_column.items()}

    @cached_property
    def _formula_rows(self) -> dict[int, list[int]]:
        return {r: [cell.column for cell in found] for r, found in self.formulas_by_row.items()}

    def nearby_formulas(self, cell: SheetCell) -> Iterator[tuple[SheetCell, bool]]:
        """The formulas nearest to `cell` up and down its column, then left and right along
        its row, as (formula cell, vertical), nearest first, each shape once. Along a row
        only formulas copied along it count: a lone formula at the end of a row of inputs
        computes from them, it is not what they should hold."""
        seen: set[str] = set()
        row, column = cell.row, cell.column
        for vertical, found, places, at in (
            (True, self.formulas_by_column, self._formula_columns, row),
            (False, self.formulas_by_row, self._formula_rows, column),
        ):
            line = found.get(column if vertical else row)
            if not line or (not vertical and not self.copies_along_row(row)):
                continue
            split = bisect.bisect_left(places[column if vertical else row], at)
            before = range(split - 1, max(-1, split - 1 - _NEARBY_CELLS), -1)
            after = range(split, min(len(line), split + _NEARBY_CELLS))
            for side in (before, after):
                distinct = 0
                for index in side:
                    other = line[index]
                    if other.shape is None or (other.row == row and other.column == column):
                        continue
                    if not vertical and not self._copied_along_row(other):
                        continue
                    if other.shape not in seen:
                        seen.add(other.shape)
                        distinct += 1
                        yield other, vertical
                    if distinct == _NEARBY_SHAPES:
                        break

    def copies_along_row(self, row: int) -> bool:
        """Is some formula of this row copied along it (not a lone formula at its end)?"""
        return row in self._rows_with_copies

    @cached_property
    def _rows_with_copies(self) -> frozenset[int]:
        return frozenset(
            row
            for row, found in self.formulas_by_row.items()
            if any(self._copied_along_row(cell) for cell in found)
        )

    def _copied_along_row(self, cell: SheetCell) -> bool:
        for step in (-1, 1):
            beside = self.cells.get((cell.row, cell.column + step))
            if beside is not None and beside.shape == cell.shape:
                return True
        return False

    @cached_property
    def _cells_by_column(self) -> dict[int, list[SheetCell]]:
        """Numbers and formulas of each column, top to bottom."""
        return _lines(self.cells.values(), vertical=True)

    @cached_property
    def _cells_by_row(self) -> dict[int, list[SheetCell]]:
        return _lines(self.cells.values(), vertical=False)

    @cached_property
    def runs(self) -> tuple[FormulaRun, ...]:
        """Runs down columns, then along rows; only lines holding enough formulas for a
        run are walked, so a tall sheet of inputs costs nothing here."""
        found: list[FormulaRun] = []
        for vertical, formulas, cells in (
            (True, self.formulas_by_column, self._cells_by_column),
            (False, self.formulas_by_row, self._cells_by_row),
        ):
            for index, members in sorted(formulas.items()):
                if len(members) < self.min_run:
                    continue
                for segment in segments(cells[index], vertical):
                    if _formula_count(segment) >= self.min_run:
                        found += formula_runs(segment, vertical, self.min_run, self.computes_at)
        return tuple(found)

    def computes_at(self, shape: str, cell: SheetCell) -> bool:
        """Would `shape` written in `cell` read a number or formula through every reference?
        (The first row of a running balance would read its header: it differs for a reason.)"""
        for first_row, first_column, last_row, last_column in targets(shape, *cell.position):
            if not any(
                (row, column) in self.cells
                for row in range(first_row, min(last_row, first_row + 50) + 1)
                for column in range(first_column, min(last_column, first_column + 50) + 1)
            ):
                return False
        return True

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
