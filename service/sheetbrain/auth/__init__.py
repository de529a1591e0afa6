"""Who is calling: one Identity, whichever credential proved it."""

from __future__ import annotations

from sheetbrain.auth.authenticator import Authenticator, TokenVerifier
from sheetbrain.auth.clerk import ClerkKeys, build_clerk_verifier
from sheetbrain.auth.tokens import build_sheetbrain_verifier
from sheetbrain.settings import Settings


def build_authenticator(settings: Settings, clerk_keys: ClerkKeys | None) -> Authenticator:
    """The verifiers the settings configure, in the order tokens are tried; Clerk's when
    the settings name a key source (`clerk.clerk_keys`)."""
    verifiers: list[TokenVerifier] = []
    if clerk_keys is not None:
        verifiers.append(build_clerk_verifier(settings, clerk_keys))
    sheetbrain = build_sheetbrain_verifier(settings)
    if sheetbrain is not None:
        verifiers.append(sheetbrain)
    return Authenticator(verifiers, trust_local_headers=settings.trusts_identity_headers)
