"""The add-on's sign-in: Google ID token exchange, refresh, logout, me, and local debug login.

Field names are the add-ons' wire names (camelCase), exactly as they send and read them.
"""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sheetbrain.auth.authenticator import bearer_token
from sheetbrain.auth.google import GoogleIdTokens, sign_in_with_google
from sheetbrain.auth.sessions import (
    CallerProfile,
    SignInLimits,
    TokenPair,
    caller_profile,
    end_session,
    local_sign_in,
    refresh_session,
)
from sheetbrain.auth.tokens import (
    TOKEN_TYPE,
    AccessTokens,
    AddonRole,
    addon_role,
    org_role_from_addon,
)
from sheetbrain.errors import NotFound
from sheetbrain.identity import Identity
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway

_TOKEN_CHARS = 8192
# What the standalone add-on really sends as ids: an email (with `+`) for the user, an
# organisation name with spaces or punctuation. Stored as given: any printable text, not
# blank, no control characters.
_NO_CONTROL_CHARS = r"^[^\x00-\x1f\x7f-\x9f]*$"
_PRINTABLE_ID = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
_ID_CHARS = 256


class TokenRequest(BaseModel):
    """`{idToken}` signs in; `{refreshToken}` (the original add-on's call) refreshes."""

    model_config = ConfigDict(extra="ignore")

    idToken: str | None = Field(None, min_length=1, max_length=_TOKEN_CHARS)
    refreshToken: str | None = Field(None, min_length=1, max_length=_TOKEN_CHARS)

    @model_validator(mode="after")
    def _exactly_one(self) -> TokenRequest:
        if (self.idToken is None) == (self.refreshToken is None):
            raise ValueError("send exactly one of idToken, refreshToken")
        return self


class TokenResponse(BaseModel):
    success: Literal[True] = True
    accessToken: str
    refreshToken: str
    expiresIn: int
    tokenType: str = TOKEN_TYPE

    @classmethod
    def of(cls, pair: TokenPair) -> TokenResponse:
        return cls(
            accessToken=pair.access_token,
            refreshToken=pair.refresh_token,
            expiresIn=pair.expires_in,
        )


class LogoutRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    refreshToken: str | None = Field(None, min_length=1, max_length=_TOKEN_CHARS)


class LogoutResponse(BaseModel):
    success: Literal[True] = True
    revoked: int


class DebugLoginRequest(BaseModel):
    """The original standalone add-on's login body; no orgId means the personal workspace."""

    model_config = ConfigDict(extra="ignore")

    userId: str = Field(max_length=_ID_CHARS, pattern=_PRINTABLE_ID)
    email: str | None = Field(None, max_length=320, pattern=_NO_CONTROL_CHARS)
    orgId: str | None = Field(None, max_length=_ID_CHARS, pattern=_PRINTABLE_ID)
    role: AddonRole = "admin"

    def identity(self) -> Identity:
        return Identity(
            user_id=self.userId,
            org_id=self.orgId or self.userId,
            org_role=org_role_from_addon(self.role),
            source="local",
            email=self.email or None,
            personal=self.orgId is None,
        )


class MeUser(BaseModel):
    id: str
    email: str | None
    name: str | None


class MeOrganization(BaseModel):
    id: str
    name: str | None
    role: AddonRole
    orgRole: str
    personal: bool


class MeResponse(BaseModel):
    user: MeUser
    organization: MeOrganization

    @classmethod
    def of(cls, profile: CallerProfile) -> MeResponse:
        identity = profile.identity
        return cls(
            user=MeUser(id=identity.user_id, email=profile.email, name=profile.name),
            organization=MeOrganization(
                id=identity.org_id,
                name=profile.org_name,
                role=addon_role(identity.org_role),
                orgRole=identity.org_role,
                personal=identity.personal,
            ),
        )


def provide_access_tokens(settings: NamedDependency[Settings]) -> AccessTokens:
    return AccessTokens.from_settings(settings)


def local_mode_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Outside local mode the debug login does not exist (checked before the body is read)."""
    settings: Settings = connection.app.state.settings
    if not settings.trusts_identity_headers:
        raise NotFound(f"No route {connection.url.path}.")


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]  # noqa: RUF012 - Litestar reads it as a class attribute
    dependencies = {  # noqa: RUF012 - Litestar reads it as a class attribute
        "access_tokens": Provide(provide_access_tokens, sync_to_thread=False),
    }

    @post(
        "/token",
        status_code=200,
        operation_id="authToken",
        summary="Exchange a Google ID token (or a refresh token) for SheetBrain tokens",
    )
    async def token(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TokenRequest],
        gateway: NamedDependency[Gateway],
        access_tokens: NamedDependency[AccessTokens],
        google: NamedDependency[GoogleIdTokens],
        settings: NamedDependency[Settings],
    ) -> TokenResponse:
        limits = SignInLimits.from_settings(settings)
        client_ip = request.client.host if request.client else None
        if data.idToken is not None:
            pair = await sign_in_with_google(
                gateway, google, access_tokens, data.idToken, limits=limits, client_ip=client_ip
            )
        else:
            pair = await refresh_session(
                gateway, access_tokens, data.refreshToken or "", limits=limits, client_ip=client_ip
            )
        return TokenResponse.of(pair)

    @post(
        "/logout",
        status_code=200,
        operation_id="authLogout",
        summary="Revoke a sign-in (refresh token in the body, or the bearer access token)",
    )
    async def logout(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        access_tokens: NamedDependency[AccessTokens],
        data: JSONBody[LogoutRequest | None] = None,
    ) -> LogoutResponse:
        refresh_token = data.refreshToken if data is not None else None
        access_token = bearer_token(request.headers)
        revoked = await end_session(
            gateway, access_tokens, refresh_token=refresh_token, access_token=access_token
        )
        return LogoutResponse(revoked=revoked)

    @get("/me", operation_id="authMe", summary="The caller, with organization and role")
    async def me(
        self, gateway: NamedDependency[Gateway], identity: NamedDependency[Identity]
    ) -> MeResponse:
        return MeResponse.of(await caller_profile(gateway, identity))

    @post(
        "/debug-login",
        status_code=200,
        guards=[local_mode_only],
        include_in_schema=False,
        operation_id="authDebugLogin",
    )
    async def debug_login(
        self,
        data: JSONBody[DebugLoginRequest],
        gateway: NamedDependency[Gateway],
        access_tokens: NamedDependency[AccessTokens],
    ) -> TokenResponse:
        pair = await local_sign_in(gateway, access_tokens, data.identity())
        return TokenResponse.of(pair)
