"""Readiness: is the configuration complete, is the database reachable and does it accept
our key, and has it every migration this build expects?"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sheetbrain.settings import Settings
from sheetbrain.store.errors import Misconfigured, StoreError, Unavailable
from sheetbrain.store.gateway import Gateway
from sheetbrain.store.migrate import discover_migrations, pending_versions


@dataclass(frozen=True)
class Readiness:
    database: Literal["ok", "unreachable", "misconfigured", "not-migrated"]
    applied: int = 0
    pending: list[str] = field(default_factory=list)
    configuration: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.database == "ok" and not self.pending and not self.configuration

    @property
    def reason(self) -> str:
        if self.configuration:
            return "The service is misconfigured: " + "; ".join(self.configuration) + "."
        if self.database == "misconfigured":
            return "The database API refused this service's key: check SUPABASE_SECRET_KEY."
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
            "configuration": {"problems": self.configuration},
        }


async def readiness(gateway: Gateway, settings: Settings) -> Readiness:
    # The start-up checks, again: an app built from settings that skipped validation
    # (create_app with a copied Settings) is judged by the same rules.
    problems = settings.production_problems() if settings.mode == "production" else []
    try:
        applied = await gateway.rpc("applied_migrations", {}, list[str])
    except Misconfigured:
        return Readiness(database="misconfigured", configuration=problems)
    except Unavailable:
        return Readiness(database="unreachable", configuration=problems)
    except StoreError:
        return Readiness(database="not-migrated", configuration=problems)
    # An installed build without the migration files can only check reachability.
    supabase_dir = settings.supabase_dir
    pending = pending_versions(applied, supabase_dir) if discover_migrations(supabase_dir) else []
    return Readiness(database="ok", applied=len(applied), pending=pending, configuration=problems)
