"""The `sheetbrain` command: audit files offline, serve the API, operate the database.

Subcommands load their modules when they run, so `sheetbrain audit` starts without
importing the database and web stack it does not use.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import click

# name -> "module:attribute" of the click command
COMMANDS: Mapping[str, str] = {
    "audit": "sheetbrain.cli.audit:audit_command",
    "serve": "sheetbrain.cli.serve:serve",
    "db": "sheetbrain.cli.db:db",
    "stats": "sheetbrain.cli.db:stats_command",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sheetbrain")
def cli() -> None:
    """SheetBrain formula-audit service."""


def main() -> None:
    cli()
