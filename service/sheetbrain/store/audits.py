"""Typed wrappers around the audit SQL functions (see 20261125030000_audit.sql).

`begin_audit` and `finish_audit` are the two round trips of an audit; `release_audit`
replaces the second when the audit failed. Refusals come back as PT429 / PT402 with a
JSON DETAIL, turned here into `RateLimitRefused` / `QuotaRefused` carrying that state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

from sheetbrain.identity import Identity
from sheetbrain.store import errors as store_errors
from sheetbrain.store.actor import actor
from sheetbrain.store.gateway import Gateway


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class RateLimitState(_Row):
    limit: int
    remaining: int
    reset_at: datetime
    reset_seconds: int
    window_seconds: int


class QuotaState(_Row):
    """This month's audits; `limit` and `remaining` are None on an unlimited plan."""

    limit: int | None
    used: int
    remaining: int | None
    month: str
    resets_at: datetime


class PlanRef(_Row):
    id: str
    name: str


class PolicyText(_Row):
    id: UUID
    title: str
    content: str
    truncated: bool
    category: str | None = None
    template_key: str | None = None


class PolicyChunk(_Row):
    policy_id: UUID
    chunk_id: UUID
    title: str
    content: str
    rank: float


class AuditBegun(_Row):
    reservation_id: UUID
    organization_id: UUID
    user_id: UUID
    role: str
    plan: PlanRef
    quota: QuotaState
    rate_limit: RateLimitState
    policies: tuple[PolicyText, ...]
    chunks: tuple[PolicyChunk, ...]


class AuditFinished(_Row):
    audit_log_id: UUID
    organization_id: UUID
    month: str
    used: int


class AuditReleased(_Row):
    released: bool
    used: int


class _RefusedRateLimit(RateLimitState):
    retry_after: int


class _RefusedQuota(_Row):
    plan: str
    limit: int | None
    used: int
    month: str
    resets_at: datetime
    rate_limit: RateLimitState


class RateLimitRefused(Exception):
    def __init__(self, state: RateLimitState, retry_after: int) -> None:
        super().__init__("rate limit exceeded")
        self.state = state
        self.retry_after = retry_after


class QuotaRefused(Exception):
    """`rate_limit` is the window's state after the refusal (which does not count)."""

    def __init__(self, plan: str, quota: QuotaState, rate_limit: RateLimitState) -> None:
        super().__init__("monthly audit quota used up")
        self.plan = plan
        self.quota = quota
        self.rate_limit = rate_limit


@dataclass(frozen=True)
class AuditLogEntry:
    """What `finish_audit` writes into audit_logs."""

    formula_count: int
    compliant_count: int
    issues_found: int
    duration_ms: int
    rag_used: bool
    rag_context_count: int
    model: str | None
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    ai_status: str
    degraded: bool
    unique_shapes: int
    findings_by_severity: Mapping[str, int]
    findings_by_rule: Mapping[str, int]


async def begin_audit(
    gateway: Gateway,
    identity: Identity,
    *,
    retrieval_query: str,
    chunk_limit: int,
    policy_limit: int,
    policy_chars: int,
) -> AuditBegun:
    """Provision, admit (rate limit), reserve one audit and load policies: one round trip."""
    args = {
        "actor": actor(identity),
        "retrieval_query": retrieval_query,
        "chunk_limit": chunk_limit,
        "policy_limit": policy_limit,
        "policy_chars": policy_chars,
    }
    try:
        return await gateway.rpc("begin_audit", args, AuditBegun)
    except store_errors.RateLimited as exc:
        raise rate_limit_refusal(exc) from exc
    except store_errors.PaymentRequired as exc:
        raise _quota_refusal(exc) from exc


async def finish_audit(
    gateway: Gateway, reservation_id: UUID, entry: AuditLogEntry
) -> AuditFinished:
    """Write the audit_logs row and confirm the reserved audit: one round trip."""
    args: dict[str, Any] = {
        "reservation_id": str(reservation_id),
        "formula_count": entry.formula_count,
        "compliant_count": entry.compliant_count,
        "issues_found": entry.issues_found,
        "duration_ms": entry.duration_ms,
        "rag_used": entry.rag_used,
        "rag_context_count": entry.rag_context_count,
        "model": entry.model,
        "input_tokens": entry.input_tokens,
        "output_tokens": entry.output_tokens,
        "cache_read_tokens": entry.cache_read_tokens,
        "cache_write_tokens": entry.cache_write_tokens,
        "ai_status": entry.ai_status,
        "degraded": entry.degraded,
        "unique_shapes": entry.unique_shapes,
        "findings_by_severity": dict(entry.findings_by_severity),
        "findings_by_rule": dict(entry.findings_by_rule),
    }
    return await gateway.rpc("finish_audit", args, AuditFinished)


async def release_audit(gateway: Gateway, reservation_id: UUID) -> AuditReleased:
    """Give the reserved audit back (the audit failed after begin_audit)."""
    args = {"reservation_id": str(reservation_id)}
    return await gateway.rpc("release_audit", args, AuditReleased)


async def check_rate_limit(gateway: Gateway, organization_id: UUID) -> RateLimitState:
    """Count one request in the organization's window; `RateLimitRefused` when over."""
    try:
        return await gateway.rpc(
            "check_rate_limit", {"org_id": str(organization_id)}, RateLimitState
        )
    except store_errors.RateLimited as exc:
        raise rate_limit_refusal(exc) from exc


def rate_limit_refusal(exc: store_errors.StoreError) -> Exception:
    """A PT429 from check_rate_limit as `RateLimitRefused` (else the error itself)."""
    try:
        refused = _RefusedRateLimit.model_validate_json(exc.detail or "")
    except ValidationError:
        return exc  # not our function's refusal: let the generic mapping answer
    return RateLimitRefused(
        RateLimitState.model_validate(refused.model_dump()), refused.retry_after
    )


def _quota_refusal(exc: store_errors.StoreError) -> Exception:
    try:
        refused = _RefusedQuota.model_validate_json(exc.detail or "")
    except ValidationError:
        return exc
    remaining = None if refused.limit is None else max(refused.limit - refused.used, 0)
    quota = QuotaState(
        limit=refused.limit,
        used=refused.used,
        remaining=remaining,
        month=refused.month,
        resets_at=refused.resets_at,
    )
    # begin_audit rolled back, so the request it had admitted is not counted after all.
    window = refused.rate_limit
    rate_limit = window.model_copy(update={"remaining": min(window.remaining + 1, window.limit)})
    return QuotaRefused(refused.plan, quota, rate_limit)
