"""Configuration is validated once at start and explained in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from sheetbrain.settings import REPO_ROOT, Settings, describe_error, variable_name


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_local_mode_is_the_default_and_needs_no_configuration() -> None:
    configured = settings()

    assert (configured.mode, configured.transport, configured.trusts_identity_headers) == (
        "local",
        "embedded",
        True,
    )


def test_local_mode_refuses_a_non_loopback_address() -> None:
    with pytest.raises(ValidationError) as raised:
        settings(host="0.0.0.0")

    assert describe_error(raised.value).startswith(
        "configuration error: SHEETBRAIN_HOST must be a loopback address in local mode"
    )


# Production with the add-on's Google sign-in as identity source, on a direct database.
PRODUCTION: dict[str, object] = {
    "mode": "production",
    "host": "0.0.0.0",
    "database_url": "postgresql://db/x",
    "google_client_ids": ["client.apps.googleusercontent.com"],
    "token_secret": "a-production-token-secret-of-32-bytes-or-more",
}
CLERK = {"clerk_issuer": "https://clerk.example.com"}


def production(**changes: object) -> Settings:
    values = {key: value for key, value in {**PRODUCTION, **changes}.items() if value is not None}
    return settings(**values)


def refusal(**changes: object) -> str:
    with pytest.raises(ValidationError) as raised:
        production(**changes)
    return describe_error(raised.value)


def test_production_mode_without_a_database_is_one_clear_line() -> None:
    assert refusal(database_url=None) == (
        "configuration error: production mode needs a database: set DATABASE_URL, or "
        "SUPABASE_URL with SUPABASE_SECRET_KEY"
    )


def test_a_supabase_url_without_its_secret_key_is_refused() -> None:
    assert refusal(database_url=None, supabase_url="https://x.supabase.co") == (
        "configuration error: SUPABASE_URL needs SUPABASE_SECRET_KEY "
        "(or the legacy SUPABASE_SERVICE_ROLE_KEY)"
    )


def test_a_supabase_url_with_an_sb_secret_key_and_no_jwt_secret_is_complete(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SUPABASE_SECRET_KEY", "sb_secret_0123456789abcdef")

    configured = production(database_url=None, supabase_url="https://x.supabase.co")

    assert configured.transport == "supabase"
    assert configured.supabase_secret_key is not None
    assert configured.supabase_secret_key.get_secret_value() == "sb_secret_0123456789abcdef"


def test_the_legacy_service_role_key_variable_is_still_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", "legacy-service-role-jwt")

    configured = production(database_url=None, supabase_url="https://x.supabase.co")

    assert configured.supabase_secret_key is not None
    assert configured.supabase_secret_key.get_secret_value() == "legacy-service-role-jwt"


def test_production_mode_without_an_identity_source_is_refused() -> None:
    assert refusal(google_client_ids=[], token_secret=None) == (
        "configuration error: production mode needs an identity source: set CLERK_ISSUER "
        "(or CLERK_JWT_KEY) for Clerk session tokens, or GOOGLE_CLIENT_IDS with "
        "SHEETBRAIN_TOKEN_SECRET for the add-on's sign-in"
    )


def test_google_client_ids_without_the_token_secret_are_refused() -> None:
    assert refusal(token_secret=None) == (
        "configuration error: GOOGLE_CLIENT_IDS needs SHEETBRAIN_TOKEN_SECRET "
        "(the add-on's sign-in)"
    )


def test_a_token_secret_without_google_client_ids_is_refused() -> None:
    assert refusal(google_client_ids=[]) == (
        "configuration error: SHEETBRAIN_TOKEN_SECRET needs GOOGLE_CLIENT_IDS "
        "(the add-on's sign-in)"
    )


@pytest.mark.parametrize(
    "clerk",
    [CLERK, {"clerk_jwt_key": "-----BEGIN PUBLIC KEY-----..."}],
    ids=["issuer", "jwt-key"],
)
def test_clerk_without_authorized_parties_is_refused(clerk: dict[str, str]) -> None:
    assert refusal(**clerk) == (
        "configuration error: CLERK_AUTHORIZED_PARTIES must list the origins allowed to "
        "present Clerk session tokens (their azp claim) when Clerk is configured"
    )


def test_clerk_with_its_authorized_parties_is_an_identity_source_on_its_own() -> None:
    configured = production(
        google_client_ids=[],
        token_secret=None,
        clerk_authorized_parties=["https://app.example.com"],
        **CLERK,
    )

    assert configured.clerk_configured is True


def test_every_missing_piece_is_named_on_one_line() -> None:
    message = refusal(database_url=None, google_client_ids=[], token_secret=None)

    assert message.count("\n") == 0
    assert message.startswith(
        "configuration error: production mode needs a database: set DATABASE_URL, or "
        "SUPABASE_URL with SUPABASE_SECRET_KEY; production mode needs an identity source: "
    )


def test_production_mode_never_trusts_identity_headers() -> None:
    assert production().trusts_identity_headers is False


def test_a_bad_value_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEETBRAIN_PORT", "eighty")

    with pytest.raises(ValidationError) as raised:
        settings()

    assert describe_error(raised.value) == (
        "configuration error: SHEETBRAIN_PORT: Input should be a valid integer, "
        "unable to parse string as an integer"
    )


def test_comma_separated_lists_are_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEETBRAIN_CORS_ORIGINS", "https://a.example, https://b.example")

    assert settings().cors_origins == ["https://a.example", "https://b.example"]


def test_a_cors_origin_pattern_that_is_no_regular_expression_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        settings(cors_origin_regex="https://(unclosed")

    assert describe_error(raised.value).startswith(
        "configuration error: SHEETBRAIN_CORS_ORIGIN_REGEX: not a regular expression ("
    )


def test_secrets_never_appear_in_the_settings_repr() -> None:
    configured = production(database_url="postgresql://u:hunter2@db/x")

    assert "hunter2" not in repr(configured)


def test_env_example_documents_every_setting_and_nothing_else() -> None:
    example = (REPO_ROOT / ".env.example").read_text()
    documented = {
        line.split("=", 1)[0] for line in example.splitlines() if line and not line.startswith("#")
    }

    variables = {variable_name(field) for field in Settings.model_fields}

    assert documented == variables


def test_an_empty_value_in_a_copied_env_file_means_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=\nSUPABASE_URL=\n")
    monkeypatch.delenv("DATABASE_URL", raising=False)

    assert Settings(_env_file=env_file).transport == "embedded"  # type: ignore[call-arg]
