"""The add-on sign-in's store wrappers over both transports, and rotation under a race."""

from __future__ import annotations

import asyncio

import pytest

from sheetbrain.auth.sessions import hash_refresh_token
from sheetbrain.identity import Identity
from sheetbrain.store import tokens as token_store
from sheetbrain.store.gateway import Gateway
from support.accounts import synced_member
from support.ids import unique_id

pytestmark = pytest.mark.db


async def member(gateway: Gateway) -> tuple[str, str, str]:
    return await synced_member(gateway, "org:admin")


def signed_in(user: str, org: str) -> Identity:
    return Identity(user_id=user, org_id=org, org_role="org:admin", source="sheetbrain")


async def test_a_synced_user_is_found_by_email(any_gateway: Gateway) -> None:
    user, org, email = await member(any_gateway)

    account = await token_store.find_user_by_email(any_gateway, email)

    assert account == token_store.SignInAccount(
        clerk_user_id=user,
        email=email,
        name=None,
        clerk_org_id=org,
        org_name="",
        org_role="org:admin",
        personal=False,
    )


async def test_an_unknown_email_finds_no_account(any_gateway: Gateway) -> None:
    assert await token_store.find_user_by_email(any_gateway, "nobody@example.com") is None


async def test_a_rotation_answers_the_account_and_family(any_gateway: Gateway) -> None:
    user, org, _ = await member(any_gateway)
    first = unique_id("refresh")
    issued = await token_store.issue_refresh_token(
        any_gateway, signed_in(user, org), token_hash=hash_refresh_token(first), lifetime_days=7
    )

    rotation = await token_store.rotate_refresh_token(
        any_gateway,
        token_hash=hash_refresh_token(first),
        new_hash=hash_refresh_token(f"{first}-next"),
        lifetime_days=7,
    )

    assert isinstance(rotation, token_store.RotatedToken)
    assert (rotation.family_id, rotation.clerk_user_id, rotation.org_role) == (
        issued.family_id,
        user,
        "org:admin",
    )


async def test_get_me_reads_the_actor_and_their_organization(any_gateway: Gateway) -> None:
    user, org, email = await member(any_gateway)

    me = await token_store.get_me(
        any_gateway, Identity(user_id=user, org_id=org, org_role="org:admin", source="clerk")
    )

    assert me == token_store.Me(
        user=token_store.MeUser(id=user, email=email, name=None),
        organization=token_store.MeOrganization(id=org, name="", personal=False),
    )


async def test_of_two_concurrent_refreshes_one_rotates_and_the_other_revokes_the_family(
    gateway: Gateway,
) -> None:
    user, org, _ = await member(gateway)
    token = unique_id("refresh")
    await token_store.issue_refresh_token(
        gateway, signed_in(user, org), token_hash=hash_refresh_token(token), lifetime_days=7
    )

    rotations = await asyncio.gather(
        *(
            token_store.rotate_refresh_token(
                gateway,
                token_hash=hash_refresh_token(token),
                new_hash=hash_refresh_token(f"{token}-{attempt}"),
                lifetime_days=7,
            )
            for attempt in range(2)
        )
    )
    successor = next(
        f"{token}-{attempt}"
        for attempt, rotation in enumerate(rotations)
        if isinstance(rotation, token_store.RotatedToken)
    )
    after = await token_store.rotate_refresh_token(
        gateway,
        token_hash=hash_refresh_token(successor),
        new_hash=hash_refresh_token(f"{token}-after"),
        lifetime_days=7,
    )

    assert sorted(rotation.status for rotation in rotations) == ["reused", "rotated"]
    assert after.status == "revoked"


async def test_revoking_a_family_answers_how_many_tokens_it_revoked(any_gateway: Gateway) -> None:
    user, org, _ = await member(any_gateway)
    token = unique_id("refresh")
    await token_store.issue_refresh_token(
        any_gateway, signed_in(user, org), token_hash=hash_refresh_token(token), lifetime_days=7
    )

    revoked = await token_store.revoke_refresh_family(
        any_gateway, token_hash=hash_refresh_token(token)
    )
    again = await token_store.revoke_refresh_family(
        any_gateway, token_hash=hash_refresh_token(token)
    )

    assert (revoked, again) == (1, 0)
