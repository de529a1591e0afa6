"""Rules that look at one formula shape's syntax tree (run once per unique shape)."""

from __future__ import annotations

from collections.abc import Iterator

from sheetbrain.formulas.catalog import Issue, Rule, ShapeContext, register
from sheetbrain.formulas.model import Severity
from sheetbrain.formulas.nodes import (
    ArrayConstant,
    Binary,
    Boolean,
    Call,
    ErrorLiteral,
    Group,
    Missing,
    Name,
    Node,
    Number,
    Percent,
    Reference,
    Text,
    Unary,
    children,
    render,
    replace,
    unwrap,
    walk,
    walk_with_ancestors,
)
from sheetbrain.formulas.references import ReferenceKind, parse_area, split_operand

SHAPE_RULES: list[Rule[ShapeContext]] = []

VOLATILE_FUNCTIONS = frozenset(
    {"NOW", "TODAY", "RAND", "RANDBETWEEN", "RANDARRAY", "OFFSET", "INDIRECT", "INFO", "CELL"}
)
LOOKUP_FUNCTIONS = frozenset({"VLOOKUP", "HLOOKUP", "LOOKUP", "MATCH", "XMATCH", "XLOOKUP"})
# Wrappers that turn a lookup miss into a handled value.
ERROR_TRAPS = frozenset({"IFERROR", "IFNA", "ISERROR", "ISERR", "ISNA", "ISNUMBER", "ISREF"})
# A condition using these tests whether a key exists before looking it up.
EXISTENCE_TESTS = ERROR_TRAPS | {"COUNTIF", "COUNTIFS", "ISBLANK"}
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
COMPARISONS = frozenset({"=", "<>", "<", ">", "<=", ">="})
_FLIPPED = {"=": "=", "<>": "<>", "<": ">", ">": "<", "<=": ">=", ">=": "<="}

# Argument positions (0-based) where a literal number is the expected way to write the
# argument (a column index, a digit count, a date part); None means every argument.
CONSTANT_ARGUMENTS: dict[str, frozenset[int] | None] = {
    "VLOOKUP": frozenset({2, 3}),
    "HLOOKUP": frozenset({2, 3}),
    "INDEX": frozenset({1, 2, 3}),
    "MATCH": frozenset({2}),
    "XMATCH": frozenset({2, 3}),
    "XLOOKUP": frozenset({4, 5}),
    "ROUND": frozenset({1}),
    "ROUNDUP": frozenset({1}),
    "ROUNDDOWN": frozenset({1}),
    "TRUNC": frozenset({1}),
    "FIXED": frozenset({1}),
    "MROUND": frozenset({1}),
    "CEILING": frozenset({1}),
    "FLOOR": frozenset({1}),
    "CEILING.MATH": frozenset({1}),
    "FLOOR.MATH": frozenset({1}),
    "LEFT": frozenset({1}),
    "RIGHT": frozenset({1}),
    "MID": frozenset({1, 2}),
    "REPLACE": frozenset({1, 2}),
    "SUBSTITUTE": frozenset({3}),
    "FIND": frozenset({2}),
    "SEARCH": frozenset({2}),
    "REPT": frozenset({1}),
    "CHOOSE": frozenset({0}),
    "OFFSET": frozenset({1, 2, 3, 4}),
    "DATE": None,
    "TIME": None,
    "WEEKDAY": frozenset({1}),
    "WEEKNUM": frozenset({1}),
    "EDATE": frozenset({1}),
    "EOMONTH": frozenset({1}),
    "WORKDAY": frozenset({1}),
    "YEARFRAC": frozenset({2}),
    "SUBTOTAL": frozenset({0}),
    "AGGREGATE": frozenset({0, 1}),
    "LARGE": frozenset({1}),
    "SMALL": frozenset({1}),
    "RANK": frozenset({2}),
    "RANK.EQ": frozenset({2}),
    "RANK.AVG": frozenset({2}),
    "PERCENTILE": frozenset({1}),
    "PERCENTILE.INC": frozenset({1}),
    "PERCENTILE.EXC": frozenset({1}),
    "QUARTILE": frozenset({1}),
    "QUARTILE.INC": frozenset({1}),
    "CHAR": frozenset({0}),
    "UNICHAR": frozenset({0}),
    "TEXT": frozenset({1}),
    "SEQUENCE": None,
    "RANDBETWEEN": None,
    "ADDRESS": None,
    "LOG": frozenset({1}),
    "SORT": frozenset({1, 2}),
    "TAKE": frozenset({1, 2}),
    "DROP": frozenset({1, 2}),
    "CHOOSECOLS": None,
    "CHOOSEROWS": None,
    "DATEDIF": None,
    "BASE": None,
    "DECIMAL": None,
}


def _call_ancestors(ancestors: tuple[Node, ...]) -> Iterator[Call]:
    return (node for node in reversed(ancestors) if isinstance(node, Call))


def is_trapped(ancestors: tuple[Node, ...], traps: frozenset[str]) -> bool:
    return any(call.name in traps for call in _call_ancestors(ancestors))


def _condition_tests(ancestors: tuple[Node, ...], node: Node, tests: frozenset[str]) -> bool:
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


def _wrapped(formula_body: Node, wrapper: str, fallback: str) -> str:
    return f"={wrapper}({render(formula_body)},{fallback})"


@register(
    SHAPE_RULES,
    "volatile-function",
    Severity.INFO,
    {"volatile", "performance"},
    "Volatile function recalculates on every change",
)
def volatile_functions(context: ShapeContext) -> Iterator[Issue]:
    names = sorted({n.name for n in walk(context.tree) if isinstance(n, Call)} & VOLATILE_FUNCTIONS)
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


def _lookup_is_handled(call: Call, ancestors: tuple[Node, ...]) -> bool:
    if call.name == "XLOOKUP" and len(call.args) >= 4 and not isinstance(call.args[3], Missing):
        return True
    return is_trapped(ancestors, ERROR_TRAPS) or _condition_tests(ancestors, call, EXISTENCE_TESTS)


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
            suggestion = _wrapped(body, "IFNA", '""')
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
    for node in walk(context.tree):
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


def _whole_references(context: ShapeContext) -> Iterator[tuple[Reference, str | None]]:
    """Whole-column/row references with the function they are an argument of."""
    for node, ancestors in walk_with_ancestors(context.tree):
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


def _expects_constant(node: Node, ancestors: tuple[Node, ...]) -> bool:
    """Is this literal an argument where a number is the normal thing to write?"""
    child = node
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, Unary | Percent | Group):
            child = ancestor
            continue
        if isinstance(ancestor, Call):
            positions = CONSTANT_ARGUMENTS.get(ancestor.name, frozenset())
            if positions is None:
                return True
            return any(arg is child and i in positions for i, arg in enumerate(ancestor.args))
        return False
    return False


def _is_data_or_code(node: Number, ancestors: tuple[Node, ...]) -> bool:
    """Array constants hold data; `=`/`<>` against a number tests a category code."""
    if any(isinstance(a, ArrayConstant) for a in ancestors):
        return True
    parent = ancestors[-1] if ancestors else None
    return isinstance(parent, Binary) and parent.operator in ("=", "<>")


@register(
    SHAPE_RULES,
    "magic-number",
    Severity.INFO,
    {"constants", "maintainability"},
    "Hard-coded constant inside a formula",
)
def magic_number(context: ShapeContext) -> Iterator[Issue]:
    allowed = context.config.allowed_constants
    constants: list[str] = []
    for node, ancestors in walk_with_ancestors(context.tree):
        if not isinstance(node, Number) or abs(node.value) in allowed:
            continue
        if _expects_constant(node, ancestors) or _is_data_or_code(node, ancestors):
            continue
        shown = node.text + ("%" if ancestors and isinstance(ancestors[-1], Percent) else "")
        if shown not in constants:
            constants.append(shown)
    if constants:
        yield Issue(
            f"Hard-coded {'constant' if len(constants) == 1 else 'constants'} "
            f"{', '.join(constants)}: a change of assumption needs every copy edited",
            "Put the value in a labelled input cell or a named range and reference it.",
            0.5,
        )


def _additive_terms(node: Node, negated: bool = False) -> Iterator[tuple[Node, bool]]:
    """The terms of a chain of + and - (looking through parentheses and unary signs)."""
    node = unwrap(node)
    if isinstance(node, Binary) and node.operator in ("+", "-"):
        yield from _additive_terms(node.left, negated)
        yield from _additive_terms(node.right, negated != (node.operator == "-"))
    elif isinstance(node, Unary):
        yield from _additive_terms(node.operand, negated != (node.operator == "-"))
    else:
        yield node, negated


def _literal(node: Node) -> float | None:
    """The value of a literal number, or of a parenthesised sum of literals."""
    total = 0.0
    for term, negated in _additive_terms(node):
        if not isinstance(term, Number):
            return None
        total += -term.value if negated else term.value
    return total


def _is_total(node: Node) -> bool:
    node = unwrap(node)
    return isinstance(node, Call) and node.name in ("SUM", "SUBTOTAL", "AGGREGATE")


def _reads_cells(node: Node) -> bool:
    return any(isinstance(n, Reference | Name) for n in walk(node))


def _adjustments(tree: Node) -> list[float]:
    """Literal numbers added to or subtracted from a total: =SUM(E10:E22)-1000, or inside
    the SUM itself, =SUM(D18-F18)-1000 (a plain =G12-15.63 may be a documented rate)."""
    chains: list[Node] = []
    body = unwrap(tree)
    if any(_is_total(term) for term, _ in _additive_terms(body)):
        chains.append(body)
    if isinstance(body, Call) and body.name == "SUM":
        chains += list(body.args)
    found: list[float] = []
    for chain in chains:
        terms = list(_additive_terms(chain))
        if len(terms) < 2 or not any(_reads_cells(term) for term, _ in terms):
            continue
        for term, negated in terms:
            value = _literal(term)
            if value is not None and abs(value) not in (0.0, 1.0):
                found.append(-value if negated else value)
    return found


@register(
    SHAPE_RULES,
    "hard-coded-adjustment",
    Severity.ERROR,
    {"constants"},
    "Literal number added to or subtracted from a computed result",
)
def hard_coded_adjustment(context: ShapeContext) -> Iterator[Issue]:
    adjustments = _adjustments(context.tree)
    if adjustments:
        shown = ", ".join(f"{value:+g}" for value in adjustments)
        yield Issue(
            f"Adjusts its result by the typed-in {shown}: the total no longer follows its "
            "inputs, and nobody reading the sheet sees why",
            "Put the adjustment in a labelled cell and add that cell instead.",
            0.85,
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
            and _reads_cells(division.left)
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


@register(SHAPE_RULES, "broken-reference", Severity.ERROR, {"errors"}, "Formula contains #REF!")
def broken_reference(context: ShapeContext) -> Iterator[Issue]:
    broken = [
        n.text for n in walk(context.tree) if isinstance(n, ErrorLiteral) and n.code == "#REF!"
    ]
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
        {n.code for n in walk(context.tree) if isinstance(n, ErrorLiteral) and n.code != "#REF!"}
    )
    if codes:
        yield Issue(
            f"Contains the error value {', '.join(codes)} written into the formula",
            "Return a real value or NA() deliberately, and handle errors with IFERROR/IFNA.",
            0.6,
            severity=Severity.INFO if codes == ["#N/A"] else None,
        )


def _is_constant(node: Node) -> bool:
    node = unwrap(node)
    if isinstance(node, Unary | Percent):
        return _is_constant(node.operand)
    return isinstance(node, Number | Text | Boolean)


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
    wanted = {_plain(n) for n in walk(denominator) if isinstance(n, Reference | Name)}
    wanted.add(_plain(denominator))
    conditions = (
        condition_holder.args[0::2] if condition_holder.name == "IFS" else condition_holder.args[:1]
    )
    return any(_plain(n) in wanted for c in conditions for n in walk(c))


def _plain(node: Node) -> str:
    return render(unwrap(node)).replace("$", "").upper()


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
        and not _is_constant(node.right)
        and _zero_prone(node.right)
        and not _division_is_guarded(node, ancestors)
    ]


def unhandled_lookups(tree: Node) -> list[Call]:
    """Lookups whose miss (#N/A, #CALC! for FILTER) nothing in the formula handles."""
    return [
        node
        for node, ancestors in walk_with_ancestors(tree)
        if isinstance(node, Call)
        and (node.name in LOOKUP_FUNCTIONS or (node.name == "FILTER" and len(node.args) < 3))
        and not _lookup_is_handled(node, ancestors)
    ]


def _is_range(node: Node) -> bool:
    node = unwrap(node)
    return isinstance(node, Reference) and node.area.kind is not ReferenceKind.CELL


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
    scalar_side = right if _is_range(left) else left if _is_range(right) else None
    if scalar_side is None or any(_is_range(n) or isinstance(n, Call) for n in walk(scalar_side)):
        return None
    return node


def _criterion(condition: Binary) -> tuple[Node, str]:
    """(criteria range, criterion text) for SUMIFS & co."""
    left, right = unwrap(condition.left), unwrap(condition.right)
    operator = condition.operator
    if not _is_range(left):
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
        return _checked(replacements[call.name], values, conditions) if _is_range(values) else None
    if call.name == "SUMPRODUCT":
        factors = [f for arg in call.args for f in _factors(arg)]
        ranges = [f for f in factors if _is_range(f)]
        conditions = [_simple_condition(f) for f in factors if not _is_range(f)]
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
    for node in walk(context.tree):
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
        for n in walk(context.tree)
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


def _subjects(condition: Node) -> set[str]:
    """What a condition tests: the non-constant sides of a comparison."""
    condition = unwrap(condition)
    if not (isinstance(condition, Binary) and condition.operator in COMPARISONS):
        return set()
    return {_plain(side) for side in (condition.left, condition.right) if not _is_constant(side)}


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
        subject_node = first.left if _plain(first.left) == subject else first.right
        parts = [render(unwrap(subject_node))]
        for test, result in zip(equalities, results, strict=True):
            parts += [render(test.right if _plain(test.left) == subject else test.left), result]
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
    for node in walk(context.tree):
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
