"""Rules that report a risk only where the sheet's values show it.

A division with no zero guard is everywhere in real workbooks and almost never wrong; it
is a defect where the denominator is zero or blank, or the cell already shows #DIV/0!.
A lookup without error handling is a policy matter; one that shows #N/A has a key that is
missing from its table. External links are reported once per linked workbook.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sheetbrain.formulas.catalog import Issue, Rule, register
from sheetbrain.formulas.evaluate import (
    DIV0,
    CompiledShape,
    ErrorValue,
    NotEvaluable,
    compile_shape,
)
from sheetbrain.formulas.evidence import ParsedShape
from sheetbrain.formulas.model import Severity
from sheetbrain.formulas.nodes import Name, Node, Reference, render, unwrap, walk_with_ancestors
from sheetbrain.formulas.regions import SheetCell
from sheetbrain.formulas.shape_rules import (
    ERROR_TRAPS,
    is_trapped,
    unguarded_divisions,
    unhandled_lookups,
)
from sheetbrain.formulas.shapes import render_shape, shape_of
from sheetbrain.formulas.sheet_rules import SheetContext

EVIDENCE_RULES: list[Rule[SheetContext]] = []
_CELLS_NAMED = 3  # cells a message names before "and N more"


def _located(context: SheetContext, parsed: ParsedShape) -> list[SheetCell]:
    return context.regions.cells_by_shape.get(parsed.shape, [])


def _named(cells: list[SheetCell]) -> str:
    names = ", ".join(cell.address for cell in cells[:_CELLS_NAMED])
    more = len(cells) - _CELLS_NAMED
    return names + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True, slots=True)
class _Denominator:
    text: str
    compiled: CompiledShape | None


def _denominators(parsed: ParsedShape, sheet: str | None) -> list[_Denominator]:
    found = []
    origin = parsed.origin
    for division in unguarded_divisions(parsed.tree):
        compiled = None
        if origin is not None:
            try:
                compiled = compile_shape(division.right, origin, sheet)
            except NotEvaluable:
                compiled = None
        found.append(_Denominator(render(unwrap(division.right)), compiled))
    return found


def _zero_denominator(
    context: SheetContext, cell: SheetCell, denominators: list[_Denominator]
) -> bool:
    """Does a denominator read as zero from the cells around `cell`? A blank is no proof:
    the audited range may not hold the cell it reads (a file's cached #DIV/0! does)."""
    if isinstance(cell.value, float):
        return False  # the cell shows a number: its division worked
    for denominator in denominators:
        if denominator.compiled is None or not context.evaluator.spend():
            continue
        try:
            result = denominator.compiled.evaluate(*cell.position, context.regions).result
        except NotEvaluable:
            continue  # it reads cells outside the audited range
        if result == 0.0:
            return True
    return False


@register(
    EVIDENCE_RULES,
    "unguarded-division",
    Severity.WARNING,
    {"error-handling", "division"},
    "Division by a zero or blank cell",
)
def unguarded_division(context: SheetContext) -> Iterator[Issue]:
    for parsed in context.parsed.values():
        denominators = _denominators(parsed, context.sheet)
        if not denominators:
            continue
        showing = [
            cell
            for cell in _located(context, parsed)
            if cell.value == DIV0 or _zero_denominator(context, cell, denominators)
        ]
        if not showing:
            continue
        first = showing[0]
        texts = sorted({_written_at(d.text, parsed, first) for d in denominators})
        yield Issue(
            f"Divides by {', '.join(texts)} in {first.address}, which is zero or blank there"
            + (f" (as in {_named(showing[1:])})" if len(showing) > 1 else "")
            + ": the cell shows #DIV/0!",
            'Test the denominator first: IF(denominator=0, "", numerator/denominator).',
            0.75,
            _guarded(parsed),
            cell_indices=tuple(cell.index for cell in showing),
        )


def _written_at(text: str, parsed: ParsedShape, cell: SheetCell) -> str:
    """A part of the representative's formula as it reads in another copy."""
    if parsed.origin is None:
        return text
    moved = render_shape(shape_of("=" + text, *parsed.origin), cell.address)
    return text if moved is None else moved[1:]


def _guarded(parsed: ParsedShape) -> str | None:
    """An IF guard around the whole formula, when it is one unguarded division."""
    body = unwrap(parsed.tree)
    divisions = unguarded_divisions(parsed.tree)
    if parsed.origin is None or len(divisions) != 1 or body is not divisions[0]:
        return None
    guarded = f'=IF({render(unwrap(divisions[0].right))}=0,"",{render(body)})'
    return shape_of(guarded, *parsed.origin)


_MISSES = {"FILTER": ErrorValue("#CALC!")}
_NOT_FOUND = ErrorValue("#N/A")


@register(
    EVIDENCE_RULES,
    "lookup-not-found",
    Severity.WARNING,
    {"error-handling", "lookups"},
    "Lookup shows an error: its key is not in the table",
)
def lookup_not_found(context: SheetContext) -> Iterator[Issue]:
    for parsed in context.parsed.values():
        lookups = unhandled_lookups(parsed.tree)
        if not lookups:
            continue
        errors = {_MISSES.get(call.name, _NOT_FOUND) for call in lookups}
        showing = [cell for cell in _located(context, parsed) if cell.value in errors]
        if not showing:
            continue
        names = ", ".join(sorted({call.name for call in lookups}))
        shown = ", ".join(sorted({str(error.code) for error in errors}))
        yield Issue(
            f"{names} finds no match in {_named(showing)}, which show {shown}: the key is "
            "missing from the table, or spelled differently there",
            "Add the missing key to the table, or handle the miss with IFNA(...).",
            0.8,
            cell_indices=tuple(cell.index for cell in showing),
        )


@register(
    EVIDENCE_RULES,
    "unguarded-external-reference",
    Severity.INFO,
    {"external-data", "error-handling"},
    "External workbook reference without error handling",
)
def unguarded_external_reference(context: SheetContext) -> Iterator[Issue]:
    by_workbook: dict[str, tuple[list[str], list[int]]] = {}
    for parsed in context.parsed.values():
        for workbook, text in _external(parsed.tree):
            texts, indices = by_workbook.setdefault(workbook, ([], []))
            if text not in texts:
                texts.append(text)
            indices.extend(index for index in parsed.indices if index not in indices)
    for workbook, (texts, indices) in sorted(by_workbook.items()):
        shown = ", ".join(texts[:_CELLS_NAMED]) + (" ..." if len(texts) > _CELLS_NAMED else "")
        yield Issue(
            f"{len(indices)} formulas depend on the workbook {workbook!r} ({shown}): they "
            "return #REF! when that file is moved, renamed or unavailable",
            "Import the data into this workbook, or wrap the references in IFERROR(...).",
            0.7,
            cell_indices=tuple(sorted(indices)),
        )


def _external(tree: Node) -> Iterator[tuple[str, str]]:
    for node, ancestors in walk_with_ancestors(tree):
        if (
            isinstance(node, Reference | Name)
            and node.workbook is not None
            and not is_trapped(ancestors, ERROR_TRAPS)
        ):
            yield node.workbook, node.text
