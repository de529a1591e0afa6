"""Users as Clerk's webhooks sync them: the database takes their role as given."""

from __future__ import annotations

from sheetbrain.identity import Identity
from sheetbrain.store.gateway import Gateway
from sheetbrain.store.identity import ProvisionedIdentity, provision
from support.ids import unique_id


async def sync(
    gateway: Gateway, user: str, org: str, role: str, email: str | None = None
) -> ProvisionedIdentity:
    """`user` provisioned as `role` of `org` the way a Clerk membership event would: as
    a local-mode identity, whose role the database takes as given."""
    identity = Identity(user_id=user, org_id=org, org_role=role, source="local", email=email)
    return await provision(gateway, identity)


async def synced_member(gateway: Gateway, role: str = "org:member") -> tuple[str, str, str]:
    """A user synced from Clerk as `role` of a team organization: (user, org, email)."""
    user, org = unique_id("user"), unique_id("org")
    email = f"{user}@example.com"
    await sync(gateway, user, org, role, email)
    return user, org, email
