"""Typed-in numbers and literals: overwritten formulas, plugs, magic numbers."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from sheetbrain.formulas.catalog import Issue, ShapeContext, register
from sheetbrain.formulas.evidence import Agreement, agreement
from sheetbrain.formulas.model import Severity
from sheetbrain.formulas.nodes import (
    ArrayConstant,
    Binary,
    Call,
    Group,
    Node,
    Number,
    Percent,
    Unary,
    unwrap,
)
from sheetbrain.formulas.regions import (
    SheetCell,
)
from sheetbrain.formulas.rules.registry import SHAPE_RULES, SHEET_RULES, rule_info
from sheetbrain.formulas.rules.runs import expected_at, run_confidence, severity_for
from sheetbrain.formulas.rules.syntax import additive_terms, literal, reads_cells
from sheetbrain.formulas.shapes import render_shape
from sheetbrain.formulas.sheet import (
    SheetContext,
)

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
    for node, ancestors in context.walked:
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


def _is_total(node: Node) -> bool:
    node = unwrap(node)
    return isinstance(node, Call) and node.name in ("SUM", "SUBTOTAL", "AGGREGATE")


def _adjustments(tree: Node) -> list[float]:
    """Literal numbers added to or subtracted from a total: =SUM(E10:E22)-1000, or inside
    the SUM itself, =SUM(D18-F18)-1000 (a plain =G12-15.63 may be a documented rate)."""
    chains: list[Node] = []
    body = unwrap(tree)
    if any(_is_total(term) for term, _ in additive_terms(body)):
        chains.append(body)
    if isinstance(body, Call) and body.name == "SUM":
        chains += list(body.args)
    found: list[float] = []
    for chain in chains:
        terms = list(additive_terms(chain))
        if len(terms) < 2 or not any(reads_cells(term) for term, _ in terms):
            continue
        for term, negated in terms:
            value = literal(term)
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


# One literal term at the end of a formula: "+500", "- 0.25".
_TRAILING_LITERAL = re.compile(r"\s*([+-])\s*(\d+(?:\.\d+)?)\s*$")


def added_literals(pattern: str, shape: str) -> list[float] | None:
    """The literals `shape` adds to (or subtracts from) the formula `pattern`, when that is
    all that sets them apart: `=RC[-1]*0.35+3` is `=RC[-1]*0.35` plus 3. A trailing
    + or - term binds last, so what is left is the whole of the copies' formula. Adding
    or subtracting 1 is a counter or an offset, not a plug."""
    literals: list[float] = []
    rest = shape
    while (match := _TRAILING_LITERAL.search(rest)) is not None:
        rest = rest[: match.start()]
        value = float(match.group(2))
        literals.insert(0, -value if match.group(1) == "-" else value)
        if rest == pattern:
            return literals if any(abs(v) not in (0.0, 1.0) for v in literals) else None
    return None


_ADJUSTED_COPY_CONFIDENCE = 0.85


@register(
    SHEET_RULES,
    "adjusted-copy",
    Severity.ERROR,
    {"consistency", "constants"},
    "Copy of its neighbours' formula with a typed-in number added",
)
def adjusted_copy(context: SheetContext) -> Iterator[Issue]:
    for run, cell in context.regions.outliers:
        literals = None if cell.shape is None else added_literals(run.shape, cell.shape)
        if literals is None:
            continue
        expected = expected_at(run, cell)
        shown = ", ".join(f"{value:+g}" for value in literals)
        yield Issue(
            f"{cell.address} is the formula of the {run.agreeing} copies around it in its "
            f"{run.direction} with the typed-in {shown} added: the result no longer follows "
            "its inputs alone, and nobody reading the sheet sees why",
            "Put the adjustment in a labelled cell and add that cell, or re-copy the "
            "neighbours' formula.",
            _ADJUSTED_COPY_CONFIDENCE,
            run.shape if expected else None,
            Severity.ERROR,
            (cell.index,),
        )


# A counter: the previous cell along the run plus or minus a constant (=A97+1, =1+A97).
_COUNTER = re.compile(
    r"=\+?(?:(?:R\[-1\]C|RC\[-1\])\s*[+-]\s*[0-9.]+|[0-9.]+\s*\+\s*(?:R\[-1\]C|RC\[-1\]))"
)


_COUNTER_PENALTY = 0.25


_CONSTANT_RUN_BASE = 0.65


_MISSES_BEFORE_GIVING_UP = 64


@register(
    SHEET_RULES,
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
        expected = expected_at(run, cell)
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
            severity_for(confidence),
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
    counters: dict[str, bool] = {}  # per shape: each is asked about many numbers
    for cell in regions.cells.values():
        if not cell.numeric or not isinstance(cell.value, float) or cell.value == 0:
            continue
        if cell.column not in columns and not regions.copies_along_row(cell.row):
            continue  # no formula around it to ask
        typed = cell.value
        for formula, vertical in regions.nearby_formulas(cell):
            shape = formula.shape or ""
            counter = counters.get(shape)
            if counter is None:
                counter = counters[shape] = _COUNTER.fullmatch(shape) is not None
            if counter:
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
            severity_for(confidence),
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


@register(
    SHEET_RULES,
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


ADJUSTED_COPY = rule_info("adjusted-copy")
