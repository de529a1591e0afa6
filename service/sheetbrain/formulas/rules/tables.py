"""Copies that differ from the run of formulas around them."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sheetbrain.formulas.catalog import Issue, register
from sheetbrain.formulas.model import Severity
from sheetbrain.formulas.regions import (
    FormulaRun,
    SheetCell,
    edited_copy,
)
from sheetbrain.formulas.rules.constants import ADJUSTED_COPY, added_literals
from sheetbrain.formulas.rules.ranges import OMITTED_ADJACENT_CELLS, range_issue
from sheetbrain.formulas.rules.references import slip_offset
from sheetbrain.formulas.rules.registry import SHEET_RULES
from sheetbrain.formulas.rules.runs import expected_at, run_confidence, severity_for
from sheetbrain.formulas.sheet import (
    SheetContext,
)

# An edited copy (a term dropped, a reference moved) is a likelier slip than a formula
# that computes something else in the middle of a run.
_EDITED_BASE = 0.55


_DIFFERENT_BASE = 0.45


_NUMBERS = re.compile(r"(?<![A-Za-z\[\d.])\d+(?:\.\d+)?(?![\]\d])")


@register(
    SHEET_RULES,
    "inconsistent-formula",
    Severity.WARNING,
    {"consistency"},
    "Formula differs from its neighbours",
    escalates=True,
)
def inconsistent_formula(context: SheetContext) -> Iterator[Issue]:
    grouped: dict[int, tuple[FormulaRun, list[SheetCell]]] = {}
    ranges_checked = context.config.enables(
        OMITTED_ADJACENT_CELLS.rule_id, OMITTED_ADJACENT_CELLS.tags
    )
    adjustments_checked = context.config.enables(ADJUSTED_COPY.rule_id, ADJUSTED_COPY.tags)
    for run, cell in context.regions.outliers:
        if cell.shape is None or slip_offset(context, run.shape, cell.shape) is not None:
            continue
        if adjustments_checked and added_literals(run.shape, cell.shape) is not None:
            continue  # a typed-in plug: `adjusted-copy` reports it
        if _NUMBERS.sub("#", cell.shape) == _NUMBERS.sub("#", run.shape):
            continue  # the same formula with another rate or factor: a parameter per row
        if _labelled_subtotal(context, run, cell) or _follows_across(context, run, cell):
            continue
        if ranges_checked and (
            range_issue(context, cell) is not None or _pattern_has_range_issue(context, run)
        ):
            continue  # the range rules say precisely which of them is wrong
        grouped.setdefault(id(run), (run, []))[1].append(cell)
    for run, cells in grouped.values():
        first = cells[0]
        expected = expected_at(run, first)
        names = ", ".join(cell.address for cell in cells)
        if len(cells) > 1:
            subject = f"Formulas in {names} differ from the {run.agreeing} copies around them"
        else:
            subject = f"Formula in {names} differs from the {run.agreeing} copies around it"
        edited = all(edited_copy(run.shape, cell.shape or "") for cell in cells)
        confidence = run_confidence(
            _EDITED_BASE if edited else _DIFFERENT_BASE, run, totals_row=False
        )
        yield Issue(
            f"{subject} in the {run.direction}"
            + (f", which would have {expected} in {first.address}" if expected else ""),
            "Copy the neighbours' formula into these cells, or document why they differ.",
            confidence,
            run.shape if expected else None,
            severity_for(confidence),
            tuple(cell.index for cell in cells),
        )


def _pattern_has_range_issue(context: SheetContext, run: FormulaRun) -> bool:
    """Is the run's own pattern a total the range rules find wrong? Then the cells that
    differ from it are the ones that got it right."""
    pattern = next(cell for cell in run.cells if cell.shape == run.shape)
    return range_issue(context, pattern) is not None


# How far across a run a cell's own column (or row) is searched for its pattern.
_ACROSS = 3


def _labelled_subtotal(context: SheetContext, run: FormulaRun, cell: SheetCell) -> bool:
    """A labelled subtotal row inside a column of item formulas: it sums the cells right
    above it, as a subtotal should ("Activity Subtotal" under its items)."""
    if not run.vertical or not context.regions.is_totals_row(cell.row):
        return False
    for area in context.references[cell.shape or ""].aggregated:
        first_row, first_column, last_row, last_column = area.at(cell.row, cell.column)
        if first_column == last_column == cell.column and first_row < last_row == cell.row - 1:
            return True
    return False


def _follows_across(context: SheetContext, run: FormulaRun, cell: SheetCell) -> bool:
    """Does the cell repeat the formula of its own column (for a row's run) or row (for a
    column's run), a blank or two away? A percentage column crossing a row of totals
    keeps its column's formula."""
    cells = context.cells
    for step in (-1, 1):
        for distance in range(1, _ACROSS + 1):
            offset = step * distance
            place = (
                (cell.row, cell.column + offset)
                if run.vertical
                else (cell.row + offset, cell.column)
            )
            other = cells.get(place)
            if other is None:
                continue  # a blank row (or column) between: look past it
            if other.shape == cell.shape:
                return True
            break
    return False
