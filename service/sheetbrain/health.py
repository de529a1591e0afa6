"""Readiness: is the database reachable, and has it every migration this build expects?"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sheetbrain.store.errors import StoreError, Unavailable
from sheetbrain.store.gateway import Gateway
from sheetbrain.store.migrate import discover_migrations, pending_versions


@dataclass(frozen=True)
class Readiness:
    database: Literal["ok", "unreachable", "not-migrated"]
    applied: int = 0
    pending: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.database == "ok" and not self.pending

    @property
    def reason(self) -> str:
        if self.database == "unreachable":
            return "The database is unreachable."
        if self.database == "not-migrated" or self.pending:
            return "The database schema is behind this build: migrations are pending."
        return "Ready."

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "not-ready",
            "database": self.database,
            "migrations": {"applied": self.applied, "pending": self.pending},
        }


async def readiness(gateway: Gateway, supabase_dir: Path) -> Readiness:
    try:
        applied = await gateway.rpc("applied_migrations", {}, list[str])
    except Unavailable:
        return Readiness(database="unreachable")
    except StoreError:
        return Readiness(database="not-migrated")
    # An installed build without the migration files can only check reachability.
    pending = pending_versions(applied, supabase_dir) if discover_migrations(supabase_dir) else []
    return Readiness(database="ok", applied=len(applied), pending=pending)
