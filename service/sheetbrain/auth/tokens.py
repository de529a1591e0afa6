"""SheetBrain's own tokens for the Google Sheets add-on.

Access tokens are HS256 JWTs signed with `SHEETBRAIN_TOKEN_SECRET` (at least 32 bytes,
checked by Settings; local mode without it signs with a random per-process key). HS256
was chosen over EdDSA because the service is both the only issuer and the only
verifier: a shared secret needs no key pair to distribute, and the original add-on
already expects HS256. They carry the claims the add-on reads (`sub`, `email`, `orgId`,
`role` as admin/editor/viewer, `iat`, `exp`), our `iss`/`aud`, the exact Clerk role
(`orgRole`) and, when a refresh token backs them, the sign-in's family id (`sid`) so a
logout can name it. They live 15 minutes and are stateless: a revoked sign-in's access
token keeps working until it expires.

Refresh tokens are random strings; the database keeps only their sha256, rotates them
on every use and revokes the whole family when a spent one comes back
(`rotate_refresh_token`).

Every exchange (`/api/auth/token`) is counted per client address and, for a Google
sign-in, per Google account, in Postgres (`check_sign_in_rate_limit`): 429 beyond.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import jwt

from sheetbrain.auth.authenticator import unauthorized
from sheetbrain.errors import NotConfigured, RateLimited
from sheetbrain.identity import ADMIN_ROLE, MEMBER_ROLE, Identity, normalise_role
from sheetbrain.settings import Settings
from sheetbrain.store import identity as identity_store
from sheetbrain.store import tokens as token_store
from sheetbrain.store.gateway import Gateway

ISSUER = "sheetbrain"
AUDIENCE = "sheetbrain-addon"
ALGORITHM = "HS256"
ACCESS_TOKEN_SECONDS = 15 * 60
REFRESH_TOKEN_DAYS = 7
TOKEN_TYPE = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
LEEWAY_SECONDS = 5

AddonRole = Literal["admin", "editor", "viewer"]
VIEWER_ROLE = "org:viewer"

_ORG_ROLE_BY_ADDON_ROLE: dict[str, str] = {
    "admin": ADMIN_ROLE,
    "editor": MEMBER_ROLE,
    "viewer": VIEWER_ROLE,
}
_REQUIRED_CLAIMS = ["sub", "orgId", "role", "iat", "exp", "iss", "aud"]
_PROCESS_SECRET = secrets.token_urlsafe(48)


def addon_role(org_role: str) -> AddonRole:
    """The add-on knows admin, editor and viewer; every other Clerk role edits."""
    if org_role == ADMIN_ROLE:
        return "admin"
    if org_role == VIEWER_ROLE:
        return "viewer"
    return "editor"


def org_role_from_addon(role: str) -> str:
    return _ORG_ROLE_BY_ADDON_ROLE.get(role) or normalise_role(role)


class AccessTokens:
    """Signs and checks SheetBrain access tokens with one shared secret."""

    def __init__(self, secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> AccessTokens:
        if settings.token_secret is not None:
            return cls(settings.token_secret.get_secret_value())
        if settings.trusts_identity_headers:
            # Local mode already lets any loopback caller name itself (x-user-id), so a
            # key that lives as long as this process costs nothing and lets the debug
            # login work out of the box; tokens end with the process.
            return cls(_PROCESS_SECRET)
        raise NotConfigured(
            "Add-on sign-in is not configured: set SHEETBRAIN_TOKEN_SECRET on the server."
        )

    def issue(self, identity: Identity, *, session_id: str | None = None) -> str:
        now = int(self._clock())
        claims: dict[str, Any] = {
            "sub": identity.user_id,
            "email": identity.email,
            "orgId": identity.org_id,
            "role": addon_role(identity.org_role),
            "orgRole": identity.org_role,
            "iat": now,
            "exp": now + ACCESS_TOKEN_SECONDS,
            "iss": ISSUER,
            "aud": AUDIENCE,
        }
        if session_id is not None:
            claims["sid"] = session_id
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str) -> dict[str, Any]:
        """The verified claims; Unauthorized for any other algorithm, a bad signature,
        a lapsed lifetime, or another issuer or audience."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=LEEWAY_SECONDS,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise unauthorized("The access token has expired; refresh it.") from exc
        except jwt.PyJWTError as exc:
            raise unauthorized("The access token is invalid.") from exc
        for name in ("sub", "orgId", "role"):
            if not isinstance(claims.get(name), str) or not claims[name]:
                raise unauthorized(f"The access token's {name} claim is invalid.")
        return claims


def identity_from_access_claims(claims: Mapping[str, Any]) -> Identity:
    org_role = claims.get("orgRole")
    email = claims.get("email")
    return Identity(
        user_id=claims["sub"],
        org_id=claims["orgId"],
        org_role=normalise_role(org_role)
        if isinstance(org_role, str)
        else org_role_from_addon(claims["role"]),
        source="sheetbrain",
        email=email if isinstance(email, str) else None,
        personal=claims["orgId"] == claims["sub"],
    )


class SheetBrainTokenVerifier:
    """A `TokenVerifier` for the access tokens this service signs."""

    def __init__(self, tokens: AccessTokens) -> None:
        self.tokens = tokens

    def accepts(self, unverified_claims: Mapping[str, Any]) -> bool:
        return unverified_claims.get("iss") == ISSUER

    async def verify(self, token: str) -> Identity:
        return identity_from_access_claims(self.tokens.decode(token))


def build_sheetbrain_verifier(settings: Settings) -> SheetBrainTokenVerifier | None:
    """The verifier for our access tokens, or None where they cannot be issued."""
    if settings.token_secret is None and not settings.trusts_identity_headers:
        return None
    return SheetBrainTokenVerifier(AccessTokens.from_settings(settings))


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
