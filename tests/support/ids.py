"""Ids that never collide across tests sharing one session database."""

from __future__ import annotations

import uuid


def unique_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"
