"""Workbooks written part by part, for what openpyxl cannot write (shared formulas, cached
values, inline strings, rich text), and openpyxl as the oracle that reads them."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TypeVar

import openpyxl
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from sheetbrain.offline.readers import MAX_CELLS
from sheetbrain.offline.xlsx import read_xlsx

Zippable = TypeVar("Zippable", Path, IO[bytes])
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"
# One cell style showing dates (number format 14), so openpyxl turns its serials into dates.
STYLES = (
    f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def workbook_parts(
    sheets: dict[str, str],
    strings: list[str] | None = None,
    defined_names: str = "",
    sheet_prologue: str = "",
) -> dict[str, str]:
    """The parts of a workbook: `sheets` maps names (in tab order) to <sheetData> contents."""
    listed = "".join(
        f'<sheet name="{name.replace(chr(34), "&quot;")}" sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(sheets, start=1)
    )
    relationships = "".join(
        f'<Relationship Id="rId{n}" Type="{RELS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        f'ContentType="{SPREADSHEET}.worksheet+xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{SPREADSHEET}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{SPREADSHEET}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{SPREADSHEET}.sharedStrings+xml"/>{overrides}</Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
            f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>{listed}</sheets>'
            f"<definedNames>{defined_names}</definedNames></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PACKAGE_RELS}">{relationships}'
            f'<Relationship Id="rIdS" Type="{RELS}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rIdT" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": STYLES,
        "xl/sharedStrings.xml": (
            f'<sst xmlns="{MAIN}">' + "".join(f"<si>{s}</si>" for s in strings or []) + "</sst>"
        ),
    }
    for n, data in enumerate(sheets.values(), start=1):
        parts[f"xl/worksheets/sheet{n}.xml"] = (
            f'{sheet_prologue}<worksheet xmlns="{MAIN}"><sheetData>{data}</sheetData></worksheet>'
        )
    return parts


def zip_parts(target: Zippable, parts: Mapping[str, str | bytes]) -> Zippable:
    """Write `parts` into a new zip at `target` (a path or a binary file); returns it."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return target


class DateSerial(float):
    """A serial openpyxl turned into a date and back: the reader's int or float may equal it."""


def differences(path: Path) -> list[str]:
    expected = openpyxl_cells(path)
    workbook = read_xlsx(path, max_cells=MAX_CELLS)
    actual = {
        w.name: {c.address: (c.formula, c.value) for c in w.cells} for w in workbook.worksheets
    }
    if list(actual) != list(expected):
        return [f"sheets: reader {list(actual)}, openpyxl {list(expected)}"]
    found = []
    for sheet, cells in expected.items():
        for address in sorted(cells.keys() | actual[sheet].keys()):
            want, have = cells.get(address), actual[sheet].get(address)
            if want is None or have is None or not _same(want, have):
                found.append(f"{sheet}!{address}: openpyxl {want!r}, reader {have!r}")
    return found


def _same(want: tuple[str | None, object], have: tuple[str | None, object]) -> bool:
    (formula, value), (read_formula, read_value) = want, have
    if isinstance(value, DateSerial):
        return (
            formula == read_formula and isinstance(read_value, int | float) and value == read_value
        )
    return formula == read_formula and type(value) is type(read_value) and value == read_value


def openpyxl_cells(path: Path) -> dict[str, dict[str, tuple[str | None, object]]]:
    """sheet -> address -> (formula, cached value) as openpyxl reads them, in two loads.

    Dates become serials again and data tables values (as the reader documents), and an
    empty <f/> (openpyxl: the formula "=") is no formula.
    """
    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    cells: dict[str, dict[str, tuple[str | None, object]]] = {}
    for sheet in formulas.worksheets:
        cached = {
            cell.coordinate: _serial(cell.value, values.epoch)
            for row in values[sheet.title].iter_rows()
            for cell in row
            if cell.value is not None
        }
        found = cells[sheet.title] = {}
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                formula = None
                if cell.data_type == "f" and not isinstance(cell.value, DataTableFormula):
                    text = cell.value.text if isinstance(cell.value, ArrayFormula) else cell.value
                    formula = text if text != "=" else None
                found[cell.coordinate] = (formula, cached.get(cell.coordinate))
    formulas.close()
    values.close()
    return cells


def _serial(value: object, epoch: dt.datetime) -> object:
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return DateSerial(to_excel(value, epoch))
    return value
