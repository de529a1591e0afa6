"""Who is calling: one Identity, whichever credential proved it."""

from __future__ import annotations

from sheetbrain.auth.authenticator import Authenticator, TokenVerifier
from sheetbrain.settings import Settings


def build_authenticator(settings: Settings) -> Authenticator:
    """The verifiers the settings configure, in the order tokens are tried."""
    verifiers: list[TokenVerifier] = []
    return Authenticator(verifiers, trust_local_headers=settings.trusts_identity_headers)
