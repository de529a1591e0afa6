"""`POST /api/audit`: the add-ons' main call (see audit/ for the flow)."""

from __future__ import annotations

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, SkipValidation
from litestar.response import Response

from sheetbrain.api.raw_body import RawJsonBody
from sheetbrain.audit import AuditAnswer, AuditLimits, AuditRequestBody, read_request, run_audit
from sheetbrain.identity import Identity
from sheetbrain.review import Reviewer
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway


class AuditController(Controller):
    tags = ["audit"]  # noqa: RUF012 - Litestar reads it as a class attribute

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
