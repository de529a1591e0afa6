"""Runs of copied formulas: how confident a finding about a cell breaking one is."""

from __future__ import annotations

from sheetbrain.formulas.model import Severity
from sheetbrain.formulas.regions import (
    FormulaRun,
    SheetCell,
)
from sheetbrain.formulas.shapes import render_shape

ERROR_CONFIDENCE = 0.8


def run_confidence(base: float, run: FormulaRun, totals_row: bool) -> float:
    """`base` plus 0.03 per agreeing copy (at most +0.3), +0.1 in a totals row,
    -0.1 when a second cell also breaks the run."""
    score = base + min(0.3, 0.03 * run.agreeing) + (0.1 if totals_row else 0.0)
    score -= 0.1 * (len(run.outliers) - 1)
    return round(max(0.05, min(0.99, score)), 2)


def severity_for(confidence: float) -> Severity:
    return Severity.ERROR if confidence >= ERROR_CONFIDENCE else Severity.WARNING


def expected_at(run: FormulaRun, cell: SheetCell) -> str | None:
    return render_shape(run.shape, cell.address)
