"""Read the cells of .xlsx/.xlsm, .csv and add-on .json files into CellInput lists."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sheetbrain.formulas import CellInput
from sheetbrain.formulas.references import format_address, parse_address
from sheetbrain.offline.xlsx import XlsxError, read_xlsx

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_CELLS = 5_000_000


class WorkbookReadError(Exception):
    """The file cannot be audited; the message is one line meant for the user."""


@dataclass(frozen=True, slots=True)
class SheetCells:
    """One sheet's non-empty cells; `defined_names` (name -> text, workbook names and
    this sheet's own) come from .xlsx files only."""

    name: str | None
    cells: tuple[CellInput, ...]
    defined_names: Mapping[str, str] = field(default_factory=dict, hash=False)


def read_cells(path: Path, sheet: str | None = None) -> list[SheetCells]:
    """The non-empty cells of each sheet (only `sheet` when given)."""
    if not path.is_file():
        raise WorkbookReadError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        megabytes, limit = size // 2**20, MAX_FILE_BYTES // 2**20
        raise WorkbookReadError(f"{path}: file is {megabytes} MB, above the {limit} MB limit")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            sheets = _read_workbook(path, sheet)
        elif suffix == ".csv":
            sheets = [SheetCells(sheet or path.stem, tuple(_read_csv(path)))]
        elif suffix == ".json":
            sheets = [_read_json(path, sheet)]
        else:
            raise WorkbookReadError(
                f"{path}: unsupported file type {suffix or '(none)'}; "
                "use .xlsx, .xlsm, .csv or .json"
            )
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise WorkbookReadError(f"{path}: cannot read file ({error})") from error
    return sheets


def _read_workbook(path: Path, sheet: str | None) -> list[SheetCells]:
    try:
        workbook = read_xlsx(path, sheet, max_cells=MAX_CELLS)
    except XlsxError as error:
        raise WorkbookReadError(f"{path}: {error}") from error
    return [
        SheetCells(w.name, w.cells, workbook.names_visible_from(w.name))
        for w in workbook.worksheets
    ]


def _read_csv(path: Path) -> Iterator[CellInput]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row_number, row in enumerate(csv.reader(handle), start=1):
            for column_number, text in enumerate(row, start=1):
                if text.strip():
                    yield _cell(format_address(row_number, column_number), text, text)


def _cell(address: str, formula: object, value: object) -> CellInput:
    if isinstance(formula, str) and formula.startswith("="):
        return CellInput(address, formula, None if value == formula else value)
    return CellInput(address, None, _number_or_text(value))


def _number_or_text(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return float(value)
    except ValueError:
        return value


def _read_json(path: Path, sheet: str | None) -> SheetCells:
    """The add-on request shapes: {range, context.data} grids, sheetContext lists, formula lists."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        reason = f"{error.msg}, line {error.lineno}"
        raise WorkbookReadError(f"{path}: invalid JSON ({reason})") from error
    if not isinstance(document, dict):
        raise WorkbookReadError(f"{path}: expected a JSON object")
    context = _object(document.get("context"))
    sheet_context = document.get("sheetContext")
    name = sheet or _text(context.get("sheetName")) or _text(document.get("sheetName"))
    if isinstance(sheet_context, dict):
        entries = sheet_context.get("formulas")
        name = name or _text(sheet_context.get("sheetName"))
        if isinstance(entries, list):
            return SheetCells(name, tuple(_entry_cell(e) for e in entries if isinstance(e, dict)))
    data = context.get("data") if isinstance(context.get("data"), dict) else document.get("data")
    formulas = data.get("formulas") if isinstance(data, dict) else document.get("formulas")
    values = data.get("values") if isinstance(data, dict) else None
    if isinstance(formulas, list) and all(isinstance(f, str) for f in formulas):
        return SheetCells(name, tuple(CellInput(None, f) for f in formulas))
    if not isinstance(formulas, list) and not isinstance(values, list):
        raise WorkbookReadError(f"{path}: no formulas found (expected context.data.formulas)")
    range_text = _text(document.get("range")) or _text(context.get("range")) or "A1"
    origin = parse_address(range_text.split(":")[0].split("!")[-1])
    if origin is None:
        raise WorkbookReadError(f"{path}: cannot read the range {range_text!r}")
    return SheetCells(name, tuple(_grid_cells(origin, _grid(formulas), _grid(values))))


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _grid(value: object) -> list[list[object]]:
    if not isinstance(value, list):
        return []
    return [row if isinstance(row, list) else [row] for row in value]


def _grid_cells(
    origin: tuple[int, int], formulas: list[list[object]], values: list[list[object]]
) -> Iterator[CellInput]:
    for row_offset in range(max(len(formulas), len(values))):
        formula_row = formulas[row_offset] if row_offset < len(formulas) else []
        value_row = values[row_offset] if row_offset < len(values) else []
        for column_offset in range(max(len(formula_row), len(value_row))):
            formula = formula_row[column_offset] if column_offset < len(formula_row) else ""
            value = value_row[column_offset] if column_offset < len(value_row) else None
            if formula in ("", None) and value in ("", None):
                continue
            address = format_address(origin[0] + row_offset, origin[1] + column_offset)
            yield _cell(address, formula, value)


def _entry_cell(entry: dict[str, Any]) -> CellInput:
    formula = entry.get("formula")
    return CellInput(
        _text(entry.get("cell")), formula if isinstance(formula, str) else None, entry.get("value")
    )
