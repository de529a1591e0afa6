"""Typed wrappers for the add-on sign-in's SQL functions (20261125050000_addon_tokens.sql)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, RootModel

from sheetbrain.identity import Identity
from sheetbrain.store.actor import actor
from sheetbrain.store.errors import RateLimited
from sheetbrain.store.gateway import Gateway


class SignInAccount(BaseModel):
    """A synced user and the organization (or personal workspace) they act in."""

    clerk_user_id: str
    email: str | None
    name: str | None
    clerk_org_id: str
    org_name: str | None
    org_role: str
    personal: bool


class _AccountLookup(BaseModel):
    account: SignInAccount | None


class IssuedRefreshToken(BaseModel):
    family_id: UUID
    expires_at: datetime


class RotatedToken(SignInAccount):
    status: Literal["rotated"]
    family_id: UUID
    expires_at: datetime


class RefusedRotation(BaseModel):
    status: Literal["reused", "revoked", "expired", "unknown"]


Rotation = Annotated[RotatedToken | RefusedRotation, Field(discriminator="status")]


class _RotationAnswer(RootModel[Rotation]):
    pass


class MeUser(BaseModel):
    id: str
    email: str | None
    name: str | None


class MeOrganization(BaseModel):
    id: str
    name: str
    personal: bool


class Me(BaseModel):
    """The caller's rows, each null until provisioned."""

    user: MeUser | None
    organization: MeOrganization | None


class SignInRateLimited(Exception):
    """Too many sign-in requests from this address or for this account."""

    def __init__(self, scope: Literal["ip", "subject"], retry_after: int) -> None:
        super().__init__("too many sign-in requests")
        self.scope = scope
        self.retry_after = retry_after


class _SignInRefusal(BaseModel):
    scope: Literal["ip", "subject"]
    retry_after: int


async def check_sign_in_rate_limit(
    gateway: Gateway,
    *,
    ip: str | None,
    subject: str | None,
    ip_limit: int,
    subject_limit: int,
) -> None:
    """Count one sign-in request for the address and the subject; `SignInRateLimited`
    when either window is full."""
    args = {
        "ip": ip,
        "subject": subject,
        "ip_limit": ip_limit,
        "subject_limit": subject_limit,
        "window_seconds": 60,
    }
    try:
        await gateway.rpc("check_sign_in_rate_limit", args, dict[str, int | None])
    except RateLimited as exc:
        refusal = _SignInRefusal.model_validate_json(exc.detail or "")
        raise SignInRateLimited(refusal.scope, refusal.retry_after) from exc


async def find_user_by_email(gateway: Gateway, email: str) -> SignInAccount | None:
    answer = await gateway.rpc("find_user_by_email", {"email": email}, _AccountLookup)
    return answer.account


async def issue_refresh_token(
    gateway: Gateway, identity: Identity, *, token_hash: str, lifetime_days: int
) -> IssuedRefreshToken:
    """A new refresh-token family for the identity's user, organization and role."""
    return await gateway.rpc(
        "issue_refresh_token",
        {
            "actor": actor(identity),
            "token_hash": token_hash,
            "lifetime": f"{lifetime_days} days",
        },
        IssuedRefreshToken,
    )


async def rotate_refresh_token(
    gateway: Gateway, *, token_hash: str, new_hash: str, lifetime_days: int
) -> RotatedToken | RefusedRotation:
    answer = await gateway.rpc(
        "rotate_refresh_token",
        {"token_hash": token_hash, "new_hash": new_hash, "lifetime": f"{lifetime_days} days"},
        _RotationAnswer,
    )
    return answer.root


async def revoke_refresh_family(
    gateway: Gateway, *, token_hash: str | None = None, family_id: str | None = None
) -> int:
    args: dict[str, Any] = (
        {"token_hash": token_hash} if token_hash is not None else {"family_id": family_id}
    )
    return await gateway.rpc("revoke_refresh_family", args, int)


async def get_me(gateway: Gateway, identity: Identity) -> Me:
    return await gateway.rpc("get_me", {"actor": actor(identity)}, Me)
