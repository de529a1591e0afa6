"""One sheet's cells written as a dict, for the formula rules' tests."""

from __future__ import annotations

from typing import Any

from sheetbrain.formulas import AuditConfig, CellInput, Finding, audit


def sheet(cells: dict[str, Any]) -> list[CellInput]:
    """{address: formula | number | text} -> CellInputs (a formula starts with '=')."""
    return [
        CellInput(a, v, None) if isinstance(v, str) and v.startswith("=") else CellInput(a, None, v)
        for a, v in cells.items()
    ]


def found(cells: dict[str, Any], rule_id: str, config: AuditConfig | None = None) -> list[Finding]:
    """The findings of rule `rule_id` when the sheet is audited (default configuration)."""
    report = audit(sheet(cells), config or AuditConfig())
    return [f for f in report.findings if f.rule_id == rule_id]
