"""The verified caller as the SQL functions take it: one `actor` argument.

Every call runs as service_role; every function acting for someone (a write, a sign-in,
or a member read scoped to the caller's organization) takes this object, and SQL reads
it in one place, `private.actor_fields`. This module is the only place that builds it.
"""

from __future__ import annotations

from typing import Any

from sheetbrain.identity import Identity


def actor(identity: Identity) -> dict[str, Any]:
    """The verified caller as the SQL functions' `actor` argument (what
    `private.actor_fields` validates and unpacks)."""
    return {
        "clerk_user_id": identity.user_id,
        "clerk_org_id": identity.org_id,
        "org_role": identity.org_role,
        "email": identity.email,
        "name": identity.name,
        "org_name": identity.org_name,
        "personal": identity.personal,
        "role_is_authoritative": identity.role_is_authoritative,
    }
