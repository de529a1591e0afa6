"""The audit's answer: what both the add-ons and the original backend's clients read.

`results[]` is what the add-ons colour cells with; `audits[]`, `count`, `compliant`,
`timestamp`, `duration` are the original backend's keys; `findings`, `summary`, `ai`
and `quota` are the details. Field names are the camelCase wire names (no aliases), in
the order they are sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

import msgspec

from sheetbrain.audit.request import AuditInput
from sheetbrain.formulas import (
    AuditReport,
    Finding,
    FormulaError,
    Severity,
    Shape,
    parse_formula,
    render_shape,
    shape_at,
)
from sheetbrain.review import AiFinding, ReviewOutcome

RiskLevel = Literal["high", "medium", "low"]
_RISK: Mapping[Severity | None, RiskLevel] = {
    Severity.ERROR: "high",
    Severity.WARNING: "medium",
    Severity.INFO: "low",
    None: "low",
}
_NOT_COMPLIANT = frozenset({Severity.ERROR, Severity.WARNING})
NO_ISSUES = "No issues found."


def risk_level(severity: Severity | None) -> RiskLevel:
    """The add-ons' colour: error -> high, warning -> medium, info or nothing -> low."""
    return _RISK[severity]


class _Out(msgspec.Struct, gc=False):
    """Answer parts: built here, never received, so never validated; msgspec encodes them
    in C (an answer holds two objects per formula). Untracked by the garbage collector:
    they hold only strings, numbers and lists of strings, so no reference cycles."""


class CellResult(_Out, omit_defaults=True):
    cell: str | None
    formula: str
    # Both sidebars count `results.filter(r => r.compliant)` and draw the badge from it.
    compliant: bool
    riskLevel: RiskLevel
    issues: list[str]
    recommendation: str
    # Left out when None (the only field with a default): the add-on shows an "Apply
    # suggestion" button whenever the key is present.
    suggestedFormula: str | None = None


class LegacyAudit(_Out):
    cellAddress: str | None
    formula: str
    compliant: bool
    risk: RiskLevel
    issues: list[str]
    recommendations: list[str]


class FindingOut(_Out):
    ruleId: str
    severity: Literal["error", "warning", "info"]
    message: str
    suggestion: str | None
    source: Literal["engine", "ai"]
    policyId: str | None
    cells: list[str]


class SeverityCounts(_Out):
    error: int = 0
    warning: int = 0
    info: int = 0


class Summary(_Out):
    formulas: int
    uniqueShapes: int
    compliant: int
    issuesBySeverity: SeverityCounts


class AiTokens(_Out):
    input: int
    output: int
    cacheRead: int
    cacheWrite: int


class AiStatus(_Out):
    status: Literal["ok", "unavailable", "disabled", "partial"]
    model: str | None
    tokens: AiTokens
    reason: str | None


class QuotaOut(_Out):
    plan: str
    limit: int  # -1 = unlimited
    used: int
    remaining: int  # -1 = unlimited
    resetsAt: datetime


class AuditAnswer(_Out, kw_only=True):
    success: bool = True
    results: list[CellResult]
    findings: list[FindingOut]
    summary: Summary
    ai: AiStatus
    quota: QuotaOut
    audits: list[LegacyAudit]
    count: int
    compliant: int
    timestamp: datetime
    duration: int  # milliseconds


@dataclass(frozen=True)
class _Suggestion:
    """A finding's suggested formula, to be written for each cell it covers: the engine's
    as an R1C1 shape; Claude's as written for the shape's example cell, moved like a copy."""

    shape: str | None  # R1C1, the same for every copy: parse it once
    written: str | None = None
    written_for: str | None = None

    def at(self, address: str | None) -> str | None:
        if self.shape is None:
            return self.written  # Claude's, for a shape without an example cell
        if self.written_for is None:
            return render_shape(self.shape, address)
        if address == self.written_for:
            return self.written
        return render_shape(self.shape, address) if address else None


@dataclass(frozen=True)
class _CellFinding:
    severity: Severity
    message: str
    hint: str | None
    suggestion: _Suggestion | None


@dataclass(frozen=True)
class _Verdict:
    """What every cell with the same findings shares; only its suggestion is its own."""

    severities: tuple[str, ...]
    compliant: bool
    risk: RiskLevel
    issues: list[str]
    hints: list[str]
    recommendation: str
    suggestions: tuple[_Suggestion, ...]  # most severe first

    def suggestion_at(
        self, address: str | None, formula: str, parses: dict[str, bool]
    ) -> str | None:
        """The first suggestion that parses and changes something. Copies of one
        suggestion differ only in their relative references, so one parse decides for all."""
        for suggestion in self.suggestions:
            text = suggestion.at(address)
            if not text or not text.startswith("=") or text == formula:
                continue
            key = suggestion.shape or text
            if key not in parses:
                parses[key] = _parses(text)
            if parses[key]:
                return text
        return None


@dataclass(frozen=True)
class Assessment:
    """Everything the answer and the audit log need, computed once."""

    results: list[CellResult]
    audits: list[LegacyAudit]
    findings: list[FindingOut]
    summary: Summary


def shape_ids(report: AuditReport) -> dict[str, Shape]:
    """Stable ids for the unique shapes, in the engine's order."""
    return {f"shape-{number}": shape for number, shape in enumerate(report.shapes, start=1)}


def assess(
    request: AuditInput,
    report: AuditReport,
    shapes: Mapping[str, Shape],
    review: ReviewOutcome,
    policy_by_rule: Mapping[str, UUID],
) -> Assessment:
    """Engine and AI findings, expanded to every cell of their shape, per cell and in total.

    Cells with the same findings (the copies of a formula, mostly) share one verdict,
    worked out once; per cell there is only its suggestion to write and its two entries.
    """
    ai_by_shape: dict[str, list[AiFinding]] = {}
    for ai_finding in review.findings:
        if ai_finding.shape_id in shapes:
            ai_by_shape.setdefault(ai_finding.shape_id, []).append(ai_finding)
    shape_of_cell = {
        index: shape_id for shape_id, shape in shapes.items() for index in shape.cell_indices
    }
    # Which of the report's findings each cell has: cells with the same ones share a verdict.
    findings_of_cell: dict[int, list[int]] = {}
    for number, finding in enumerate(report.findings):
        for index in finding.cell_indices:
            findings_of_cell.setdefault(index, []).append(number)
    verdicts: dict[tuple[str | None, tuple[int, ...]], _Verdict] = {}
    counts: Counter[str] = Counter()
    parses: dict[str, bool] = {}
    results: list[CellResult] = []
    audits: list[LegacyAudit] = []
    for index in request.formula_indices:
        cell = request.cells[index]
        formula = cell.formula or ""
        shape_id = shape_of_cell.get(index)
        key = (shape_id, tuple(findings_of_cell.get(index, ())))
        verdict = verdicts.get(key)
        if verdict is None:
            shape = None if shape_id is None else shapes[shape_id]
            ai_findings = [] if shape_id is None else ai_by_shape.get(shape_id, [])
            verdict = verdicts[key] = _verdict(report.cell(index).findings, ai_findings, shape)
        counts.update(verdict.severities)
        suggestion = (
            verdict.suggestion_at(cell.address, formula, parses) if verdict.suggestions else None
        )
        results.append(
            CellResult(
                cell=cell.address,
                formula=formula,
                compliant=verdict.compliant,
                riskLevel=verdict.risk,
                issues=verdict.issues,
                recommendation=verdict.recommendation,
                suggestedFormula=suggestion,
            )
        )
        audits.append(
            LegacyAudit(
                cellAddress=cell.address,
                formula=formula,
                compliant=verdict.compliant,
                risk=verdict.risk,
                issues=verdict.issues,
                recommendations=verdict.hints,
            )
        )
    findings = [
        *_engine_findings(report.findings, policy_by_rule),
        *_ai_findings(review.findings, shapes),
    ]
    summary = Summary(
        formulas=len(results),
        uniqueShapes=len(shapes),
        compliant=sum(1 for audit in audits if audit.compliant),
        issuesBySeverity=SeverityCounts(**counts),
    )
    return Assessment(results, audits, findings, summary)


def _verdict(
    engine_findings: Sequence[Finding], ai_findings: Sequence[AiFinding], shape: Shape | None
) -> _Verdict:
    cell_findings = [_engine_cell_finding(f) for f in engine_findings]
    if shape is not None:
        cell_findings += [_ai_cell_finding(f, shape) for f in ai_findings]
    cell_findings.sort(key=lambda f: -f.severity.rank)
    worst = cell_findings[0].severity if cell_findings else None
    hints = list(dict.fromkeys(f.hint for f in cell_findings if f.hint))
    return _Verdict(
        severities=tuple(finding.severity.value for finding in cell_findings),
        compliant=not any(f.severity in _NOT_COMPLIANT for f in cell_findings),
        risk=risk_level(worst),
        issues=[f.message for f in cell_findings],
        hints=hints,
        recommendation=" ".join(hints) if hints else NO_ISSUES,
        suggestions=tuple(f.suggestion for f in cell_findings if f.suggestion is not None),
    )


def audit_answer(
    assessment: Assessment,
    review: ReviewOutcome,
    quota: QuotaOut,
    duration_ms: int,
    timestamp: datetime,
) -> AuditAnswer:
    """The 200 answer of an audit."""
    return AuditAnswer(
        results=assessment.results,
        findings=assessment.findings,
        summary=assessment.summary,
        ai=_ai_status(review),
        quota=quota,
        audits=assessment.audits,
        count=assessment.summary.formulas,
        compliant=assessment.summary.compliant,
        timestamp=timestamp,
        duration=duration_ms,
    )


def _ai_status(review: ReviewOutcome) -> AiStatus:
    return AiStatus(
        status=review.status,
        model=review.model,
        tokens=AiTokens(
            input=review.input_tokens,
            output=review.output_tokens,
            cacheRead=review.cache_read_tokens,
            cacheWrite=review.cache_write_tokens,
        ),
        reason=review.reason,
    )


def now() -> datetime:
    return datetime.now(UTC)


def _engine_cell_finding(finding: Finding) -> _CellFinding:
    shape = finding.suggested_shape
    return _CellFinding(
        finding.severity,
        finding.message,
        finding.fix_hint or None,
        None if shape is None else _Suggestion(shape),
    )


def _ai_cell_finding(finding: AiFinding, shape: Shape) -> _CellFinding:
    written = finding.suggested_formula
    example = shape.representative_cell
    suggestion = None
    if written and example:
        suggestion = _Suggestion(shape_at(written, example), written, example)
    elif written:
        suggestion = _Suggestion(None, written)
    return _CellFinding(Severity(finding.severity), finding.message, finding.suggestion, suggestion)


def _parses(formula: str) -> bool:
    try:
        parse_formula(formula)
    except FormulaError:
        return False
    return True


def _engine_findings(
    findings: Iterable[Finding], policy_by_rule: Mapping[str, UUID]
) -> Iterable[FindingOut]:
    for finding in findings:
        policy_id = policy_by_rule.get(finding.rule_id)
        yield FindingOut(
            ruleId=finding.rule_id,
            severity=finding.severity.value,
            message=finding.message,
            suggestion=finding.fix_hint or None,
            source="engine",
            policyId=str(policy_id) if policy_id else None,
            cells=list(finding.cells),
        )


def _ai_findings(
    findings: Sequence[AiFinding], shapes: Mapping[str, Shape]
) -> Iterable[FindingOut]:
    for finding in findings:
        shape = shapes.get(finding.shape_id)
        if shape is None:
            continue
        yield FindingOut(
            ruleId=finding.rule_id,
            severity=finding.severity,
            message=finding.message,
            suggestion=finding.suggestion,
            source="ai",
            policyId=finding.policy_id,
            cells=list(shape.cells),
        )
