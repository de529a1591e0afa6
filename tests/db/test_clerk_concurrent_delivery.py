"""A Clerk delivery that arrives twice at the same moment is applied once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import psycopg
import pytest

from sheetbrain.store.gateway import Gateway
from sheetbrain.store.identity import apply_clerk_event
from support.ids import unique_id

pytestmark = pytest.mark.db


async def test_two_concurrent_deliveries_of_one_event_apply_it_once(
    gateway: Gateway, database_url: str
) -> None:
    user, svix_id = unique_id("user"), unique_id("msg")
    payload = {"user_id": user, "email": "twice@example.com", "name": "Twice"}

    outcomes = await asyncio.gather(
        *(
            apply_clerk_event(
                gateway,
                svix_id=svix_id,
                event_type="user.created",
                occurred_at=datetime.now(UTC),
                payload=payload,
            )
            for _ in range(2)
        )
    )

    with psycopg.connect(database_url) as conn:
        deliveries = conn.execute(
            "select count(*) from public.webhook_events where svix_id = %s", (svix_id,)
        ).fetchone()
        users = conn.execute(
            "select email from public.users where clerk_user_id = %s", (user,)
        ).fetchall()
    assert sorted(outcomes) == ["applied", "duplicate"]
    assert (deliveries, users) == ((1,), [("twice@example.com",)])
