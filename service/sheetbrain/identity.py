"""The verified caller, as every domain module and SQL function sees it.

A leaf: it imports nothing of the service, so every room (auth, the domain modules,
store) can depend on it without depending on each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ADMIN_ROLE = "org:admin"
MEMBER_ROLE = "org:member"

IdentitySource = Literal["clerk", "sheetbrain", "local"]


def normalise_role(role: str | None) -> str:
    """Clerk v1 roles are `org:admin`; v2 tokens and the add-ons say `admin`."""
    if not role:
        return MEMBER_ROLE
    return role if role.startswith("org:") else f"org:{role}"


@dataclass(frozen=True)
class Identity:
    """A verified user acting in one organisation (or in their personal workspace).

    `org_id` is the Clerk organisation id; a user with no active organisation works in a
    personal workspace keyed on their own user id (`personal` is then true).
    """

    user_id: str
    org_id: str
    org_role: str
    source: IdentitySource
    email: str | None = None
    name: str | None = None
    org_name: str | None = None
    personal: bool = False

    @property
    def is_admin(self) -> bool:
        """What the credential claims. A token's claim may be stale (Clerk removed or
        demoted the member since): the database's stored role decides admin actions."""
        return self.org_role == ADMIN_ROLE

    @property
    def role_is_authoritative(self) -> bool:
        """Whether the database should take `org_role` as the membership's role.

        Only local mode's identity headers are: there the developer is the authority.
        A token's role is a claim that may predate Clerk's last word, so the database
        keeps the role Clerk set and gives a membership Clerk never mentioned the
        least privilege."""
        return self.source == "local"


# Local mode's demo admin, created at local start-up (never by the seed, so a hosted
# project has no such account). `/admin` shows its organization when no one is named.
DEMO_IDENTITY = Identity(
    user_id="user_demo",
    org_id="org_demo",
    org_role=ADMIN_ROLE,
    source="local",
    email="demo@example.com",
    name="Demo User",
    org_name="Demo Organization",
)
