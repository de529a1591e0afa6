"""One audit, in exactly two database round trips.

    begin_audit   provision the caller, admit the request (rate limit), reserve one audit
                  of the monthly quota, load the policies and the retrieved policy chunks
    (cells)       every cell of the surveyed request built (off the loop when large): only
                  once admitted, so a refused request costs no more than its survey
    (engine)      the deterministic rules, once per unique R1C1 shape
    (reviewer)    Claude, sent each unique shape once with the policies
    finish_audit  audit_logs row + confirmation of the reserved audit

If anything fails between the two, or `finish_audit` itself fails, `release_audit`
gives the reserved audit back instead, so a failed audit is never billed and never
holds the quota.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TypeVar
from uuid import UUID

import anyio.to_thread
import msgspec

from sheetbrain.audit.answer import (
    Assessment,
    AuditAnswer,
    assess,
    audit_answer,
    now,
    shape_ids,
)
from sheetbrain.audit.limits import quota_exceeded, quota_out, rate_limit_headers, rate_limited
from sheetbrain.audit.policy_rules import rules_from_policies
from sheetbrain.audit.request import AuditRequest
from sheetbrain.formulas import AuditReport, Shape, audit
from sheetbrain.identity import Identity
from sheetbrain.log import get_logger
from sheetbrain.review import PolicyForReview, Reviewer, ReviewOutcome, ShapeForReview
from sheetbrain.store import audits as store
from sheetbrain.store.audits import AuditBegun, AuditLogEntry, QuotaRefused, RateLimitRefused
from sheetbrain.store.gateway import Gateway

# Retrieval and prompt size: enough policy text to judge by, small enough to cache well.
CHUNK_LIMIT = 5
POLICY_LIMIT = 50
POLICY_CHARACTERS = 4_000
# Below this many cells the engine finishes in milliseconds: a thread would cost more.
THREAD_THRESHOLD_CELLS = 1_000
_DEGRADED_STATUSES = frozenset({"unavailable", "partial"})

T = TypeVar("T")

_log = get_logger(__name__)


@dataclass(frozen=True)
class AuditResult:
    answer: AuditAnswer
    headers: Mapping[str, str]


async def run_audit(
    request: AuditRequest, identity: Identity, gateway: Gateway, reviewer: Reviewer
) -> AuditResult:
    started = time.perf_counter()
    try:
        begun = await store.begin_audit(
            gateway,
            identity,
            retrieval_query=await _off_loop(request, request.retrieval_query),
            chunk_limit=CHUNK_LIMIT,
            policy_limit=POLICY_LIMIT,
            policy_chars=POLICY_CHARACTERS,
        )
    except RateLimitRefused as refusal:
        raise rate_limited(refusal) from refusal
    except QuotaRefused as refusal:
        raise quota_exceeded(refusal) from refusal

    try:
        audit_input = await _off_loop(request, request.normalised)
        rules = rules_from_policies(begun.policies)
        report = await _off_loop(
            request,
            partial(audit, audit_input.cells, rules.config, sheet=audit_input.context.sheet_name),
        )
        shapes = shape_ids(report)
        review = await reviewer.review(
            shapes_for_review(shapes, report),
            policies_for_review(begun),
            request.context.as_review_context(),
        )
        assessment = await _off_loop(
            request, partial(assess, audit_input, report, shapes, review, rules.policy_by_rule)
        )
        duration_ms = round((time.perf_counter() - started) * 1000)
        # A failed finish_audit (the database went away after the engine ran) must not
        # hold the reservation for 15 minutes: the next audit would get 402 meanwhile.
        finished = await store.finish_audit(
            gateway, begun.reservation_id, _log_entry(begun, assessment, review, duration_ms)
        )
    except BaseException:
        await _release(gateway, begun.reservation_id)
        raise

    quota = quota_out(begun.plan.id, begun.quota, finished.used)
    answer = audit_answer(assessment, review, quota, duration_ms, now())
    return AuditResult(answer, rate_limit_headers(begun.rate_limit))


def shapes_for_review(shapes: Mapping[str, Shape], report: AuditReport) -> list[ShapeForReview]:
    """Each unique shape once, with what the engine already found for its example cell."""
    return [
        ShapeForReview(
            shape_id=shape_id,
            r1c1=shape.shape,
            example_cell=shape.representative_cell,
            example_formula=shape.representative_formula,
            cell_count=len(shape.cell_indices),
            engine_findings=tuple(
                dict.fromkeys(
                    f"{finding.rule_id}: {finding.message}"
                    for finding in report.cell(shape.cell_indices[0]).findings
                )
            ),
        )
        for shape_id, shape in shapes.items()
    ]


def policies_for_review(begun: AuditBegun) -> list[PolicyForReview]:
    """The org's policies, plus retrieved excerpts of those the list cut short or left out.

    The full list changes rarely, so it stays a cacheable prompt prefix; excerpts of a
    policy already sent whole would only repeat it.
    """
    sent_whole = {policy.id for policy in begun.policies if not policy.truncated}
    policies = [PolicyForReview(str(p.id), p.title, p.content) for p in begun.policies]
    policies += [
        PolicyForReview(str(chunk.policy_id), f"{chunk.title} (excerpt)", chunk.content)
        for chunk in begun.chunks
        if chunk.policy_id not in sent_whole
    ]
    return policies


async def _off_loop(request: AuditRequest, work: Callable[[], T]) -> T:
    """CPU-bound work on a large sheet runs in a worker thread, so the event loop keeps
    serving other requests; a small sheet is done faster than a thread hand-off."""
    if request.cells_sent < THREAD_THRESHOLD_CELLS:
        return work()
    return await anyio.to_thread.run_sync(work)


async def _release(gateway: Gateway, reservation_id: UUID) -> None:
    try:
        await store.release_audit(gateway, reservation_id)
    except Exception:
        # The original failure is what the caller must hear about; an unreleased
        # reservation expires after 15 minutes and is given back then.
        _log.exception("audit_release_failed", reservation_id=str(reservation_id))


def _log_entry(
    begun: AuditBegun, assessment: Assessment, review: ReviewOutcome, duration_ms: int
) -> AuditLogEntry:
    counts = assessment.summary.issuesBySeverity
    return AuditLogEntry(
        formula_count=assessment.summary.formulas,
        compliant_count=assessment.summary.compliant,
        issues_found=counts.error + counts.warning + counts.info,
        duration_ms=duration_ms,
        rag_used=bool(begun.chunks),
        rag_context_count=len(begun.chunks),
        model=review.model,
        input_tokens=review.input_tokens,
        output_tokens=review.output_tokens,
        cache_read_tokens=review.cache_read_tokens,
        cache_write_tokens=review.cache_write_tokens,
        ai_status=review.status,
        degraded=review.status in _DEGRADED_STATUSES,
        unique_shapes=assessment.summary.uniqueShapes,
        findings_by_severity=msgspec.structs.asdict(counts),
        findings_by_rule=Counter(finding.ruleId for finding in assessment.findings),
    )
