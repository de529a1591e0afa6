"""Circular references: formulas that depend on themselves, through any path."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator

from sheetbrain.formulas.catalog import Issue, register
from sheetbrain.formulas.model import Severity
from sheetbrain.formulas.regions import (
    SheetCell,
)
from sheetbrain.formulas.rules.registry import SHEET_RULES
from sheetbrain.formulas.sheet import (
    RelativeArea,
    SheetContext,
)

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


def _reads_only_earlier_cells(
    context: SheetContext, cell: SheetCell, backward: dict[str, bool]
) -> bool:
    """Does every same-sheet reference of `cell` lie before it in reading order (rows
    above, or the same row to the left)? Relative references decide this per shape,
    remembered in `backward`; absolute ones per cell."""
    shape = cell.shape
    if shape is None:
        return True
    if shape not in backward:
        backward[shape] = all(map(_always_earlier, context.references[shape].areas))
    if backward[shape]:
        return True
    for area in context.references[shape].areas:
        first_row, _, last_row, last_column = area.at(cell.row, cell.column)
        if last_row < cell.row or (first_row == last_row == cell.row and last_column < cell.column):
            continue
        return False
    return True


def _always_earlier(area: RelativeArea) -> bool:
    """Relative bounds that put the area above its formula, or left of it in its row,
    wherever the formula is copied."""
    if area.last_row_shift and area.last_row < 0:
        return True
    same_row = area.first_row_shift and area.last_row_shift and area.first_row == area.last_row == 0
    return bool(same_row and area.last_column_shift and area.last_column < 0)


@register(SHEET_RULES, "circular-reference", Severity.ERROR, {"circular"}, "Circular reference")
def circular_reference(context: SheetContext) -> Iterator[Issue]:
    backward: dict[str, bool] = {}
    if all(_reads_only_earlier_cells(context, cell, backward) for cell in context.cells.values()):
        return  # every formula reads cells above it or to its left: no loop can close
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
