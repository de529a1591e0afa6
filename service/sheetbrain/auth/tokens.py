"""SheetBrain's own access tokens for the Google Sheets add-on: their format.

Access tokens are HS256 JWTs signed with `SHEETBRAIN_TOKEN_SECRET` (at least 32 bytes,
checked by Settings; local mode without it signs with a random per-process key). HS256
was chosen over EdDSA because the service is both the only issuer and the only
verifier: a shared secret needs no key pair to distribute, and the original add-on
already expects HS256. They carry the claims the add-on reads (`sub`, `email`, `orgId`,
`role` as admin/editor/viewer, `iat`, `exp`), our `iss`/`aud`, the exact Clerk role
(`orgRole`) and, when a refresh token backs them, the sign-in's family id (`sid`) so a
logout can name it. They live 15 minutes and are stateless: a revoked sign-in's access
token keeps working until it expires.

Sign-ins, refresh tokens and sign-outs are `auth/sessions.py`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

import jwt

from sheetbrain.auth.authenticator import unauthorized
from sheetbrain.errors import NotConfigured
from sheetbrain.identity import ADMIN_ROLE, MEMBER_ROLE, Identity, normalise_role
from sheetbrain.settings import Settings

ISSUER = "sheetbrain"
AUDIENCE = "sheetbrain-addon"
ALGORITHM = "HS256"
ACCESS_TOKEN_SECONDS = 15 * 60
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
