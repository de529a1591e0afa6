"""The audit history, one keyset page at a time, behind an opaque cursor.

A cursor is the (created_at, id) of the last row of the previous page, base64url
encoded; clients pass it back unchanged. One RPC per page: it asks for one row more
than the page holds to know whether another page follows.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from dataclasses import dataclass

from sheetbrain.errors import BadRequest
from sheetbrain.identity import Identity
from sheetbrain.store import stats as store
from sheetbrain.store.gateway import Gateway

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class InvalidCursor(BadRequest):
    code, title = "invalid-cursor", "Invalid cursor"


@dataclass(frozen=True)
class AuditPage:
    items: list[store.AuditRecord]
    next_cursor: str | None


def encode_cursor(record: store.AuditRecord) -> str:
    key = f"{record.created_at.isoformat()}|{record.id}"
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    """The (created_at, id) a cursor holds; InvalidCursor for anything we did not issue."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at_text, _, id_text = (
            base64.urlsafe_b64decode(padded.encode("ascii")).decode().partition("|")
        )
        created_at = dt.datetime.fromisoformat(created_at_text)
        record_id = uuid.UUID(id_text)
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise InvalidCursor("The cursor is not one this API issued; start without it.") from exc
    if created_at.tzinfo is None:
        raise InvalidCursor("The cursor is not one this API issued; start without it.")
    return created_at, record_id


async def audit_page(
    gateway: Gateway, identity: Identity, limit: int, cursor: str | None
) -> AuditPage:
    after = decode_cursor(cursor) if cursor else None
    rows = await store.audit_history(gateway, identity, limit + 1, after)
    items = rows[:limit]
    has_more = len(rows) > limit
    return AuditPage(items=items, next_cursor=encode_cursor(items[-1]) if has_more else None)
