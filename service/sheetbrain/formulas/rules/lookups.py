"""Lookups: misses nothing handles, approximate matches, and lookups showing #N/A."""

from __future__ import annotations

from collections.abc import Iterator

from sheetbrain.formulas.catalog import Issue, ShapeContext, register
from sheetbrain.formulas.evaluate import (
    ErrorValue,
)
from sheetbrain.formulas.model import Severity
from sheetbrain.formulas.nodes import (
    Boolean,
    Call,
    Missing,
    Node,
    Number,
    Text,
    render,
    replace,
    unwrap,
    walk_with_ancestors,
)
from sheetbrain.formulas.rules.registry import SHAPE_RULES, SHEET_RULES
from sheetbrain.formulas.rules.syntax import (
    ERROR_TRAPS,
    EXISTENCE_TESTS,
    condition_tests,
    is_trapped,
    wrapped,
)
from sheetbrain.formulas.sheet import (
    SheetContext,
    copies_of,
    named,
)

LOOKUP_FUNCTIONS = frozenset({"VLOOKUP", "HLOOKUP", "LOOKUP", "MATCH", "XMATCH", "XLOOKUP"})


def _lookup_is_handled(call: Call, ancestors: tuple[Node, ...]) -> bool:
    if call.name == "XLOOKUP" and len(call.args) >= 4 and not isinstance(call.args[3], Missing):
        return True
    return is_trapped(ancestors, ERROR_TRAPS) or condition_tests(ancestors, call, EXISTENCE_TESTS)


@register(
    SHAPE_RULES,
    "lookup-without-error-handling",
    Severity.INFO,
    {"error-handling", "lookups"},
    "Lookup can return #N/A unhandled",
)
def lookup_without_error_handling(context: ShapeContext) -> Iterator[Issue]:
    unhandled = unhandled_lookups(context.tree)
    if not unhandled:
        return
    names = sorted({call.name for call in unhandled})
    body = unwrap(context.tree)
    suggestion = None
    if body is unhandled[0] and len(unhandled) == 1:
        if body.name == "XLOOKUP" and len(body.args) == 3:
            suggestion = "=" + render(Call(body.name, body.text, (*body.args, Text("")), 0))
        elif body.name != "FILTER":
            suggestion = wrapped(body, "IFNA", '""')
    error_value = "#CALC!" if names == ["FILTER"] else "#N/A"
    yield Issue(
        f"{', '.join(names)} returns {error_value} when nothing matches, and the formula "
        "does not handle it",
        "Wrap the lookup in IFNA(...) (or give XLOOKUP/FILTER their if-not-found argument).",
        0.8,
        suggestion,
    )


def _is_true_flag(node: Node) -> bool:
    node = unwrap(node)
    return (isinstance(node, Boolean) and node.value) or (
        isinstance(node, Number) and node.value != 0
    )


@register(
    SHAPE_RULES,
    "approximate-lookup",
    Severity.INFO,
    {"lookups"},
    "Lookup does an approximate match",
)
def approximate_lookup(context: ShapeContext) -> Iterator[Issue]:
    for node in context.nodes:
        if not isinstance(node, Call):
            continue
        if node.name in ("VLOOKUP", "HLOOKUP") and len(node.args) in (3, 4):
            exact_flag: Node = Boolean(False)
            omitted = len(node.args) == 3 or isinstance(node.args[3], Missing)
            explicit = not omitted and _is_true_flag(node.args[3])
        elif node.name == "MATCH" and len(node.args) in (2, 3):
            exact_flag = Number(0.0, "0")
            omitted = len(node.args) == 2 or isinstance(node.args[2], Missing)
            explicit = False  # MATCH(...,1) on sorted data is a deliberate idiom
        else:
            continue
        if not (omitted or explicit):
            continue
        flag_position = 2 if node.name == "MATCH" else 3
        fixed = Call(node.name, node.text, (*node.args[:flag_position], exact_flag))
        yield Issue(
            f"{node.name} {'without its match-type argument' if omitted else 'with TRUE'} "
            "does an approximate match: on unsorted data it silently returns a wrong row",
            f"Pass {render(exact_flag)} as the last argument for an exact match.",
            0.7 if omitted else 0.35,
            "=" + render(replace(context.tree, node, fixed)),
            None if omitted else Severity.INFO,
        )


def unhandled_lookups(tree: Node) -> list[Call]:
    """Lookups whose miss (#N/A, #CALC! for FILTER) nothing in the formula handles."""
    return [
        node
        for node, ancestors in walk_with_ancestors(tree)
        if isinstance(node, Call)
        and (node.name in LOOKUP_FUNCTIONS or (node.name == "FILTER" and len(node.args) < 3))
        and not _lookup_is_handled(node, ancestors)
    ]


_MISSES = {"FILTER": ErrorValue("#CALC!")}


_NOT_FOUND = ErrorValue("#N/A")


@register(
    SHEET_RULES,
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
        showing = [cell for cell in copies_of(context, parsed) if cell.value in errors]
        if not showing:
            continue
        names = ", ".join(sorted({call.name for call in lookups}))
        shown = ", ".join(sorted({str(error.code) for error in errors}))
        yield Issue(
            f"{names} finds no match in {named(showing)}, which show {shown}: the key is "
            "missing from the table, or spelled differently there",
            "Add the missing key to the table, or handle the miss with IFNA(...).",
            0.8,
            cell_indices=tuple(cell.index for cell in showing),
        )
