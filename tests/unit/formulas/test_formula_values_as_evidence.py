"""Cached values as evidence: a typed-in number that its row's or column's formula
reproduces is a formula overwritten with its value."""

import pytest

from sheetbrain.formulas import CellInput, Severity, audit
from sheetbrain.formulas.evaluate import Evaluation
from sheetbrain.formulas.evidence import agreement, decimals, significant_digits


def sheet(cells):
    """{address: formula | (formula, cached) | number | text} -> CellInputs."""
    found = []
    for address, content in cells.items():
        if isinstance(content, tuple):
            found.append(CellInput(address, *content))
        elif isinstance(content, str) and content.startswith("="):
            found.append(CellInput(address, content))
        else:
            found.append(CellInput(address, None, content))
    return found


def overwritten(cells):
    return [
        f for f in audit(sheet(cells), sheet="S").findings if f.rule_id == "constant-in-formula-run"
    ]


def rates(rows=range(3, 9)):
    """Population (B), deaths (C) and a death rate per 10,000 (D), with a header row."""
    return (
        {"B2": "Population", "C2": "Deaths", "D2": "Rate"}
        | {f"B{r}": 40_000.0 + 1_000 * r for r in rows}
        | {f"C{r}": 300.0 + 17 * r for r in rows}
    )


def rate(row):
    return round((300.0 + 17 * row) / (40_000.0 + 1_000 * row) * 10_000, 1)


@pytest.mark.parametrize(
    ("number", "digits", "places"),
    [(32.0, 2, 0), (1200.0, 2, 0), (21.5, 3, 1), (0.05, 1, 2), (454894.0, 6, 0), (1e-05, 1, 5)],
)
def test_significant_digits_and_decimals_are_read_from_the_typed_number(number, digits, places):
    assert (significant_digits(number), decimals(number)) == (digits, places)


@pytest.mark.parametrize(
    ("typed", "evaluation", "agrees"),
    [
        (21.5, Evaluation(21.47, [932087.0, 43404000.0]), True),
        (21.5, Evaluation(21.44, [932087.0, 43404000.0]), False),
        (5.0, Evaluation(5.0, [5.0, 0.0]), False),
        (7.0, Evaluation(7.0, [7.0, None], blank_operand=True), False),
        (3.0, Evaluation("3", [3.0]), False),
    ],
    ids=["shown rounding", "off by more than rounding", "equals an input", "blank input", "text"],
)
def test_agreement_needs_a_non_trivial_match_within_display_rounding(typed, evaluation, agrees):
    assert (agreement(typed, evaluation) is not None) is agrees


def test_typed_number_equal_to_its_columns_formula_is_an_error_with_the_formula():
    cells = rates() | {f"D{r}": (f"=C{r}/B{r}*10000", rate(r)) for r in (3, 4, 5, 7, 8)}
    cells |= {"D6": rate(6)}
    [finding] = overwritten(cells)
    assert (finding.cells, finding.severity, finding.confidence) == (
        ("D6",),
        Severity.ERROR,
        0.9,
    )
    assert finding.suggested_formula("D6") == "=C6/B6*10000"
    assert finding.message.startswith("D6 holds the typed-in number 87.4, which is what")


def test_block_of_typed_rows_far_from_the_one_formula_row_is_found():
    # a statistics table typed in for years, with the formula only on its last row
    cells = rates(range(3, 30)) | {f"D{r}": rate(r) for r in range(3, 29)}
    cells |= {"D29": ("=C29/B29*10000", rate(29))}
    assert [f.cells[0] for f in overwritten(cells)] == [f"D{r}" for r in range(3, 29)]


def test_typed_totals_row_left_of_formula_totals_is_found_along_the_row():
    months = "BCDEFG"
    cells = {f"{c}{r}": 10.0 * r + i for i, c in enumerate(months) for r in range(2, 6)}
    cells |= {f"{c}6": float(sum(10.0 * r + i for r in range(2, 6))) for i, c in enumerate("BCD")}
    cells |= {f"{c}6": f"=SUM({c}2:{c}5)" for c in "EFG"}
    assert sorted(f.cells[0] for f in overwritten(cells)) == ["B6", "C6", "D6"]


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        (7.4, "does not match the formula"),
        (0.0, "zero proves nothing"),
    ],
)
def test_typed_number_that_is_not_the_formulas_result_is_not_confirmed(override, reason):
    cells = rates() | {f"D{r}": (f"=C{r}/B{r}*10000", rate(r)) for r in (3, 4, 5, 7, 8)}
    cells |= {"D6": override}
    assert [f.message for f in overwritten(cells) if "which is what" in f.message] == [], reason


def test_copy_of_the_cell_above_is_not_evidence():
    cells = {"B2": 5.0, "B3": ("=B2", 5.0), "B4": ("=B3", 5.0), "B5": 5.0, "B6": ("=B5", 5.0)}
    assert [f for f in overwritten(cells) if "which is what" in f.message] == []


def test_typed_sequence_number_is_not_a_counter_overwritten():
    cells = {"A2": 1.0} | {f"A{r}": (f"=A{r - 1}+1", float(r - 1)) for r in range(3, 9)}
    cells |= {"A9": 8.0} | {f"A{r}": (f"=A{r - 1}+1", float(r - 1)) for r in range(10, 13)}
    assert [f for f in overwritten(cells) if "which is what" in f.message] == []


def test_two_digit_match_needs_a_second_agreeing_number_in_the_line():
    values = {"B3": 6.0, "C3": 4.0, "B4": 9.0, "C4": 3.0, "B5": 8.0, "C5": 4.0}
    formulas = {"D3": ("=B3*C3", 24.0)}
    alone = overwritten(values | formulas | {"D4": 27.0})
    together = overwritten(values | formulas | {"D4": 27.0, "D5": 32.0})
    assert [(f.cells, f.severity) for f in alone] == [(("D4",), Severity.WARNING)]
    assert [(f.cells, f.severity) for f in together] == [
        (("D4",), Severity.ERROR),
        (("D5",), Severity.ERROR),
    ]


def test_formula_reading_beyond_the_audited_cells_is_not_evaluated():
    # the add-on sent D3:D6 only: B and C are unknown, not blank
    cells = {"D3": ("=B3*C3", 24.0), "D4": 24.0, "D5": ("=B5*C5", 32.0)}
    assert [f for f in overwritten(cells) if "which is what" in f.message] == []
