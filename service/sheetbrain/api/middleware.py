"""Request context: a request id on every log line and response, one access log line;
and, in local mode, the loopback-only Host check."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from sheetbrain.errors import BadRequest
from sheetbrain.log import get_logger
from sheetbrain.settings import is_loopback

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# A Host header: a name or IPv4 address, or a bracketed IPv6 address; an optional port.
_HOST = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[^:\[\]]+)(?::[0-9]{1,5})?")
_log = get_logger("sheetbrain.access")


def request_context_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await app(scope, receive, send_with_request_id)
        finally:
            _log.info(
                "request",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status["code"],
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
            structlog.contextvars.clear_contextvars()

    return middleware


class HostNotAllowed(BadRequest):
    code = "host-not-allowed"


def loopback_host_middleware(app: ASGIApp) -> ASGIApp:
    """Local mode trusts identity headers from whoever reaches it, so it must be reached
    as a loopback host: a web page whose own domain was rebound to 127.0.0.1 (DNS
    rebinding) sends its domain as Host, and is refused here."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and not _is_loopback_host(_header(scope, b"host")):
            raise HostNotAllowed(
                "Local mode answers only requests to 127.0.0.1, localhost or [::1]."
            )
        await app(scope, receive, send)

    return middleware


def _is_loopback_host(host: str | None) -> bool:
    """`127.0.0.1`, `localhost`, `[::1]` (any case), each with an optional port."""
    match = _HOST.fullmatch((host or "").lower())
    return match is not None and is_loopback(match["name"].strip("[]"))


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            decoded: str = value.decode("latin-1")
            return decoded
    return None


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            return candidate if _SAFE_REQUEST_ID.match(candidate) else None
    return None
