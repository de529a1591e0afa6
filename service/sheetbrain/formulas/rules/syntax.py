"""Reading a formula's syntax tree: traps, guards, additive terms, literals."""

from __future__ import annotations

from collections.abc import Iterator

from sheetbrain.formulas.nodes import (
    Binary,
    Boolean,
    Call,
    Name,
    Node,
    Number,
    Percent,
    Reference,
    Text,
    Unary,
    render,
    unwrap,
    walk,
)
from sheetbrain.formulas.references import (
    ReferenceKind,
)

# Wrappers that turn a lookup miss into a handled value.
ERROR_TRAPS = frozenset({"IFERROR", "IFNA", "ISERROR", "ISERR", "ISNA", "ISNUMBER", "ISREF"})


# A condition using these tests whether a key exists before looking it up.
EXISTENCE_TESTS = ERROR_TRAPS | {"COUNTIF", "COUNTIFS", "ISBLANK"}


COMPARISONS = frozenset({"=", "<>", "<", ">", "<=", ">="})


def call_ancestors(ancestors: tuple[Node, ...]) -> Iterator[Call]:
    return (node for node in reversed(ancestors) if isinstance(node, Call))


def is_trapped(ancestors: tuple[Node, ...], traps: frozenset[str]) -> bool:
    return any(call.name in traps for call in call_ancestors(ancestors))


def condition_tests(ancestors: tuple[Node, ...], node: Node, tests: frozenset[str]) -> bool:
    """True when `node` sits in a branch of an IF/IFS whose condition calls one of `tests`."""
    chain = (*ancestors, node)
    for depth, ancestor in enumerate(ancestors):
        if not (isinstance(ancestor, Call) and ancestor.name in ("IF", "IFS")):
            continue
        child = chain[depth + 1]
        conditions = ancestor.args[0::2] if ancestor.name == "IFS" else ancestor.args[:1]
        if any(child is condition for condition in conditions):
            continue
        if any(isinstance(n, Call) and n.name in tests for c in conditions for n in walk(c)):
            return True
    return False


def wrapped(formula_body: Node, wrapper: str, fallback: str) -> str:
    return f"={wrapper}({render(formula_body)},{fallback})"


def plain(node: Node) -> str:
    return render(unwrap(node)).replace("$", "").upper()


def is_constant(node: Node) -> bool:
    node = unwrap(node)
    if isinstance(node, Unary | Percent):
        return is_constant(node.operand)
    return isinstance(node, Number | Text | Boolean)


def additive_terms(node: Node, negated: bool = False) -> Iterator[tuple[Node, bool]]:
    """The terms of a chain of + and - (looking through parentheses and unary signs)."""
    node = unwrap(node)
    if isinstance(node, Binary) and node.operator in ("+", "-"):
        yield from additive_terms(node.left, negated)
        yield from additive_terms(node.right, negated != (node.operator == "-"))
    elif isinstance(node, Unary):
        yield from additive_terms(node.operand, negated != (node.operator == "-"))
    else:
        yield node, negated


def literal(node: Node) -> float | None:
    """The value of a literal number, or of a parenthesised sum of literals."""
    total = 0.0
    for term, negated in additive_terms(node):
        if not isinstance(term, Number):
            return None
        total += -term.value if negated else term.value
    return total


def reads_cells(node: Node) -> bool:
    return any(isinstance(n, Reference | Name) for n in walk(node))


def is_range(node: Node) -> bool:
    node = unwrap(node)
    return isinstance(node, Reference) and node.area.kind is not ReferenceKind.CELL
