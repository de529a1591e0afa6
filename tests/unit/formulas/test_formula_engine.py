"""The public `audit` API: grouping by shape, counts, per-cell lookup, config switches."""

import pytest

from sheetbrain.formulas import (
    AuditConfig,
    CellInput,
    Severity,
    audit,
    rule_catalog,
)

COPIED = [CellInput(f"C{r}", f"=A{r}*B{r}") for r in range(1, 101)]


def test_copied_formulas_form_one_shape():
    report = audit(COPIED)
    [shape] = report.shapes
    assert (shape.shape, shape.representative_cell, len(shape.cells)) == (
        "=RC[-2]*RC[-1]",
        "C1",
        100,
    )


def test_a_shape_given_by_the_source_is_used_as_is():
    # an .xlsx shared formula names its group; the engine trusts it instead of deriving it
    cells = [CellInput(f"C{r}", f"=A{r}*B{r}", shape="=RC[-2]*RC[-1]") for r in range(1, 4)]
    cells.append(CellInput("C4", "=A4*B4", shape="given"))
    assert [shape.shape for shape in audit(cells).shapes] == ["=RC[-2]*RC[-1]", "given"]


def test_report_counts_formulas_shapes_and_flagged_cells():
    cells = [*COPIED, CellInput("D1", "=NOW()"), CellInput("E1", None, 5)]
    report = audit(cells)
    assert (report.formula_count, report.unique_shape_count, report.cells_with_findings) == (
        101,
        2,
        1,
    )


LOOKUPS = [CellInput(f"C{r}", f"=VLOOKUP(A{r},Rates!A:B,2,FALSE)") for r in range(1, 6)]


def test_one_finding_covers_every_copy_of_a_shape():
    [finding] = audit(LOOKUPS).findings
    assert finding.cells == ("C1", "C2", "C3", "C4", "C5")


def test_suggestion_is_rendered_for_each_copy():
    [finding] = audit(LOOKUPS[:3]).findings
    assert [finding.suggested_formula(c) for c in finding.cells] == [
        '=IFNA(VLOOKUP(A1,Rates!A:B,2,FALSE),"")',
        '=IFNA(VLOOKUP(A2,Rates!A:B,2,FALSE),"")',
        '=IFNA(VLOOKUP(A3,Rates!A:B,2,FALSE),"")',
    ]


def test_cell_report_looks_up_by_address_or_position():
    report = audit([CellInput("A1", "=1+1"), CellInput("B2", "=VLOOKUP(A1,C:D,2,FALSE)")])
    by_address, by_position = report.cell("$b$2"), report.cell(1)
    assert (by_address, by_address.severity, by_address.suggested_formula) == (
        by_position,
        Severity.INFO,
        '=IFNA(VLOOKUP(A1,C:D,2,FALSE),"")',
    )


def test_clean_cell_has_no_severity():
    assert audit([CellInput("A1", "=1+1")]).cell("A1").severity is None


def test_findings_are_sorted_most_severe_first():
    report = audit(
        [CellInput("A1", "=B1*1.5"), CellInput("A2", "=#REF!+1"), CellInput("A3", "=A3")]
    )
    assert [f.severity for f in report.findings] == sorted(
        (f.severity for f in report.findings), key=lambda s: -s.rank
    )


def test_formulas_without_addresses_are_audited_and_suggestions_stay_valid():
    lookup = "=VLOOKUP(A1,B:C,2,FALSE)"
    report = audit([CellInput(None, lookup), CellInput(None, lookup)])
    [finding] = report.findings
    assert (finding.cells, finding.cell_indices, finding.suggested_formula(None)) == (
        (),
        (0, 1),
        '=IFNA(VLOOKUP(A1,B:C,2,FALSE),"")',
    )


def test_malformed_formula_becomes_a_parse_error_finding():
    [finding] = audit([CellInput("A1", "=SUM(1,")]).findings
    assert (finding.rule_id, finding.severity, finding.message) == (
        "parse-error",
        Severity.ERROR,
        "Cannot parse the formula: unclosed function call (at character 8)",
    )


def test_value_cells_and_text_are_not_formulas():
    report = audit([CellInput("A1", None, 3), CellInput("A2", "SUM(A1)"), CellInput("A3", "")])
    assert (report.formula_count, report.findings) == (0, ())


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (AuditConfig(), {"volatile-function", "magic-number"}),
        (AuditConfig(disabled_rules=frozenset({"magic-number"})), {"volatile-function"}),
        (AuditConfig(disabled_tags=frozenset({"volatile"})), {"magic-number"}),
        (AuditConfig(enabled_rules=frozenset({"magic-number"})), {"magic-number"}),
    ],
    ids=["defaults", "rule_disabled", "tag_disabled", "allow_list"],
)
def test_config_switches_rules_by_id_and_tag(config, expected):
    report = audit([CellInput("A1", "=NOW()*1.07")], config)
    assert {f.rule_id for f in report.findings} == expected


def test_severity_override_applies():
    config = AuditConfig(severity_overrides={"volatile-function": Severity.ERROR})
    [finding] = audit([CellInput("A1", "=TODAY()")], config).findings
    assert finding.severity is Severity.ERROR


def test_progress_reports_reach_the_total():
    calls = []
    audit(COPIED, progress=lambda done, total: calls.append((done, total)))
    assert (calls[0], calls[-1]) == ((0, 100), (100, 100))


def test_rule_catalog_lists_unique_ids_with_tags():
    catalog = rule_catalog()
    assert len({r.rule_id for r in catalog}) == len(catalog) == 28
    assert all(r.tags for r in catalog)


def test_parsing_happens_once_per_shape(monkeypatch):
    import sheetbrain.formulas.engine as engine

    parsed = []
    original = engine.parse_formula
    monkeypatch.setattr(engine, "parse_formula", lambda f: parsed.append(f) or original(f))
    audit([CellInput(f"B{r}", f"=A{r}*2") for r in range(1, 1001)])
    assert parsed == ["=A1*2"]


def test_style_notes_below_the_minimum_severity_are_left_out():
    config = AuditConfig(min_severity=Severity.WARNING)
    assert audit([CellInput("A1", "=B1*1.175")], config).findings == ()


def test_a_policy_raising_a_style_rule_brings_it_back_above_the_minimum():
    config = AuditConfig(
        min_severity=Severity.WARNING, severity_overrides={"magic-number": Severity.WARNING}
    )
    [finding] = audit([CellInput("A1", "=B1*1.175")], config).findings
    assert (finding.rule_id, finding.severity) == ("magic-number", Severity.WARNING)
