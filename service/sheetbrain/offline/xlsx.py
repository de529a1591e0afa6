"""One pass over an .xlsx/.xlsm workbook: every non-empty cell's formula and cached value.

Each worksheet's XML is streamed once from the zip through the standard library's expat
parser; no openpyxl object is built. What is read:

- sheet names and order from `xl/workbook.xml` and its relationships; only worksheets
  are read (chartsheets, dialog and macro sheets have no cells to audit);
- per cell: its address, its formula (plain, array, shared) and its cached value, typed
  as Excel stores it: a number (int when written without '.'/exponent, as openpyxl
  does; date serials stay numbers), text (shared or inline strings, rich text runs
  joined, phonetic runs left out, `_xHHHH_` escapes kept as written), a bool, or an
  error code such as "#DIV/0!" as plain text. `t="d"` ISO dates become serials;
- shared formulas: the master's R1C1 shape and a template of its text are made once;
  every child gets that shape and its formula written from the template (what
  render_shape would write), so no child is tokenized;
- defined names with their sheet scope.

What is not a formula here: a text cell starting with "=" (the cell type decides), an
empty `<f/>`, and what-if data tables (`t="dataTable"`: Excel fills them, nobody types
them), which are read as their cached values.

Refused with a one-line `XlsxError`: encrypted or legacy OLE files, zip bombs (checked
on the zip directory, and again on the bytes actually unpacked, since the directory
can lie), XML with a DTD (so no entity expansion), more than `max_cells` cells.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from sheetbrain.formulas import CellInput, FormulaError
from sheetbrain.formulas.references import (
    MAX_COLUMN,
    MAX_ROW,
    ReferenceKind,
    column_index,
    column_letters,
    format_address,
    parse_address,
    parse_area,
    split_operand,
)
from sheetbrain.formulas.shapes import render_shape, shape_of
from sheetbrain.formulas.tokens import TokenKind, tokenize

MAX_PART_BYTES = 1 << 30  # one unpacked part; 5 million cells of XML fit well inside
MAX_COMPRESSION_RATIO = 200  # real workbooks stay under 25:1; deflate's ceiling is ~1000:1
SMALL_BYTES = 8 << 20  # below this, how well something compresses does not matter
_CHUNK_BYTES = 1 << 20
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # encrypted .xlsx and legacy .xls are OLE containers
_WORKSHEET_TYPE = "/worksheet"  # relationship type suffix, transitional and strict
_SHARED_STRINGS_TYPE = "/sharedStrings"
_OFFICE_DOCUMENT_TYPE = "/officeDocument"
_EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 0 in the 1900 system (after its fake Feb 29)
_EXCEL_1904_EPOCH = datetime(1904, 1, 1)


class XlsxError(Exception):
    """The workbook cannot be read; the message is one line meant for the user."""


@dataclass(frozen=True, slots=True)
class DefinedName:
    """A defined name: `sheet` is its scope (from localSheetId), None for the workbook."""

    name: str
    text: str
    sheet: str | None


@dataclass(frozen=True, slots=True)
class Worksheet:
    name: str
    cells: tuple[CellInput, ...]


@dataclass(frozen=True, slots=True)
class Workbook:
    sheet_names: tuple[str, ...]  # every sheet in tab order, chartsheets included
    worksheets: tuple[Worksheet, ...]  # the worksheets read, in tab order
    defined_names: tuple[DefinedName, ...]

    def names_visible_from(self, sheet: str) -> dict[str, str]:
        """Defined name -> text as formulas on `sheet` see them (its own names win)."""
        visible = {n.name: n.text for n in self.defined_names if n.sheet is None}
        visible.update({n.name: n.text for n in self.defined_names if n.sheet == sheet})
        return visible


def read_xlsx(source: Path | BinaryIO, sheet: str | None = None, *, max_cells: int) -> Workbook:
    """Every worksheet's non-empty cells (only `sheet`'s when given). Raises XlsxError."""
    try:
        with _Package(source) as package:
            return _read_package(package, sheet, max_cells)
    except zipfile.BadZipFile as error:  # a part failing its CRC check, among others
        raise XlsxError(f"not a valid .xlsx workbook ({error})") from error


class _Package:
    """The zip, with every part checked against the bomb limits before and while unpacking."""

    def __init__(self, source: Path | BinaryIO) -> None:
        handle = source.open("rb") if isinstance(source, Path) else source
        self._owned = handle if isinstance(source, Path) else None
        if handle.read(4) == _OLE_SIGNATURE:
            self.close()
            raise XlsxError("the workbook is password-protected (encrypted) or a legacy .xls file")
        archive_bytes = handle.seek(0, 2)
        handle.seek(0)
        try:
            self._zip = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, ValueError) as error:
            self.close()
            raise XlsxError("not a valid .xlsx workbook (not a zip archive)") from error
        self._names = {info.filename.lower(): info for info in self._zip.infolist()}
        self._unpack_budget = max(MAX_COMPRESSION_RATIO * archive_bytes, SMALL_BYTES)

    def __enter__(self) -> _Package:
        return self

    def __exit__(self, *_: object) -> None:
        self._zip.close()
        self.close()

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()

    def has(self, name: str) -> bool:
        return name.lower() in self._names

    def parse(self, name: str, parser: expat.XMLParserType) -> None:
        """Stream the part `name` through `parser`, within the unpacking limits.

        The directory's sizes are checked first. They can lie, but zipfile stops at the
        size the directory gives and then fails the CRC check, and a compressed size
        claiming more bytes than follow ends in EOFError. Parts below the ratio check's
        floor can still add up, so the bytes actually unpacked are also counted against
        MAX_COMPRESSION_RATIO times the archive's real size.
        """
        info = self._names.get(name.lower())
        if info is None:
            raise XlsxError(f"not a valid .xlsx workbook ({name} is missing)")
        _check_directory_entry(info)
        try:
            stream = self._zip.open(info)
        except (NotImplementedError, RuntimeError) as error:  # compression method, password
            raise XlsxError(f"not a valid .xlsx workbook (cannot open {name}: {error})") from error
        with stream:
            while True:
                try:
                    chunk = stream.read(_CHUNK_BYTES)
                except (EOFError, zlib.error) as error:
                    reason = str(error) or "cut short"
                    raise XlsxError(
                        f"not a valid .xlsx workbook ({name} is damaged: {reason})"
                    ) from error
                if not chunk:
                    break
                self._unpack_budget -= len(chunk)
                if self._unpack_budget < 0:
                    raise XlsxError(
                        f"{name} unpacks to more than {MAX_COMPRESSION_RATIO} times the "
                        "workbook's size (zip bomb?); refused"
                    )
                _feed(parser, name, chunk, final=False)
        _feed(parser, name, b"", final=True)


def _check_directory_entry(info: zipfile.ZipInfo) -> None:
    size, packed = info.file_size, info.compress_size
    if size > MAX_PART_BYTES:
        raise XlsxError(
            f"{info.filename} unpacks to {size >> 20:,} MB, above the "
            f"{MAX_PART_BYTES >> 20:,} MB limit; refused"
        )
    if size > SMALL_BYTES and size > MAX_COMPRESSION_RATIO * packed:
        ratio = size // max(packed, 1)
        raise XlsxError(
            f"{info.filename} is compressed {ratio:,}:1, above the {MAX_COMPRESSION_RATIO}:1 "
            "limit (zip bomb?); refused"
        )


def _feed(parser: expat.XMLParserType, name: str, chunk: bytes, *, final: bool) -> None:
    try:
        parser.Parse(chunk, final)
    except expat.ExpatError as error:
        reason = expat.ErrorString(error.code)
        raise XlsxError(
            f"not a valid .xlsx workbook (bad XML in {name}: {reason}, line {error.lineno})"
        ) from error


def _safe_parser(part: str, *, namespaces: bool = False) -> expat.XMLParserType:
    """An expat parser that refuses any DTD, so no entity can be declared or expanded."""
    parser = expat.ParserCreate(namespace_separator=" " if namespaces else None)
    parser.buffer_text = True

    def refuse(*_: object) -> None:
        raise XlsxError(f"{part} declares a DTD or entities, which workbooks never need; refused")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


@dataclass(frozen=True, slots=True)
class _SheetEntry:
    name: str
    part: str | None  # None for chartsheets, dialog and macro sheets


@dataclass
class _WorkbookPart:
    sheets: list[tuple[str, str]]  # (name, relationship id)
    names: list[tuple[str, str, int | None]]  # (name, text, localSheetId)
    date1904: bool = False
    is_workbook: bool = False  # its root is <workbook> (a .docx renamed has another)


def _read_package(package: _Package, only: str | None, max_cells: int) -> Workbook:
    workbook_part = _office_document(package)
    relationships = _relationships(package, workbook_part)
    book = _parse_workbook(package, workbook_part)
    entries = []
    for name, relationship_id in book.sheets:
        kind, target = relationships.get(relationship_id, ("", ""))
        entries.append(_SheetEntry(name, target if kind.endswith(_WORKSHEET_TYPE) else None))
    names = tuple(entry.name for entry in entries)
    if only is not None and only not in names:
        raise XlsxError(f"no sheet named {only!r} (sheets: {', '.join(names)})")
    shared_strings = next(
        (
            _parse_shared_strings(package, target)
            for kind, target in relationships.values()
            if kind.endswith(_SHARED_STRINGS_TYPE) and package.has(target)
        ),
        [],
    )
    budget = _CellBudget(max_cells)
    worksheets = tuple(
        Worksheet(
            entry.name,
            _SheetReader(shared_strings, book.date1904, budget).read(package, entry.part),
        )
        for entry in entries
        if entry.part is not None and (only is None or entry.name == only)
    )
    defined = tuple(
        DefinedName(name, text, names[scope] if scope is not None and scope < len(names) else None)
        for name, text, scope in book.names
    )
    return Workbook(names, worksheets, defined)


def _office_document(package: _Package) -> str:
    if not package.has("_rels/.rels"):
        return "xl/workbook.xml"
    for kind, target in _relationships(package, "").values():
        if kind.endswith(_OFFICE_DOCUMENT_TYPE):
            return target
    raise XlsxError(
        "not a valid .xlsx workbook (no workbook part; is it a Word or PowerPoint file?)"
    )


def _relationships(package: _Package, source_part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part) of `source_part` ("" for the package)."""
    folder, base = posixpath.split(source_part)
    rels_part = posixpath.join(folder, "_rels", f"{base}.rels")
    found: dict[str, tuple[str, str]] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        if name.rpartition(" ")[2] != "Relationship" or attrs.get("TargetMode") == "External":
            return
        target = attrs.get("Target", "")
        part = target[1:] if target.startswith("/") else posixpath.join(folder, target)
        found[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(part))

    parser = _safe_parser(rels_part, namespaces=True)
    parser.StartElementHandler = start
    package.parse(rels_part, parser)
    return found


def _parse_workbook(package: _Package, part: str) -> _WorkbookPart:
    book = _WorkbookPart([], [])
    pending: list[tuple[str, int | None]] = []  # the definedName being read
    texts: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(" ")[2]
        if local == "sheet":
            relationship_id = next((v for k, v in attrs.items() if k.endswith(" id")), "")
            book.sheets.append((attrs.get("name", ""), relationship_id))
        elif local == "definedName":
            scope = attrs.get("localSheetId")
            pending.append(
                (attrs.get("name", ""), int(scope) if scope and scope.isdigit() else None)
            )
            texts.clear()
        elif local == "workbookPr":
            book.date1904 = attrs.get("date1904", "").lower() in ("1", "true")
        elif local == "workbook":
            book.is_workbook = True

    def end(name: str) -> None:
        if pending and name.rpartition(" ")[2] == "definedName":
            defined, scope = pending.pop()
            book.names.append((defined, "".join(texts), scope))

    parser = _safe_parser(part, namespaces=True)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = lambda data: texts.append(data) if pending else None
    package.parse(part, parser)
    if not book.is_workbook:
        raise XlsxError(f"not a valid .xlsx workbook ({part} holds no workbook)")
    return book


def _parse_shared_strings(package: _Package, part: str) -> list[str]:
    strings: list[str] = []
    texts: list[str] = []
    depth = {"t": 0, "rPh": 0}  # inside <t>, inside a phonetic run (left out, as Excel shows)

    def start(name: str, _: dict[str, str]) -> None:
        local = name.rpartition(" ")[2]
        if local in depth:
            depth[local] += 1

    def end(name: str) -> None:
        local = name.rpartition(" ")[2]
        if local in depth:
            depth[local] -= 1
        elif local == "si":
            strings.append("".join(texts))
            texts.clear()

    def text(data: str) -> None:
        if depth["t"] and not depth["rPh"]:
            texts.append(data)

    parser = _safe_parser(part, namespaces=True)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    package.parse(part, parser)
    return strings


class _CellBudget:
    def __init__(self, max_cells: int) -> None:
        self.left = max_cells
        self.limit = max_cells

    def exceeded(self) -> XlsxError:
        return XlsxError(f"more than {self.limit:,} non-empty cells")


class _SheetReader:
    """Turns one worksheet's XML into CellInputs; expat calls `_start`, `_text` and `_end`.

    Hot path: a million cells mean some five million callbacks, so state lives in plain
    attributes, text goes straight to where it belongs, and the common cell (a number,
    a shared string, a shared-formula child) takes no detour through helpers.
    """

    def __init__(self, shared_strings: list[str], date1904: bool, budget: _CellBudget) -> None:
        self._strings = shared_strings
        self._date1904 = date1904
        self._budget = budget
        self._cells: list[CellInput] = []
        self._groups: dict[str, _SharedFormula] = {}
        self._tags: dict[str, str] = {}  # tag as written -> local name, set from the root
        self._row = 0  # number of the current <row>
        self._previous: str | None = None  # address of the row's previous cell, if it had one
        self._column = 0  # column of the row's previous cell, when it had no address
        self._address: str | None = None
        self._type: str | None = None
        self._formula: dict[str, str] | None = None  # attributes of the cell's <f>
        self._formula_text = ""
        self._value: str | None = None
        self._inline: list[str] | None = None  # text runs of an inline string
        self._phonetic = False
        self._target = _NOWHERE  # where the text being read goes

    def read(self, package: _Package, part: str) -> tuple[CellInput, ...]:
        parser = _safe_parser(part)

        def root(name: str, attrs: dict[str, str]) -> None:
            # Namespace processing is off (it costs), so learn the prefix the sheet uses
            # for its main namespace ("" or e.g. "x:") from the root element's name.
            prefix = name[: -len("worksheet")] if name.endswith("worksheet") else ""
            self._tags = {prefix + tag: tag for tag in ("c", "v", "f", "row", "is", "t", "rPh")}
            parser.StartElementHandler = self._start
            self._start(name, attrs)

        parser.StartElementHandler = root
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        try:
            package.parse(part, parser)
        except ValueError as error:  # a number cell whose text is no number
            raise XlsxError(f"not a valid .xlsx workbook ({part}: {error})") from error
        return tuple(self._cells)

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        tag = self._tags.get(name)
        if tag is None:
            return
        if tag == "c":
            self._address = attrs.get("r")
            self._type = attrs.get("t")
            self._formula = None
            self._value = None
            self._inline = None
        elif tag == "v":
            self._target = _VALUE
        elif tag == "f":
            self._target = _FORMULA
            self._formula = attrs
            self._formula_text = ""
        elif tag == "row":
            number = attrs.get("r")
            self._row = int(number) if number and number.isdigit() else self._row + 1
            self._previous = None
            self._column = 0
        elif tag == "is":
            self._inline = []
        elif tag == "t":
            if self._inline is not None and not self._phonetic:
                self._target = _INLINE
        else:  # rPh: a phonetic run, which Excel does not show as part of the text
            self._phonetic = True

    def _text(self, data: str) -> None:
        target = self._target
        if target == _VALUE:
            self._value = data if self._value is None else self._value + data
        elif target == _FORMULA:
            self._formula_text += data
        elif target == _INLINE and self._inline is not None:
            self._inline.append(data)

    def _end(self, name: str) -> None:
        tag = self._tags.get(name)
        if tag == "c":
            self._cell()
        elif tag == "rPh":
            self._phonetic = False
        elif tag is not None:
            self._target = _NOWHERE

    def _cell(self) -> None:
        address = self._address
        if address is None:
            address = self._next_address()
        else:
            self._previous = address
        text, kind = self._value, self._type
        value: object
        if text is None:
            value = "".join(self._inline) if self._inline is not None else None
        elif kind is None:
            value = _number(text) if text else None
        elif kind == "s" and text:
            value = self._shared_string(text)
        else:
            value = self._typed_value(kind, text)
        formula = shape = None
        if self._formula is not None:
            formula, shape = self._formula_of(address, self._formula)
        if formula is None and value is None:
            return
        self._budget.left -= 1
        if self._budget.left < 0:
            raise self._budget.exceeded()
        self._cells.append(CellInput(address, formula, value, shape))

    def _next_address(self) -> str:
        """A cell may omit r="": it is then the one after the row's previous cell."""
        if self._previous is not None:
            position = parse_address(self._previous)
            self._column = position[1] if position else 0
            self._previous = None
        self._column += 1
        return format_address(self._row, self._column)

    def _shared_string(self, text: str) -> str:
        try:
            return self._strings[int(text)]
        except (ValueError, IndexError) as error:
            raise self._invalid(
                f"it points at shared string {text}, of {len(self._strings)}"
            ) from error

    def _typed_value(self, kind: str, text: str) -> object:
        if kind == "inlineStr":  # its text is in <is>, and an <v> beside it means nothing
            return "".join(self._inline) if self._inline is not None else None
        if not text:
            return None
        if kind == "n":
            return _number(text)
        if kind == "b":
            return text.strip().lower() in ("1", "true")
        if kind == "d":
            return _iso_date_serial(text, self._date1904)
        return text  # "e": an error code such as "#DIV/0!"; "str": a formula's text result

    def _invalid(self, reason: str) -> XlsxError:
        return XlsxError(f"not a valid .xlsx workbook (cell {self._address}: {reason})")

    def _formula_of(self, address: str, attrs: dict[str, str]) -> tuple[str | None, str | None]:
        text = self._formula_text
        kind = attrs.get("t")
        if kind == "shared":
            group = self._groups.get(attrs.get("si", ""))
            if group is not None:  # a child, even if it has text (as openpyxl reads it)
                return group.copy_to(address), group.shape
            position = parse_address(address)
            if not text or position is None:
                return None, None  # a child whose master never came: its cached value only
            group = self._groups[attrs.get("si", "")] = _SharedFormula("=" + text, *position)
            return group.formula, group.shape
        if kind == "dataTable" or not text:
            return None, None
        return "=" + text, None


_NOWHERE, _VALUE, _FORMULA, _INLINE = range(4)
_DIGITS = "0123456789"


def _number(text: str) -> int | float:
    """As openpyxl reads numbers: an int unless written with a point or an exponent."""
    try:
        return float(text) if "." in text or "E" in text or "e" in text else int(text)
    except ValueError:
        return float(text)  # "NaN", "INF"; anything else raises: a corrupt cell


def _iso_date_serial(text: str, date1904: bool) -> float | str:
    """An ISO 8601 `t="d"` value as the serial Excel stores for it (the text if unreadable)."""
    try:
        moment = datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return text
    serial = (moment - (_EXCEL_1904_EPOCH if date1904 else _EXCEL_EPOCH)) / timedelta(days=1)
    if not date1904 and serial < 61:
        serial -= 1  # before 1900-03-01: Excel counts a 29 February 1900 that never was
    return serial


class _SharedFormula:
    """A shared-formula group: the master's formula, its R1C1 shape, and a template that
    writes the formula for any child cell without tokenizing it.

    The template is the master's text cut at every row and column part of its references
    (found once with the engine's tokenizer); a child's formula is the literal pieces
    with the relative parts moved by the child's offset from the master. That is
    render_shape's answer, several times faster; and where a reference is pushed off the
    grid, render_shape has no answer while Excel wraps it round the grid's edges
    (MS-XLSB 2.5.98.92, RgceLocRel), as the template does. A group whose template does
    not reproduce its shape (text the tokenizer and the shape regex read differently)
    renders its children with render_shape instead.
    """

    __slots__ = ("_by_column_shift", "_pieces", "_slots", "column", "formula", "row", "shape")

    def __init__(self, formula: str, row: int, column: int) -> None:
        self.formula, self.row, self.column = formula, row, column
        self.shape = shape_of(formula, row, column)
        self._pieces: list[str] = []  # literal text; a slot sits between each two pieces
        self._slots: list[tuple[bool, int]] = []  # (is a row part, the master's index)
        # per column shift: a format string with the columns written in and a {} per row
        # part, the master's row indices, and their lowest and highest
        self._by_column_shift: dict[int, tuple[str, list[int], int, int]] = {}
        if not self._cut(formula) or not self._reproduces_shape():
            self._pieces = []

    def copy_to(self, address: str) -> str:
        """The formula as it reads in the child at `address`."""
        letters = address.rstrip(_DIGITS)
        digits = address[len(letters) :]
        if not self._pieces or not digits or not letters.isalpha() or len(letters) > 3:
            return render_shape(self.shape, address) or self.formula
        return self._render(int(digits) - self.row, column_index(letters) - self.column)

    def _render(self, rows: int, columns: int) -> str:
        template = self._by_column_shift.get(columns)
        if template is None:
            template = self._by_column_shift[columns] = self._with_columns(columns)
        text, bases, lowest, highest = template
        if lowest + rows < 1 or highest + rows > MAX_ROW:
            return text.format(*[(base + rows - 1) % MAX_ROW + 1 for base in bases])
        return text.format(*[base + rows for base in bases])

    def _with_columns(self, shift: int) -> tuple[str, list[int], int, int]:
        parts = [self._pieces[0].replace("{", "{{").replace("}", "}}")]
        bases = []
        for (is_row, index), piece in zip(self._slots, self._pieces[1:], strict=True):
            if is_row:
                parts.append("{}")
                bases.append(index)
            else:
                parts.append(column_letters((index + shift - 1) % MAX_COLUMN + 1))
            parts.append(piece.replace("{", "{{").replace("}", "}}"))
        return "".join(parts), bases, min(bases, default=1), max(bases, default=1)

    def _cut(self, formula: str) -> bool:
        try:
            tokens = tokenize(formula)
        except FormulaError:
            return False
        piece, last = "", 0
        for token in tokens:
            body = split_operand(token.text).body if token.kind is TokenKind.OPERAND else ""
            area = parse_area(body) if body else None
            if area is None:
                continue
            end = token.position + len(token.text)
            piece += formula[last : end - len(body)]
            corners = [(area.first_column, area.first_row)]
            if area.kind is not ReferenceKind.CELL:
                corners.append((area.last_column, area.last_row))
            for number, (column, row) in enumerate(corners):
                piece += ":" if number else ""
                for bound, is_row in ((column, False), (row, True)):
                    if bound is None:
                        continue
                    if bound.absolute:
                        piece += "$" + (str(bound.index) if is_row else column_letters(bound.index))
                    else:
                        self._pieces.append(piece)
                        self._slots.append((is_row, bound.index))
                        piece = ""
            last = end
        self._pieces.append(piece + formula[last:])
        return True

    def _reproduces_shape(self) -> bool:
        """Does the template, copied one row and one column away, keep the master's shape?

        The copy goes down and right, or up and left where that would push a reference
        off the grid (a wrapped reference has another shape by design).
        """
        rows = _step(self._slots, True, MAX_ROW)
        columns = _step(self._slots, False, MAX_COLUMN)
        moved = self._render(rows, columns)
        return shape_of(moved, self.row + rows, self.column + columns) == self.shape


def _step(slots: list[tuple[bool, int]], rows: bool, limit: int) -> int:
    """+1, or -1, or 0: a move along one axis that keeps every reference on the grid."""
    indices = [index for is_row, index in slots if is_row is rows]
    if not indices or max(indices) < limit:
        return 1
    return -1 if min(indices) > 1 else 0
