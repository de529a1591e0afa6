"""Statistics for the caller's organization: totals, usage by month, rate limit, history.

Every handler is one RPC taking the verified caller, which keeps to its organization.
The response bodies are declared here, not in `store/`: a stored row may gain a column
without the HTTP contract changing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, Parameter
from pydantic import BaseModel, ConfigDict, Field

from sheetbrain.identity import Identity
from sheetbrain.stats.history import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, audit_page
from sheetbrain.store import stats as store
from sheetbrain.store.gateway import Gateway


class _View(BaseModel):
    """An HTTP response body, read from a store row by attribute so the two can diverge."""

    model_config = ConfigDict(from_attributes=True)


class OrgStatsView(_View):
    """The organization's totals."""

    organization_id: uuid.UUID | None = Field(description="Null for an organization never seen")
    clerk_org_id: str | None = Field(description="The Clerk organization id (org_...)")
    organization_name: str | None = Field(description="The name Clerk last sent")
    total_users: int = Field(description="Members of the organization")
    total_policies: int = Field(description="Policies of the organization")
    total_audits: int = Field(description="Audits recorded for the organization")
    audits_this_month: int = Field(description="Audits this UTC calendar month (the quota's)")
    monthly_quota: int | None = Field(description="Audits per month of the plan; null = unlimited")
    plan: str = Field(description="The plan's id (free, pro, ...)")
    subscription_status: str = Field(
        description="The subscription's status (active, past_due, ...)"
    )


class MonthUsageView(_View):
    month: str = Field(description="UTC calendar month, YYYY-MM")
    audits: int = Field(description="Audits run that month")


class RateLimitView(_View):
    """The organization's current fixed rate-limit window."""

    request_count: int = Field(description="Requests counted in this window")
    request_limit: int = Field(description="Requests the plan allows per window")
    remaining: int = Field(description="Requests left in this window")
    window_seconds: int = Field(description="Length of a window, in seconds")
    window_reset_at: dt.datetime | None = Field(description="Null when no window is running")


class AuditView(_View):
    id: uuid.UUID
    created_at: dt.datetime
    user_id: str | None = Field(description="Clerk user id; null when the user is gone")
    formula_count: int = Field(description="Formulas audited")
    compliant_count: int = Field(description="Formulas without a finding")
    issues_found: int = Field(description="Findings reported")
    duration_ms: int = Field(description="Time the audit took, in milliseconds")
    rag_used: bool = Field(description="Whether policy passages were given to the review")
    rag_context_count: int = Field(description="Policy passages given to the review")
    archived: bool = Field(description="Moved to the archive by the retention job")
    details: dict[str, Any] = Field(
        description="Every other audit_logs column (AI model, tokens, findings_by_severity...)"
    )


class AuditHistoryPage(BaseModel):
    items: list[AuditView]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page"
    )


class StatsController(Controller):
    tags = ["stats"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/api/stats", operation_id="stats", summary="The organization's totals (get_org_stats)")
    async def stats(
        self, gateway: NamedDependency[Gateway], identity: NamedDependency[Identity]
    ) -> OrgStatsView:
        return OrgStatsView.model_validate(await store.org_stats(gateway, identity))

    @get("/api/stats/usage", operation_id="statsUsage", summary="Audits per month, oldest first")
    async def usage(
        self,
        gateway: NamedDependency[Gateway],
        identity: NamedDependency[Identity],
        months: Annotated[int, Parameter(ge=1, le=36)] = 12,
    ) -> list[MonthUsageView]:
        rows = await store.usage_by_month(gateway, identity, months)
        return [MonthUsageView.model_validate(row) for row in rows]

    @get("/api/stats/rate-limit", operation_id="statsRateLimit", summary="The current window")
    async def rate_limit(
        self, gateway: NamedDependency[Gateway], identity: NamedDependency[Identity]
    ) -> RateLimitView:
        return RateLimitView.model_validate(await store.rate_limit_window(gateway, identity))

    @get("/api/audits", operation_id="audits", summary="Audit history, newest first")
    async def audits(
        self,
        gateway: NamedDependency[Gateway],
        identity: NamedDependency[Identity],
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    ) -> AuditHistoryPage:
        page = await audit_page(gateway, identity, limit, cursor)
        items = [AuditView.model_validate(row) for row in page.items]
        return AuditHistoryPage(items=items, next_cursor=page.next_cursor)
