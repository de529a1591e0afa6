"""Property: no formula text, however broken, makes `audit` raise."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetbrain.formulas import CellInput, audit

PIECES = [
    "A1",
    "$B$2",
    "C:C",
    "1:1",
    "Sheet1!",
    "'x y'!",
    "[1]",
    "SUM(",
    "IF(",
    "VLOOKUP(",
    "(",
    ")",
    "{",
    "}",
    ",",
    ";",
    ":",
    "+",
    "-",
    "*",
    "/",
    "^",
    "&",
    "%",
    "=",
    "<>",
    " ",
    '"',
    '"text"',
    "#REF!",
    "#N/A",
    "1",
    "0.5",
    "1E+3",
    "TRUE",
    "Table1[Col]",
    "[",
    "]",
    "@",
    "#",
    "!",
    "'",
]

formula_texts = st.lists(st.sampled_from(PIECES), max_size=12).map(lambda p: "=" + "".join(p))
mutated = st.tuples(
    st.sampled_from(["=SUM(A1:A10)", "=VLOOKUP(B2, Sheet1!A:B, 2, FALSE)", '=IF(A1>0,"y",B1/C1)']),
    st.integers(0, 40),
    st.text(max_size=3),
).map(lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :])
addresses = st.sampled_from(["A1", "B2", "XFD1048576", None, "bogus", "C3"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(addresses, st.one_of(formula_texts, mutated, st.text(max_size=20))), max_size=6
    )
)
def test_audit_never_raises_on_arbitrary_formula_text(cells):
    report = audit([CellInput(address, formula) for address, formula in cells])
    assert report.formula_count <= len(cells)


@pytest.mark.parametrize(
    ("formula", "reason"),
    [
        ("=" + "(" * 600 + "1" + ")" * 600, "nested deeper than 200 levels"),
        ("=" + "-" * 3000 + "1", "nested deeper than 200 levels"),
        ("=" + "+".join(["A2"] * 4000), "nested deeper than 500 levels"),
    ],
    ids=["deep_parentheses", "long_negation_chain", "four_thousand_terms"],
)
def test_pathologically_deep_formula_is_a_parse_error_not_a_crash(formula, reason):
    [shape] = audit([CellInput("B1", formula)]).shapes
    assert shape.parse_error == reason


def test_long_but_reasonable_operator_chain_is_analysed():
    report = audit([CellInput("B1", "=" + "+".join(f"A{r}" for r in range(2, 402)))])
    assert (report.shapes[0].parse_error, report.findings) == (None, ())
