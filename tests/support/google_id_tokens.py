"""A stand-in for Google's OpenID provider: a signing key, its JWKS, and ID tokens like
those `ScriptApp.getIdentityToken()` gives an Apps Script add-on."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import respx
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

JWKS_URL = "https://www.googleapis.test/oauth2/v3/certs"
CLIENT_ID = "1234567890-addon.apps.googleusercontent.com"
OTHER_CLIENT_ID = "999-someone-else.apps.googleusercontent.com"
TOKEN_SECRET = "test-sheetbrain-token-secret-of-at-least-32-bytes"


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class GoogleAccounts:
    kid: str = "google-key-1"
    private_key: rsa.RSAPrivateKey = field(default_factory=_new_key)

    def jwks(self) -> dict[str, Any]:
        key: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {"keys": [{**key, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def claims(self, email: str, /, **overrides: Any) -> dict[str, Any]:
        """An ID token's claims for `email`, valid for an hour; None drops a claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": "https://accounts.google.com",
            "azp": CLIENT_ID,
            "aud": CLIENT_ID,
            "sub": "1098765432100" + str(abs(hash(email)) % 10_000),
            "email": email,
            "email_verified": True,
            "iat": now,
            "exp": now + 3600,
        }
        claims.update(overrides)
        return {key: value for key, value in claims.items() if value is not None}

    def id_token(self, email: str, /, *, kid: str | None = None, **overrides: Any) -> str:
        return jwt.encode(
            self.claims(email, **overrides),
            self.private_key,
            algorithm="RS256",
            headers={"kid": kid or self.kid},
        )

    def serve_jwks(self, router: respx.MockRouter) -> respx.Route:
        return router.get(JWKS_URL).mock(
            return_value=httpx.Response(
                200, json=self.jwks(), headers={"cache-control": "public, max-age=3600"}
            )
        )
