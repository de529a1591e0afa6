"""Operator commands: `sheetbrain stats ORG` and `sheetbrain db migrate|cleanup|archive|retention`.

They reach the database the way the service does (the store gateway, as service_role):
DATABASE_URL, else SUPABASE_URL, else the embedded local database. Each prints one
result line (or tables) and exits 1 on a database failure, 2 on bad input.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from sheetbrain.cli.config import load_settings
from sheetbrain.store import stats as store
from sheetbrain.store.connect import open_gateway, prepare_database
from sheetbrain.store.errors import StoreError, Unavailable
from sheetbrain.store.gateway import Gateway

T = TypeVar("T")

_DURATION = re.compile(r"^([1-9][0-9]{0,5})([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class Duration(click.ParamType[dt.timedelta, Any]):
    """A whole number of days, hours or minutes: `90d`, `12h`, `30m`; nothing else."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.timedelta:
        if isinstance(value, dt.timedelta):
            return value
        match = _DURATION.match(str(value).strip())
        if match is None:
            self.fail(
                f"{value!r} is not a duration: use a whole number followed by d, h or m "
                "(e.g. 90d, 12h, 30m)",
                param,
                ctx,
            )
        amount, unit = match.groups()
        return dt.timedelta(**{_UNITS[unit]: int(amount)})


def _run(operation: Callable[[Gateway], Awaitable[T]]) -> T:
    """Open a gateway from the settings, run one operation, close it; exit 1 on failure."""
    settings = load_settings()

    async def run(conninfo: str | None) -> T:
        gateway = await open_gateway(settings, conninfo)
        try:
            return await operation(gateway)
        finally:
            await gateway.close()

    try:
        return asyncio.run(run(prepare_database(settings)))
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


def _label(duration: dt.timedelta) -> str:
    """A parsed Duration written back the way it was given (90d, 12h, 30m)."""
    minutes = int(duration.total_seconds()) // 60
    for unit, size in (("d", 24 * 60), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


REFRESH_TOKEN_GRACE = dt.timedelta(days=1)


@click.command("cleanup")
def cleanup_command() -> None:
    """Delete ended rate-limit windows (organizations, sign-ins) and refresh tokens expired
    over a day ago."""

    async def clean(gateway: Gateway) -> tuple[int, int, int]:
        return (
            await store.cleanup_expired_rate_limits(gateway),
            await store.cleanup_expired_sign_in_rate_limits(gateway),
            await store.cleanup_expired_refresh_tokens(gateway, REFRESH_TOKEN_GRACE),
        )

    buckets, sign_in_windows, refresh_tokens = _run(clean)
    click.echo(f"deleted {buckets} expired rate-limit buckets")
    click.echo(f"deleted {sign_in_windows} expired sign-in rate-limit windows")
    click.echo(f"deleted {refresh_tokens} refresh tokens expired over a day ago")


@click.command("archive")
@click.option(
    "--older-than",
    type=Duration(),
    default="90d",
    show_default=True,
    help="Move audit logs older than this into audit_logs_archive (one transaction).",
)
def archive_command(older_than: dt.timedelta) -> None:
    """Archive old audit logs (archive_audit_logs)."""
    moved = _run(lambda gateway: store.archive_audit_logs(gateway, older_than))
    click.echo(f"archived {moved} audit logs older than {_label(older_than)}")


@click.command("retention")
@click.option(
    "--delete-archive-after",
    type=Duration(),
    default="365d",
    show_default=True,
    help="Delete archived audit logs older than this.",
)
@click.option(
    "--delete-records-after",
    type=Duration(),
    default="90d",
    show_default=True,
    help="Delete webhook deliveries, Stripe events and settled audit reservations older "
    "than this (at least 7d).",
)
def retention_command(
    delete_archive_after: dt.timedelta, delete_records_after: dt.timedelta
) -> None:
    """Delete archived audit logs past the retention period (purge_audit_archive), and the
    service's delivery and reservation records (purge_service_records)."""

    async def purge(gateway: Gateway) -> tuple[int, store.PurgedRecords]:
        return (
            await store.purge_audit_archive(gateway, delete_archive_after),
            await store.purge_service_records(gateway, delete_records_after),
        )

    archived, records = _run(purge)
    click.echo(f"deleted {archived} archived audit logs older than {_label(delete_archive_after)}")
    click.echo(
        f"deleted {records.webhook_events} webhook deliveries, {records.stripe_events} Stripe "
        f"events and {records.audit_reservations} settled audit reservations older than "
        f"{_label(delete_records_after)}"
    )


@click.group()
def db() -> None:
    """Operate the database."""


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


for _command in (cleanup_command, archive_command, retention_command):
    db.add_command(_command)


@click.command("stats")
@click.argument("org")
@click.option(
    "--months", type=click.IntRange(1, 36), default=12, show_default=True, help="Usage months."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the API's bodies) instead.")
def stats_command(org: str, months: int, as_json: bool) -> None:
    """Statistics of ORG (Clerk org id or organization uuid), as GET /api/stats shows them."""

    report = _run(lambda gateway: store.org_report(gateway, org, months))
    if report.stats.organization_id is None:
        click.echo(f"error: no organization {org!r}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(report.model_dump(mode="json"), indent=2))
        return
    _print_tables(report.stats, report.usage, report.rate_limit)


def _print_tables(
    stats: store.OrgStats, usage: list[store.MonthUsage], window: store.RateLimitWindow
) -> None:
    console = Console(highlight=False)
    summary = Table(title=f"{stats.organization_name or stats.clerk_org_id} ({stats.clerk_org_id})")
    summary.add_column("statistic")
    summary.add_column("value", justify="right")
    quota = "unlimited" if stats.monthly_quota is None else str(stats.monthly_quota)
    for name, value in (
        ("organization id", str(stats.organization_id)),
        ("plan", f"{stats.plan} ({stats.subscription_status})"),
        ("users", str(stats.total_users)),
        ("policies", str(stats.total_policies)),
        ("audits (all time)", str(stats.total_audits)),
        ("audits this month", f"{stats.audits_this_month} / {quota}"),
        ("rate limit window", f"{window.request_count} / {window.request_limit}"),
        ("window resets at", window.window_reset_at.isoformat() if window.window_reset_at else "-"),
    ):
        summary.add_row(name, value)
    by_month = Table(title="audits per month")
    by_month.add_column("month")
    by_month.add_column("audits", justify="right")
    for month in usage:
        by_month.add_row(month.month, str(month.audits))
    console.print(summary)
    console.print(by_month)
