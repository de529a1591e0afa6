"""The audit: request normalisation, the two-round-trip flow, the add-ons' answer."""

from sheetbrain.audit.answer import AuditAnswer, risk_level
from sheetbrain.audit.request import AuditInput, AuditRequestBody, SheetContext, normalise
from sheetbrain.audit.service import AuditResult, run_audit

__all__ = [
    "AuditAnswer",
    "AuditInput",
    "AuditRequestBody",
    "AuditResult",
    "SheetContext",
    "normalise",
    "risk_level",
    "run_audit",
]
