"""Rate-limit and quota answers: the headers every audit response carries, the problems.

Headers follow the IETF draft "RateLimit header fields for HTTP" (structured fields:
`RateLimit-Policy: "org";q=100;w=60`, `RateLimit: "org";r=99;t=42`) plus the widespread
`X-RateLimit-Limit/Remaining/Reset` (Reset = Unix time in seconds).
"""

from __future__ import annotations

import math

import msgspec

from sheetbrain.audit.answer import QuotaOut
from sheetbrain.errors import PaymentRequired, RateLimited
from sheetbrain.store.audits import QuotaRefused, QuotaState, RateLimitRefused, RateLimitState

POLICY_NAME = "org"


def rate_limit_headers(state: RateLimitState) -> dict[str, str]:
    return {
        "RateLimit-Policy": f'"{POLICY_NAME}";q={state.limit};w={state.window_seconds}',
        "RateLimit": f'"{POLICY_NAME}";r={state.remaining};t={state.reset_seconds}',
        "X-RateLimit-Limit": str(state.limit),
        "X-RateLimit-Remaining": str(state.remaining),
        "X-RateLimit-Reset": str(math.ceil(state.reset_at.timestamp())),
    }


def quota_out(plan: str, quota: QuotaState, used: int | None = None) -> QuotaOut:
    """The `quota` object of an audit answer (-1 = unlimited); `used` when it changed since."""
    used = quota.used if used is None else used
    return QuotaOut(
        plan=plan,
        limit=-1 if quota.limit is None else quota.limit,
        used=used,
        remaining=-1 if quota.limit is None else max(quota.limit - used, 0),
        resetsAt=quota.resets_at,
    )


def rate_limited(refusal: RateLimitRefused) -> RateLimited:
    state = refusal.state
    return RateLimited(
        f"Too many requests: {state.limit} per {state.window_seconds} s for this organisation. "
        f"Retry in {refusal.retry_after} s.",
        headers={**rate_limit_headers(state), "Retry-After": str(refusal.retry_after)},
        extra={
            "retryAfter": refusal.retry_after,
            "limit": state.limit,
            "windowSeconds": state.window_seconds,
        },
    )


def quota_exceeded(refusal: QuotaRefused) -> PaymentRequired:
    quota = refusal.quota
    answer = msgspec.to_builtins(quota_out(refusal.plan, quota))
    return PaymentRequired(
        f"The {refusal.plan} plan's {quota.limit} audits for {quota.month} are used up; "
        f"the quota resets on {quota.resets_at.date().isoformat()}.",
        headers=rate_limit_headers(refusal.rate_limit),
        extra={
            "quota": answer,
            "plan": refusal.plan,
            "resetsAt": answer["resetsAt"],
        },
    )
