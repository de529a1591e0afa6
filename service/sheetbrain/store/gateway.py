"""The typed door to the database: every read and write is a SQL function call.

`Gateway.rpc()` sends one call through a transport (PostgREST via supabase-py, or
psycopg on a plain Postgres) and validates the JSON answer into a pydantic type.
Every call runs as `service_role`: the service never signs a Supabase JWT. Functions
acting for a caller take the verified identity as an `actor` argument (store.actor).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from pydantic import TypeAdapter

from sheetbrain.metrics import DB_RPC_SECONDS

T = TypeVar("T")


class Transport(Protocol):
    """One way of executing a SQL function the way PostgREST does."""

    async def call(self, function: str, args: Mapping[str, Any]) -> Any:
        """Run `public.<function>` as service_role with named `args`; return its
        JSON-decoded answer."""

    async def close(self) -> None:
        """Release connections."""


_adapters: dict[Any, TypeAdapter[Any]] = {}


def _adapter(result_type: Any) -> TypeAdapter[Any]:
    # Building a TypeAdapter compiles a validator; do it once per result type.
    adapter = _adapters.get(result_type)
    if adapter is None:
        adapter = _adapters[result_type] = TypeAdapter(result_type)
    return adapter


class Gateway:
    """Typed RPC over one transport; the only object the domain uses to reach the database."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    async def rpc(
        self,
        function: str,
        args: Mapping[str, Any],
        result_type: type[T],
    ) -> T:
        with DB_RPC_SECONDS.labels(function=function).time():
            answer = await self.transport.call(function, args)
        validated: T = _adapter(result_type).validate_python(answer)
        return validated

    async def close(self) -> None:
        await self.transport.close()
