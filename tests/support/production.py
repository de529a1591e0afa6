"""Production-mode settings for tests, with the add-on's Google sign-in as the identity
source (the start-up checks want one) and Google's keys at the test JWKS URL."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from sheetbrain.settings import Settings
from support.google_id_tokens import CLIENT_ID, JWKS_URL, TOKEN_SECRET


def addon_production_settings(**values: Any) -> Settings:
    """Production settings; `values` names the database and anything else to set."""
    return Settings(
        mode="production",
        host="0.0.0.0",
        token_secret=SecretStr(TOKEN_SECRET),
        google_client_ids=[CLIENT_ID],
        google_jwks_url=JWKS_URL,
        _env_file=None,  # type: ignore[call-arg]
        **values,
    )
