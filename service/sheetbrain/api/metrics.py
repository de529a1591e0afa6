"""`/metrics` in Prometheus text format, behind SHEETBRAIN_METRICS_TOKEN (see metrics.py)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.plugins.prometheus import PrometheusConfig
from litestar.response import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from sheetbrain.metrics import check_scrape_access
from sheetbrain.settings import Settings

# Requests by route template (not raw path: bounded label values) and status, with latency.
PROMETHEUS = PrometheusConfig(app_name="sheetbrain", prefix="sheetbrain", group_path=True)


class MetricsController(Controller):
    @get("/metrics", include_in_schema=False)
    async def metrics(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> Response[bytes]:
        check_scrape_access(settings, request.headers.get("authorization"))
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
