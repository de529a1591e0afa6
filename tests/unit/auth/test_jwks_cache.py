"""The one JWKS cache behind Clerk's and Google's verifiers (auth/jwks.py), with respx."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
import respx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from sheetbrain.auth.clerk import ClerkVerifier
from sheetbrain.auth.google import GoogleIdTokens
from sheetbrain.auth.jwks import JwksCache, JwksUnavailable, max_age
from sheetbrain.errors import AppError, ServiceUnavailable, Unauthorized
from support.clerk_tokens import ISSUER, ClerkInstance
from support.google_id_tokens import CLIENT_ID, GoogleAccounts

URL = "https://keys.sheetbrain.test/jwks.json"
OLD, NEW = GoogleAccounts(kid="old"), GoogleAccounts(kid="new")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def cache(clock: Clock) -> AsyncIterator[JwksCache]:
    keys = JwksCache(URL, min_refresh_seconds=30, clock=clock)
    yield keys
    await keys.close()


@pytest.fixture
def jwks() -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as router:
        yield router.get(URL)


def keys_of(*accounts: GoogleAccounts, max_age_seconds: int = 3600) -> httpx.Response:
    return httpx.Response(
        200,
        json={"keys": [key for account in accounts for key in account.jwks()["keys"]]},
        headers={"cache-control": f"public, max-age={max_age_seconds}"},
    )


def is_key_of(key: RSAPublicKey | None, account: GoogleAccounts) -> bool:
    expected = account.private_key.public_key().public_numbers()
    return key is not None and key.public_numbers() == expected


async def test_a_cached_key_is_served_without_another_fetch(
    cache: JwksCache, jwks: respx.Route
) -> None:
    jwks.mock(return_value=keys_of(OLD))

    first = await cache.key_for("old")
    second = await cache.key_for("old")

    assert (is_key_of(first, OLD), is_key_of(second, OLD), jwks.call_count) == (True, True, 1)


async def test_the_keys_are_fetched_again_when_their_max_age_has_passed(
    cache: JwksCache, jwks: respx.Route, clock: Clock
) -> None:
    jwks.mock(return_value=keys_of(OLD, max_age_seconds=100))

    await cache.key_for("old")
    clock.now += 99
    await cache.key_for("old")
    fetches_within_max_age = jwks.call_count
    clock.now += 1
    await cache.key_for("old")

    assert (fetches_within_max_age, jwks.call_count) == (1, 2)


@pytest.mark.parametrize(
    ("cache_control", "seconds"),
    [
        ("public, max-age=19204, must-revalidate, no-transform", 19204),
        ("max-age=60", 60),
        ("public, s-maxage=5, max-age=600", 600),
        ("public", 3600),
        (None, 3600),
    ],
)
def test_the_keys_are_kept_for_the_max_age_cache_control_gives_else_an_hour(
    cache_control: str | None, seconds: float
) -> None:
    assert max_age(cache_control) == seconds


async def test_a_rotated_key_is_found_by_fetching_the_keys_again(
    cache: JwksCache, jwks: respx.Route, clock: Clock
) -> None:
    jwks.mock(side_effect=[keys_of(OLD), keys_of(OLD, NEW)])
    await cache.key_for("old")
    clock.now += 30

    key = await cache.key_for("new")

    assert (is_key_of(key, NEW), jwks.call_count) == (True, 2)


async def test_unknown_key_ids_fetch_the_keys_once_then_wait_for_the_interval(
    cache: JwksCache, jwks: respx.Route, clock: Clock
) -> None:
    jwks.mock(return_value=keys_of(OLD))
    await cache.key_for("old")
    clock.now += 30

    found = [await cache.key_for(f"made-up-{attempt}") for attempt in range(3)]
    fetches_within_the_interval = jwks.call_count
    clock.now += 29
    await cache.key_for("made-up-again")

    assert found == [None, None, None]
    assert (fetches_within_the_interval, jwks.call_count) == (2, 2)


async def test_concurrent_requests_wait_for_one_shared_fetch(
    cache: JwksCache, jwks: respx.Route
) -> None:
    async def slowly(_: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)  # every request is waiting by the time the keys arrive
        return keys_of(OLD)

    jwks.mock(side_effect=slowly)

    found = await asyncio.gather(*(cache.key_for("old") for _ in range(5)))

    assert ([is_key_of(key, OLD) for key in found], jwks.call_count) == ([True] * 5, 1)


async def test_a_failed_fetch_counts_toward_the_interval(
    cache: JwksCache, jwks: respx.Route, clock: Clock
) -> None:
    jwks.mock(side_effect=[httpx.Response(500), keys_of(OLD)])

    failures = []
    for _ in range(2):
        with pytest.raises(JwksUnavailable) as caught:
            await cache.key_for("old")
        failures.append(caught.value.reason)
    fetches_within_the_interval = jwks.call_count
    clock.now += 30
    key = await cache.key_for("old")

    assert failures == ["HTTPStatusError", "HTTPStatusError"]
    assert (fetches_within_the_interval, is_key_of(key, OLD), jwks.call_count) == (1, True, 2)


async def test_a_cached_key_keeps_working_while_the_provider_is_unreachable(
    cache: JwksCache, jwks: respx.Route, clock: Clock
) -> None:
    jwks.mock(side_effect=[keys_of(OLD), httpx.ConnectError("refused")])
    await cache.key_for("old")
    clock.now += 30

    with pytest.raises(JwksUnavailable):
        await cache.key_for("new")
    key = await cache.key_for("old")

    assert (is_key_of(key, OLD), jwks.call_count) == (True, 2)


async def test_closing_the_cache_closes_its_http_client(clock: Clock) -> None:
    keys = JwksCache(URL, clock=clock)

    await keys.close()

    assert keys.is_closed


# ---------------------------------------------------------------- each verifier's problems

CLERK, GOOGLE = ClerkInstance(kid="old"), GoogleAccounts(kid="old")


@dataclass(frozen=True)
class Verifier:
    """One verifier over the cache: how it checks a token, and the words of its problems."""

    verify: Callable[[JwksCache, str], Awaitable[object]]
    token: Callable[[str], str]  # a token signed with the key of this id
    unknown_key: str
    unavailable: str


async def clerk_verify(keys: JwksCache, token: str) -> object:
    return await ClerkVerifier(keys, issuer=ISSUER).verify(token)


async def google_verify(keys: JwksCache, token: str) -> object:
    return await GoogleIdTokens(keys, [CLIENT_ID]).verify(token)


VERIFIERS = {
    "clerk": Verifier(
        clerk_verify,
        lambda kid: CLERK.token(CLERK.claims("user_1"), kid=kid),
        "The session token was signed with an unknown key.",
        "Clerk's signing keys could not be fetched; try again shortly.",
    ),
    "google": Verifier(
        google_verify,
        lambda kid: GOOGLE.id_token("ann@example.com", kid=kid),
        "The Google ID token was signed with an unknown key.",
        "Google's signing keys could not be fetched; try again shortly.",
    ),
}


async def refusal(verifier: Verifier, cache: JwksCache, token: str) -> AppError:
    with pytest.raises(AppError) as caught:
        await verifier.verify(cache, token)
    return caught.value


@pytest.mark.parametrize("name", VERIFIERS)
async def test_an_unreachable_provider_is_each_verifiers_503(
    name: str, cache: JwksCache, jwks: respx.Route
) -> None:
    verifier = VERIFIERS[name]
    jwks.mock(side_effect=httpx.ConnectError("refused"))

    problem = await refusal(verifier, cache, verifier.token("old"))

    assert isinstance(problem, ServiceUnavailable)
    assert (problem.detail, problem.headers) == (verifier.unavailable, {"Retry-After": "5"})


@pytest.mark.parametrize("name", VERIFIERS)
async def test_a_key_the_provider_does_not_publish_is_each_verifiers_401(
    name: str, cache: JwksCache, jwks: respx.Route
) -> None:
    verifier = VERIFIERS[name]
    jwks.mock(return_value=keys_of(NEW))

    problem = await refusal(verifier, cache, verifier.token("old"))

    assert isinstance(problem, Unauthorized)
    assert problem.detail == verifier.unknown_key
