"""The formula syntax tree: frozen dataclasses, a walker and a canonical renderer.

`position` is where the node's text starts in the formula (0-based, '=' is 0);
it is excluded from equality so that trees compare by meaning.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeAlias

from sheetbrain.formulas.references import Area


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    text: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Text:
    value: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Boolean:
    value: bool
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class ErrorLiteral:
    code: str  # "#REF!"
    text: str  # as written, e.g. "Sheet1!#REF!"
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Reference:
    """A cell, area, whole-column or whole-row reference, possibly on another sheet/workbook."""

    text: str
    workbook: str | None
    sheet: str | None
    area: Area
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Name:
    """A defined name, a LET/LAMBDA parameter, or a structured (table) reference."""

    text: str
    workbook: str | None
    sheet: str | None
    structured: bool
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Missing:
    """An omitted argument, as in IF(A1,,2)."""

    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # upper case, without the _xlfn./_xlws. storage prefixes
    text: str  # the name as written
    args: tuple[Node, ...]
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Unary:
    operator: str
    operand: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Percent:
    operand: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Binary:
    operator: str  # arithmetic, comparison, '&', and the reference operators ':', ' ', ','
    left: Node
    right: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Group:
    """Explicit parentheses, kept so that rendering reproduces the source."""

    inner: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class ArrayConstant:
    rows: tuple[tuple[Node, ...], ...]
    position: int = field(default=0, compare=False)


Node: TypeAlias = (
    Number
    | Text
    | Boolean
    | ErrorLiteral
    | Reference
    | Name
    | Missing
    | Call
    | Unary
    | Percent
    | Binary
    | Group
    | ArrayConstant
)


def children(node: Node) -> tuple[Node, ...]:
    # every rule walks every tree: a chain of isinstance checks is about twice as fast as a
    # `match` on class patterns here
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Group):
        return (node.inner,)
    if isinstance(node, Unary | Percent):
        return (node.operand,)
    if isinstance(node, ArrayConstant):
        return tuple(item for row in node.rows for item in row)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Pre-order traversal."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        below = children(current)
        if below:
            stack.extend(reversed(below))


def walk_with_ancestors(node: Node) -> Iterator[tuple[Node, tuple[Node, ...]]]:
    """Pre-order traversal yielding each node with its ancestors, outermost first."""
    stack: list[tuple[Node, tuple[Node, ...]]] = [(node, ())]
    while stack:
        current, ancestors = stack.pop()
        yield current, ancestors
        below = children(current)
        if below:  # leaves (most nodes) need no ancestors tuple of their own
            path = (*ancestors, current)
            stack.extend([(child, path) for child in reversed(below)])


def unwrap(node: Node) -> Node:
    """The node inside any number of redundant parentheses."""
    while isinstance(node, Group):
        node = node.inner
    return node


def render(node: Node) -> str:
    """Canonical formula text (without '='): the source with insignificant spaces removed."""
    match node:
        case Number(text=text) | ErrorLiteral(text=text) | Reference(text=text) | Name(text=text):
            return text
        case Text(value=value):
            return '"' + value.replace('"', '""') + '"'
        case Boolean(value=value):
            return "TRUE" if value else "FALSE"
        case Missing():
            return ""
        case Call(text=text, args=args):
            return f"{text}({','.join(render(arg) for arg in args)})"
        case Unary(operator=operator, operand=operand):
            return operator + render(operand)
        case Percent(operand=operand):
            return render(operand) + "%"
        case Binary(operator=operator, left=left, right=right):
            return render(left) + operator + render(right)
        case Group(inner=inner):
            return f"({render(inner)})"
        case ArrayConstant(rows=rows):
            return "{" + ";".join(",".join(render(item) for item in row) for row in rows) + "}"
    raise TypeError(f"not a formula node: {node!r}")


def replace(tree: Node, target: Node, replacement: Node) -> Node:
    """A copy of `tree` with the node that *is* `target` (identity, not equality) swapped."""
    if tree is target:
        return replacement
    match tree:
        case Call(args=args):
            new_args = tuple(replace(arg, target, replacement) for arg in args)
            return dataclasses.replace(tree, args=new_args)
        case Unary(operand=operand) | Percent(operand=operand):
            return dataclasses.replace(tree, operand=replace(operand, target, replacement))
        case Group(inner=inner):
            return dataclasses.replace(tree, inner=replace(inner, target, replacement))
        case Binary(left=left, right=right):
            new_left = replace(left, target, replacement)
            new_right = replace(right, target, replacement)
            return dataclasses.replace(tree, left=new_left, right=new_right)
    return tree
