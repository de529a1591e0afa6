"""Typed calls to the identity functions: provisioning the caller, Clerk webhook events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from sheetbrain.identity import Identity
from sheetbrain.store.actor import actor
from sheetbrain.store.gateway import Gateway

ClerkEventStatus = Literal["applied", "stale", "duplicate"]


class ProvisionedIdentity(BaseModel):
    """The caller's rows; `plan` is the plan in force, `role` the stored role."""

    organization_id: UUID
    user_id: UUID
    plan: str
    role: str


async def provision(gateway: Gateway, identity: Identity) -> ProvisionedIdentity:
    """Create the caller's user, organization and membership if missing (Clerk's
    tombstones refuse a membership it removed: store Forbidden)."""
    return await gateway.rpc("provision_actor", {"actor": actor(identity)}, ProvisionedIdentity)


class _ClerkEventAnswer(BaseModel):
    status: ClerkEventStatus


async def apply_clerk_event(
    gateway: Gateway,
    *,
    svix_id: str,
    event_type: str,
    occurred_at: datetime,
    payload: Mapping[str, str | None],
) -> ClerkEventStatus:
    """Apply one Clerk event once (service role); see `public.apply_clerk_event`."""
    answer = await gateway.rpc(
        "apply_clerk_event",
        {
            "svix_id": svix_id,
            "event_type": event_type,
            "occurred_at": occurred_at.isoformat(),
            "payload": dict(payload),
        },
        _ClerkEventAnswer,
    )
    return answer.status
