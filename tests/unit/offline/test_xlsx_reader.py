"""The one-pass .xlsx reader: cell by cell the same as openpyxl's two loads (formulas,
then cached values), on workbooks written the way Excel writes them."""

import io

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl.chart import BarChart, Reference
from xlsx_workbooks import workbook_parts, zip_parts

from sheetbrain.formulas import CellInput, render_shape
from sheetbrain.formulas.references import MAX_ROW, format_address, parse_address
from sheetbrain.formulas.shapes import shape_of
from sheetbrain.offline.readers import read_cells
from sheetbrain.offline.xlsx import DefinedName, read_xlsx

STRINGS = [
    "<t>label</t>",
    '<r><t>rich </t></r><r><rPr><i/></rPr><t>shared</t></r><rPh sb="0" eb="1"><t>x</t></rPh>',
    "<t>=A1*2</t>",
    '<t xml:space="preserve">  padded </t>',
]
EVERY_TYPE = (
    '<row r="1">'
    '<c r="A1"><v>42</v></c>'
    '<c r="B1"><v>2.5</v></c>'
    '<c r="C1"><v>1E-3</v></c>'
    '<c r="D1" t="s"><v>0</v></c>'
    '<c r="E1" t="s"><v>1</v></c>'
    '<c r="F1" t="inlineStr"><is><t>inline</t></is></c>'
    '<c r="G1" t="inlineStr"><is><r><t>rich </t></r><r><rPr><b/></rPr><t>inline</t></r>'
    '<rPh sb="0" eb="1"><t>ri</t></rPh></is></c>'
    '<c r="H1" t="b"><v>1</v></c>'
    '<c r="I1" t="b"><v>0</v></c>'
    '<c r="J1" t="e"><v>#DIV/0!</v></c>'
    '<c r="K1" s="1"><v>45292.5</v></c>'
    '<c r="L1" t="s"><v>2</v></c>'
    '<c r="M1" s="1"/>'
    '<c r="N1" t="s"><v>3</v></c>'
    "</row>"
    '<row r="2">'
    '<c r="A2"><f>A1*2</f><v>84</v></c>'
    '<c r="B2" t="str"><f>D1&amp;"!"</f><v>label!</v></c>'
    '<c r="C2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
    '<c r="D2" t="b"><f>A1&gt;1</f><v>1</v></c>'
    '<c r="E2"><f>SUM(A1:C1)</f></c>'
    '<c r="F2" t="str"><f>""</f><v></v></c>'
    '<c r="G2"><f>_xlfn.XLOOKUP(1,A1:C1,A1:C1)</f><v>42</v></c>'
    "</row>"
)
EXPECTED = {
    "A1": CellInput("A1", None, 42),
    "B1": CellInput("B1", None, 2.5),
    "C1": CellInput("C1", None, 0.001),
    "D1": CellInput("D1", None, "label"),
    "E1": CellInput("E1", None, "rich shared"),
    "F1": CellInput("F1", None, "inline"),
    "G1": CellInput("G1", None, "rich inline"),
    "H1": CellInput("H1", None, True),
    "I1": CellInput("I1", None, False),
    "J1": CellInput("J1", None, "#DIV/0!"),
    "K1": CellInput("K1", None, 45292.5),
    "L1": CellInput("L1", None, "=A1*2"),
    "N1": CellInput("N1", None, "  padded "),
    "A2": CellInput("A2", "=A1*2", 84),
    "B2": CellInput("B2", '=D1&"!"', "label!"),
    "C2": CellInput("C2", "=1/0", "#DIV/0!"),
    "D2": CellInput("D2", "=A1>1", True),
    "E2": CellInput("E2", "=SUM(A1:C1)", None),
    "F2": CellInput("F2", '=""', None),
    "G2": CellInput("G2", "=_xlfn.XLOOKUP(1,A1:C1,A1:C1)", 42),
}
# C2:D5 share one formula (C2 is the master); E2:E3 is an array formula; F2 heads a data table.
SHARED = '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row>' + "".join(
    f'<row r="{row}"><c r="A{row}"><v>{row}</v></c><c r="B{row}"><v>{row * 10}</v></c>'
    + "".join(
        f'<c r="{column}{row}">'
        + (
            '<f t="shared" ref="C2:D5" si="0">A2*$B$1+SUM(A$2:A2)+\'My Sheet\'!B2</f>'
            if (column, row) == ("C", 2)
            else '<f t="shared" si="0"/>'
        )
        + f"<v>{row}</v></c>"
        for column in "CD"
    )
    + (
        '<c r="E2"><f t="array" ref="E2:E3">A2:A3*2</f><v>4</v></c>'
        '<c r="F2"><f t="dataTable" ref="F2:F3" dt2D="0" dtr="0" r1="A1"/><v>7</v></c>'
        if row == 2
        else ""
    )
    + ('<c r="E3"><v>6</v></c><c r="F3"><v>8</v></c>' if row == 3 else "")
    + "</row>"
    for row in range(2, 6)
)


@pytest.fixture
def every_type(write_xlsx):
    return write_xlsx({"Types": EVERY_TYPE}, strings=STRINGS)


@pytest.fixture
def shared(write_xlsx):
    return write_xlsx({"Shared": SHARED, "My Sheet": '<row r="2"><c r="B2"><v>5</v></c></row>'})


def cells_by_address(path, sheet=None):
    return {cell.address: cell for s in read_cells(path, sheet) for cell in s.cells}


def test_every_cell_type_matches_openpyxl(every_type, differences_from_openpyxl):
    assert differences_from_openpyxl(every_type) == []


@pytest.mark.parametrize(("address", "expected"), EXPECTED.items(), ids=EXPECTED.keys())
def test_each_cell_type_is_read_as_excel_stores_it(every_type, address, expected):
    assert cells_by_address(every_type)[address] == expected


def test_empty_styled_cells_are_left_out(every_type):
    assert sorted(cells_by_address(every_type)) == sorted(EXPECTED)


def test_shared_and_array_formulas_match_openpyxl(shared, differences_from_openpyxl):
    assert differences_from_openpyxl(shared) == []


def test_shared_formula_children_are_written_out_for_their_cell(shared):
    assert cells_by_address(shared)["D5"] == CellInput(
        "D5",
        "=B5*$B$1+SUM(B$2:B5)+'My Sheet'!C5",
        5,
        "=RC[-2]*R1C2+SUM(R2C[-2]:RC[-2])+'My Sheet'!RC[-1]",
    )


def test_every_shared_formula_cell_carries_the_shape_of_its_own_text(shared):
    cells = [c for c in cells_by_address(shared, "Shared").values() if c.shape is not None]
    assert [shape_of(c.formula, *parse_address(c.address)) for c in cells] == [
        "=RC[-2]*R1C2+SUM(R2C[-2]:RC[-2])+'My Sheet'!RC[-1]"
    ] * 8


def test_array_formula_is_read_on_its_first_cell_and_values_elsewhere(shared):
    cells = cells_by_address(shared)
    assert (cells["E2"], cells["E3"]) == (
        CellInput("E2", "=A2:A3*2", 4),
        CellInput("E3", None, 6),
    )


def test_data_table_cells_are_read_as_their_values(shared):
    cells = cells_by_address(shared)
    assert (cells["F2"], cells["F3"]) == (CellInput("F2", None, 7), CellInput("F3", None, 8))


EDGE = {
    "bottom": (f"A{MAX_ROW - 1}", f"A{MAX_ROW}", f"A{MAX_ROW}*2", "=A1*2", "=R[1]C*2"),
    "right": ("XFC1", "XFD1", "XFD1+1", "=A1+1", "=RC[1]+1"),
}


@pytest.mark.parametrize(
    ("master", "child", "text", "wrapped", "shape"), EDGE.values(), ids=EDGE.keys()
)
def test_a_reference_pushed_off_the_grid_wraps_round_as_in_excel(
    write_xlsx, master, child, text, wrapped, shape
):
    rows = {parse_address(master)[0], parse_address(child)[0]}
    cells = {
        master: f'<c r="{master}"><f t="shared" ref="{master}:{child}" si="0">{text}</f></c>',
        child: f'<c r="{child}"><f t="shared" si="0"/></c>',
    }
    sheet = "".join(
        f'<row r="{row}">'
        + "".join(xml for address, xml in cells.items() if parse_address(address)[0] == row)
        + "</row>"
        for row in sorted(rows)
    )
    path = write_xlsx({"Edge": sheet})
    assert cells_by_address(path)[child] == CellInput(child, wrapped, None, shape)


def test_a_shared_child_without_its_master_keeps_its_cached_value(write_xlsx):
    path = write_xlsx({"S": '<row r="1"><c r="A1"><f t="shared" si="3"/><v>9</v></c></row>'})
    assert cells_by_address(path) == {"A1": CellInput("A1", None, 9)}


MASTERS = [
    "A1*2",
    "SUM($A$1:A1)/B$2",
    "'My Sheet'!B2+Other!$C3",
    "VLOOKUP(A1,Data!$A:$B,2,FALSE)",
    "SUM(2:2)+COUNT(C:C)",
    "SUM(A1:B2 B2:C3)",
    'IF(A1>0,"B1",C1)',
    "Table1[Amount]+A1",
    "[1]Sheet1!A1+a2",
    "INDEX(A:A,1):B5",
    "SUM({1,2;3,4})+A1%",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    master=st.sampled_from(MASTERS),
    row=st.integers(1, 2000),
    column=st.integers(1, 60),
    down=st.integers(0, 5000),
    right=st.integers(0, 200),
)
def test_a_shared_child_reads_as_render_shape_writes_it(master, row, column, down, right):
    assume(down or right)
    first, child = format_address(row, column), format_address(row + down, column + right)
    sheet = (
        f'<row r="{row}"><c r="{first}"><f t="shared" ref="{first}:{child}" si="0">'
        f"{master.replace('&', '&amp;')}</f></c></row>"
        f'<row r="{row + down}"><c r="{child}"><f t="shared" si="0"/></c></row>'
    )
    [worksheet] = read_xlsx(
        zip_parts(io.BytesIO(), workbook_parts({"S": sheet})), max_cells=10
    ).worksheets
    shape = shape_of(f"={master}", row, column)
    assert (worksheet.cells[-1].formula, worksheet.cells[-1].shape) == (
        render_shape(shape, child),
        shape,
    )


def test_sheets_come_in_tab_order_with_their_names(write_xlsx, differences_from_openpyxl):
    path = write_xlsx(
        {
            "Bob's data": '<row r="1"><c r="A1"><v>1</v></c></row>',
            "My Sheet": "<row r=\"1\"><c r=\"A1\"><f>'Bob''s data'!A1+1</f><v>2</v></c></row>",
            'Quote "q"': '<row r="1"><c r="A1"><v>3</v></c></row>',
        }
    )
    assert ([s.name for s in read_cells(path)], differences_from_openpyxl(path)) == (
        ["Bob's data", "My Sheet", 'Quote "q"'],
        [],
    )


def test_tab_order_comes_from_the_workbook_not_from_part_names(tmp_path):
    parts = workbook_parts(
        {"First": '<row r="1"><c r="A1"><v>1</v></c></row>', "Second": ""},
    )
    relationships = parts["xl/_rels/workbook.xml.rels"]
    parts["xl/_rels/workbook.xml.rels"] = (
        relationships.replace("sheet1.xml", "swap.xml")
        .replace("sheet2.xml", "sheet1.xml")
        .replace("swap.xml", "sheet2.xml")
    )
    parts["xl/worksheets/sheet1.xml"], parts["xl/worksheets/sheet2.xml"] = (
        parts["xl/worksheets/sheet2.xml"],
        parts["xl/worksheets/sheet1.xml"],
    )
    path = zip_parts(tmp_path / "swapped.xlsx", parts)
    assert [(s.name, len(s.cells)) for s in read_cells(path)] == [("First", 1), ("Second", 0)]


def test_cells_without_an_address_follow_the_previous_cell(write_xlsx, differences_from_openpyxl):
    path = write_xlsx(
        {
            "S": '<row r="3"><c><v>1</v></c><c><v>2</v></c><c r="E3"><v>3</v></c><c><v>4</v></c>'
            "</row><row><c><v>5</v></c></row>"
        }
    )
    assert (sorted(cells_by_address(path)), differences_from_openpyxl(path)) == (
        ["A3", "A4", "B3", "E3", "F3"],
        [],
    )


def test_a_sheet_written_with_a_namespace_prefix_is_read(tmp_path, differences_from_openpyxl):
    parts = workbook_parts({"S": ""})
    parts["xl/worksheets/sheet1.xml"] = (
        f'<x:worksheet xmlns:x="{parts["xl/workbook.xml"].split(chr(34))[1]}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>hi</x:t></x:is></x:c>'
        '<x:c r="B1" t="str"><x:f>A1&amp;"!"</x:f><x:v>hi!</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    path = zip_parts(tmp_path / "prefixed.xlsx", parts)
    assert (list(cells_by_address(path).values()), differences_from_openpyxl(path)) == (
        [CellInput("A1", None, "hi"), CellInput("B1", '=A1&"!"', "hi!")],
        [],
    )


@pytest.fixture
def with_chartsheet(tmp_path):
    book = openpyxl.Workbook()
    data = book.active
    data.title = "Data"
    for row in range(1, 5):
        data.append([row, f"=A{row}*2"])
    chart = BarChart()
    chart.add_data(Reference(data, min_col=1, min_row=1, max_row=4))
    book.create_chartsheet("Chart").add_chart(chart)
    book.create_sheet("After")["A1"] = "text"
    path = tmp_path / "charts.xlsx"
    book.save(path)
    return path


def test_chartsheets_are_listed_but_not_read(with_chartsheet, differences_from_openpyxl):
    workbook = read_xlsx(with_chartsheet, max_cells=100)
    assert (
        workbook.sheet_names,
        [w.name for w in workbook.worksheets],
        differences_from_openpyxl(with_chartsheet),
    ) == (("Data", "Chart", "After"), ["Data", "After"], [])


def test_asking_for_a_chartsheet_gives_no_cells(with_chartsheet):
    assert read_cells(with_chartsheet, "Chart") == []


def test_defined_names_keep_their_sheet_scope(write_xlsx):
    path = write_xlsx(
        {"Inputs": "", "My Sheet": ""},
        defined_names='<definedName name="Rate">Inputs!$B$1</definedName>'
        '<definedName name="Local" localSheetId="1">\'My Sheet\'!$A$1</definedName>'
        '<definedName name="Rate" localSheetId="1">\'My Sheet\'!$C$1</definedName>',
    )
    assert read_xlsx(path, max_cells=10).defined_names == (
        DefinedName("Rate", "Inputs!$B$1", None),
        DefinedName("Local", "'My Sheet'!$A$1", "My Sheet"),
        DefinedName("Rate", "'My Sheet'!$C$1", "My Sheet"),
    )


def test_each_sheet_sees_the_workbook_names_and_its_own(write_xlsx):
    path = write_xlsx(
        {"Inputs": "", "My Sheet": ""},
        defined_names='<definedName name="Rate">Inputs!$B$1</definedName>'
        '<definedName name="Rate" localSheetId="1">\'My Sheet\'!$C$1</definedName>',
    )
    assert [dict(s.defined_names) for s in read_cells(path)] == [
        {"Rate": "Inputs!$B$1"},
        {"Rate": "'My Sheet'!$C$1"},
    ]


def test_iso_dates_become_serials(write_xlsx, differences_from_openpyxl):
    path = write_xlsx({"S": '<row r="1"><c r="A1" t="d"><v>2024-01-01T12:00:00</v></c></row>'})
    assert (cells_by_address(path)["A1"].value, differences_from_openpyxl(path)) == (45292.5, [])


def test_openpyxl_written_workbooks_match_openpyxl(tmp_path, differences_from_openpyxl):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["name", 1, 2.5, True, None, "=B1*2", "=NOW()"])
    sheet.append(["=not a formula", -3, 1e100, False, "#N/A"])
    path = tmp_path / "openpyxl.xlsx"
    book.save(path)
    assert differences_from_openpyxl(path) == []
