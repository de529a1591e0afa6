"""Region inference: runs of copied formulas, their outliers, labels, headers, totals rows."""

import pytest

from sheetbrain.formulas import AuditConfig
from sheetbrain.formulas.references import parse_address
from sheetbrain.formulas.regions import Regions, SheetCell, edited_copy, formula_runs
from sheetbrain.formulas.shapes import shape_at


def grid(cells):
    """{address: formula | number | text} -> (numbers and formulas by position, labels)."""
    located, labels = {}, {}
    for index, (address, content) in enumerate(cells.items()):
        position = parse_address(address)
        if isinstance(content, str) and content.startswith("="):
            located[position] = SheetCell(index, *position, shape_at(content, address))
        elif isinstance(content, str):
            labels[position] = content
        else:
            located[position] = SheetCell(index, *position, None, float(content))
    return located, labels


MIN_RUN = AuditConfig().min_consistent_run


def regions(cells, min_run=MIN_RUN):
    return Regions(*grid(cells), min_run)


def column(template, rows, col="C"):
    return {f"{col}{r}": template.format(r=r) for r in rows}


def line_of(cells):
    located, _ = grid(cells)
    return [located[p] for p in sorted(located)]


def addresses(cells):
    return [cell.address for cell in cells]


@pytest.mark.parametrize(
    ("overrides", "outliers"),
    [
        ({}, []),
        ({"C5": 42}, ["C5"]),
        ({"C5": "=A5+B5"}, ["C5"]),
        ({"C5": 1, "C6": "=A6+B6"}, ["C5", "C6"]),
        ({"C4": 1, "C7": 2}, ["C4", "C7"]),
    ],
)
def test_run_down_a_column_keeps_up_to_two_outliers_inside_it(overrides, outliers):
    [run] = formula_runs(line_of(column("=A{r}*B{r}", range(2, 10)) | overrides), True, 3)
    assert (addresses(run.cells), addresses(run.outliers)) == (
        [f"C{r}" for r in range(2, 10)],
        outliers,
    )


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (column("=A{r}*B{r}", range(2, 4)), "two copies are below the minimum run"),
        (column("={r}", range(2, 9)), "every formula has its own shape"),
        ({f"C{r}": r for r in range(2, 9)}, "numbers only"),
    ],
)
def test_no_run_is_found_without_enough_copies(cells, reason):
    assert list(formula_runs(line_of(cells), True, 3)) == [], reason


def test_three_outliers_in_a_row_end_the_run_before_them():
    cells = column("=A{r}*B{r}", range(2, 12)) | {"C6": 1, "C7": 2, "C8": 3}
    runs = list(formula_runs(line_of(cells), True, 3))
    assert [(addresses(r.cells)[0], addresses(r.cells)[-1], r.outliers) for r in runs] == [
        ("C2", "C5", ()),
        ("C9", "C11", ()),
    ]


def test_outlier_at_the_end_of_a_line_is_not_part_of_the_run():
    [run] = formula_runs(line_of(column("=A{r}*B{r}", range(2, 8)) | {"C8": 5}), True, 3)
    assert (addresses(run.cells)[-1], run.outliers) == ("C7", ())


def test_outliers_must_be_outnumbered_two_to_one():
    cells = column("=A{r}*B{r}", range(2, 7)) | {"C3": 1, "C5": 2}
    assert list(formula_runs(line_of(cells), True, 2)) == []


def test_runs_are_found_along_rows_as_well_as_columns():
    cells = {f"{c}10": f"=SUM({c}2:{c}9)" for c in "BCDEFG"}
    [run] = regions(cells).runs
    assert (run.vertical, run.direction, run.agreeing) == (False, "row", 6)


def test_run_neighbours_skip_other_outliers():
    cells = column("=A{r}*B{r}", range(2, 10)) | {"C5": 1, "C6": 2}
    [run] = regions(cells).runs
    before, after = run.neighbours(next(c for c in run.cells if c.address == "C5"))
    assert (before.address, after.address) == ("C4", "C7")


def test_outlier_matching_its_row_neighbours_is_not_reported():
    # a totals row crossing a column of copies follows the row's pattern
    cells = (
        column("=A{r}*B{r}", range(2, 10))
        | column("=A{r}*E{r}", range(2, 10), "D")
        | {"C6": "=SUM(C2:C5)", "D6": "=SUM(D2:D5)", "B6": "=SUM(B2:B5)"}
    )
    assert [cell.address for _, cell in regions(cells).outliers] == []


@pytest.mark.parametrize(("label", "reported"), [("Total", ["E8"]), ("Forecast", [])])
def test_number_between_numbers_breaks_a_row_run_only_in_a_totals_row(label, reported):
    cells = (
        {f"{c}{r}": r for c in "BCDEFGH" for r in range(2, 10)}
        | {"A8": label}
        | {f"{c}8": f"=SUM({c}2:{c}7)" for c in "BCDEFGH"}
        | {"E8": 99}
    )
    assert [cell.address for _, cell in regions(cells).outliers] == reported


def test_outlier_in_both_a_column_and_a_row_run_is_reported_once():
    cells = {f"{c}{r}": f"={c}1*{r}" for c in "BCDEF" for r in range(2, 7)}
    cells = {a: f"=$A{a[1:]}*{a[0]}$1" for a in cells} | {"D4": 7}
    assert [cell.address for _, cell in regions(cells).outliers] == ["D4"]


@pytest.mark.parametrize(
    ("label", "totals"),
    [
        ("Total", True),
        ("Subtotal Q1", True),
        ("Grand total", True),
        ("Sum", True),
        ("Summe", True),
        ("Totally new products", False),
        ("Summer sales", False),
        ("Revenue", False),
    ],
)
def test_totals_rows_are_recognised_by_their_label(label, totals):
    assert regions({"A9": label, "B9": "=SUM(B2:B8)"}).is_totals_row(9) is totals


@pytest.mark.parametrize(
    ("cells", "position", "vertical", "start", "header"),
    [
        (
            {"B1": "Amount"} | {f"B{r}": r for r in range(2, 6)} | {"B6": "=SUM(B2:B5)"},
            (6, 2),
            True,
            (2, 2),
            (1, 2),
        ),
        ({"A3": "Rent"} | {f"{c}3": 5 for c in "BCDE"}, (3, 5), False, (3, 2), (3, 1)),
        ({f"B{r}": r for r in range(1, 6)}, (5, 2), True, (1, 2), None),
        ({"B1": "Amount"} | {f"B{r}": r for r in range(3, 6)}, (5, 2), True, (3, 2), None),
    ],
    ids=["column under a header", "row after its label", "no label", "blank under label"],
)
def test_blocks_start_after_their_header(cells, position, vertical, start, header):
    found = regions(cells)
    assert (found.block_start(position, vertical), found.header_of(position, vertical)) == (
        start,
        header,
    )


def test_run_of_maps_pattern_cells_but_not_outliers():
    cells = column("=A{r}*B{r}", range(2, 9)) | {"C5": 3}
    found = regions(cells)
    assert ((4, 3) in found.run_of, (5, 3) in found.run_of) == (True, False)


def test_edited_copies_at_the_end_of_a_run_are_its_outliers():
    cells = column("=A{r}*B{r}", range(2, 9)) | {"C9": "=A9*B8", "C10": "=A10*B9"}
    [run] = formula_runs(line_of(cells), True, 3)
    assert addresses(run.outliers) == ["C9", "C10"]


def test_a_total_of_another_kind_below_a_run_is_not_an_outlier():
    cells = column("=A{r}*B{r}", range(2, 9)) | {"C9": "=SUM(C2:C8)"}
    [run] = formula_runs(line_of(cells), True, 3)
    assert run.outliers == ()


def test_first_cell_along_a_row_breaking_its_copies_is_an_outlier():
    # the first subtotal leaves out its top row; the four beside it do not
    cells = {"B17": "=B18-(B16+B15+B14)"} | {
        f"{c}17": f"={c}18-({c}16+{c}15+{c}14+{c}13)" for c in "CDEF"
    }
    numbers = {f"{c}{r}": float(r) for c in "BCDEF" for r in (13, 14, 15, 16, 18)}
    [run] = [run for run in regions(cells | numbers).runs if not run.vertical]
    assert (addresses(run.outliers), run.agreeing) == (["B17"], 4)


@pytest.mark.parametrize(
    ("shape", "other", "edited"),
    [
        ("=SUM(R[-8]C:R[-1]C)", "=SUM(R[-9]C:R[-1]C)", True),
        ("=R[1]C-(R[-1]C+R[-2]C)", "=R[1]C-(R[-1]C+R[-2]C+R[-3]C)", True),
        ("=SUM(R[-4]C:R[-1]C)", "=SUM(RC[-4]:RC[-1])", False),
        ("=RC[-2]+RC[-1]", "=RC[-1]+RC[-2]", False),
        ("=RC[-1]*1.03", "=RC[-1]*1.015", False),
    ],
    ids=["range one row longer", "one term more", "other axis", "reordered", "other constant"],
)
def test_edited_copy_is_the_same_formula_with_a_reference_moved_or_a_term_changed(
    shape, other, edited
):
    assert edited_copy(shape, other) is edited
