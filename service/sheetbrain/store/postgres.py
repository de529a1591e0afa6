"""psycopg transport: runs SQL functions on Postgres exactly as PostgREST would.

Per call, one transaction: `role` and `request.jwt.claims` are set transaction-locally
to service_role (as PostgREST does for the secret key), the JSON arguments are cast to
the function's parameter types through `json_to_record`, and the answer is returned as
JSON (an array for set-returning functions, else a single value). Works with a
transaction-mode pooler: no session state outlives the transaction and nothing is
prepared across transactions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from sheetbrain.store.errors import StoreError, Unavailable, error_from_sqlstate

SERVICE_ROLE = "service_role"
SERVICE_CLAIMS = json.dumps({"role": SERVICE_ROLE})


class StaleConnection(Exception):
    """The connection failed before the function ran: nothing was done, retrying is safe."""


@dataclass(frozen=True)
class FunctionSignature:
    """What PostgREST reads from its schema cache to call a function."""

    name: str
    parameter_types: Mapping[str, str]
    returns_set: bool


_SIGNATURE_QUERY = """
select p.proretset,
       coalesce(array_agg(a.name order by a.ordinality)
                filter (where a.name is not null), '{}') as names,
       coalesce(array_agg(pg_catalog.format_type(a.type_oid, null) order by a.ordinality)
                filter (where a.name is not null), '{}') as types
from pg_catalog.pg_proc p
join pg_catalog.pg_namespace n on n.oid = p.pronamespace
left join lateral (
    select arg.name, arg.type_oid, arg.ordinality
    from unnest(coalesce(p.proargnames, '{}'::text[]),
                coalesce(p.proallargtypes, p.proargtypes::oid[]),
                coalesce(p.proargmodes, array_fill('i'::"char", array[p.pronargs])))
         with ordinality as arg(name, type_oid, mode, ordinality)
    where arg.mode in ('i', 'b', 'v')
) a on true
where n.nspname = 'public' and p.proname = %s
group by p.oid, p.proretset
"""


def build_call(signature: FunctionSignature, arg_names: list[str]) -> sql.Composed:
    """`select <json> from public.fn(a => _args.a, ...) _r` with args cast via json_to_record."""
    unknown = [name for name in arg_names if name not in signature.parameter_types]
    if unknown:
        raise StoreError(
            message=f"public.{signature.name} has no parameter named {', '.join(unknown)}",
            code="PGRST202",
        )
    record_columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(signature.parameter_types[name]))
        for name in arg_names
    )
    call_args = sql.SQL(", ").join(
        sql.SQL("{} => _args.{}").format(sql.Identifier(name), sql.Identifier(name))
        for name in arg_names
    )
    answer = (
        sql.SQL("coalesce(json_agg(_r), '[]'::json)")
        if signature.returns_set
        else sql.SQL("to_json(_r)")
    )
    source = (
        sql.SQL("json_to_record(%s::json) as _args({}), ").format(record_columns)
        if arg_names
        else sql.SQL("")
    )
    return sql.SQL("select {answer} from {source}lateral public.{fn}({args}) _r").format(
        answer=answer, source=source, fn=sql.Identifier(signature.name), args=call_args
    )


class PostgresTransport:
    """Executes SQL functions over a psycopg async pool (local mode and tests)."""

    def __init__(self, pool: AsyncConnectionPool[psycopg.AsyncConnection[TupleRow]]) -> None:
        self.pool = pool
        # Function signatures are schema metadata, identical for every replica; caching
        # them changes no result, only saves a catalog read per call.
        self._signatures: dict[str, FunctionSignature] = {}

    async def call(self, function: str, args: Mapping[str, Any]) -> Any:
        # A pooled connection may have died while idle (server restart, failover). The
        # first attempt's failure then happens before the function ran, so one retry on
        # a fresh connection is safe; a failure after that point is never retried.
        for attempt in range(2):
            try:
                async with self.pool.connection() as conn:
                    return await execute_function(conn, self._signatures, function, args)
            except StaleConnection as exc:
                if attempt == 1:
                    raise Unavailable(message="the database is unreachable") from exc
                await self.pool.check()  # drop the other idle connections that died too
            except psycopg.OperationalError as exc:
                raise Unavailable(message="the database is unreachable") from exc
            except TimeoutError as exc:  # pool exhausted or connect timeout
                raise Unavailable(message="no database connection became available") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        await self.pool.close()


async def execute_function(
    conn: psycopg.AsyncConnection[TupleRow],
    signatures: dict[str, FunctionSignature],
    function: str,
    args: Mapping[str, Any],
) -> Any:
    """Run one function call as service_role in its own transaction on `conn`, the
    PostgREST way."""
    function_sent = False
    try:
        async with conn.transaction():
            await conn.execute(
                "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                (SERVICE_ROLE, SERVICE_CLAIMS),
            )
            signature = signatures.get(function)
            if signature is None:
                signature = await _load_signature(conn, function)
                signatures[function] = signature
            arg_names = list(args)
            params = (json.dumps(dict(args), default=str),) if arg_names else ()
            function_sent = True
            cursor = await conn.execute(build_call(signature, arg_names), params)
            row = await cursor.fetchone()
            return None if row is None else row[0]
    except psycopg.OperationalError as exc:
        if not function_sent:
            raise StaleConnection from exc
        raise
    except psycopg.Error as exc:
        diag = exc.diag
        raise error_from_sqlstate(
            exc.sqlstate, diag.message_primary or str(exc), diag.message_detail, diag.message_hint
        ) from exc


async def _load_signature(
    conn: psycopg.AsyncConnection[TupleRow], function: str
) -> FunctionSignature:
    cursor = await conn.execute(_SIGNATURE_QUERY, (function,))
    rows = await cursor.fetchall()
    if len(rows) != 1:
        raise StoreError(
            message=f"expected one function public.{function}, found {len(rows)}",
            code="PGRST202",
        )
    returns_set, names, types = rows[0]
    return FunctionSignature(function, dict(zip(names, types, strict=True)), bool(returns_set))
