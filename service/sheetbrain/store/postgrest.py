"""supabase-py transport: SQL functions through PostgREST (`POST /rest/v1/rpc/<fn>`).

Every call carries the project's secret API key (`sb_secret_...`, or the legacy
service_role JWT), so PostgREST runs it as service_role. No user JWT is ever signed:
new Supabase projects sign with asymmetric keys whose secret cannot be exported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from postgrest import APIError
from supabase import AsyncClient

from sheetbrain.store.errors import Misconfigured, StoreError, Unavailable, error_from_sqlstate

# PostgREST's codes for a token it cannot accept (PGRST300-303: no JWT secret, invalid
# JWT, anonymous access disabled, bad claims).
_CREDENTIAL_CODES = ("PGRST300", "PGRST301", "PGRST302", "PGRST303")


class SupabaseTransport:
    """Executes SQL functions through supabase-py's `rpc()`."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    async def call(self, function: str, args: Mapping[str, Any]) -> Any:
        request = self.client.rpc(function, dict(args))
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
    # Supabase's API gateway refuses a wrong or disabled key with a message and no code.
    if code in _CREDENTIAL_CODES or (code is None and "api key" in message.lower()):
        return Misconfigured(
            message="the database API refused this service's key (SUPABASE_SECRET_KEY)",
            code=code,
        )
    return error_from_sqlstate(code, message, detail, exc.hint)
