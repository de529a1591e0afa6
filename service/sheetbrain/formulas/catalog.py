"""The rule table: every rule's id, default severity and tags, and how rules register."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar

from sheetbrain.formulas.model import AuditConfig, Severity
from sheetbrain.formulas.nodes import Node, walk_with_ancestors


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule's id, default severity, tags and title. A rule reports at most its default
    severity unless it `escalates` (raises some findings higher on their evidence)."""

    rule_id: str
    severity: Severity
    tags: frozenset[str]
    title: str
    escalates: bool = False


@dataclass(frozen=True, slots=True)
class Issue:
    """What a rule reports; the engine turns it into a Finding for the affected cells."""

    message: str
    fix_hint: str
    confidence: float
    # Shape rules: an A1 formula for the analysed (representative) cell.
    # Sheet rules: an R1C1 shape, rendered per cell.
    suggestion: str | None = None
    severity: Severity | None = None  # overrides the rule's default for this issue
    cell_indices: tuple[int, ...] = ()  # sheet rules only: which cells


@dataclass(frozen=True)
class ShapeContext:
    """One unique formula shape, parsed once; `formula` is its representative cell's text."""

    formula: str
    tree: Node
    config: AuditConfig
    sheet: str | None

    @cached_property
    def walked(self) -> tuple[tuple[Node, tuple[Node, ...]], ...]:
        """Each node of the tree with its ancestors, in pre-order (as `walk_with_ancestors`):
        most rules look at every node, so the tree is walked once for all of them."""
        return tuple(walk_with_ancestors(self.tree))

    @cached_property
    def nodes(self) -> tuple[Node, ...]:
        """Each node of the tree in pre-order (as `walk`)."""
        return tuple(node for node, _ in self.walked)


ContextT = TypeVar("ContextT")


@dataclass(frozen=True, slots=True)
class Rule(Generic[ContextT]):
    info: RuleInfo
    check: Callable[[ContextT], Iterable[Issue]]


def register(
    table: list[Rule[ContextT]],
    rule_id: str,
    severity: Severity,
    tags: set[str],
    title: str,
    *,
    escalates: bool = False,
) -> Callable[[Callable[[ContextT], Iterable[Issue]]], Callable[[ContextT], Iterable[Issue]]]:
    """Decorator adding a check function to `table` under `rule_id`."""

    def add(check: Callable[[ContextT], Iterable[Issue]]) -> Callable[[ContextT], Iterable[Issue]]:
        if any(rule.info.rule_id == rule_id for rule in table):
            raise ValueError(f"rule {rule_id} registered twice")
        info = RuleInfo(rule_id, severity, frozenset(tags), title, escalates)
        table.append(Rule(info, check))
        return check

    return add


PARSE_ERROR = RuleInfo(
    "parse-error", Severity.ERROR, frozenset({"syntax"}), "Formula cannot be parsed"
)
