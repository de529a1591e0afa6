"""What the .xlsx reader refuses, each with one line and never a traceback: zip bombs,
DTDs and entities, too many cells, corrupt zips and XML."""

import struct
import zipfile

import pytest
from click.testing import CliRunner
from xlsx_workbooks import workbook_parts, zip_parts

import sheetbrain.offline.readers as readers
import sheetbrain.offline.xlsx as xlsx
from sheetbrain.cli import cli
from sheetbrain.offline.readers import WorkbookReadError, read_cells

MIB = 1 << 20
ONE_CELL = '<row r="1"><c r="A1"><v>1</v></c></row>'


def padded_sheet(padding_bytes):
    """A one-cell sheet with `padding_bytes` of white space (compresses about 1000:1)."""
    return ONE_CELL + " " * padding_bytes


def refusal(path):
    with pytest.raises(WorkbookReadError) as raised:
        read_cells(path)
    return str(raised.value).split(": ", 1)[1]


def test_a_part_compressed_beyond_the_ratio_limit_is_refused_before_unpacking(write_xlsx):
    path = write_xlsx({"S": padded_sheet(10 * MIB)})
    with zipfile.ZipFile(path) as archive:
        part = archive.getinfo("xl/worksheets/sheet1.xml")
    ratio = part.file_size // part.compress_size  # about 1,000 with zlib's default level
    assert refusal(path) == (
        f"xl/worksheets/sheet1.xml is compressed {ratio:,}:1, above the 200:1 limit "
        "(zip bomb?); refused"
    )


def test_a_part_larger_than_the_size_limit_is_refused_before_unpacking(write_xlsx, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_PART_BYTES", 2 * MIB)
    path = write_xlsx({"S": padded_sheet(3 * MIB)})
    assert (
        refusal(path) == "xl/worksheets/sheet1.xml unpacks to 3 MB, above the 2 MB limit; refused"
    )


def test_parts_each_under_the_ratio_check_are_refused_together_while_unpacking(write_xlsx):
    # Each part is below the size from which the directory's ratio is checked; together
    # they unpack to far more than 200 times the archive, which streaming catches.
    path = write_xlsx({"A": padded_sheet(5 * MIB), "B": padded_sheet(5 * MIB)})
    assert refusal(path) == (
        "xl/worksheets/sheet2.xml unpacks to more than 200 times the workbook's size "
        "(zip bomb?); refused"
    )


def _central_directory_entry(data: bytes, name: bytes) -> int:
    at = data.find(b"PK\x01\x02")
    while data[at + 46 : at + 46 + len(name)] != name:
        at = data.find(b"PK\x01\x02", at + 1)
    return at


def test_a_directory_understating_a_part_size_fails_its_checksum(write_xlsx):
    path = write_xlsx({"S": ONE_CELL * 100})
    data = bytearray(path.read_bytes())
    entry = _central_directory_entry(data, b"xl/worksheets/sheet1.xml")
    struct.pack_into("<I", data, entry + 24, 100)  # uncompressed size
    path.write_bytes(data)
    assert refusal(path) == (
        "not a valid .xlsx workbook (Bad CRC-32 for file 'xl/worksheets/sheet1.xml')"
    )


def test_a_directory_overstating_a_compressed_size_is_refused(write_xlsx):
    path = write_xlsx({"S": padded_sheet(9 * MIB)})
    data = bytearray(path.read_bytes())
    entry = _central_directory_entry(data, b"xl/worksheets/sheet1.xml")
    struct.pack_into("<I", data, entry + 20, 9 * MIB)  # compressed size: ratio looks 1:1
    path.write_bytes(data)
    assert refusal(path) == (
        "not a valid .xlsx workbook (xl/worksheets/sheet1.xml is damaged: cut short)"
    )


ENTITIES = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'


@pytest.mark.parametrize(
    "part", ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml"]
)
def test_xml_declaring_entities_is_refused(tmp_path, part):
    parts = workbook_parts({"S": ONE_CELL})
    parts[part] = ENTITIES + parts[part]
    path = zip_parts(tmp_path / "entities.xlsx", parts)
    assert (
        refusal(path) == f"{part} declares a DTD or entities, which workbooks never need; refused"
    )


def test_more_cells_than_the_cap_are_refused(write_xlsx, monkeypatch):
    monkeypatch.setattr(readers, "MAX_CELLS", 3)
    path = write_xlsx({"A": ONE_CELL * 2, "B": ONE_CELL * 2})
    assert refusal(path) == "more than 3 non-empty cells"


CORRUPT = {
    "bad_xml": (
        {"xl/worksheets/sheet1.xml": "<worksheet><sheetData></worksheet>"},
        "not a valid .xlsx workbook (bad XML in xl/worksheets/sheet1.xml: mismatched tag, line 1)",
    ),
    "missing_sheet_part": (
        {"xl/worksheets/sheet1.xml": None},
        "not a valid .xlsx workbook (xl/worksheets/sheet1.xml is missing)",
    ),
    "no_workbook_inside": (
        {"xl/workbook.xml": "<document/>"},
        "not a valid .xlsx workbook (xl/workbook.xml holds no workbook)",
    ),
    "shared_string_out_of_range": (
        {
            "xl/worksheets/sheet1.xml": '<worksheet><sheetData><row r="1"><c r="A1" t="s">'
            "<v>5</v></c></row></sheetData></worksheet>"
        },
        "not a valid .xlsx workbook (cell A1: it points at shared string 5, of 0)",
    ),
    "number_that_is_not": (
        {
            "xl/worksheets/sheet1.xml": '<worksheet><sheetData><row r="1"><c r="A1">'
            "<v>lots</v></c></row></sheetData></worksheet>"
        },
        "not a valid .xlsx workbook (xl/worksheets/sheet1.xml: "
        "could not convert string to float: 'lots')",
    ),
}


@pytest.mark.parametrize(("changes", "message"), CORRUPT.values(), ids=CORRUPT.keys())
def test_a_corrupt_workbook_gives_one_line(tmp_path, changes, message):
    parts = workbook_parts({"S": ONE_CELL})
    parts.update(changes)
    path = zip_parts(tmp_path / "corrupt.xlsx", {k: v for k, v in parts.items() if v is not None})
    assert refusal(path) == message


def test_the_cli_reports_a_refused_workbook_in_one_line_and_exits_2(write_xlsx):
    path = write_xlsx({"S": padded_sheet(10 * MIB)})
    result = CliRunner().invoke(cli, ["audit", str(path)])
    # stderr has the one line; stdout's report lists the file as unreadable
    assert (result.exit_code, result.stderr.count("\n"), result.stderr.startswith("error: ")) == (
        2,
        1,
        True,
    )
