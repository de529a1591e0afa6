"""Deterministic, in-memory corpus of realistic sheets with planted defects at known cells.

A sheet is a stack of order tables: input columns, copied formula columns (extended
price, tax with an absolute rate cell, a guarded lookup, a banding IF, a guarded share
of total, a running balance), and a totals row. A few defects are planted per table;
`planted` lists each as (rule id, cell) so a benchmark can score precision and recall.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sheetbrain.formulas import CellInput

SEED = 20_240_601


@dataclass(frozen=True)
class Corpus:
    cells: tuple[CellInput, ...]
    planted: frozenset[tuple[str, str]]  # (rule id, A1 cell)

    @property
    def formulas(self) -> list[str]:
        return [c.formula for c in self.cells if c.formula]


# Formula columns of one table, written for row r; the totals row sums D, E and H.
COLUMNS = {
    "D": "=B{r}*C{r}",
    "E": "=D{r}*$K$1",
    "F": "=IFERROR(VLOOKUP(A{r},Products!$A:$C,2,FALSE),0)",
    "G": '=IF(B{r}>100,"Bulk",IF(B{r}>10,"Case","Unit"))',
    "H": "=IF(D${total}=0,0,D{r}/D${total})",
}
DEFECTS = (
    "off_by_one_row",
    "hard_coded_value",
    "approximate_lookup",
    "short_total",
    "self_including_total",
    "unguarded_division",
    "volatile_stamp",
    "deleted_reference",
)


def build(tables: int, seed: int = SEED) -> Corpus:
    rng = random.Random(seed)
    cells: dict[str, CellInput] = {"K1": CellInput("K1", None, 0.2)}
    planted: set[tuple[str, str]] = set()
    top = 3
    for _ in range(tables):
        rows = rng.randint(40, 160)
        first, last = top + 1, top + rows
        total = last + 1
        for r in range(first, last + 1):
            cells[f"A{r}"] = CellInput(f"A{r}", None, f"SKU-{rng.randint(1, 999):03d}")
            cells[f"B{r}"] = CellInput(f"B{r}", None, rng.randint(1, 250))
            cells[f"C{r}"] = CellInput(f"C{r}", None, round(rng.uniform(1, 90), 2))
            for column, template in COLUMNS.items():
                address = f"{column}{r}"
                cells[address] = CellInput(address, template.format(r=r, total=total))
        # running balance: the first row differs from the rest by design (not a defect)
        cells[f"L{first}"] = CellInput(f"L{first}", f"=D{first}")
        for r in range(first + 1, last + 1):
            cells[f"L{r}"] = CellInput(f"L{r}", f"=L{r - 1}+D{r}")
        cells[f"A{total}"] = CellInput(f"A{total}", None, "Total")
        for column in "DEH":
            address = f"{column}{total}"
            cells[address] = CellInput(address, f"=SUM({column}{first}:{column}{last})")
        for defect in rng.sample(DEFECTS, 3):
            planted |= _plant(defect, cells, rng, first, last, total)
        top = total + rng.randint(2, 4)
    return Corpus(tuple(cells.values()), frozenset(planted))


def _plant(
    defect: str, cells: dict[str, CellInput], rng: random.Random, first: int, last: int, total: int
) -> set[tuple[str, str]]:
    row = rng.randint(first + 3, last - 3)  # inside the run, so neighbours exist both sides
    if defect == "off_by_one_row":
        cells[f"D{row}"] = CellInput(f"D{row}", f"=B{row}*C{row - 1}")
        return {("inconsistent-formula", f"D{row}")}
    if defect == "hard_coded_value":
        cells[f"D{row}"] = CellInput(f"D{row}", None, 1234.5)
        return {("inconsistent-formula", f"D{row}")}
    if defect == "approximate_lookup":
        cells[f"F{row}"] = CellInput(f"F{row}", f"=IFERROR(VLOOKUP(A{row},Products!$A:$C,2),0)")
        return {("approximate-lookup", f"F{row}"), ("inconsistent-formula", f"F{row}")}
    if defect == "short_total":
        cells[f"D{total}"] = CellInput(f"D{total}", f"=SUM(D{first}:D{last - 1})")
        return {("omitted-adjacent-cells", f"D{total}")}
    if defect == "self_including_total":
        cells[f"E{total}"] = CellInput(f"E{total}", f"=SUM(E{first}:E{total})")
        return {("circular-reference", f"E{total}")}
    if defect == "unguarded_division":
        cells[f"I{row}"] = CellInput(f"I{row}", f"=E{row}/B{row}")
        return {("unguarded-division", f"I{row}")}
    if defect == "volatile_stamp":
        cells[f"J{first}"] = CellInput(f"J{first}", f"=TODAY()-C{first}")
        return {("volatile-function", f"J{first}")}
    cells[f"I{row}"] = CellInput(f"I{row}", f"=SUM(#REF!,D{row})")
    return {("broken-reference", f"I{row}")}
