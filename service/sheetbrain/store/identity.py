"""Typed calls to the identity functions: Clerk webhook events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from sheetbrain.store.gateway import Gateway

ClerkEventStatus = Literal["applied", "stale", "duplicate"]


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
