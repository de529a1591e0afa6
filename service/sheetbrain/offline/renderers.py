"""Render one audit run (any number of files) as JSON, SARIF 2.1.0 or CSV (the table: table.py)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sheetbrain.formulas import Severity, rule_catalog
from sheetbrain.offline.records import FileResult, FindingRecord, RunReport, SheetResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# Relative URIs are resolved against the checkout: GitHub code scanning maps them to files.
SARIF_SOURCE_ROOT = "%SRCROOT%"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
CSV_COLUMNS = ("file", "sheet", "cell", "rule", "severity", "confidence", "message")
# A CSV field starting with one of these is run as a formula when the report is opened in
# a spreadsheet: a sheet or file name can be chosen by whoever wrote the workbook.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _finding_json(finding: FindingRecord) -> dict[str, Any]:
    return {
        "ruleId": finding.rule_id,
        "severity": str(finding.severity),
        "message": finding.message,
        "fixHint": finding.fix_hint,
        "cells": list(finding.cells),
        "tags": list(finding.tags),
        "confidence": finding.confidence,
        "suggestedFormula": finding.suggestion,
    }


def _file_json(result: FileResult) -> dict[str, Any]:
    return {
        "file": result.path,
        "sheets": [
            {
                "sheet": sheet.sheet,
                "summary": {
                    "formulas": sheet.formulas,
                    "uniqueShapes": sheet.unique_shapes,
                    "cellsWithFindings": sheet.cells_with_findings,
                    "findings": len(sheet.findings),
                },
                "findings": [_finding_json(f) for f in sheet.findings],
                "shapes": [
                    {
                        "shape": shape.shape,
                        "representativeCell": shape.representative_cell,
                        "formula": shape.formula,
                        "cellCount": shape.cell_count,
                        "functions": list(shape.functions),
                    }
                    for shape in sheet.shapes
                ],
            }
            for sheet in result.sheets
        ],
    }


def render_json(run: RunReport) -> str:
    """One document: a section per audited file, then the run's summary."""
    summary = run.summary
    document = {
        "files": [_file_json(result) for result in run.audited],
        "summary": {
            "files": summary.files,
            "formulas": summary.formulas,
            "uniqueShapes": summary.unique_shapes,
            "cellsWithFindings": summary.cells_with_findings,
            "findings": summary.findings,
            "findingsByRule": summary.findings_by_rule,
            "findingsBySeverity": summary.findings_by_severity,
            "unreadable": [{"file": f.path, "reason": f.unreadable} for f in run.unreadable],
            "skipped": [{"file": f.path, "reason": f.skipped} for f in run.skipped],
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _artifact_location(path: str) -> dict[str, Any]:
    """A SARIF artifactLocation: a percent-encoded URI, relative to the source root if it can."""
    if Path(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path), "uriBaseId": SARIF_SOURCE_ROOT}


def _fingerprint(path: str, sheet: SheetResult, finding: FindingRecord) -> str:
    """Every result is on line 1 of its file, so code scanning cannot tell two apart by line."""
    key = "\0".join([path, sheet.sheet or "", finding.rule_id, *finding.cells])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def render_sarif(run: RunReport, version: str) -> str:
    """SARIF 2.1.0: one run, an artifact per file, one result per finding.

    A spreadsheet has no lines: each result's region is line 1 of its file, and the cells
    (`Sheet!B4`) are the result's logical locations.
    """
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
    artifacts = []
    results = []
    for index, result in enumerate(run.audited):
        artifacts.append({"location": _artifact_location(result.path)})
        for sheet in result.sheets:
            prefix = f"{sheet.sheet}!" if sheet.sheet else ""
            for finding in sheet.findings:
                properties: dict[str, Any] = {
                    "confidence": finding.confidence,
                    "fixHint": finding.fix_hint,
                }
                if finding.suggestion is not None:
                    properties["suggestedFormula"] = finding.suggestion
                location = {**_artifact_location(result.path), "index": index}
                results.append(
                    {
                        "ruleId": finding.rule_id,
                        "ruleIndex": rule_index[finding.rule_id],
                        "level": _SARIF_LEVEL[finding.severity],
                        "message": {"text": finding.message},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": location,
                                    "region": {"startLine": 1},
                                },
                                "logicalLocations": [
                                    {"fullyQualifiedName": prefix + cell, "kind": "element"}
                                    for cell in finding.cells
                                ],
                            }
                        ],
                        "partialFingerprints": {
                            "primaryLocationLineHash": _fingerprint(result.path, sheet, finding)
                        },
                        "properties": properties,
                    }
                )
    notifications = [
        {
            "level": "error",
            "message": {"text": f"cannot audit {f.path}: {f.unreadable}"},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact_location(f.path)}}],
        }
        for f in run.unreadable
    ]
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "SheetBrain", "version": version, "rules": rules}},
                "invocations": [
                    {
                        "executionSuccessful": not notifications,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "artifacts": artifacts,
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _csv_text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) else text


def render_csv(run: RunReport) -> str:
    """One row per finding and cell; unreadable files as rows of rule `unreadable`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for result in run.files:
        if result.unreadable is not None:
            reason = _csv_text(result.unreadable)
            writer.writerow([_csv_text(result.path), "", "", "unreadable", "error", "", reason])
        for sheet in result.sheets:
            for finding in sheet.findings:
                for cell in finding.cells or ("",):
                    writer.writerow(
                        [
                            _csv_text(result.path),
                            _csv_text(sheet.sheet or ""),
                            cell,
                            finding.rule_id,
                            str(finding.severity),
                            f"{finding.confidence:.2f}",
                            _csv_text(finding.message),
                        ]
                    )
    return buffer.getvalue()
