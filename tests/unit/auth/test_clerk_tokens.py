"""Clerk session tokens: what is accepted, what is refused, and where the keys come from."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import jwt
import pytest
import respx

from sheetbrain.auth.clerk import ClerkVerifier, clerk_keys, identity_from_claims, load_pem
from sheetbrain.auth.jwks import JwksCache
from sheetbrain.errors import Unauthorized
from sheetbrain.identity import Identity
from sheetbrain.settings import Settings
from support.clerk_tokens import AUTHORIZED_PARTY, ISSUER, JWKS_URL, ClerkInstance


@pytest.fixture(scope="module")
def clerk() -> ClerkInstance:
    return ClerkInstance()


@pytest.fixture
def verifier(clerk: ClerkInstance) -> ClerkVerifier:
    return ClerkVerifier(
        load_pem(clerk.public_pem()), issuer=ISSUER, authorized_parties=[AUTHORIZED_PARTY]
    )


@pytest.fixture
def jwks(clerk: ClerkInstance) -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as router:
        yield router.get(JWKS_URL).respond(json={"keys": [clerk.jwk()]})


@pytest.fixture
async def jwks_verifier() -> AsyncIterator[ClerkVerifier]:
    keys = JwksCache(JWKS_URL)
    yield ClerkVerifier(keys, issuer=ISSUER)
    await keys.close()


async def rejection(verifier: ClerkVerifier, token: str) -> str:
    with pytest.raises(Unauthorized) as caught:
        await verifier.verify(token)
    return caught.value.detail


# ---------------------------------------------------------------- valid tokens


async def test_a_v2_token_names_the_user_in_the_active_organisation(
    clerk: ClerkInstance, verifier: ClerkVerifier
) -> None:
    token = clerk.token(clerk.claims("user_1", o={"id": "org_1", "rol": "admin", "slg": "acme"}))

    identity = await verifier.verify(token)

    assert identity == Identity(
        user_id="user_1", org_id="org_1", org_role="org:admin", source="clerk"
    )


async def test_a_v1_token_names_the_user_in_the_active_organisation(
    clerk: ClerkInstance, verifier: ClerkVerifier
) -> None:
    claims = clerk.claims("user_1", v=None, org_id="org_1", org_role="org:member", org_slug="a")

    identity = await verifier.verify(clerk.token(claims))

    assert identity == Identity(
        user_id="user_1", org_id="org_1", org_role="org:member", source="clerk"
    )


async def test_a_token_without_an_active_organisation_uses_the_personal_workspace(
    clerk: ClerkInstance, verifier: ClerkVerifier
) -> None:
    identity = await verifier.verify(clerk.token(clerk.claims("user_1")))

    assert identity == Identity(
        user_id="user_1", org_id="user_1", org_role="org:admin", source="clerk", personal=True
    )


def test_a_v2_organisation_without_a_role_makes_the_user_a_member() -> None:
    identity = identity_from_claims({"sub": "user_1", "o": {"id": "org_1"}})

    assert identity.org_role == "org:member"


async def test_a_token_expired_within_the_leeway_is_accepted(
    clerk: ClerkInstance, verifier: ClerkVerifier
) -> None:
    token = clerk.token(clerk.claims("user_1", exp=int(time.time()) - 2))

    assert (await verifier.verify(token)).user_id == "user_1"


async def test_authorized_parties_are_not_checked_when_none_are_configured(
    clerk: ClerkInstance,
) -> None:
    verifier = ClerkVerifier(load_pem(clerk.public_pem()), issuer=ISSUER)

    identity = await verifier.verify(clerk.token(clerk.claims("user_1", azp="https://other")))

    assert identity.user_id == "user_1"


async def test_a_pem_with_escaped_newlines_from_a_one_line_variable_is_accepted(
    clerk: ClerkInstance,
) -> None:
    verifier = ClerkVerifier(load_pem(clerk.public_pem().replace("\n", "\\n")))

    assert (await verifier.verify(clerk.token(clerk.claims("user_1")))).user_id == "user_1"


def test_a_key_that_is_not_a_pem_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="CLERK_JWT_KEY is not a PEM public key"):
        load_pem("not a key")


# ---------------------------------------------------------------- refused tokens


async def test_an_expired_token_is_refused(clerk: ClerkInstance, verifier: ClerkVerifier) -> None:
    token = clerk.token(clerk.claims("user_1", exp=int(time.time()) - 30))

    assert await rejection(verifier, token) == "The session token has expired."


async def test_a_token_not_valid_yet_is_refused(
    clerk: ClerkInstance, verifier: ClerkVerifier
) -> None:
    token = clerk.token(clerk.claims("user_1", nbf=int(time.time()) + 30))

    assert await rejection(verifier, token) == "The session token is not valid yet."


async def test_a_token_from_another_issuer_is_refused(
    clerk: ClerkInstance, verifier: ClerkVerifier
) -> None:
    token = clerk.token(clerk.claims("user_1", iss="https://clerk.other.test"))

    assert (
        await rejection(verifier, token)
        == "The session token was issued by another Clerk instance."
    )


async def test_a_token_for_another_authorized_party_is_refused(
    clerk: ClerkInstance, verifier: ClerkVerifier
) -> None:
    token = clerk.token(clerk.claims("user_1", azp="https://evil.test"))

    assert (
        await rejection(verifier, token) == "The session token was issued for another application."
    )


async def test_a_token_without_an_authorized_party_is_refused_when_parties_are_configured(
    clerk: ClerkInstance, verifier: ClerkVerifier
) -> None:
    token = clerk.token(clerk.claims("user_1", azp=None))

    assert (
        await rejection(verifier, token) == "The session token was issued for another application."
    )


async def test_an_unsigned_token_is_refused(clerk: ClerkInstance, verifier: ClerkVerifier) -> None:
    token = clerk.unsigned_token("user_1")

    assert await rejection(verifier, token) == "The session token must be signed with RS256."


async def test_a_token_signed_with_hs256_using_the_public_key_as_secret_is_refused(
    clerk: ClerkInstance, verifier: ClerkVerifier
) -> None:
    token = clerk.hs256_token_keyed_with_the_public_key("user_1")

    assert await rejection(verifier, token) == "The session token must be signed with RS256."


async def test_a_token_with_a_tampered_payload_is_refused(
    clerk: ClerkInstance, verifier: ClerkVerifier
) -> None:
    token = clerk.tampered_token("user_1", sub="user_admin")

    assert await rejection(verifier, token) == "The session token is invalid."


async def test_a_token_signed_by_another_key_is_refused(verifier: ClerkVerifier) -> None:
    impostor = ClerkInstance()

    token = impostor.token(impostor.claims("user_1"))

    assert await rejection(verifier, token) == "The session token is invalid."


async def test_a_token_without_expiry_is_refused(
    clerk: ClerkInstance, verifier: ClerkVerifier
) -> None:
    token = clerk.token(clerk.claims("user_1", exp=None))

    assert await rejection(verifier, token) == "The session token is invalid."


# ---------------------------------------------------------------- JWKS


async def test_jwks_keys_are_fetched_once_for_many_tokens(
    clerk: ClerkInstance, jwks: respx.Route, jwks_verifier: ClerkVerifier
) -> None:
    await jwks_verifier.verify(clerk.token(clerk.claims("user_1")))
    await jwks_verifier.verify(clerk.token(clerk.claims("user_2")))

    assert jwks.call_count == 1


async def test_a_token_without_a_key_id_is_refused_with_jwks(
    clerk: ClerkInstance, jwks: respx.Route, jwks_verifier: ClerkVerifier
) -> None:
    token = jwt.encode(clerk.claims("user_1"), clerk.private_key, algorithm="RS256")

    assert await rejection(jwks_verifier, token) == "The session token names no signing key."


# ---------------------------------------------------------------- routing and settings


def test_a_configured_issuer_accepts_only_its_own_tokens(verifier: ClerkVerifier) -> None:
    assert verifier.accepts({"iss": ISSUER})
    assert not verifier.accepts({"iss": "https://clerk.other.test"})


@pytest.mark.parametrize(
    ("issuer", "accepted"),
    [
        ("https://clerk.example.com", True),
        ("https://happy-cat-12.clerk.accounts.dev", True),
        ("http://clerk.example.com", False),
        ("https://sheetbrain.example.com", False),
        (None, False),
    ],
)
def test_without_a_configured_issuer_clerk_hosted_issuers_are_accepted(
    clerk: ClerkInstance, issuer: str | None, accepted: bool
) -> None:
    verifier = ClerkVerifier(load_pem(clerk.public_pem()))

    assert verifier.accepts({"iss": issuer}) is accepted


def settings(**values: object) -> Settings:
    return Settings(mode="local", _env_file=None, **values)  # type: ignore[call-arg]


def test_no_clerk_key_source_configures_no_keys() -> None:
    assert clerk_keys(settings()) is None


async def test_the_jwks_url_defaults_to_the_issuers_well_known_path() -> None:
    keys = clerk_keys(settings(clerk_issuer=ISSUER))

    assert isinstance(keys, JwksCache)
    await keys.close()
    assert keys.url == JWKS_URL
