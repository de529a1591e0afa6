"""`GET /admin`: the organization's dashboard, rendered on the server (no JavaScript)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from sheetbrain.api.deps import provide_identity
from sheetbrain.identity import DEMO_IDENTITY, Identity
from sheetbrain.settings import Settings
from sheetbrain.stats.dashboard import load_dashboard, usage_chart
from sheetbrain.store.gateway import Gateway

ADMIN_TEMPLATES = TemplateConfig(
    directory=Path(__file__).parent / "templates", engine=JinjaTemplateEngine
)


async def provide_dashboard_identity(request: Request[Any, Any, Any], state: State) -> Identity:
    """The caller; in local mode, the demo admin when the request names nobody."""
    settings: Settings = state.settings
    names_someone = "authorization" in request.headers or "x-user-id" in request.headers
    if settings.trusts_identity_headers and not names_someone:
        return DEMO_IDENTITY
    return await provide_identity(request, state)


class AdminController(Controller):
    dependencies = {"viewer": Provide(provide_dashboard_identity)}  # noqa: RUF012

    @get("/admin", include_in_schema=False)
    async def dashboard(
        self, gateway: NamedDependency[Gateway], viewer: NamedDependency[Identity]
    ) -> Template:
        data = await load_dashboard(gateway, viewer)
        context = {"data": data, "chart": usage_chart(data.usage), "viewer": viewer}
        return Template(template_name="admin.html", context=context)
