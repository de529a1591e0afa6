"""The audit: request normalisation, the two-round-trip flow, the add-ons' answer."""

from sheetbrain.audit.answer import AuditAnswer, risk_level
from sheetbrain.audit.request import (
    AuditInput,
    AuditLimits,
    AuditRequest,
    AuditRequestBody,
    SheetContext,
    normalise,
    read_request,
)
from sheetbrain.audit.service import AuditResult, run_audit

__all__ = [
    "AuditAnswer",
    "AuditInput",
    "AuditLimits",
    "AuditRequest",
    "AuditRequestBody",
    "AuditResult",
    "SheetContext",
    "normalise",
    "read_request",
    "risk_level",
    "run_audit",
]
