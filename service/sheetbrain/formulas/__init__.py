"""Deterministic formula audit: tokenizer -> syntax tree -> R1C1 shapes -> rules.

Pure Python without I/O; usable as a library::

    from sheetbrain.formulas import CellInput, audit
    report = audit([CellInput("B2", "=VLOOKUP(A2,Rates!A:B,2)")])
"""

from sheetbrain.formulas.catalog import PARSE_ERROR, RuleInfo
from sheetbrain.formulas.engine import audit
from sheetbrain.formulas.errors import FormulaError, FormulaParseError, FormulaTokenizeError
from sheetbrain.formulas.model import (
    AuditConfig,
    AuditReport,
    CellInput,
    CellReport,
    Finding,
    Severity,
    Shape,
)
from sheetbrain.formulas.parser import parse_formula
from sheetbrain.formulas.rules import SHAPE_RULES, SHEET_RULES
from sheetbrain.formulas.shapes import render_shape, shape_at


def rule_catalog() -> tuple[RuleInfo, ...]:
    """Every rule with its id, default severity and tags (for policy mapping and docs)."""
    return (PARSE_ERROR, *(r.info for r in SHAPE_RULES), *(r.info for r in SHEET_RULES))


__all__ = [
    "AuditConfig",
    "AuditReport",
    "CellInput",
    "CellReport",
    "Finding",
    "FormulaError",
    "FormulaParseError",
    "FormulaTokenizeError",
    "RuleInfo",
    "Severity",
    "Shape",
    "audit",
    "parse_formula",
    "render_shape",
    "rule_catalog",
    "shape_at",
]
