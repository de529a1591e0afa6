"""Tokens of an Excel formula, produced by openpyxl's tokenizer and given positions and kinds.

openpyxl does the character-level work; this module only maps its loosely typed
tokens onto `TokenKind` and records where each token starts, which its tokens lack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sheetbrain.formulas._openpyxl_tokenizer import OpenpyxlToken, Tokenizer
from sheetbrain.formulas.errors import FormulaTokenizeError


class TokenKind(StrEnum):
    NUMBER = "number"
    TEXT = "text"
    BOOLEAN = "boolean"
    ERROR = "error"
    OPERAND = "operand"  # a reference, a defined name or a structured reference
    FUNCTION_OPEN = "function-open"  # "SUM(": the name and its opening parenthesis
    GROUP_OPEN = "group-open"
    ARRAY_OPEN = "array-open"
    CLOSE = "close"  # ")" of a function call or a group
    ARRAY_CLOSE = "array-close"
    SEPARATOR = "separator"  # "," between arguments or array columns
    ROW_SEPARATOR = "row-separator"  # ";" between array rows, or arguments in ;-locales
    PREFIX = "prefix"
    INFIX = "infix"
    POSTFIX = "postfix"
    WHITESPACE = "whitespace"


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    position: int


_OPERAND_KINDS = {
    OpenpyxlToken.NUMBER: TokenKind.NUMBER,
    OpenpyxlToken.TEXT: TokenKind.TEXT,
    OpenpyxlToken.LOGICAL: TokenKind.BOOLEAN,
    OpenpyxlToken.ERROR: TokenKind.ERROR,
    OpenpyxlToken.RANGE: TokenKind.OPERAND,
}
_SIMPLE_KINDS = {
    OpenpyxlToken.OP_PRE: TokenKind.PREFIX,
    OpenpyxlToken.OP_IN: TokenKind.INFIX,
    OpenpyxlToken.OP_POST: TokenKind.POSTFIX,
    OpenpyxlToken.WSPACE: TokenKind.WHITESPACE,
}
_WHITESPACE = " \n"
_POSITION_IN_MESSAGE = re.compile(r"position (\d+)")
_MESSAGE_TAIL = re.compile(r" at position | in '| in =")


def tokenize(formula: str) -> list[Token]:
    """Split `formula` (which must start with '=') into positioned tokens.

    Raises FormulaTokenizeError for malformed text.
    """
    if not formula.startswith("="):
        raise FormulaTokenizeError("a formula must start with '='", formula, 0)
    try:
        items = Tokenizer(formula).items
    # openpyxl reports some malformed input through asserts and list pops rather
    # than TokenizerError, so every exception here means "cannot tokenize".
    except Exception as exc:
        found = _POSITION_IN_MESSAGE.search(str(exc))
        position = int(found.group(1)) if found else len(formula)
        raise FormulaTokenizeError(_reason(exc), formula, position) from exc
    tokens: list[Token] = []
    cursor = 1
    for item in items:
        start = cursor
        if item.type == OpenpyxlToken.WSPACE:
            # openpyxl keeps only the first character of a whitespace run
            while cursor < len(formula) and formula[cursor] in _WHITESPACE:
                cursor += 1
            tokens.append(Token(TokenKind.WHITESPACE, formula[start:cursor], start))
            continue
        cursor += len(item.value)
        tokens.extend(_convert(item, start))
    return tokens


def _reason(exc: Exception) -> str:
    if isinstance(exc, IndexError):  # openpyxl pops its bracket stack on ')' or '}'
        return "closing bracket without an opening one"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return _MESSAGE_TAIL.split(text, maxsplit=1)[0]


def _convert(item: OpenpyxlToken, position: int) -> list[Token]:
    value: str = item.value
    if item.type == OpenpyxlToken.OPERAND:
        return [Token(_OPERAND_KINDS[item.subtype], value, position)]
    if item.type == OpenpyxlToken.FUNC:
        if item.subtype == OpenpyxlToken.CLOSE:
            return [Token(TokenKind.CLOSE, value, position)]
        return _function_open(value, position)
    if item.type == OpenpyxlToken.PAREN:
        kind = TokenKind.GROUP_OPEN if item.subtype == OpenpyxlToken.OPEN else TokenKind.CLOSE
        return [Token(kind, value, position)]
    if item.type == OpenpyxlToken.ARRAY:
        is_open = item.subtype == OpenpyxlToken.OPEN
        return [Token(TokenKind.ARRAY_OPEN if is_open else TokenKind.ARRAY_CLOSE, value, position)]
    if item.type == OpenpyxlToken.SEP:
        is_row = item.subtype == OpenpyxlToken.ROW
        return [Token(TokenKind.ROW_SEPARATOR if is_row else TokenKind.SEPARATOR, value, position)]
    return [Token(_SIMPLE_KINDS[item.type], value, position)]


def _function_open(value: str, position: int) -> list[Token]:
    """`A1:INDEX(` arrives as one function token; split off the range start and ':'."""
    colon = value.rfind(":")
    if colon < 0:
        return [Token(TokenKind.FUNCTION_OPEN, value, position)]
    return [
        Token(TokenKind.OPERAND, value[:colon], position),
        Token(TokenKind.INFIX, ":", position + colon),
        Token(TokenKind.FUNCTION_OPEN, value[colon + 1 :], position + colon + 1),
    ]
