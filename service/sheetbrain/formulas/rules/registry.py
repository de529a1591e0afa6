"""The rule tables. Each rule module registers its checks here when imported;
`sheetbrain.formulas.rules` imports them all, in the order the index lists them."""

from __future__ import annotations

from sheetbrain.formulas.catalog import Rule, RuleInfo, ShapeContext
from sheetbrain.formulas.sheet import SheetContext

SHAPE_RULES: list[Rule[ShapeContext]] = []  # run once per unique R1C1 shape
SHEET_RULES: list[Rule[SheetContext]] = []  # run once per sheet


def rule_info(rule_id: str) -> RuleInfo:
    """A registered rule's description (for rules that defer to one another)."""
    registered = [rule.info for rule in SHAPE_RULES] + [rule.info for rule in SHEET_RULES]
    return next(info for info in registered if info.rule_id == rule_id)
