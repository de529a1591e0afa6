"""Clerk event payloads parsed into the few normalised fields the database keeps."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from sheetbrain.auth.clerk_events import ClerkChange, parse_event
from sheetbrain.errors import BadRequest

DELIVERED_AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SENT_MS = 1_764_000_000_000  # 2025-11-24T16:00:00Z
UPDATED_MS = 1_763_000_000_000


def body(event_type: str, data: dict[str, Any], timestamp: int | None = SENT_MS) -> bytes:
    envelope: dict[str, Any] = {"object": "event", "type": event_type, "data": data}
    if timestamp is not None:
        envelope["timestamp"] = timestamp
    return json.dumps(envelope).encode()


def at(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def test_a_user_event_keeps_the_primary_email_and_the_full_name() -> None:
    data = {
        "id": "user_1",
        "first_name": "Ann",
        "last_name": "Lee",
        "email_addresses": [
            {"id": "idn_a", "email_address": "old@example.com"},
            {"id": "idn_b", "email_address": "ann@example.com"},
        ],
        "primary_email_address_id": "idn_b",
        "updated_at": UPDATED_MS,
    }

    change = parse_event(body("user.updated", data), DELIVERED_AT)

    assert change == ClerkChange(
        "user.updated",
        at(UPDATED_MS),
        {"user_id": "user_1", "email": "ann@example.com", "name": "Ann Lee"},
    )


def test_a_user_without_names_or_emails_has_neither() -> None:
    change = parse_event(body("user.created", {"id": "user_1"}), DELIVERED_AT)

    assert change == ClerkChange(
        "user.created", at(SENT_MS), {"user_id": "user_1", "email": None, "name": None}
    )


def test_an_organization_event_keeps_name_and_slug() -> None:
    data = {"id": "org_1", "name": "Acme", "slug": "acme", "updated_at": UPDATED_MS}

    change = parse_event(body("organization.created", data), DELIVERED_AT)

    assert change == ClerkChange(
        "organization.created", at(UPDATED_MS), {"org_id": "org_1", "name": "Acme", "slug": "acme"}
    )


def test_a_membership_event_keeps_role_and_the_copies_of_org_and_user() -> None:
    data = {
        "role": "org:admin",
        "organization": {"id": "org_1", "name": "Acme", "slug": "acme"},
        "public_user_data": {
            "user_id": "user_1",
            "identifier": "ann@example.com",
            "first_name": "Ann",
            "last_name": None,
        },
        "updated_at": UPDATED_MS,
    }

    change = parse_event(body("organizationMembership.created", data), DELIVERED_AT)

    assert change == ClerkChange(
        "organizationMembership.created",
        at(UPDATED_MS),
        {
            "org_id": "org_1",
            "user_id": "user_1",
            "role": "org:admin",
            "org_name": "Acme",
            "org_slug": "acme",
            "email": "ann@example.com",
            "name": "Ann",
        },
    )


def test_a_membership_identifier_that_is_not_an_email_is_not_kept_as_one() -> None:
    data = {
        "organization": {"id": "org_1"},
        "public_user_data": {"user_id": "user_1", "identifier": "+15550100"},
    }

    change = parse_event(body("organizationMembership.updated", data), DELIVERED_AT)

    assert change is not None
    assert change.payload["email"] is None


@pytest.mark.parametrize(
    ("event_type", "key"),
    [("user.deleted", "user_id"), ("organization.deleted", "org_id")],
)
def test_a_deletion_is_ordered_by_the_envelope_timestamp(event_type: str, key: str) -> None:
    data = {"id": "obj_1", "object": "user", "deleted": True}

    change = parse_event(body(event_type, data), DELIVERED_AT)

    assert change == ClerkChange(event_type, at(SENT_MS), {key: "obj_1"})


def test_a_membership_deletion_is_ordered_by_the_envelope_timestamp() -> None:
    data = {
        "organization": {"id": "org_1"},
        "public_user_data": {"user_id": "user_1"},
        "updated_at": UPDATED_MS,
    }

    change = parse_event(body("organizationMembership.deleted", data), DELIVERED_AT)

    assert change is not None
    assert change.occurred_at == at(SENT_MS)


def test_without_an_envelope_timestamp_the_signed_delivery_time_orders_the_event() -> None:
    data = {"id": "user_1", "deleted": True}

    change = parse_event(body("user.deleted", data, timestamp=None), DELIVERED_AT)

    assert change is not None
    assert change.occurred_at == DELIVERED_AT


def test_an_event_type_not_synced_parses_to_nothing() -> None:
    assert parse_event(body("session.created", {"id": "sess_1"}), DELIVERED_AT) is None


def test_a_synced_event_missing_its_id_is_a_bad_request_naming_the_field() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_event(body("organization.updated", {"name": "Acme"}), DELIVERED_AT)

    assert caught.value.extra == {"fields": ["id"]}


def test_a_body_that_is_not_json_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        parse_event(b"not json", DELIVERED_AT)
