"""Table-aware rules: constants in formula runs, grouped inconsistencies, adjusted copies, slipped
references, formulas typed into data, and how confident each finding is."""

import pytest

from sheetbrain.formulas import AuditConfig, Severity, audit
from sheetbrain.formulas.regions import FormulaRun, SheetCell
from sheetbrain.formulas.rules.constants import added_literals
from sheetbrain.formulas.rules.runs import run_confidence
from support.sheets import found, sheet


def column(template, rows, col="D"):
    return {f"{col}{r}": template.format(r=r) for r in rows}


def order_table(rows=range(2, 12)):
    """Quantity (B) x price (C) = amount (D), with headers and a totals row."""
    last = rows[-1]
    return (
        {"A1": "Item", "B1": "Qty", "C1": "Price", "D1": "Amount"}
        | {f"A{r}": f"Item {r}" for r in rows}
        | {f"B{r}": r for r in rows}
        | {f"C{r}": 2.5 * r for r in rows}
        | column("=B{r}*C{r}", rows)
        | {f"A{last + 1}": "Total"}
        | {f"{c}{last + 1}": f"=SUM({c}{rows[0]}:{c}{last})" for c in "BCD"}
    )


def budget(months="BCDEFGH", rows=range(2, 8)):
    """Categories down A, months across, a totals row of SUMs below."""
    total = rows[-1] + 1
    return (
        {f"{c}1": f"Month {i}" for i, c in enumerate(months, 1)}
        | {f"A{r}": f"Category {r}" for r in rows}
        | {f"{c}{r}": 100 + r for c in months for r in rows}
        | {f"A{total}": "Total"}
        | {f"{c}{total}": f"=SUM({c}{rows[0]}:{c}{rows[-1]})" for c in months}
    )


# constant-in-formula-run


def test_overtyped_total_is_flagged_with_the_expected_formula():
    [finding] = found(budget() | {"E8": 1234}, "constant-in-formula-run")
    assert (finding.cells, finding.suggested_formula("E8")) == (("E8",), "=SUM(E2:E7)")


def test_overtyped_total_in_a_totals_row_is_an_error():
    [finding] = found(budget() | {"E8": 1234}, "constant-in-formula-run")
    assert (finding.severity, finding.confidence) == (Severity.ERROR, 0.93)


def test_typed_in_number_in_a_short_unlabelled_run_is_a_warning():
    [finding] = found(column("=B{r}*C{r}", range(2, 6)) | {"D4": 12}, "constant-in-formula-run")
    assert (finding.severity, finding.confidence) == (Severity.WARNING, 0.74)


def test_typed_in_year_in_a_column_counting_years_is_a_warning():
    # public debt workbooks restart year columns (=A97+1) with a typed-in 1970
    cells = {"A2": 1950} | {f"A{r}": f"=A{r - 1}+1" for r in range(3, 40)} | {"A22": 1970}
    [finding] = found(cells, "constant-in-formula-run")
    assert (finding.severity, finding.confidence) == (Severity.WARNING, 0.7)


def test_typed_in_number_in_a_long_run_is_an_error():
    [finding] = found(order_table(range(2, 20)) | {"D9": 12}, "constant-in-formula-run")
    assert finding.severity is Severity.ERROR


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (budget(), "every total is a formula"),
        (order_table() | {"D12": 99}, "the total at the end is outside the run"),
        (column("=B{r}*C{r}", range(2, 3)) | {"D3": 1, "D4": "=B4*C4"}, "run too short"),
        ({f"{c}{r}": r for c in "BCD" for r in range(2, 9)}, "numbers only"),
        (
            column("=B{r}*C{r}", range(2, 9)) | {f"{c}5": 4 for c in "BCDE"},
            "a row of numbers crossing the column",
        ),
        (
            column("=B{r}*C{r}", range(2, 9)) | {"D4": 1, "D5": 2, "D6": 3},
            "three numbers in a row are a block of their own",
        ),
    ],
)
def test_numbers_that_do_not_break_a_run_are_not_flagged(cells, reason):
    assert found(cells, "constant-in-formula-run") == [], reason


# inconsistent-formula


def test_outliers_of_one_run_are_grouped_into_one_finding():
    cells = order_table() | {"D4": "=B4+C4", "D8": "=B8-C8"}
    [finding] = found(cells, "inconsistent-formula")
    assert (finding.cells, finding.suggested_formula("D8")) == (("D4", "D8"), "=B8*C8")


def test_grouped_finding_names_every_cell_and_the_majority_formula():
    cells = order_table() | {"D4": "=B4+C4", "D8": "=B8-C8"}
    [finding] = found(cells, "inconsistent-formula")
    assert finding.message == (
        "Formulas in D4, D8 differ from the 8 copies around them in the column, "
        "which would have =B4*C4 in D4"
    )


def test_total_whose_range_stops_short_is_left_to_the_range_rule():
    cells = budget() | {"E8": "=SUM(E2:E6)"}
    assert [f.rule_id for f in audit(sheet(cells)).findings] == ["omitted-adjacent-cells"]


def test_total_whose_range_stops_short_is_inconsistent_when_the_range_rule_is_off():
    cells = budget() | {"E8": "=SUM(E2:E6)"}
    config = AuditConfig(disabled_rules=frozenset({"omitted-adjacent-cells"}))
    [finding] = found(cells, "inconsistent-formula", config)
    assert finding.cells == ("E8",)


def test_outliers_of_different_runs_are_separate_findings():
    cells = (
        order_table()
        | column("=D{r}*0.2", range(2, 12), "E")
        | {"D4": "=B4+C4", "E8": "=D8*0.2+C8"}
    )
    assert sorted(f.cells for f in found(cells, "inconsistent-formula")) == [("D4",), ("E8",)]


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (order_table(), "all copies"),
        (order_table() | {"D5": "=B5*C6"}, "a slipped reference is reported as such"),
        (order_table() | {"D5": 7}, "a number is reported as a constant"),
        (
            {"D2": "=C2"} | {f"D{r}": f"=D{r - 1}+C{r}" for r in range(3, 9)},
            "first row of a running balance",
        ),
    ],
)
def test_no_inconsistency_without_a_differing_formula_inside_a_run(cells, reason):
    assert found(cells, "inconsistent-formula") == [], reason


# reference-slip


@pytest.mark.parametrize(
    ("overrides", "cell", "expected", "direction"),
    [
        ({"D6": "=B6*C5"}, "D6", "=B6*C6", "one row above"),
        ({"D6": "=B6*C7"}, "D6", "=B6*C6", "one row below"),
        ({"D6": "=A6*C6"}, "D6", "=B6*C6", "one column left of"),
    ],
)
def test_reference_one_cell_off_its_copies_is_a_slip(overrides, cell, expected, direction):
    [finding] = found(order_table() | overrides, "reference-slip")
    assert (finding.cells, finding.suggested_formula(cell)) == ((cell,), expected)
    assert direction in finding.message


def test_slipped_range_in_a_row_of_totals_is_a_slip():
    [finding] = found(budget() | {"E8": "=SUM(E3:E8)"}, "reference-slip")
    assert (finding.cells, finding.severity) == (("E8",), Severity.ERROR)


def test_arithmetic_on_a_header_label_is_a_slip():
    # the first row of a growth column points at the header above
    cells = (
        {"B1": "Sales", "C1": "Growth"}
        | {f"B{r}": 100 + r for r in range(2, 9)}
        | {f"C{r}": f"=B{r}-B{r - 1}" for r in range(2, 9)}
    )
    [finding] = found(cells, "reference-slip")
    assert (finding.cells, finding.severity) == (("C2",), Severity.ERROR)
    assert "label 'Sales'" in finding.message


def test_copies_that_all_calculate_with_labels_are_one_warning():
    cells = {f"A{r}": f"Name {r}" for r in range(2, 8)} | {f"B{r}": f"=A{r}*2" for r in range(2, 8)}
    [finding] = found(cells, "reference-slip")
    assert (len(finding.cells), finding.severity) == (6, Severity.WARNING)
    assert finding.message.endswith("#VALUE! (as do 5 copies of the formula)")


def test_lone_formula_calculating_with_a_label_is_a_warning():
    [finding] = found({"A1": "Rate", "B1": "=A1*2"}, "reference-slip")
    assert (finding.severity, finding.confidence) == (Severity.WARNING, 0.7)


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (order_table(), "all copies"),
        (order_table() | {"D6": "=B6*C4"}, "two rows off is not a slip"),
        (order_table() | {"D6": "=B6+C5"}, "operator changed as well"),
        (
            order_table() | {f"D{r}": f"=B{r}*$C$2" for r in range(2, 12)} | {"D6": "=B6*$C$3"},
            "absolute references do not slip when copied",
        ),
        ({"A1": "Name", "B1": '=A1&" (new)"'}, "joining text is fine"),
        ({"A1": "Name", "B1": '=IF(A1="x",1,0)'}, "comparing text is fine"),
        ({"A1": "Rate", "B1": "=COUNTA(A1:A5)"}, "ranges are not arithmetic"),
        ({"A1": "12", "B1": "=A1*2"}, "numbers stored as text are not labels"),
        ({"A1": "1,234.5", "B1": "=A1*2"}, "numbers with separators are not labels"),
        ({"A1": "  ", "B1": "=A1*2"}, "blank text is not a label"),
        ({"A1": "n/a", "B1": "=IF(ISNUMBER(A1),A1*2,0)"}, "text is tested for"),
        ({"A1": "n/a", "B1": "=IFERROR(A1*2,0)"}, "the error is trapped"),
    ],
)
def test_no_slip_when_references_follow_their_copies(cells, reason):
    assert found(cells, "reference-slip") == [], reason


DRIFT = "drifted-input-reference"


def priced_in_euros(rows=range(2, 9)):
    """Amounts in B converted at the rate in F1: =B{r}*$F$1 down column C."""
    return (
        {"E1": "Rate", "F1": 0.9, "B1": "Amount", "C1": "In euros"}
        | {f"B{r}": 10.0 * r for r in rows}
        | column("=B{r}*$F$1", rows, col="C")
    )


def test_copy_reading_a_blank_cell_below_the_input_its_copies_read_is_an_error():
    # C6 lost its $: it reads F6, blank, where the others read the rate in F1
    [finding] = found(priced_in_euros() | {"C6": "=B6*F6"}, DRIFT)
    assert (finding.cells, finding.severity, finding.confidence) == (("C6",), Severity.ERROR, 0.85)
    assert finding.message == (
        "C6 reads F6, a blank cell, where the 6 formulas written like it in its column read "
        "the input F1: the reference moved when the formula was copied"
    )


def test_copy_reading_its_own_filled_in_input_is_not_a_drift():
    # F6 holds a rate of its own: a deliberate override, not a lost $
    assert found(priced_in_euros() | {"C6": "=B6*F6", "F6": 0.8}, DRIFT) == []


def test_copy_reading_a_blank_cell_off_the_inputs_row_and_column_is_not_a_drift():
    assert found(priced_in_euros() | {"C6": "=B6*H3"}, DRIFT) == []


# formula-where-constant-expected


def test_lone_formula_among_typed_in_numbers_is_info():
    cells = {f"B{r}": 10 * r for r in range(2, 10)} | {"B5": "=40+2"}
    [finding] = found(cells, "formula-where-constant-expected")
    assert (finding.cells, finding.severity) == (("B5",), Severity.INFO)


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({f"B{r}": 10 * r for r in range(2, 10)} | {"B6": "=SUM(B2:B5)"}, "a subtotal"),
        ({f"B{r}": 10 * r for r in range(2, 10)} | {"B3": "=1+1"}, "too near the edge"),
        (
            {f"B{r}": 10 * r for r in range(2, 10)} | {"B5": "=40+2", "B6": "=B5*2"},
            "two formulas are not lone",
        ),
        (
            {f"{c}{r}": 10 * r for c in "BC" for r in range(2, 10)}
            | {f"D{r}": f"=B{r}*C{r}" for r in range(2, 10)},
            "formula column beside data",
        ),
    ],
)
def test_formulas_that_are_not_lone_in_data_are_not_flagged(cells, reason):
    assert found(cells, "formula-where-constant-expected") == [], reason


def test_text_values_become_labels_not_numbers():
    # a hard-coded text in a formula run is not a typed-in number
    cells = order_table() | {"D6": "n/a"}
    assert found(cells, "constant-in-formula-run") == []


# omitted-adjacent-cells, refined with headers and blocks


def amounts(rows=range(2, 10), header="Amount"):
    return {"B1": header} | {f"B{r}": 10 * r for r in rows}


@pytest.mark.parametrize(
    ("cells", "severity", "confidence"),
    [
        (amounts() | {"B10": "=SUM(B2:B8)"}, Severity.ERROR, 0.85),
        (
            {f"B{r}": f"=A{r}*2" for r in range(2, 10)} | {"B10": "=SUM(B2:B8)"},
            Severity.WARNING,
            0.7,
        ),
    ],
    ids=["numbers left out", "formula copies left out"],
)
def test_total_stopping_short_is_an_error_only_when_numbers_are_left_out(
    cells, severity, confidence
):
    [finding] = found(cells, "omitted-adjacent-cells")
    assert (finding.severity, finding.confidence) == (severity, confidence)


@pytest.mark.parametrize(
    ("total", "severity", "expected", "message"),
    [
        (
            "=SUM(B1:B9)",
            Severity.INFO,
            "=SUM(B2:B9)",
            "it starts at the header B1 ('Amount'), which reads as wrong",
        ),
        (
            "=COUNTA($B$1:$B$9)",
            Severity.ERROR,
            "=COUNTA($B$2:$B$9)",
            "it counts the header B1 ('Amount') as an item",
        ),
    ],
    ids=["sum ignores the text", "counta counts it"],
)
def test_total_including_the_header_is_flagged_with_the_range_below_it(
    total, severity, expected, message
):
    [finding] = found(amounts() | {"B10": total}, "range-spans-label-or-blank-row")
    assert (finding.severity, finding.suggested_formula("B10")) == (severity, expected)
    assert finding.message == f"The range in B10 takes in its column's header: {message}"


def test_total_starting_below_the_first_data_row_of_its_siblings_is_flagged():
    [finding] = found(budget() | {"E8": "=SUM(E3:E7)"}, "omitted-adjacent-cells")
    assert (finding.suggested_formula("E8"), finding.message) == (
        "=SUM(E2:E7)",
        "The range in E8 starts below E2, numbers at the top of its block, "
        "which the totals beside it include",
    )


def test_lone_total_leaving_out_an_opening_balance_is_not_flagged():
    cells = amounts() | {"A2": "Opening balance", "B10": "=SUM(B3:B9)"}
    assert found(cells, "omitted-adjacent-cells") == []


def test_total_across_a_row_including_its_label_is_flagged():
    cells = {"A3": "Rent"} | {f"{c}3": 5 for c in "BCDE"} | {"F3": "=SUM(A3:E3)"}
    [finding] = found(cells, "range-spans-label-or-blank-row")
    assert finding.suggested_formula("F3") == "=SUM(B3:E3)"


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (amounts() | {"B10": "=SUM(B2:B9)"}, "the whole block"),
        (amounts(range(2, 10)) | {"B10": "=SUM(B5:B9)"}, "starts three rows down: deliberate"),
        (amounts(range(3, 10)) | {"B2": None, "B10": "=SUM(B3:B9)"}, "blank row under header"),
        ({f"B{r}": 10 * r for r in range(1, 10)} | {"B10": "=SUM(B2:B9)"}, "no header above"),
        ({"B1": "Amount", "B2": "=SUM(B1:B1)"}, "header only, no data"),
        (amounts() | {"C10": "=SUM(B2:B8)"}, "total in another column"),
    ],
)
def test_ranges_matching_their_block_are_not_flagged(cells, reason):
    cells = {a: v for a, v in cells.items() if v is not None}
    assert found(cells, "omitted-adjacent-cells") == [], reason


# confidence


@pytest.mark.parametrize(
    ("agreeing", "totals_row", "outliers", "expected"),
    [
        (3, False, 1, 0.64),
        (10, False, 1, 0.85),
        (20, False, 1, 0.85),  # run size counts up to +0.3
        (6, True, 1, 0.83),
        (6, False, 2, 0.63),
    ],
)
def test_run_confidence_grows_with_agreeing_copies_and_totals_rows(
    agreeing, totals_row, outliers, expected
):
    cells = tuple(SheetCell(i, i + 1, 1, "=R[-1]C") for i in range(agreeing + outliers))
    run = FormulaRun(True, "=R[-1]C", cells, cells[:outliers])
    assert run_confidence(0.55, run, totals_row) == expected


def test_min_confidence_drops_less_confident_findings_from_the_report():
    cells = column("=B{r}*C{r}", range(2, 6)) | {"D4": 12}  # confidence 0.74
    assert [
        len(found(cells, "constant-in-formula-run", AuditConfig(min_confidence=limit)))
        for limit in (0.74, 0.75)
    ] == [1, 0]


def test_single_cell_in_an_aggregate_is_not_a_range_that_starts_late():
    cells = {"A3": "SKU-1", "B3": 4, "C3": 5, "D3": 6, "I3": "=SUM(#REF!,D3)"}
    assert found(cells, "omitted-adjacent-cells") == []


def test_formula_only_input_still_gets_run_findings_without_value_rules():
    formulas = order_table() | {"D5": "=B5*C6", "D8": "=B8+C8"}
    only = {a: v for a, v in formulas.items() if isinstance(v, str) and v.startswith("=")}
    rule_ids = sorted(f.rule_id for f in audit(sheet(only)).findings)
    assert rule_ids == ["inconsistent-formula", "reference-slip"]


def activities(subtotal_label):
    """Hours (C) x rate (D) = cost (E) per activity, with a row summing the two above."""
    rows = (2, 3, 5, 6, 7, 8)
    return (
        {"A1": "Activity", "C1": "Hours", "D1": "Rate", "E1": "Cost"}
        | {f"A{r}": f"Activity {r}" for r in rows}
        | {f"C{r}": r for r in rows}
        | {f"D{r}": 50 for r in rows}
        | column("=C{r}*D{r}", rows, col="E")
        | {"A4": subtotal_label, "E4": "=SUM(E2:E3)"}
    )


def test_labelled_subtotal_inside_a_column_of_item_formulas_is_not_inconsistent():
    assert found(activities("Activity Subtotal"), "inconsistent-formula") == []


def test_column_total_in_an_item_row_of_item_formulas_is_inconsistent():
    [finding] = found(activities("Activity 4"), "inconsistent-formula")
    assert finding.cells == ("E4",)


def shares(share_in_totals_row):
    """Budget (B) and actual (C) per line, share D = C/B, and a totals row of SUMs."""
    rows = range(2, 7)
    cells = (
        {"A1": "Line", "B1": "Budget", "C1": "Actual", "D1": "Share"}
        | {f"A{r}": f"Line {r}" for r in rows}
        | {f"B{r}": 100 * r for r in rows}
        | {f"C{r}": 90 * r for r in rows}
        | column("=C{r}/B{r}", rows)
        | {"A8": "Total", "B8": "=SUM(B2:B6)", "C8": "=SUM(C2:C6)", "E8": "=SUM(E2:E6)"}
    )
    cells["D8"] = "=C8/B8" if share_in_totals_row else "=C8-B8"
    return cells


def test_share_column_crossing_a_totals_row_past_a_blank_keeps_its_formula():
    assert found(shares(share_in_totals_row=True), "inconsistent-formula") == []


def test_cell_following_neither_its_row_nor_its_column_is_inconsistent():
    [finding] = found(shares(share_in_totals_row=False), "inconsistent-formula")
    assert finding.cells == ("D8",)


# adjusted-copy


def grades(odd_row=None, odd=None):
    """Scores in B, weighted scores =B*0.35 in C, one copy replaced by `odd`."""
    rows = range(2, 10)
    cells = {"A1": "Student", "B1": "Score", "C1": "Weighted"}
    cells |= {f"A{r}": f"Student {r}" for r in rows} | {f"B{r}": 60 + r for r in rows}
    cells |= {f"C{r}": f"=B{r}*0.35" for r in rows}
    if odd_row is not None:
        cells[f"C{odd_row}"] = odd
    return cells


def test_copy_with_a_number_added_is_an_adjusted_copy_error():
    [finding] = found(grades(5, "=B5*0.35+3"), "adjusted-copy")
    assert (finding.cells, finding.severity, finding.confidence) == (("C5",), Severity.ERROR, 0.85)
    assert finding.suggested_formula("C5") == "=B5*0.35"


def test_adjusted_copy_names_the_typed_in_number_and_its_copies():
    [finding] = found(grades(5, "=B5*0.35-12.5"), "adjusted-copy")
    assert finding.message.startswith(
        "C5 is the formula of the 7 copies around it in its column with the typed-in -12.5 added"
    )


def test_adjusted_copy_is_not_also_an_inconsistent_formula():
    assert found(grades(5, "=B5*0.35+3"), "inconsistent-formula") == []


def test_copy_adjusted_along_a_row_is_an_adjusted_copy():
    cells = {"A1": "Net", **{f"{c}1": f"={c}2-{c}3" for c in "BCDEF"}, "D1": "=D2-D3-14"}
    cells |= {f"{c}{r}": 10.0 * r for c in "BCDEF" for r in (2, 3)}
    [finding] = found(cells, "adjusted-copy")
    assert finding.cells == ("D1",)


def test_copy_with_one_added_is_not_an_adjusted_copy():
    assert found(grades(5, "=B5*0.35+1"), "adjusted-copy") == []


def test_copy_with_another_factor_is_not_an_adjusted_copy():
    assert found(grades(5, "=B5*0.4"), "adjusted-copy") == []


def test_adjusted_copy_falls_back_to_inconsistent_formula_when_switched_off():
    config = AuditConfig(disabled_rules=frozenset({"adjusted-copy"}))
    [finding] = found(grades(5, "=B5*0.35+3"), "inconsistent-formula", config)
    assert finding.cells == ("C5",)


@pytest.mark.parametrize(
    ("pattern", "shape", "expected"),
    [
        ("=RC[-1]*0.35", "=RC[-1]*0.35+3", [3.0]),
        ("=RC[-1]", "=RC[-1]+7800+121200", [7800.0, 121200.0]),
        ("=RC[-1]-RC[-2]", "=RC[-1]-RC[-2] - 0.5", [-0.5]),
        ("=RC[-1]", "=RC[-1]+1-5", [1.0, -5.0]),
    ],
)
def test_added_literals_are_the_terms_after_the_copies_formula(pattern, shape, expected):
    assert added_literals(pattern, shape) == expected


@pytest.mark.parametrize(
    ("pattern", "shape", "reason"),
    [
        ("=RC[-1]", "=RC[-1]+1", "a counter or an offset"),
        ("=RC[-1]*0.35", "=RC[-1]*0.4", "another factor"),
        ("=RC[-1]-0.35", "=RC[-1]+3", "a literal replaced, not added"),
        ("=RC[-1]", "=RC[-2]+3", "a reference moved as well"),
        ("=RC[-1]", "=RC[-1]*3", "a multiplication"),
    ],
)
def test_added_literals_are_none_when_more_than_a_plug_differs(pattern, shape, reason):
    assert added_literals(pattern, shape) is None, reason
