"""Tokens: kinds and positions on top of openpyxl's tokenizer."""

import pytest

from sheetbrain.formulas.errors import FormulaTokenizeError
from sheetbrain.formulas.tokens import TokenKind, tokenize

K = TokenKind

TOKEN_TABLE = {
    "sum_of_range": (
        "=SUM(A1:A10)",
        [(K.FUNCTION_OPEN, "SUM(", 1), (K.OPERAND, "A1:A10", 5), (K.CLOSE, ")", 11)],
    ),
    "spaces_keep_positions": (
        "=A1  +  B1",
        [
            (K.OPERAND, "A1", 1),
            (K.WHITESPACE, "  ", 3),
            (K.INFIX, "+", 5),
            (K.WHITESPACE, "  ", 6),
            (K.OPERAND, "B1", 8),
        ],
    ),
    "string_then_number": (
        '="a""b"&2',
        [(K.TEXT, '"a""b"', 1), (K.INFIX, "&", 7), (K.NUMBER, "2", 8)],
    ),
    "boolean_and_error": (
        "=IF(TRUE,#N/A)",
        [
            (K.FUNCTION_OPEN, "IF(", 1),
            (K.BOOLEAN, "TRUE", 4),
            (K.SEPARATOR, ",", 8),
            (K.ERROR, "#N/A", 9),
            (K.CLOSE, ")", 13),
        ],
    ),
    "array_rows": (
        "={1;2}",
        [
            (K.ARRAY_OPEN, "{", 1),
            (K.NUMBER, "1", 2),
            (K.ROW_SEPARATOR, ";", 3),
            (K.NUMBER, "2", 4),
            (K.ARRAY_CLOSE, "}", 5),
        ],
    ),
    "prefix_and_postfix": ("=-5%", [(K.PREFIX, "-", 1), (K.NUMBER, "5", 2), (K.POSTFIX, "%", 3)]),
    "range_ending_in_function_is_split": (
        "=A1:INDEX(B:B,2)",
        [
            (K.OPERAND, "A1", 1),
            (K.INFIX, ":", 3),
            (K.FUNCTION_OPEN, "INDEX(", 4),
            (K.OPERAND, "B:B", 10),
            (K.SEPARATOR, ",", 13),
            (K.NUMBER, "2", 14),
            (K.CLOSE, ")", 15),
        ],
    ),
    "group": ("=(1)", [(K.GROUP_OPEN, "(", 1), (K.NUMBER, "1", 2), (K.CLOSE, ")", 3)]),
}


@pytest.mark.parametrize(("formula", "expected"), TOKEN_TABLE.values(), ids=TOKEN_TABLE.keys())
def test_tokens_have_kind_text_and_position(formula, expected):
    tokens = tokenize(formula)
    assert [(t.kind, t.text, t.position) for t in tokens] == expected


@pytest.mark.parametrize("formula", ["=SUM(A1:A10)", "=A1  +  B1", '="x y"&A1', "={1,2;3,4}"])
def test_token_texts_rebuild_the_formula(formula):
    assert "=" + "".join(t.text for t in tokenize(formula)) == formula


MALFORMED = {
    "unclosed_string": ('="abc', 5),  # openpyxl gives no position: the end
    "stray_closing_paren": ("=1)", 3),
    "bad_error_code": ("=#BAD!", 1),
    "spill_marker": ("=A1#", 3),
    "mismatched_brackets": ("=SUM(1}", 7),
}


@pytest.mark.parametrize(("formula", "position"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_text_raises_with_position(formula, position):
    with pytest.raises(FormulaTokenizeError) as raised:
        tokenize(formula)
    assert raised.value.position == position


def test_text_without_equals_is_not_a_formula():
    with pytest.raises(FormulaTokenizeError, match="must start with '='"):
        tokenize("SUM(A1)")
