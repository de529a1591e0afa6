"""Liveness and readiness."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.response import Response

from sheetbrain import __version__
from sheetbrain.errors import ServiceUnavailable
from sheetbrain.health import readiness
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway


class HealthController(Controller):
    tags = ["health"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get(["/health", "/api/health"], summary="Liveness")
    async def health(self) -> dict[str, Any]:
        # The deployment test page reads `status` and `timestamp`.
        return {"status": "ok", "version": __version__, "timestamp": datetime.now(UTC)}

    @get(
        "/ready",
        operation_id="ready",
        summary="Readiness: configuration complete, database reachable, schema current",
    )
    async def ready(
        self, gateway: NamedDependency[Gateway], settings: NamedDependency[Settings]
    ) -> Response[dict[str, Any]]:
        report = await readiness(gateway, settings)
        if not report.ready:
            raise ServiceUnavailable(
                report.reason, headers={"Retry-After": "5"}, extra=report.as_dict()
            )
        return Response(report.as_dict())
