"""Per-shape rules: each has positive and negative cases, run through the public `audit`."""

import pytest

from sheetbrain.formulas import AuditConfig, CellInput, Severity, audit, parse_formula
from sheetbrain.formulas.nodes import render
from sheetbrain.formulas.rules.division import unguarded_divisions

DEFAULTS = AuditConfig()


def findings(formula, config=DEFAULTS, sheet=None, address="C5"):
    return audit([CellInput(address, formula)], config, sheet=sheet).findings


def flags(rule_id, formula, **kwargs):
    return any(f.rule_id == rule_id for f in findings(formula, **kwargs))


def case(rule_id, formula, expected, name):
    return pytest.param(rule_id, formula, expected, id=f"{rule_id}:{name}")


CASES = [
    case("volatile-function", "=NOW()-A1", True, "now"),
    case("volatile-function", "=SUM(OFFSET(A1,0,0,5,1))", True, "offset"),
    case("volatile-function", '=INDIRECT("A"&B1)', True, "indirect"),
    case("volatile-function", "=RANDBETWEEN(1,6)", True, "randbetween"),
    case("volatile-function", "=SUM(A1:A5)", False, "sum"),
    case("volatile-function", '="NOW()"&A1', False, "name_inside_text"),
    case("nesting-depth", "=IF(A1,IF(B1,IF(C1,IF(D1,1,2),3),4),5)", True, "four_ifs"),
    case("nesting-depth", "=ROUND(SUM(IF(A1:A5>0,A1:A5)),2)", False, "three_levels"),
    case("lookup-without-error-handling", "=VLOOKUP(A1,B:C,2,FALSE)", True, "bare_vlookup"),
    case("lookup-without-error-handling", "=INDEX(B:B,MATCH(A1,C:C,0))", True, "index_match"),
    case("lookup-without-error-handling", "=XLOOKUP(A1,B:B,C:C)", True, "xlookup_no_default"),
    case("lookup-without-error-handling", '=FILTER(A1:A9,B1:B9="x")', True, "filter_no_default"),
    case("lookup-without-error-handling", '=IFERROR(VLOOKUP(A1,B:C,2,0),"")', False, "iferror"),
    case("lookup-without-error-handling", "=IFNA(INDEX(B:B,MATCH(A1,C:C,0)),0)", False, "ifna"),
    case("lookup-without-error-handling", '=XLOOKUP(A1,B:B,C:C,"none")', False, "xlookup_default"),
    case("lookup-without-error-handling", "=ISNUMBER(MATCH(A1,B:B,0))", False, "membership_test"),
    case(
        "lookup-without-error-handling",
        '=IF(COUNTIF(B:B,A1),VLOOKUP(A1,B:C,2,0),"")',
        False,
        "countif_guard",
    ),
    case(
        "lookup-without-error-handling",
        '=IF(ISNA(MATCH(A1,B:B,0)),"",INDEX(C:C,MATCH(A1,B:B,0)))',
        False,
        "isna_guard",
    ),
    case("approximate-lookup", "=IFNA(VLOOKUP(A1,B:C,2),0)", True, "omitted"),
    case("approximate-lookup", "=IFNA(HLOOKUP(A1,B1:Z2,2,TRUE),0)", True, "explicit_true"),
    case("approximate-lookup", "=IFNA(INDEX(B:B,MATCH(A1,C:C)),0)", True, "match_omitted"),
    case("approximate-lookup", "=IFNA(VLOOKUP(A1,B:C,2,FALSE),0)", False, "exact"),
    case("approximate-lookup", "=IFNA(VLOOKUP(A1,B:C,2,0),0)", False, "exact_zero"),
    case("approximate-lookup", "=IFNA(MATCH(A1,C:C,1),0)", False, "match_explicit_sorted"),
    case("whole-column-reference", "=SUMPRODUCT(A:A*B:B)", True, "sumproduct_columns"),
    case("whole-column-reference", "=SUM(A:A*2)", True, "arithmetic_on_column"),
    case("whole-column-reference", "=SUMPRODUCT((1:1>0)*1)", True, "whole_row"),
    case("whole-column-reference", '=SUMIF(A:A,"x",B:B)', False, "sumif_uses_used_range"),
    case("whole-column-reference", "=IFNA(VLOOKUP(A1,Sheet1!A:B,2,FALSE),0)", False, "vlookup"),
    case("magic-number", "=A1*1.175", True, "tax_factor"),
    case("magic-number", "=IF(A1>5000,A1*0.05,0)", True, "threshold_and_rate"),
    case("magic-number", "=A1*17.5%", True, "percentage"),
    case("magic-number", "=A1*12+B1/100-1", False, "conventional_factors"),
    case("magic-number", "=IFNA(VLOOKUP(A1,B:F,5,FALSE),0)", False, "column_index"),
    case("magic-number", "=ROUND(A1,3)", False, "round_digits"),
    case("magic-number", "=DATE(2024,3,31)", False, "date_parts"),
    case("magic-number", '=IF(A1=3,"March","")', False, "category_code"),
    case("magic-number", "=SUM({3,5,8})", False, "array_constant_data"),
    case("magic-number", "=LEFT(A1,4)&MID(A1,6,3)", False, "text_positions"),
    case("broken-reference", "=SUM(#REF!)", True, "ref_literal"),
    case("broken-reference", "=Sheet2!#REF!*2", True, "deleted_sheet_cell"),
    case("broken-reference", '=IFERROR(A1,"#REF!")', False, "text_mentioning_ref"),
    case("error-literal", "=IF(A1,#DIV/0!,1)", True, "div0_literal"),
    case("error-literal", "=IF(A1,NA(),1)", False, "na_function"),
    case("unguarded-external-reference", "=[1]Rates!B2*A1", True, "indexed_workbook"),
    case("unguarded-external-reference", "='C:\\fx\\[Rates.xlsx]EUR'!B2", True, "path_workbook"),
    case("unguarded-external-reference", "=IFERROR([1]Rates!B2,0)", False, "wrapped"),
    case("unguarded-external-reference", "=Rates!B2", False, "same_workbook"),
    case("array-aggregate", "=SUM(IF(A1:A9>3,B1:B9))", True, "sum_if"),
    case("array-aggregate", '=SUM(IF(A1:A9="x",1,0))', True, "count_if"),
    case("array-aggregate", '=SUMPRODUCT((A1:A9="x")*(B1:B9))', True, "sumproduct_one_condition"),
    case("array-aggregate", "=SUMPRODUCT(--(A1:A9>D1),--(B1:B9<5))", True, "double_negation"),
    case("array-aggregate", "=SUMPRODUCT(A1:A9,B1:B9)", False, "dot_product"),
    case("array-aggregate", "=SUMPRODUCT((YEAR(A1:A9)=2024)*B1:B9)", False, "function_on_range"),
    case("array-aggregate", "=SUM(IF(A1:A9>0,A1:A9*B1:B9))", False, "computed_values"),
    case("if-chain", '=IF(A1="a",1,IF(A1="b",2,IF(A1="c",3,0)))', True, "equality_chain"),
    case("if-chain", '=IF(A1>90,"A",IF(A1>80,"B",IF(A1>70,"C","D")))', True, "threshold_chain"),
    case("if-chain", '=IF(A1="a",1,IF(A1="b",2,0))', False, "two_links"),
    case("if-chain", '=IF(A1="a",1,IF(B1="b",2,IF(C1="c",3,0)))', False, "different_subjects"),
    case("hard-coded-adjustment", "=SUM(E10:E22)-1000", True, "total_minus_a_plug"),
    case("hard-coded-adjustment", "=SUM(D18-F18)+500", True, "plug_inside_the_sum"),
    case("hard-coded-adjustment", "=SUM(C9:C12)-(40+60)", True, "parenthesised_plug"),
    case("hard-coded-adjustment", "=SUM(C9:C12)+C13", False, "cells_only"),
    case("hard-coded-adjustment", "=SUM(C9:C12)-1", False, "off_by_one"),
    case("hard-coded-adjustment", "=G12-15.63", False, "no_total"),
    case("hard-coded-adjustment", "=SUM(C9:C12)*1.2", False, "factor_not_adjustment"),
    case("operator-precedence", "=D70-C70/C70", True, "growth_without_parentheses"),
    case("operator-precedence", "=(D70-C70)/C70", False, "growth_with_parentheses"),
    case("operator-precedence", "=D70-C70/D69", False, "different_divisor"),
]


@pytest.mark.parametrize(("rule_id", "formula", "expected"), CASES)
def test_rule_flags_only_what_it_should(rule_id, formula, expected):
    assert flags(rule_id, formula) is expected


# which divisions could fail: the unguarded-division rule then asks the values
DIVISIONS = {
    "cell_denominator": ("=A1/B1", ["B1"]),
    "sum_denominator": ("=A1/SUM(B1:B9)", ["SUM(B1:B9)"]),
    "difference_denominator": ("=(A1-B1)/(C1-D1)", ["(C1-D1)"]),
    "named_denominator": ("=A1/Units", ["Units"]),
    "constant_denominator": ("=A1/2", []),
    "growth_factor": ("=A1/(1+B1)", []),
    "if_zero_guard": ('=IF(B1=0,"",A1/B1)', []),
    "if_nonzero_guard": ("=IF(B1<>0,A1/B1,0)", []),
    "iferror": ("=IFERROR(A1/B1,0)", []),
    "if_on_same_sum": ("=IF(SUM(B1:B9),A1/SUM(B1:B9),0)", []),
}


@pytest.mark.parametrize(("formula", "denominators"), DIVISIONS.values(), ids=DIVISIONS.keys())
def test_unguarded_divisions_are_those_by_a_cell_or_sum_without_a_guard(formula, denominators):
    found = unguarded_divisions(parse_formula(formula))
    assert [render(division.right) for division in found] == denominators


SUGGESTIONS = {
    "lookup_wrapped_in_ifna": (
        "lookup-without-error-handling",
        "=VLOOKUP(A5,B:C,2,FALSE)",
        '=IFNA(VLOOKUP(A5,B:C,2,FALSE),"")',
    ),
    "xlookup_gets_default": (
        "lookup-without-error-handling",
        "=XLOOKUP(A5,B:B,C:C)",
        '=XLOOKUP(A5,B:B,C:C,"")',
    ),
    "vlookup_gets_false": (
        "approximate-lookup",
        "=IFNA(VLOOKUP(A5,B:C,2),0)",
        "=IFNA(VLOOKUP(A5,B:C,2,FALSE),0)",
    ),
    "match_gets_zero": ("approximate-lookup", "=IFNA(MATCH(A5,B:B),0)", "=IFNA(MATCH(A5,B:B,0),0)"),
    "precedence_parenthesised": (
        "operator-precedence",
        "=D70-C70/C70",
        "=(D70-C70)/C70",
    ),
    "sumifs_from_sum_if": (
        "array-aggregate",
        "=SUM(IF(A1:A9>3,B1:B9))",
        '=SUMIFS(B1:B9,A1:A9,">3")',
    ),
    "sumifs_from_sumproduct": (
        "array-aggregate",
        '=SUMPRODUCT((A1:A9="x")*(B1:B9>=$D$1)*C1:C9)',
        '=SUMIFS(C1:C9,A1:A9,"x",B1:B9,">="&$D$1)',
    ),
    "countifs_from_sumproduct": (
        "array-aggregate",
        "=SUMPRODUCT(--(5<A1:A9))",
        '=COUNTIFS(A1:A9,">5")',
    ),
    "switch_for_equalities": (
        "if-chain",
        '=IF($A5="a",1,IF($A5="b",2,IF($A5="c",3,0)))',
        '=SWITCH($A5,"a",1,"b",2,"c",3,0)',
    ),
    "ifs_for_thresholds": (
        "if-chain",
        '=IF(A5>90,"A",IF(A5>80,"B",IF(A5>70,"C")))',
        '=IFS(A5>90,"A",A5>80,"B",A5>70,"C")',
    ),
}


@pytest.mark.parametrize(
    ("rule_id", "formula", "suggestion"), SUGGESTIONS.values(), ids=SUGGESTIONS.keys()
)
def test_rule_suggests_a_formula_for_the_cell(rule_id, formula, suggestion):
    [finding] = [f for f in findings(formula) if f.rule_id == rule_id]
    assert finding.suggested_formula("C5") == suggestion


def test_lookup_inside_arithmetic_gets_a_hint_but_no_rewrite():
    [finding] = [
        f
        for f in findings("=VLOOKUP(A1,B:C,2,0)*2")
        if f.rule_id == "lookup-without-error-handling"
    ]
    assert finding.suggested_formula("C5") is None


def test_nesting_limit_comes_from_the_config():
    formula = "=IF(A1,IF(B1,IF(C1,1,2),3),4)"
    assert (
        flags("nesting-depth", formula),
        flags("nesting-depth", formula, config=AuditConfig(max_nesting=2)),
    ) == (False, True)


def test_explicit_true_approximate_match_is_only_info():
    [finding] = [
        f for f in findings("=IFNA(VLOOKUP(A1,B:C,2,TRUE),0)") if f.rule_id == "approximate-lookup"
    ]
    assert finding.severity is Severity.INFO


def test_magic_number_lists_each_constant_once():
    [finding] = [f for f in findings("=A1*1.175+B1*1.175+C1*0.3") if f.rule_id == "magic-number"]
    assert finding.message.startswith("Hard-coded constants 1.175, 0.3:")


NAMED = AuditConfig(named_ranges={"TaxRate": "Inputs!$B$2", "Fx": "$C$1"})


@pytest.mark.parametrize(
    ("formula", "sheet", "suggestion"),
    [
        ("=A5*Inputs!$B$2", None, "=A5*TaxRate"),
        ("=A5*$B$2", "Inputs", "=A5*TaxRate"),
        ("=A5*$C$1+Inputs!$B$2", "Main", "=A5*Fx+TaxRate"),
    ],
)
def test_absolute_reference_to_a_named_cell_suggests_the_name(formula, sheet, suggestion):
    [finding] = [
        f
        for f in findings(formula, config=NAMED, sheet=sheet)
        if f.rule_id == "absolute-reference-has-name"
    ]
    assert finding.suggested_formula("C5") == suggestion


@pytest.mark.parametrize(
    ("formula", "sheet"),
    [
        ("=A5*$B$2", "Main"),
        ("=A5*B2", "Inputs"),
        ("=A5*Inputs!$B$3", None),
    ],
)
def test_reference_that_is_not_the_named_cell_is_not_flagged(formula, sheet):
    assert not flags("absolute-reference-has-name", formula, config=NAMED, sheet=sheet)


def test_named_range_rule_needs_names():
    assert not flags("absolute-reference-has-name", "=A5*Inputs!$B$2")


def test_hard_coded_adjustment_names_each_plug_with_its_sign():
    [finding] = [
        f for f in findings("=SUM(E10:E22)-1000+250") if f.rule_id == "hard-coded-adjustment"
    ]
    assert (finding.severity, finding.message) == (
        Severity.ERROR,
        "Adjusts its result by the typed-in -1000, +250: the total no longer follows its "
        "inputs, and nobody reading the sheet sees why",
    )
