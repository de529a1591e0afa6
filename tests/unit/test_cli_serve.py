"""`sheetbrain serve` fails at start with one line, never a traceback; the command
loads only what a subcommand uses."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from sheetbrain.cli import cli


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no stray .env from the working tree
    return CliRunner()


def test_missing_production_configuration_exits_with_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHEETBRAIN_MODE", "production")

    result = runner.invoke(cli, ["serve"])

    assert result.exit_code == 2
    assert result.output == (
        "configuration error: production mode needs a database: set DATABASE_URL, or "
        "SUPABASE_URL with SUPABASE_SECRET_KEY; production mode needs an identity source: "
        "set CLERK_ISSUER (or CLERK_JWT_KEY) for Clerk session tokens, or GOOGLE_CLIENT_IDS "
        "with SHEETBRAIN_TOKEN_SECRET for the add-on's sign-in\n"
    )


def test_production_with_clerk_but_no_authorized_parties_exits_with_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHEETBRAIN_MODE", "production")
    monkeypatch.setenv("SHEETBRAIN_HOST", "0.0.0.0")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example.com/sheetbrain")
    monkeypatch.setenv("CLERK_ISSUER", "https://clerk.example.com")

    result = runner.invoke(cli, ["serve"])

    assert (result.exit_code, result.output) == (
        2,
        "configuration error: CLERK_AUTHORIZED_PARTIES must list the origins allowed to "
        "present Clerk session tokens (their azp claim) when Clerk is configured\n",
    )


def test_an_unreachable_database_exits_with_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:9/x?connect_timeout=1")

    result = runner.invoke(cli, ["serve"])

    assert result.exit_code == 1
    assert result.output.startswith("startup error: cannot reach the database: ")
    assert result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_the_audit_command_starts_without_the_database_and_web_stack():
    # `sheetbrain audit` runs once per file in CI jobs and pre-commit hooks: what it does
    # not use must not be imported
    unused = ("psycopg", "supabase", "litestar", "sheetbrain.store", "openpyxl")
    probe = (
        "import sys; from sheetbrain.cli import cli; cli.get_command(None, 'audit'); "
        f"print(sorted(m for m in {unused!r} if m in sys.modules))"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter, our own probe
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_json_audit_of_one_file_loads_neither_rich_nor_the_worker_pool(tmp_path):
    # the table, the live bar, parallel workers and SARIF's version lookup each need a
    # module that is a large share of start-up; a one-file JSON run uses none of them
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("1,2,=A1+B1\n")
    unused = ("rich", "concurrent.futures", "multiprocessing", "importlib.metadata")
    probe = (
        "import sys; from sheetbrain.cli import cli\n"
        "try:\n"
        f"    cli.main(['audit', {str(sheet)!r}, '--format', 'json'], standalone_mode=False)\n"
        "finally:\n"
        f"    print(sorted(m for m in {unused!r} if m in sys.modules), file=sys.stderr)"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter, our own probe
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert (result.stderr.strip(), json.loads(result.stdout)["summary"]["formulas"]) == ("[]", 1)
