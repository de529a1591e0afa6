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


def test_production_mode_without_a_database_is_one_clear_line() -> None:
    with pytest.raises(ValidationError) as raised:
        settings(mode="production")

    assert describe_error(raised.value) == (
        "configuration error: production mode needs DATABASE_URL or SUPABASE_URL"
    )


def test_production_mode_never_trusts_identity_headers() -> None:
    configured = settings(mode="production", host="0.0.0.0", database_url="postgresql://db/x")

    assert configured.trusts_identity_headers is False


def test_a_supabase_url_without_its_service_key_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        settings(mode="production", supabase_url="https://x.supabase.co")

    assert describe_error(raised.value) == (
        "configuration error: SUPABASE_URL needs SUPABASE_SERVICE_ROLE_KEY"
    )


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


def test_secrets_never_appear_in_the_settings_repr() -> None:
    configured = settings(mode="production", database_url="postgresql://u:hunter2@db/x")

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


@pytest.mark.parametrize(
    ("clerk", "missing"),
    [
        ({"clerk_jwks_url": "https://clerk.example.com/.well-known/jwks.json"}, "CLERK_ISSUER"),
        (
            {"clerk_issuer": "https://clerk.example.com"},
            "CLERK_AUTHORIZED_PARTIES",
        ),
    ],
    ids=["no-issuer", "no-authorized-parties"],
)
def test_production_with_clerk_refuses_to_start_without_issuer_and_authorized_parties(
    clerk: dict[str, object], missing: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        settings(mode="production", host="0.0.0.0", database_url="postgresql://db/x", **clerk)

    assert describe_error(raised.value) == (
        f"configuration error: production mode with Clerk needs {missing}"
    )


def test_production_with_clerk_issuer_and_authorized_parties_starts() -> None:
    configured = settings(
        mode="production",
        host="0.0.0.0",
        database_url="postgresql://db/x",
        clerk_issuer="https://clerk.example.com",
        clerk_authorized_parties="https://addon.example.com",
    )

    assert configured.clerk_authorized_parties == ["https://addon.example.com"]
