"""Benchmark: one API audit of 20,000 copied formulas vs openpyxl tokenizing them, in one run.

Run: .venv/bin/python benchmarks/api_audit_bench.py [--rows 20000] [--repeats 7]

Serves the real service with uvicorn on 127.0.0.1 (local mode, Claude not configured,
a temporary database on the local PostgreSQL server, migrated by the service and dropped
afterwards: see audit_bench.py). A real server rather than Litestar's test client, because
the add-on pays for the HTTP layer too: the socket, httptools parsing the megabyte body,
uvloop, the body-size cap, the middleware. The server runs in a thread of this process so
that its stages can be timed; the client sends the body pre-encoded and reads the whole
answer without decoding it, so the client's own JSON work is not counted.

The body is the add-on's `{range, context: {data: {formulas, values}}}` for A1:C<rows>:
A and B typed numbers, C `=A{r}*B{r}` with its cached value. Requests alternate with
openpyxl's `Tokenizer` over the same formulas, so machine load hits both alike.

Prints the API time (median of the requests), the Tokenizer time (median), the ratio
tokenizer / API (target >= 1.0), and where the median request spent its time: each stage
timed by wrapping the function that runs it, "HTTP and framework" being what is left
(uvicorn, routing, identity, middleware, thread hand-offs, the loopback socket); and how
much of it the garbage collector took (gc.callbacks), with its full collections.
"""

from __future__ import annotations

import argparse
import functools
import gc
import inspect
import logging
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import msgspec
import psycopg
from litestar.response import Response
from openpyxl.formula.tokenizer import Tokenizer

from audit_bench import temporary_database
from sheetbrain.app import create_app
from sheetbrain.audit import request as audit_request
from sheetbrain.audit import service as audit_service
from sheetbrain.settings import REPO_ROOT, Settings
from sheetbrain.store import audits as store_audits

sys.path.insert(0, str(REPO_ROOT / "tests"))
from support.live_server import running_server

ORG = "org_api_bench"
HEADERS = {"x-user-id": "user_api_bench", "x-user-org": ORG, "content-type": "application/json"}
# (label, owner, attribute): what one audit request runs through, in order.
STAGES: list[tuple[str, Any, str]] = [
    ("JSON decode + validation", audit_request, "parse_request"),
    ("begin_audit", store_audits, "begin_audit"),
    ("normalise (build cells)", audit_request.AuditRequest, "normalised"),
    ("engine", audit_service, "audit"),
    ("assess", audit_service, "assess"),
    ("finish_audit", store_audits, "finish_audit"),
    ("serialisation", Response, "render"),
]
TARGET_RATIO = 1.0
REST = "HTTP and framework (rest)"


def audit_body(rows: int) -> dict[str, Any]:
    """The add-on's body for A1:C<rows>: quantities, prices, and their products."""
    quantities = [row % 50 + 1 for row in range(1, rows + 1)]
    prices = [round(1.25 + row % 97 * 0.5, 2) for row in range(1, rows + 1)]
    return {
        "range": f"A1:C{rows}",
        "context": {
            "sheetName": "Orders",
            "sheetPurpose": "order totals",
            "data": {
                "formulas": [["", "", f"=A{row}*B{row}"] for row in range(1, rows + 1)],
                "values": [
                    [quantity, price, round(quantity * price, 2)]
                    for quantity, price in zip(quantities, prices, strict=True)
                ],
            },
        },
    }


class StageTimes:
    """Wraps each stage's function: `take()` gives, for one request, the seconds each stage
    took, the garbage collector's pauses within each (gc.callbacks), and the number of
    full collections."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.collecting: dict[str, float] = defaultdict(float)
        self.full_collections = 0
        self.stage = REST
        self.collecting_since = 0.0

    def on_collection(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.collecting_since = time.perf_counter()
            return
        self.collecting[self.stage] += time.perf_counter() - self.collecting_since
        self.full_collections += info["generation"] == 2

    @contextmanager
    def running(self, label: str) -> Iterator[None]:
        self.stage, started = label, time.perf_counter()
        try:
            yield
        finally:
            self.seconds[label] += time.perf_counter() - started
            self.stage = REST

    def timed(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                with self.running(label):
                    return await function(*args, **kwargs)

            return timed_async

        @functools.wraps(function)
        def timed_sync(*args: Any, **kwargs: Any) -> Any:
            with self.running(label):
                return function(*args, **kwargs)

        return timed_sync

    @contextmanager
    def installed(self) -> Iterator[None]:
        originals = [(owner, name, getattr(owner, name)) for _, owner, name in STAGES]
        for (label, owner, name), (_, _, original) in zip(STAGES, originals, strict=True):
            setattr(owner, name, self.timed(label, original))
        gc.callbacks.append(self.on_collection)
        try:
            yield
        finally:
            gc.callbacks.remove(self.on_collection)
            for owner, name, original in originals:
                setattr(owner, name, original)

    def take(self) -> tuple[dict[str, float], dict[str, float], int]:
        missing = [label for label, _, _ in STAGES if label not in self.seconds]
        if missing:  # a renamed function would otherwise read as a free stage
            raise SystemExit(f"stages not reached: {missing}")
        taken = (dict(self.seconds), dict(self.collecting), self.full_collections)
        self.seconds, self.collecting = defaultdict(float), defaultdict(float)
        self.full_collections = 0
        return taken


def tokenize_all(formulas: list[str]) -> float:
    started = time.perf_counter()
    for formula in formulas:
        Tokenizer(formula)
    return time.perf_counter() - started


def post_once(http: httpx.Client, raw: bytes) -> tuple[float, bytes]:
    started = time.perf_counter()
    response = http.post("/api/audit", content=raw, headers=HEADERS)
    answer = response.read()
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"audit failed: {response.status_code} {answer[:300]!r}")
    return elapsed, answer


def lift_quota(database_url: str) -> None:
    """The enterprise plan: no monthly quota, 100 audits a minute."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "update subscriptions set plan = 'enterprise' where organization_id ="
            " (select id from organizations where clerk_org_id = %s)",
            (ORG,),
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7, help="odd, for a median request")
    options = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)

    body = audit_body(options.rows)
    raw = msgspec.json.encode(body)
    formulas = [row[2] for row in body["context"]["data"]["formulas"]]
    del body  # the server shares this process: the client's objects must not burden it
    stages = StageTimes()
    api_times: list[float] = []
    tokenizer_times: list[float] = []
    splits: list[tuple[dict[str, float], dict[str, float], int]] = []
    with temporary_database() as database_url, tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            mode="local",
            data_dir=Path(data_dir),
            log_level="warning",
            anthropic_api_key=None,  # Claude disabled: the answer says so
            _env_file=None,  # type: ignore[call-arg]
        )
        app = create_app(settings, conninfo=database_url)
        with (
            running_server(app) as base_url,
            httpx.Client(base_url=base_url, timeout=120) as http,
            stages.installed(),
        ):
            _, answer = post_once(http, raw)  # provisions the org; warms every path
            lift_quota(database_url)
            stages.take()
            for _ in range(options.repeats):
                tokenizer_times.append(tokenize_all(formulas))
                elapsed, answer = post_once(http, raw)
                api_times.append(elapsed)
                splits.append(stages.take())

    decoded = msgspec.json.decode(answer)
    if len(decoded["results"]) != len(formulas) or decoded["ai"]["status"] != "disabled":
        raise SystemExit("the answer does not cover every formula with Claude disabled")
    api = statistics.median(api_times)
    tokenizer = statistics.median(tokenizer_times)
    ratio = tokenizer / api
    print(
        f"POST /api/audit: {len(formulas):,} copied formulas with values "
        f"({options.rows * 3:,} cells, body {len(raw):,} bytes, answer {len(answer):,} bytes)"
    )
    print(f"  API (median of {options.repeats}, uvicorn on loopback)  {api * 1000:8.1f} ms")
    print(f"  openpyxl Tokenizer, same formulas (median) {tokenizer * 1000:8.1f} ms")
    verdict = "ok" if ratio >= TARGET_RATIO else "TOO SLOW"
    print(f"  ratio tokenizer / API: {ratio:.2f}  (target >= {TARGET_RATIO}: {verdict})")
    # The stages of the median request itself, so that they add up to its time.
    median_request = sorted(range(len(api_times)), key=api_times.__getitem__)[len(api_times) // 2]
    seconds, collecting, full_collections = splits[median_request]
    seconds[REST] = api_times[median_request] - sum(seconds.values())
    print("Where the time goes (the median request; of which garbage collection):")
    for label in [*(label for label, *_ in STAGES), REST]:
        print(
            f"  {label:<26} {seconds[label] * 1000:8.1f} ms  {seconds[label] / api:6.1%}"
            f"  (gc {collecting.get(label, 0.0) * 1000:6.1f} ms)"
        )
    print(
        f"  garbage collection in all: {sum(collecting.values()) * 1000:.1f} ms,"
        f" {full_collections} full collections"
    )
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
