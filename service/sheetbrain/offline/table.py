"""Render one audit run as the terminal table: per file and sheet, findings grouped by rule.

Apart from the other renderers because it alone needs rich, whose import is a fifth of
the command's start-up: `--format json|sarif|csv` runs never load it.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table

from sheetbrain.formulas import Severity, rule_catalog
from sheetbrain.offline.records import FindingRecord, RunReport, SheetResult

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_CELLS_SHOWN = 8


def _cell_list(cells: Sequence[str], limit: int = _CELLS_SHOWN) -> str:
    if not cells:
        return "(no address)"
    shown = ", ".join(cells[:limit])
    return shown + (f" (+{len(cells) - limit} more)" if len(cells) > limit else "")


def _severity_counts(run: RunReport) -> str:
    return ", ".join(f"{n} {severity}" for severity, n in run.summary.findings_by_severity.items())


def render_table(run: RunReport, width: int = 120) -> str:
    """Per file and sheet: findings grouped by rule and a summary line; then the run's total."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None)
    titles = {info.rule_id: info.title for info in rule_catalog()}
    for result in run.files:
        if result.unreadable is not None:
            console.print(
                f"{result.path}: unreadable — {result.unreadable}", style="bold red", soft_wrap=True
            )
        for sheet in result.sheets:
            _print_sheet(console, result.path, sheet, titles)
    summary = run.summary
    line = (
        f"{summary.files} files, {summary.formulas} formulas, {summary.unique_shapes} unique "
        f"shapes, {summary.findings} findings ({_severity_counts(run)})"
    )
    if run.unreadable:
        line += f", {len(run.unreadable)} unreadable"
    if run.skipped:
        line += f", {len(run.skipped)} .json skipped (not add-on requests)"
    console.print(f"Total: {line}", style="bold", soft_wrap=True)
    # rich pads every line to the console width; trailing blanks only get in the way
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _print_sheet(console: Console, path: str, sheet: SheetResult, titles: dict[str, str]) -> None:
    by_rule: dict[str, list[FindingRecord]] = defaultdict(list)
    for finding in sheet.findings:
        by_rule[finding.rule_id].append(finding)
    console.print(f"{path} — sheet {sheet.sheet or '(unnamed)'}", style="bold")
    for rule_id, findings in by_rule.items():
        severity = findings[0].severity
        table = Table(
            title=f"{rule_id} ({severity}) — {titles.get(rule_id, '')}",
            title_justify="left",
            title_style=_SEVERITY_STYLE[severity],
            box=box.SIMPLE_HEAD,
            expand=True,
        )
        table.add_column("Cells", ratio=2)
        table.add_column("Problem", ratio=4)
        table.add_column("Suggested formula (first cell)", ratio=4, overflow="fold")
        for finding in findings:
            table.add_row(_cell_list(finding.cells), finding.message, finding.suggestion or "")
        console.print(table)
    console.print(
        f"{sheet.formulas} formulas, {sheet.unique_shapes} unique shapes, "
        f"{sheet.cells_with_findings} cells with findings, {len(sheet.findings)} findings"
    )
