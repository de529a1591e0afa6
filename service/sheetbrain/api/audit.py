"""`POST /api/audit`: the add-ons' main call (see audit/ for the flow)."""

from __future__ import annotations

from litestar import Controller, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, SkipValidation
from litestar.response import Response

from sheetbrain.api.raw_body import RawJsonBody
from sheetbrain.audit import AuditAnswer, AuditLimits, AuditRequestBody, read_request, run_audit
from sheetbrain.identity import Identity
from sheetbrain.review import Reviewer, build_reviewer
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway


def provide_reviewer(state: State, settings: NamedDependency[Settings]) -> Reviewer:
    """One reviewer per app (it holds the HTTP client); tests may set `app.state.reviewer`."""
    reviewer: Reviewer | None = state.get("reviewer")
    if reviewer is None:
        reviewer = state.reviewer = build_reviewer(settings)
    return reviewer


class AuditController(Controller):
    tags = ["audit"]  # noqa: RUF012 - Litestar reads it as a class attribute
    dependencies = {"reviewer": Provide(provide_reviewer, sync_to_thread=False)}  # noqa: RUF012

    @post(
        "/api/audit",
        status_code=200,
        operation_id="audit",
        summary="Audit formulas",
        dto=RawJsonBody[AuditRequestBody],
        return_dto=None,
    )
    async def audit(
        self,
        data: JSONBody[bytes],
        settings: NamedDependency[Settings],
        gateway: NamedDependency[Gateway],
        identity: NamedDependency[Identity],
        # A Protocol cannot be checked at runtime: the provider's type is the guarantee.
        reviewer: NamedDependency[SkipValidation[Reviewer]],
    ) -> Response[AuditAnswer]:
        limits = AuditLimits(settings.max_formulas, settings.max_formula_length, settings.max_cells)
        result = await run_audit(await read_request(data, limits), identity, gateway, reviewer)
        return Response(result.answer, headers=dict(result.headers))
