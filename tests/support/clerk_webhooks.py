"""Clerk webhook deliveries as Svix sends them: event payloads, envelopes, signatures."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from svix.webhooks import Webhook

from support.ids import unique_id

SECRET = "whsec_" + base64.b64encode(b"sheetbrain-test-webhook-secret!!").decode()
WEBHOOK = "/api/auth/webhook"


def millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def user_data(user_id: str, email: str, first: str, last: str, at: datetime) -> dict[str, Any]:
    email_id = f"idn_{user_id}"
    return {
        "id": user_id,
        "object": "user",
        "first_name": first,
        "last_name": last,
        "email_addresses": [
            {"id": "idn_other", "email_address": f"other-{email}"},
            {"id": email_id, "email_address": email},
        ],
        "primary_email_address_id": email_id,
        "created_at": millis(at),
        "updated_at": millis(at),
    }


def org_data(org_id: str, name: str, slug: str, at: datetime) -> dict[str, Any]:
    return {
        "id": org_id,
        "object": "organization",
        "name": name,
        "slug": slug,
        "updated_at": millis(at),
    }


def membership_data(
    org: dict[str, Any], user: dict[str, Any], role: str, at: datetime
) -> dict[str, Any]:
    return {
        "id": f"orgmem_{org['id']}_{user['id']}",
        "object": "organization_membership",
        "role": role,
        "organization": {key: org[key] for key in ("id", "name", "slug")},
        "public_user_data": {
            "user_id": user["id"],
            "identifier": user["email_addresses"][1]["email_address"],
            "first_name": user["first_name"],
            "last_name": user["last_name"],
        },
        "updated_at": millis(at),
    }


def deleted_data(object_id: str, kind: str) -> dict[str, Any]:
    return {"id": object_id, "object": kind, "deleted": True}


@dataclass(frozen=True)
class Event:
    svix_id: str
    body: str

    @classmethod
    def of(cls, event_type: str, data: dict[str, Any], at: datetime) -> Event:
        envelope = {"object": "event", "type": event_type, "data": data, "timestamp": millis(at)}
        return cls(unique_id("msg"), json.dumps(envelope))


def signed(event: Event, *, at: datetime | None = None) -> dict[str, str]:
    sent_at = at or datetime.now(UTC)
    return {
        "svix-id": event.svix_id,
        "svix-timestamp": str(int(sent_at.timestamp())),
        "svix-signature": Webhook(SECRET).sign(event.svix_id, sent_at, event.body),
        "content-type": "application/json",
    }


async def deliver(client: AsyncTestClient[Litestar], event: Event) -> Any:
    return await client.post(WEBHOOK, content=event.body, headers=signed(event))
