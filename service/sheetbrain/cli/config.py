"""Settings for the commands that need them, or one clear line and exit code 2."""

from __future__ import annotations

import sys

import click
from pydantic import ValidationError

from sheetbrain.settings import Settings, describe_error


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, or exit with one clear line."""
    try:
        given = {key: value for key, value in overrides.items() if value is not None}
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        click.echo(describe_error(exc), err=True)
        sys.exit(2)
