"""The four request shapes the add-ons send, normalised into one `AuditInput`.

1. seed guide:      {"formulas": ["=SUM(A1:A10)", ...], "context": {"sheetName", "range"}}
2. add-on client:   {"range", "context": {"data": {"values", "formulas"}, "sheetName", ...}}
3. add-on script:   the context object itself at top level ({"range", "data", "formulas", ...})
4. standalone:      {"sheetContext": {"sheetName", "formulas": [{"cell", "formula", "value"}]}}

Grids are row-major from the range's top-left cell; "" means "no formula here".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sheetbrain.errors import PayloadTooLarge, Unprocessable
from sheetbrain.formulas import CellInput
from sheetbrain.formulas.references import format_address, parse_address

_CONTEXT_FIELDS = (
    "sheet_name",
    "sheet_id",
    "spreadsheet_id",
    "spreadsheet_name",
    "range",
    "organization",
    "department",
    "sheet_purpose",
)
_CONTEXT_TEXT_LIMIT = 500
_STRING_LITERAL = re.compile(r'"(?:[^"]|"")*"')
_FUNCTION_NAME = re.compile(r"\b([A-Za-z][A-Za-z0-9_.]*)\s*\(")
_MAX_QUERY_FUNCTIONS = 40


class TooManyFormulas(PayloadTooLarge):
    code = "too-many-formulas"


class FormulaTooLong(Unprocessable):
    code = "formula-too-long"


class NoFormulas(Unprocessable):
    code = "no-formulas"


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class CellEntry(_Body):
    """One `sheetContext.formulas[]` entry."""

    cell: str | None = None
    formula: str | None = None
    value: Any = None


class GridData(_Body):
    values: list[list[Any]] | None = None
    formulas: list[list[Any]] | None = None


class ContextBody(_Body):
    """The sheet description the add-ons send (every field optional)."""

    sheet_name: str | None = Field(None, alias="sheetName")
    sheet_id: str | int | None = Field(None, alias="sheetId")
    spreadsheet_id: str | None = Field(None, alias="spreadsheetId")
    spreadsheet_name: str | None = Field(None, alias="spreadsheetName")
    range: str | None = None
    organization: str | None = None
    department: str | None = None
    sheet_purpose: str | None = Field(None, alias="sheetPurpose")
    data: GridData | None = None
    formulas: list[str] | list[list[Any]] | list[CellEntry] | None = None


class AuditRequestBody(ContextBody):
    """`POST /api/audit`: any of the four shapes (the top level may itself be the context)."""

    context: ContextBody | None = None
    sheet_context: ContextBody | None = Field(None, alias="sheetContext")


@dataclass(frozen=True)
class SheetContext:
    sheet_name: str | None = None
    sheet_id: str | None = None
    spreadsheet_id: str | None = None
    spreadsheet_name: str | None = None
    range: str | None = None
    organization: str | None = None
    department: str | None = None
    sheet_purpose: str | None = None

    def as_review_context(self) -> dict[str, str]:
        """The non-empty fields, camelCase as the add-ons name them."""
        names = {
            "sheet_name": "sheetName",
            "sheet_id": "sheetId",
            "spreadsheet_id": "spreadsheetId",
            "spreadsheet_name": "spreadsheetName",
            "sheet_purpose": "sheetPurpose",
        }
        return {names.get(key, key): value for key, value in asdict(self).items() if value}


@dataclass(frozen=True)
class AuditInput:
    """What an audit works on: the cells (formulas and values) and the sheet description."""

    cells: tuple[CellInput, ...]
    context: SheetContext

    @property
    def formula_indices(self) -> tuple[int, ...]:
        return tuple(i for i, cell in enumerate(self.cells) if _is_formula(cell.formula))

    def retrieval_query(self) -> str:
        """Function names used by the formulas, then the sheet description: what policy
        retrieval searches for."""
        names: dict[str, None] = {}
        for formula in {cell.formula for cell in self.cells if _is_formula(cell.formula)}:
            for match in _FUNCTION_NAME.finditer(_STRING_LITERAL.sub('""', formula or "")):
                names.setdefault(match.group(1).upper())
                if len(names) >= _MAX_QUERY_FUNCTIONS:
                    break
        words = [*sorted(names)[:_MAX_QUERY_FUNCTIONS]]
        words += [
            value
            for value in (
                self.context.sheet_name,
                self.context.sheet_purpose,
                self.context.department,
            )
            if value
        ]
        return " ".join(words)[:_CONTEXT_TEXT_LIMIT]


def normalise(body: AuditRequestBody, *, max_formulas: int, max_formula_length: int) -> AuditInput:
    """One `AuditInput` from any request shape; 413/422 problems when over the limits."""
    layers = [layer for layer in (body.sheet_context, body.context, body) if layer is not None]
    context = SheetContext(**{name: _context_text(layers, name) for name in _CONTEXT_FIELDS})
    cells = tuple(_cells(layers, context.range))
    formula_count = sum(1 for cell in cells if _is_formula(cell.formula))
    if formula_count == 0:
        raise NoFormulas("The request has no formulas to audit (formulas start with '=').")
    if formula_count > max_formulas:
        raise TooManyFormulas(
            f"{formula_count} formulas exceed the limit of {max_formulas} per audit; "
            "split the range into several audits.",
            extra={"limit": max_formulas, "formulas": formula_count},
        )
    too_long = next(
        (cell for cell in cells if cell.formula and len(cell.formula) > max_formula_length), None
    )
    if too_long is not None:
        where = f" in {too_long.address}" if too_long.address else ""
        raise FormulaTooLong(
            f"A formula{where} is longer than {max_formula_length} characters.",
            extra={"limit": max_formula_length, "cell": too_long.address},
        )
    return AuditInput(cells=cells, context=context)


def _context_text(layers: Sequence[ContextBody], name: str) -> str | None:
    for layer in layers:
        value = getattr(layer, name)
        if value is not None and str(value).strip():
            return str(value).strip()[:_CONTEXT_TEXT_LIMIT]
    return None


def _cells(layers: Sequence[ContextBody], range_text: str | None) -> Iterator[CellInput]:
    """The first layer that carries cells decides (sheetContext, then context, then top)."""
    for layer in layers:
        if layer.formulas and isinstance(layer.formulas[0], CellEntry):
            yield from (
                _entry_cell(entry) for entry in layer.formulas if isinstance(entry, CellEntry)
            )
            return
    for layer in layers:
        grid = layer.data.formulas if layer.data and layer.data.formulas else None
        if grid is None and layer.formulas and isinstance(layer.formulas[0], list):
            grid = [row for row in layer.formulas if isinstance(row, list)]
        values = layer.data.values if layer.data and layer.data.values else None
        if grid is not None or values is not None:
            yield from _grid_cells(range_text, grid or [], values or [])
            return
    for layer in layers:
        if layer.formulas and all(isinstance(item, str) for item in layer.formulas):
            yield from _listed_cells([str(item) for item in layer.formulas], range_text)
            return


def _entry_cell(entry: CellEntry) -> CellInput:
    address = entry.cell.strip().upper().replace("$", "") if entry.cell else None
    if address is not None and parse_address(address) is None:
        address = None
    return CellInput(address, entry.formula if _is_formula(entry.formula) else None, entry.value)


def _grid_cells(
    range_text: str | None, formulas: list[list[Any]], values: list[list[Any]]
) -> Iterator[CellInput]:
    origin = _range_corners(range_text)
    top_left = origin[0] if origin else None
    for row in range(max(len(formulas), len(values))):
        formula_row = formulas[row] if row < len(formulas) else []
        value_row = values[row] if row < len(values) else []
        for column in range(max(len(formula_row), len(value_row))):
            formula = formula_row[column] if column < len(formula_row) else None
            value = value_row[column] if column < len(value_row) else None
            if not _is_formula(formula) and value in ("", None):
                continue
            address = format_address(top_left[0] + row, top_left[1] + column) if top_left else None
            if _is_formula(formula):
                yield CellInput(address, formula, value)
            elif address is not None:  # a value is only useful to the rules at a known place
                yield CellInput(address, None, value)


def _listed_cells(formulas: list[str], range_text: str | None) -> Iterator[CellInput]:
    """The seed guide's list: addresses from `range`, row-major, only when the sizes match."""
    corners = _range_corners(range_text)
    addresses: list[str | None] = [None] * len(formulas)
    if corners is not None:
        (top, left), (bottom, right) = corners
        width = right - left + 1
        if width * (bottom - top + 1) == len(formulas):
            addresses = [
                format_address(top + i // width, left + i % width) for i in range(len(formulas))
            ]
    for address, text in zip(addresses, formulas, strict=True):
        yield CellInput(address, text) if _is_formula(text) else CellInput(address, None, text)


def _range_corners(
    range_text: str | None,
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """'Sheet1!B2:D9' -> ((2, 2), (9, 4)); a single cell is its own range."""
    if not range_text:
        return None
    body = range_text.rsplit("!", 1)[-1]
    first, _, last = body.partition(":")
    start = parse_address(first)
    end = parse_address(last) if last else start
    if start is None or end is None:
        return None
    return (min(start[0], end[0]), min(start[1], end[1])), (
        max(start[0], end[0]),
        max(start[1], end[1]),
    )


def _is_formula(formula: object) -> bool:
    return isinstance(formula, str) and formula.startswith("=") and len(formula) > 1
