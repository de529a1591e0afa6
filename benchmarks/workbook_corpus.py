"""Generated .xlsx workbooks written the way Excel saves them, for the reader benchmarks.

openpyxl writes neither shared formulas nor cached values, so the sheet XML is written
here directly: one order table per sheet, every formula column one shared formula with
its cached values, labels in the shared-string table.

    A label (shared string)  B quantity  C price  D =B*C  E =D*(1+$I$1)
    F =IF(E>100,E-100,0)  G =SUM($D$2:D)  H status (inline string every 7th row)

With `thresholds` > 1, column F's threshold cycles through that many values, each row
its own (unshared) formula: that many unique shapes instead of one.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

COLUMNS_PER_ROW = 8
LABELS = [f"Item {number}" for number in range(50)]
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def write_workbook(path: Path, rows_per_sheet: int, sheets: int = 1, thresholds: int = 1) -> int:
    """Write the workbook; returns its number of non-empty cells."""
    names = [f"Orders {number + 1}" for number in range(sheets)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _content_types(sheets))
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PACKAGE_RELS}"><Relationship Id="rId1" '
            f'Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        sheet_list = "".join(
            f'<sheet name="{escape(name)}" sheetId="{n + 1}" r:id="rId{n + 1}"/>'
            for n, name in enumerate(names)
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}"><sheets>{sheet_list}</sheets>'
            '<definedNames><definedName name="Markup">'
            f"'{names[0]}'!$I$1</definedName></definedNames></workbook>",
        )
        relationships = "".join(
            f'<Relationship Id="rId{n + 1}" Type="{_RELS}/worksheet" '
            f'Target="worksheets/sheet{n + 1}.xml"/>'
            for n in range(sheets)
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PACKAGE_RELS}">{relationships}'
            f'<Relationship Id="rId{sheets + 1}" Type="{_RELS}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>',
        )
        strings = "".join(f"<si><t>{label}</t></si>" for label in LABELS)
        archive.writestr(
            "xl/sharedStrings.xml",
            f'<sst xmlns="{_MAIN}" count="{len(LABELS)}" uniqueCount="{len(LABELS)}">'
            f"{strings}</sst>",
        )
        cells = 0
        for number in range(sheets):
            with archive.open(f"xl/worksheets/sheet{number + 1}.xml", "w") as part:
                cells += _write_sheet(part, rows_per_sheet, thresholds)
    return cells


def _write_sheet(part: IO[bytes], rows: int, thresholds: int) -> int:
    write = part.write
    last = rows + 1
    write(f'<worksheet xmlns="{_MAIN}"><sheetData>'.encode())
    write(b'<row r="1"><c r="I1"><v>0.2</v></c></row>')
    cells = 1
    total = 0.0
    chunk: list[str] = []
    for row in range(2, last + 1):
        quantity, price = row % 17 + 1, (row % 23) * 1.25 + 0.5
        amount = quantity * price
        marked_up = amount * 1.2
        total += amount
        master = row == 2
        threshold = 100 + row % thresholds
        banded = max(marked_up - threshold, 0)
        if thresholds == 1:
            band = _formula("F", row, last, 2, "IF(E2>100,E2-100,0)" if master else "", banded)
        else:
            band = (
                f'<c r="F{row}"><f>IF(E{row}&gt;{threshold},E{row}-{threshold},0)</f>'
                f"<v>{banded:.10g}</v></c>"
            )
        chunk.append(
            f'<row r="{row}"><c r="A{row}" t="s"><v>{row % len(LABELS)}</v></c>'
            f'<c r="B{row}"><v>{quantity}</v></c><c r="C{row}"><v>{price}</v></c>'
            + _formula("D", row, last, 0, "B2*C2" if master else "", amount)
            + _formula("E", row, last, 1, "D2*(1+$I$1)" if master else "", marked_up)
            + band
            + _formula("G", row, last, 3, "SUM($D$2:D2)" if master else "", total)
        )
        cells += 7
        if row % 7 == 0:
            chunk.append(f'<c r="H{row}" t="inlineStr"><is><t>checked</t></is></c>')
            cells += 1
        chunk.append("</row>")
        if len(chunk) > 2000:
            write("".join(chunk).encode())
            chunk.clear()
    write(("".join(chunk) + "</sheetData></worksheet>").encode())
    return cells


def _formula(column: str, row: int, last: int, group: int, master: str, value: float) -> str:
    if master:
        return (
            f'<c r="{column}{row}"><f t="shared" ref="{column}2:{column}{last}" si="{group}">'
            f"{escape(master)}</f><v>{value:.10g}</v></c>"
        )
    return f'<c r="{column}{row}"><f t="shared" si="{group}"/><v>{value:.10g}</v></c>'


def _content_types(sheets: int) -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n + 1}.xml" '
        f'ContentType="{_CONTENT_TYPE}.worksheet+xml"/>'
        for n in range(sheets)
    )
    return (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CONTENT_TYPE}.sheet.main+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" '
        f'ContentType="{_CONTENT_TYPE}.sharedStrings+xml"/>{overrides}</Types>'
    )
