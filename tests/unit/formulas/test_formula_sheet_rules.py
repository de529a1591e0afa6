"""Sheet-wide rules: omitted adjacent cells, circular references (and basic inconsistency)."""

from sheetbrain.formulas import AuditConfig
from support.sheets import found


def column_of_copies(column="C", rows=range(2, 9), template="=A{r}*B{r}"):
    return {f"{column}{r}": template.format(r=r) for r in rows}


def test_formula_differing_from_its_column_is_flagged_with_the_neighbours_formula():
    cells = column_of_copies() | {"C5": "=A5+B5"}
    [finding] = found(cells, "inconsistent-formula")
    assert (finding.cells, finding.suggested_formula("C5")) == (("C5",), "=A5*B5")


def test_hard_coded_value_among_copied_formulas_is_not_an_inconsistent_formula():
    cells = column_of_copies() | {"C5": 42}
    assert found(cells, "inconsistent-formula") == []


def test_formula_differing_along_a_row_is_flagged():
    cells = {f"{col}10": f"=SUM({col}2:{col}9)" for col in "BCDEFG"} | {"E10": "=SUM(E2:E8)"}
    [finding] = found(cells, "inconsistent-formula")
    assert finding.cells == ("E10",)


def test_consistent_column_has_no_inconsistency():
    assert found(column_of_copies(), "inconsistent-formula") == []


def test_total_at_the_end_of_a_column_is_not_an_inconsistency():
    cells = column_of_copies() | {"C9": "=SUM(C2:C8)"}
    assert found(cells, "inconsistent-formula") == []


def test_first_formula_of_a_running_balance_is_not_an_inconsistency():
    cells = {"D2": "=C2"} | {f"D{r}": f"=D{r - 1}+C{r}" for r in range(3, 9)}
    assert found(cells, "inconsistent-formula") == []


def test_row_of_different_column_formulas_is_not_an_inconsistency():
    rows = range(2, 8)
    cells = (
        {f"D{r}": f"=B{r}*C{r}" for r in rows}
        | {f"E{r}": f"=D{r}*0.2" for r in rows}
        | {f"F{r}": f"=D{r}*E{r}" for r in rows}
    )
    assert found(cells, "inconsistent-formula") == []


def test_run_shorter_than_the_minimum_is_not_judged():
    cells = {"C2": "=A2*B2", "C3": "=A3+B3", "C4": "=A4*B4"}
    assert found(cells, "inconsistent-formula", AuditConfig(min_consistent_run=4)) == []


def test_sum_stopping_one_row_short_of_the_total_is_flagged_and_extended():
    cells = {f"B{r}": r * 10 for r in range(2, 10)} | {"B10": "=SUM(B2:B8)"}
    [finding] = found(cells, "omitted-adjacent-cells")
    assert (finding.cells, finding.suggested_formula("B10")) == (("B10",), "=SUM(B2:B9)")


def test_sum_across_a_row_stopping_short_is_flagged():
    cells = {f"{c}3": 5 for c in "BCDEF"} | {"G3": "=SUM($B3:E3)"}
    [finding] = found(cells, "omitted-adjacent-cells")
    assert finding.suggested_formula("G3") == "=SUM($B3:F3)"


def test_sum_skipping_a_blank_or_label_row_is_not_flagged():
    cells = {f"B{r}": r for r in range(2, 9)} | {"B9": "subtotal", "B10": "=SUM(B2:B8)"}
    assert found(cells, "omitted-adjacent-cells") == []


def test_sum_skipping_a_subtotal_formula_is_not_flagged():
    cells = {f"B{r}": r for r in range(2, 9)} | {"B9": "=SUM(B2:B8)", "B10": "=SUM(B2:B8)*2"}
    assert found(cells, "omitted-adjacent-cells") == []


def test_sum_of_the_whole_block_is_not_flagged():
    cells = {f"B{r}": r for r in range(2, 10)} | {"B10": "=SUM(B2:B9)"}
    assert found(cells, "omitted-adjacent-cells") == []


def test_two_cell_cycle_is_reported_once_with_both_cells():
    [finding] = found({"A1": "=B1+1", "B1": "=A1*2"}, "circular-reference")
    assert finding.cells == ("A1", "B1")


def test_cycle_through_a_range_is_found():
    cells = {"A1": 1, "A2": "=A1*2", "A3": "=SUM(A4:A6)", "A4": "=A3/2"}
    [finding] = found(cells, "circular-reference")
    assert finding.cells == ("A3", "A4")


def test_self_reference_inside_a_larger_cycle_is_reported_once():
    cells = {"A3": "=SUM(A1:A5)", "A4": "=A3/2"}
    [finding] = found(cells, "circular-reference")
    assert finding.cells == ("A3", "A4")


def test_self_reference_is_reported():
    [finding] = found({"C3": "=C3+1"}, "circular-reference")
    assert finding.message == "C3 refers to itself"


def test_two_separate_cycles_are_two_findings():
    cells = {"A1": "=B1", "B1": "=A1", "D1": "=E1", "E1": "=F1", "F1": "=D1"}
    assert [f.cells for f in found(cells, "circular-reference")] == [
        ("A1", "B1"),
        ("D1", "E1", "F1"),
    ]


def test_chain_without_a_loop_is_not_circular():
    cells = {"A1": 1, "A2": "=A1+1", "A3": "=A2+1", "A4": "=SUM(A1:A3)"}
    assert found(cells, "circular-reference") == []


def test_running_totals_over_many_rows_are_not_circular():
    cells = {f"B{r}": 1 for r in range(1, 3001)} | {
        f"C{r}": f"=SUM($B$1:B{r})" for r in range(1, 3001)
    }
    assert found(cells, "circular-reference") == []


def test_long_cycle_through_a_column_of_copies_is_found():
    cells = {f"A{r}": f"=A{r + 1}" for r in range(1, 2000)} | {"A2000": "=SUM(A1:A3)"}
    [finding] = found(cells, "circular-reference")
    assert len(finding.cells) == 2000


def test_references_to_another_sheet_do_not_make_cycles():
    cells = {"A1": "=Other!B1", "B1": "=A1"}
    assert found(cells, "circular-reference") == []
