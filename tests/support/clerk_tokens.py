"""A stand-in Clerk instance: an RSA key pair, its JWKS, and session tokens it signs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://clerk.sheetbrain.test"
JWKS_URL = f"{ISSUER}/.well-known/jwks.json"
AUTHORIZED_PARTY = "https://addon.sheetbrain.test"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class ClerkInstance:
    issuer: str = ISSUER
    kid: str = "ins_key_1"
    private_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def public_pem(self) -> str:
        public_key = self.private_key.public_key()
        pem = public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem.decode()

    def jwk(self) -> dict[str, Any]:
        key: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**key, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def claims(self, user_id: str, **overrides: Any) -> dict[str, Any]:
        """A v2 session token's claims, valid for 60 s, with no active organisation."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": user_id,
            "sid": "sess_test",
            "azp": AUTHORIZED_PARTY,
            "iat": now,
            "nbf": now - 5,
            "exp": now + 60,
            "v": 2,
        }
        claims.update(overrides)
        return {key: value for key, value in claims.items() if value is not None}

    def token(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        return jwt.encode(
            claims, self.private_key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    # Forgeries of a session token for `user_id`, made without the private key (or, for
    # the tampered one, by editing a genuine token).

    def unsigned_token(self, user_id: str) -> str:
        return unsigned_token(self.claims(user_id))

    def hs256_token_keyed_with_the_public_key(self, user_id: str) -> str:
        """The algorithm-confusion attack: HS256 with the public key as the HMAC secret."""
        return hs256_token(self.claims(user_id), self.public_pem(), kid=self.kid)

    def tampered_token(self, user_id: str, **changes: Any) -> str:
        return tampered(self.token(self.claims(user_id)), **changes)


def unsigned_token(claims: dict[str, Any]) -> str:
    """`alg: none`: no signature at all."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def hs256_token(claims: dict[str, Any], secret: str, *, kid: str) -> str:
    """HS256 with `secret` as the HMAC key (PyJWT refuses to sign with a PEM, so by hand)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def tampered(token: str, **changes: Any) -> str:
    """The same header and signature over a payload with `changes` applied."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
