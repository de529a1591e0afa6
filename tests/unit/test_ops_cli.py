"""Durations for the retention commands: `90d`, `12h`, `30m`, and nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from sheetbrain.cli import cli
from sheetbrain.cli.db import Duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", dt.timedelta(days=90)),
        ("12h", dt.timedelta(hours=12)),
        ("30m", dt.timedelta(minutes=30)),
        ("1d", dt.timedelta(days=1)),
    ],
)
def test_a_duration_is_a_whole_number_of_days_hours_or_minutes(
    text: str, expected: dt.timedelta
) -> None:
    assert Duration().convert(text, None, None) == expected


@pytest.mark.parametrize(
    "text", ["90", "d", "0d", "1.5d", "90 d", "-1d", "1w", "90D", "90days", "", "1d2h"]
)
def test_anything_else_is_refused_with_exit_2_and_one_clear_line(text: str) -> None:
    result = CliRunner().invoke(cli, ["db", "archive", "--older-than", text])

    assert result.exit_code == 2
    assert (
        f"Invalid value for '--older-than': {text!r} is not a duration: use a whole number "
        "followed by d, h or m (e.g. 90d, 12h, 30m)"
    ) in result.output


def test_retention_refuses_a_bad_duration_too() -> None:
    result = CliRunner().invoke(cli, ["db", "retention", "--delete-archive-after", "1y"])

    assert result.exit_code == 2
    assert "'1y' is not a duration" in result.output


def test_stats_refuses_months_outside_1_to_36() -> None:
    result = CliRunner().invoke(cli, ["stats", "org_x", "--months", "37"])

    assert result.exit_code == 2
    assert "Invalid value for '--months'" in result.output
