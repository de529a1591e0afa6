"""Inputs and results of an audit: plain frozen dataclasses, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from sheetbrain.formulas.shapes import render_shape


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 1, Severity.WARNING: 2, Severity.ERROR: 3}

# Conventional factors (units per day/hour/year, percent, thousands...) are not "magic".
DEFAULT_ALLOWED_CONSTANTS = frozenset(
    {
        0.0,
        0.5,
        1.0,
        2.0,
        4.0,
        7.0,
        10.0,
        12.0,
        24.0,
        52.0,
        60.0,
        100.0,
        365.0,
        366.0,
        1000.0,
        1440.0,
        3600.0,
        86400.0,
        1_000_000.0,
    }
)
# Excel only evaluates the used part of a whole column in these, so A:A costs little there.
DEFAULT_WHOLE_COLUMN_FUNCTIONS = frozenset(
    {
        "VLOOKUP",
        "HLOOKUP",
        "LOOKUP",
        "MATCH",
        "XLOOKUP",
        "XMATCH",
        "INDEX",
        "SUMIF",
        "SUMIFS",
        "COUNTIF",
        "COUNTIFS",
        "AVERAGEIF",
        "AVERAGEIFS",
        "MAXIFS",
        "MINIFS",
        "SUM",
        "COUNT",
        "COUNTA",
        "MAX",
        "MIN",
        "AVERAGE",
    }
)


@dataclass(frozen=True, slots=True)
class CellInput:
    """One cell to audit. `formula` starts with '=' (anything else is treated as a value).

    `value` is what the cell shows: the typed value of a constant, or the cached result of
    a formula where the source knows it (a number, text, a bool, or an error code such as
    "#DIV/0!"). `shape` is the formula's R1C1 shape when the source already knows it (the
    children of an .xlsx shared formula), so the engine need not derive it again.
    """

    address: str | None
    formula: str | None
    value: object = None
    shape: str | None = None


@dataclass(frozen=True)
class AuditConfig:
    """Thresholds and on/off switches an organisation's policies map onto.

    `enabled_rules` (when given) is an allow-list of rule ids; `disabled_rules` and
    `disabled_tags` switch rules off; `severity_overrides` maps rule id -> severity.
    `named_ranges` maps defined names to their targets ("Inputs!$B$2") so absolute
    references to them can be flagged. Findings less confident than `min_confidence`
    (0..1) or less severe than `min_severity` are left out of the report.
    """

    max_nesting: int = 3
    min_if_chain: int = 3
    min_consistent_run: int = 3
    enabled_rules: frozenset[str] | None = None
    disabled_rules: frozenset[str] = frozenset()
    disabled_tags: frozenset[str] = frozenset()
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    allowed_constants: frozenset[float] = DEFAULT_ALLOWED_CONSTANTS
    whole_column_functions: frozenset[str] = DEFAULT_WHOLE_COLUMN_FUNCTIONS
    named_ranges: Mapping[str, str] = field(default_factory=dict)
    min_confidence: float = 0.0
    min_severity: Severity = Severity.INFO

    def enables(self, rule_id: str, tags: frozenset[str]) -> bool:
        if self.enabled_rules is not None and rule_id not in self.enabled_rules:
            return False
        return rule_id not in self.disabled_rules and not tags & self.disabled_tags

    def reports(self, rule_id: str, severity: Severity, escalates: bool) -> bool:
        """Can a rule of this severity reach the report at all? (Saves running rules whose
        every finding would be left out, such as style notes below `min_severity`.)"""
        reach = Severity.ERROR if escalates else self.severity_overrides.get(rule_id, severity)
        return reach.rank >= self.min_severity.rank


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, shared by every cell in `cells` (e.g. all copies of one formula)."""

    rule_id: str
    severity: Severity
    message: str
    fix_hint: str
    cells: tuple[str, ...]  # A1 addresses of the affected cells that have one
    cell_indices: tuple[int, ...]  # positions in the audited sequence
    tags: frozenset[str]
    confidence: float
    suggested_shape: str | None = None  # R1C1 text; see suggested_formula

    def suggested_formula(self, address: str | None) -> str | None:
        """The suggested replacement written for the cell at `address`, when one is valid there."""
        if self.suggested_shape is None:
            return None
        return render_shape(self.suggested_shape, address)


@dataclass(frozen=True, slots=True)
class Shape:
    """Formulas that are copies of each other (same R1C1 text)."""

    shape: str
    representative_cell: str | None
    representative_formula: str
    cells: tuple[str, ...]
    cell_indices: tuple[int, ...]
    functions: tuple[str, ...]
    parse_error: str | None = None


@dataclass(frozen=True, slots=True)
class CellReport:
    index: int
    address: str | None
    formula: str | None
    findings: tuple[Finding, ...]  # most severe first

    @property
    def severity(self) -> Severity | None:
        return self.findings[0].severity if self.findings else None

    @property
    def suggested_formula(self) -> str | None:
        """The first valid suggestion of the most severe findings."""
        for finding in self.findings:
            suggestion = finding.suggested_formula(self.address)
            if suggestion is not None and suggestion != self.formula:
                return suggestion
        return None


@dataclass(frozen=True)
class AuditReport:
    cells: tuple[CellInput, ...]
    findings: tuple[Finding, ...]  # most severe first, then by first cell
    shapes: tuple[Shape, ...]
    formula_count: int
    _by_index: Mapping[int, tuple[Finding, ...]] = field(repr=False)

    @cached_property
    def _index_by_address(self) -> dict[str, int]:
        """Built on first lookup: most callers only read `findings`."""
        return {
            cell.address.upper().replace("$", ""): index
            for index, cell in enumerate(self.cells)
            if cell.address
        }

    @property
    def unique_shape_count(self) -> int:
        return len(self.shapes)

    @property
    def cells_with_findings(self) -> int:
        return len(self._by_index)

    def cell(self, key: int | str) -> CellReport:
        """Findings of one input cell, by position in the input or by A1 address.

        Raises KeyError for an address that was not audited and IndexError for a bad position.
        """
        if isinstance(key, str):
            index = self._index_by_address[key.upper().replace("$", "")]
        else:
            index = key
        cell = self.cells[index]
        return CellReport(index, cell.address, cell.formula, self._by_index.get(index, ()))

    def worst_severity(self) -> Severity | None:
        return self.findings[0].severity if self.findings else None
