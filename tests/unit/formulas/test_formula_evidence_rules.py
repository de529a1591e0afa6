"""Risks reported only where the values show them, and external links once per workbook."""

from sheetbrain.formulas import CellInput, Severity, audit


def found(cells, rule_id):
    return [f for f in audit(cells, sheet="S").findings if f.rule_id == rule_id]


SHARES = [
    CellInput("A2", None, 10.0),
    CellInput("A3", None, 30.0),
    CellInput("B2", None, 40.0),
    CellInput("B3", None, 0.0),
    CellInput("C2", "=A2/B2", 0.25),
    CellInput("C3", "=A3/B3", "#DIV/0!"),
]


def test_division_is_reported_where_the_denominator_is_zero_with_a_guard():
    [finding] = found(SHARES, "unguarded-division")
    assert (finding.cells, finding.severity, finding.suggested_formula("C3")) == (
        ("C3",),
        Severity.WARNING,
        '=IF(B3=0,"",A3/B3)',
    )
    assert finding.message == (
        "Divides by B3 in C3, which is zero or blank there: the cell shows #DIV/0!"
    )


def test_division_whose_denominators_all_hold_numbers_is_not_reported():
    cells = [*SHARES[:3], CellInput("B3", None, 5.0), SHARES[4], CellInput("C3", "=A3/B3", 6.0)]
    assert found(cells, "unguarded-division") == []


def test_cached_div0_is_evidence_even_when_the_denominator_is_not_audited():
    cells = [CellInput("C2", "=A2/B2", 0.5), CellInput("C3", "=A3/B3", "#DIV/0!")]
    [finding] = found(cells, "unguarded-division")
    assert finding.cells == ("C3",)


def test_division_without_any_values_is_not_reported():
    cells = [CellInput(f"C{r}", f"=A{r}/SUM(B1:B9)") for r in range(2, 6)]
    assert found(cells, "unguarded-division") == []


def test_lookup_showing_na_is_a_warning_naming_the_cells():
    cells = [
        CellInput("B2", "=VLOOKUP(A2,Rates!A:B,2,FALSE)", 1.5),
        CellInput("B3", "=VLOOKUP(A3,Rates!A:B,2,FALSE)", "#N/A"),
    ]
    [finding] = found(cells, "lookup-not-found")
    assert (finding.cells, finding.severity) == (("B3",), Severity.WARNING)
    assert finding.message.startswith("VLOOKUP finds no match in B3, which show #N/A")


def test_handled_lookup_showing_a_fallback_is_not_reported():
    cells = [CellInput("B3", '=IFNA(VLOOKUP(A3,Rates!A:B,2,FALSE),"")', "")]
    assert found(cells, "lookup-not-found") == []


def test_external_links_are_one_info_finding_per_workbook():
    cells = [
        CellInput("A1", "=[1]Rates!B2*2"),
        CellInput("A2", "=[1]Rates!B3+[2]Fx!A1"),
        CellInput("A3", "=[1]Rates!B4*2"),
    ]
    findings = found(cells, "unguarded-external-reference")
    assert [(f.cells, f.severity) for f in findings] == [
        (("A1", "A2", "A3"), Severity.INFO),
        (("A2",), Severity.INFO),
    ]
    assert findings[0].message.startswith("3 formulas depend on the workbook '1'")


def test_division_by_formulas_whose_values_were_not_sent_is_not_reported():
    # the subtotals' results are unknown, not blank: nothing shows their sum is zero
    cells = [
        CellInput("A2", None, 10.0),
        CellInput("A3", None, 30.0),
        CellInput("A4", "=SUM(A2:A3)"),
        CellInput("B4", "=A2/A4"),
    ]
    assert found(cells, "unguarded-division") == []


def test_division_by_a_zero_the_cells_compute_says_the_cell_would_show_div0():
    cells = [CellInput("A2", None, 0.0), CellInput("B2", None, 5.0), CellInput("C2", "=B2/A2")]
    [finding] = found(cells, "unguarded-division")
    assert finding.message == (
        "Divides by A2 in C2, which is zero or blank there: the cell would show #DIV/0!"
    )
