"""Clerk deliveries racing each other, and racing the requests whose tokens they outdate."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import psycopg
import pytest

from sheetbrain.identity import ADMIN_ROLE, Identity
from sheetbrain.store.errors import Forbidden
from sheetbrain.store.gateway import Gateway
from sheetbrain.store.identity import apply_clerk_event, provision
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


async def test_a_token_arriving_while_a_removal_is_applied_cannot_create_the_membership(
    gateway: Gateway, database_url: str
) -> None:
    user, org = unique_id("user"), unique_id("org")
    with psycopg.connect(database_url) as removal:  # the webhook's transaction, still open
        removal.execute(
            """select public.apply_clerk_event(%s, 'organizationMembership.deleted', now(),
                        jsonb_build_object('user_id', %s::text, 'org_id', %s::text))""",
            (unique_id("msg"), user, org),
        )
        token_call = asyncio.create_task(
            provision(
                gateway, Identity(user_id=user, org_id=org, org_role=ADMIN_ROLE, source="clerk")
            )
        )
        await asyncio.sleep(0.5)  # the token's call reaches the database meanwhile
        removal.commit()

    with pytest.raises(Forbidden, match="not a member of this organization"):
        await token_call
    with psycopg.connect(database_url) as conn:
        memberships = conn.execute(
            """select count(*) from public.organization_memberships m
                 join public.users u on u.id = m.user_id where u.clerk_user_id = %s""",
            (user,),
        ).fetchone()
    assert memberships == (0,)
