"""`sheetbrain serve`: run the API (local mode by default)."""

from __future__ import annotations

import sys

import click

from sheetbrain.cli.config import load_settings
from sheetbrain.store.errors import Unavailable


@click.command()
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
