"""Clerk webhook deliveries (through Svix): verified, parsed, normalised for the database.

A delivery is trusted only when its Svix signature matches `CLERK_WEBHOOK_SECRET` and its
timestamp is within Svix's 5-minute tolerance. Its `data` is parsed with the models below
into the few fields the database keeps; `apply_clerk_event` (SQL) never reads Clerk's own
shapes. Each change carries the Clerk time that orders it against other events about the
same object: the data's `updated_at` for created/updated events, the envelope
`timestamp` for deletions (Clerk's deleted payloads carry only the id).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from svix.webhooks import Webhook, WebhookVerificationError

from sheetbrain.errors import BadRequest, NotConfigured, Unauthorized
from sheetbrain.log import get_logger
from sheetbrain.store.gateway import Gateway
from sheetbrain.store.identity import apply_clerk_event

MAX_DELIVERY_BYTES = 256 * 1024

USER_EVENTS = frozenset({"user.created", "user.updated", "user.deleted"})
ORGANIZATION_EVENTS = frozenset(
    {"organization.created", "organization.updated", "organization.deleted"}
)
MEMBERSHIP_EVENTS = frozenset(
    {
        "organizationMembership.created",
        "organizationMembership.updated",
        "organizationMembership.deleted",
    }
)
SYNCED_EVENTS = USER_EVENTS | ORGANIZATION_EVENTS | MEMBERSHIP_EVENTS

_log = get_logger("sheetbrain.webhooks")

# Clerk times are milliseconds since the epoch; one beyond what a datetime holds (year
# 9999) is a malformed event, not a server fault.
EpochMillis = Annotated[int, Field(ge=0, le=253_402_300_799_999)]


class _ClerkModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ClerkEnvelope(_ClerkModel):
    type: str
    data: dict[str, Any]
    timestamp: EpochMillis | None = None


class ClerkEmailAddress(_ClerkModel):
    id: str
    email_address: str


class ClerkUser(_ClerkModel):
    id: str
    first_name: str | None = None
    last_name: str | None = None
    email_addresses: list[ClerkEmailAddress] = Field(default_factory=list)
    primary_email_address_id: str | None = None
    updated_at: EpochMillis | None = None

    @property
    def primary_email(self) -> str | None:
        primary = self.primary_email_address_id
        return next((e.email_address for e in self.email_addresses if e.id == primary), None)


class ClerkOrganization(_ClerkModel):
    id: str
    name: str | None = None
    slug: str | None = None
    updated_at: EpochMillis | None = None


class ClerkPublicUserData(_ClerkModel):
    user_id: str
    identifier: str | None = None  # the user's primary email (or phone/username)
    first_name: str | None = None
    last_name: str | None = None


class ClerkMembership(_ClerkModel):
    role: str | None = None
    organization: ClerkOrganization
    public_user_data: ClerkPublicUserData
    updated_at: EpochMillis | None = None


class ClerkDeletedObject(_ClerkModel):
    id: str


@dataclass(frozen=True)
class ClerkChange:
    """One event, ready for `apply_clerk_event`: what changed, when, to what."""

    event_type: str
    occurred_at: datetime
    payload: dict[str, str | None]


@dataclass(frozen=True)
class Delivery:
    """A verified Svix delivery: its id (the same on every retry) and signed time."""

    svix_id: str
    delivered_at: datetime


async def receive_delivery(
    gateway: Gateway, secret: str | None, body: bytes, headers: Mapping[str, str]
) -> str:
    """Verify, parse and apply one delivery; the outcome: applied, stale, duplicate, ignored."""
    delivery = verify_delivery(secret, body, headers)
    change = parse_event(body, delivery.delivered_at)
    if change is None:
        # Answered 200 so Clerk does not retry an event we never sync.
        _log.info("clerk_event_ignored", svix_id=delivery.svix_id)
        return "ignored"
    status = await apply_clerk_event(
        gateway,
        svix_id=delivery.svix_id,
        event_type=change.event_type,
        occurred_at=change.occurred_at,
        payload=change.payload,
    )
    _log.info("clerk_event", svix_id=delivery.svix_id, event_type=change.event_type, status=status)
    return status


def verify_delivery(secret: str | None, body: bytes, headers: Mapping[str, str]) -> Delivery:
    """Check the Svix signature and timestamp (5-minute tolerance, Svix's default)."""
    if not secret:
        raise NotConfigured(
            "Clerk webhooks are not configured on this server (CLERK_WEBHOOK_SECRET is unset)."
        )
    webhook = Webhook(secret)
    svix_headers = {
        name: headers.get(name, "") for name in ("svix-id", "svix-timestamp", "svix-signature")
    }
    try:
        webhook.verify(body, svix_headers)
    except (WebhookVerificationError, ValueError) as exc:
        # ValueError: a malformed signature header, or a body that is not UTF-8.
        raise Unauthorized("The webhook signature is missing, invalid or too old.") from exc
    delivered_at = datetime.fromtimestamp(float(svix_headers["svix-timestamp"]), tz=UTC)
    return Delivery(svix_headers["svix-id"], delivered_at)


def parse_event(body: bytes, delivered_at: datetime) -> ClerkChange | None:
    """The change a verified delivery describes, or None for an event type not synced."""
    try:
        envelope = ClerkEnvelope.model_validate_json(body)
        if envelope.type not in SYNCED_EVENTS:
            return None
        return _change(envelope, delivered_at)
    except ValidationError as exc:
        fields = sorted({".".join(str(part) for part in error["loc"]) for error in exc.errors()})
        raise BadRequest(
            "The webhook body is not a Clerk event this service understands.",
            extra={"fields": fields},
        ) from exc


def _change(envelope: ClerkEnvelope, delivered_at: datetime) -> ClerkChange:
    event_type = envelope.type
    sent_at = _from_millis(envelope.timestamp) or delivered_at
    if event_type.endswith(".deleted") and event_type != "organizationMembership.deleted":
        deleted = ClerkDeletedObject.model_validate(envelope.data)
        key = "user_id" if event_type in USER_EVENTS else "org_id"
        return ClerkChange(event_type, sent_at, {key: deleted.id})
    if event_type in USER_EVENTS:
        user = ClerkUser.model_validate(envelope.data)
        payload = {
            "user_id": user.id,
            "email": user.primary_email,
            "name": _full_name(user.first_name, user.last_name),
        }
        return ClerkChange(event_type, _from_millis(user.updated_at) or sent_at, payload)
    if event_type in ORGANIZATION_EVENTS:
        org = ClerkOrganization.model_validate(envelope.data)
        payload = {"org_id": org.id, "name": org.name, "slug": org.slug}
        return ClerkChange(event_type, _from_millis(org.updated_at) or sent_at, payload)
    membership = ClerkMembership.model_validate(envelope.data)
    member = membership.public_user_data
    payload = {
        "org_id": membership.organization.id,
        "user_id": member.user_id,
        "role": membership.role,
        "org_name": membership.organization.name,
        "org_slug": membership.organization.slug,
        "email": member.identifier if member.identifier and "@" in member.identifier else None,
        "name": _full_name(member.first_name, member.last_name),
    }
    if event_type == "organizationMembership.deleted":
        return ClerkChange(event_type, sent_at, payload)
    return ClerkChange(event_type, _from_millis(membership.updated_at) or sent_at, payload)


def _full_name(first: str | None, last: str | None) -> str | None:
    return " ".join(part for part in (first, last) if part) or None


def _from_millis(millis: int | None) -> datetime | None:
    return datetime.fromtimestamp(millis / 1000, tz=UTC) if millis else None
