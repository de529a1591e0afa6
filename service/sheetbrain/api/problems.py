"""The one map from failures to RFC 9457 problem details (application/problem+json).

Every error body also carries `error` (a string), which the existing add-ons display,
and `code`, a stable machine-readable name. No stack trace ever reaches a client.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from sheetbrain import errors
from sheetbrain.log import get_logger
from sheetbrain.store import errors as store_errors

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:sheetbrain:problem:"

_log = get_logger("sheetbrain.api")

_STORE_TO_APP: dict[type[store_errors.StoreError], type[errors.AppError]] = {
    store_errors.NotFound: errors.NotFound,
    store_errors.Conflict: errors.Conflict,
    store_errors.Forbidden: errors.Forbidden,
    store_errors.InvalidInput: errors.BadRequest,
    store_errors.PaymentRequired: errors.PaymentRequired,
    store_errors.RateLimited: errors.RateLimited,
    store_errors.Unavailable: errors.ServiceUnavailable,
    store_errors.Misconfigured: errors.ServiceUnavailable,
}


def problem(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
        "error": detail,
        **(extra or {}),
    }
    request_id = request.scope.get("state", {}).get("request_id")
    if request_id:
        body["requestId"] = request_id
    return Response(
        content=body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


def app_error_to_problem(request: Request[Any, Any, Any], exc: errors.AppError) -> Response[Any]:
    return problem(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        headers=exc.headers,
        extra=exc.extra,
    )


def store_error_to_problem(
    request: Request[Any, Any, Any], exc: store_errors.StoreError
) -> Response[Any]:
    app_error_type = _STORE_TO_APP.get(type(exc))
    if app_error_type is None:
        _log.error("database_error", code=exc.code, message=exc.message)
        return _internal(request)
    headers = {}
    if isinstance(exc, store_errors.Unavailable):
        headers["Retry-After"] = str(exc.retry_after_seconds)
        _log.warning("database_unavailable", message=exc.message)
    return app_error_to_problem(
        request, app_error_type(exc.message, headers=headers, extra=_store_extra(exc))
    )


def _store_extra(exc: store_errors.StoreError) -> dict[str, Any]:
    # Some SQL functions raise with a custom code and a readable detail; pass it on.
    return {"reason": exc.detail} if exc.detail and exc.code and exc.code.startswith("PT") else {}


def http_exception_to_problem(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    code = phrase.lower().replace(" ", "-")
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        extra["errors"] = [_safe_validation_item(item) for item in exc.extra]
    if status >= 500:
        _log.error("http_error", status=status, detail=exc.detail)
        return _internal(request)
    return problem(
        request,
        status=status,
        code=code,
        title=phrase,
        detail=str(exc.detail),
        headers=dict(exc.headers or {}),
        extra=extra,
    )


def unexpected_to_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    _log.exception("unhandled_error", error_type=type(exc).__name__)
    return _internal(request)


def _internal(request: Request[Any, Any, Any]) -> Response[Any]:
    return problem(
        request,
        status=500,
        code=errors.AppError.code,
        title=errors.AppError.title,
        detail="An unexpected error occurred; it has been logged.",
    )


def _safe_validation_item(item: Any) -> Any:
    # Validation details name the field and the rule, never echo the submitted value.
    if isinstance(item, dict):
        return {key: value for key, value in item.items() if key in ("key", "message", "source")}
    return item


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    errors.AppError: app_error_to_problem,
    store_errors.StoreError: store_error_to_problem,
    HTTPException: http_exception_to_problem,
    Exception: unexpected_to_problem,
}
