"""Statistics for the caller's organization: totals, usage by month, rate limit, history.

Every handler is one RPC taking the verified caller, which keeps to its organization.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, Parameter
from pydantic import BaseModel, Field

from sheetbrain.identity import Identity
from sheetbrain.stats.history import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, audit_page
from sheetbrain.store import stats as store
from sheetbrain.store.gateway import Gateway


class AuditHistoryPage(BaseModel):
    items: list[store.AuditRecord]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page"
    )


class StatsController(Controller):
    tags = ["stats"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/api/stats", operation_id="stats", summary="The organization's totals (get_org_stats)")
    async def stats(
        self, gateway: NamedDependency[Gateway], identity: NamedDependency[Identity]
    ) -> store.OrgStats:
        return await store.org_stats(gateway, identity)

    @get("/api/stats/usage", operation_id="statsUsage", summary="Audits per month, oldest first")
    async def usage(
        self,
        gateway: NamedDependency[Gateway],
        identity: NamedDependency[Identity],
        months: Annotated[int, Parameter(ge=1, le=36)] = 12,
    ) -> list[store.MonthUsage]:
        return await store.usage_by_month(gateway, identity, months)

    @get("/api/stats/rate-limit", operation_id="statsRateLimit", summary="The current window")
    async def rate_limit(
        self, gateway: NamedDependency[Gateway], identity: NamedDependency[Identity]
    ) -> store.RateLimitWindow:
        return await store.rate_limit_window(gateway, identity)

    @get("/api/audits", operation_id="audits", summary="Audit history, newest first")
    async def audits(
        self,
        gateway: NamedDependency[Gateway],
        identity: NamedDependency[Identity],
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    ) -> AuditHistoryPage:
        page = await audit_page(gateway, identity, limit, cursor)
        return AuditHistoryPage(items=page.items, next_cursor=page.next_cursor)
