"""Rate limits and quotas under real concurrency: many clients, several connections.

Each call runs in its own transaction on its own pooled connection, as it would from
several API replicas; the counts must still be exact.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
import pytest

from sheetbrain.audit import AuditLimits, AuditRequestBody, run_audit
from sheetbrain.audit.request import survey
from sheetbrain.errors import PaymentRequired
from sheetbrain.identity import Identity
from sheetbrain.review import ReviewOutcome, ShapeForReview
from sheetbrain.store.audits import RateLimitRefused, begin_audit, check_rate_limit
from sheetbrain.store.gateway import Gateway
from sheetbrain.store.identity import provision
from support.ids import unique_id
from support.reviewers import ReviewerDouble

pytestmark = pytest.mark.db

CLIENTS = 50
REQUESTS_PER_CLIENT = 3
RATE_LIMIT = 100


def no_findings(shapes: Sequence[ShapeForReview]) -> ReviewOutcome:
    return ReviewOutcome("ok", "claude-test", (), 10, 1, 0, 0, None)


def committed(database_url: str, query: str, *params: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def identity() -> Identity:
    return Identity(unique_id("user"), unique_id("org"), "org:admin", "local")


@dataclass
class LimitedPlans:
    """Plans with the limits a test needs, on organisations of their own.

    The session database is shared: the plans (which other suites list) and their
    organisations are deleted again after the test.
    """

    gateway: Gateway
    database_url: str
    created: list[tuple[str, UUID]] = field(default_factory=list)

    async def organization_on_plan(
        self, who: Identity, *, audits_per_month: int | None, requests: int, window_seconds: int
    ) -> UUID:
        plan = unique_id("plan")
        committed(
            self.database_url,
            """insert into plans (id, name, audits_per_month, rate_limit_requests,
                                  rate_limit_window_seconds)
               values (%s, 'Test plan', %s, %s, %s)""",
            plan,
            audits_per_month,
            requests,
            window_seconds,
        )
        organization_id = (await provision(self.gateway, who)).organization_id
        self.created.append((plan, organization_id))
        committed(
            self.database_url,
            "update subscriptions set plan = %s where organization_id = %s",
            plan,
            organization_id,
        )
        return organization_id

    def delete(self) -> None:
        for plan, organization_id in self.created:
            committed(self.database_url, "delete from organizations where id = %s", organization_id)
            committed(self.database_url, "delete from plans where id = %s", plan)


@pytest.fixture
def plans(gateway: Gateway, database_url: str) -> Iterator[LimitedPlans]:
    created = LimitedPlans(gateway, database_url)
    yield created
    created.delete()


async def test_fifty_concurrent_clients_are_admitted_exactly_up_to_the_limit(
    gateway: Gateway, database_url: str, plans: LimitedPlans
) -> None:
    organization_id = await plans.organization_on_plan(
        identity(),
        audits_per_month=None,
        requests=RATE_LIMIT,
        window_seconds=3600,
    )

    async def client() -> list[bool]:
        admitted = []
        for _ in range(REQUESTS_PER_CLIENT):
            try:
                await check_rate_limit(gateway, organization_id)
                admitted.append(True)
            except RateLimitRefused:
                admitted.append(False)
        return admitted

    outcomes = await asyncio.gather(*(client() for _ in range(CLIENTS)))

    answers = [admitted for per_client in outcomes for admitted in per_client]
    assert (answers.count(True), answers.count(False)) == (100, 50)
    assert committed(
        database_url,
        "select request_count from rate_limit_buckets where organization_id = %s",
        organization_id,
    ) == [(100,)]


async def test_twenty_concurrent_audits_with_five_left_let_exactly_five_through(
    gateway: Gateway, database_url: str, plans: LimitedPlans
) -> None:
    who = identity()
    organization_id = await plans.organization_on_plan(
        who, audits_per_month=10, requests=RATE_LIMIT, window_seconds=60
    )
    committed(
        database_url,
        """insert into audit_usage (organization_id, month_year, count)
           values (%s, to_char(now() at time zone 'UTC', 'YYYY-MM'), 5)""",
        organization_id,
    )
    body = {
        "sheetContext": {
            "sheetName": "Race",
            "formulas": [{"cell": "A1", "formula": "=SUM(B1:B9)"}],
        }
    }
    request = survey(AuditRequestBody.model_validate(body), AuditLimits(10, 100, 10))

    async def one_audit() -> str:
        try:
            await run_audit(request, who, gateway, ReviewerDouble(no_findings))
        except PaymentRequired:
            return "refused"
        return "audited"

    outcomes = await asyncio.gather(*(one_audit() for _ in range(20)))

    assert (outcomes.count("audited"), outcomes.count("refused")) == (5, 15)
    assert committed(
        database_url,
        """select au.count,
                  (select count(*) from audit_logs l where l.organization_id = au.organization_id),
                  (select count(*) from audit_reservations r
                    where r.organization_id = au.organization_id and r.status = 'confirmed')
             from audit_usage au where au.organization_id = %s""",
        organization_id,
    ) == [(10, 5, 5)]


async def test_a_refusal_carries_its_retry_after_through_either_transport(
    any_gateway: Gateway, plans: LimitedPlans
) -> None:
    who = identity()
    await plans.organization_on_plan(who, audits_per_month=None, requests=1, window_seconds=600)
    await begin_audit(
        any_gateway, who, retrieval_query="", chunk_limit=0, policy_limit=0, policy_chars=1
    )

    with pytest.raises(RateLimitRefused) as refused:
        await begin_audit(
            any_gateway, who, retrieval_query="", chunk_limit=0, policy_limit=0, policy_chars=1
        )

    assert refused.value.retry_after in (599, 600)
    assert (refused.value.state.limit, refused.value.state.remaining) == (1, 0)
    assert refused.value.state.window_seconds == 600
