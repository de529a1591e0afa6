"""Benchmark: what an audit sends to Claude, and how long an audit takes, in one run.

Run: .venv/bin/python benchmarks/audit_bench.py

Runs the real service (local mode, Litestar's test client) against a temporary
database on the local PostgreSQL server (SHEETBRAIN_BENCH_ADMIN_URL, default
postgresql://postgres@127.0.0.1:5432/postgres), migrated by the service's migrator and
dropped afterwards. Claude is the real reviewer talking to a mocked Messages API
(httpx2 MockTransport) that records every request body and answers at once.

Prints:
  1. LLM request size for 10 vs 10,000 copied formulas: bytes sent and estimated input
     tokens (bytes / 4, no tokenizer offline); the ratio must stay <= 1.5 because copies
     share one R1C1 shape.
  2. Audit latency (median of several requests) for 10 and 10,000 formulas, as a ratio
     to GET /health latency measured by the same client in the same run.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import psycopg
from litestar.testing import TestClient

from sheetbrain.app import create_app
from sheetbrain.clients import replacing
from sheetbrain.review import TOOL_NAME, build_reviewer
from sheetbrain.settings import REPO_ROOT, Settings
from sheetbrain.store.migrate import apply_migrations

ADMIN_URL = os.environ.get(
    "SHEETBRAIN_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SMALL, LARGE = 10, 10_000
LATENCY_REPEATS = {SMALL: 25, LARGE: 5}  # within the plan's 100 requests per minute
HEALTH_REPEATS = 200
MAX_SIZE_RATIO = 1.5
CHARACTERS_PER_TOKEN = 4


class MockedClaude:
    """The Messages API: records each request body, answers with an empty tool call."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        body = request.read()
        self.bodies.append(body)
        answer = {
            "id": f"msg_{len(self.bodies)}",
            "type": "message",
            "role": "assistant",
            "model": json.loads(body)["model"],
            "content": [
                {"type": "tool_use", "id": "toolu_1", "name": TOOL_NAME, "input": {"findings": []}}
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {
                "input_tokens": len(body) // CHARACTERS_PER_TOKEN,
                "output_tokens": 12,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
        }
        return httpx2.Response(200, json=answer)


def copied_formulas(count: int) -> dict[str, Any]:
    """The add-on's request for one column of `count` copies of one formula."""
    return {
        "range": f"C2:C{count + 1}",
        "context": {
            "data": {"formulas": [[f"=A{row}*B{row}"] for row in range(2, count + 2)]},
            "sheetName": "Orders",
            "sheetPurpose": "order totals",
        },
    }


@contextmanager
def temporary_database() -> Iterator[str]:
    name = f"sheetbrain_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    url = ADMIN_URL.rpartition("/")[0] + "/" + name
    try:
        apply_migrations(url, REPO_ROOT / "supabase")
        yield url
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')


def median_ms(call: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def audit_call(client: TestClient[Any], body: dict[str, Any], org: str) -> Callable[[], object]:
    headers = {"x-user-id": "user_bench", "x-user-org": org}

    def call() -> object:
        response = client.post("/api/audit", json=body, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"audit failed: {response.status_code} {response.text[:300]}")
        return response

    return call


def main() -> int:
    for noisy in ("httpx", "httpx2"):  # one INFO line per request would bury the figures
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with temporary_database() as url, tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            mode="local",
            data_dir=Path(data_dir),
            log_level="warning",
            anthropic_api_key="sk-ant-bench-not-a-real-key",
            _env_file=None,  # type: ignore[call-arg]
        )
        claude = MockedClaude()
        reviewer = build_reviewer(
            settings, http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(claude.handle))
        )
        app = create_app(settings, conninfo=url, clients=replacing(reviewer=reviewer))
        org = "org_bench"
        with TestClient(app=app, base_url="http://127.0.0.1") as client:  # local mode: loopback
            audit_call(client, copied_formulas(SMALL), org)()  # provisions the org
            with psycopg.connect(url, autocommit=True) as conn:  # no monthly quota in the way
                conn.execute(
                    "update subscriptions set plan = 'enterprise' where organization_id ="
                    " (select id from organizations where clerk_org_id = %s)",
                    (org,),
                )

            sizes = {}
            for count in (SMALL, LARGE):
                claude.bodies.clear()
                audit_call(client, copied_formulas(count), org)()
                sizes[count] = sum(len(body) for body in claude.bodies), len(claude.bodies)

            health_ms = median_ms(lambda: client.get("/health"), HEALTH_REPEATS)
            latency = {
                count: median_ms(audit_call(client, copied_formulas(count), org), repeats)
                for count, repeats in LATENCY_REPEATS.items()
            }

    ratio = sizes[LARGE][0] / sizes[SMALL][0]
    print("LLM request size (copies of one formula share one R1C1 shape)")
    for count in (SMALL, LARGE):
        size, calls = sizes[count]
        print(
            f"  {count:>6} formulas: {calls} request(s), {size:>7} bytes,"
            f" ~{size // CHARACTERS_PER_TOKEN:>6} input tokens (bytes/{CHARACTERS_PER_TOKEN})"
        )
    verdict = "ok" if ratio <= MAX_SIZE_RATIO else "TOO LARGE"
    print(f"  ratio {LARGE} / {SMALL}: {ratio:.3f}  (target <= {MAX_SIZE_RATIO}: {verdict})")
    print("Latency, Claude mocked (median; /health measured by the same client)")
    print(f"  GET /health             {health_ms:8.2f} ms")
    for count in (SMALL, LARGE):
        print(
            f"  POST /api/audit {count:>6}  {latency[count]:8.2f} ms"
            f"  = {latency[count] / health_ms:7.1f} x /health"
        )
    return 0 if ratio <= MAX_SIZE_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
