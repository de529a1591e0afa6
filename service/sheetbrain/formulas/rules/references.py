"""References: deleted (#REF!), external, named, whole columns, slipped by one cell."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from sheetbrain.formulas.catalog import Issue, ShapeContext, register
from sheetbrain.formulas.model import Severity
from sheetbrain.formulas.nodes import (
    Call,
    ErrorLiteral,
    Name,
    Node,
    Reference,
    walk_with_ancestors,
)
from sheetbrain.formulas.references import (
    ReferenceKind,
    format_address,
    parse_area,
    split_operand,
)
from sheetbrain.formulas.regions import (
    FormulaRun,
    Position,
    SheetCell,
)
from sheetbrain.formulas.rules.registry import SHAPE_RULES, SHEET_RULES
from sheetbrain.formulas.rules.runs import expected_at, run_confidence, severity_for
from sheetbrain.formulas.rules.syntax import ERROR_TRAPS, is_trapped
from sheetbrain.formulas.sheet import (
    CELLS_NAMED,
    RelativeArea,
    SheetContext,
)

# R1C1 references (cells and areas) in a shape; everything else is the formula's skeleton.
_R1C1 = re.compile(
    r"(?<![A-Za-z0-9_.$\\])R(?:\[-?\d+\]|\d+)?C(?:\[-?\d+\]|\d+)?"
    r"(?::R(?:\[-?\d+\]|\d+)?C(?:\[-?\d+\]|\d+)?)?(?![A-Za-z0-9_.(!\[\\])"
)


# Functions that test for or convert text: a formula using them expects labels.
_TEXT_GUARD = re.compile(r"\b(?:IFERROR|ISNUMBER|ISTEXT|ISERROR|ISERR|N|VALUE|NUMBERVALUE)\(", re.I)


_SLIP_BASE = 0.65


@register(SHAPE_RULES, "broken-reference", Severity.ERROR, {"errors"}, "Formula contains #REF!")
def broken_reference(context: ShapeContext) -> Iterator[Issue]:
    broken = [n.text for n in context.nodes if isinstance(n, ErrorLiteral) and n.code == "#REF!"]
    if broken:
        yield Issue(
            f"Refers to {', '.join(broken)}: a referenced cell, row, column or sheet was deleted",
            "Re-point the reference to the intended cells; the formula returns #REF! as is.",
            1.0,
        )


@register(
    SHAPE_RULES, "error-literal", Severity.INFO, {"errors"}, "Formula contains an error value"
)
def error_literal(context: ShapeContext) -> Iterator[Issue]:
    codes = sorted(
        {n.code for n in context.nodes if isinstance(n, ErrorLiteral) and n.code != "#REF!"}
    )
    if codes:
        yield Issue(
            f"Contains the error value {', '.join(codes)} written into the formula",
            "Return a real value or NA() deliberately, and handle errors with IFERROR/IFNA.",
            0.6,
            severity=Severity.INFO if codes == ["#N/A"] else None,
        )


def _external(tree: Node) -> Iterator[tuple[str, str]]:
    for node, ancestors in walk_with_ancestors(tree):
        if (
            isinstance(node, Reference | Name)
            and node.workbook is not None
            and not is_trapped(ancestors, ERROR_TRAPS)
        ):
            yield node.workbook, node.text


@register(
    SHEET_RULES,
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
        shown = ", ".join(texts[:CELLS_NAMED]) + (" ..." if len(texts) > CELLS_NAMED else "")
        yield Issue(
            f"{len(indices)} formulas depend on the workbook {workbook!r} ({shown}): they "
            "return #REF! when that file is moved, renamed or unavailable",
            "Import the data into this workbook, or wrap the references in IFERROR(...).",
            0.7,
            cell_indices=tuple(sorted(indices)),
        )


def _named_targets(context: ShapeContext) -> dict[tuple[str | None, str], str]:
    """(sheet, A1 area without '$') -> defined name, for the configured named ranges."""
    targets: dict[tuple[str | None, str], str] = {}
    for name, target in context.config.named_ranges.items():
        split = split_operand(target.removeprefix("="))
        if parse_area(split.body) is not None:
            sheet = split.sheet.upper() if split.sheet else None
            targets[(sheet, split.body.replace("$", "").upper())] = name
    return targets


@register(
    SHAPE_RULES,
    "absolute-reference-has-name",
    Severity.INFO,
    {"named-ranges"},
    "Absolute reference to a cell that has a name",
)
def absolute_reference_has_name(context: ShapeContext) -> Iterator[Issue]:
    targets = _named_targets(context)
    if not targets:
        return
    sheet = context.sheet.upper() if context.sheet else None
    suggestion = context.formula
    found: list[tuple[str, str]] = []
    references = [
        n
        for n in context.nodes
        if isinstance(n, Reference) and n.workbook is None and n.area.has_absolute_part
    ]
    for reference in sorted(references, key=lambda r: r.position, reverse=True):
        body = split_operand(reference.text).body.replace("$", "").upper()
        reference_sheet = reference.sheet.upper() if reference.sheet else sheet
        # a target without a sheet matches on any sheet; a reference whose sheet is
        # unknown matches a target on any sheet
        name = targets.get((reference_sheet, body)) or targets.get((None, body))
        if name is None and reference_sheet is None:
            name = next((n for (_, area), n in targets.items() if area == body), None)
        if name is None:
            continue
        found.append((reference.text, name))
        end = reference.position + len(reference.text)
        suggestion = suggestion[: reference.position] + name + suggestion[end:]
    if found:
        pairs = ", ".join(f"{text} is {name}" for text, name in reversed(found))
        yield Issue(
            f"Absolute reference to a named range ({pairs})",
            "Use the name: formulas read better and survive moved cells.",
            0.8,
            suggestion,
        )


def _whole_references(context: ShapeContext) -> Iterator[tuple[Reference, str | None]]:
    """Whole-column/row references with the function they are an argument of."""
    for node, ancestors in context.walked:
        if isinstance(node, Reference) and node.area.kind in (
            ReferenceKind.COLUMNS,
            ReferenceKind.ROWS,
        ):
            parent = ancestors[-1] if ancestors else None
            yield node, parent.name if isinstance(parent, Call) else None


@register(
    SHAPE_RULES,
    "whole-column-reference",
    Severity.INFO,
    {"performance", "whole-ranges"},
    "Whole-column or whole-row reference evaluated cell by cell",
)
def whole_column_reference(context: ShapeContext) -> Iterator[Issue]:
    costly = sorted(
        {
            reference.text
            for reference, function in _whole_references(context)
            if function not in context.config.whole_column_functions
        }
    )
    if costly:
        yield Issue(
            f"{', '.join(costly)} makes Excel evaluate every row/column of the sheet here "
            "(over a million cells in array arithmetic)",
            "Limit the range to the data (A2:A500) or use a Table column (Table1[Amount]).",
            0.75,
        )


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
    SHEET_RULES,
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
        expected = expected_at(run, cell)
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
            severity_for(confidence),
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
        severity_for(confidence),
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


# Copies that read one fixed input cell before a copy drifting off it counts.
_MIN_ANCHORED = 2
_DRIFT_CONFIDENCE = 0.85


@register(
    SHEET_RULES,
    "drifted-input-reference",
    Severity.ERROR,
    {"consistency", "references"},
    "Copy reads a blank cell where its copies read one input cell",
)
def drifted_input_reference(context: SheetContext) -> Iterator[Issue]:
    """Formulas written alike down a column (or along a row) that all read one input
    cell, say S2, except a copy reading a blank cell in S2's column or row: the
    reference lacked its `$` and moved with the copy (=B29*S22 among =Bn*$S$2)."""
    if context.regions.known is None:
        return  # no values: nothing says which cells are blank
    skeletons: dict[str, str] = {}
    for cell in context.cells.values():
        if cell.shape is not None and cell.shape not in skeletons and "!" not in cell.shape:
            # other sheets' references are not in `areas`, so slots would not align
            skeletons[cell.shape] = _R1C1.sub("@", cell.shape)
    # a skeleton written in one shape only cannot hold a drifted copy: skip its cells
    # (most of a sheet) instead of grouping them
    mixed = {skeleton for skeleton, shapes in Counter(skeletons.values()).items() if shapes > 1}
    groups: dict[tuple[bool, int, str], list[SheetCell]] = {}
    for cell in context.cells.values():
        if cell.shape is None or skeletons.get(cell.shape) not in mixed:
            continue
        skeleton = skeletons[cell.shape]
        groups.setdefault((True, cell.column, skeleton), []).append(cell)
        groups.setdefault((False, cell.row, skeleton), []).append(cell)
    reported: set[int] = set()
    for cells in groups.values():
        if len(cells) <= _MIN_ANCHORED or all(c.shape == cells[0].shape for c in cells):
            continue  # copies of one shape read their inputs alike: none drifted
        for issue in _drifted(context, cells):
            if not reported & set(issue.cell_indices):
                reported.update(issue.cell_indices)
                yield issue


def _drifted(context: SheetContext, cells: list[SheetCell]) -> Iterator[Issue]:
    slots = len(context.references[cells[0].shape or ""].areas)
    for slot in range(slots):
        targets: dict[Position, list[SheetCell]] = {}
        for cell in cells:
            areas = context.references[cell.shape or ""].areas
            if len(areas) != slots:
                return
            first_row, first_column, last_row, last_column = areas[slot].at(cell.row, cell.column)
            if (first_row, first_column) == (last_row, last_column):
                targets.setdefault((first_row, first_column), []).append(cell)
        if not targets:
            continue
        anchor, anchored = max(targets.items(), key=lambda item: len(item[1]))
        if len(anchored) < _MIN_ANCHORED or not _holds_number(context, anchor):
            continue
        for target, drifted in targets.items():
            if target == anchor or not _blank_in_line_of(context, target, anchor):
                continue
            for cell in drifted:
                yield Issue(
                    f"{cell.address} reads {format_address(*target)}, a blank cell, where the "
                    f"{len(anchored)} formulas written like it in its "
                    f"{'column' if cell.column == anchored[0].column else 'row'} read the "
                    f"input {format_address(*anchor)}: the reference moved when the formula "
                    "was copied",
                    f"Anchor the reference with $ ({_anchored(anchor)}) and re-copy the formula.",
                    _DRIFT_CONFIDENCE,
                    None,
                    Severity.ERROR,
                    (cell.index,),
                )


def _holds_number(context: SheetContext, position: Position) -> bool:
    cell = context.cells.get(position)
    return cell is not None and isinstance(cell.value, float) and not isinstance(cell.value, bool)


def _blank_in_line_of(context: SheetContext, target: Position, anchor: Position) -> bool:
    """Is `target` a known blank cell in the anchor's column or row?"""
    known = context.regions.known
    if known is None or not (
        known[0] <= target[0] <= known[2] and known[1] <= target[1] <= known[3]
    ):
        return False
    in_line = target[0] == anchor[0] or target[1] == anchor[1]
    return in_line and target not in context.cells and target not in context.labels


def _anchored(position: Position) -> str:
    return format_address(*position).replace(
        column := format_address(*position).rstrip("0123456789"), f"${column}$", 1
    )
