"""`sheetbrain audit PATH...`: unreadable files, exit codes, workers, progress."""

import io
import json
import pickle
import re
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pytest
from rich.console import Console

from sheetbrain.offline import batch, progress
from sheetbrain.offline.batch import AuditOptions, audit_file
from sheetbrain.offline.discover import Target
from sheetbrain.offline.progress import RunProgress
from sheetbrain.offline.records import FileResult, RunReport
from support.spreadsheets import CORRUPT, ENCRYPTED, READABLE, audit_cli


def test_unreadable_files_get_one_error_line_each_on_stderr_and_exit_2(folder):
    result = audit_cli(".", "--jobs", 1)
    assert (result.exit_code, result.stderr.splitlines()) == (
        2,
        [f"error: models/corrupt.xlsx: {CORRUPT}", f"error: models/encrypted.xlsx: {ENCRYPTED}"],
    )


def test_the_run_goes_on_past_unreadable_files(folder):
    result = audit_cli(".", "--format", "json", "--jobs", 1)
    assert [f["file"] for f in json.loads(result.stdout)["files"]] == READABLE


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["models/sub"], 0),
        (["models/sub", "models/budget.xlsx"], 1),
        (["models/sub", "models/budget.xlsx", "--fail-on", "never"], 0),
        (["models/sub", "models/corrupt.xlsx", "--fail-on", "never"], 2),
        (["models/budget.xlsx", "models/encrypted.xlsx"], 2),
        (["models/budget.xlsx", "missing.xlsx"], 2),
    ],
    ids=["clean", "finding", "finding-never", "unreadable-never", "unreadable-wins", "missing"],
)
def test_exit_code_is_2_for_unreadable_files_else_1_for_findings_else_0(folder, args, code):
    assert audit_cli(*args, "--jobs", 1).exit_code == code


def test_help_documents_the_exit_codes(folder):
    help_text = audit_cli("--help").output
    assert re.findall(r"^ +([012]) +(.+)$", help_text, flags=re.MULTILINE) == [
        ("0", "every file was read and no finding reached --fail-on"),
        ("1", "a finding reached --fail-on"),
        ("2", "a file could not be read (it wins over 1), or the command line was wrong"),
    ]


def test_sheet_option_applies_to_every_workbook_and_one_without_it_is_unreadable(folder):
    result = audit_cli(
        "models/budget.xlsx", "models/sub/clean.xlsx", "--sheet", "Loop", "--jobs", 1
    )
    assert result.stderr.splitlines() == [
        "error: models/sub/clean.xlsx: no sheet named 'Loop' (sheets: Names)"
    ]


def test_a_json_file_found_in_a_folder_that_is_no_request_is_skipped(folder):
    result = audit_cli("models", "--exclude", "*.xlsx", "--format", "json", "--jobs", 1)
    summary = json.loads(result.stdout)["summary"]
    assert (result.exit_code, summary["skipped"]) == (
        1,
        [{"file": "models/package.json", "reason": "not an add-on request"}],
    )


def test_a_json_file_named_on_the_command_line_must_be_a_request(folder):
    result = audit_cli("models/package.json", "--jobs", 1)
    assert (result.exit_code, result.stderr) == (
        2,
        "error: models/package.json: no formulas found (expected context.data.formulas)\n",
    )


def test_a_folder_without_spreadsheets_warns_and_exits_0(folder):
    (folder / "empty").mkdir()
    result = audit_cli("empty")
    assert (result.exit_code, result.stderr) == (
        0,
        "warning: no .xlsx, .xlsm, .csv or .json file found\n",
    )


@pytest.mark.slow
@pytest.mark.parametrize("output_format", ["table", "json", "sarif", "csv"])
def test_report_bytes_are_the_same_with_one_job_and_with_four(folder, output_format):
    one, four = (audit_cli(".", "--format", output_format, "--jobs", n) for n in (1, 4))
    assert (four.exit_code, four.stdout_bytes, four.stderr) == (2, one.stdout_bytes, one.stderr)


def test_results_are_sorted_by_path_whatever_order_they_finish_in():
    finished = [FileResult("b.csv"), FileResult("a/z.xlsx"), FileResult("a.xlsx")]
    assert [r.path for r in RunReport.of(finished).files] == ["a.xlsx", "a/z.xlsx", "b.csv"]


def test_a_file_whose_worker_process_died_is_reported_unreadable():
    future: Future[FileResult] = Future()
    future.set_exception(BrokenProcessPool("killed"))
    assert batch._outcome(future, Target("huge.xlsx", explicit=True)) == FileResult(
        "huge.xlsx", unreadable="the worker process auditing it stopped (out of memory?)"
    )


def test_a_reader_failing_unexpectedly_makes_its_file_unreadable_not_the_run_fail(
    folder, monkeypatch
):
    real_read_cells = batch.read_cells

    def read_cells(path, sheet):
        if path.name == "clean.xlsx":
            raise RuntimeError("truncated sheet XML")
        return real_read_cells(path, sheet)

    monkeypatch.setattr(batch, "read_cells", read_cells)
    result = audit_cli("models/budget.xlsx", "models/sub", "--format", "csv", "--jobs", 1)
    assert (result.exit_code, result.stderr, result.stdout.count("models/budget.xlsx")) == (
        2,
        "error: models/sub/clean.xlsx: cannot audit the file (RuntimeError: truncated sheet XML)\n",
        3,
    )


def _copies(path, count):
    path.write_text("".join(f"north,=UPPER(A{row})\n" for row in range(1, count + 1)))
    return audit_file(Target(path.name, explicit=True), AuditOptions())


def test_a_worker_result_holds_counts_not_cells(folder):
    small, large = _copies(folder / "small.csv", 300), _copies(folder / "large.csv", 3000)
    assert (small.formulas, large.formulas, len(pickle.dumps(small))) == (
        300,
        3000,
        len(pickle.dumps(large)),
    )


def test_a_worker_result_carries_findings_as_plain_data(folder):
    result = audit_file(Target("models/budget.xlsx", explicit=True), AuditOptions(sheet="Budget"))
    [sheet] = result.sheets
    [finding] = sheet.findings
    assert (finding.rule_id, finding.severity, finding.cells, finding.confidence) == (
        "broken-reference",
        "error",
        ("B3",),
        1.0,
    )


def test_a_short_run_without_a_terminal_prints_no_progress(folder):
    assert audit_cli("models/sub").stderr == ""


def test_a_long_run_without_a_terminal_prints_progress_lines_on_stderr_only(folder, monkeypatch):
    monkeypatch.setattr(progress, "QUIET_INTERVAL_SECONDS", 0.0)
    result = audit_cli("models/sub", "models/budget.xlsx", "--format", "json", "--jobs", 1)
    lines = [line.split(", about")[0] for line in result.stderr.splitlines()]
    assert (lines, json.loads(result.stdout)["summary"]["files"]) == (
        ["audited 1/2 files, 3 formulas", "audited 2/2 files, 4 formulas"],
        2,
    )


def test_on_a_terminal_one_bar_counts_files_and_formulas():
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, color_system=None, width=100)
    with RunProgress(2, console) as bar:
        bar.file_done(3)
        bar.file_done(2)
    assert "2/2 files, 5 formulas" in screen.getvalue()
