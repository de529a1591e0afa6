"""Every setting the service reads, validated once at start (environment or `.env`)."""

from __future__ import annotations

import ipaddress
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

    # Database: DATABASE_URL (psycopg), else SUPABASE_URL (supabase-py), else embedded (local).
    database_url: SecretStr | None = Field(None, validation_alias=_env("DATABASE_URL"))
    database_pool_size: int = Field(10, ge=1, le=100, validation_alias=_env("DATABASE_POOL_SIZE"))
    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("sheetbrain")),
        validation_alias=_env("SHEETBRAIN_DATA_DIR"),
    )
    supabase_dir: Path = Field(REPO_ROOT / "supabase", validation_alias=_env("SUPABASE_DIR"))
    supabase_url: str | None = Field(None, validation_alias=_env("SUPABASE_URL"))
    supabase_service_role_key: SecretStr | None = Field(
        None, validation_alias=_env("SUPABASE_SERVICE_ROLE_KEY")
    )
    supabase_jwt_secret: SecretStr | None = Field(
        None, validation_alias=_env("SUPABASE_JWT_SECRET")
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
    # POST /api/auth/token per minute. Apps Script calls come from Google's addresses,
    # shared by every add-on user: the per-IP limit must leave room for all of them.
    sign_ins_per_minute_per_ip: int = Field(
        300, ge=1, validation_alias=_env("SHEETBRAIN_SIGN_INS_PER_MINUTE_PER_IP")
    )
    sign_ins_per_minute_per_account: int = Field(
        10, ge=1, validation_alias=_env("SHEETBRAIN_SIGN_INS_PER_MINUTE_PER_ACCOUNT")
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
    max_cells: int = Field(200_000, ge=1, validation_alias=_env("SHEETBRAIN_MAX_CELLS"))

    # Policy documents.
    max_upload_bytes: int = Field(
        10 * 1024 * 1024, gt=0, validation_alias=_env("SHEETBRAIN_MAX_UPLOAD_BYTES")
    )
    extraction_timeout_seconds: float = Field(
        15.0, gt=0, le=300, validation_alias=_env("SHEETBRAIN_EXTRACTION_TIMEOUT_SECONDS")
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
            if not is_loopback(self.host):
                raise ValueError(
                    "SHEETBRAIN_HOST must be a loopback address in local mode "
                    "(local mode trusts identity headers); set SHEETBRAIN_MODE=production"
                )
            return self
        if self.database_url is None and self.supabase_url is None:
            raise ValueError("production mode needs DATABASE_URL or SUPABASE_URL")
        if self.supabase_url is not None and self.supabase_service_role_key is None:
            raise ValueError("SUPABASE_URL needs SUPABASE_SERVICE_ROLE_KEY")
        if self.clerk_jwt_key or self.clerk_jwks_url or self.clerk_issuer:
            # Without them any Clerk-hosted instance's tokens, issued to any application,
            # would be accepted.
            if not self.clerk_issuer:
                raise ValueError("production mode with Clerk needs CLERK_ISSUER")
            if not self.clerk_authorized_parties:
                raise ValueError("production mode with Clerk needs CLERK_AUTHORIZED_PARTIES")
        return self

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


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback IP address (127.0.0.0/8, ::1)."""
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
