"""Committed statistics fixtures: an organization with a known history of audits.

Rows are committed (the API and the CLI read them on other connections), under
unique Clerk ids so tests sharing the session database never see each other's data.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

import psycopg

from support.ids import unique_id


@dataclass
class SeededOrg:
    clerk_org_id: str
    organization_id: uuid.UUID
    admin_user_id: str
    member_user_id: str
    audit_ids: list[uuid.UUID] = field(default_factory=list)  # newest first


def this_month(months_back: int = 0) -> str:
    today = dt.datetime.now(dt.UTC)
    index = today.year * 12 + today.month - 1 - months_back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def seed_org(database_url: str, *, name: str = "Stats Test Org") -> SeededOrg:
    """A provisioned org with an admin and a member, on the free plan, and no history."""
    org, admin, member = unique_id("org"), unique_id("user"), unique_id("user")
    with psycopg.connect(database_url, autocommit=True) as conn:
        for user, role in ((admin, "org:admin"), (member, "org:member")):
            conn.execute(
                "select public.provision_actor(jsonb_build_object('clerk_user_id', %s::text,"
                " 'clerk_org_id', %s::text, 'org_role', %s::text, 'org_name', %s::text,"
                " 'role_is_authoritative', true))",
                (user, org, role, name),
            )
        row = conn.execute(
            "select id from public.organizations where clerk_org_id = %s", (org,)
        ).fetchone()
    assert row is not None
    return SeededOrg(org, row[0], admin, member)


def add_audit(
    database_url: str,
    org: SeededOrg,
    *,
    age: dt.timedelta,
    formulas: int,
    issues: int = 0,
    by_severity: dict[str, int] | None = None,
    archived: bool = False,
    ai_status: str = "disabled",
    model: str | None = None,
) -> uuid.UUID:
    """One audit row by the org's admin, `age` old (in audit_logs or the archive)."""
    table = "audit_logs_archive" if archived else "audit_logs"
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            f"""insert into public.{table}
                  (organization_id, user_id, formula_count, compliant_count, issues_found,
                   duration_ms, findings_by_severity, ai_status, model, created_at)
                select %s, u.id, %s, %s, %s, 120, %s::jsonb, %s, %s, now() - %s
                  from public.users u where u.clerk_user_id = %s
                returning id""",
            (
                org.organization_id,
                formulas,
                formulas - issues,
                issues,
                json.dumps(by_severity or {}),
                ai_status,
                model,
                age,
                org.admin_user_id,
            ),
        ).fetchone()
    assert row is not None
    return row[0]


@dataclass(frozen=True)
class PastAudit:
    """An audit for `seed_history` to seed: `add_audit`'s arguments."""

    age: dt.timedelta
    formulas: int
    issues: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    archived: bool = False
    ai_status: str = "disabled"
    model: str | None = None


def set_usage(database_url: str, org: SeededOrg, month: str, count: int) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            """insert into public.audit_usage (organization_id, month_year, count)
               values (%s, %s, %s)
               on conflict (organization_id, month_year) do update set count = excluded.count""",
            (org.organization_id, month, count),
        )


def set_rate_limit_window(
    database_url: str, org: SeededOrg, requests: int, resets_in: dt.timedelta
) -> None:
    """The org's rate-limit bucket; a negative `resets_in` is an expired window."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            """insert into public.rate_limit_buckets
                 (organization_id, request_count, window_reset_at)
               values (%s, %s, now() + %s)
               on conflict (organization_id) do update
                 set request_count = excluded.request_count,
                     window_reset_at = excluded.window_reset_at""",
            (org.organization_id, requests, resets_in),
        )


def seed_history(
    database_url: str,
    org: SeededOrg,
    *,
    audits: Iterable[PastAudit],
    usage: Mapping[int, int],
    window: tuple[int, dt.timedelta],
) -> list[uuid.UUID]:
    """The org's audits, its usage by months back (0 is this month) and its rate-limit
    window (requests, resets in); returns the audits' ids."""
    audit_ids = [add_audit(database_url, org, **asdict(audit)) for audit in audits]
    for months_back, count in usage.items():
        set_usage(database_url, org, this_month(months_back), count)
    set_rate_limit_window(database_url, org, *window)
    return audit_ids
