"""The add-on's sign-in: a Google ID token exchanged for SheetBrain tokens.

An Apps Script add-on gets an OpenID Connect ID token for its user from
`ScriptApp.getIdentityToken()` (manifest scopes `openid` and `email`). We verify it
offline: RS256 only, signed by a key from Google's JWKS (a `JwksCache`, auth/jwks.py:
kept for the `max-age` Google sends, fetched again when a token names an unknown key id,
at most once per interval), `aud` one of our OAuth client ids (and, when `aud`
lists several audiences, `azp` one of ours too, as OpenID Connect Core 3.1.3.7 asks:
otherwise a token Google issued to another application that merely includes us would
do), `iss` Google's, not expired, and the email verified by Google. The verified email
then names the user synced from Clerk; nobody else gets a token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from sheetbrain.auth.authenticator import unauthorized
from sheetbrain.auth.jwks import JwksCache
from sheetbrain.auth.sessions import (
    SignInLimits,
    TokenPair,
    admit_sign_in,
    identity_of,
    start_session,
)
from sheetbrain.auth.tokens import AccessTokens
from sheetbrain.errors import Forbidden, NotConfigured
from sheetbrain.settings import Settings
from sheetbrain.store import tokens as token_store
from sheetbrain.store.gateway import Gateway

GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")
ALGORITHM = "RS256"
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class GoogleAccount:
    """What a verified Google ID token proves."""

    subject: str
    email: str


class GoogleIdTokens:
    """Verifies Google ID tokens issued to one of our OAuth clients."""

    def __init__(self, keys: JwksCache, client_ids: list[str]) -> None:
        self.keys = keys
        self.client_ids = list(client_ids)

    @classmethod
    def from_settings(cls, settings: Settings) -> GoogleIdTokens:
        return cls(JwksCache(settings.google_jwks_url), settings.google_client_ids)

    async def verify(self, id_token: str) -> GoogleAccount:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise unauthorized("The Google ID token is not a well-formed JWT.") from exc
        if not self.client_ids:
            raise NotConfigured(
                "Google sign-in is not configured: set GOOGLE_CLIENT_IDS on the server."
            )
        if header.get("alg") != ALGORITHM:
            raise unauthorized("The Google ID token must be signed with RS256.")
        key = await self.keys.verified_key(
            header.get("kid"), provider="Google", credential="The Google ID token"
        )
        claims = self._decode(id_token, key)
        audience = claims["aud"]
        several = isinstance(audience, list) and len(audience) > 1
        if several and claims.get("azp") not in self.client_ids:
            raise unauthorized("The Google ID token was issued for another application.")
        return _account(claims)

    def _decode(self, id_token: str, key: RSAPublicKey) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=[ALGORITHM],
                audience=self.client_ids,
                issuer=GOOGLE_ISSUERS,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise unauthorized("The Google ID token has expired; get a new one.") from exc
        except jwt.InvalidAudienceError as exc:
            raise unauthorized("The Google ID token was issued for another application.") from exc
        except jwt.InvalidIssuerError as exc:
            raise unauthorized("The ID token was not issued by Google.") from exc
        except jwt.PyJWTError as exc:
            raise unauthorized("The Google ID token is invalid.") from exc
        return claims


def _account(claims: Mapping[str, Any]) -> GoogleAccount:
    email = claims.get("email")
    if not isinstance(email, str) or not email:
        raise unauthorized(
            "The Google ID token carries no email; add the 'email' scope to the add-on."
        )
    # Older tokens carry the flag as the string "true".
    if claims.get("email_verified") not in (True, "true"):
        raise unauthorized("Google has not verified this account's email address.")
    return GoogleAccount(subject=str(claims["sub"]), email=email)


async def sign_in_with_google(
    gateway: Gateway,
    google: GoogleIdTokens,
    tokens: AccessTokens,
    id_token: str,
    *,
    limits: SignInLimits,
    client_ip: str | None,
) -> TokenPair:
    """Tokens for the SheetBrain user whose email the Google ID token proves."""
    google_account = await google.verify(id_token)
    await admit_sign_in(
        gateway, limits, client_ip=client_ip, account=f"google:{google_account.subject}"
    )
    account = await token_store.find_user_by_email(gateway, google_account.email)
    if account is None:
        raise Forbidden(
            f"No SheetBrain account uses {google_account.email}. Sign up with this address "
            "(or ask your organization's admin to invite it), then open the add-on again."
        )
    return await start_session(gateway, tokens, identity_of(account))
