"""Who is calling: one Identity, whichever credential proved it."""

from __future__ import annotations

from sheetbrain.auth.authenticator import Authenticator, TokenVerifier
from sheetbrain.auth.clerk import build_clerk_verifier
from sheetbrain.auth.tokens import build_sheetbrain_verifier
from sheetbrain.settings import Settings


def build_authenticator(settings: Settings) -> Authenticator:
    """The verifiers the settings configure, in the order tokens are tried."""
    verifiers: list[TokenVerifier] = []
    clerk = build_clerk_verifier(settings)
    if clerk is not None:
        verifiers.append(clerk)
    sheetbrain = build_sheetbrain_verifier(settings)
    if sheetbrain is not None:
        verifiers.append(sheetbrain)
    return Authenticator(verifiers, trust_local_headers=settings.trusts_identity_headers)
