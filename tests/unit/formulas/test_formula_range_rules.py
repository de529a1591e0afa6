"""Totals against their table: ranges starting on a title or ending on a blank row,
ranges shorter than their siblings', subtotals counted twice."""

import pytest

from sheetbrain.formulas import Severity, audit
from support.sheets import found, sheet


def statement(first=4, last=8, title="Revenues"):
    """Column headers in row 1, a section title in row 3, items in A and amounts in B:C."""
    return (
        {"B1": "Last year", "C1": "This year"}
        | ({"A3": title} if title else {})
        | {f"A{r}": f"Item {r}" for r in range(first, last + 1)}
        | {f"{c}{r}": 100.0 + r for c in "BC" for r in range(first, last + 1)}
        | {f"A{last + 2}": "Total"}
    )


SPANS = "range-spans-label-or-blank-row"


def test_total_ending_on_the_blank_row_above_it_is_an_error_and_ends_on_the_data():
    cells = statement() | {"B10": "=SUM(B4:B9)", "C10": "=SUM(C4:C8)"}
    [finding] = found(cells, SPANS)
    assert (finding.cells, finding.severity, finding.suggested_formula("B10")) == (
        ("B10",),
        Severity.ERROR,
        "=SUM(B4:B8)",
    )
    assert "ends on a blank separator row (9)" in finding.message


def test_total_starting_on_its_section_title_is_an_error():
    cells = statement() | {"B10": "=SUM(B3:B8)", "C10": "=SUM(C4:C8)"}
    [finding] = found(cells, SPANS)
    assert (finding.cells, finding.suggested_formula("B10")) == (("B10",), "=SUM(B4:B8)")
    assert "starts on a section title (row 3)" in finding.message


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (statement() | {"B10": "=SUM(B4:B8)"}, "exactly the data rows"),
        (
            statement(title=None) | {"A3": "Item 3", "A2": "Section", "B10": "=SUM(B3:B8)"},
            "an item listed without amounts under the title is data",
        ),
        (
            statement()
            | {"A6": "Costs", "B6": None, "C6": None}
            | {"B10": "=SUM(B3:B8)", "C10": "=SUM(C3:C8)"},
            "several sections, each under its title",
        ),
    ],
)
def test_totals_over_their_data_rows_are_not_flagged(cells, reason):
    cells = {a: v for a, v in cells.items() if v is not None}
    assert found(cells, SPANS) == [], reason


def test_total_leaving_out_a_row_its_siblings_cover_is_an_error_even_when_blank():
    # C4 is blank today; the next figure typed there would be left out of C10
    cells = {a: v for a, v in statement().items() if a != "C4"}
    cells |= {"B10": "=SUM(B4:B8)", "C10": "=SUM(C5:C8)", "D10": "=SUM(D4:D8)", "D4": 1.0}
    [finding] = found(cells, "omitted-adjacent-cells")
    assert (finding.cells, finding.severity, finding.suggested_formula("C10")) == (
        ("C10",),
        Severity.ERROR,
        "=SUM(C4:C8)",
    )
    assert finding.message == (
        "The range in C10 leaves out C4: the range of B10 beside it starts there, "
        "and that row belongs to the same table"
    )


def test_sibling_covering_a_section_title_does_not_make_the_others_short():
    cells = statement() | {"B10": "=SUM(B3:B8)", "C10": "=SUM(C4:C8)"}
    assert found(cells, "omitted-adjacent-cells") == []


def test_row_total_leaving_out_a_column_its_siblings_cover_is_flagged():
    cells = {"B1": "Q1", "C1": "Q2", "D1": "Q3", "E1": "Total"}
    cells |= {f"{c}{r}": 10.0 * r for c in "BCD" for r in range(2, 6)} | {"B4": None}
    cells |= {f"E{r}": f"=SUM(B{r}:D{r})" for r in range(2, 6)} | {"E4": "=SUM(C4:D4)"}
    cells = {a: v for a, v in cells.items() if v is not None}
    [finding] = found(cells, "omitted-adjacent-cells")
    assert (finding.cells, finding.suggested_formula("E4")) == (("E4",), "=SUM(B4:D4)")


def test_total_including_a_subtotal_and_its_rows_counts_them_twice():
    cells = {f"B{r}": float(r) for r in range(2, 6)} | {"B6": "=SUM(B2:B5)"}
    cells |= {f"B{r}": float(r) for r in range(7, 9)} | {"B9": "=SUM(B2:B8)"}
    [finding] = found(cells, "subtotal-double-counted")
    assert (finding.cells, finding.severity) == (("B9",), Severity.ERROR)
    assert finding.message.startswith("The range in B9 includes the subtotal B6 and the cells")


def test_grand_total_of_subtotals_only_is_not_double_counting():
    cells = {f"B{r}": float(r) for r in range(2, 6)} | {"B6": "=SUM(B2:B5)"}
    cells |= {f"B{r}": float(r) for r in range(7, 9)} | {"B9": "=SUM(B7:B8)"}
    cells |= {"B10": "=B6+B9"}
    assert found(cells, "subtotal-double-counted") == []


def test_formulas_only_give_no_table_to_judge_ranges_against():
    cells = {f"{c}10": f"=SUM({c}2:{c}9)" for c in "BCDEFG"}
    assert [f.rule_id for f in audit(sheet(cells)).findings] == []


def test_total_adding_up_the_column_beside_its_own_is_an_error():
    cells = {f"{c}{r}": float(r * (i + 1)) for i, c in enumerate("BCD") for r in range(2, 6)}
    cells |= {"B6": "=SUM(B2:B5)", "C6": "=SUM(B2:B5)", "D6": "=SUM(D2:D5)"}
    [finding] = found(cells, "total-of-wrong-column")
    assert (finding.cells, finding.suggested_formula("C6")) == (("C6",), "=SUM(C2:C5)")
    assert finding.message.startswith("C6 adds up B2:B5, the column beside its own")


def test_reading_last_years_column_further_up_is_not_a_slid_total():
    cells = {f"{c}{r}": float(r) for c in "BC" for r in range(2, 4)}
    cells |= {f"{c}{r}": float(r) for c in "BC" for r in range(10, 13)}
    cells |= {"B13": "=SUM(B10:B12)", "C13": "=SUM(C10:C12)+SUM(B2:B3)"}
    assert found(cells, "total-of-wrong-column") == []


def test_one_cell_total_beside_totals_of_the_whole_column_is_an_error():
    cells = statement() | {"B10": "=SUM(B4:B8)", "C10": "=SUM(C8)"}
    [finding] = found(cells, "omitted-adjacent-cells")
    assert (finding.cells, finding.severity, finding.suggested_formula("C10")) == (
        ("C10",),
        Severity.ERROR,
        "=SUM(C4:C8)",
    )


def test_one_cell_pick_without_totals_beside_it_is_not_a_short_range():
    cells = statement() | {"B10": "=SUM(B8)", "C10": "=SUM(C8)"}
    assert found(cells, "omitted-adjacent-cells") == []


def test_share_of_a_row_sum_is_not_a_total_leaving_out_the_cells_after_it():
    # debt / (debt + equity) in H; the tax rate in F sits between the sum's range and H
    cells = {"D1": "Debt", "E1": "Equity", "F1": "Tax rate", "G1": "D/E", "H1": "D/(D+E)"}
    for r in range(2, 6):
        cells |= {f"D{r}": 100.0 * r, f"E{r}": 900.0 * r, f"F{r}": 0.3}
        cells |= {f"G{r}": f"=D{r}/E{r}", f"H{r}": f"=D{r}/SUM(D{r}:E{r})"}
    assert found(cells, "omitted-adjacent-cells") == []


def amounts_in_c(rows=range(6, 14)):
    """Items in A, budget in C, column D empty (as under cells merged across C:D), actual
    amounts in E."""
    return (
        {"C5": "Budget", "E5": "Actual"}
        | {f"A{r}": f"Item {r}" for r in rows}
        | {f"{c}{r}": 1000.0 + r for c in "CE" for r in rows}
    )


def test_total_whose_range_takes_in_an_empty_column_is_an_error_over_its_own_column():
    [finding] = found(amounts_in_c() | {"A14": "TOTAL", "C14": "=SUM(C6:D13)"}, SPANS)
    assert (finding.cells, finding.severity, finding.suggested_formula("C14")) == (
        ("C14",),
        Severity.ERROR,
        "=SUM(C6:C13)",
    )
    assert "takes in column D, empty all along it" in finding.message


def test_row_total_whose_range_takes_in_an_empty_row_is_an_error_over_its_own_row():
    cells = {f"{c}2": 10.0 + i for i, c in enumerate("BCDE")} | {"F2": "=SUM(B2:E3)"}
    [finding] = found(cells | {"A2": "Hours", "A3": "", "A4": "Rate", "B4": 1.0}, SPANS)
    assert (finding.suggested_formula("F2"), "takes in row 3" in finding.message) == (
        "=SUM(B2:E2)",
        True,
    )


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({f"D{r}": 5.0 for r in range(6, 14)}, "both columns hold numbers: a block total"),
        ({"D9": 5.0}, "one number in D makes it part of the block"),
    ],
)
def test_block_totals_over_columns_holding_data_are_not_flagged(extra, reason):
    cells = amounts_in_c() | extra | {"A14": "TOTAL", "C14": "=SUM(C6:D13)"}
    assert found(cells, SPANS) == [], reason


def test_a_block_total_without_values_is_not_judged():
    cells = {"C14": "=SUM(C6:D13)", "E14": "=SUM(E6:E13)"}
    assert found(cells, SPANS) == []


def test_an_empty_column_beyond_what_was_sent_is_unknown_not_empty():
    cells = amounts_in_c() | {"A14": "TOTAL", "E14": "=SUM(E6:F13)"}
    assert found(cells, SPANS) == []
