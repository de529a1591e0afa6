"""Rules over the whole sheet: ranges that omit adjacent cells, circular references.

They work on cell positions and each shape's references (computed once per shape and
shifted to each cell), so their cost is linear in cells with a small constant.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

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
from sheetbrain.formulas.regions import Position, Regions, SheetCell
from sheetbrain.formulas.shapes import shape_of


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


@dataclass(frozen=True)
class SheetContext:
    cells: Mapping[Position, SheetCell]  # located numbers and formulas
    formulas: Mapping[int, str]  # index -> A1 text of formula cells
    references: Mapping[str, ShapeReferences]  # per shape
    config: AuditConfig
    labels: Mapping[Position, str] = field(default_factory=dict)  # located text cells

    @cached_property
    def regions(self) -> Regions:
        return Regions(self.cells, self.labels, self.config.min_consistent_run)


SHEET_RULES: list[Rule[SheetContext]] = []


def _continues(context: SheetContext, gap: list[Position], last: Position) -> bool:
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


@dataclass(frozen=True, slots=True)
class _Line:
    """Positions along the formula's own column (vertical) or row, by index on that axis."""

    vertical: bool
    fixed: int

    def at(self, index: int) -> Position:
        return (index, self.fixed) if self.vertical else (self.fixed, index)


def _own_line(
    bounds: tuple[int, int, int, int], cell: SheetCell
) -> tuple[_Line, int, int, int] | None:
    """(line, first, last, formula index) when the range lies before the formula in its
    own column or row."""
    first_row, first_column, last_row, last_column = bounds
    if first_column == last_column == cell.column and last_row < cell.row:
        return _Line(True, cell.column), first_row, last_row, cell.row
    if first_row == last_row == cell.row and last_column < cell.column:
        return _Line(False, cell.row), first_column, last_column, cell.column
    return None


@register(
    SHEET_RULES,
    "omitted-adjacent-cells",
    Severity.WARNING,
    {"consistency", "ranges"},
    "Range stops short of adjacent data, or includes the header",
)
def omitted_adjacent_cells(context: SheetContext) -> Iterator[Issue]:
    for cell in context.cells.values():
        issue = range_issue(context, cell)
        if issue is not None:
            yield issue


OMITTED_ADJACENT_CELLS = next(
    rule.info for rule in SHEET_RULES if rule.info.rule_id == "omitted-adjacent-cells"
)


def range_issue(context: SheetContext, cell: SheetCell) -> Issue | None:
    """The first aggregated range of a formula cell that stops short or takes in a header."""
    if cell.shape is None:
        return None
    for area in context.references[cell.shape].aggregated:
        bounds = area.at(cell.row, cell.column)
        placed = _own_line(bounds, cell)
        issue = None if placed is None else _range_issue(context, cell, bounds, *placed)
        if issue is not None:
            return issue
    return None


def _range_issue(
    context: SheetContext,
    cell: SheetCell,
    bounds: tuple[int, int, int, int],
    line: _Line,
    first: int,
    last: int,
    formula_at: int,
) -> Issue | None:
    """A range in the formula's own line that stops short of its block or takes in its header."""
    if first == last:  # a single cell is a pick, not a range over the data
        return None
    old = (line.at(first), line.at(last))
    gap = [line.at(index) for index in range(last + 1, formula_at)]
    if len(gap) <= 2 and _continues(context, gap, line.at(last)):
        numbers = all(context.cells[position].numeric for position in gap)
        omitted = ", ".join(format_address(*position) for position in gap)
        return Issue(
            f"The range ending at {format_address(*old[1])} leaves out {omitted}, which "
            f"sits between the range and the formula in {cell.address}",
            "Extend the range to include the adjacent cells.",
            0.85 if numbers else 0.7,
            _resized(context, cell, old, (old[0], gap[-1])),
            Severity.ERROR if numbers else Severity.WARNING,
            (cell.index,),
        )
    regions = context.regions
    start = line.at(first)
    if (
        line.at(first + 1) in context.cells
        and regions.header_of(line.at(first + 1), line.vertical) == start
    ):
        return Issue(
            f"The range in {cell.address} starts at the header {format_address(*start)} "
            f"({context.labels[start]!r}); COUNTA counts it, and the range reads as wrong",
            "Start the range at the first data cell below the header.",
            0.6,
            _resized(context, cell, old, (line.at(first + 1), old[1])),
            cell_indices=(cell.index,),
        )
    header = regions.header_of(start, line.vertical)
    if header is None:
        return None
    top = (header[0] if line.vertical else header[1]) + 1
    skipped_cells = [context.cells[line.at(index)] for index in range(top, first)]
    if not 0 < len(skipped_cells) <= 2 or not all(skipped.numeric for skipped in skipped_cells):
        return None
    suggestion = _resized(context, cell, old, (line.at(top), old[1]))
    # a range may leave out an opening balance on purpose: only a sibling total that
    # starts at the top of its block shows this one was meant to as well
    if suggestion is None or not _siblings_use(context, cell, line, suggestion):
        return None
    skipped = ", ".join(format_address(*line.at(i)) for i in range(top, first))
    return Issue(
        f"The range in {cell.address} starts below {skipped}, numbers under the same "
        f"header {format_address(*header)}, which the totals beside it include",
        "Start the range at the first data cell below the header.",
        0.75,
        suggestion,
        cell_indices=(cell.index,),
    )


def _siblings_use(context: SheetContext, cell: SheetCell, line: _Line, shape: str) -> bool:
    """Does a formula beside the cell, across its line, have this shape?"""
    offsets = ((0, -1), (0, 1)) if line.vertical else ((-1, 0), (1, 0))
    for row_step, column_step in offsets:
        sibling = context.cells.get((cell.row + row_step, cell.column + column_step))
        if sibling is not None and sibling.shape == shape:
            return True
    return False


def _resized(
    context: SheetContext,
    cell: SheetCell,
    old: tuple[Position, Position],
    new: tuple[Position, Position],
) -> str | None:
    """The cell's formula with the range spanning `old` corners moved to `new`, as a shape."""
    formula = context.formulas[cell.index]
    try:
        tree = parse_formula(formula)
    except FormulaError:
        return None
    for node in walk(tree):
        if not isinstance(node, Reference) or ":" not in node.text:
            continue
        area = node.area
        if None in (area.first_row, area.first_column, area.last_row, area.last_column):
            continue
        if ((area.rows()[0], area.columns()[0]), (area.rows()[1], area.columns()[1])) != old:
            continue
        body = split_operand(node.text).body
        corners = [_corner(area.first_column, area.first_row, new[0])]
        corners.append(_corner(area.last_column, area.last_row, new[1]))
        new_text = node.text[: len(node.text) - len(body)] + ":".join(corners)
        end_at = node.position + len(node.text)
        resized = formula[: node.position] + new_text + formula[end_at:]
        return shape_of(resized, cell.row, cell.column)
    return None


def _corner(column: Bound | None, row: Bound | None, position: Position) -> str:
    """A1 text of `position`, keeping the '$' marks of the corner it replaces."""
    column_dollar = "$" if column is not None and column.absolute else ""
    row_dollar = "$" if row is not None and row.absolute else ""
    return f"{column_dollar}{column_letters(position[1])}{row_dollar}{position[0]}"


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
