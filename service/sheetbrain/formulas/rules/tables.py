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
