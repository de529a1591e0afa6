"""Sign-in sessions of the Google Sheets add-on: start, refresh, end.

A session is a family of refresh tokens. Refresh tokens are random strings; the database
keeps only their sha256, rotates them on every use and revokes the whole family when a
spent one comes back (`rotate_refresh_token`). Each access token issued for a session
(`auth/tokens.py`) names its family in `sid`, so a sign-out can name it.

Every exchange (`/api/auth/token`) is counted per client address and, for a Google
sign-in, per Google account, in Postgres (`check_sign_in_rate_limit`): 429 beyond.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sheetbrain.auth.authenticator import unauthorized
from sheetbrain.auth.tokens import ACCESS_TOKEN_SECONDS, AccessTokens
from sheetbrain.errors import RateLimited
from sheetbrain.identity import Identity
from sheetbrain.settings import Settings
from sheetbrain.store import identity as identity_store
from sheetbrain.store import tokens as token_store
from sheetbrain.store.gateway import Gateway

REFRESH_TOKEN_DAYS = 7


@dataclass(frozen=True)
class SignInLimits:
    """Token exchanges per minute, per client address and per signing-in account."""

    per_ip: int
    per_account: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(settings.sign_ins_per_minute_per_ip, settings.sign_ins_per_minute_per_account)


async def admit_sign_in(
    gateway: Gateway, limits: SignInLimits, *, client_ip: str | None, account: str | None
) -> None:
    """Count one token exchange; a 429 with Retry-After when the address or the account
    has used its minute."""
    try:
        await token_store.check_sign_in_rate_limit(
            gateway,
            ip=client_ip,
            subject=account,
            ip_limit=limits.per_ip,
            subject_limit=limits.per_account,
        )
    except token_store.SignInRateLimited as refusal:
        whom = "from this address" if refusal.scope == "ip" else "for this account"
        raise RateLimited(
            f"Too many sign-in requests {whom}; retry in {refusal.retry_after} s.",
            headers={"Retry-After": str(refusal.retry_after)},
            extra={"retryAfter": refusal.retry_after},
        ) from refusal


def hash_refresh_token(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


def _new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int = ACCESS_TOKEN_SECONDS


def identity_of(account: token_store.SignInAccount) -> Identity:
    return Identity(
        user_id=account.clerk_user_id,
        org_id=account.clerk_org_id,
        org_role=account.org_role,
        source="sheetbrain",
        email=account.email,
        name=account.name,
        org_name=account.org_name,
        personal=account.personal,
    )


async def start_session(gateway: Gateway, tokens: AccessTokens, identity: Identity) -> TokenPair:
    """A new sign-in: a fresh refresh-token family and an access token naming it."""
    refresh_token = _new_refresh_token()
    issued = await token_store.issue_refresh_token(
        gateway,
        identity,
        token_hash=hash_refresh_token(refresh_token),
        lifetime_days=REFRESH_TOKEN_DAYS,
    )
    access_token = tokens.issue(identity, session_id=str(issued.family_id))
    return TokenPair(access_token=access_token, refresh_token=refresh_token)


_REFUSALS: dict[str, str] = {
    "reused": "This refresh token was already used, so every token of this sign-in has "
    "been revoked. Sign in again.",
    "revoked": "This sign-in has ended (signed out, or no longer a member). Sign in again.",
    "expired": "The refresh token has expired. Sign in again.",
    "unknown": "The refresh token is not valid. Sign in again.",
}


async def refresh_session(
    gateway: Gateway,
    tokens: AccessTokens,
    refresh_token: str,
    *,
    limits: SignInLimits,
    client_ip: str | None,
) -> TokenPair:
    """Spends the refresh token for its successor and a new access token."""
    await admit_sign_in(gateway, limits, client_ip=client_ip, account=None)
    successor = _new_refresh_token()
    rotation = await token_store.rotate_refresh_token(
        gateway,
        token_hash=hash_refresh_token(refresh_token),
        new_hash=hash_refresh_token(successor),
        lifetime_days=REFRESH_TOKEN_DAYS,
    )
    if not isinstance(rotation, token_store.RotatedToken):
        raise unauthorized(_REFUSALS[rotation.status])
    access_token = tokens.issue(identity_of(rotation), session_id=str(rotation.family_id))
    return TokenPair(access_token=access_token, refresh_token=successor)


async def end_session(
    gateway: Gateway,
    tokens: AccessTokens,
    *,
    refresh_token: str | None,
    access_token: str | None,
) -> int:
    """Revokes the sign-in named by a refresh token, else by a SheetBrain access token's
    `sid`; answers how many tokens it revoked. Unauthorized when neither names one."""
    if refresh_token is not None:
        return await token_store.revoke_refresh_family(
            gateway, token_hash=hash_refresh_token(refresh_token)
        )
    if access_token is None:
        raise unauthorized("Send the refreshToken to revoke, or a SheetBrain access token.")
    session_id = tokens.decode(access_token).get("sid")
    if not isinstance(session_id, str):
        raise unauthorized("This access token belongs to no refreshable sign-in.")
    return await token_store.revoke_refresh_family(gateway, family_id=session_id)


async def local_sign_in(gateway: Gateway, tokens: AccessTokens, identity: Identity) -> TokenPair:
    """Local mode's debug login: provisions the named identity and signs it in, so the
    standalone add-on can be pointed at a developer's machine."""
    await identity_store.provision(gateway, identity)
    return await start_session(gateway, tokens, identity)


@dataclass(frozen=True)
class CallerProfile:
    identity: Identity
    email: str | None
    name: str | None
    org_name: str | None


async def caller_profile(gateway: Gateway, identity: Identity) -> CallerProfile:
    """The caller as the database knows them, completed from their verified token."""
    me = await token_store.get_me(gateway, identity)
    return CallerProfile(
        identity=identity,
        email=(me.user.email if me.user else None) or identity.email,
        name=(me.user.name if me.user else None) or identity.name,
        org_name=(me.organization.name if me.organization else None) or identity.org_name,
    )
