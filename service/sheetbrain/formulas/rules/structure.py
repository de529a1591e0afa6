"""How a formula is built: volatile calls, nesting, IF chains, array aggregates,
missing parentheses."""

from __future__ import annotations

from collections.abc import Iterator

from sheetbrain.formulas.catalog import Issue, ShapeContext, register
from sheetbrain.formulas.model import Severity
from sheetbrain.formulas.nodes import (
    Binary,
    Boolean,
    Call,
    Missing,
    Node,
    Number,
    Text,
    Unary,
    children,
    render,
    unwrap,
    walk,
)
from sheetbrain.formulas.rules.registry import SHAPE_RULES
from sheetbrain.formulas.rules.syntax import COMPARISONS, is_constant, is_range, plain, reads_cells

VOLATILE_FUNCTIONS = frozenset(
    {"NOW", "TODAY", "RAND", "RANDBETWEEN", "RANDARRAY", "OFFSET", "INDIRECT", "INFO", "CELL"}
)


@register(
    SHAPE_RULES,
    "volatile-function",
    Severity.INFO,
    {"volatile", "performance"},
    "Volatile function recalculates on every change",
)
def volatile_functions(context: ShapeContext) -> Iterator[Issue]:
    names = sorted({n.name for n in context.nodes if isinstance(n, Call)} & VOLATILE_FUNCTIONS)
    if names:
        yield Issue(
            f"Uses volatile {', '.join(names)}: recalculated on every edit, slowing the "
            "workbook and changing results unexpectedly",
            "Replace with a static value, a non-volatile equivalent (INDEX instead of "
            "OFFSET/INDIRECT), or compute it once in a single input cell.",
            0.95,
        )


def _call_depth(tree: Node) -> int:
    """Deepest chain of nested function calls (iterative: operator chains can be long)."""
    deepest = 0
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        depth += isinstance(node, Call)
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children(node))
    return deepest


@register(
    SHAPE_RULES,
    "nesting-depth",
    Severity.INFO,
    {"nesting", "complexity"},
    "Functions nested too deeply",
)
def nesting_depth(context: ShapeContext) -> Iterator[Issue]:
    depth = _call_depth(context.tree)
    if depth > context.config.max_nesting:
        yield Issue(
            f"Functions are nested {depth} deep (limit {context.config.max_nesting})",
            "Split the formula into helper cells, or use LET/IFS/a lookup table.",
            0.9,
        )


def _self_divisions(tree: Node) -> list[tuple[Binary, Binary]]:
    """`A-B/B`: a term divided by itself (always 1) inside a sum or difference, where
    `(A-B)/B` was meant."""
    found = []
    for node in walk(tree):
        if not (isinstance(node, Binary) and node.operator in ("+", "-")):
            continue
        division = unwrap(node.right)
        if (
            isinstance(division, Binary)
            and division.operator == "/"
            and reads_cells(division.left)
            and render(unwrap(division.left)) == render(unwrap(division.right))
        ):
            found.append((node, division))
    return found


@register(
    SHAPE_RULES,
    "operator-precedence",
    Severity.ERROR,
    {"arithmetic"},
    "A term divided by itself: parentheses missing",
)
def operator_precedence(context: ShapeContext) -> Iterator[Issue]:
    found = _self_divisions(context.tree)
    if not found:
        return
    outer, division = found[0]
    divisor = render(unwrap(division.right))
    meant = f"({render(outer.left)}{outer.operator}{divisor})/{divisor}"
    suggestion = None
    if unwrap(context.tree) is outer and len(found) == 1:
        suggestion = "=" + meant
    yield Issue(
        f"{render(division)} divides {divisor} by itself, which is always 1: the formula "
        f"computes {render(outer)}, where {meant} (a change or growth rate) was almost "
        "certainly meant",
        "Put parentheses around the difference before dividing.",
        0.9,
        suggestion,
    )


_FLIPPED = {"=": "=", "<>": "<>", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


def _without_double_negation(node: Node) -> Node:
    """--(x) coerces booleans to numbers in SUMPRODUCT; look through it."""
    node = unwrap(node)
    while isinstance(node, Unary) and node.operator == "-":
        inner = unwrap(node.operand)
        if not (isinstance(inner, Unary) and inner.operator == "-"):
            break
        node = unwrap(inner.operand)
    return node


def _simple_condition(node: Node) -> Binary | None:
    """`range op scalar` (or `--(...)` of it): what a *IFS criterion can express."""
    node = _without_double_negation(node)
    if not (isinstance(node, Binary) and node.operator in COMPARISONS):
        return None
    left, right = unwrap(node.left), unwrap(node.right)
    scalar_side = right if is_range(left) else left if is_range(right) else None
    if scalar_side is None or any(is_range(n) or isinstance(n, Call) for n in walk(scalar_side)):
        return None
    return node


def _criterion(condition: Binary) -> tuple[Node, str]:
    """(criteria range, criterion text) for SUMIFS & co."""
    left, right = unwrap(condition.left), unwrap(condition.right)
    operator = condition.operator
    if not is_range(left):
        left, right, operator = right, left, _FLIPPED[operator]
    if isinstance(right, Number | Text):
        value = right.text if isinstance(right, Number) else right.value.replace('"', '""')
        return left, f'"{"" if operator == "=" else operator}{value}"'
    return left, render(right) if operator == "=" else f'"{operator}"&{render(right)}'


def _factors(node: Node) -> list[Node]:
    node = unwrap(node)
    if isinstance(node, Binary) and node.operator == "*":
        return _factors(node.left) + _factors(node.right)
    return [node]


def _conditional_aggregate(call: Call) -> tuple[str, Node | None, list[Binary]] | None:
    """Recognise SUM(IF(...)) and SUMPRODUCT((cond)*(range)).

    Returns (replacement function, summed range or None, conditions).
    """
    replacements = {
        "SUM": "SUMIFS",
        "AVERAGE": "AVERAGEIFS",
        "MAX": "MAXIFS",
        "MIN": "MINIFS",
        "COUNT": "COUNTIFS",
    }
    if call.name in replacements and len(call.args) == 1:
        inner = unwrap(call.args[0])
        if not (isinstance(inner, Call) and inner.name == "IF" and len(inner.args) in (2, 3)):
            return None
        otherwise = unwrap(inner.args[2]) if len(inner.args) == 3 else Boolean(False)
        if not (isinstance(otherwise, Missing | Boolean) or _is_zero_or_blank(otherwise)):
            return None
        conditions = [_simple_condition(f) for f in _factors(inner.args[0])]
        values = unwrap(inner.args[1])
        if call.name == "SUM" and isinstance(values, Number) and values.value == 1:
            return _checked("COUNTIFS", None, conditions)
        return _checked(replacements[call.name], values, conditions) if is_range(values) else None
    if call.name == "SUMPRODUCT":
        factors = [f for arg in call.args for f in _factors(arg)]
        ranges = [f for f in factors if is_range(f)]
        conditions = [_simple_condition(f) for f in factors if not is_range(f)]
        if len(ranges) > 1:
            return None
        return _checked(
            "SUMIFS" if ranges else "COUNTIFS", ranges[0] if ranges else None, conditions
        )
    return None


def _is_zero_or_blank(node: Node) -> bool:
    if isinstance(node, Number):
        return node.value == 0
    return isinstance(node, Text) and not node.value


def _checked(
    function: str, values: Node | None, conditions: list[Binary | None]
) -> tuple[str, Node | None, list[Binary]] | None:
    simple = [c for c in conditions if c is not None]
    if not simple or len(simple) != len(conditions):
        return None
    return function, values, simple


@register(
    SHAPE_RULES,
    "array-aggregate",
    Severity.INFO,
    {"array-formulas", "performance"},
    "Array formula where SUMIFS/COUNTIFS fits",
)
def array_aggregate(context: ShapeContext) -> Iterator[Issue]:
    for node in context.nodes:
        if not isinstance(node, Call):
            continue
        recognised = _conditional_aggregate(node)
        if recognised is None:
            continue
        function, values, conditions = recognised
        arguments = [render(unwrap(values))] if values is not None else []
        for condition in conditions:
            criteria_range, criterion = _criterion(condition)
            arguments += [render(criteria_range), criterion]
        rewritten = f"{function}({','.join(arguments)})"
        suggestion = "=" + rewritten if unwrap(context.tree) is node else None
        yield Issue(
            f"{node.name} over an array condition can be written {rewritten}, which is "
            "faster and needs no array entry",
            f"Use {function}.",
            0.6,
            suggestion,
        )
        return


def _subjects(condition: Node) -> set[str]:
    """What a condition tests: the non-constant sides of a comparison."""
    condition = unwrap(condition)
    if not (isinstance(condition, Binary) and condition.operator in COMPARISONS):
        return set()
    return {plain(side) for side in (condition.left, condition.right) if not is_constant(side)}


def _if_chain(root: Call) -> list[Call]:
    chain = [root]
    while len(chain[-1].args) == 3:
        following = unwrap(chain[-1].args[2])
        if not isinstance(following, Call) or following.name != "IF" or len(following.args) < 2:
            break
        chain.append(following)
    return chain


def _chain_rewrite(chain: list[Call], subject: str) -> str:
    """SWITCH when every link tests equality with the subject, IFS otherwise."""
    last = chain[-1]
    otherwise = [render(last.args[2])] if len(last.args) == 3 else []
    tests = [unwrap(link.args[0]) for link in chain]
    results = [render(link.args[1]) for link in chain]
    equalities = [t for t in tests if isinstance(t, Binary) and t.operator == "="]
    if len(equalities) == len(tests):
        first = equalities[0]
        subject_node = first.left if plain(first.left) == subject else first.right
        parts = [render(unwrap(subject_node))]
        for test, result in zip(equalities, results, strict=True):
            parts += [render(test.right if plain(test.left) == subject else test.left), result]
        return f"SWITCH({','.join(parts + otherwise)})"
    parts = []
    for condition, result in zip(tests, results, strict=True):
        parts += [render(condition), result]
    return f"IFS({','.join(parts + (['TRUE', *otherwise] if otherwise else []))})"


@register(
    SHAPE_RULES,
    "if-chain",
    Severity.INFO,
    {"nesting", "readability"},
    "Nested IFs testing one value",
)
def if_chain(context: ShapeContext) -> Iterator[Issue]:
    inner_links: set[int] = set()
    for node in context.nodes:
        if not (isinstance(node, Call) and node.name == "IF") or id(node) in inner_links:
            continue
        chain = _if_chain(node)
        inner_links.update(id(link) for link in chain)
        if len(chain) < context.config.min_if_chain:
            continue
        shared = set.intersection(*(_subjects(link.args[0]) for link in chain))
        if not shared:
            continue
        subject = sorted(shared)[0]
        rewrite = _chain_rewrite(chain, subject)
        yield Issue(
            f"{len(chain)} nested IFs all test {subject}",
            f"Use {rewrite.split('(')[0]} or a lookup table instead of nested IFs.",
            0.7,
            "=" + rewrite if unwrap(context.tree) is node else None,
        )
