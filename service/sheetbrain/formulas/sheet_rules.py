"""Rules over the whole sheet: consistency with neighbours, omitted cells, circular references.

They work on cell positions and each shape's references (computed once per shape and
shifted to each cell), so their cost is linear in cells with a small constant.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sheetbrain.formulas.catalog import Issue, Rule, register
from sheetbrain.formulas.errors import FormulaError
from sheetbrain.formulas.model import AuditConfig, Severity
from sheetbrain.formulas.nodes import Reference, walk
from sheetbrain.formulas.parser import parse_formula
from sheetbrain.formulas.references import (
    MAX_COLUMN,
    MAX_ROW,
    Area,
    Bound,
    column_letters,
    format_address,
    split_operand,
)
from sheetbrain.formulas.shapes import render_shape, shape_of


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
class SheetCell:
    index: int
    row: int
    column: int
    shape: str | None  # None for a value cell
    numeric: bool  # a number value (formula cells: False)

    @property
    def address(self) -> str:
        return format_address(self.row, self.column)


@dataclass(frozen=True, slots=True)
class ShapeReferences:
    """Same-sheet references of one shape, relative to the cell."""

    areas: tuple[RelativeArea, ...]
    aggregated: tuple[RelativeArea, ...]  # ranges summed/averaged/counted (SUM(B2:B9))


@dataclass(frozen=True)
class SheetContext:
    cells: Mapping[tuple[int, int], SheetCell]  # located, non-empty cells
    formulas: Mapping[int, str]  # index -> A1 text of formula cells
    references: Mapping[str, ShapeReferences]  # per shape
    config: AuditConfig


SHEET_RULES: list[Rule[SheetContext]] = []


def _lines(context: SheetContext, vertical: bool) -> Iterator[list[SheetCell]]:
    """Contiguous runs of non-empty cells down each column (or along each row)."""
    # positions are (row, column): sorting (column, row) walks down columns
    order = sorted(context.cells, key=_by_column) if vertical else sorted(context.cells)
    cells = [context.cells[position] for position in order]
    if not cells:
        return
    run = [cells[0]]
    for previous, cell in itertools.pairwise(cells):
        if vertical:
            adjacent = cell.column == previous.column and cell.row == previous.row + 1
        else:
            adjacent = cell.row == previous.row and cell.column == previous.column + 1
        if not adjacent:
            yield run
            run = []
        run.append(cell)
    yield run


def _by_column(position: tuple[int, int]) -> tuple[int, int]:
    return position[1], position[0]


def _segments(run: list[SheetCell]) -> list[list[SheetCell]]:
    """Split a run into maximal stretches of equal shape (value cells form their own)."""
    segments: list[list[SheetCell]] = [[run[0]]]
    for cell in run[1:]:
        if cell.shape == segments[-1][0].shape:
            segments[-1].append(cell)
        else:
            segments.append([cell])
    return segments


def _neighbour_shapes(context: SheetContext, cell: SheetCell, vertical: bool) -> list[str | None]:
    """Shapes of the cells beside `cell` across the other direction."""
    offsets = ((-1, 0), (1, 0)) if not vertical else ((0, -1), (0, 1))
    shapes = []
    for row_step, column_step in offsets:
        neighbour = context.cells.get((cell.row + row_step, cell.column + column_step))
        shapes.append(None if neighbour is None else neighbour.shape or "value")
    return shapes


def _explained_across(context: SheetContext, cell: SheetCell, vertical: bool) -> bool:
    """A cell that matches its neighbours in the other direction is following a pattern."""
    across = _neighbour_shapes(context, cell, vertical)
    if cell.shape is None:
        return all(shape == "value" for shape in across)
    return cell.shape in across


@register(
    SHEET_RULES,
    "inconsistent-formula",
    Severity.WARNING,
    {"consistency"},
    "Formula differs from its neighbours",
)
def inconsistent_formula(context: SheetContext) -> Iterator[Issue]:
    flagged: set[int] = set()
    for vertical in (True, False):
        direction = "column" if vertical else "row"
        for run in _lines(context, vertical):
            if len(run) < context.config.min_consistent_run:
                continue
            segments = _segments(run)
            for before, odd, after in zip(segments, segments[1:], segments[2:], strict=False):
                pattern = before[0].shape
                flank = len(before) + len(after)
                if (
                    pattern is None
                    or after[0].shape != pattern
                    or len(odd) > 2
                    or flank < 2 * len(odd)
                ):
                    continue
                for cell in odd:
                    if cell.index in flagged or _explained_across(context, cell, vertical):
                        continue
                    flagged.add(cell.index)
                    yield _inconsistency(cell, pattern, flank, direction)


def _inconsistency(cell: SheetCell, pattern: str, flank: int, direction: str) -> Issue:
    expected = render_shape(pattern, cell.address)
    what = "Hard-coded value" if cell.shape is None else "Formula"
    return Issue(
        f"{what} in {cell.address} breaks the pattern of the {flank} surrounding cells in its "
        f"{direction}" + (f", which would have {expected} here" if expected else ""),
        "Copy the neighbours' formula into this cell, or document why it differs.",
        min(0.95, 0.6 + 0.05 * flank),
        pattern if expected else None,
        cell_indices=(cell.index,),
    )


def _continues(context: SheetContext, gap: list[tuple[int, int]], last: tuple[int, int]) -> bool:
    """Do the cells between a range and its formula look like more of the range's data?"""
    edge = context.cells.get(last)
    for position in gap:
        cell = context.cells.get(position)
        if cell is None:
            return False
        if cell.numeric:
            continue
        if cell.shape is None or edge is None or cell.shape != edge.shape:
            return False
    return bool(gap)


@register(
    SHEET_RULES,
    "omitted-adjacent-cells",
    Severity.WARNING,
    {"consistency", "ranges"},
    "Range stops short of adjacent data",
)
def omitted_adjacent_cells(context: SheetContext) -> Iterator[Issue]:
    for cell in context.cells.values():
        if cell.shape is None:
            continue
        for area in context.references[cell.shape].aggregated:
            first_row, first_column, last_row, last_column = area.at(cell.row, cell.column)
            if first_column == last_column == cell.column and last_row < cell.row:
                gap = [(r, cell.column) for r in range(last_row + 1, cell.row)]
                edge = (last_row, last_column)
            elif first_row == last_row == cell.row and last_column < cell.column:
                gap = [(cell.row, c) for c in range(last_column + 1, cell.column)]
                edge = (last_row, last_column)
            else:
                continue
            if len(gap) > 2 or not _continues(context, gap, edge):
                continue
            omitted = ", ".join(format_address(*position) for position in gap)
            yield Issue(
                f"The range ending at {format_address(*edge)} leaves out {omitted}, which "
                f"sits between the range and the formula in {cell.address}",
                "Extend the range to include the adjacent cells.",
                0.7,
                _extended(context.formulas[cell.index], edge, gap[-1], cell),
                cell_indices=(cell.index,),
            )
            break


def _extended(
    formula: str, edge: tuple[int, int], new_end: tuple[int, int], cell: SheetCell
) -> str | None:
    """The formula with the range that ends at `edge` extended to `new_end`, as a shape."""
    try:
        tree = parse_formula(formula)
    except FormulaError:
        return None
    for node in walk(tree):
        if not isinstance(node, Reference) or node.area.last_row is None:
            continue
        if node.area.last_column is None:
            continue
        if (node.area.last_row.index, node.area.last_column.index) != edge or ":" not in node.text:
            continue
        body = split_operand(node.text).body
        start = body.rsplit(":", 1)[0]
        dollar_column = "$" if node.area.last_column.absolute else ""
        dollar_row = "$" if node.area.last_row.absolute else ""
        new_text = (
            node.text[: len(node.text) - len(body)]
            + start
            + ":"
            + dollar_column
            + column_letters(new_end[1])
            + dollar_row
            + str(new_end[0])
        )
        end_at = node.position + len(node.text)
        extended = formula[: node.position] + new_text + formula[end_at:]
        return shape_of(extended, cell.row, cell.column)
    return None


# A graph node is a formula cell (its input index) or a span of formula cells in one
# column, (column, first, end) positions in that column's row order. Spans let a range
# covering n formulas add O(log n) edges instead of n (running totals would be quadratic).
_GraphNode = int | tuple[int, int, int]
_SMALL_SPAN = 4


class _FormulaGraph:
    def __init__(self, context: SheetContext) -> None:
        self.context = context
        by_column: dict[int, list[SheetCell]] = defaultdict(list)
        for cell in context.cells.values():
            if cell.shape is not None:
                by_column[cell.column].append(cell)
        self.columns = sorted(by_column)
        self.column_cells = {
            column: sorted(cells, key=lambda cell: cell.row) for column, cells in by_column.items()
        }
        self.column_rows = {c: [x.row for x in cells] for c, cells in self.column_cells.items()}
        self.cell_by_index = {cell.index: cell for cell in context.cells.values()}
        self.self_referencing: list[SheetCell] = []

    def successors(self, node: _GraphNode) -> list[_GraphNode]:
        if isinstance(node, tuple):
            column, first, end = node
            if end - first <= _SMALL_SPAN:
                return [cell.index for cell in self.column_cells[column][first:end]]
            middle = (first + end) // 2
            return [(column, first, middle), (column, middle, end)]
        cell = self.cell_by_index[node]
        if cell.shape is None:
            return []
        found: list[_GraphNode] = []
        for area in self.context.references[cell.shape].areas:
            first_row, first_column, last_row, last_column = area.at(cell.row, cell.column)
            if first_row <= cell.row <= last_row and first_column <= cell.column <= last_column:
                self.self_referencing.append(cell)
            start = bisect.bisect_left(self.columns, first_column)
            for column in self.columns[start : bisect.bisect_right(self.columns, last_column)]:
                rows = self.column_rows[column]
                low, high = bisect.bisect_left(rows, first_row), bisect.bisect_right(rows, last_row)
                found.extend(self._cover(column, 0, len(rows), low, high))
        return found

    def _cover(self, column: int, first: int, end: int, low: int, high: int) -> list[_GraphNode]:
        """Span nodes whose union is positions [low, high) of the column."""
        if high <= first or end <= low:
            return []
        if high - low <= _SMALL_SPAN:  # most references are single cells: no spans needed
            return [cell.index for cell in self.column_cells[column][low:high]]
        if low <= first and end <= high:
            return [(column, first, end)]
        if end - first <= _SMALL_SPAN:
            cells = self.column_cells[column][max(first, low) : min(end, high)]
            return [cell.index for cell in cells]
        middle = (first + end) // 2
        return self._cover(column, first, middle, low, high) + self._cover(
            column, middle, end, low, high
        )

    def cycles(self) -> Iterator[list[int]]:
        """Strongly connected components with two or more formula cells (Tarjan, iterative)."""
        order: dict[_GraphNode, int] = {}
        low: dict[_GraphNode, int] = {}
        stack: list[_GraphNode] = []
        on_stack: set[_GraphNode] = set()
        references = self.context.references
        for start, cell in self.cell_by_index.items():
            # a formula referring to nothing on this sheet cannot start a loop
            if start in order or cell.shape is None or not references[cell.shape].areas:
                continue
            order[start] = low[start] = len(order)
            stack.append(start)
            on_stack.add(start)
            work: list[tuple[_GraphNode, Iterator[_GraphNode]]] = [
                (start, iter(self.successors(start)))
            ]
            while work:
                node, pending = work[-1]
                descended = False
                for following in pending:
                    if following not in order:
                        order[following] = low[following] = len(order)
                        stack.append(following)
                        on_stack.add(following)
                        work.append((following, iter(self.successors(following))))
                        descended = True
                        break
                    if following in on_stack:
                        low[node] = min(low[node], order[following])
                if descended:
                    continue
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == order[node]:
                    component: list[int] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        if isinstance(member, int):
                            component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        yield component


@register(SHEET_RULES, "circular-reference", Severity.ERROR, {"circular"}, "Circular reference")
def circular_reference(context: SheetContext) -> Iterator[Issue]:
    graph = _FormulaGraph(context)
    cycles = list(graph.cycles())
    in_cycles = {index for component in cycles for index in component}
    # a self-reference inside a larger loop is part of that loop's finding
    alone = {c.index: c for c in graph.self_referencing if c.index not in in_cycles}
    for cell in sorted(alone.values(), key=lambda c: (c.row, c.column)):
        yield Issue(
            f"{cell.address} refers to itself",
            "Remove the self-reference; Excel cannot compute a value that depends on itself.",
            0.95,
            cell_indices=(cell.index,),
        )
    for component in cycles:
        members = sorted(
            (graph.cell_by_index[i] for i in component), key=lambda c: (c.row, c.column)
        )
        yield Issue(
            f"Circular reference: {', '.join(c.address for c in members)} depend on each other",
            "Break the loop so that each value is computed from inputs only.",
            0.95,
            cell_indices=tuple(c.index for c in members),
        )
