"""The four request shapes the add-ons send, normalised into one `AuditInput`.

1. seed guide:      {"formulas": ["=SUM(A1:A10)", ...], "context": {"sheetName", "range"}}
2. add-on client:   {"range", "context": {"data": {"values", "formulas"}, "sheetName", ...}}
3. add-on script:   the context object itself at top level ({"range", "data", "formulas", ...})
4. standalone:      {"sheetContext": {"sheetName", "formulas": [{"cell", "formula", "value"}]}}

Grids are row-major from the range's top-left cell; "" means "no formula here".

Reading a request is two steps, so that admission (rate limit, quota) comes before the
expensive one: `survey` decodes, validates and checks the limits, counting every cell
sent (values too) and collecting only the formulas; `AuditRequest.normalised()` then
builds every cell, once the audit is admitted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from itertools import zip_longest
from typing import Any

import anyio.to_thread
import msgspec
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sheetbrain.errors import BadRequest, PayloadTooLarge, Unprocessable
from sheetbrain.formulas import CellInput
from sheetbrain.formulas.references import column_letters, format_address, parse_address

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
# Possessive: a name that is not followed by '(' is given up at once, not shortened.
_FUNCTION_NAME = re.compile(r"\b([A-Za-z][A-Za-z0-9_.]*+)\s*+\(")
_MAX_QUERY_FUNCTIONS = 40
# Below this size a body is read faster than a thread hand-off.
THREAD_THRESHOLD_BYTES = 64 * 1024


class TooManyFormulas(PayloadTooLarge):
    code = "too-many-formulas"


class FormulaTooLong(Unprocessable):
    code = "formula-too-long"


class NoFormulas(Unprocessable):
    code = "no-formulas"


class TooManyCells(PayloadTooLarge):
    code = "too-many-cells"


@dataclass(frozen=True)
class AuditLimits:
    max_formulas: int
    max_formula_length: int
    # Every cell sent counts, values too: they all become work for the engine.
    max_cells: int


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
        return tuple(
            i for i, cell in enumerate(self.cells) if cell.formula and _is_formula(cell.formula)
        )


@dataclass(frozen=True)
class AuditRequest:
    """A request within the limits, before its cells are built: what admission needs."""

    body: AuditRequestBody
    context: SheetContext
    formula_cells: tuple[CellInput, ...]
    cells_sent: int

    def retrieval_query(self) -> str:
        """Function names used by the formulas (the first 40 alphabetically), then the
        sheet description: what policy retrieval searches for."""
        # Only formulas that call something, in one scan (copies differ in their text, so
        # there can be tens of thousands); string literals are blanked in each formula
        # first. A name cannot run from one formula into the next: each starts with '='.
        formulas = {f for cell in self.formula_cells if (f := cell.formula) and "(" in f}
        text = "\n".join(_STRING_LITERAL.sub('""', f) if '"' in f else f for f in formulas)
        names = sorted({name.upper() for name in set(_FUNCTION_NAME.findall(text))})
        words = names[:_MAX_QUERY_FUNCTIONS]
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

    def normalised(self) -> AuditInput:
        """Every cell, formulas and values: the expensive step, after admission."""
        cells = tuple(_cells(_layers(self.body), self.context.range))
        return AuditInput(cells=cells, context=self.context)


async def read_request(raw: bytes, limits: AuditLimits) -> AuditRequest:
    """`parse_request`, in a worker thread when the body is large."""
    if len(raw) < THREAD_THRESHOLD_BYTES:
        return parse_request(raw, limits)
    return await anyio.to_thread.run_sync(parse_request, raw, limits)


def parse_request(raw: bytes, limits: AuditLimits) -> AuditRequest:
    """Decode and validate a JSON body, then `survey` it; 400 when it is not a request."""
    try:
        decoded = msgspec.json.decode(raw)
    except RecursionError as exc:
        raise BadRequest("The JSON body is nested too deeply.") from exc
    except msgspec.DecodeError as exc:
        raise BadRequest("The body is not valid JSON.") from exc
    try:
        body = AuditRequestBody.model_validate(decoded)
    except ValidationError as exc:
        errors = [
            {"key": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
            for error in exc.errors(include_input=False, include_url=False)
        ]
        raise BadRequest(
            "The request body is not an audit request.", extra={"errors": errors}
        ) from exc
    return survey(body, limits)


def survey(body: AuditRequestBody, limits: AuditLimits) -> AuditRequest:
    """The request's context and formulas, or a 413/422 problem when over the limits;
    costs a pass over the body, not the building of every cell."""
    layers = _layers(body)
    sent = _cells_sent(layers)
    if sent > limits.max_cells:
        raise TooManyCells(
            f"{sent} cells exceed the limit of {limits.max_cells} per audit (values count "
            "too); split the range into several audits.",
            extra={"limit": limits.max_cells, "cells": sent},
        )
    context = SheetContext(**{name: _context_text(layers, name) for name in _CONTEXT_FIELDS})
    formula_cells = tuple(_cells(layers, context.range, formulas_only=True))
    _check_formulas(formula_cells, limits)
    return AuditRequest(body, context, formula_cells, sent)


def normalise(body: AuditRequestBody, limits: AuditLimits) -> AuditInput:
    """One `AuditInput` from any request shape; 413/422 problems when over the limits."""
    return survey(body, limits).normalised()


def _layers(body: AuditRequestBody) -> list[ContextBody]:
    return [layer for layer in (body.sheet_context, body.context, body) if layer is not None]


def _cells_sent(layers: Sequence[ContextBody]) -> int:
    """Every entry in a cell position of every layer: what the body makes the audit read."""
    sent = 0
    for layer in layers:
        for grid in (layer.data.formulas, layer.data.values) if layer.data else ():
            sent += sum(len(row) for row in grid or ())
        for item in layer.formulas or ():
            sent += len(item) if isinstance(item, list) else 1
    return sent


def _check_formulas(formula_cells: Sequence[CellInput], limits: AuditLimits) -> None:
    if not formula_cells:
        raise NoFormulas("The request has no formulas to audit (formulas start with '=').")
    if len(formula_cells) > limits.max_formulas:
        raise TooManyFormulas(
            f"{len(formula_cells)} formulas exceed the limit of {limits.max_formulas} per "
            "audit; split the range into several audits.",
            extra={"limit": limits.max_formulas, "formulas": len(formula_cells)},
        )
    too_long = next(
        (cell for cell in formula_cells if len(cell.formula or "") > limits.max_formula_length),
        None,
    )
    if too_long is not None:
        where = f" in {too_long.address}" if too_long.address else ""
        raise FormulaTooLong(
            f"A formula{where} is longer than {limits.max_formula_length} characters.",
            extra={"limit": limits.max_formula_length, "cell": too_long.address},
        )


def _context_text(layers: Sequence[ContextBody], name: str) -> str | None:
    for layer in layers:
        value = getattr(layer, name)
        if value is not None and str(value).strip():
            return str(value).strip()[:_CONTEXT_TEXT_LIMIT]
    return None


def _cells(
    layers: Sequence[ContextBody], range_text: str | None, *, formulas_only: bool = False
) -> Iterator[CellInput]:
    """The first layer that carries cells decides (sheetContext, then context, then top);
    `formulas_only` skips the value cells (and the work of building them)."""
    for layer in layers:
        if layer.formulas and isinstance(layer.formulas[0], CellEntry):
            entries = (entry for entry in layer.formulas if isinstance(entry, CellEntry))
            yield from (
                _entry_cell(entry)
                for entry in entries
                if not formulas_only or _is_formula(entry.formula)
            )
            return
    for layer in layers:
        grid = layer.data.formulas if layer.data and layer.data.formulas else None
        if grid is None and layer.formulas and isinstance(layer.formulas[0], list):
            grid = [row for row in layer.formulas if isinstance(row, list)]
        values = layer.data.values if layer.data and layer.data.values else None
        if grid is not None or values is not None:
            yield from _grid_cells(range_text, grid or [], [] if formulas_only else values or [])
            return
    for layer in layers:
        if layer.formulas and all(isinstance(item, str) for item in layer.formulas):
            listed = _listed_cells([str(item) for item in layer.formulas], range_text)
            yield from (cell for cell in listed if not formulas_only or cell.formula)
            return


def _entry_cell(entry: CellEntry) -> CellInput:
    address = entry.cell.strip().upper().replace("$", "") if entry.cell else None
    if address is not None and parse_address(address) is None:
        address = None
    return CellInput(address, entry.formula if _is_formula(entry.formula) else None, entry.value)


def _grid_cells(
    range_text: str | None, formulas: list[list[Any]], values: list[list[Any]]
) -> Iterator[CellInput]:
    """Row by row; runs for every cell sent, so column letters are spelled once a column."""
    origin = _range_corners(range_text)
    top, left = origin[0] if origin else (0, 0)
    letters: list[str] = []
    for row in range(max(len(formulas), len(values))):
        formula_row = formulas[row] if row < len(formulas) else []
        value_row = values[row] if row < len(values) else []
        width = max(len(formula_row), len(value_row))
        if origin is not None and len(letters) < width:
            letters.extend(column_letters(left + c) for c in range(len(letters), width))
        row_text = str(top + row)
        for column, (formula, value) in enumerate(zip_longest(formula_row, value_row)):
            if formula and _is_formula(formula):  # most cells are "" or a value: no call
                address = letters[column] + row_text if origin is not None else None
                yield CellInput(address, formula, value)
            elif origin is not None and value not in ("", None):
                # a value is only useful to the rules at a known place
                yield CellInput(letters[column] + row_text, None, value)


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
