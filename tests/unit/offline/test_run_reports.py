"""One report per run: the table, JSON, CSV and SARIF 2.1.0 (validated by its schema)."""

import csv
import io
import json
from pathlib import Path

import jsonschema

from support.spreadsheets import (
    BROKEN,
    CIRCULAR,
    CORRUPT,
    ENCRYPTED,
    UNPARSABLE,
    audit_cli,
    write_workbook,
)

REPO = Path(__file__).resolve().parents[3]
SARIF_SCHEMA = json.loads(
    (REPO / "tests/support/schemas/sarif-schema-2.1.0.json").read_text(encoding="utf-8")
)


def test_table_groups_by_file_and_ends_with_the_run_total(folder):
    lines = audit_cli(".", "--jobs", 1).stdout.splitlines()
    headings = [line for line in lines if " — sheet " in line or ": unreadable — " in line]
    assert (headings, lines[-1]) == (
        [
            "models/Q1 forecast.csv — sheet Q1 forecast",
            "models/budget.xlsx — sheet Budget",
            "models/budget.xlsx — sheet Loop",
            f"models/corrupt.xlsx: unreadable — {CORRUPT}",
            f"models/encrypted.xlsx: unreadable — {ENCRYPTED}",
            "models/request.json — sheet Sales",
            "models/sub/clean.xlsx — sheet Names",
        ],
        "Total: 4 files, 7 formulas, 5 unique shapes, 4 findings (4 error, 0 warning, 0 info), "
        "2 unreadable, 1 .json skipped (not add-on requests)",
    )


def test_json_is_one_document_with_a_run_summary(folder):
    summary = json.loads(audit_cli(".", "--format", "json", "--jobs", 1).stdout)["summary"]
    assert summary == {
        "files": 4,
        "formulas": 7,
        "uniqueShapes": 5,
        "cellsWithFindings": 6,
        "findings": 4,
        "findingsByRule": {"broken-reference": 1, "circular-reference": 2, "parse-error": 1},
        "findingsBySeverity": {"error": 4, "warning": 0, "info": 0},
        "unreadable": [
            {"file": "models/corrupt.xlsx", "reason": CORRUPT},
            {"file": "models/encrypted.xlsx", "reason": ENCRYPTED},
        ],
        "skipped": [{"file": "models/package.json", "reason": "not an add-on request"}],
    }


def test_json_has_a_section_per_file_with_its_sheets(folder):
    files = json.loads(audit_cli("models/budget.xlsx", "--format", "json").stdout)["files"]
    assert [
        (f["file"], s["sheet"], s["summary"], [x["ruleId"] for x in s["findings"]])
        for f in files
        for s in f["sheets"]
    ] == [
        (
            "models/budget.xlsx",
            "Budget",
            {"formulas": 1, "uniqueShapes": 1, "cellsWithFindings": 1, "findings": 1},
            ["broken-reference"],
        ),
        (
            "models/budget.xlsx",
            "Loop",
            {"formulas": 2, "uniqueShapes": 2, "cellsWithFindings": 2, "findings": 1},
            ["circular-reference"],
        ),
    ]


def test_unique_shapes_of_the_run_count_copies_across_files_once(folder):
    write_workbook(
        folder / "models" / "sub" / "copy.xlsx", {"Names": {"A1": "x", "B1": "=UPPER(A1)"}}
    )
    summary = json.loads(audit_cli("models/sub", "--format", "json").stdout)["summary"]
    assert (summary["files"], summary["formulas"], summary["uniqueShapes"]) == (2, 2, 1)


def test_csv_has_one_row_per_finding_and_cell(folder):
    rows = list(csv.reader(io.StringIO(audit_cli(".", "--format", "csv", "--jobs", 1).stdout)))
    assert rows == [
        ["file", "sheet", "cell", "rule", "severity", "confidence", "message"],
        ["models/Q1 forecast.csv", "Q1 forecast", "B2", "parse-error", "error", "0.90", UNPARSABLE],
        ["models/budget.xlsx", "Budget", "B3", "broken-reference", "error", "1.00", BROKEN],
        ["models/budget.xlsx", "Loop", "A1", "circular-reference", "error", "0.95", CIRCULAR],
        ["models/budget.xlsx", "Loop", "B1", "circular-reference", "error", "0.95", CIRCULAR],
        ["models/corrupt.xlsx", "", "", "unreadable", "error", "", CORRUPT],
        ["models/encrypted.xlsx", "", "", "unreadable", "error", "", ENCRYPTED],
        ["models/request.json", "Sales", "A1", "circular-reference", "error", "0.95", CIRCULAR],
        ["models/request.json", "Sales", "B1", "circular-reference", "error", "0.95", CIRCULAR],
    ]


def test_csv_fields_a_spreadsheet_would_run_as_formulas_are_quoted_as_text(folder):
    write_workbook(folder / "=cmd.xlsx", {"+Q1": {"A1": "=#REF!"}})
    rows = list(csv.reader(io.StringIO(audit_cli("=cmd.xlsx", "--format", "csv").stdout)))
    assert rows[1][:3] == ["'=cmd.xlsx", "'+Q1", "A1"]


def sarif_of(*args):
    return json.loads(audit_cli(*args, "--format", "sarif", "--jobs", 1).stdout)


def test_sarif_log_is_valid_against_the_sarif_2_1_0_schema(folder):
    validator = jsonschema.Draft4Validator(SARIF_SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = [error.message for error in validator.iter_errors(sarif_of("."))]
    assert errors == []


def test_schema_check_catches_an_unencoded_uri(folder):
    # the check above can fail: a path with a space is not a URI reference until encoded
    log = sarif_of(".")
    log["runs"][0]["artifacts"][0]["location"]["uri"] = "models/Q1 forecast.csv"
    validator = jsonschema.Draft4Validator(SARIF_SCHEMA, format_checker=jsonschema.FormatChecker())
    assert [e.message for e in validator.iter_errors(log)] == [
        "'models/Q1 forecast.csv' is not a 'uri-reference'"
    ]


def test_sarif_has_one_run_with_an_artifact_per_audited_file(folder):
    log = sarif_of(".")
    assert [a["location"] for run_ in log["runs"] for a in run_["artifacts"]] == [
        {"uri": "models/Q1%20forecast.csv", "uriBaseId": "%SRCROOT%"},
        {"uri": "models/budget.xlsx", "uriBaseId": "%SRCROOT%"},
        {"uri": "models/request.json", "uriBaseId": "%SRCROOT%"},
        {"uri": "models/sub/clean.xlsx", "uriBaseId": "%SRCROOT%"},
    ]


def test_sarif_names_a_file_outside_the_current_folder_by_an_absolute_file_uri(folder, monkeypatch):
    (folder / "elsewhere").mkdir()
    monkeypatch.chdir(folder / "elsewhere")
    outside = folder / "models" / "Q1 forecast.csv"
    [artifact] = sarif_of(outside)["runs"][0]["artifacts"]
    assert artifact["location"] == {"uri": outside.as_uri()}


def test_sarif_result_is_on_line_1_of_its_file_with_sheet_and_cells_as_logical_locations(folder):
    [circular] = [
        r
        for r in sarif_of("models/budget.xlsx")["runs"][0]["results"]
        if r["ruleId"] == "circular-reference"
    ]
    assert circular["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {
                    "uri": "models/budget.xlsx",
                    "uriBaseId": "%SRCROOT%",
                    "index": 0,
                },
                "region": {"startLine": 1},
            },
            "logicalLocations": [
                {"fullyQualifiedName": "Loop!A1", "kind": "element"},
                {"fullyQualifiedName": "Loop!B1", "kind": "element"},
            ],
        }
    ]


def test_sarif_results_on_the_same_line_have_distinct_fingerprints(folder):
    results = sarif_of(".")["runs"][0]["results"]
    fingerprints = {r["partialFingerprints"]["primaryLocationLineHash"] for r in results}
    assert (len(results), len(fingerprints)) == (4, 4)


def test_sarif_reports_unreadable_files_as_failed_execution_notifications(folder):
    [invocation] = sarif_of(".")["runs"][0]["invocations"]
    assert (
        invocation["executionSuccessful"],
        [n["message"]["text"] for n in invocation["toolExecutionNotifications"]],
    ) == (
        False,
        [
            f"cannot audit models/corrupt.xlsx: {CORRUPT}",
            f"cannot audit models/encrypted.xlsx: {ENCRYPTED}",
        ],
    )
