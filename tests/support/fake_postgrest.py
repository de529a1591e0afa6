"""A stand-in for a 2026 Supabase project's API, so the supabase-py transport runs
against real Postgres.

respx routes `POST {url}/rest/v1/rpc/<fn>` here. Like a project on the new API keys
whose JWTs are signed with asymmetric keys: the `apikey` must be the project's secret
key (else 401 "Invalid API key", no code, as Supabase's gateway answers), and the
bearer must be that key too, which runs the call as service_role. Any other bearer, an
HS256 member token signed with some legacy JWT secret included, cannot be verified:
401 PGRST301. The call then runs on the test database through the same executor as
the psycopg transport, and errors come back in PostgREST's JSON shape and status.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import psycopg
import respx

from sheetbrain.store.errors import StoreError
from sheetbrain.store.postgres import FunctionSignature, execute_function

SERVICE_KEY = "sb_secret_test-service-role-key"


def postgrest_status(code: str | None) -> int:
    """The HTTP status PostgREST answers for a SQLSTATE."""
    if code is None:
        return 500
    if code.startswith("PT") and code[2:].isdigit():
        return int(code[2:])
    if code in ("23503", "23505"):
        return 409
    if code == "42501":
        return 403
    if code in ("42883", "PGRST202"):
        return 404
    if code[:2] in ("08", "53"):
        return 503
    if code[:2] in ("22", "23") or code == "P0001":
        return 400
    return 500


class FakePostgrest:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._signatures: dict[str, FunctionSignature] = {}

    def install(self, router: respx.MockRouter, base_url: str) -> None:
        router.post(url__regex=rf"^{base_url}/rest/v1/rpc/(?P<function>\w+)$").mock(
            side_effect=self.handle
        )

    async def handle(self, request: httpx.Request, function: str) -> httpx.Response:
        if request.headers.get("apikey") != SERVICE_KEY:
            return httpx.Response(
                401,
                json={
                    "message": "Invalid API key",
                    "hint": "Double check your Supabase `anon` or `service_role` API key.",
                },
            )
        if request.headers.get("authorization") != f"Bearer {SERVICE_KEY}":
            return httpx.Response(
                401,
                json={"code": "PGRST301", "message": "No suitable key or wrong key type"},
            )
        args = json.loads(request.content or b"{}")
        self.calls.append((function, args))
        async with await psycopg.AsyncConnection.connect(
            self.database_url, autocommit=True
        ) as conn:
            try:
                data = await execute_function(conn, self._signatures, function, args)
            except StoreError as exc:
                body = {
                    "code": exc.code,
                    "message": exc.message,
                    "details": exc.detail,
                    "hint": exc.hint,
                }
                return httpx.Response(postgrest_status(exc.code), json=body)
        return httpx.Response(200, json=data)
