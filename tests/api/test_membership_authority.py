"""Clerk decides memberships, in production mode with real signatures: a member removed or
demoted in Clerk cannot get back in, or act as admin, with a token issued before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import respx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pydantic import SecretStr

from sheetbrain.app import create_app
from sheetbrain.store.gateway import Gateway
from support.clerk_tokens import AUTHORIZED_PARTY, ISSUER, ClerkInstance
from support.clerk_webhooks import (
    SECRET,
    Event,
    deleted_data,
    deliver,
    membership_data,
    org_data,
    user_data,
)
from support.clients import LOOPBACK
from support.google_id_tokens import GoogleAccounts
from support.ids import unique_id
from support.production import addon_production_settings

pytestmark = pytest.mark.db

CLERK = ClerkInstance()
GOOGLE = GoogleAccounts()
AUDIT = {"formulas": ["=SUM(A1:A2)"], "context": {"range": "B1"}}


@pytest.fixture
async def production(
    database_url: str, gateway: Gateway
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Production mode: Clerk session tokens and webhooks, and the add-on's Google sign-in."""
    settings = addon_production_settings(
        database_url=database_url,
        clerk_jwt_key=CLERK.public_pem(),
        clerk_issuer=ISSUER,
        clerk_authorized_parties=[AUTHORIZED_PARTY],
        clerk_webhook_secret=SecretStr(SECRET),
    )
    with respx.mock(assert_all_called=False) as router:
        GOOGLE.serve_jwks(router)
        async with AsyncTestClient(
            app=create_app(settings, gateway=gateway), base_url=LOOPBACK
        ) as test_client:
            yield test_client


class Member:
    """A user Clerk made an admin of a team organisation, with their session token."""

    def __init__(self) -> None:
        self.user, self.org = unique_id("user"), unique_id("org")
        self.email = f"{self.user}@example.com"
        self.started = datetime.now(UTC) - timedelta(minutes=5)
        self._user = user_data(self.user, self.email, "Ann", "Admin", self.started)
        self._org = org_data(self.org, "Acme", "acme", self.started)

    def session(self, role: str = "admin") -> dict[str, str]:
        """A Clerk session token (valid 60 s) claiming `role` in the organisation."""
        claims = CLERK.claims(self.user, o={"id": self.org, "rol": role, "slg": "acme"})
        return {"Authorization": f"Bearer {CLERK.token(claims)}"}

    def event(self, event_type: str, role: str | None, minutes: int) -> Event:
        at = self.started + timedelta(minutes=minutes)
        if event_type == "organizationMembership.deleted":
            data = {
                **deleted_data(f"orgmem_{self.org}_{self.user}", "organization_membership"),
                "organization": {"id": self.org},
                "public_user_data": {"user_id": self.user},
            }
            return Event.of(event_type, data, at)
        return Event.of(event_type, membership_data(self._org, self._user, str(role), at), at)

    async def joins(self, client: AsyncTestClient[Litestar], role: str = "org:admin") -> None:
        for event in (
            Event.of("user.created", self._user, self.started),
            Event.of("organization.created", self._org, self.started),
            self.event("organizationMembership.created", role, 1),
        ):
            assert (await deliver(client, event)).json()["status"] == "applied"

    async def is_removed(self, client: AsyncTestClient[Litestar]) -> None:
        event = self.event("organizationMembership.deleted", None, 2)
        assert (await deliver(client, event)).json()["status"] == "applied"

    async def is_demoted(self, client: AsyncTestClient[Litestar]) -> None:
        event = self.event("organizationMembership.updated", "org:member", 2)
        assert (await deliver(client, event)).json()["status"] == "applied"

    async def addon_sign_in(self, client: AsyncTestClient[Litestar]) -> dict[str, str]:
        response = await client.post(
            "/api/auth/token", json={"idToken": GOOGLE.id_token(self.email)}
        )
        assert response.status_code == 200
        body: dict[str, str] = response.json()
        return body

    def stored_role(self, reader: psycopg.Connection[tuple[Any, ...]]) -> str | None:
        row = reader.execute(
            """select m.role from public.organization_memberships m
                 join public.users u on u.id = m.user_id
                 join public.organizations o on o.id = m.organization_id
                where u.clerk_user_id = %s and o.clerk_org_id = %s""",
            (self.user, self.org),
        ).fetchone()
        return None if row is None else str(row[0])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refusal(response: Any) -> tuple[int, str]:
    assert response.headers["content-type"] == "application/problem+json"
    return response.status_code, response.json()["code"]


async def first_policy_id(client: AsyncTestClient[Litestar], headers: dict[str, str]) -> str:
    response = await client.get("/api/policies", headers=headers)
    policy_id: str = response.json()["policies"][0]["id"]
    return policy_id


@pytest.fixture
async def ann(production: AsyncTestClient[Litestar]) -> Member:
    """Ann, whom Clerk's webhooks made an admin of her team organisation."""
    member = Member()
    await member.joins(production)
    return member


@pytest.fixture
async def addon_tokens(production: AsyncTestClient[Litestar], ann: Member) -> dict[str, str]:
    """The tokens of Ann's Google sign-in to the add-on."""
    return await ann.addon_sign_in(production)


# ---------------------------------------------------------------- Clerk session tokens


async def test_a_member_removed_in_clerk_cannot_audit_with_a_still_valid_session_token(
    production: AsyncTestClient[Litestar], reader: psycopg.Connection[tuple[Any, ...]], ann: Member
) -> None:
    token_from_before = ann.session("admin")
    await ann.is_removed(production)

    response = await production.post("/api/audit", json=AUDIT, headers=token_from_before)

    assert refusal(response) == (403, "forbidden")
    assert ann.stored_role(reader) is None


async def test_a_member_removed_in_clerk_cannot_read_billing_with_a_still_valid_session_token(
    production: AsyncTestClient[Litestar], reader: psycopg.Connection[tuple[Any, ...]], ann: Member
) -> None:
    await ann.is_removed(production)

    response = await production.get("/api/billing", headers=ann.session("admin"))

    assert refusal(response) == (403, "forbidden")
    assert ann.stored_role(reader) is None


async def test_a_demoted_admin_cannot_change_the_plan_with_an_older_session_token(
    production: AsyncTestClient[Litestar], reader: psycopg.Connection[tuple[Any, ...]], ann: Member
) -> None:
    await ann.is_demoted(production)

    response = await production.post(
        "/api/billing", json={"plan": "free"}, headers=ann.session("admin")
    )

    assert refusal(response) == (403, "forbidden")
    assert ann.stored_role(reader) == "org:member"


async def test_a_demoted_admin_cannot_change_a_policy_with_an_older_session_token(
    production: AsyncTestClient[Litestar], ann: Member
) -> None:
    policy_id = await first_policy_id(production, ann.session("admin"))
    await ann.is_demoted(production)

    response = await production.patch(
        f"/api/policies/{policy_id}", json={"title": "Hijacked"}, headers=ann.session("admin")
    )

    assert refusal(response) == (403, "forbidden")


async def test_a_membership_clerk_never_mentioned_is_created_without_admin_rights(
    production: AsyncTestClient[Litestar], reader: psycopg.Connection[tuple[Any, ...]]
) -> None:
    ann = Member()  # no webhook has spoken about Ann

    response = await production.post(
        "/api/billing", json={"plan": "free"}, headers=ann.session("admin")
    )

    assert refusal(response) == (403, "forbidden")
    assert ann.stored_role(reader) == "org:member"


# ---------------------------------------------------------------- add-on access tokens


async def test_a_removed_members_addon_access_token_cannot_audit(
    production: AsyncTestClient[Litestar], ann: Member, addon_tokens: dict[str, str]
) -> None:
    await ann.is_removed(production)

    response = await production.post(
        "/api/audit", json=AUDIT, headers=bearer(addon_tokens["accessToken"])
    )

    assert refusal(response) == (403, "forbidden")


async def test_a_removed_members_addon_sign_in_cannot_be_refreshed(
    production: AsyncTestClient[Litestar], ann: Member, addon_tokens: dict[str, str]
) -> None:
    await ann.is_removed(production)
    # One ordinary call with the access token, still valid for minutes, tries to put
    # the membership back before the refresh.
    await production.get("/api/billing", headers=bearer(addon_tokens["accessToken"]))

    response = await production.post(
        "/api/auth/token", json={"refreshToken": addon_tokens["refreshToken"]}
    )

    assert refusal(response) == (401, "unauthorized")


async def test_a_demoted_admins_addon_access_token_cannot_change_a_policy(
    production: AsyncTestClient[Litestar], ann: Member, addon_tokens: dict[str, str]
) -> None:
    policy_id = await first_policy_id(production, bearer(addon_tokens["accessToken"]))
    await ann.is_demoted(production)

    response = await production.patch(
        f"/api/policies/{policy_id}",
        json={"title": "Hijacked"},
        headers=bearer(addon_tokens["accessToken"]),
    )

    assert refusal(response) == (403, "forbidden")


async def test_a_demoted_admins_addon_sign_in_cannot_be_refreshed(
    production: AsyncTestClient[Litestar], ann: Member, addon_tokens: dict[str, str]
) -> None:
    await ann.is_demoted(production)

    response = await production.post(
        "/api/auth/token", json={"refreshToken": addon_tokens["refreshToken"]}
    )

    assert refusal(response) == (401, "unauthorized")
