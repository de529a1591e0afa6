"""Every setting the service reads, validated once at start (environment or `.env`)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
# The Apps Script HTML service serves add-on sidebars from
# https://n-<id>-0lu-script.googleusercontent.com: production lets them call the API.
APPS_SCRIPT_ORIGIN_REGEX = r"https://[a-z0-9-]+\.googleusercontent\.com"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """The one configuration object; see `.env.example` for every variable."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=True,
    )

    mode: Literal["local", "production"] = Field("local", validation_alias=_env("SHEETBRAIN_MODE"))
    host: str = Field("127.0.0.1", validation_alias=_env("SHEETBRAIN_HOST"))
    port: int = Field(8000, ge=1, le=65535, validation_alias=_env("SHEETBRAIN_PORT"))
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", validation_alias=_env("SHEETBRAIN_LOG_LEVEL")
    )
    log_format: Literal["json", "console"] = Field(
        "json", validation_alias=_env("SHEETBRAIN_LOG_FORMAT")
    )
    max_body_bytes: int = Field(
        10 * 1024 * 1024, gt=0, validation_alias=_env("SHEETBRAIN_MAX_BODY_BYTES")
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("SHEETBRAIN_CORS_ORIGINS")
    )
    cors_origin_regex: str | None = Field(
        None, validation_alias=_env("SHEETBRAIN_CORS_ORIGIN_REGEX")
    )

    # Database: DATABASE_URL (psycopg), else SUPABASE_URL (supabase-py), else embedded (local).
    database_url: SecretStr | None = Field(None, validation_alias=_env("DATABASE_URL"))
    database_pool_size: int = Field(10, ge=1, le=100, validation_alias=_env("DATABASE_POOL_SIZE"))
    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("sheetbrain")),
        validation_alias=_env("SHEETBRAIN_DATA_DIR"),
    )
    supabase_dir: Path = Field(REPO_ROOT / "supabase", validation_alias=_env("SUPABASE_DIR"))
    supabase_url: str | None = Field(None, validation_alias=_env("SUPABASE_URL"))
    # An sb_secret_... API key; the legacy service_role JWT key is accepted under its
    # old name. Every call runs as service_role: no JWT secret is needed (or exportable).
    supabase_secret_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices(
            "SUPABASE_SECRET_KEY",
            "supabase_secret_key",
            "SUPABASE_SERVICE_ROLE_KEY",
            "supabase_service_role_key",
        ),
    )

    # Local mode only: trust the seed guide's x-user-id / x-user-org headers.
    local_identity_headers: bool = Field(
        True, validation_alias=_env("SHEETBRAIN_LOCAL_IDENTITY_HEADERS")
    )

    # Clerk: session tokens (RS256, verified offline) and webhooks (Svix).
    clerk_jwt_key: SecretStr | None = Field(None, validation_alias=_env("CLERK_JWT_KEY"))
    clerk_jwks_url: str | None = Field(None, validation_alias=_env("CLERK_JWKS_URL"))
    clerk_issuer: str | None = Field(None, validation_alias=_env("CLERK_ISSUER"))
    clerk_authorized_parties: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("CLERK_AUTHORIZED_PARTIES")
    )
    clerk_webhook_secret: SecretStr | None = Field(
        None, validation_alias=_env("CLERK_WEBHOOK_SECRET")
    )

    # The add-on's own sign-in: Google ID token exchanged for SheetBrain tokens.
    token_secret: SecretStr | None = Field(None, validation_alias=_env("SHEETBRAIN_TOKEN_SECRET"))
    google_client_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("GOOGLE_CLIENT_IDS")
    )
    google_jwks_url: str = Field(
        "https://www.googleapis.com/oauth2/v3/certs", validation_alias=_env("GOOGLE_JWKS_URL")
    )

    # Claude review.
    anthropic_api_key: SecretStr | None = Field(None, validation_alias=_env("ANTHROPIC_API_KEY"))
    anthropic_model: str = Field("claude-sonnet-4-6", validation_alias=_env("ANTHROPIC_MODEL"))
    ai_timeout_seconds: float = Field(
        60.0, gt=0, validation_alias=_env("SHEETBRAIN_AI_TIMEOUT_SECONDS")
    )
    ai_max_concurrency: int = Field(
        4, ge=1, le=32, validation_alias=_env("SHEETBRAIN_AI_MAX_CONCURRENCY")
    )

    # Audit limits.
    max_formulas: int = Field(50_000, ge=1, validation_alias=_env("SHEETBRAIN_MAX_FORMULAS"))
    max_formula_length: int = Field(
        8192, ge=1, validation_alias=_env("SHEETBRAIN_MAX_FORMULA_LENGTH")
    )

    # Policy documents.
    max_upload_bytes: int = Field(
        10 * 1024 * 1024, gt=0, validation_alias=_env("SHEETBRAIN_MAX_UPLOAD_BYTES")
    )

    # Stripe billing.
    stripe_secret_key: SecretStr | None = Field(None, validation_alias=_env("STRIPE_SECRET_KEY"))
    stripe_webhook_secret: SecretStr | None = Field(
        None, validation_alias=_env("STRIPE_WEBHOOK_SECRET")
    )
    stripe_price_pro: str | None = Field(None, validation_alias=_env("STRIPE_PRICE_PRO"))
    stripe_price_enterprise: str | None = Field(
        None, validation_alias=_env("STRIPE_PRICE_ENTERPRISE")
    )
    public_url: str = Field("http://127.0.0.1:8000", validation_alias=_env("SHEETBRAIN_PUBLIC_URL"))

    # Operations.
    metrics_token: SecretStr | None = Field(None, validation_alias=_env("SHEETBRAIN_METRICS_TOKEN"))

    @field_validator("cors_origins", "clerk_authorized_parties", "google_client_ids", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origin_regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression ({exc})") from exc
        return value

    @field_validator("token_secret")
    @classmethod
    def _long_token_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # HS256 is only as strong as its key: RFC 7518 asks for at least 256 bits.
        if value is not None and len(value.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes (e.g. `openssl rand -base64 48`)")
        return value

    @model_validator(mode="after")
    def _check_mode(self) -> Settings:
        if self.mode == "local":
            if not _is_loopback(self.host):
                raise ValueError(
                    "SHEETBRAIN_HOST must be a loopback address in local mode "
                    "(local mode trusts identity headers); set SHEETBRAIN_MODE=production"
                )
            return self
        problems = self.production_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def production_problems(self) -> list[str]:
        """What keeps this configuration from serving in production, one line each."""
        found = (check(self) for check in PRODUCTION_CHECKS)
        return [problem for problem in found if problem is not None]

    @property
    def clerk_configured(self) -> bool:
        """Clerk session tokens can be verified (an issuer to find the keys, or a key)."""
        return any((self.clerk_issuer, self.clerk_jwt_key, self.clerk_jwks_url))

    @property
    def cors_origin_pattern(self) -> str | None:
        """Browser origins allowed by pattern: the setting, else in production the
        add-on sidebars' (Apps Script HTML service) origins."""
        if self.cors_origin_regex is not None:
            return self.cors_origin_regex
        return APPS_SCRIPT_ORIGIN_REGEX if self.mode == "production" else None

    @property
    def trusts_identity_headers(self) -> bool:
        return self.mode == "local" and self.local_identity_headers

    @property
    def transport(self) -> Literal["postgres", "supabase", "embedded"]:
        if self.database_url is not None:
            return "postgres"
        if self.supabase_url is not None:
            return "supabase"
        return "embedded"


# Production start-up checks: each answers the one line that names what is missing.


def _database_configured(settings: Settings) -> str | None:
    if settings.database_url is not None:
        return None
    if settings.supabase_url is None:
        return (
            "production mode needs a database: set DATABASE_URL, or SUPABASE_URL with "
            "SUPABASE_SECRET_KEY"
        )
    if settings.supabase_secret_key is None:
        return "SUPABASE_URL needs SUPABASE_SECRET_KEY (or the legacy SUPABASE_SERVICE_ROLE_KEY)"
    return None


def _identity_source_configured(settings: Settings) -> str | None:
    if settings.google_client_ids and settings.token_secret is None:
        return "GOOGLE_CLIENT_IDS needs SHEETBRAIN_TOKEN_SECRET (the add-on's sign-in)"
    if settings.token_secret is not None and not settings.google_client_ids:
        return "SHEETBRAIN_TOKEN_SECRET needs GOOGLE_CLIENT_IDS (the add-on's sign-in)"
    if settings.clerk_configured or settings.google_client_ids:
        return None
    return (
        "production mode needs an identity source: set CLERK_ISSUER (or CLERK_JWT_KEY) for "
        "Clerk session tokens, or GOOGLE_CLIENT_IDS with SHEETBRAIN_TOKEN_SECRET for the "
        "add-on's sign-in"
    )


def _clerk_authorized_parties_listed(settings: Settings) -> str | None:
    if settings.clerk_configured and not settings.clerk_authorized_parties:
        return (
            "CLERK_AUTHORIZED_PARTIES must list the origins allowed to present Clerk "
            "session tokens (their azp claim) when Clerk is configured"
        )
    return None


PRODUCTION_CHECKS: tuple[Callable[[Settings], str | None], ...] = (
    _database_configured,
    _identity_source_configured,
    _clerk_authorized_parties_listed,
)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def variable_name(field_name: str) -> str:
    """The environment variable that sets this field."""
    field = Settings.model_fields.get(field_name)
    alias = field.validation_alias if field else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field_name.upper()


def describe_error(error: ValidationError) -> str:
    """One readable line for a configuration error (never echoes secret values)."""
    parts = []
    for item in error.errors(include_input=False, include_url=False):
        message = item["msg"].removeprefix("Value error, ")
        variable = variable_name(str(item["loc"][0])) if item["loc"] else ""
        parts.append(f"{variable}: {message}" if variable else message)
    return "configuration error: " + "; ".join(parts)
