"""R1C1 shapes: copies share a shape, absolute parts stay absolute, shapes render back."""

import pytest

from sheetbrain.formulas.references import (
    column_index,
    column_letters,
    parse_address,
    split_operand,
)
from sheetbrain.formulas.shapes import render_shape, shape_at, shape_of


@pytest.mark.parametrize(("letters", "index"), [("A", 1), ("Z", 26), ("AA", 27), ("XFD", 16384)])
def test_column_letters_and_index_are_inverse(letters, index):
    assert (column_index(letters), column_letters(index)) == (index, letters)


@pytest.mark.parametrize(
    ("address", "position"),
    [
        ("B3", (3, 2)),
        ("$C$10", (10, 3)),
        ("b3", (3, 2)),
        ("XFE1", None),
        ("A0", None),
        ("A1:B2", None),
    ],
)
def test_parse_address_accepts_single_cells_on_the_grid(address, position):
    assert parse_address(address) == position


@pytest.mark.parametrize(
    ("operand", "parts"),
    [
        ("A1", (None, None, "A1")),
        ("Sheet1!A1", (None, "Sheet1", "A1")),
        ("'It''s here'!B2", (None, "It's here", "B2")),
        ("[1]Rates!C3", ("1", "Rates", "C3")),
        ("'C:\\data\\[Book.xlsx]Q1'!D4", ("C:\\data\\Book.xlsx", "Q1", "D4")),
    ],
)
def test_split_operand_separates_workbook_sheet_and_body(operand, parts):
    split = split_operand(operand)
    assert (split.workbook, split.sheet, split.body) == parts


SHAPES = {
    "relative_cell": ("=A1*2", (1, 2), "=RC[-1]*2"),
    "copy_shares_shape": ("=A2*2", (2, 2), "=RC[-1]*2"),
    "absolute_parts_stay": ("=$A$1+B$2+$C3", (5, 5), "=R1C1+R2C[-3]+R[-2]C3"),
    "whole_column_and_row": ("=SUM(A:A)+SUM(1:3)", (4, 4), "=SUM(C[-3]:C[-3])+SUM(R[-3]:R[-1])"),
    "area": ("=SUM(B2:B9)", (10, 2), "=SUM(R[-8]C:R[-1]C)"),
    "strings_untouched": ('="A1"&B1', (1, 1), '="A1"&RC[1]'),
    "quoted_sheet_untouched": ("='Q1 Data'!B2", (1, 1), "='Q1 Data'!R[1]C[1]"),
    "structured_ref_untouched": ("=Table1[Q1]+A1", (1, 1), "=Table1[Q1]+RC"),
    "function_names_untouched": ("=LOG10(A1)+ATAN2(1,2)", (1, 2), "=LOG10(RC[-1])+ATAN2(1,2)"),
    "external_workbook_kept": ("=[1]Rates!A1", (2, 2), "=[1]Rates!R[-1]C[-1]"),
    "scientific_number_untouched": ("=1E+10+A1", (1, 2), "=1E+10+RC[-1]"),
    "no_references": ("=1+2", (9, 9), "=1+2"),
    "lowercase_reference": ("=a1", (1, 1), "=RC"),
}


@pytest.mark.parametrize(("formula", "position", "shape"), SHAPES.values(), ids=SHAPES.keys())
def test_shape_of_rewrites_references_relative_to_the_cell(formula, position, shape):
    assert shape_of(formula, *position) == shape


def test_copied_formulas_share_one_shape():
    copies = {shape_of(f"=B{row}*C{row}+$D$1", row, 5) for row in range(2, 500)}
    assert copies == {"=RC[-3]*RC[-2]+R1C4"}


@pytest.mark.parametrize(
    ("formula", "address"),
    [
        ("=A1*2", "B1"),
        ("=$A$1+B$2+$C3", "E5"),
        ("=SUM(A:A)+SUM(1:3)", "D4"),
        ('="A1"&B1', "A1"),
        ("=[1]Rates!A1", "B2"),
        ("=SUM(Sheet2!B2:C9)", "Z99"),
    ],
)
def test_rendering_a_shape_at_its_own_cell_gives_the_formula_back(formula, address):
    assert render_shape(shape_at(formula, address), address) == formula


@pytest.mark.parametrize(
    ("shape", "address", "formula"),
    [
        ("=RC[-1]*2", "B7", "=A7*2"),
        ("=R1C1+R[1]C", "C3", "=$A$1+C4"),
        ("=SUM(C[-1]:C[-1])", "B2", "=SUM(A:A)"),
    ],
)
def test_shape_renders_at_another_cell(shape, address, formula):
    assert render_shape(shape, address) == formula


@pytest.mark.parametrize(
    ("shape", "address"), [("=RC[-1]", "A1"), ("=R[-5]C", "A3"), ("=RC", None)]
)
def test_shape_that_cannot_be_placed_renders_to_none(shape, address):
    assert render_shape(shape, address) is None


def test_shape_without_address_is_the_text_itself():
    assert (shape_at("=A1*2", None), render_shape("=R1C1", None)) == ("=A1*2", "=$A$1")
