"""R1C1 shapes: a formula's text with every A1 reference rewritten relative to its own cell.

`=A1*2` in B1 and `=A2*2` in B2 both become `=RC[-1]*2`, so copied formulas share one
shape and are analysed once. This runs for every formula cell, so it is one compiled
regex pass over the text (skipping strings, quoted sheet names and bracketed parts)
instead of a full tokenize + parse.
"""

from __future__ import annotations

import re

from sheetbrain.formulas.references import (
    MAX_COLUMN,
    MAX_ROW,
    column_index,
    column_letters,
    parse_address,
)

# Text copied verbatim: string literals, quoted sheet names, [workbook] and Table[Column] parts.
_VERBATIM = r"""
    "(?:[^"]|"")*"
  | '(?:[^']|'')*'
  | \[(?:[^\[\]]|\[[^\[\]]*\])*\]
"""
# A reference may not be glued to a name, a number, a function call or a sheet prefix.
_BEFORE = r"(?<![A-Za-z0-9_.$\\])"
_AFTER = r"(?![A-Za-z0-9_.(!\[\\])"

# Groups: 1-8 a cell or area (per corner: column '$', letters, row '$', digits),
# 9-12 whole columns, 13-16 whole rows; verbatim text matches no group.
_A1_REFERENCE = re.compile(
    rf"""{_VERBATIM}
  | {_BEFORE}(?:
        (\$?)([A-Za-z]{{1,3}})(\$?)([0-9]{{1,7}})(?::(\$?)([A-Za-z]{{1,3}})(\$?)([0-9]{{1,7}}))?
      | (\$?)([A-Za-z]{{1,3}}):(\$?)([A-Za-z]{{1,3}})
      | (\$?)([0-9]{{1,7}}):(\$?)([0-9]{{1,7}})
    ){_AFTER}
""",
    re.VERBOSE,
)

_ROW_PART = r"R(?:\[-?[0-9]+\]|[0-9]+)?"
_COLUMN_PART = r"C(?:\[-?[0-9]+\]|[0-9]+)?"
_R1C1_REFERENCE = re.compile(
    rf"""{_BEFORE}(?:
        (?P<cell>({_ROW_PART})({_COLUMN_PART})(?::({_ROW_PART})({_COLUMN_PART}))?)
      | (?P<columns>({_COLUMN_PART}):({_COLUMN_PART}))
      | (?P<rows>({_ROW_PART}):({_ROW_PART}))
    ){_AFTER}
  | {_VERBATIM}
""",
    re.VERBOSE,
)


def shape_of(formula: str, row: int, column: int) -> str:
    """The R1C1 shape of `formula` written in the cell at (row, column)."""

    def relative(match: re.Match[str]) -> str:
        groups = match.groups()
        if groups[1] is not None:
            text = _row_part(groups[2], groups[3], row) + _column_part(groups[0], groups[1], column)
            if groups[5] is not None:
                text += ":" + _row_part(groups[6], groups[7], row)
                text += _column_part(groups[4], groups[5], column)
            return text
        if groups[9] is not None:
            first = _column_part(groups[8], groups[9], column)
            return first + ":" + _column_part(groups[10], groups[11], column)
        if groups[13] is not None:
            first = _row_part(groups[12], groups[13], row)
            return first + ":" + _row_part(groups[14], groups[15], row)
        return match.group(0)

    return _A1_REFERENCE.sub(relative, formula)


def shape_at(formula: str, address: str | None) -> str:
    """Shape for a cell given by A1 address; without an address the text is its own shape."""
    position = parse_address(address) if address else None
    return formula if position is None else shape_of(formula, *position)


def _row_part(dollar: str | None, digits: str | None, origin: int) -> str:
    if digits is None:
        return ""
    index = int(digits)
    if dollar:
        return f"R{index}"
    return f"R[{index - origin}]" if index != origin else "R"


def _column_part(dollar: str | None, letters: str | None, origin: int) -> str:
    if letters is None:
        return ""
    index = column_index(letters)
    if dollar:
        return f"C{index}"
    return f"C[{index - origin}]" if index != origin else "C"


def render_shape(shape: str, address: str | None) -> str | None:
    """The A1 formula a shape stands for in the cell at `address`.

    None when the shape has relative parts and no address is given, or when a
    reference would fall off the sheet there.
    """
    origin = parse_address(address) if address else None
    parts: list[str] = []
    last = 0
    for match in _R1C1_REFERENCE.finditer(shape):
        if not (match.group("cell") or match.group("columns") or match.group("rows")):
            continue
        rendered = _to_a1(match, origin)
        if rendered is None:
            return None
        parts.extend((shape[last : match.start()], rendered))
        last = match.end()
    parts.append(shape[last:])
    return "".join(parts)


def _to_a1(match: re.Match[str], origin: tuple[int, int] | None) -> str | None:
    groups = match.groups("")
    if match.group("cell"):
        corners = [(groups[1], groups[2])] + ([(groups[3], groups[4])] if groups[3] else [])
    elif match.group("columns"):
        corners = [("", groups[6]), ("", groups[7])]
    else:
        corners = [(groups[9], ""), (groups[10], "")]
    rendered = []
    for row_part, column_part in corners:
        text = ""
        if column_part:
            index = _resolve(column_part, origin and origin[1], MAX_COLUMN)
            if index is None:
                return None
            text += ("$" if _is_absolute(column_part) else "") + column_letters(index)
        if row_part:
            index = _resolve(row_part, origin and origin[0], MAX_ROW)
            if index is None:
                return None
            text += ("$" if _is_absolute(row_part) else "") + str(index)
        rendered.append(text)
    return ":".join(rendered)


def _is_absolute(part: str) -> bool:
    return part[1:].isdigit()


def _resolve(part: str, origin: int | None, limit: int) -> int | None:
    """'R[-1]' at row 5 -> 4; 'R3' -> 3; 'R' -> 5. None when off the sheet or unplaceable."""
    suffix = part[1:]
    if suffix.isdigit():
        index = int(suffix)
    elif origin is None:
        return None
    else:
        index = origin + (int(suffix[1:-1]) if suffix else 0)
    return index if 1 <= index <= limit else None
