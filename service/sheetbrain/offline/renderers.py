"""Render audit reports as a rich table, JSON, or SARIF 2.1.0."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from sheetbrain.formulas import AuditReport, Finding, Severity, rule_catalog

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_CELLS_SHOWN = 8


@dataclass(frozen=True, slots=True)
class SheetReport:
    sheet: str | None
    report: AuditReport


def _cell_list(cells: Sequence[str], limit: int = _CELLS_SHOWN) -> str:
    if not cells:
        return "(no address)"
    shown = ", ".join(cells[:limit])
    return shown + (f" (+{len(cells) - limit} more)" if len(cells) > limit else "")


def _first_suggestion(finding: Finding) -> str | None:
    first = finding.cells[0] if finding.cells else None
    return finding.suggested_formula(first)


def render_table(source: str, sheets: Sequence[SheetReport], width: int = 120) -> str:
    """Findings grouped by rule, then a summary line per sheet."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None)
    titles = {info.rule_id: info.title for info in rule_catalog()}
    for sheet in sheets:
        report = sheet.report
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for finding in report.findings:
            by_rule[finding.rule_id].append(finding)
        console.print(f"{source} — sheet {sheet.sheet or '(unnamed)'}", style="bold")
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
                table.add_row(
                    _cell_list(finding.cells), finding.message, _first_suggestion(finding) or ""
                )
            console.print(table)
        console.print(
            f"{report.formula_count} formulas, {report.unique_shape_count} unique shapes, "
            f"{report.cells_with_findings} cells with findings, {len(report.findings)} findings"
        )
    # rich pads every line to the console width; trailing blanks only get in the way
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "ruleId": finding.rule_id,
        "severity": str(finding.severity),
        "message": finding.message,
        "fixHint": finding.fix_hint,
        "cells": list(finding.cells),
        "tags": sorted(finding.tags),
        "confidence": finding.confidence,
        "suggestedFormula": _first_suggestion(finding),
    }


def render_json(source: str, sheets: Sequence[SheetReport]) -> str:
    document = {
        "file": source,
        "sheets": [
            {
                "sheet": sheet.sheet,
                "summary": {
                    "formulas": sheet.report.formula_count,
                    "uniqueShapes": sheet.report.unique_shape_count,
                    "cellsWithFindings": sheet.report.cells_with_findings,
                    "findings": len(sheet.report.findings),
                },
                "findings": [_finding_json(f) for f in sheet.report.findings],
                "shapes": [
                    {
                        "shape": shape.shape,
                        "representativeCell": shape.representative_cell,
                        "formula": shape.representative_formula,
                        "cellCount": len(shape.cell_indices),
                        "functions": list(shape.functions),
                    }
                    for shape in sheet.report.shapes
                ],
            }
            for sheet in sheets
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def render_sarif(source: str, sheets: Sequence[SheetReport], version: str) -> str:
    """SARIF 2.1.0: one run, one result per finding, cells as logical locations."""
    rules = [
        {
            "id": info.rule_id,
            "shortDescription": {"text": info.title},
            "defaultConfiguration": {"level": _SARIF_LEVEL[info.severity]},
            "properties": {"tags": sorted(info.tags)},
        }
        for info in rule_catalog()
    ]
    rule_index = {rule["id"]: index for index, rule in enumerate(rules)}
    results = []
    for sheet in sheets:
        prefix = f"{sheet.sheet}!" if sheet.sheet else ""
        for finding in sheet.report.findings:
            result: dict[str, Any] = {
                "ruleId": finding.rule_id,
                "ruleIndex": rule_index[finding.rule_id],
                "level": _SARIF_LEVEL[finding.severity],
                "message": {"text": finding.message},
                "locations": [
                    {
                        "physicalLocation": {"artifactLocation": {"uri": source}},
                        "logicalLocations": [
                            {"fullyQualifiedName": prefix + cell, "kind": "element"}
                            for cell in finding.cells
                        ],
                    }
                ],
                "properties": {"confidence": finding.confidence, "fixHint": finding.fix_hint},
            }
            suggestion = _first_suggestion(finding)
            if suggestion is not None:
                result["properties"]["suggestedFormula"] = suggestion
            results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "SheetBrain", "version": version, "rules": rules}},
                "artifacts": [{"location": {"uri": source}}],
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
