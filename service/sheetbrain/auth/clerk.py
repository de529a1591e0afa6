"""Clerk session tokens, verified offline.

A Clerk session token is an RS256 JWT signed by the Clerk instance. It is verified
against the instance's public key: `CLERK_JWT_KEY` (PEM, no network), else the JWKS at
`CLERK_JWKS_URL` (or `<CLERK_ISSUER>/.well-known/jwks.json`), kept in a `JwksCache`
(auth/jwks.py: cached for Clerk's max-age, fetched again for an unknown key id, at most
once per interval, so tokens with made-up key ids cannot hammer Clerk).

Routing (`accepts`): with `CLERK_ISSUER` set, exactly the tokens whose `iss` is that
issuer; without it, tokens whose `iss` is a Clerk-hosted issuer (`https://clerk.<domain>`
or `https://<name>.clerk.accounts.dev`). Either way the signature decides.

The organisation comes from the v2 claim `o` (`id`, `rol` without prefix, `slg`) or the
v1 claims `org_id` / `org_role` / `org_slug`. A session with no active organisation works
in the user's personal workspace: org id = user id, role admin (they own it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from sheetbrain.auth.authenticator import unauthorized
from sheetbrain.auth.jwks import JwksCache
from sheetbrain.identity import ADMIN_ROLE, Identity, normalise_role
from sheetbrain.settings import Settings

ALGORITHM = "RS256"
LEEWAY_SECONDS = 5

# `CLERK_JWT_KEY` (one fixed key: no network, `kid` ignored) or the instance's JWKS.
ClerkKeys = RSAPublicKey | JwksCache


def load_pem(pem: str) -> RSAPublicKey:
    # One-line environment variables often carry the PEM's newlines as literal "\\n".
    try:
        key = load_pem_public_key(pem.replace("\\n", "\n").encode())
    except ValueError as exc:
        raise ValueError("CLERK_JWT_KEY is not a PEM public key") from exc
    if not isinstance(key, RSAPublicKey):
        raise ValueError("CLERK_JWT_KEY must be an RSA public key")
    return key


def is_clerk_hosted_issuer(issuer: object) -> bool:
    if not isinstance(issuer, str):
        return False
    parts = urlsplit(issuer)
    host = parts.hostname or ""
    return parts.scheme == "https" and (
        host.startswith("clerk.") or host.endswith(".clerk.accounts.dev")
    )


class ClerkVerifier:
    """A `TokenVerifier` for Clerk session tokens."""

    def __init__(
        self,
        keys: ClerkKeys,
        *,
        issuer: str | None = None,
        authorized_parties: list[str] | None = None,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.authorized_parties = list(authorized_parties or [])

    def accepts(self, unverified_claims: Mapping[str, Any]) -> bool:
        issuer = unverified_claims.get("iss")
        if self.issuer is not None:
            return bool(issuer == self.issuer)
        return is_clerk_hosted_issuer(issuer)

    async def verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise unauthorized("The session token is not a well-formed JWT.") from exc
        if header.get("alg") != ALGORITHM:
            raise unauthorized("The session token must be signed with RS256.")
        claims = self._decode(token, await self._key(header.get("kid")))
        if self.authorized_parties and claims.get("azp") not in self.authorized_parties:
            raise unauthorized("The session token was issued for another application.")
        return identity_from_claims(claims)

    async def _key(self, kid: object) -> RSAPublicKey:
        if isinstance(self.keys, RSAPublicKey):
            return self.keys
        return await self.keys.verified_key(kid, provider="Clerk", credential="The session token")

    def _decode(self, token: str, key: RSAPublicKey) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                leeway=LEEWAY_SECONDS,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise unauthorized("The session token has expired.") from exc
        except jwt.ImmatureSignatureError as exc:
            raise unauthorized("The session token is not valid yet.") from exc
        except jwt.InvalidIssuerError as exc:
            raise unauthorized("The session token was issued by another Clerk instance.") from exc
        except jwt.PyJWTError as exc:
            raise unauthorized("The session token is invalid.") from exc
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise unauthorized("The session token names no user.")
        return claims


def identity_from_claims(claims: Mapping[str, Any]) -> Identity:
    """The caller a verified Clerk session names, in its active org or personal workspace."""
    user_id: str = claims["sub"]
    org_id, role = _active_organisation(claims)
    if org_id is None:
        return Identity(
            user_id=user_id, org_id=user_id, org_role=ADMIN_ROLE, source="clerk", personal=True
        )
    return Identity(user_id=user_id, org_id=org_id, org_role=normalise_role(role), source="clerk")


def _active_organisation(claims: Mapping[str, Any]) -> tuple[str | None, str | None]:
    org = claims.get("o")
    if isinstance(org, Mapping):  # v2: {"id", "rol", "slg", "per"}; rol has no prefix
        return _text(org.get("id")), _text(org.get("rol"))
    return _text(claims.get("org_id")), _text(claims.get("org_role"))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def clerk_keys(settings: Settings) -> ClerkKeys | None:
    """The key source the settings configure, or None when they set none."""
    if settings.clerk_jwt_key:
        return load_pem(settings.clerk_jwt_key.get_secret_value())
    jwks_url = settings.clerk_jwks_url
    if jwks_url is None and settings.clerk_issuer:
        jwks_url = settings.clerk_issuer.rstrip("/") + "/.well-known/jwks.json"
    return JwksCache(jwks_url) if jwks_url is not None else None


def build_clerk_verifier(settings: Settings, keys: ClerkKeys) -> ClerkVerifier:
    return ClerkVerifier(
        keys, issuer=settings.clerk_issuer, authorized_parties=settings.clerk_authorized_parties
    )
