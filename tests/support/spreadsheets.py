"""A folder of spreadsheets whose findings do not move with rule tuning, and the CLI.

The only findings are `#REF!` (broken-reference), circular references and a formula
that cannot be parsed, all errors; the clean workbook holds one formula no rule looks
at (`=UPPER(A1)` on text). Beside them: an encrypted and a corrupt workbook, an add-on
request, a `package.json`, an Office lock file and a hidden folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner, Result

from sheetbrain.cli import cli

BROKEN = "Refers to #REF!: a referenced cell, row, column or sheet was deleted"
CIRCULAR = "Circular reference: A1, B1 depend on each other"
UNPARSABLE = "Cannot parse the formula: unexpected end of formula (at character 11)"
ENCRYPTED = "the workbook is password-protected (encrypted) or a legacy .xls file"
CORRUPT = "not a valid .xlsx workbook (not a zip archive)"
# what a search of the folder finds, and the files of those that can be read
FOUND = [
    "models/Q1 forecast.csv",
    "models/budget.xlsx",
    "models/corrupt.xlsx",
    "models/encrypted.xlsx",
    "models/package.json",
    "models/request.json",
    "models/sub/clean.xlsx",
]
READABLE = [
    "models/Q1 forecast.csv",
    "models/budget.xlsx",
    "models/request.json",
    "models/sub/clean.xlsx",
]


def audit_cli(*args: object) -> Result:
    return CliRunner().invoke(cli, ["audit", *map(str, args)])


def write_workbook(path: Path, sheets: dict[str, dict[str, object]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, cells in sheets.items():
        sheet = book.create_sheet(title)
        for address, content in cells.items():
            sheet[address] = content
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def write_models_folder(root: Path) -> None:
    models = root / "models"
    write_workbook(
        models / "budget.xlsx",
        {"Budget": {"A1": 5, "B3": "=A1+#REF!"}, "Loop": {"A1": "=B1", "B1": "=A1"}},
    )
    write_workbook(models / "sub" / "clean.xlsx", {"Names": {"A1": "north", "B1": "=UPPER(A1)"}})
    (models / "Q1 forecast.csv").write_text("Region,Total\nNorth,=SUM(B3:B4\n")
    (models / "encrypted.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    (models / "corrupt.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    grid = {"formulas": [["=B1", "=A1"]]}
    request = {"range": "A1:B1", "context": {"sheetName": "Sales", "data": grid}}
    (models / "request.json").write_text(json.dumps(request))
    (models / "package.json").write_text('{"name": "models", "private": true}')
    (models / "~$budget.xlsx").write_bytes(b"owner file of an open workbook")
    (root / ".cache").mkdir()
    (root / ".cache" / "copy.csv").write_text("=#REF!\n")
