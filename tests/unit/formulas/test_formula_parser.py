"""Parser: golden trees, precedence, the render round trip over a few hundred formulas."""

import itertools

import pytest

from sheetbrain.formulas.errors import FormulaError, FormulaParseError
from sheetbrain.formulas.nodes import (
    ArrayConstant,
    Binary,
    Boolean,
    Call,
    ErrorLiteral,
    Missing,
    Name,
    Number,
    Percent,
    Reference,
    Text,
    Unary,
    render,
)
from sheetbrain.formulas.parser import function_name, parse_formula
from sheetbrain.formulas.references import Area, Bound, ReferenceKind


def cell(text, row, column, *, sheet=None, workbook=None, absolute=False):
    row_bound, column_bound = Bound(row, absolute), Bound(column, absolute)
    area = Area(ReferenceKind.CELL, row_bound, column_bound, row_bound, column_bound)
    return Reference(text, workbook, sheet, area)


def num(value):
    text = str(int(value)) if float(value).is_integer() else str(value)
    return Number(float(value), text)


GOLDEN_TREES = {
    "seed_sum": (
        "=SUM(A1:A10)",
        Call(
            "SUM",
            "SUM",
            (
                Reference(
                    "A1:A10",
                    None,
                    None,
                    Area(
                        ReferenceKind.AREA,
                        Bound(1, False),
                        Bound(1, False),
                        Bound(10, False),
                        Bound(1, False),
                    ),
                ),
            ),
        ),
    ),
    "seed_vlookup": (
        "=VLOOKUP(B2, Sheet1!A:B, 2, FALSE)",
        Call(
            "VLOOKUP",
            "VLOOKUP",
            (
                cell("B2", 2, 2),
                Reference(
                    "Sheet1!A:B",
                    None,
                    "Sheet1",
                    Area(ReferenceKind.COLUMNS, None, Bound(1, False), None, Bound(2, False)),
                ),
                num(2),
                Boolean(False),
            ),
        ),
    ),
    "absolute_cell": ("=$A$1", cell("$A$1", 1, 1, absolute=True)),
    "quoted_sheet": ("='My Sheet'!C3", cell("'My Sheet'!C3", 3, 3, sheet="My Sheet")),
    "external_workbook": ("=[1]Rates!B2", cell("[1]Rates!B2", 2, 2, sheet="Rates", workbook="1")),
    "structured_reference": ("=Table1[Amount]", Name("Table1[Amount]", None, None, True)),
    "named_range": ("=TaxRate", Name("TaxRate", None, None, False)),
    "error_literal": ("=#DIV/0!", ErrorLiteral("#DIV/0!", "#DIV/0!")),
    "deleted_reference": ("=Sheet1!#REF!", ErrorLiteral("#REF!", "Sheet1!#REF!")),
    "text": ('="say ""hi"""', Text('say "hi"')),
    "percent": ("=5%", Percent(num(5))),
    "negation_binds_tighter_than_power": ("=-2^2", Binary("^", Unary("-", num(2)), num(2))),
    "multiplication_before_addition": ("=1+2*3", Binary("+", num(1), Binary("*", num(2), num(3)))),
    "power_is_left_associative": ("=2^3^2", Binary("^", Binary("^", num(2), num(3)), num(2))),
    "concatenation_below_addition": (
        '=1+2&"x"',
        Binary("&", Binary("+", num(1), num(2)), Text("x")),
    ),
    "comparison_lowest": ("=1&2=3", Binary("=", Binary("&", num(1), num(2)), num(3))),
    "missing_argument": ("=IF(A1,,2)", Call("IF", "IF", (cell("A1", 1, 1), Missing(), num(2)))),
    "empty_call": ("=NOW()", Call("NOW", "NOW", ())),
    "storage_prefix_removed": (
        "=_xlfn.XLOOKUP(1,A:A,B:B)",
        Call(
            "XLOOKUP",
            "_xlfn.XLOOKUP",
            (
                num(1),
                Reference(
                    "A:A",
                    None,
                    None,
                    Area(ReferenceKind.COLUMNS, None, Bound(1, False), None, Bound(1, False)),
                ),
                Reference(
                    "B:B",
                    None,
                    None,
                    Area(ReferenceKind.COLUMNS, None, Bound(2, False), None, Bound(2, False)),
                ),
            ),
        ),
    ),
    "array_constant": ("={1,2;3,4}", ArrayConstant(((num(1), num(2)), (num(3), num(4))))),
    "semicolon_locale_arguments": (
        "=ROUND(A1;2)",
        Call("ROUND", "ROUND", (cell("A1", 1, 1), num(2))),
    ),
    "intersection_of_ranges": ("=A1 B1", Binary(" ", cell("A1", 1, 1), cell("B1", 1, 2))),
}


@pytest.mark.parametrize(("formula", "tree"), GOLDEN_TREES.values(), ids=GOLDEN_TREES.keys())
def test_formula_parses_to_the_expected_tree(formula, tree):
    assert parse_formula(formula) == tree


def test_nodes_remember_where_they_start():
    tree = parse_formula("=SUM(A1, B2)")
    assert [tree.position, *(arg.position for arg in tree.args)] == [1, 5, 9]


@pytest.mark.parametrize(
    ("stored", "name"),
    [
        ("_xlfn.XLOOKUP", "XLOOKUP"),
        ("_xlfn._xlws.SORT", "SORT"),
        ("sum", "SUM"),
        ("IF", "IF"),
    ],
)
def test_function_names_are_normalised(stored, name):
    assert function_name(stored) == name


INVALID = {
    "empty": ("=", 1),
    "dangling_operator": ("=1+", 3),
    "unclosed_call": ("=SUM(1,2", 8),
    "two_values_in_a_row": ("=1 2", 3),
    "garbage_operand": ("=1a", 1),
    "stray_separator_in_group": ("=(1;2)", 3),
    "missing_value_in_array": ("={1,}", 4),
    "lambda_invocation_unsupported": ("=LAMBDA(x,x)(1)", 12),
}


@pytest.mark.parametrize(("formula", "position"), INVALID.values(), ids=INVALID.keys())
def test_invalid_formula_raises_parse_error_with_position(formula, position):
    with pytest.raises(FormulaParseError) as raised:
        parse_formula(formula)
    assert raised.value.position == position


REFERENCES = [
    "A1",
    "$B$2",
    "C$3",
    "$D4",
    "A1:B10",
    "$A$1:$A$100",
    "A:A",
    "$C:$D",
    "1:1",
    "2:5",
    "Sheet2!A1",
    "'Q1 Data'!B2:C9",
    "[1]Rates!$B$3",
    "Table1[Amount]",
    "TaxRate",
]
WRAPPERS = [
    "={}",
    "=SUM({})",
    "=-{}",
    "={}*2",
    "={}%",
    "=IF({}>0,{},0)",
    "=ROUND({}/3,2)",
    '=IFERROR(VLOOKUP({},Z:Z,2,FALSE),"")',
    "=({}+1)^2",
    '={}&" units"',
    "=INDEX({},MATCH(1,{},0))",
    '=SUMIFS({},{},">="&$A$1)',
    "=AND({}<>0,NOT({}))",
    "=SUM({},{})",
    "={}<={}",
    '=COUNTIF({};"x")',
    "=MAX(1,MIN({},-{}))",
    "=IF(ISNUMBER({}),TRUE,FALSE)",
    "=LET(x,{},x*2)",
    "=SUMPRODUCT(({}=1)*({}))",
]
GENERATED = [w.format(*[r] * w.count("{}")) for w, r in itertools.product(WRAPPERS, REFERENCES)]


@pytest.mark.parametrize("formula", GENERATED)
def test_render_rebuilds_the_formula(formula):
    assert "=" + render(parse_formula(formula)) == formula.replace(";", ",")


@pytest.mark.parametrize(
    "formula",
    [
        "=SUM( A1 , B2 )",
        "= 1 + 2",
        "=IF( A1>0 ,\n 1, 2 )",
        "={ 1 , 2 }",
    ],
)
def test_layout_whitespace_is_dropped(formula):
    assert parse_formula(formula) == parse_formula("".join(formula.split()))


def test_parse_errors_are_formula_errors():
    assert issubclass(FormulaParseError, FormulaError)


@pytest.mark.parametrize("name", ["μA", "Größe", "_rate", "\\path"])
def test_defined_names_may_start_with_any_letter(name):
    tree = parse_formula(f"=A1*{name}")
    assert (type(tree.right).__name__, tree.right.text) == ("Name", name)
