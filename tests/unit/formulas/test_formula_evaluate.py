"""The shape evaluator: Excel's arithmetic, coercions and common functions, per cell."""

import pytest

from sheetbrain.formulas import parse_formula
from sheetbrain.formulas.evaluate import (
    DIV0,
    VALUE_ERROR,
    ErrorValue,
    NotEvaluable,
    compile_shape,
)
from sheetbrain.formulas.references import parse_address


class Grid:
    """Cell values by A1 address; everything else is blank."""

    def __init__(self, values):
        self.values = {parse_address(a): v for a, v in values.items()}

    def value(self, row, column):
        return self.values.get((row, column))

    def area(self, first_row, first_column, last_row, last_column):
        return [
            v
            for (row, column), v in sorted(self.values.items())
            if first_row <= row <= last_row and first_column <= column <= last_column
        ]


VALUES = Grid({"A1": 6.0, "A2": 4.0, "A3": "text", "A4": True, "B1": 0.0, "C1": "2.5"})


def evaluate(formula, at="D1", values=VALUES):
    tree = parse_formula(formula)
    origin = parse_address(at)
    return compile_shape(tree, origin, None).evaluate(*origin, values)


EXPECTED = {
    "arithmetic_precedence": ("=A1+A2*2^2", 22.0),
    "negation_binds_before_power": ("=-A2^2", 16.0),
    "percent": ("=A1*50%", 3.0),
    "blank_is_zero": ("=A1+Z9", 6.0),
    "true_is_one": ("=A4+1", 2.0),
    "numeric_text_is_a_number": ("=C1*2", 5.0),
    "text_in_arithmetic": ("=A3+1", VALUE_ERROR),
    "division_by_zero": ("=A1/B1", DIV0),
    "division_by_blank": ("=A1/Z9", DIV0),
    "sum_skips_text_and_logicals": ("=SUM(A1:A4)", 10.0),
    "sum_of_direct_arguments": ("=SUM(A1,2,C1)", 10.5),
    "average": ("=AVERAGE(A1:A2)", 5.0),
    "average_of_nothing": ("=AVERAGE(Z1:Z3)", DIV0),
    "count_and_counta": ("=COUNT(A1:A4)*10+COUNTA(A1:A4)", 24.0),
    "min_max_product": ("=MIN(A1:A2)+MAX(A1:A2)+PRODUCT(A1:A2)", 34.0),
    "round_half_away_from_zero": ("=ROUND(2.675,2)+ROUND(-2.5,0)", -0.32),
    "roundup_rounddown": ("=ROUNDUP(1.21,1)+ROUNDDOWN(1.29,1)", 2.5),
    "if_branches": ("=IF(A1>A2,A1,A2)", 6.0),
    "if_without_else_is_false": ("=IF(A1<A2,1)", False),
    "iferror_catches": ("=IFERROR(A1/B1,-1)", -1.0),
    "text_compares_without_case": ('=A3="TEXT"', True),
    "join": ('=A3&"-"&A1', "text-6"),
    "and_or_not": ("=AND(A1>1,OR(B1,A4),NOT(B1))", True),
    "mod_and_abs": ("=MOD(-7,3)+ABS(-2)", 4.0),
    "error_propagates": ("=SUM(A1,A1/B1)", DIV0),
}


@pytest.mark.parametrize(("formula", "expected"), EXPECTED.values(), ids=EXPECTED.keys())
def test_formula_evaluates_like_excel(formula, expected):
    result = evaluate(formula).result
    if isinstance(expected, float):
        assert result == pytest.approx(expected)
    else:
        assert result == expected


def test_relative_references_follow_the_cell_they_are_evaluated_at():
    values = Grid({"A1": 1.0, "B1": 2.0, "A5": 10.0, "B5": 20.0})
    compiled = compile_shape(parse_formula("=A1*B1+$A$1"), parse_address("C1"), None)
    assert compiled.evaluate(5, 3, values).result == 201.0


def test_operands_and_blank_inputs_are_recorded():
    evaluation = evaluate("=A1+Z9+SUM(A1:A2)")
    assert (evaluation.operands, evaluation.blank_operand, evaluation.area_cells) == (
        [6.0, None, 6.0, 4.0],
        True,
        2,
    )


def test_reference_off_the_sheet_is_a_ref_error():
    assert evaluate("=A1", at="A1").result == 6.0
    compiled = compile_shape(parse_formula("=A1"), parse_address("B2"), None)
    assert compiled.evaluate(1, 1, VALUES).result == ErrorValue("#REF!")


@pytest.mark.parametrize(
    ("formula", "reason"),
    [
        ("=VLOOKUP(A1,B1:C9,2,FALSE)", "function VLOOKUP is not modelled"),
        ("=Other!A1*2", "references another sheet"),
        ("=SUM(A:A)", "whole rows and columns are not evaluated"),
        ("=Rate*A1", "Name is not modelled"),
        ("=A1:B2 A1", "operator ' ' is not modelled"),
    ],
)
def test_what_is_not_modelled_is_refused_when_compiled(formula, reason):
    with pytest.raises(NotEvaluable, match=reason):
        compile_shape(parse_formula(formula), (1, 4), None)


def test_same_sheet_qualified_reference_is_evaluated():
    tree = parse_formula("='My Sheet'!A1*2")
    assert compile_shape(tree, (1, 4), "my sheet").evaluate(1, 4, VALUES).result == 12.0


def test_an_area_too_large_to_read_is_not_evaluated():
    compiled = compile_shape(parse_formula("=SUM(A1:Z1000)"), (1, 27), None)
    with pytest.raises(NotEvaluable, match="area too large"):
        compiled.evaluate(1, 27, VALUES)
