"""One cache of an identity provider's signing keys (a JWKS), for Clerk and Google alike.

Keys are fetched on first use and kept for the `Cache-Control: max-age` the provider
sends (`DEFAULT_MAX_AGE_SECONDS` without one). A token naming a key id the cache lacks
(the provider rotated its keys) fetches them again before the cache expires. Either way
the cache fetches at most once per `min_refresh_seconds`, and a failed fetch counts, so
neither tokens with made-up key ids nor an unreachable provider turn every request into
a fetch. Between a failed fetch and the next attempt, a key the cache still holds (and
whose max-age has not passed) keeps working; any other key is `JwksUnavailable` again.

`key_for` says only "this key", "no such key" (None) or `JwksUnavailable`;
`verified_key` turns those into the problems a verifier answers with, in its own words
(401s naming its kind of token, a 503 naming its provider).
"""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
import time
from collections.abc import Callable

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from sheetbrain.auth.authenticator import unauthorized
from sheetbrain.errors import ServiceUnavailable
from sheetbrain.log import get_logger

FETCH_TIMEOUT_SECONDS = 5.0
DEFAULT_MAX_AGE_SECONDS = 3600.0
MIN_REFRESH_SECONDS = 30.0

_MAX_AGE = re.compile(r"(?:^|[,\s])max-age=(\d+)")
_log = get_logger("sheetbrain.auth")


class JwksUnavailable(Exception):
    """The keys could not be fetched; `reason` names the failure's type (safe to log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JwksCache:
    """The RSA keys a JWKS endpoint publishes, by key id; owns its HTTP client."""

    def __init__(
        self,
        url: str,
        *,
        min_refresh_seconds: float = MIN_REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._min_refresh_seconds = min_refresh_seconds
        self._clock = clock
        self._http = httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS, verify=_tls_context())
        self._by_kid: dict[str, RSAPublicKey] = {}
        self._fresh_until = float("-inf")
        self._attempted_at: float | None = None
        self._failure: str | None = None  # why the last attempt failed; None after a success
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str) -> RSAPublicKey | None:
        """The key named `kid`, or None when the provider publishes no such key."""
        # While a fetch is under way, wait for its keys rather than judge the old ones.
        if self._lock.locked() or self._fetch_due(kid):
            async with self._lock:
                if self._fetch_due(kid):
                    await self._fetch()
        key = self._by_kid.get(kid)
        if self._failure is not None and (key is None or self._expired()):
            raise JwksUnavailable(self._failure)
        return key

    async def verified_key(self, kid: object, *, provider: str, credential: str) -> RSAPublicKey:
        """The key a token's header names, or the problem its verifier answers with: 401
        "`credential` names no signing key" / "... was signed with an unknown key", 503
        "`provider`'s signing keys could not be fetched"."""
        if not isinstance(kid, str) or not kid:
            raise unauthorized(f"{credential} names no signing key.")
        try:
            key = await self.key_for(kid)
        except JwksUnavailable as exc:
            _log.warning(f"{provider.lower()}_jwks_unavailable", error_type=exc.reason)
            raise ServiceUnavailable(
                f"{provider}'s signing keys could not be fetched; try again shortly.",
                headers={"Retry-After": "5"},
            ) from exc
        if key is None:
            raise unauthorized(f"{credential} was signed with an unknown key.")
        return key

    async def close(self) -> None:
        await self._http.aclose()

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    def _expired(self) -> bool:
        return self._clock() >= self._fresh_until

    def _fetch_due(self, kid: str) -> bool:
        if self._attempted_at is None:
            return True
        if self._clock() - self._attempted_at < self._min_refresh_seconds:
            return False
        return self._failure is not None or self._expired() or kid not in self._by_kid

    async def _fetch(self) -> None:
        self._attempted_at = self._clock()
        try:
            response = await self._http.get(self.url)
            response.raise_for_status()
            key_set = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            self._failure = type(exc).__name__
            raise JwksUnavailable(self._failure) from exc
        self._by_kid = {
            key.key_id: key.key
            for key in key_set.keys
            if key.key_id is not None and isinstance(key.key, RSAPublicKey)
        }
        self._failure = None
        self._fresh_until = self._attempted_at + max_age(response.headers.get("cache-control"))


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds: every app builds a cache per
    # provider, so they share one context (what httpx builds for each client otherwise).
    return httpx.create_ssl_context()


def max_age(cache_control: str | None) -> float:
    """Seconds a `Cache-Control` header lets the keys be kept."""
    match = _MAX_AGE.search(cache_control or "")
    return float(match.group(1)) if match else DEFAULT_MAX_AGE_SECONDS
