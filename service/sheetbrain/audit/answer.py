"""The audit's answer: what both the add-ons and the original backend's clients read.

`results[]` is what the add-ons colour cells with; `audits[]`, `count`, `compliant`,
`timestamp`, `duration` are the original backend's keys; `findings`, `summary`, `ai`
and `quota` are the details. Field names are the camelCase wire names (no aliases).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, SerializerFunctionWrapHandler, model_serializer

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


class CellResult(BaseModel):
    cell: str | None
    formula: str
    # Both sidebars count `results.filter(r => r.compliant)` and draw the badge from it.
    compliant: bool
    riskLevel: RiskLevel
    issues: list[str]
    recommendation: str
    suggestedFormula: str | None = None

    @model_serializer(mode="wrap")
    def _omit_missing_suggestion(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The add-on shows an "Apply suggestion" button whenever the key is present.
        data: dict[str, Any] = handler(self)
        if data.get("suggestedFormula") is None:
            data.pop("suggestedFormula", None)
        return data


class LegacyAudit(BaseModel):
    cellAddress: str | None
    formula: str
    compliant: bool
    risk: RiskLevel
    issues: list[str]
    recommendations: list[str]


class FindingOut(BaseModel):
    ruleId: str
    severity: Literal["error", "warning", "info"]
    message: str
    suggestion: str | None
    source: Literal["engine", "ai"]
    policyId: str | None
    cells: list[str]


class SeverityCounts(BaseModel):
    error: int = 0
    warning: int = 0
    info: int = 0


class Summary(BaseModel):
    formulas: int
    uniqueShapes: int
    compliant: int
    issuesBySeverity: SeverityCounts


class AiTokens(BaseModel):
    input: int
    output: int
    cacheRead: int
    cacheWrite: int


class AiStatus(BaseModel):
    status: Literal["ok", "unavailable", "disabled", "partial"]
    model: str | None
    tokens: AiTokens
    reason: str | None


class QuotaOut(BaseModel):
    plan: str
    limit: int  # -1 = unlimited
    used: int
    remaining: int  # -1 = unlimited
    resetsAt: datetime


class AuditAnswer(BaseModel):
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
class _CellFinding:
    severity: Severity
    message: str
    hint: str | None
    suggestion: str | None  # written for this cell
    suggestion_shape: str | None  # the same for every copy: parse it once


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
    """Engine and AI findings, expanded to every cell of their shape, per cell and in total."""
    ai_by_shape: dict[str, list[AiFinding]] = {}
    for ai_finding in review.findings:
        if ai_finding.shape_id in shapes:
            ai_by_shape.setdefault(ai_finding.shape_id, []).append(ai_finding)
    shape_of_cell = {
        index: shape_id for shape_id, shape in shapes.items() for index in shape.cell_indices
    }
    counts: Counter[str] = Counter()
    parses: dict[str, bool] = {}
    results: list[CellResult] = []
    audits: list[LegacyAudit] = []
    for index in request.formula_indices:
        cell = request.cells[index]
        formula = cell.formula or ""
        shape_id = shape_of_cell.get(index)
        cell_findings = [_engine_cell_finding(f, cell.address) for f in report.cell(index).findings]
        if shape_id is not None:
            cell_findings += [
                _ai_cell_finding(f, shapes[shape_id], cell.address)
                for f in ai_by_shape.get(shape_id, ())
            ]
        cell_findings.sort(key=lambda f: -f.severity.rank)
        counts.update(finding.severity.value for finding in cell_findings)
        worst = cell_findings[0].severity if cell_findings else None
        issues = [f.message for f in cell_findings]
        hints = list(dict.fromkeys(f.hint for f in cell_findings if f.hint))
        suggestion = next(
            (f.suggestion for f in cell_findings if _offered(f, formula, parses)), None
        )
        compliant = not any(f.severity in _NOT_COMPLIANT for f in cell_findings)
        # model_construct: these values are built here, not received; validating 2 x 50,000
        # of them again would double the cost of assessing a large sheet.
        results.append(
            CellResult.model_construct(
                cell=cell.address,
                formula=formula,
                compliant=compliant,
                riskLevel=risk_level(worst),
                issues=issues,
                recommendation=" ".join(hints) if hints else NO_ISSUES,
                suggestedFormula=suggestion,
            )
        )
        audits.append(
            LegacyAudit.model_construct(
                cellAddress=cell.address,
                formula=formula,
                compliant=compliant,
                risk=risk_level(worst),
                issues=issues,
                recommendations=hints,
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


def _engine_cell_finding(finding: Finding, address: str | None) -> _CellFinding:
    return _CellFinding(
        finding.severity,
        finding.message,
        finding.fix_hint or None,
        finding.suggested_formula(address),
        finding.suggested_shape,
    )


def _ai_cell_finding(finding: AiFinding, shape: Shape, address: str | None) -> _CellFinding:
    suggestion = finding.suggested_formula
    suggestion_shape = None
    # Claude wrote the suggestion for the example cell; move it to this cell like a copy.
    if suggestion and shape.representative_cell:
        suggestion_shape = shape_at(suggestion, shape.representative_cell)
        if address != shape.representative_cell:
            suggestion = render_shape(suggestion_shape, address) if address else None
    return _CellFinding(
        Severity(finding.severity),
        finding.message,
        finding.suggestion,
        suggestion,
        suggestion_shape,
    )


def _offered(finding: _CellFinding, formula: str, parses: dict[str, bool]) -> bool:
    """A suggestion is offered only when it parses and changes something. Copies of one
    suggestion differ only in their relative references, so one parse decides for all."""
    suggestion = finding.suggestion
    if not suggestion or not suggestion.startswith("=") or suggestion == formula:
        return False
    key = finding.suggestion_shape or suggestion
    if key not in parses:
        parses[key] = _parses(suggestion)
    return parses[key]


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
