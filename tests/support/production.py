"""Settings for tests with the add-on's Google sign-in configured, Google's keys at the
test JWKS URL: in production mode (the start-up checks want an identity source), or
added to local-mode settings."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from sheetbrain.settings import Settings
from support.google_id_tokens import CLIENT_ID, JWKS_URL, TOKEN_SECRET

ADDON_SIGN_IN: dict[str, Any] = {
    "token_secret": SecretStr(TOKEN_SECRET),
    "google_client_ids": [CLIENT_ID],
    "google_jwks_url": JWKS_URL,
}


def with_addon_sign_in(settings: Settings, **overrides: Any) -> Settings:
    """`settings` with the add-on's Google sign-in configured, then `overrides` set."""
    return settings.model_copy(update={**ADDON_SIGN_IN, **overrides})


def addon_production_settings(**values: Any) -> Settings:
    """Production settings; `values` names the database and anything else to set (or to
    override in the sign-in's configuration)."""
    return Settings(
        mode="production",
        host="0.0.0.0",
        _env_file=None,  # type: ignore[call-arg]
        **{**ADDON_SIGN_IN, **values},
    )
