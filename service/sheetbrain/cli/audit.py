"""`sheetbrain audit PATH...`: audit spreadsheet files offline, without the service."""

from __future__ import annotations

import click

from sheetbrain.formulas import Severity
from sheetbrain.offline.batch import AuditOptions, audit_files, default_jobs
from sheetbrain.offline.discover import discover
from sheetbrain.offline.progress import RunProgress
from sheetbrain.offline.records import FileResult, RunReport
from sheetbrain.offline.renderers import render_csv, render_json, render_sarif

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_UNREADABLE = 2  # also click's code for a usage error

EXIT_CODES = """\b
Exit codes:
  0  every file was read and no finding reached --fail-on
  1  a finding reached --fail-on
  2  a file could not be read (it wins over 1), or the command line was wrong
"""


@click.command("audit", epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Leave out files whose path, name or folder matches GLOB (repeatable).",
)
@click.option("--sheet", help="Audit only this sheet of each workbook (default: every sheet).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "sarif", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default="warning",
    show_default=True,
    help="Exit 1 when a finding is at least this severe.",
)
@click.option(
    "--max-nesting",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Deepest allowed function nesting.",
)
@click.option(
    "--min-severity",
    type=click.Choice(["error", "warning", "info"]),
    default="warning",
    show_default=True,
    help="Report findings at least this severe: errors are defects the values prove, "
    "warnings likely defects, info style and policy notes.",
)
@click.option(
    "--min-confidence",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Leave out findings less confident than this (0..1).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    show_default="the CPU count",
    help="Files audited at once, each in a worker process.",
)
def audit_command(
    paths: tuple[str, ...],
    exclude: tuple[str, ...],
    sheet: str | None,
    output_format: str,
    fail_on: str,
    max_nesting: int,
    min_severity: str,
    min_confidence: float,
    jobs: int | None,
) -> None:
    """Audit the formulas of every file in PATH... and write one report.

    A PATH is a .xlsx, .xlsm, .csv or add-on request .json file, a folder (searched
    recursively for those types, leaving out hidden folders, Office lock files ~$*
    and .json files that are not add-on requests) or a glob pattern such as
    'models/**/*.xlsx'. Files are reported sorted by path, relative to the current
    folder; each unreadable file gets one `error:` line on stderr and the run goes on.
    """
    discovery = discover(paths, exclude)
    if not discovery.targets and not discovery.missing:
        click.echo("warning: no .xlsx, .xlsm, .csv or .json file found", err=True)
    options = AuditOptions(
        sheet, max_nesting, Severity(min_severity), min_confidence, output_format == "json"
    )
    with RunProgress.on_stderr(len(discovery.targets)) as progress:
        results = audit_files(
            discovery.targets,
            options,
            jobs or default_jobs(),
            lambda result: progress.file_done(result.formulas),
        )
    missing = [FileResult(path, unreadable=reason) for path, reason in discovery.missing]
    run = RunReport.of(missing + results)
    for result in run.unreadable:
        click.echo(f"error: {result.path}: {result.unreadable}", err=True)
    if output_format == "json":
        click.echo(render_json(run))
    elif output_format == "sarif":
        click.echo(render_sarif(run, _version()))
    elif output_format == "csv":
        click.echo(render_csv(run), nl=False)
    else:
        from sheetbrain.offline.table import render_table  # loads rich: only this format needs it

        click.echo(render_table(run), nl=False)
    if run.unreadable:
        raise SystemExit(EXIT_UNREADABLE)
    if fail_on != "never" and run.reaches(Severity(fail_on)):
        raise SystemExit(EXIT_FINDINGS)


def _version() -> str:
    # importlib.metadata costs a tenth of the command's start-up; only SARIF names a version
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("sheetbrain")
    except PackageNotFoundError:
        return "0"
