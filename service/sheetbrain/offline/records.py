"""What one audited file leaves behind: counts and findings as plain data, never its cells.

Workers send these back to the parent process, so they must stay small and picklable:
a workbook of a million cells comes back as a few numbers and its findings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from sheetbrain.formulas import Severity


@dataclass(frozen=True, slots=True)
class FindingRecord:
    rule_id: str
    severity: Severity
    message: str
    fix_hint: str
    cells: tuple[str, ...]
    tags: tuple[str, ...]
    confidence: float
    suggestion: str | None  # the suggested formula written for the first cell


@dataclass(frozen=True, slots=True)
class ShapeRecord:
    shape: str
    representative_cell: str | None
    formula: str
    cell_count: int
    functions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SheetResult:
    sheet: str | None
    formulas: int
    unique_shapes: int
    cells_with_findings: int
    findings: tuple[FindingRecord, ...]  # most severe first, as the engine orders them
    shapes: tuple[ShapeRecord, ...] = ()  # only when the report lists shapes (JSON)


@dataclass(frozen=True, slots=True)
class FileResult:
    """One file of a run: audited (sheets), unreadable (why) or skipped (why)."""

    path: str  # as shown in reports: relative to the current folder when inside it
    sheets: tuple[SheetResult, ...] = ()
    shape_digests: frozenset[bytes] = frozenset()  # to count distinct shapes across files
    unreadable: str | None = None
    skipped: str | None = None

    @property
    def formulas(self) -> int:
        return sum(sheet.formulas for sheet in self.sheets)


@dataclass(frozen=True, slots=True)
class RunSummary:
    files: int  # audited
    formulas: int
    unique_shapes: int  # distinct R1C1 shapes across every file
    cells_with_findings: int
    findings: int
    findings_by_rule: dict[str, int]
    findings_by_severity: dict[str, int]  # every severity, most severe first


@dataclass(frozen=True)
class RunReport:
    files: tuple[FileResult, ...]  # sorted by path, whatever order the workers finished in

    @classmethod
    def of(cls, results: list[FileResult]) -> RunReport:
        return cls(tuple(sorted(results, key=lambda result: result.path)))

    @property
    def audited(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if f.unreadable is None and f.skipped is None)

    @property
    def unreadable(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if f.unreadable is not None)

    @property
    def skipped(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if f.skipped is not None)

    def findings(self) -> list[FindingRecord]:
        return [finding for f in self.files for sheet in f.sheets for finding in sheet.findings]

    @cached_property
    def summary(self) -> RunSummary:
        findings = self.findings()
        sheets = [sheet for f in self.files for sheet in f.sheets]
        severities = Counter(str(finding.severity) for finding in findings)
        ordered = sorted(Severity, key=lambda severity: -severity.rank)
        return RunSummary(
            files=len(self.audited),
            formulas=sum(sheet.formulas for sheet in sheets),
            unique_shapes=len({digest for f in self.files for digest in f.shape_digests}),
            cells_with_findings=sum(sheet.cells_with_findings for sheet in sheets),
            findings=len(findings),
            findings_by_rule=dict(sorted(Counter(f.rule_id for f in findings).items())),
            findings_by_severity={str(s): severities[str(s)] for s in ordered},
        )

    def reaches(self, severity: Severity) -> bool:
        """Whether any finding is at least as severe as `severity`."""
        return any(finding.severity.rank >= severity.rank for finding in self.findings())
