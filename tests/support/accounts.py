"""Users as Clerk's webhooks sync them: the database takes their role as given."""

from __future__ import annotations

from sheetbrain.store import tokens as token_store
from sheetbrain.store.gateway import Gateway
from support.ids import unique_id


async def synced_member(gateway: Gateway, role: str = "org:member") -> tuple[str, str, str]:
    """A user synced from Clerk as `role` of a team organization: (user, org, email)."""
    user, org = unique_id("user"), unique_id("org")
    email = f"{user}@example.com"
    await token_store.provision_identity(
        gateway,
        clerk_user_id=user,
        clerk_org_id=org,
        org_role=role,
        email=email,
        personal=False,
        role_is_authoritative=True,
    )
    return user, org, email
