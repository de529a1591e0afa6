"""Pratt parser from tokens to the syntax tree, with Excel's operator precedence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sheetbrain.formulas.errors import FormulaParseError
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
)
from sheetbrain.formulas.references import is_name, parse_area, split_operand
from sheetbrain.formulas.tokens import Token, TokenKind, tokenize


class Associativity(StrEnum):
    LEFT = "left"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Precedence:
    level: int
    associativity: Associativity = Associativity.LEFT


# Excel evaluates reference operators first, then negation, %, ^, * /, + -, &, comparisons.
# Negation binds tighter than '^': =-2^2 is 4.
INFIX_PRECEDENCE: dict[str, Precedence] = {
    ":": Precedence(100),
    " ": Precedence(90),
    ",": Precedence(80),
    "^": Precedence(50),
    "*": Precedence(40),
    "/": Precedence(40),
    "+": Precedence(30),
    "-": Precedence(30),
    "&": Precedence(20),
    **{op: Precedence(10) for op in ("=", "<>", "<", ">", "<=", ">=")},
}
# Excel allows 64 nested functions; these bounds keep every recursive consumer of the
# tree (rendering, rules) far from Python's recursion limit.
MAX_NESTING = 200
MAX_TREE_DEPTH = 500
PREFIX_LEVEL = 70
PERCENT_LEVEL = 60

_STORAGE_PREFIXES = ("_XLFN._XLWS.", "_XLFN.", "_XLWS.")
# A space is the intersection operator only between two things that can be references.
_REFERENCE_END = {TokenKind.OPERAND, TokenKind.CLOSE}
_REFERENCE_START = {TokenKind.OPERAND, TokenKind.FUNCTION_OPEN, TokenKind.GROUP_OPEN}


def parse_formula(formula: str) -> Node:
    """Parse formula text starting with '='.

    Raises FormulaTokenizeError or FormulaParseError (both FormulaError) with a position.
    """
    tokens = _significant(tokenize(formula))
    if not tokens:
        raise FormulaParseError("empty formula", formula, len(formula))
    tree = _Parser(formula, tokens).parse()
    if _depth(tree) > MAX_TREE_DEPTH:
        raise FormulaParseError(f"nested deeper than {MAX_TREE_DEPTH} levels", formula, 0)
    return tree


def _depth(tree: Node) -> int:
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children(node))
    return deepest


def function_name(text: str) -> str:
    """'_xlfn.XLOOKUP' -> 'XLOOKUP'; names are case-insensitive."""
    name = text.upper()
    for prefix in _STORAGE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _significant(tokens: list[Token]) -> list[Token]:
    """Drop layout whitespace; keep a space between two operands as the intersection operator."""
    kept: list[Token] = []
    for index, token in enumerate(tokens):
        if token.kind is not TokenKind.WHITESPACE:
            kept.append(token)
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if (
            kept
            and kept[-1].kind in _REFERENCE_END
            and following is not None
            and following.kind in _REFERENCE_START
        ):
            kept.append(Token(TokenKind.INFIX, " ", token.position))
    return kept


class _Parser:
    def __init__(self, formula: str, tokens: list[Token]) -> None:
        self.formula = formula
        self.tokens = tokens
        self.index = 0
        self.nesting = 0

    def parse(self) -> Node:
        node = self.expression(0)
        if self.index < len(self.tokens):
            raise self.error(f"unexpected {self.peek_text()!r}")
        return node

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def peek_text(self) -> str:
        token = self.peek()
        return "end of formula" if token is None else token.text

    def advance(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end of formula")
        self.index += 1
        return token

    def error(self, message: str) -> FormulaParseError:
        """An error located at the current token."""
        token = self.peek()
        position = len(self.formula) if token is None else token.position
        return FormulaParseError(message, self.formula, position)

    def expression(self, min_level: int) -> Node:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(f"nested deeper than {MAX_NESTING} levels")
        try:
            return self._expression(min_level)
        finally:
            self.nesting -= 1

    def _expression(self, min_level: int) -> Node:
        left = self.prefix()
        while (token := self.peek()) is not None:
            if token.kind is TokenKind.POSTFIX:
                if min_level >= PERCENT_LEVEL:
                    break
                self.advance()
                left = Percent(left, token.position)
                continue
            if token.kind is not TokenKind.INFIX:
                break
            precedence = INFIX_PRECEDENCE.get(token.text)
            if precedence is None:
                raise self.error(f"unknown operator {token.text!r}")
            if precedence.level <= min_level:
                break
            self.advance()
            right_level = precedence.level - (precedence.associativity is Associativity.RIGHT)
            left = Binary(token.text, left, self.expression(right_level), token.position)
        return left

    def prefix(self) -> Node:
        token = self.advance()
        match token.kind:
            case TokenKind.PREFIX:
                return Unary(token.text, self.expression(PREFIX_LEVEL), token.position)
            case TokenKind.NUMBER:
                return Number(float(token.text), token.text, token.position)
            case TokenKind.TEXT:
                return Text(token.text[1:-1].replace('""', '"'), token.position)
            case TokenKind.BOOLEAN:
                return Boolean(token.text.upper() == "TRUE", token.position)
            case TokenKind.ERROR:
                return ErrorLiteral(token.text.upper(), token.text, token.position)
            case TokenKind.OPERAND:
                return self.operand(token)
            case TokenKind.FUNCTION_OPEN:
                return self.call(token)
            case TokenKind.GROUP_OPEN:
                inner = self.expression(0)
                self.expect(TokenKind.CLOSE, "')'")
                return Group(inner, token.position)
            case TokenKind.ARRAY_OPEN:
                return self.array(token)
        self.index -= 1
        raise self.error(f"expected a value, found {token.text!r}")

    def expect(self, kind: TokenKind, description: str) -> Token:
        token = self.peek()
        if token is None or token.kind is not kind:
            raise self.error(f"expected {description}, found {self.peek_text()!r}")
        return self.advance()

    def call(self, token: Token) -> Call:
        text = token.text[:-1]
        args: list[Node] = []
        closing = self.peek()
        if closing is not None and closing.kind is TokenKind.CLOSE:
            self.advance()
            return Call(function_name(text), text, (), token.position)
        while True:
            following = self.peek()
            if following is None:
                raise self.error("unclosed function call")
            if following.kind in (TokenKind.SEPARATOR, TokenKind.ROW_SEPARATOR, TokenKind.CLOSE):
                args.append(Missing(following.position))
            else:
                args.append(self.expression(0))
            separator = self.advance()
            if separator.kind is TokenKind.CLOSE:
                return Call(function_name(text), text, tuple(args), token.position)
            # ';' separates arguments in locales that use ',' as the decimal mark
            if separator.kind not in (TokenKind.SEPARATOR, TokenKind.ROW_SEPARATOR):
                self.index -= 1
                raise self.error(f"expected ',' or ')', found {separator.text!r}")

    def array(self, token: Token) -> ArrayConstant:
        rows: list[tuple[Node, ...]] = []
        row: list[Node] = []
        while True:
            row.append(self.expression(0))
            separator = self.advance()
            if separator.kind is TokenKind.ARRAY_CLOSE:
                rows.append(tuple(row))
                return ArrayConstant(tuple(rows), token.position)
            if separator.kind is TokenKind.ROW_SEPARATOR:
                rows.append(tuple(row))
                row = []
            elif separator.kind is not TokenKind.SEPARATOR:
                self.index -= 1
                raise self.error(f"expected ',', ';' or '}}', found {separator.text!r}")

    def operand(self, token: Token) -> Node:
        text = token.text.removeprefix("@")  # implicit-intersection marker of dynamic arrays
        if text.upper().endswith("#REF!"):  # Sheet1!#REF! is what deleting a referenced cell leaves
            return ErrorLiteral("#REF!", token.text, token.position)
        split = split_operand(text)
        area = parse_area(split.body)
        if area is not None:
            return Reference(token.text, split.workbook, split.sheet, area, token.position)
        if "[" in split.body:
            return Name(token.text, split.workbook, split.sheet, True, token.position)
        if is_name(split.body):
            return Name(token.text, split.workbook, split.sheet, False, token.position)
        self.index -= 1
        raise self.error(f"not a reference or name: {token.text!r}")
