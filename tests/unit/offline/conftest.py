"""Fixtures of the offline tests: .xlsx reader workbooks and oracle (xlsx_workbooks),
and a folder of models for the many-files audit (support.spreadsheets)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from xlsx_workbooks import differences, workbook_parts, zip_parts

from support.spreadsheets import write_models_folder


@pytest.fixture
def write_xlsx(tmp_path: Path) -> Callable[..., Path]:
    """write_xlsx(sheets, strings=..., defined_names=...) -> path of the written workbook."""

    def write(sheets: dict[str, str], name: str = "book.xlsx", **options: object) -> Path:
        return zip_parts(tmp_path / name, workbook_parts(sheets, **options))

    return write


@pytest.fixture
def differences_from_openpyxl() -> Callable[[Path], list[str]]:
    """differences(path): every cell where the reader and openpyxl disagree, as text."""
    return differences


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder, holding models/ (see support.spreadsheets)."""
    monkeypatch.chdir(tmp_path)
    write_models_folder(tmp_path)
    return tmp_path
