"""Rules over tables: cells that break a run of copied formulas, slipped references,
formulas typed into data.

Confidence comes from signals a reviewer can check: how many copies agree around the
cell, how many other cells break the same run, whether the row is labelled as a
total, and (for typed-in numbers) whether the run is a mere counter like =A97+1.
Findings at or above `ERROR_CONFIDENCE` are errors, the rest warnings.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from sheetbrain.formulas.catalog import Issue, Rule, register
from sheetbrain.formulas.evidence import Agreement, agreement
from sheetbrain.formulas.model import Severity
from sheetbrain.formulas.range_rules import OMITTED_ADJACENT_CELLS, range_issue
from sheetbrain.formulas.references import format_address
from sheetbrain.formulas.regions import FormulaRun, Position, SheetCell, edited_copy
from sheetbrain.formulas.shapes import render_shape
from sheetbrain.formulas.sheet_rules import RelativeArea, SheetContext

TABLE_RULES: list[Rule[SheetContext]] = []
ERROR_CONFIDENCE = 0.8
# R1C1 references (cells and areas) in a shape; everything else is the formula's skeleton.
_R1C1 = re.compile(
    r"(?<![A-Za-z0-9_.$\\])R(?:\[-?\d+\]|\d+)?C(?:\[-?\d+\]|\d+)?"
    r"(?::R(?:\[-?\d+\]|\d+)?C(?:\[-?\d+\]|\d+)?)?(?![A-Za-z0-9_.(!\[\\])"
)
# Functions that test for or convert text: a formula using them expects labels.
_TEXT_GUARD = re.compile(r"\b(?:IFERROR|ISNUMBER|ISTEXT|ISERROR|ISERR|N|VALUE|NUMBERVALUE)\(", re.I)
# A counter: the previous cell along the run plus or minus a constant (=A97+1, =1+A97).
_COUNTER = re.compile(
    r"=\+?(?:(?:R\[-1\]C|RC\[-1\])\s*[+-]\s*[0-9.]+|[0-9.]+\s*\+\s*(?:R\[-1\]C|RC\[-1\]))"
)
_COUNTER_PENALTY = 0.25
# An edited copy (a term dropped, a reference moved) is a likelier slip than a formula
# that computes something else in the middle of a run.
_EDITED_BASE = 0.55
_DIFFERENT_BASE = 0.45
_MISSES_BEFORE_GIVING_UP = 64
_NUMBERS = re.compile(r"(?<![A-Za-z\[\d.])\d+(?:\.\d+)?(?![\]\d])")
_CONSTANT_RUN_BASE = 0.65
_SLIP_BASE = 0.65


def run_confidence(base: float, run: FormulaRun, totals_row: bool) -> float:
    """`base` plus 0.03 per agreeing copy (at most +0.3), +0.1 in a totals row,
    -0.1 when a second cell also breaks the run."""
    score = base + min(0.3, 0.03 * run.agreeing) + (0.1 if totals_row else 0.0)
    score -= 0.1 * (len(run.outliers) - 1)
    return round(max(0.05, min(0.99, score)), 2)


def _severity(confidence: float) -> Severity:
    return Severity.ERROR if confidence >= ERROR_CONFIDENCE else Severity.WARNING


def _expected(run: FormulaRun, cell: SheetCell) -> str | None:
    return render_shape(run.shape, cell.address)


@register(
    TABLE_RULES,
    "constant-in-formula-run",
    Severity.ERROR,
    {"consistency", "constants"},
    "Typed-in number where the row or column computes it",
)
def constant_in_formula_run(context: SheetContext) -> Iterator[Issue]:
    regions = context.regions
    confirmed = _confirmed_constants(context)
    yield from confirmed.values()
    for run, cell in regions.outliers:
        if cell.shape is not None or cell.index in confirmed:
            continue
        expected = _expected(run, cell)
        confidence = run_confidence(_CONSTANT_RUN_BASE, run, regions.is_totals_row(cell.row))
        if _COUNTER.fullmatch(run.shape):
            # years and period numbers are often restarted by typing the right value
            confidence = round(confidence - _COUNTER_PENALTY, 2)
        yield Issue(
            f"{cell.address} holds a typed-in number inside a run of {run.agreeing} copied "
            f"formulas in its {run.direction}"
            + (f", which would have {expected} here" if expected else ""),
            "Put the formula back, or move the override to a labelled input cell.",
            confidence,
            run.shape if expected else None,
            _severity(confidence),
            (cell.index,),
        )


def _confirmed_constants(context: SheetContext) -> dict[int, Issue]:
    """Typed-in numbers that a formula of their column or row reproduces, by index.

    A match on a number with few significant digits could be chance; it counts when
    another number of the same line agrees with the same formula too.
    """
    regions, evaluator = context.regions, context.evaluator
    matches: list[tuple[SheetCell, float, str, bool, Agreement]] = []
    columns = regions.formulas_by_column
    # a formula that reproduced none of the first numbers of a line will not start now
    misses: Counter[tuple[str, bool, int]] = Counter()
    hit: set[tuple[str, bool, int]] = set()
    for cell in regions.cells.values():
        if not cell.numeric or not isinstance(cell.value, float) or cell.value == 0:
            continue
        if cell.column not in columns and not regions.copies_along_row(cell.row):
            continue  # no formula around it to ask
        typed = cell.value
        for formula, vertical in regions.nearby_formulas(cell):
            shape = formula.shape or ""
            if _COUNTER.fullmatch(shape):
                continue  # a typed-in sequence number agrees with a counter by design
            if _reads(context, formula, cell):
                continue  # the number is an input of that formula, not a copy of it
            line = (shape, vertical, cell.column if vertical else cell.row)
            if line not in hit and misses[line] >= _MISSES_BEFORE_GIVING_UP:
                continue
            evaluation = evaluator.evaluate(shape, cell.row, cell.column)
            found = None if evaluation is None else agreement(typed, evaluation)
            if found is not None:
                hit.add(line)
                matches.append((cell, typed, shape, vertical, found))
                break
            misses[line] += 1
    per_line = Counter(
        (shape, vertical, cell.column if vertical else cell.row)
        for cell, _, shape, vertical, _ in matches
    )
    confirmed: dict[int, Issue] = {}
    for cell, typed, shape, vertical, found in matches:
        others = per_line[(shape, vertical, cell.column if vertical else cell.row)] - 1
        confidence = _agreement_confidence(found, others)
        if confidence is None:
            continue
        expected = render_shape(shape, cell.address)
        direction = "column" if vertical else "row"
        agreeing = f" (as do {others} other typed-in numbers there)" if others else ""
        confirmed[cell.index] = Issue(
            f"{cell.address} holds the typed-in number {_shown(typed)}, which is what "
            f"the formula of its {direction} computes here"
            + (f" ({expected})" if expected else "")
            + agreeing
            + ": the formula was overwritten with its value and will not follow its inputs",
            "Put the formula back so the cell updates when its inputs change.",
            confidence,
            shape if expected else None,
            _severity(confidence),
            (cell.index,),
        )
    return confirmed


def _reads(context: SheetContext, formula: SheetCell, cell: SheetCell) -> bool:
    for area in context.references[formula.shape or ""].areas:
        first_row, first_column, last_row, last_column = area.at(formula.row, formula.column)
        if first_row <= cell.row <= last_row and first_column <= cell.column <= last_column:
            return True
    return False


def _agreement_confidence(found: Agreement, others: int) -> float | None:
    """Many significant digits agreeing cannot be chance; two digits need company."""
    if found.significant_digits >= 3:
        return 0.95 if found.exact else 0.9
    if found.significant_digits == 2:
        return 0.85 if others else 0.6
    return 0.8 if others >= 2 else None


def _shown(value: float) -> str:
    return f"{value:.12g}"


def slip_offset(context: SheetContext, pattern: str, odd: str) -> tuple[int, int] | None:
    """(rows, columns) by which one reference of `odd` is shifted from `pattern`, when
    that shift of one row or one column is the only difference between them."""
    if _R1C1.sub("@", pattern) != _R1C1.sub("@", odd):
        return None
    expected, actual = context.references[pattern].areas, context.references[odd].areas
    if len(expected) != len(actual):
        return None
    differing = [(a, b) for a, b in zip(expected, actual, strict=True) if a != b]
    if len(differing) != 1:
        return None
    return _shift(*differing[0])


def _shift(expected: RelativeArea, actual: RelativeArea) -> tuple[int, int] | None:
    shifts = (
        expected.first_row_shift,
        expected.last_row_shift,
        expected.first_column_shift,
        expected.last_column_shift,
    )
    actual_shifts = (
        actual.first_row_shift,
        actual.last_row_shift,
        actual.first_column_shift,
        actual.last_column_shift,
    )
    if shifts != actual_shifts:
        return None
    rows = actual.first_row - expected.first_row
    columns = actual.first_column - expected.first_column
    moved_together = (
        actual.last_row - expected.last_row == rows
        and actual.last_column - expected.last_column == columns
    )
    if not moved_together or abs(rows) + abs(columns) != 1:
        return None
    # only relative bounds move when a formula is copied, so only they can slip
    relative = expected.first_row_shift if rows else expected.first_column_shift
    return (rows, columns) if relative else None


@register(
    TABLE_RULES,
    "reference-slip",
    Severity.ERROR,
    {"consistency", "references"},
    "Reference points one cell off, or at a label",
)
def reference_slip(context: SheetContext) -> Iterator[Issue]:
    regions = context.regions
    flagged: set[int] = set()
    for run, cell in regions.outliers:
        if cell.shape is None:
            continue
        offset = slip_offset(context, run.shape, cell.shape)
        if offset is None:
            continue
        flagged.add(cell.index)
        expected = _expected(run, cell)
        direction = {
            (-1, 0): "one row above",
            (1, 0): "one row below",
            (0, -1): "one column left of",
            (0, 1): "one column right of",
        }[offset]
        confidence = run_confidence(_SLIP_BASE, run, regions.is_totals_row(cell.row))
        yield Issue(
            f"A reference in {cell.address} points {direction} "
            f"where the {run.agreeing} copies around it in its {run.direction} point"
            + (f"; expected {expected}" if expected else ""),
            "Re-copy the neighbours' formula into this cell.",
            confidence,
            run.shape if expected else None,
            _severity(confidence),
            (cell.index,),
        )
    yield from _label_operands(context, flagged)


def _label_operands(context: SheetContext, flagged: set[int]) -> Iterator[Issue]:
    """Arithmetic on a relative reference that lands on a text label (#VALUE!).

    A cell whose copies use numbers through the same reference is reported on its own;
    copies that all land on labels are reported together, once per shape."""
    regions = context.regions
    alike: dict[str, list[tuple[SheetCell, Position]]] = {}
    if not context.labels:
        return
    guarded: dict[str, bool] = {}
    for cell in context.cells.values():
        if cell.shape is None or cell.index in flagged:
            continue
        if cell.shape not in guarded:
            guarded[cell.shape] = _TEXT_GUARD.search(cell.shape) is not None
        if guarded[cell.shape]:
            continue
        for area in context.references[cell.shape].calculated:
            if not (area.first_row_shift or area.first_column_shift):
                continue
            target = area.at(cell.row, cell.column)[:2]
            if target not in context.labels:
                continue
            run = regions.run_of.get(cell.position)
            if run is not None and _copies_reach_data(context, run, cell, area):
                yield _label_issue(context, [(cell, target)], f"its copies in the {run.direction}")
            else:
                alike.setdefault(cell.shape, []).append((cell, target))
            break
    for cells in alike.values():
        yield _label_issue(context, cells, None)


def _label_issue(
    context: SheetContext, cells: list[tuple[SheetCell, Position]], copies: str | None
) -> Issue:
    first, target = cells[0]
    others = f" (as do {len(cells) - 1} copies of the formula)" if len(cells) > 1 else ""
    confidence = 0.9 if copies else 0.7
    return Issue(
        f"{first.address} calculates with {format_address(*target)}, which holds the label "
        f"{context.labels[target]!r}, so the result is #VALUE!{others}"
        + (f"; {copies} use numbers" if copies else ""),
        "Point the reference at the number it is meant to use.",
        confidence,
        None,
        _severity(confidence),
        tuple(cell.index for cell, _ in cells),
    )


def _copies_reach_data(
    context: SheetContext, run: FormulaRun, cell: SheetCell, area: RelativeArea
) -> bool:
    """Do the run's nearest copies use a number or formula through the same reference?"""
    for neighbour in run.neighbours(cell):
        if neighbour is not None and area.at(neighbour.row, neighbour.column)[:2] in context.cells:
            return True
    return False


@register(
    TABLE_RULES,
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
    for run, cell in context.regions.outliers:
        if cell.shape is None or slip_offset(context, run.shape, cell.shape) is not None:
            continue
        if _NUMBERS.sub("#", cell.shape) == _NUMBERS.sub("#", run.shape):
            continue  # the same formula with another rate or factor: a parameter per row
        if ranges_checked and (
            range_issue(context, cell) is not None or _pattern_has_range_issue(context, run)
        ):
            continue  # the range rules say precisely which of them is wrong
        grouped.setdefault(id(run), (run, []))[1].append(cell)
    for run, cells in grouped.values():
        first = cells[0]
        expected = _expected(run, first)
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
            _severity(confidence),
            tuple(cell.index for cell in cells),
        )


def _pattern_has_range_issue(context: SheetContext, run: FormulaRun) -> bool:
    """Is the run's own pattern a total the range rules find wrong? Then the cells that
    differ from it are the ones that got it right."""
    pattern = next(cell for cell in run.cells if cell.shape == run.shape)
    return range_issue(context, pattern) is not None


@register(
    TABLE_RULES,
    "formula-where-constant-expected",
    Severity.INFO,
    {"consistency", "constants"},
    "Lone formula among typed-in numbers",
)
def formula_where_constant_expected(context: SheetContext) -> Iterator[Issue]:
    regions = context.regions
    for cell in context.cells.values():
        if (
            cell.shape is None
            or context.references[cell.shape].aggregated  # a subtotal
            or regions.run_of.get(cell.position) is not None
        ):
            continue
        for vertical, steps in _TWO_EACH_SIDE:
            around = [context.cells.get((cell.row + dr, cell.column + dc)) for dr, dc in steps]
            if all(other is not None and other.numeric for other in around):
                yield Issue(
                    f"{cell.address} is the only formula among the typed-in numbers around it "
                    f"in its {'column' if vertical else 'row'}",
                    "Type the value in like its neighbours, or label the cell as calculated.",
                    0.5,
                    cell_indices=(cell.index,),
                )
                break


_TWO_EACH_SIDE = (
    (True, ((-2, 0), (-1, 0), (1, 0), (2, 0))),
    (False, ((0, -2), (0, -1), (0, 1), (0, 2))),
)
