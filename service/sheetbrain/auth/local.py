"""Local mode only: the seed guide's `x-user-id` / `x-user-org` headers name the caller.

Settings refuse local mode on anything but a loopback address, so these headers are
never trusted on a reachable server.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sheetbrain.errors import BadRequest
from sheetbrain.identity import ADMIN_ROLE, Identity, normalise_role

_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


def identity_from_headers(headers: Mapping[str, str]) -> Identity | None:
    """The identity the local headers name, or None when no `x-user-id` is sent."""
    user_id = headers.get("x-user-id")
    if not user_id:
        return None
    org_id = headers.get("x-user-org") or None
    for label, value in (("x-user-id", user_id), ("x-user-org", org_id)):
        if value is not None and not _IDENTIFIER.match(value):
            raise BadRequest(f"{label} must be 1-128 letters, digits or _.:@- characters")
    # A developer on their own machine owns their data: admin unless told otherwise.
    role = normalise_role(headers.get("x-user-role") or ADMIN_ROLE)
    return Identity(
        user_id=user_id,
        org_id=org_id or user_id,
        org_role=role,
        source="local",
        email=headers.get("x-user-email") or None,
        personal=org_id is None,
    )
