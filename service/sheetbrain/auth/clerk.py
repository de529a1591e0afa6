"""Clerk session tokens, verified offline.

A Clerk session token is an RS256 JWT signed by the Clerk instance. It is verified
against the instance's public key: `CLERK_JWT_KEY` (PEM, no network), else the JWKS at
`CLERK_JWKS_URL` (or `<CLERK_ISSUER>/.well-known/jwks.json`), fetched once, cached, and
fetched again when a token names a key id the cache lacks (key rotation) — at most once
per `min_refresh_seconds`, so tokens with made-up key ids cannot hammer Clerk.

Routing (`accepts`): with `CLERK_ISSUER` set, exactly the tokens whose `iss` is that
issuer; without it, tokens whose `iss` is a Clerk-hosted issuer (`https://clerk.<domain>`
or `https://<name>.clerk.accounts.dev`). Either way the signature decides.

The organisation comes from the v2 claim `o` (`id`, `rol` without prefix, `slg`) or the
v1 claims `org_id` / `org_role` / `org_slug`. A session with no active organisation works
in the user's personal workspace: org id = user id, role admin (they own it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from sheetbrain.auth.authenticator import unauthorized
from sheetbrain.errors import ServiceUnavailable
from sheetbrain.identity import ADMIN_ROLE, Identity, normalise_role
from sheetbrain.log import get_logger
from sheetbrain.settings import Settings

ALGORITHM = "RS256"
LEEWAY_SECONDS = 5
JWKS_TIMEOUT_SECONDS = 5.0
MIN_JWKS_REFRESH_SECONDS = 30.0

_log = get_logger("sheetbrain.auth")


class SigningKeys(Protocol):
    async def key_for(self, kid: str | None) -> RSAPublicKey:
        """The public key that checks a token whose header names `kid`; 401 when none."""


class PemKey:
    """One fixed public key (`CLERK_JWT_KEY`): no network, `kid` ignored."""

    def __init__(self, pem: str) -> None:
        self._key = _load_pem(pem)

    async def key_for(self, kid: str | None) -> RSAPublicKey:
        return self._key


class JwksKeys:
    """The instance's JWKS, fetched on first use and again for an unknown `kid`."""

    def __init__(
        self,
        url: str,
        *,
        http: httpx.AsyncClient | None = None,
        min_refresh_seconds: float = MIN_JWKS_REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._http = http
        self._min_refresh_seconds = min_refresh_seconds
        self._clock = clock
        self._by_kid: dict[str, RSAPublicKey] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str | None) -> RSAPublicKey:
        if kid is None:
            raise unauthorized("The session token names no signing key.")
        if kid not in self._by_kid:
            async with self._lock:  # one fetch for many concurrent unknown-kid requests
                if kid not in self._by_kid and self._may_refresh():
                    await self._refresh()
        key = self._by_kid.get(kid)
        if key is None:
            raise unauthorized("The session token was signed with an unknown key.")
        return key

    def _may_refresh(self) -> bool:
        return (
            self._fetched_at is None
            or self._clock() - self._fetched_at >= self._min_refresh_seconds
        )

    async def _refresh(self) -> None:
        self._fetched_at = self._clock()
        try:
            if self._http is not None:
                response = await self._http.get(self.url, timeout=JWKS_TIMEOUT_SECONDS)
            else:
                async with httpx.AsyncClient() as http:
                    response = await http.get(self.url, timeout=JWKS_TIMEOUT_SECONDS)
            response.raise_for_status()
            self._by_kid = _rsa_keys(jwt.PyJWKSet.from_dict(response.json()))
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            _log.warning("clerk_jwks_unavailable", error_type=type(exc).__name__)
            raise ServiceUnavailable(
                "Clerk's signing keys could not be fetched; try again shortly.",
                headers={"Retry-After": "5"},
            ) from exc


def _load_pem(pem: str) -> RSAPublicKey:
    # One-line environment variables often carry the PEM's newlines as literal "\\n".
    try:
        key = load_pem_public_key(pem.replace("\\n", "\n").encode())
    except ValueError as exc:
        raise ValueError("CLERK_JWT_KEY is not a PEM public key") from exc
    if not isinstance(key, RSAPublicKey):
        raise ValueError("CLERK_JWT_KEY must be an RSA public key")
    return key


def _rsa_keys(key_set: jwt.PyJWKSet) -> dict[str, RSAPublicKey]:
    return {
        key.key_id: key.key
        for key in key_set.keys
        if key.key_id is not None and isinstance(key.key, RSAPublicKey)
    }


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
        keys: SigningKeys,
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
        key = await self.keys.key_for(header.get("kid"))
        claims = self._decode(token, key)
        if self.authorized_parties and claims.get("azp") not in self.authorized_parties:
            raise unauthorized("The session token was issued for another application.")
        return identity_from_claims(claims)

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


def build_clerk_verifier(settings: Settings) -> ClerkVerifier | None:
    """The verifier the settings configure, or None when no Clerk key source is set."""
    pem = settings.clerk_jwt_key.get_secret_value() if settings.clerk_jwt_key else None
    jwks_url = settings.clerk_jwks_url
    if pem is None and jwks_url is None and settings.clerk_issuer:
        jwks_url = settings.clerk_issuer.rstrip("/") + "/.well-known/jwks.json"
    if pem is None and jwks_url is None:
        return None
    keys: SigningKeys = PemKey(pem) if pem is not None else JwksKeys(str(jwks_url))
    return ClerkVerifier(
        keys, issuer=settings.clerk_issuer, authorized_parties=settings.clerk_authorized_parties
    )
