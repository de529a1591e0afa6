"""Errors the domain raises; the API turns each into an RFC 9457 problem.

Domain modules raise these (they never import Litestar); `api/problems.py` is the one
place that maps them, and database errors, to HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class AppError(Exception):
    """A failure the caller should hear about, with a stable machine-readable code."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal server error"

    def __init__(
        self,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


class BadRequest(AppError):
    status, code, title = 400, "bad-request", "Bad request"


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Authentication required"


class PaymentRequired(AppError):
    status, code, title = 402, "quota-exceeded", "Plan limit reached"


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict"


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload-too-large", "Request too large"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported-media-type", "Unsupported media type"


class Unprocessable(AppError):
    status, code, title = 422, "unprocessable", "Cannot process this content"


class RateLimited(AppError):
    status, code, title = 429, "rate-limited", "Too many requests"


class NotImplementedYet(AppError):
    status, code, title = 501, "not-implemented", "Not implemented"


class ServiceUnavailable(AppError):
    status, code, title = 503, "service-unavailable", "Service unavailable"


class NotConfigured(ServiceUnavailable):
    """An optional integration (Stripe, Clerk webhooks, add-on sign-in) is not set up here."""

    code, title = "not-configured", "Not configured on this server"
