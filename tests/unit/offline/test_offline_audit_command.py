"""`sheetbrain audit FILE`: readers, formats, exit codes, clear errors."""

import json

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.worksheet.formula import ArrayFormula

from sheetbrain.cli import cli
from sheetbrain.formulas import CellInput
from sheetbrain.offline.readers import WorkbookReadError, read_cells


def run(*args):
    return CliRunner().invoke(cli, ["audit", *map(str, args)])


@pytest.fixture
def workbook(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Budget"
    for row in range(2, 9):
        sheet[f"A{row}"] = row * 10
        sheet[f"B{row}"] = f"=A{row}*2"
    sheet["B5"] = "=A5+2"
    sheet["C2"] = ArrayFormula("C2", "=SUM(A2:A8*2)")
    book.create_sheet("Clean")["A1"] = "=1+1"
    path = tmp_path / "budget.xlsx"
    book.save(path)
    return path


def test_xlsx_reader_returns_formulas_and_values_per_sheet(workbook):
    budget, clean = read_cells(workbook)
    assert (budget.name, budget.cells[:2], clean.cells) == (
        "Budget",
        (CellInput("A2", None, 20), CellInput("B2", "=A2*2")),
        (CellInput("A1", "=1+1"),),
    )


def test_xlsx_reader_unwraps_array_formulas(workbook):
    [budget] = read_cells(workbook, "Budget")
    assert CellInput("C2", "=SUM(A2:A8*2)") in budget.cells


def test_table_output_groups_findings_by_rule_and_exits_1(workbook):
    result = run(workbook, "--sheet", "Budget")
    assert result.exit_code == 1
    assert "inconsistent-formula (warning)" in result.output
    assert "Formula in B5 differs from the 6 copies" in result.output
    assert "8 formulas, 3 unique shapes" in result.output


def test_clean_sheet_exits_0(workbook):
    result = run(workbook, "--sheet", "Clean")
    assert (
        result.exit_code,
        "1 formulas, 1 unique shapes, 0 cells with findings" in result.output,
    ) == (0, True)


@pytest.mark.parametrize(
    ("fail_on", "code"), [("error", 0), ("warning", 1), ("info", 1), ("never", 0)]
)
def test_fail_on_sets_the_threshold(workbook, fail_on, code):
    assert run(workbook, "--sheet", "Budget", "--fail-on", fail_on).exit_code == code


def test_json_output_lists_findings_and_shapes(workbook):
    result = run(workbook, "--format", "json", "--sheet", "Budget")
    [file] = json.loads(result.output)["files"]
    [sheet] = file["sheets"]
    inconsistent = [f for f in sheet["findings"] if f["ruleId"] == "inconsistent-formula"]
    assert (
        sheet["summary"]["formulas"],
        inconsistent[0]["cells"],
        inconsistent[0]["suggestedFormula"],
    ) == (8, ["B5"], "=A5*2")


def test_sarif_output_is_sarif_2_1_0_with_cell_locations(workbook):
    result = run(workbook, "--format", "sarif", "--sheet", "Budget")
    document = json.loads(result.output)
    [run_] = document["runs"]
    locations = {
        location["fullyQualifiedName"]
        for r in run_["results"]
        for location in r["locations"][0]["logicalLocations"]
    }
    assert (document["version"], run_["tool"]["driver"]["name"], "Budget!B5" in locations) == (
        "2.1.0",
        "SheetBrain",
        True,
    )


def test_max_nesting_option_reaches_the_rules(tmp_path):
    path = tmp_path / "nested.csv"
    path.write_text('x,y,"=IF(A1,IF(B1,1,2),0)"\n')
    outputs = [
        run(path, "--max-nesting", n, "--min-severity", "info", "--format", "json").output
        for n in (1, 3)
    ]
    sheets = [json.loads(o)["files"][0]["sheets"][0] for o in outputs]
    rule_ids = [{f["ruleId"] for f in sheet["findings"]} for sheet in sheets]
    assert rule_ids == [{"nesting-depth"}, set()]


def test_csv_cells_starting_with_equals_are_formulas(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("label,10,=B1*2\n")
    [sheet] = read_cells(path)
    assert sheet.cells == (
        CellInput("A1", None, "label"),
        CellInput("B1", None, 10.0),
        CellInput("C1", "=B1*2"),
    )


def test_json_request_grid_starts_at_the_range_corner(tmp_path):
    request = {
        "range": "B2:C3",
        "context": {
            "sheetName": "Sales",
            "data": {"formulas": [["", "=B2*2"], ["", ""]], "values": [[5, 10], [7, ""]]},
        },
    }
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    [sheet] = read_cells(path)
    assert (sheet.name, sheet.cells) == (
        "Sales",
        (CellInput("B2", None, 5), CellInput("C2", "=B2*2", 10), CellInput("B3", None, 7)),
    )


def test_json_sheet_context_entries_are_read(tmp_path):
    path = tmp_path / "enhanced.json"
    path.write_text(
        json.dumps(
            {
                "sheetContext": {
                    "sheetName": "S",
                    "formulas": [{"cell": "B2", "formula": "=NOW()", "value": 1}],
                }
            }
        )
    )
    [sheet] = read_cells(path)
    assert sheet.cells == (CellInput("B2", "=NOW()", 1),)


def test_json_formula_list_has_no_addresses(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(
        json.dumps({"formulas": ["=SUM(A1:A10)", "=VLOOKUP(B2, Sheet1!A:B, 2, FALSE)"]})
    )
    result = run(path, "--format", "json")
    [file] = json.loads(result.output)["files"]
    assert (result.exit_code, file["sheets"][0]["summary"]["formulas"]) == (0, 2)


UNREADABLE = {
    "missing": (None, "no such file"),
    "corrupt_xlsx": (b"PK\x03\x04 not really a zip", "not a valid .xlsx workbook"),
    "encrypted_xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "password-protected"),
    "unsupported_type": (b"hello", "unsupported file type .txt"),
    "bad_json": (b"{not json", "invalid JSON"),
}


@pytest.mark.parametrize(("content", "message"), UNREADABLE.values(), ids=UNREADABLE.keys())
def test_unreadable_file_gives_one_error_line_on_stderr_and_exit_2(
    tmp_path, content, message, request
):
    suffix = {"unsupported_type": ".txt", "bad_json": ".json"}.get(
        request.node.callspec.id, ".xlsx"
    )
    path = tmp_path / f"input{suffix}"
    if content is not None:
        path.write_bytes(content)
    result = run(path)
    assert (result.exit_code, message in result.stderr, result.stderr.count("\n")) == (2, True, 1)
    assert "Traceback" not in result.output


def test_unknown_sheet_is_a_usage_error(workbook):
    result = run(workbook, "--sheet", "Nope")
    assert (result.exit_code, "no sheet named 'Nope'" in result.output) == (2, True)


def test_huge_file_is_refused_before_reading(tmp_path, monkeypatch):
    import sheetbrain.offline.readers as readers

    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 10)
    path = tmp_path / "big.csv"
    path.write_text("=1+1," * 10)
    with pytest.raises(WorkbookReadError, match="above the"):
        read_cells(path)


def test_bad_option_value_is_exit_2(workbook):
    assert run(workbook, "--format", "pdf").exit_code == 2


@pytest.mark.parametrize(("threshold", "listed"), [("0", True), ("0.63", True), ("0.64", False)])
def test_min_confidence_leaves_out_less_confident_findings(workbook, threshold, listed):
    # B5 computes otherwise inside a run of 6 copies: confidence 0.45 + 6 * 0.03 = 0.63
    result = run(workbook, "--sheet", "Budget", "--min-confidence", threshold)
    assert ("inconsistent-formula" in result.output) is listed


@pytest.mark.parametrize("threshold", ["-0.1", "1.5", "high"])
def test_min_confidence_outside_0_to_1_is_exit_2(workbook, threshold):
    assert run(workbook, "--min-confidence", threshold).exit_code == 2


@pytest.mark.parametrize(
    ("minimum", "rule_ids"),
    [("warning", set()), ("info", {"nesting-depth"})],
    ids=["style notes hidden by default", "shown on request"],
)
def test_min_severity_decides_which_findings_are_reported(tmp_path, minimum, rule_ids):
    path = tmp_path / "nested.csv"
    path.write_text('x,y,"=IF(A1,IF(B1,IF(A1>B1,IF(B1>0,1,2),0),1),2)"\n')
    args = [] if minimum == "warning" else ["--min-severity", minimum]
    [file] = json.loads(run(path, "--format", "json", *args).output)["files"]
    [sheet] = file["sheets"]
    assert {f["ruleId"] for f in sheet["findings"]} == rule_ids
