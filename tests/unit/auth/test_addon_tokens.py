"""SheetBrain access tokens, without a database."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from pydantic import ValidationError

from sheetbrain.auth.sessions import hash_refresh_token
from sheetbrain.auth.tokens import (
    AccessTokens,
    SheetBrainTokenVerifier,
    addon_role,
    build_sheetbrain_verifier,
    org_role_from_addon,
)
from sheetbrain.errors import ServiceUnavailable, Unauthorized
from sheetbrain.identity import Identity
from sheetbrain.settings import Settings
from support.clerk_tokens import hs256_token, tampered, unsigned_token
from support.google_id_tokens import TOKEN_SECRET, GoogleAccounts

NOW = 1_800_000_000
TOKENS = AccessTokens(TOKEN_SECRET, clock=lambda: NOW)
ANN = Identity(
    user_id="user_ann",
    org_id="org_team",
    org_role="org:member",
    source="sheetbrain",
    email="ann@example.com",
)


def issued_seconds_ago(seconds: float) -> AccessTokens:
    """Tokens as they were issued `seconds` ago (PyJWT checks lifetimes against real time)."""
    return AccessTokens(TOKEN_SECRET, clock=lambda: time.time() - seconds)


LIVE = AccessTokens(TOKEN_SECRET)


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def refused(token: str) -> str:
    with pytest.raises(Unauthorized) as caught:
        LIVE.decode(token)
    return caught.value.detail


# ---------------------------------------------------------------- issuing


def test_an_access_token_carries_the_claims_the_addon_reads() -> None:
    token = TOKENS.issue(ANN, session_id="3f0c5e9e-0000-4000-8000-000000000001")

    assert claims_of(token) == {
        "sub": "user_ann",
        "email": "ann@example.com",
        "orgId": "org_team",
        "role": "editor",
        "orgRole": "org:member",
        "iat": NOW,
        "exp": NOW + 900,
        "iss": "sheetbrain",
        "aud": "sheetbrain-addon",
        "sid": "3f0c5e9e-0000-4000-8000-000000000001",
    }


def test_an_access_token_is_signed_with_hs256() -> None:
    assert jwt.get_unverified_header(TOKENS.issue(ANN))["alg"] == "HS256"


@pytest.mark.parametrize(
    ("org_role", "role"),
    [
        ("org:admin", "admin"),
        ("org:member", "editor"),
        ("org:viewer", "viewer"),
        ("org:billing", "editor"),
    ],
)
def test_clerk_roles_map_to_the_addon_roles(org_role: str, role: str) -> None:
    assert addon_role(org_role) == role


@pytest.mark.parametrize(
    ("role", "org_role"),
    [
        ("admin", "org:admin"),
        ("editor", "org:member"),
        ("viewer", "org:viewer"),
        ("org:x", "org:x"),
    ],
)
def test_addon_roles_map_to_clerk_roles(role: str, org_role: str) -> None:
    assert org_role_from_addon(role) == org_role


# ---------------------------------------------------------------- verifying


async def test_a_verified_access_token_names_the_identity_it_was_issued_for() -> None:
    verifier = SheetBrainTokenVerifier(LIVE)

    identity = await verifier.verify(LIVE.issue(ANN))

    assert identity == ANN


async def test_a_token_for_the_personal_workspace_says_so() -> None:
    solo = Identity("user_solo", "user_solo", "org:admin", "sheetbrain", personal=True)

    identity = await SheetBrainTokenVerifier(LIVE).verify(LIVE.issue(solo))

    assert identity.personal is True


async def test_a_token_without_org_role_takes_the_role_from_the_addon_role() -> None:
    claims = {**claims_of(LIVE.issue(ANN)), "role": "viewer"}
    del claims["orgRole"]
    token = jwt.encode(claims, TOKEN_SECRET, algorithm="HS256")

    identity = await SheetBrainTokenVerifier(LIVE).verify(token)

    assert identity.org_role == "org:viewer"


def test_the_verifier_accepts_only_tokens_it_issued() -> None:
    verifier = SheetBrainTokenVerifier(TOKENS)

    assert verifier.accepts({"iss": "sheetbrain"}) is True
    assert verifier.accepts({"iss": "https://clerk.example.com"}) is False


def test_an_expired_access_token_is_refused() -> None:
    token = issued_seconds_ago(900 + 6).issue(ANN)

    assert refused(token) == "The access token has expired; refresh it."


def test_an_unsigned_access_token_is_refused() -> None:
    assert refused(unsigned_token(claims_of(LIVE.issue(ANN)))) == "The access token is invalid."


def test_an_rs256_access_token_is_refused() -> None:
    forger = GoogleAccounts()
    token = jwt.encode(claims_of(LIVE.issue(ANN)), forger.private_key, algorithm="RS256")

    assert refused(token) == "The access token is invalid."


def test_an_access_token_signed_with_another_secret_is_refused() -> None:
    token = hs256_token(
        claims_of(LIVE.issue(ANN)), "another-secret-of-at-least-32-bytes!!", kid="k"
    )

    assert refused(token) == "The access token is invalid."


def test_a_tampered_access_token_is_refused() -> None:
    assert refused(tampered(LIVE.issue(ANN), orgId="org_victim")) == "The access token is invalid."


@pytest.mark.parametrize(
    "changes",
    [{"aud": "someone-else"}, {"iss": "not-sheetbrain"}, {"orgId": None}, {"sub": ""}],
    ids=["wrong-audience", "wrong-issuer", "no-org", "blank-subject"],
)
def test_an_access_token_with_wrong_claims_is_refused(changes: dict[str, Any]) -> None:
    merged = {**claims_of(LIVE.issue(ANN)), **changes}
    claims = {key: value for key, value in merged.items() if value is not None}
    token = jwt.encode(claims, TOKEN_SECRET, algorithm="HS256")

    assert refused(token).startswith("The access token")


def test_refresh_tokens_are_stored_as_their_sha256() -> None:
    assert hash_refresh_token("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


# ---------------------------------------------------------------- settings


def test_a_short_token_secret_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="must be at least 32 bytes"):
        Settings(token_secret="too-short", _env_file=None)  # type: ignore[call-arg]


def test_production_without_a_token_secret_cannot_sign_in() -> None:
    settings = Settings(
        mode="production",
        database_url="postgresql://db.example.com/sheetbrain",
        clerk_issuer="https://clerk.sheetbrain.test",
        clerk_authorized_parties=["https://app.sheetbrain.test"],
        _env_file=None,  # type: ignore[call-arg]
    )

    with pytest.raises(ServiceUnavailable):
        AccessTokens.from_settings(settings)
    assert build_sheetbrain_verifier(settings) is None


def test_local_mode_without_a_token_secret_signs_with_one_key_per_process() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    token = AccessTokens.from_settings(settings).issue(ANN)

    assert AccessTokens.from_settings(settings).decode(token)["sub"] == "user_ann"
