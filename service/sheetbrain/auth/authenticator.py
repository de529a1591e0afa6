"""Turns a request's credentials into one verified Identity.

A bearer token is routed, by its unverified `iss`, to the one verifier that accepts it
(Clerk session tokens, SheetBrain access tokens); that verifier then checks signature,
algorithm, lifetime and audience. Local mode alone also honours the seed guide's
identity headers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import jwt

from sheetbrain.auth.local import identity_from_headers
from sheetbrain.errors import Unauthorized
from sheetbrain.identity import Identity

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="sheetbrain"'}


class TokenVerifier(Protocol):
    def accepts(self, unverified_claims: Mapping[str, Any]) -> bool:
        """Whether this token (judged by its unverified claims, e.g. `iss`) is ours to check."""

    async def verify(self, token: str) -> Identity:
        """The identity the token proves; raises Unauthorized when it proves nothing."""


def unauthorized(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers=_CHALLENGE)


class Authenticator:
    def __init__(self, verifiers: Sequence[TokenVerifier], *, trust_local_headers: bool) -> None:
        self.verifiers = list(verifiers)
        self.trust_local_headers = trust_local_headers

    async def identify(self, headers: Mapping[str, str]) -> Identity:
        token = bearer_token(headers)
        if token is not None:
            return await self._verify(token)
        if self.trust_local_headers:
            identity = identity_from_headers(headers)
            if identity is not None:
                return identity
        raise unauthorized("Send Authorization: Bearer <token>.")

    async def _verify(self, token: str) -> Identity:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise unauthorized("The bearer token is not a well-formed JWT.") from exc
        for verifier in self.verifiers:
            if verifier.accepts(unverified):
                return await verifier.verify(token)
        raise unauthorized("The bearer token was not issued by a trusted issuer.")


def bearer_token(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("The Authorization header must be 'Bearer <token>'.")
    return token.strip()
