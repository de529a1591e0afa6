"""The `sheetbrain` command: serve the API, audit files offline, operate the database."""

from __future__ import annotations

import sys

import click
from pydantic import ValidationError

from sheetbrain.offline.command import audit_command
from sheetbrain.ops import DB_COMMANDS, stats_command
from sheetbrain.settings import Settings, describe_error
from sheetbrain.store.errors import Unavailable


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sheetbrain")
def cli() -> None:
    """SheetBrain formula-audit service."""


cli.add_command(audit_command)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, or exit with one clear line."""
    try:
        given = {key: value for key, value in overrides.items() if value is not None}
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        click.echo(describe_error(exc), err=True)
        sys.exit(2)


@cli.command()
@click.option("--host", default=None, help="Bind address (default SHEETBRAIN_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default SHEETBRAIN_PORT or 8000).")
def serve(host: str | None, port: int | None) -> None:
    """Run the API. With no configuration: local mode on an embedded Postgres."""
    import uvicorn

    from sheetbrain.app import create_app
    from sheetbrain.store.connect import prepare_database

    settings = load_settings(host=host, port=port)
    try:
        conninfo = prepare_database(settings)
    except Unavailable as exc:
        click.echo(f"startup error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"SheetBrain {settings.mode} mode ({settings.transport} database) on "
        f"http://{settings.host}:{settings.port}  docs: /docs",
        err=True,
    )
    app = create_app(settings, conninfo=conninfo)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


@cli.group()
def db() -> None:
    """Operate the database."""


for _command in DB_COMMANDS:
    db.add_command(_command)
cli.add_command(stats_command)


@db.command("migrate")
def db_migrate() -> None:
    """Apply the platform shim, pending migrations and the seed (local/direct databases)."""
    from sheetbrain.store.connect import migrate_database

    settings = load_settings()
    if settings.transport == "supabase":
        click.echo("With SUPABASE_URL, migrate with: npx supabase db push", err=True)
        sys.exit(2)
    try:
        migrate_database(settings)
    except Unavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo("database is up to date")


def main() -> None:
    cli()
