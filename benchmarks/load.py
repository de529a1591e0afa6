"""Bounded load test: concurrent audits against local mode over loopback HTTP.

Run: .venv/bin/python benchmarks/load.py [--clients 16] [--seconds 60] [--max-requests 5000]

Serves the real service (uvicorn, local mode, Claude not configured) on 127.0.0.1 over
a temporary, migrated database, then runs N concurrent clients that send audits (a
40-cell add-on grid each) until the time or request budget runs out. Each client works
as a new organisation every 10 audits (the free plan's monthly quota), so every
request should succeed. Afterwards the database must hold exactly one usage count,
one audit log and one rate-limit hit per successful audit.

Prints throughput, p50/p99 latency, errors, and the count checks. Traffic goes only to
127.0.0.1; loops are bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg

from audit_bench import temporary_database
from sheetbrain.app import create_app
from sheetbrain.settings import REPO_ROOT, Settings

sys.path.insert(0, str(REPO_ROOT / "tests"))
from support.live_server import running_server

AUDITS_PER_ORG = 10  # the free plan's monthly quota
GRID = [
    [f"=A{row}*2", f"=SUM(A{row}:B{row})", "=NOW()", f"=VLOOKUP(A{row},D:E,2)"]
    for row in range(1, 11)
]
RUN_PREFIX = f"load_{uuid.uuid4().hex[:8]}"


def audit_body() -> dict[str, object]:
    return {"range": "A1:D10", "context": {"sheetName": "Load", "data": {"formulas": GRID}}}


async def client_loop(
    http: httpx.AsyncClient, client_number: int, deadline: float, budget: list[int]
) -> tuple[list[float], dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sent = 0
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        org = f"{RUN_PREFIX}_{client_number}_{sent // AUDITS_PER_ORG}"
        headers = {"x-user-id": f"{org}_user", "x-user-org": org}
        started = time.perf_counter()
        response = await http.post("/api/audit", json=audit_body(), headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        sent += 1
    return latencies, statuses


async def drive(
    base_url: str, clients: int, seconds: float, max_requests: int
) -> tuple[list[float], dict[int, int], float]:
    budget = [max_requests]
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as http:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(client_loop(http, number, deadline, budget) for number in range(clients))
        )
        elapsed = time.perf_counter() - started
    latencies = [latency for client_latencies, _ in results for latency in client_latencies]
    statuses: dict[int, int] = {}
    for _, client_statuses in results:
        for status, count in client_statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return latencies, statuses, elapsed


def database_counts(database_url: str) -> tuple[int, int, int]:
    pattern = f"{RUN_PREFIX}_%"
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            """
            select
              (select coalesce(sum(u.count), 0) from public.audit_usage u
                 join public.organizations o on o.id = u.organization_id
                 where o.clerk_org_id like %(p)s),
              (select count(*) from public.audit_logs l
                 join public.organizations o on o.id = l.organization_id
                 where o.clerk_org_id like %(p)s),
              (select coalesce(sum(b.request_count), 0) from public.rate_limit_buckets b
                 join public.organizations o on o.id = b.organization_id
                 where o.clerk_org_id like %(p)s)
            """,
            {"p": pattern},
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=5000)
    options = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise

    with temporary_database() as database_url, tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            mode="local",
            data_dir=Path(data_dir),
            log_level="error",
            _env_file=None,  # type: ignore[call-arg]
        )
        app = create_app(settings, conninfo=database_url)
        with running_server(app) as base_url:
            latencies, statuses, elapsed = asyncio.run(
                drive(base_url, options.clients, options.seconds, options.max_requests)
            )
        usage, logs, rate_hits = database_counts(database_url)

    succeeded = statuses.get(200, 0)
    errors = sum(count for status, count in statuses.items() if status != 200)
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"clients {options.clients}, {len(latencies)} audits in {elapsed:.1f} s")
    print(f"throughput   {len(latencies) / elapsed:.1f} audits/s ({len(GRID) * 4} formulas each)")
    print(f"latency      p50 {quantiles[49]:.1f} ms   p99 {quantiles[98]:.1f} ms")
    print(f"statuses     {dict(sorted(statuses.items()))}   errors {errors}")
    checks = {
        "audit_usage": usage,
        "audit_logs": logs,
        "rate-limit hits": rate_hits,
    }
    exact = all(value == succeeded for value in checks.values())
    for name, value in checks.items():
        print(f"{name:<15}{value:>8}  (expected {succeeded})")
    print("counts exact" if exact and errors == 0 else "COUNTS OR ERRORS WRONG")
    return 0 if exact and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
