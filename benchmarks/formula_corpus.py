"""Deterministic, in-memory corpus of realistic sheets with planted defects at known cells.

A sheet is a stack of tables of two kinds, each under a header row:

- order tables: input columns, copied formula columns (extended price, tax with an
  absolute rate cell, a guarded lookup, a banding IF, a guarded share of total, a
  running balance) and a labelled totals row;
- budgets: categories down column A, twelve months of typed-in numbers, a total
  column, a change-on-previous column, a labelled totals row of SUMs and a forecast
  row (actuals typed in for the first months, growth formulas after them);
- ledgers (never given defects): an opening balance, movements, a running balance and
  a total of the movements that deliberately leaves the opening balance out.

A few defects are planted per table (none in a clean corpus); `planted` lists each as
(rule id, cell) so a benchmark can score precision and recall per rule. A defect that
two rules rightly describe (an approximate lookup that also breaks its column of
copies) is listed under both.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sheetbrain.formulas import CellInput
from sheetbrain.formulas.references import column_letters

SEED = 20_240_601
Cells = dict[str, CellInput]
Planted = set[tuple[str, str]]


@dataclass(frozen=True)
class Corpus:
    cells: tuple[CellInput, ...]
    planted: frozenset[tuple[str, str]]  # (rule id, A1 cell)

    @property
    def formulas(self) -> list[str]:
        return [c.formula for c in self.cells if c.formula]


@dataclass(frozen=True)
class _Table:
    header: int  # row of the column headers
    first: int  # first data row
    last: int  # last data row
    total: int  # totals row


# Formula columns of an order table, written for row r; the totals row sums D, E and H.
ORDER_COLUMNS = {
    "D": "=B{r}*C{r}",
    "E": "=D{r}*$K$1",
    "F": "=IFERROR(VLOOKUP(A{r},Products!$A:$C,2,FALSE),0)",
    "G": '=IF(B{r}>100,"Bulk",IF(B{r}>10,"Case","Unit"))',
    "H": "=IF(D${total}=0,0,D{r}/D${total})",
}
ORDER_HEADERS = {"A": "SKU", "B": "Qty", "C": "Price", "D": "Amount", "E": "Tax", "F": "Name"}
ORDER_HEADERS |= {"G": "Band", "H": "Share", "L": "Balance"}
MONTHS = [column_letters(c) for c in range(2, 14)]  # B..M
TOTAL_COLUMN, CHANGE_COLUMN = "N", "O"


def _put(cells: Cells, address: str, content: object) -> None:
    if isinstance(content, str) and content.startswith("="):
        cells[address] = CellInput(address, content)
    else:
        cells[address] = CellInput(address, None, content)


def _order_table(cells: Cells, rng: random.Random, table: _Table) -> None:
    for column, title in ORDER_HEADERS.items():
        _put(cells, f"{column}{table.header}", title)
    for r in range(table.first, table.last + 1):
        _put(cells, f"A{r}", f"SKU-{rng.randint(1, 999):03d}")
        _put(cells, f"B{r}", rng.randint(1, 250))
        _put(cells, f"C{r}", round(rng.uniform(1, 90), 2))
        for column, template in ORDER_COLUMNS.items():
            _put(cells, f"{column}{r}", template.format(r=r, total=table.total))
    # running balance: the first row differs from the rest by design (not a defect)
    _put(cells, f"L{table.first}", f"=D{table.first}")
    for r in range(table.first + 1, table.last + 1):
        _put(cells, f"L{r}", f"=L{r - 1}+D{r}")
    _put(cells, f"A{table.total}", "Total")
    for column in "DEH":
        _put(cells, f"{column}{table.total}", f"=SUM({column}{table.first}:{column}{table.last})")


def _budget(cells: Cells, rng: random.Random, table: _Table) -> None:
    _put(cells, f"A{table.header}", "Category")
    for month, column in enumerate(MONTHS, 1):
        _put(cells, f"{column}{table.header}", f"M{month:02d}")
    _put(cells, f"{TOTAL_COLUMN}{table.header}", "Year")
    _put(cells, f"{CHANGE_COLUMN}{table.header}", "Change")
    for r in range(table.first, table.last + 1):
        _put(cells, f"A{r}", f"Cost centre {rng.randint(100, 999)}")
        for column in MONTHS:
            _put(cells, f"{column}{r}", rng.randint(0, 50) * 100)
        _put(cells, f"{TOTAL_COLUMN}{r}", f"=SUM(B{r}:M{r})")
        if r > table.first:
            _put(cells, f"{CHANGE_COLUMN}{r}", f"={TOTAL_COLUMN}{r}-{TOTAL_COLUMN}{r - 1}")
    _put(cells, f"A{table.total}", "Total")
    for column in [*MONTHS, TOTAL_COLUMN]:
        _put(cells, f"{column}{table.total}", f"=SUM({column}{table.first}:{column}{table.last})")
    # a forecast row: actuals typed in for the first months, then growth formulas
    forecast = table.total + 1
    _put(cells, f"A{forecast}", "Forecast")
    actuals = rng.randint(1, 6)
    for index, column in enumerate(MONTHS):
        previous = column_letters(index + 1)
        if index < actuals:
            _put(cells, f"{column}{forecast}", rng.randint(10, 90) * 100)
        else:
            _put(cells, f"{column}{forecast}", f"={previous}{forecast}*(1+$K$2)")


def _ledger(cells: Cells, rng: random.Random, table: _Table) -> None:
    """A cash ledger: an opening balance row, movements, a running balance, and a total
    of the movements that rightly leaves the opening balance out."""
    for column, title in {"A": "Date", "B": "Description", "C": "Amount", "D": "Balance"}.items():
        _put(cells, f"{column}{table.header}", title)
    _put(cells, f"B{table.first}", "Opening balance")
    _put(cells, f"C{table.first}", rng.randint(1000, 9000))
    _put(cells, f"D{table.first}", f"=C{table.first}")
    for r in range(table.first + 1, table.last + 1):
        _put(cells, f"A{r}", f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
        _put(cells, f"B{r}", rng.choice(["Invoice", "Payment", "Fee", "Refund"]))
        _put(cells, f"C{r}", rng.randint(-500, 500))
        _put(cells, f"D{r}", f"=D{r - 1}+C{r}")
    _put(cells, f"B{table.total}", "Total movements")
    _put(cells, f"C{table.total}", f"=SUM(C{table.first + 1}:C{table.last})")


Defect = Callable[[Cells, random.Random, _Table], Planted]


def _inner_row(rng: random.Random, table: _Table) -> int:
    """A data row with neighbours on both sides, so the defect sits inside a run."""
    return rng.randint(table.first + 3, table.last - 3)


def _inner_month(rng: random.Random, slot: int) -> str:
    """One of two inner months reserved for each totals-row defect, so they never collide."""
    return rng.choice(MONTHS[2 + 2 * slot : 4 + 2 * slot])


def _off_by_one_row(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    row = _inner_row(rng, table)
    _put(cells, f"D{row}", f"=B{row}*C{row - 1}")
    return {("reference-slip", f"D{row}")}


def _hard_coded_value(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    row = _inner_row(rng, table)
    _put(cells, f"D{row}", 1234.5)
    return {("constant-in-formula-run", f"D{row}")}


def _approximate_lookup(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    row = _inner_row(rng, table)
    _put(cells, f"F{row}", f"=IFERROR(VLOOKUP(A{row},Products!$A:$C,2),0)")
    return {("approximate-lookup", f"F{row}"), ("inconsistent-formula", f"F{row}")}


def _short_total(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    _put(cells, f"D{table.total}", f"=SUM(D{table.first}:D{table.last - 1})")
    return {("omitted-adjacent-cells", f"D{table.total}")}


def _self_including_total(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    _put(cells, f"E{table.total}", f"=SUM(E{table.first}:E{table.total})")
    return {("circular-reference", f"E{table.total}")}


def _unguarded_division(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    row = _inner_row(rng, table)
    _put(cells, f"B{row}", 0)  # a zero quantity: the division has something to fail on
    _put(cells, f"I{row}", f"=E{row}/B{row}")
    return {("unguarded-division", f"I{row}")}


def _volatile_stamp(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    _put(cells, f"J{table.first}", f"=TODAY()-C{table.first}")
    return {("volatile-function", f"J{table.first}")}


def _deleted_reference(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    row = _inner_row(rng, table)
    _put(cells, f"I{row}", f"=SUM(#REF!,D{row})")
    return {("broken-reference", f"I{row}")}


def _overtyped_total(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    cell = f"{_inner_month(rng, 0)}{table.total}"
    _put(cells, cell, rng.randint(100, 900) * 100)
    return {("constant-in-formula-run", cell)}


def _slipped_row_total(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    row = _inner_row(rng, table)
    _put(cells, f"{TOTAL_COLUMN}{row}", f"=SUM(B{row + 1}:M{row + 1})")
    return {("reference-slip", f"{TOTAL_COLUMN}{row}")}


def _short_month_total(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    cell = f"{_inner_month(rng, 1)}{table.total}"
    _put(cells, cell, f"=SUM({cell[0]}{table.first}:{cell[0]}{table.last - 1})")
    return {("omitted-adjacent-cells", cell)}


def _late_start_total(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    cell = f"{_inner_month(rng, 2)}{table.total}"
    _put(cells, cell, f"=SUM({cell[0]}{table.first + 1}:{cell[0]}{table.last})")
    return {("omitted-adjacent-cells", cell)}


def _header_in_total(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    cell = f"{_inner_month(rng, 3)}{table.total}"
    _put(cells, cell, f"=SUM({cell[0]}{table.header}:{cell[0]}{table.last})")
    return {("range-spans-label-or-blank-row", cell)}


def _change_from_header(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    cell = f"{CHANGE_COLUMN}{table.first}"
    _put(cells, cell, f"={TOTAL_COLUMN}{table.first}-{TOTAL_COLUMN}{table.header}")
    return {("reference-slip", cell)}


def _typed_formula_in_data(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    cell = f"{rng.choice(MONTHS[2:-2])}{_inner_row(rng, table)}"
    _put(cells, cell, f"={rng.randint(1, 20) * 100}+{rng.randint(1, 9) * 10}")
    return {("formula-where-constant-expected", cell)}


def _changed_share(cells: Cells, rng: random.Random, table: _Table) -> Planted:
    row = _inner_row(rng, table)
    _put(cells, f"{CHANGE_COLUMN}{row}", f"={TOTAL_COLUMN}{row}/{TOTAL_COLUMN}{row - 1}-1")
    cell = f"{CHANGE_COLUMN}{row}"
    return {("inconsistent-formula", cell)}


ORDER_DEFECTS: tuple[Defect, ...] = (
    _off_by_one_row,
    _hard_coded_value,
    _approximate_lookup,
    _short_total,
    _self_including_total,
    _unguarded_division,
    _volatile_stamp,
    _deleted_reference,
)
BUDGET_DEFECTS: tuple[Defect, ...] = (
    _overtyped_total,
    _slipped_row_total,
    _short_month_total,
    _late_start_total,
    _header_in_total,
    _change_from_header,
    _typed_formula_in_data,
    _changed_share,
)


def build(tables: int, seed: int = SEED, defects_per_table: int = 3) -> Corpus:
    """`tables` tables (alternating orders and budgets, each with that many defects),
    plus a defect-free ledger after every fifth."""
    rng = random.Random(seed)
    cells: Cells = {}
    _put(cells, "J1", "Tax rate")
    _put(cells, "K1", 0.2)
    _put(cells, "J2", "Growth")
    _put(cells, "K2", 0.02)
    planted: Planted = set()
    header = 3
    for number in range(tables):
        budget = number % 2 == 1
        rows = rng.randint(8, 30) if budget else rng.randint(40, 160)
        table = _Table(header, header + 1, header + rows, header + rows + 1)
        (_budget if budget else _order_table)(cells, rng, table)
        kinds = BUDGET_DEFECTS if budget else ORDER_DEFECTS
        for defect in rng.sample(kinds, defects_per_table):
            planted |= defect(cells, rng, table)
        if number % 5 == 4:  # now and then a ledger, which takes no defects
            header = table.total + rng.randint(3, 5)
            rows = rng.randint(10, 40)
            table = _Table(header, header + 1, header + rows, header + rows + 1)
            _ledger(cells, rng, table)
        header = table.total + rng.randint(3, 5)
    return Corpus(tuple(cells.values()), frozenset(planted))


def write_xlsx(corpus: Corpus, path: Path) -> None:
    """Save the corpus as a one-sheet workbook (for timing the CLI end to end)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for cell in corpus.cells:
        sheet[cell.address] = cell.formula if cell.formula else cell.value
    book.save(path)
