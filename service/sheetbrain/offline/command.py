"""`sheetbrain audit FILE`: audit a spreadsheet file offline, without the service."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from sheetbrain.formulas import AuditConfig, AuditReport, Severity, audit
from sheetbrain.offline.readers import SheetCells, WorkbookReadError, read_cells
from sheetbrain.offline.renderers import SheetReport, render_json, render_sarif, render_table

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
PROGRESS_MIN_CELLS = 20_000  # below this an audit takes well under a second


@click.command("audit")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sheet", help="Audit only this sheet (default: every sheet).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "sarif"]),
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
def audit_command(
    file: Path,
    sheet: str | None,
    output_format: str,
    fail_on: str,
    max_nesting: int,
    min_severity: str,
    min_confidence: float,
) -> None:
    """Audit the formulas in FILE (.xlsx, .xlsm, .csv, or an add-on request .json)."""
    try:
        sheets = read_cells(file, sheet)
    except WorkbookReadError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    config = AuditConfig(
        max_nesting=max_nesting,
        min_confidence=min_confidence,
        min_severity=Severity(min_severity),
    )
    reports = [SheetReport(s.name, _audit_sheet(s, config)) for s in sheets]
    source = file.name
    if output_format == "json":
        click.echo(render_json(source, reports))
    elif output_format == "sarif":
        click.echo(render_sarif(source, reports, _version()))
    else:
        click.echo(render_table(source, reports), nl=False)
    if fail_on != "never":
        threshold = Severity(fail_on).rank
        if any(f.severity.rank >= threshold for r in reports for f in r.report.findings):
            raise SystemExit(EXIT_FINDINGS)


def _audit_sheet(sheet: SheetCells, config: AuditConfig) -> AuditReport:
    if len(sheet.cells) < PROGRESS_MIN_CELLS:
        return audit(sheet.cells, config, sheet=sheet.name)
    console = Console(stderr=True)
    columns = (TextColumn(f"auditing {sheet.name or 'cells'}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("audit", total=len(sheet.cells))
        return audit(
            sheet.cells,
            config,
            sheet=sheet.name,
            progress=lambda done, total: progress.update(task, completed=done),
        )


def _version() -> str:
    try:
        return package_version("sheetbrain")
    except PackageNotFoundError:
        return "0"
