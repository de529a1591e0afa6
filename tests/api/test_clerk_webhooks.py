"""Clerk webhooks over HTTP: real Svix signatures, replays, forgeries and delivery order."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pydantic import SecretStr

from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.clerk_webhooks import (
    SECRET,
    WEBHOOK,
    Event,
    deleted_data,
    deliver,
    membership_data,
    org_data,
    signed,
    user_data,
)
from support.clients import LOOPBACK
from support.ids import unique_id

pytestmark = pytest.mark.db


Connection = psycopg.Connection[tuple[Any, ...]]


@pytest.fixture
async def client(
    local_settings: Settings, gateway: Gateway
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    settings = local_settings.model_copy(update={"clerk_webhook_secret": SecretStr(SECRET)})
    async with AsyncTestClient(
        app=create_app(settings, gateway=gateway), base_url=LOOPBACK
    ) as test_client:
        yield test_client


# ---------------------------------------------------------------- database state


def user_rows(db: Connection, *user_ids: str) -> list[tuple[Any, ...]]:
    return db.execute(
        """select u.clerk_user_id, u.email, u.name, o.clerk_org_id
             from public.users u left join public.organizations o on o.id = u.organization_id
            where u.clerk_user_id = any(%s) order by 1""",
        (list(user_ids),),
    ).fetchall()


def org_rows(db: Connection, *org_ids: str) -> list[tuple[Any, ...]]:
    return db.execute(
        """select clerk_org_id, name, slug from public.organizations
            where clerk_org_id = any(%s) order by 1""",
        (list(org_ids),),
    ).fetchall()


def membership_rows(db: Connection, *org_ids: str) -> list[tuple[Any, ...]]:
    return db.execute(
        """select o.clerk_org_id, u.clerk_user_id, m.role
             from public.organization_memberships m
             join public.organizations o on o.id = m.organization_id
             join public.users u on u.id = m.user_id
            where o.clerk_org_id = any(%s) order by 1, 2""",
        (list(org_ids),),
    ).fetchall()


def row_counts(db: Connection) -> tuple[Any, ...]:
    counts = db.execute(
        """select (select count(*) from public.webhook_events),
                  (select count(*) from public.users),
                  (select count(*) from public.organizations),
                  (select count(*) from public.organization_memberships)"""
    ).fetchone()
    assert counts is not None
    return counts


# ---------------------------------------------------------------- applying events


async def test_user_created_stores_the_primary_email_and_full_name(
    client: AsyncTestClient[Litestar], reader: Connection
) -> None:
    user = unique_id("user")
    event = Event.of(
        "user.created",
        user_data(user, "ann@example.com", "Ann", "Lee", datetime.now(UTC)),
        datetime.now(UTC),
    )

    response = await deliver(client, event)

    assert (response.status_code, response.json()) == (200, {"status": "applied"})
    assert user_rows(reader, user) == [(user, "ann@example.com", "Ann Lee", None)]


async def test_a_replayed_delivery_is_applied_once(
    client: AsyncTestClient[Litestar], reader: Connection
) -> None:
    user = unique_id("user")
    event = Event.of(
        "user.created",
        user_data(user, "a@example.com", "A", "B", datetime.now(UTC)),
        datetime.now(UTC),
    )
    await deliver(client, event)
    before = row_counts(reader)

    response = await deliver(client, event)

    assert (response.status_code, response.json()) == (200, {"status": "duplicate"})
    assert row_counts(reader) == before


async def test_an_older_update_does_not_overwrite_newer_data(
    client: AsyncTestClient[Litestar], reader: Connection
) -> None:
    user, now = unique_id("user"), datetime.now(UTC)
    newer = Event.of("user.updated", user_data(user, "new@example.com", "New", "", now), now)
    older_at = now - timedelta(minutes=1)
    older = Event.of("user.updated", user_data(user, "old@example.com", "Old", "", older_at), now)
    await deliver(client, newer)

    response = await deliver(client, older)

    assert response.json() == {"status": "stale"}
    assert user_rows(reader, user) == [(user, "new@example.com", "New", None)]


async def test_a_membership_before_its_organization_creates_a_placeholder_the_org_event_fills(
    client: AsyncTestClient[Litestar], reader: Connection
) -> None:
    user, org, now = unique_id("user"), unique_id("org"), datetime.now(UTC)
    person = user_data(user, "m@example.com", "Mia", "Ray", now)
    organization = org_data(org, "Acme", "acme", now)
    await deliver(
        client,
        Event.of(
            "organizationMembership.created",
            membership_data(organization, person, "org:admin", now),
            now,
        ),
    )
    renamed = org_data(org, "Acme Ltd", "acme-ltd", now + timedelta(seconds=1))

    await deliver(client, Event.of("organization.updated", renamed, now))

    assert org_rows(reader, org) == [(org, "Acme Ltd", "acme-ltd")]
    assert membership_rows(reader, org) == [(org, user, "org:admin")]
    assert user_rows(reader, user) == [(user, "m@example.com", "Mia Ray", org)]


async def test_user_deleted_removes_personal_data_and_memberships_but_keeps_audit_history(
    client: AsyncTestClient[Litestar], reader: Connection
) -> None:
    user, org, now = unique_id("user"), unique_id("org"), datetime.now(UTC)
    person = user_data(user, "d@example.com", "Del", "Eted", now)
    await deliver(
        client,
        Event.of(
            "organizationMembership.created",
            membership_data(org_data(org, "Org", "org", now), person, "org:member", now),
            now,
        ),
    )
    reader.execute(
        """insert into public.audit_logs (organization_id, user_id, formula_count)
           select u.organization_id, u.id, 3 from public.users u where u.clerk_user_id = %s""",
        (user,),
    )

    response = await deliver(client, Event.of("user.deleted", deleted_data(user, "user"), now))

    assert response.json() == {"status": "applied"}
    assert user_rows(reader, user) == []
    assert membership_rows(reader, org) == []
    assert reader.execute(
        """select l.user_id, l.formula_count from public.audit_logs l
             join public.organizations o on o.id = l.organization_id where o.clerk_org_id = %s""",
        (org,),
    ).fetchall() == [(None, 3)]


async def test_organization_deleted_removes_the_organization(
    client: AsyncTestClient[Litestar], reader: Connection
) -> None:
    org, now = unique_id("org"), datetime.now(UTC)
    await deliver(client, Event.of("organization.created", org_data(org, "Gone", "gone", now), now))

    await deliver(client, Event.of("organization.deleted", deleted_data(org, "organization"), now))

    assert org_rows(reader, org) == []


async def test_an_event_type_not_synced_is_acknowledged_and_ignored(
    client: AsyncTestClient[Litestar], reader: Connection
) -> None:
    before = row_counts(reader)
    event = Event.of("session.created", {"id": "sess_1", "object": "session"}, datetime.now(UTC))

    response = await deliver(client, event)

    assert (response.status_code, response.json()) == (200, {"status": "ignored"})
    assert row_counts(reader) == before


# ---------------------------------------------------------------- rejected deliveries


def user_event() -> Event:
    now = datetime.now(UTC)
    return Event.of(
        "user.created", user_data(unique_id("user"), "x@example.com", "X", "Y", now), now
    )


def assert_problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.json()["status"], response.json()["code"]) == (status, code)


def signed_ten_minutes_ago(event: Event) -> tuple[str, dict[str, str]]:
    return event.body, signed(event, at=datetime.now(UTC) - timedelta(minutes=10))


def changed_after_signing(event: Event) -> tuple[str, dict[str, str]]:
    return event.body.replace("x@example.com", "attacker@example.com"), signed(event)


def without(header: str) -> Any:
    """The parameter: a delivery signed as it should be, but without `header`."""

    def delivery(event: Event) -> tuple[str, dict[str, str]]:
        return event.body, {name: value for name, value in signed(event).items() if name != header}

    return pytest.param(delivery, id=f"without_{header.replace('-', '_')}")


def with_a_malformed_signature(event: Event) -> tuple[str, dict[str, str]]:
    return event.body, {**signed(event), "svix-signature": "not-a-versioned-signature"}


@pytest.mark.parametrize(
    "forged",
    [
        signed_ten_minutes_ago,
        changed_after_signing,
        without("svix-id"),
        without("svix-timestamp"),
        without("svix-signature"),
        with_a_malformed_signature,
    ],
    ids=lambda forged: getattr(forged, "__name__", None),
)
async def test_a_delivery_whose_signature_does_not_verify_is_rejected_and_changes_nothing(
    client: AsyncTestClient[Litestar],
    reader: Connection,
    forged: Callable[[Event], tuple[str, dict[str, str]]],
) -> None:
    body, headers = forged(user_event())
    before = row_counts(reader)

    response = await client.post(WEBHOOK, content=body, headers=headers)

    assert_problem(response, 401, "unauthorized")
    assert row_counts(reader) == before


async def test_a_signed_body_that_is_not_a_clerk_event_is_a_bad_request(
    client: AsyncTestClient[Litestar],
) -> None:
    event = Event(unique_id("msg"), json.dumps({"type": "user.created", "data": {"name": 1}}))

    response = await deliver(client, event)

    assert_problem(response, 400, "bad-request")
    assert response.json()["fields"] == ["id"]


async def test_a_body_over_256_kib_is_rejected(client: AsyncTestClient[Litestar]) -> None:
    event = Event(unique_id("msg"), json.dumps({"padding": "x" * 256 * 1024}))

    response = await client.post(WEBHOOK, content=event.body, headers=signed(event))

    assert_problem(response, 413, "payload-too-large")


async def test_webhooks_without_a_secret_are_503_not_configured(
    local_settings: Settings, gateway: Gateway
) -> None:
    event = user_event()

    async with AsyncTestClient(
        app=create_app(local_settings, gateway=gateway), base_url=LOOPBACK
    ) as unconfigured:
        response = await unconfigured.post(WEBHOOK, content=event.body, headers=signed(event))

    assert_problem(response, 503, "not-configured")
    assert "CLERK_WEBHOOK_SECRET" in response.json()["detail"]


# ---------------------------------------------------------------- delivery order


@dataclass(frozen=True)
class Story:
    """A realistic life of three users and two organisations, as Clerk sends it."""

    ann: str
    bob: str
    cy: str
    acme: str
    beta: str
    events: list[Event]


def story() -> Story:
    ann, bob, cy, acme, beta = (unique_id(p) for p in ("user", "user", "user", "org", "org"))
    start = datetime.now(UTC) - timedelta(hours=1)
    at = [start + timedelta(seconds=second) for second in range(16)]
    cy_v1 = user_data(cy, "cy@example.com", "Cy", "Po", at[13])
    ann_v1 = user_data(ann, "ann@example.com", "Ann", "Lee", at[1])
    bob_v1 = user_data(bob, "bob@example.com", "Bob", "Ng", at[2])
    acme_v1, beta_v1 = org_data(acme, "Acme", "acme", at[0]), org_data(beta, "Beta", "beta", at[8])
    events = [
        Event.of("organization.created", acme_v1, at[0]),
        Event.of("user.created", ann_v1, at[1]),
        Event.of("user.created", bob_v1, at[2]),
        Event.of(
            "organizationMembership.created",
            membership_data(acme_v1, ann_v1, "org:admin", at[3]),
            at[3],
        ),
        Event.of(
            "organizationMembership.created",
            membership_data(acme_v1, bob_v1, "org:member", at[4]),
            at[4],
        ),
        Event.of("organization.updated", org_data(acme, "Acme Ltd", "acme-ltd", at[5]), at[5]),
        Event.of("user.updated", user_data(ann, "ann@acme.example", "Ann", "Lee", at[6]), at[6]),
        Event.of(
            "organizationMembership.updated",
            membership_data(acme_v1, bob_v1, "org:admin", at[7]),
            at[7],
        ),
        Event.of("organization.created", beta_v1, at[8]),
        Event.of(
            "organizationMembership.created",
            membership_data(beta_v1, ann_v1, "org:member", at[9]),
            at[9],
        ),
        Event.of(
            "organizationMembership.deleted",
            membership_data(acme_v1, bob_v1, "org:admin", at[7]),
            at[10],
        ),
        Event.of("user.deleted", deleted_data(bob, "user"), at[11]),
        Event.of("organization.deleted", deleted_data(beta, "organization"), at[12]),
        Event.of("user.created", cy_v1, at[13]),
        Event.of(
            "organizationMembership.created",
            membership_data(acme_v1, cy_v1, "org:member", at[14]),
            at[14],
        ),
        Event.of(
            "organizationMembership.deleted",
            membership_data(acme_v1, cy_v1, "org:member", at[14]),
            at[15],
        ),
    ]
    return Story(ann, bob, cy, acme, beta, events)


def story_state(db: Connection, told: Story) -> tuple[list[Any], ...]:
    return (
        user_rows(db, told.ann, told.bob, told.cy),
        org_rows(db, told.acme, told.beta),
        membership_rows(db, told.acme, told.beta),
    )


async def test_the_story_delivered_in_order_ends_in_the_expected_state(
    client: AsyncTestClient[Litestar], reader: Connection
) -> None:
    told = story()

    for event in told.events:
        assert (await deliver(client, event)).status_code == 200

    assert story_state(reader, told) == (
        sorted(
            [
                (told.ann, "ann@acme.example", "Ann Lee", told.acme),
                (told.cy, "cy@example.com", "Cy Po", None),
            ]
        ),
        [(told.acme, "Acme Ltd", "acme-ltd")],
        [(told.acme, told.ann, "org:admin")],
    )


@pytest.mark.parametrize("seed", range(12))
async def test_the_story_shuffled_and_partly_redelivered_ends_in_the_same_state(
    client: AsyncTestClient[Litestar], reader: Connection, seed: int
) -> None:
    in_order, shuffled = story(), story()
    for event in in_order.events:
        await deliver(client, event)
    randomness = random.Random(seed)
    deliveries = shuffled.events + randomness.sample(shuffled.events, k=4)  # Svix retries
    randomness.shuffle(deliveries)

    for event in deliveries:
        assert (await deliver(client, event)).status_code == 200

    assert _renamed(story_state(reader, shuffled), shuffled, in_order) == story_state(
        reader, in_order
    )


def _renamed(state: tuple[list[Any], ...], source: Story, target: Story) -> tuple[list[Any], ...]:
    """The state with `source`'s unique ids replaced by `target`'s, so two stories compare."""
    names = {
        getattr(source, role): getattr(target, role)
        for role in ("ann", "bob", "cy", "acme", "beta")
    }
    return tuple(
        sorted(tuple(names.get(value, value) for value in row) for row in rows) for rows in state
    )


async def test_a_deleted_user_is_not_recreated_by_a_request_arriving_after_the_webhook(
    client: AsyncTestClient[Litestar], reader: Connection
) -> None:
    user, org, now = unique_id("user"), unique_id("org"), datetime.now(UTC)
    await deliver(client, Event.of("user.deleted", deleted_data(user, "user"), now))

    response = await client.post(
        "/api/audit",
        json={"formulas": ["=SUM(A1:A2)"], "context": {"range": "B1"}},
        headers={"x-user-id": user, "x-user-org": org},
    )

    assert_problem(response, 403, "forbidden")
    assert (user_rows(reader, user), org_rows(reader, org)) == ([], [])


async def test_a_signed_event_with_an_impossible_time_is_a_bad_request(
    client: AsyncTestClient[Litestar], reader: Connection
) -> None:
    now = datetime.now(UTC)
    data = user_data(unique_id("user"), "x@example.com", "X", "Y", now)
    event = Event.of("user.updated", {**data, "updated_at": 10**16}, now)
    before = row_counts(reader)

    response = await deliver(client, event)

    assert_problem(response, 400, "bad-request")
    assert row_counts(reader) == before
