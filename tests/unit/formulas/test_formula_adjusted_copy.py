"""adjusted-copy: a copy of its run's formula with a typed-in number added or subtracted."""

import pytest

from sheetbrain.formulas import AuditConfig, CellInput, Severity, audit
from sheetbrain.formulas.rules.constants import added_literals


def sheet(cells):
    """{address: formula | number | text} -> CellInputs."""
    return [
        CellInput(a, v, None) if isinstance(v, str) and v.startswith("=") else CellInput(a, None, v)
        for a, v in cells.items()
    ]


DEFAULTS = AuditConfig()


def findings(cells, rule_id, config=DEFAULTS):
    return [f for f in audit(sheet(cells), config).findings if f.rule_id == rule_id]


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
    [finding] = findings(grades(5, "=B5*0.35+3"), "adjusted-copy")
    assert (finding.cells, finding.severity, finding.confidence) == (("C5",), Severity.ERROR, 0.85)
    assert finding.suggested_formula("C5") == "=B5*0.35"


def test_adjusted_copy_names_the_typed_in_number_and_its_copies():
    [finding] = findings(grades(5, "=B5*0.35-12.5"), "adjusted-copy")
    assert finding.message.startswith(
        "C5 is the formula of the 7 copies around it in its column with the typed-in -12.5 added"
    )


def test_adjusted_copy_is_not_also_an_inconsistent_formula():
    assert findings(grades(5, "=B5*0.35+3"), "inconsistent-formula") == []


def test_copy_adjusted_along_a_row_is_an_adjusted_copy():
    cells = {"A1": "Net", **{f"{c}1": f"={c}2-{c}3" for c in "BCDEF"}, "D1": "=D2-D3-14"}
    cells |= {f"{c}{r}": 10.0 * r for c in "BCDEF" for r in (2, 3)}
    [finding] = findings(cells, "adjusted-copy")
    assert finding.cells == ("D1",)


def test_copy_with_one_added_is_not_an_adjusted_copy():
    assert findings(grades(5, "=B5*0.35+1"), "adjusted-copy") == []


def test_copy_with_another_factor_is_not_an_adjusted_copy():
    assert findings(grades(5, "=B5*0.4"), "adjusted-copy") == []


def test_adjusted_copy_falls_back_to_inconsistent_formula_when_switched_off():
    config = AuditConfig(disabled_rules=frozenset({"adjusted-copy"}))
    [finding] = findings(grades(5, "=B5*0.35+3"), "inconsistent-formula", config)
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
