"""A1 addresses: column letters, cell coordinates and the text of reference operands."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_ROW = 1_048_576
MAX_COLUMN = 16_384  # column XFD

_ADDRESS = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_CELL = r"(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})"
_REFERENCE_BODY = re.compile(
    rf"{_CELL}(?::{_CELL})?"
    r"|(?P<col_range>(\$?)([A-Za-z]{1,3}):(\$?)([A-Za-z]{1,3}))"
    r"|(?P<row_range>(\$?)([0-9]{1,7}):(\$?)([0-9]{1,7}))"
)
# Defined names may use any letter (Excel accepts "μA" or "Größe"), '_' or '\\' first.
# Defined names may start with any letter (Excel takes "μA" or "Größe"), '_' or '\'.
_NAME = re.compile(r"(?:[^\W\d]|[_\\])[\w.\\?]*")


def column_index(letters: str) -> int:
    """'A' -> 1, 'AA' -> 27 (any case)."""
    index = _COLUMN_NUMBERS.get(letters)
    if index is None:
        index = 0
        for letter in letters.upper():
            index = index * 26 + ord(letter) - 64
        _COLUMN_NUMBERS[letters] = index
    return index


# Memo for column_index, which runs for every cell and reference; it holds at most the
# 1-3 letter spellings seen (bounded by 52**3 entries).
_COLUMN_NUMBERS: dict[str, int] = {}


def column_letters(index: int) -> str:
    """1 -> 'A', 27 -> 'AA'."""
    letters = ""
    while index > 0:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


_DIGITS = "0123456789"


def parse_address(address: str) -> tuple[int, int] | None:
    """'B3' or '$B$3' -> (row 3, column 2); None when it is not a single in-grid cell."""
    # this runs for every audited cell: plain 'B3' is split without the regex
    letters = address.rstrip(_DIGITS)
    if 0 < len(letters) <= 3 and letters.isalpha() and letters.isascii():
        digits = address[len(letters) :]
        if digits and len(digits) <= 7:
            row, column = int(digits), column_index(letters)
            if 1 <= row <= MAX_ROW and column <= MAX_COLUMN:
                return row, column
            return None
    match = _ADDRESS.fullmatch(address.strip())
    if match is None:
        return None
    row, column = int(match.group(2)), column_index(match.group(1))
    if not (1 <= row <= MAX_ROW and 1 <= column <= MAX_COLUMN):
        return None
    return row, column


def format_address(row: int, column: int) -> str:
    return f"{column_letters(column)}{row}"


class ReferenceKind(StrEnum):
    CELL = "cell"
    AREA = "area"
    COLUMNS = "columns"  # A:C
    ROWS = "rows"  # 1:3


@dataclass(frozen=True, slots=True)
class Bound:
    """One row or column index of a reference, and whether it carries a '$'."""

    index: int
    absolute: bool


@dataclass(frozen=True, slots=True)
class Area:
    """Rectangle covered by a reference; a missing bound means "the whole row/column"."""

    kind: ReferenceKind
    first_row: Bound | None
    first_column: Bound | None
    last_row: Bound | None
    last_column: Bound | None

    @property
    def has_absolute_part(self) -> bool:
        bounds = (self.first_row, self.first_column, self.last_row, self.last_column)
        return any(bound is not None and bound.absolute for bound in bounds)

    def rows(self) -> tuple[int, int]:
        first, last = self.first_row, self.last_row
        if first is None or last is None:
            return 1, MAX_ROW
        return min(first.index, last.index), max(first.index, last.index)

    def columns(self) -> tuple[int, int]:
        first, last = self.first_column, self.last_column
        if first is None or last is None:
            return 1, MAX_COLUMN
        return min(first.index, last.index), max(first.index, last.index)


@dataclass(frozen=True, slots=True)
class SplitOperand:
    """An operand split into its workbook/sheet prefix and the part after '!'."""

    workbook: str | None
    sheet: str | None
    body: str


def split_operand(text: str) -> SplitOperand:
    """`'[Book.xlsx]My Sheet'!A1` -> workbook 'Book.xlsx', sheet 'My Sheet', body 'A1'."""
    if text.startswith("'"):
        closing = _closing_quote(text)
        if closing is None or closing + 1 >= len(text) or text[closing + 1] != "!":
            return SplitOperand(None, None, text)
        prefix, body = text[1:closing].replace("''", "'"), text[closing + 2 :]
    else:
        bang = text.rfind("!")
        if bang < 0:
            return SplitOperand(None, None, text)
        prefix, body = text[:bang], text[bang + 1 :]
    workbook = None
    if "[" in prefix and "]" in prefix:
        open_at, close_at = prefix.index("["), prefix.index("]")
        workbook = prefix[:open_at] + prefix[open_at + 1 : close_at]
        prefix = prefix[close_at + 1 :]
    return SplitOperand(workbook, prefix or None, body)


def _closing_quote(text: str) -> int | None:
    index = 1
    while index < len(text):
        if text[index] == "'":
            if index + 1 < len(text) and text[index + 1] == "'":
                index += 2
                continue
            return index
        index += 1
    return None


def parse_area(body: str) -> Area | None:
    """'A1', '$A$1:B2', 'A:A', '1:3' -> Area; None for anything else (names, tables)."""
    match = _REFERENCE_BODY.fullmatch(body)
    if match is None:
        return None
    groups = match.groups()
    if match.group("col_range"):
        first, last = column_index(groups[10]), column_index(groups[12])
        if max(first, last) > MAX_COLUMN:
            return None
        return Area(
            ReferenceKind.COLUMNS,
            None,
            Bound(first, groups[9] == "$"),
            None,
            Bound(last, groups[11] == "$"),
        )
    if match.group("row_range"):
        first, last = int(groups[15]), int(groups[17])
        if not (min(first, last) >= 1 and max(first, last) <= MAX_ROW):
            return None
        return Area(
            ReferenceKind.ROWS,
            Bound(first, groups[14] == "$"),
            None,
            Bound(last, groups[16] == "$"),
            None,
        )
    start = _cell_bounds(groups[0:4])
    if start is None:
        return None
    if groups[5] is None:
        return Area(ReferenceKind.CELL, start[0], start[1], start[0], start[1])
    end = _cell_bounds(groups[4:8])
    if end is None:
        return None
    return Area(ReferenceKind.AREA, start[0], start[1], end[0], end[1])


def _cell_bounds(groups: tuple[str | None, ...]) -> tuple[Bound, Bound] | None:
    column_dollar, letters, row_dollar, digits = groups
    if letters is None or digits is None:
        return None
    row, column = int(digits), column_index(letters)
    if not (1 <= row <= MAX_ROW and column <= MAX_COLUMN):
        return None
    return Bound(row, row_dollar == "$"), Bound(column, column_dollar == "$")


def is_name(text: str) -> bool:
    return _NAME.fullmatch(text) is not None
