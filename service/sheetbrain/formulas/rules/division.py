"""Division by zero: reported where the values show it, with the guard to add."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sheetbrain.formulas.catalog import Issue, register
from sheetbrain.formulas.evaluate import (
    DIV0,
    CompiledShape,
    NotEvaluable,
    compile_shape,
)
from sheetbrain.formulas.evidence import ParsedShape
from sheetbrain.formulas.model import Severity
from sheetbrain.formulas.nodes import (
    Binary,
    Call,
    Name,
    Node,
    Reference,
    render,
    unwrap,
    walk,
    walk_with_ancestors,
)
from sheetbrain.formulas.regions import (
    SheetCell,
)
from sheetbrain.formulas.rules.registry import SHEET_RULES
from sheetbrain.formulas.rules.syntax import is_constant, is_trapped, plain
from sheetbrain.formulas.shapes import render_shape, shape_of
from sheetbrain.formulas.sheet import (
    SheetContext,
    copies_of,
    named,
)

DIVISION_TRAPS = frozenset({"IFERROR", "ISERROR", "ISERR"})


# Denominators that are commonly zero: counts and sums of possibly empty data.
ZERO_PRONE_FUNCTIONS = frozenset(
    {
        "SUM",
        "SUMIF",
        "SUMIFS",
        "SUMPRODUCT",
        "COUNT",
        "COUNTA",
        "COUNTIF",
        "COUNTIFS",
        "COUNTBLANK",
        "SUBTOTAL",
        "AGGREGATE",
    }
)


def _zero_prone(denominator: Node) -> bool:
    denominator = unwrap(denominator)
    if isinstance(denominator, Reference):
        return True
    if isinstance(denominator, Name):
        return not denominator.structured
    if isinstance(denominator, Call):
        return denominator.name in ZERO_PRONE_FUNCTIONS
    return isinstance(denominator, Binary) and denominator.operator == "-"


def _mentions(condition_holder: Call, denominator: Node) -> bool:
    """Does an IF/IFS condition look at the denominator (or one of its cells)?"""
    wanted = {plain(n) for n in walk(denominator) if isinstance(n, Reference | Name)}
    wanted.add(plain(denominator))
    conditions = (
        condition_holder.args[0::2] if condition_holder.name == "IFS" else condition_holder.args[:1]
    )
    return any(plain(n) in wanted for c in conditions for n in walk(c))


def _division_is_guarded(division: Binary, ancestors: tuple[Node, ...]) -> bool:
    if is_trapped(ancestors, DIVISION_TRAPS):
        return True
    return any(
        isinstance(a, Call) and a.name in ("IF", "IFS") and _mentions(a, division.right)
        for a in ancestors
    )


def unguarded_divisions(tree: Node) -> list[Binary]:
    """Divisions by a cell, a difference or a count/sum that nothing guards against zero."""
    return [
        node
        for node, ancestors in walk_with_ancestors(tree)
        if isinstance(node, Binary)
        and node.operator == "/"
        and not is_constant(node.right)
        and _zero_prone(node.right)
        and not _division_is_guarded(node, ancestors)
    ]


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
    SHEET_RULES,
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
            for cell in copies_of(context, parsed)
            if cell.value == DIV0 or _zero_denominator(context, cell, denominators)
        ]
        if not showing:
            continue
        first = showing[0]
        texts = sorted({_written_at(d.text, parsed, first) for d in denominators})
        yield Issue(
            f"Divides by {', '.join(texts)} in {first.address}, which is zero or blank there"
            + (f" (as in {named(showing[1:])})" if len(showing) > 1 else "")
            + (
                ": the cell shows #DIV/0!"
                if first.value == DIV0
                else ": the cell would show #DIV/0!"
            ),
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
