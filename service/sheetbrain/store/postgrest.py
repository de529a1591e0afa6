"""supabase-py transport: SQL functions through PostgREST (`POST /rest/v1/rpc/<fn>`).

Service calls use the service-role key. Member reads carry a short-lived Supabase JWT
signed with the project's JWT secret, holding the caller's verified claims and
`role: authenticated`, so PostgREST sets them and RLS applies.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx
import jwt
from postgrest import APIError
from supabase import AsyncClient

from sheetbrain.store.errors import StoreError, Unavailable, error_from_sqlstate
from sheetbrain.store.gateway import Claims

USER_TOKEN_LIFETIME_SECONDS = 60


class SupabaseTransport:
    """Executes SQL functions through supabase-py's `rpc()`."""

    def __init__(self, client: AsyncClient, jwt_secret: str | None) -> None:
        self.client = client
        self._jwt_secret = jwt_secret

    def user_token(self, claims: Claims) -> str:
        """A Supabase access token for these verified claims (role `authenticated`)."""
        if not self._jwt_secret:
            raise StoreError(message="SUPABASE_JWT_SECRET is needed for member reads")
        now = int(time.time())
        payload = {
            **claims,
            "role": claims.get("role", "authenticated"),
            "aud": "authenticated",
            "iat": now,
            "exp": now + USER_TOKEN_LIFETIME_SECONDS,
        }
        return jwt.encode(payload, self._jwt_secret, algorithm="HS256")

    async def call(self, function: str, args: Mapping[str, Any], claims: Claims | None) -> Any:
        if claims is None:
            request = self.client.rpc(function, dict(args))
        else:
            # `auth()` mutates headers: apply it to a per-call copy sharing the HTTP session.
            postgrest = self.client.postgrest.schema("public")
            postgrest.auth(self.user_token(claims))
            request = postgrest.rpc(function, dict(args))
        try:
            response = await request.execute()
        except APIError as exc:
            raise _error_from_api(exc) from exc
        except httpx.TransportError as exc:
            raise Unavailable(message="the database API is unreachable") from exc
        return response.data

    async def close(self) -> None:
        await self.client.postgrest.aclose()


def _error_from_api(exc: APIError) -> StoreError:
    code = exc.code
    message = exc.message or "database call failed"
    detail = (
        exc.details if isinstance(exc.details, str) or exc.details is None else str(exc.details)
    )
    # A non-PostgREST answer (proxy page, gateway timeout) only carries the HTTP status.
    if code is not None and code.isdigit() and code.startswith("5"):
        return Unavailable(message=f"the database API answered {code}", code=code)
    return error_from_sqlstate(code, message, detail, exc.hint)
