"""Totals against the table around them.

A total is an aggregate (SUM, AVERAGE, COUNT, ...) whose range lies before it in its own
column (a totals row) or row (a totals column). Its range should cover the block of data
it closes: from the first data row under the header to the last one above the total.
The table around it is read from the sheet, across the total's own row: the stretch of
cells through the total (its width), and for each row of the range whether it holds data,
only labels (a header or a section title), or nothing (a blank separator row).

Reported, with the range corrected where that is clear:
- the range stops short of numbers between it and the total, or starts below numbers at
  the top of its block that the totals beside it include (`omitted-adjacent-cells`);
- the range starts on a header or section-title row, or ends on a blank separator row:
  the total is right today and wrong after the next row is inserted there; or a range of
  several columns takes in an edge column empty all along it (`=SUM(C6:D13)` under data
  in C only) (`range-spans-label-or-blank-row`);
- the range counts a subtotal together with the rows it sums (`subtotal-double-counted`).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from sheetbrain.formulas.catalog import Issue, RuleInfo, register
from sheetbrain.formulas.errors import FormulaError
from sheetbrain.formulas.model import Severity
from sheetbrain.formulas.nodes import (
    Reference,
    walk,
)
from sheetbrain.formulas.parser import parse_formula
from sheetbrain.formulas.references import (
    Bound,
    column_letters,
    format_address,
    split_operand,
)
from sheetbrain.formulas.regions import (
    Position,
    SheetCell,
)
from sheetbrain.formulas.rules.registry import SHEET_RULES, rule_info
from sheetbrain.formulas.shapes import shape_of
from sheetbrain.formulas.sheet import (
    SheetContext,
)

# A total leaving out more rows than this between its range and itself sums a sub-block.
_MAX_GAP = 3


# Rows at the top of a block a total may skip before it counts as starting late.
_MAX_SKIPPED = 2


_YEARS = range(1900, 2101)


class _Kind(Enum):
    BLANK = "blank"  # nothing across the table: a separator
    TITLE = "title"  # text before the total's line only: a section title, or an empty item
    HEADER = "header"  # text (or years) reaching the total's line: column headers
    DATA = "data"
    UNKNOWN = "unknown"  # outside the audited cells, or an audit without values


@dataclass(frozen=True, slots=True)
class Line:
    """Positions along the total's own column (vertical) or row, by index on that axis."""

    vertical: bool
    fixed: int

    def at(self, index: int) -> Position:
        return (index, self.fixed) if self.vertical else (self.fixed, index)


@dataclass(frozen=True, slots=True)
class Total:
    """An aggregate range lying before its formula on the formula's own line."""

    cell: SheetCell
    line: Line
    first: int
    last: int
    at: int  # the formula's index on the line
    span: tuple[int, int]  # the table's width across the line, through the total
    counts_text: bool  # COUNTA: a label in the range changes the result

    @property
    def corners(self) -> tuple[Position, Position]:
        return self.line.at(self.first), self.line.at(self.last)


@dataclass(frozen=True, slots=True)
class RangeProblem:
    rule: RuleInfo
    issue: Issue


def _totals(context: SheetContext) -> Iterator[Total]:
    """The first aggregated range of each formula cell that lies before it on its line."""
    for cell in context.cells.values():
        if cell.shape is None:
            continue
        for area in context.references[cell.shape].aggregated:
            first_row, first_column, last_row, last_column = area.at(cell.row, cell.column)
            if first_column == last_column == cell.column and last_row < cell.row:
                line, first, last = Line(True, cell.column), first_row, last_row
            elif first_row == last_row == cell.row and last_column < cell.column:
                line, first, last = Line(False, cell.row), first_column, last_column
            else:
                continue
            at = cell.row if line.vertical else cell.column
            counts = area in context.references[cell.shape].counted
            width = _width(context, cell, line.vertical)
            yield Total(cell, line, first, last, at, width, counts)
            break


def _width(context: SheetContext, cell: SheetCell, vertical: bool) -> tuple[int, int]:
    """The table's width through a total: the stretch of cells around it, widened to the
    labels at the start of its row (or column), however far they sit."""
    regions = context.regions
    low, high = regions.span(cell.position, vertical)
    index = cell.row if vertical else cell.column
    leading = regions.across(vertical, index, 1, low)
    return (leading[0][1 if vertical else 0] if leading else low), high


def _beside_own_line(context: SheetContext) -> Iterator[tuple[SheetCell, Total]]:
    """Totals whose range lies in the column (or row) next to their own, written below
    (or right of) a block of their own column's data, where the totals beside them add
    up their own columns: a copy that slid one column."""
    for cell in context.cells.values():
        if cell.shape is None:
            continue
        for area in context.references[cell.shape].aggregated:
            first_row, first_column, last_row, last_column = area.at(cell.row, cell.column)
            # the range closes right above (or left of) the total, one column (row) off
            if (
                first_column == last_column
                and abs(first_column - cell.column) == 1
                and first_row < last_row < cell.row <= last_row + _MAX_GAP
            ):
                line = Line(True, first_column)
                yield cell, _placed(context, cell, line, first_row, last_row, cell.row)
            elif (
                first_row == last_row
                and abs(first_row - cell.row) == 1
                and first_column < last_column < cell.column <= last_column + _MAX_GAP
            ):
                line = Line(False, first_row)
                yield cell, _placed(context, cell, line, first_column, last_column, cell.column)


def _outlier_positions(context: SheetContext) -> frozenset[Position]:
    return frozenset(cell.position for _, cell in context.regions.outliers)


def _placed(
    context: SheetContext, cell: SheetCell, line: Line, first: int, last: int, at: int
) -> Total:
    return Total(cell, line, first, last, at, _width(context, cell, line.vertical), False)


def range_problems(context: SheetContext) -> dict[int, RangeProblem]:
    """The problem of each total whose range does not fit its table, by cell index."""
    return context.memo("range-problems", lambda: _analyse(context))


def range_issue(context: SheetContext, cell: SheetCell) -> Issue | None:
    problem = range_problems(context).get(cell.index)
    return None if problem is None else problem.issue


def _analyse(context: SheetContext) -> dict[int, RangeProblem]:
    totals = sorted(_totals(context), key=lambda total: total.line.fixed)
    siblings: dict[tuple[bool, int], list[Total]] = defaultdict(list)
    for total in totals:
        siblings[(total.line.vertical, total.at)].append(total)
    places = {key: [total.line.fixed for total in found] for key, found in siblings.items()}
    found: dict[int, RangeProblem] = {}
    for total in totals:
        key = (total.line.vertical, total.at)
        start = bisect.bisect_left(places[key], total.span[0])
        end = bisect.bisect_right(places[key], total.span[1])
        beside = [sibling for sibling in siblings[key][start:end] if sibling is not total]
        if total.first == total.last:
            # a single cell is a pick, not a range over the data, unless the totals
            # beside it sum ranges over the same rows
            problem = _shorter_than_siblings(context, total, beside)
            if problem is not None:
                found[total.cell.index] = problem
            continue
        problem = (
            _stops_short(context, total)
            or _spans_label_or_blank(context, total)
            or _starts_late(context, total, beside)
            or _shorter_than_siblings(context, total, beside)
            or _double_counts(context, total)
        )
        if problem is not None:
            found[total.cell.index] = problem
    for cell, total in _beside_own_line(context):
        problem = _wrong_line(context, cell, total, siblings)
        if problem is not None:
            found.setdefault(cell.index, problem)
    for cell, block in _block_totals(context):
        problem = _takes_in_empty_line(context, cell, block)
        if problem is not None:
            found.setdefault(cell.index, problem)
    return found


Block = tuple[int, int, int, int]  # first row, first column, last row, last column


def _block_totals(context: SheetContext) -> Iterator[tuple[SheetCell, Block]]:
    """Aggregated ranges of several rows and several columns, closed by a formula below
    them in one of their columns (or right of them in one of their rows)."""
    for cell in context.cells.values():
        if cell.shape is None:
            continue
        for area in context.references[cell.shape].aggregated:
            block = area.at(cell.row, cell.column)
            first_row, first_column, last_row, last_column = block
            if first_row == last_row or first_column == last_column:
                continue
            below = last_row < cell.row and first_column <= cell.column <= last_column
            right = last_column < cell.column and first_row <= cell.row <= last_row
            if below or right:
                yield cell, block


def _takes_in_empty_line(
    context: SheetContext, cell: SheetCell, block: Block
) -> RangeProblem | None:
    """A total of its own column's data whose range also takes in a column that is empty
    all the way down (`=SUM(C6:D13)` with nothing in D6:D13), or likewise a row: it
    reads as adding two columns, and whatever is later typed there is added to it."""
    known = context.regions.known
    first_row, first_column, last_row, last_column = block
    if known is None or not (
        known[0] <= first_row
        and known[1] <= first_column
        and last_row <= known[2]
        and last_column <= known[3]
    ):
        return None  # beyond what the audit was sent, empty cannot be told from unknown
    vertical = last_row < cell.row  # a totals row under the block: its lines are columns
    own = cell.column if vertical else cell.row
    low, high = (first_column, last_column) if vertical else (first_row, last_row)
    along = (first_row, last_row) if vertical else (first_column, last_column)

    def empty(index: int) -> bool:
        return not context.regions.across(not vertical, index, *along)

    kept_low, kept_high = low, high
    while kept_low < own and empty(kept_low):
        kept_low += 1
    while kept_high > own and empty(kept_high):
        kept_high -= 1
    own_line = Line(vertical, own)
    own_numbers = sum(
        1
        for index in range(along[0], along[1] + 1)
        if (found := context.cells.get(own_line.at(index))) is not None and found.numeric
    )
    if (kept_low, kept_high) == (low, high) or own_numbers < 2:
        return None
    what = "column" if vertical else "row"
    name = column_letters if vertical else str
    dropped = [name(index) for index in (*range(low, kept_low), *range(kept_high + 1, high + 1))]
    if vertical:
        new = ((first_row, kept_low), (last_row, kept_high))
    else:
        new = ((kept_low, first_column), (kept_high, last_column))
    old = ((first_row, first_column), (last_row, last_column))
    summed = f"{format_address(*old[0])}:{format_address(*old[1])}"
    meant = f"{format_address(*new[0])}:{format_address(*new[1])}"
    return RangeProblem(
        RANGE_SPANS_LABEL_OR_BLANK,
        Issue(
            f"The range {summed} in {cell.address} takes in {what} {', '.join(dropped)}, "
            f"empty all along it: the total reads as adding more {what}s than it does, "
            f"and whatever is typed there later is added to it",
            f"Make the range cover only the {what}s with data ({meant}).",
            0.8,
            _rewritten(context, cell, old, new),
            Severity.ERROR,
            (cell.index,),
        ),
    )


def _wrong_line(
    context: SheetContext,
    cell: SheetCell,
    total: Total,
    siblings: dict[tuple[bool, int], list[Total]],
) -> RangeProblem | None:
    vertical = total.line.vertical
    own = Line(vertical, cell.column if vertical else cell.row)
    own_data = sum(
        1 for index in range(total.first, total.last + 1) if own.at(index) in context.cells
    )
    beside = siblings.get((vertical, cell.row if vertical else cell.column), [])
    if own_data < 2 or not beside:
        return None  # nothing of its own to add up, or no totals beside it to compare
    if cell.position in context.memo("outliers", lambda: _outlier_positions(context)):
        return None  # a copy breaking its run: the run rules say how it slipped
    own_range = f"{format_address(*own.at(total.first))}:{format_address(*own.at(total.last))}"
    summed = f"{format_address(*total.corners[0])}:{format_address(*total.corners[1])}"
    what = "column" if vertical else "row"
    return RangeProblem(
        TOTAL_OF_WRONG_LINE,
        Issue(
            f"{cell.address} adds up {summed}, the {what} beside its own, while the totals "
            f"next to it add up their own {what}s: {own_range} was meant",
            f"Point the range at the {what} the total sits in.",
            0.85,
            _moved(context, cell, total, own),
            Severity.ERROR,
            (cell.index,),
        ),
    )


def _kind(context: SheetContext, total: Total, index: int) -> _Kind:
    """What the row (or column) `index` holds across the total's table."""
    content = _content(context, total.line.vertical, index, total.span)
    if isinstance(content, _Kind):
        return content
    # text (or years) only: column headers when it reaches the total's line, else a title
    return _Kind.HEADER if content >= total.line.fixed else _Kind.TITLE


def _content(
    context: SheetContext, vertical: bool, index: int, span: tuple[int, int]
) -> _Kind | int:
    """BLANK, DATA or UNKNOWN; for text-only rows how far across they reach (a year
    counts as text and reaches everywhere). Remembered per sheet: every total of a
    totals row asks about the same rows."""
    found: dict[tuple[bool, int, int, int], _Kind | int] = context.memo("row-content", dict)
    key = (vertical, index, *span)
    if key not in found:
        found[key] = _read_content(context, vertical, index, span)
    return found[key]


def _read_content(
    context: SheetContext, vertical: bool, index: int, span: tuple[int, int]
) -> _Kind | int:
    known = context.regions.extent
    if known is None:
        return _Kind.UNKNOWN
    low, high = (known[0], known[2]) if vertical else (known[1], known[3])
    if not low <= index <= high:
        return _Kind.UNKNOWN
    places = context.regions.across(vertical, index, *span)
    if not places:
        return _Kind.BLANK
    for place in places:
        cell = context.cells.get(place)
        if cell is not None:
            if not (cell.numeric and _is_year(cell.value)):
                return _Kind.DATA
            return span[1]  # a row of years is a header row across the table
    # places come in order across the line: the last one reaches furthest
    return places[-1][1] if vertical else places[-1][0]


def _table_row(context: SheetContext, total: Total, index: int) -> bool:
    """A row of data, or an item listed without values yet; not a section's title."""
    kind = _kind(context, total, index)
    return kind is _Kind.DATA or (kind is _Kind.TITLE and not _title_opens(context, total, index))


def _title_opens(context: SheetContext, total: Total, index: int) -> bool:
    """Is the text-only row at `index` a section's title: the first line under a blank
    row or the column headers (a second text-only line is an item without values)?"""
    above = _kind(context, total, index - 1) if index > 1 else _Kind.BLANK
    return above in (_Kind.BLANK, _Kind.HEADER)


def _is_year(value: object) -> bool:
    return isinstance(value, float) and value.is_integer() and int(value) in _YEARS


def _data_row(context: SheetContext, total: Total, index: int) -> bool:
    vertical = total.line.vertical
    totals_row = vertical and context.regions.is_totals_row(index)
    return not totals_row and _kind(context, total, index) is _Kind.DATA


def _stops_short(context: SheetContext, total: Total) -> RangeProblem | None:
    gap = range(total.last + 1, total.at)
    if not 0 < len(gap) <= _MAX_GAP or not all(_data_row(context, total, i) for i in gap):
        return None
    edge = context.cells.get(total.line.at(total.last))
    left_out = [
        cell
        for i in gap
        if (cell := context.cells.get(total.line.at(i))) is not None
        and (cell.numeric or (edge is not None and cell.shape == edge.shape))
    ]
    if not left_out:
        return None
    numbers = all(cell.numeric for cell in left_out)
    omitted = ", ".join(cell.address for cell in left_out)
    return RangeProblem(
        OMITTED_ADJACENT_CELLS,
        Issue(
            f"The range ending at {format_address(*total.corners[1])} leaves out {omitted}, "
            f"which sits between the range and the formula in {total.cell.address}",
            "Extend the range to include the adjacent cells.",
            0.85 if numbers else 0.7,
            _resized(context, total, total.first, gap[-1]),
            Severity.ERROR if numbers else Severity.WARNING,
            (total.cell.index,),
        ),
    )


def _spans_label_or_blank(context: SheetContext, total: Total) -> RangeProblem | None:
    start = total.corners[0]
    if start in context.labels:
        header = f"{format_address(*start)} ({context.labels[start]!r})"
        if total.counts_text:
            message, confidence = f"it counts the header {header} as an item", 0.9
        else:
            message, confidence = f"it starts at the header {header}, which reads as wrong", 0.5
        return RangeProblem(
            RANGE_SPANS_LABEL_OR_BLANK,
            Issue(
                f"The range in {total.cell.address} takes in its column's header: {message}",
                "Start the range at the first data cell below the header.",
                confidence,
                _resized(context, total, total.first + 1, total.last),
                Severity.ERROR if total.counts_text else Severity.INFO,
                (total.cell.index,),
            ),
        )
    if not total.line.vertical:
        return None  # columns of a row's table are often sparse: no separators to read
    inside = [_kind(context, total, index) for index in range(total.first, total.last + 1)]
    # a range over several sections, each under its title, starts on a title by design
    sections = any(kind is not _Kind.DATA for kind in inside[1:-1])
    if not sections and (
        inside[0] is _Kind.BLANK
        or (inside[0] is _Kind.TITLE and _title_opens(context, total, total.first))
    ):
        what = "a blank row" if inside[0] is _Kind.BLANK else "a section title"
        return _spans_problem(
            context,
            total,
            f"The range in {total.cell.address} starts on {what} (row {total.first}): a row "
            "inserted above its first data row would be left out of the total",
            _first_data(context, total),
            total.last,
        )
    if inside[-1] is _Kind.BLANK:
        return _spans_problem(
            context,
            total,
            f"The range in {total.cell.address} ends on a blank separator row "
            f"({total.last}) below its data: the total reads as wrong, and rows added "
            "under the separator are counted in it",
            total.first,
            _last_data(context, total),
        )
    return None


def _spans_problem(
    context: SheetContext, total: Total, message: str, first: int | None, last: int | None
) -> RangeProblem:
    suggestion = None
    if first is not None and last is not None and first <= last:
        suggestion = _resized(context, total, first, last)
    return RangeProblem(
        RANGE_SPANS_LABEL_OR_BLANK,
        Issue(
            message,
            "Make the range start at the first data row and end at the last one.",
            0.8,
            suggestion,
            Severity.ERROR,
            (total.cell.index,),
        ),
    )


def _first_data(context: SheetContext, total: Total) -> int | None:
    for index in range(total.first, total.last + 1):
        if _kind(context, total, index) is _Kind.DATA:
            return index
    return None


def _last_data(context: SheetContext, total: Total) -> int | None:
    for index in range(total.last, total.first - 1, -1):
        if _kind(context, total, index) is _Kind.DATA:
            return index
    return None


def _starts_late(context: SheetContext, total: Total, siblings: list[Total]) -> RangeProblem | None:
    """Numbers at the top of the block, above the range, that the totals beside it include."""
    top = total.first
    skipped: list[SheetCell] = []
    while top > 1 and _data_row(context, total, top - 1):
        top -= 1
        cell = context.cells.get(total.line.at(top))
        if cell is not None and cell.shape is not None:
            return None  # a formula above the range: the block has a subtotal in it
        if cell is not None:
            skipped.append(cell)
    if not skipped or total.first - top > _MAX_SKIPPED:
        return None
    if not any(sibling.first <= top for sibling in siblings):
        return None  # a lone total may leave out an opening balance on purpose
    names = ", ".join(cell.address for cell in reversed(skipped))
    return RangeProblem(
        OMITTED_ADJACENT_CELLS,
        Issue(
            f"The range in {total.cell.address} starts below {names}, numbers at the top of "
            "its block, which the totals beside it include",
            "Start the range at the first data cell of the block.",
            0.85,
            _resized(context, total, top, total.last),
            Severity.ERROR,
            (total.cell.index,),
        ),
    )


def _shorter_than_siblings(
    context: SheetContext, total: Total, siblings: list[Total]
) -> RangeProblem | None:
    """A total whose range leaves out rows of its table that the totals beside it cover
    (blank in its own column today, so its value is right until someone fills them)."""
    for sibling in siblings:
        if sibling.last == total.last and sibling.first < total.first:
            left_out, edge = range(sibling.first, total.first), "starts"
        elif sibling.first == total.first and sibling.last > total.last:
            left_out, edge = range(total.last + 1, sibling.last + 1), "ends"
        else:
            continue
        if not all(_table_row(context, total, index) for index in left_out):
            continue
        if any(total.line.at(index) in context.labels for index in left_out):
            continue  # it leaves out text only: nothing to add up, now or later
        rows = "row" if total.line.vertical else "column"
        those = f"that {rows} belongs" if len(left_out) == 1 else f"those {rows}s belong"
        cells = ", ".join(format_address(*total.line.at(index)) for index in left_out)
        return RangeProblem(
            OMITTED_ADJACENT_CELLS,
            Issue(
                f"The range in {total.cell.address} leaves out {cells}: the range of "
                f"{sibling.cell.address} beside it {edge} there, and {those} to the same "
                "table",
                "Make the range cover the same rows as the totals beside it.",
                0.8,
                _resized(
                    context,
                    total,
                    min(sibling.first, total.first),
                    max(sibling.last, total.last),
                ),
                Severity.ERROR,
                (total.cell.index,),
            ),
        )
    return None


def _double_counts(context: SheetContext, total: Total) -> RangeProblem | None:
    """A subtotal inside the range, summed again with the rows it already sums."""
    for index in range(total.first, total.last + 1):
        inner = context.cells.get(total.line.at(index))
        if inner is None or inner.shape is None:
            continue
        for area in context.references[inner.shape].aggregated:
            first_row, first_column, last_row, last_column = area.at(inner.row, inner.column)
            if total.line.vertical:
                own = first_column == last_column == inner.column
                first, last = first_row, last_row
            else:
                own = first_row == last_row == inner.row
                first, last = first_column, last_column
            if own and first < last and total.first <= first and last < index:
                covered = f"{format_address(*total.line.at(first))}:"
                covered += format_address(*total.line.at(last))
                return RangeProblem(
                    SUBTOTAL_DOUBLE_COUNTED,
                    Issue(
                        f"The range in {total.cell.address} includes the subtotal "
                        f"{inner.address} and the cells it sums ({covered}): they are "
                        "counted twice",
                        "Sum either the detail rows or the subtotals, not both.",
                        0.9,
                        None,
                        Severity.ERROR,
                        (total.cell.index,),
                    ),
                )
    return None


def _resized(context: SheetContext, total: Total, first: int, last: int) -> str | None:
    """The total's formula with its range moved to span `first`..`last`, as a shape."""
    return _rewritten(
        context, total.cell, total.corners, (total.line.at(first), total.line.at(last))
    )


def _moved(context: SheetContext, cell: SheetCell, total: Total, line: Line) -> str | None:
    """The total's formula with its range moved onto `line`, as a shape."""
    return _rewritten(context, cell, total.corners, (line.at(total.first), line.at(total.last)))


def _rewritten(
    context: SheetContext,
    cell: SheetCell,
    old: tuple[Position, Position],
    new: tuple[Position, Position],
) -> str | None:
    """The formula of `cell` with the range spanning `old` moved to span `new`, as a shape."""
    formula = context.formulas[cell.index]
    try:
        tree = parse_formula(formula)
    except FormulaError:
        return None
    for node in walk(tree):
        if not isinstance(node, Reference):
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


def _rule_issues(context: SheetContext, rule: RuleInfo) -> Iterator[Issue]:
    for problem in range_problems(context).values():
        if problem.rule is rule:
            yield problem.issue


@register(
    SHEET_RULES,
    "omitted-adjacent-cells",
    Severity.WARNING,
    {"consistency", "ranges"},
    "Total leaves out numbers of its block",
    escalates=True,
)
def omitted_adjacent_cells(context: SheetContext) -> Iterator[Issue]:
    return _rule_issues(context, OMITTED_ADJACENT_CELLS)


@register(
    SHEET_RULES,
    "range-spans-label-or-blank-row",
    Severity.ERROR,
    {"consistency", "ranges"},
    "Total's range starts on a header or ends on a blank row",
)
def range_spans_label_or_blank_row(context: SheetContext) -> Iterator[Issue]:
    return _rule_issues(context, RANGE_SPANS_LABEL_OR_BLANK)


@register(
    SHEET_RULES,
    "subtotal-double-counted",
    Severity.ERROR,
    {"consistency", "ranges"},
    "Total counts a subtotal and its rows twice",
)
def subtotal_double_counted(context: SheetContext) -> Iterator[Issue]:
    return _rule_issues(context, SUBTOTAL_DOUBLE_COUNTED)


@register(
    SHEET_RULES,
    "total-of-wrong-column",
    Severity.ERROR,
    {"consistency", "ranges"},
    "Total adds up the column beside its own",
)
def total_of_wrong_column(context: SheetContext) -> Iterator[Issue]:
    return _rule_issues(context, TOTAL_OF_WRONG_LINE)


OMITTED_ADJACENT_CELLS = rule_info("omitted-adjacent-cells")
RANGE_SPANS_LABEL_OR_BLANK = rule_info("range-spans-label-or-blank-row")
SUBTOTAL_DOUBLE_COUNTED = rule_info("subtotal-double-counted")
TOTAL_OF_WRONG_LINE = rule_info("total-of-wrong-column")
