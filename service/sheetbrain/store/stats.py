"""Typed calls to the statistics and retention SQL functions (20261125060000_stats.sql,
20261129200000_member_reads_take_actor.sql).

Member reads take the verified caller (`Identity`) and keep to its organization's rows;
operators read any organization by name (`org_report`). Everything runs as service_role.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel

from sheetbrain.identity import Identity
from sheetbrain.store.actor import actor
from sheetbrain.store.gateway import Gateway


class OrgStats(BaseModel):
    """get_org_stats for one organization; organization_id is None for an org never seen."""

    organization_id: uuid.UUID | None
    clerk_org_id: str | None
    organization_name: str | None
    total_users: int
    total_policies: int
    total_audits: int
    audits_this_month: int
    monthly_quota: int | None  # null: unlimited
    plan: str
    subscription_status: str


class MonthUsage(BaseModel):
    month: str  # YYYY-MM
    audits: int


class RateLimitWindow(BaseModel):
    """The current fixed window; window_reset_at is None when no window is running."""

    request_count: int
    request_limit: int
    remaining: int
    window_seconds: int
    window_reset_at: dt.datetime | None


class AuditRecord(BaseModel):
    id: uuid.UUID
    created_at: dt.datetime
    user_id: str | None
    formula_count: int
    compliant_count: int
    issues_found: int
    duration_ms: int
    rag_used: bool
    rag_context_count: int
    archived: bool
    details: dict[str, Any]


class FindingTotal(BaseModel):
    dimension: Literal["severity", "rule"]
    key: str
    hits: int


class PolicySummary(BaseModel):
    id: uuid.UUID
    title: str
    category: str | None
    source: str
    is_default: bool
    created_at: dt.datetime


class Dashboard(BaseModel):
    stats: OrgStats
    usage: list[MonthUsage]
    rate_limit: RateLimitWindow
    recent_audits: list[AuditRecord]
    finding_totals: list[FindingTotal]
    policies: list[PolicySummary]


class OrgReport(BaseModel):
    """What an operator sees of one organization (`sheetbrain stats ORG`)."""

    stats: OrgStats
    usage: list[MonthUsage]
    rate_limit: RateLimitWindow


async def org_stats(gateway: Gateway, identity: Identity) -> OrgStats:
    rows = await gateway.rpc("org_stats", {"actor": actor(identity)}, list[OrgStats])
    return rows[0]


async def usage_by_month(gateway: Gateway, identity: Identity, months: int) -> list[MonthUsage]:
    args = {"actor": actor(identity), "months": months}
    return await gateway.rpc("org_usage_by_month", args, list[MonthUsage])


async def rate_limit_window(gateway: Gateway, identity: Identity) -> RateLimitWindow:
    rows = await gateway.rpc("org_rate_limit", {"actor": actor(identity)}, list[RateLimitWindow])
    return rows[0]


async def audit_history(
    gateway: Gateway,
    identity: Identity,
    page_size: int,
    after: tuple[dt.datetime, uuid.UUID] | None,
) -> list[AuditRecord]:
    """Up to `page_size` audits, newest first, strictly after the (created_at, id) key."""
    args: dict[str, Any] = {"actor": actor(identity), "page_size": page_size}
    if after is not None:
        args["after_created_at"], args["after_id"] = after[0].isoformat(), str(after[1])
    return await gateway.rpc("org_audit_history", args, list[AuditRecord])


async def dashboard(gateway: Gateway, identity: Identity, months: int, recent: int) -> Dashboard:
    args = {"actor": actor(identity), "months": months, "recent": recent}
    return await gateway.rpc("org_dashboard", args, Dashboard)


async def org_report(gateway: Gateway, org: str, months: int) -> OrgReport:
    """Operators: any organization, named by its Clerk org id or its uuid."""
    return await gateway.rpc("org_report", {"org": org, "months": months}, OrgReport)


async def cleanup_expired_rate_limits(gateway: Gateway) -> int:
    return await gateway.rpc("cleanup_expired_rate_limits", {}, int)


async def archive_audit_logs(gateway: Gateway, older_than: dt.timedelta) -> int:
    return await gateway.rpc("archive_audit_logs", {"older_than": _interval(older_than)}, int)


async def purge_audit_archive(gateway: Gateway, older_than: dt.timedelta) -> int:
    return await gateway.rpc("purge_audit_archive", {"older_than": _interval(older_than)}, int)


async def cleanup_expired_sign_in_rate_limits(gateway: Gateway) -> int:
    return await gateway.rpc("cleanup_expired_sign_in_rate_limits", {}, int)


async def cleanup_expired_refresh_tokens(gateway: Gateway, grace: dt.timedelta) -> int:
    return await gateway.rpc("cleanup_expired_refresh_tokens", {"grace": _interval(grace)}, int)


class PurgedRecords(BaseModel):
    webhook_events: int
    stripe_events: int
    audit_reservations: int


async def purge_service_records(gateway: Gateway, older_than: dt.timedelta) -> PurgedRecords:
    args = {"older_than": _interval(older_than)}
    return await gateway.rpc("purge_service_records", args, PurgedRecords)


def _interval(duration: dt.timedelta) -> str:
    # Seconds are exact for PostgreSQL intervals and PostgREST alike.
    return f"{int(duration.total_seconds())} seconds"
