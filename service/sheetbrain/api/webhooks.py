"""Clerk webhooks (delivered and signed by Svix): users, organisations, memberships."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from pydantic import BaseModel

from sheetbrain.auth.clerk_events import MAX_DELIVERY_BYTES, receive_delivery
from sheetbrain.errors import PayloadTooLarge
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway


class WebhookAnswer(BaseModel):
    status: Literal["applied", "stale", "duplicate", "ignored"]


class ClerkWebhookController(Controller):
    tags = ["webhooks"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post(
        # /api/webhooks/clerk is the original backend's URL, kept for existing endpoints.
        ["/api/auth/webhook", "/api/webhooks/clerk"],
        status_code=200,
        summary="Clerk user, organization and membership events (Svix-signed)",
        request_max_body_size=MAX_DELIVERY_BYTES,
    )
    async def clerk_webhook(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        gateway: NamedDependency[Gateway],
    ) -> WebhookAnswer:
        secret = settings.clerk_webhook_secret
        body = await _body(request)
        headers = request.headers
        status = await receive_delivery(
            gateway, secret.get_secret_value() if secret else None, body, headers
        )
        return WebhookAnswer(status=status)


async def _body(request: Request[Any, Any, Any]) -> bytes:
    try:
        return await request.body()
    except RequestEntityTooLarge as exc:
        raise PayloadTooLarge(
            f"A webhook delivery may be at most {MAX_DELIVERY_BYTES // 1024} KiB."
        ) from exc
