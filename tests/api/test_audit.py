"""POST /api/audit over HTTP in local mode, against the real test database.

Claude is replaced by a small reviewer double (the reviewer's own tests mock its HTTP);
the gateway's transport is wrapped to count database round trips.
"""

from __future__ import annotations

import asyncio
import functools
import json
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from sheetbrain.app import create_app
from sheetbrain.audit import AuditInput, AuditRequest
from sheetbrain.audit import request as audit_request
from sheetbrain.audit import service as audit_service
from sheetbrain.clients import Clients, replacing
from sheetbrain.formulas import AuditReport
from sheetbrain.review import AiFinding, ReviewOutcome, ShapeForReview
from sheetbrain.settings import Settings
from sheetbrain.store import audits as audit_store
from sheetbrain.store.errors import Unavailable
from sheetbrain.store.gateway import Gateway, Transport
from support.clients import LOOPBACK
from support.ids import unique_id
from support.live_server import running_server
from support.reviewers import ReviewerDouble
from support.unreachable import unreachable_gateway

pytestmark = pytest.mark.db

SEED_GUIDE_BODY = {
    "formulas": ["=SUM(A1:A10)", "=VLOOKUP(B2, Sheet1!A:B, 2, FALSE)"],
    "context": {"sheetName": "Test Sheet", "range": "A1:B2"},
}
VLOOKUP_UNHANDLED = "VLOOKUP returns #N/A when nothing matches, and the formula does not handle it"


def one_info_per_shape(shapes: Sequence[ShapeForReview]) -> ReviewOutcome:
    findings = tuple(
        AiFinding(
            shape_id=shape.shape_id,
            severity="info",
            rule_id="ai-policy",
            message=f"Reviewed {shape.example_formula}",
            suggestion="Document the inputs.",
            suggested_formula=None,
            policy_id=None,
        )
        for shape in shapes
    )
    return ReviewOutcome("ok", "claude-test", findings, 1200, 80, 1000, 0, None)


def unavailable(_: Sequence[ShapeForReview]) -> ReviewOutcome:
    return ReviewOutcome("unavailable", None, (), 0, 0, 0, 0, "Claude answered 529 (overloaded)")


class CountingTransport:
    """Passes every call on and remembers which SQL function it ran."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.calls: list[str] = []

    async def call(self, function: str, args: Mapping[str, Any]) -> Any:
        self.calls.append(function)
        return await self.inner.call(function, args)

    async def close(self) -> None:
        await self.inner.close()


@dataclass
class AuditApi:
    client: AsyncTestClient[Litestar]
    reviewer: ReviewerDouble
    transport: CountingTransport
    user_id: str
    org_id: str

    async def post(self, body: object, **headers: str) -> Any:
        identity = {"x-user-id": self.user_id, "x-user-org": self.org_id}
        return await self.client.post("/api/audit", json=body, headers={**identity, **headers})


async def _api(
    settings: Settings, database_url: str, counting: type[CountingTransport] = CountingTransport
) -> AsyncIterator[AuditApi]:
    # The test client runs the app on its own event loop, so the app opens its own pool
    # there (a pool opened on the test's loop would wait on the wrong loop); its calls
    # are counted by wrapping that pool's transport.
    reviewer = ReviewerDouble(one_info_per_shape)
    transports: list[CountingTransport] = []

    def counted_with_double(built: Clients) -> Clients:
        transports.append(counting(built.gateway.transport))
        return replace(built, gateway=Gateway(transports[0]), reviewer=reviewer)

    app = create_app(settings, conninfo=database_url, clients=counted_with_double)
    async with AsyncTestClient(app=app, base_url=LOOPBACK) as client:
        yield AuditApi(client, reviewer, transports[0], unique_id("user"), unique_id("org"))


@pytest.fixture
async def api(local_settings: Settings, database_url: str) -> AsyncIterator[AuditApi]:
    async for prepared in _api(local_settings, database_url):
        yield prepared


def committed(database_url: str, query: str, *params: object) -> list[tuple[Any, ...]]:
    """Run one statement in its own committed transaction (the app sees it)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def set_audits_used(database_url: str, clerk_org_id: str, used: int) -> None:
    """This month's usage of the organization (the free plan allows 10)."""
    committed(
        database_url,
        """update audit_usage set count = %s
            where organization_id = (select id from organizations where clerk_org_id = %s)""",
        used,
        clerk_org_id,
    )


def this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


def next_month_start() -> str:
    today = datetime.now(UTC)
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return f"{year:04d}-{month:02d}-01T00:00:00Z"


# ---------------------------------------------------------------- the seed guide's call


async def test_the_seed_guide_call_returns_results_for_both_formulas(api: AuditApi) -> None:
    response = await api.post(SEED_GUIDE_BODY)

    assert response.status_code == 200
    body = response.json()
    assert body["results"] == [
        {
            "cell": None,
            "formula": "=SUM(A1:A10)",
            "compliant": True,
            "riskLevel": "low",
            "issues": ["Reviewed =SUM(A1:A10)"],
            "recommendation": "Document the inputs.",
        },
        {
            "cell": None,
            "formula": "=VLOOKUP(B2, Sheet1!A:B, 2, FALSE)",
            "compliant": False,
            "riskLevel": "medium",
            "issues": [VLOOKUP_UNHANDLED, "Reviewed =VLOOKUP(B2, Sheet1!A:B, 2, FALSE)"],
            "recommendation": body["results"][1]["recommendation"],
            "suggestedFormula": '=IFNA(VLOOKUP(B2,Sheet1!A:B,2,FALSE),"")',
        },
    ]
    assert [(f["ruleId"], f["source"]) for f in body["findings"]] == [
        ("lookup-without-error-handling", "engine"),
        ("ai-policy", "ai"),
        ("ai-policy", "ai"),
    ]
    assert body["summary"] == {
        "formulas": 2,
        "uniqueShapes": 2,
        "compliant": 1,
        "issuesBySeverity": {"error": 0, "warning": 1, "info": 2},
    }


async def test_the_seed_guide_call_keeps_the_original_backend_keys(api: AuditApi) -> None:
    body = (await api.post(SEED_GUIDE_BODY)).json()

    assert body["success"] is True
    assert body["count"] == 2
    assert body["compliant"] == 1
    assert [(a["cellAddress"], a["compliant"], a["risk"]) for a in body["audits"]] == [
        (None, True, "low"),
        (None, False, "medium"),
    ]
    assert body["audits"][0]["recommendations"] == ["Document the inputs."]
    assert isinstance(body["duration"], int)
    assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None


async def test_the_seed_guide_call_reports_ai_and_quota(api: AuditApi) -> None:
    body = (await api.post(SEED_GUIDE_BODY)).json()

    assert body["ai"] == {
        "status": "ok",
        "model": "claude-test",
        "tokens": {"input": 1200, "output": 80, "cacheRead": 1000, "cacheWrite": 0},
        "reason": None,
    }
    assert body["quota"] == {
        "plan": "free",
        "limit": 10,
        "used": 1,
        "remaining": 9,
        "resetsAt": next_month_start(),
    }


async def test_the_seed_guide_tables_hold_exact_values_after_an_audit(
    api: AuditApi, database_url: str
) -> None:
    await api.post(SEED_GUIDE_BODY)

    [(org_uuid,)] = committed(
        database_url, "select id from organizations where clerk_org_id = %s", api.org_id
    )
    [(chunks,)] = committed(
        database_url,
        "select count(*)::int from retrieve_policy_chunks(%s, %s, 5)",
        org_uuid,
        "SUM VLOOKUP Test Sheet",
    )
    assert committed(
        database_url,
        """select formula_count, compliant_count, issues_found, rag_used, rag_context_count,
                  model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                  ai_status, degraded, unique_shapes, findings_by_severity, findings_by_rule,
                  user_id = (select id from users where clerk_user_id = %s)
             from audit_logs where organization_id = %s""",
        api.user_id,
        org_uuid,
    ) == [
        (
            2,
            1,
            3,
            chunks > 0,
            chunks,
            "claude-test",
            1200,
            80,
            1000,
            0,
            "ok",
            False,
            2,
            {"error": 0, "warning": 1, "info": 2},
            {"ai-policy": 2, "lookup-without-error-handling": 1},
            True,
        )
    ]
    assert committed(
        database_url,
        "select month_year, count from audit_usage where organization_id = %s",
        org_uuid,
    ) == [(this_month(), 1)]
    assert committed(
        database_url,
        """select request_count, window_reset_at > now() + interval '50 seconds',
                  window_reset_at <= now() + interval '60 seconds'
             from rate_limit_buckets where organization_id = %s""",
        org_uuid,
    ) == [(1, True, True)]


async def test_a_successful_audit_costs_exactly_two_round_trips(api: AuditApi) -> None:
    response = await api.post(SEED_GUIDE_BODY)

    assert response.status_code == 200
    assert api.transport.calls == ["begin_audit", "finish_audit"]


async def test_every_audit_answer_carries_the_rate_limit_headers(api: AuditApi) -> None:
    response = await api.post(SEED_GUIDE_BODY)

    assert response.headers["ratelimit-policy"] == '"org";q=100;w=60'
    assert response.headers["ratelimit"] in ('"org";r=99;t=60', '"org";r=99;t=59')
    assert response.headers["x-ratelimit-limit"] == "100"
    assert response.headers["x-ratelimit-remaining"] == "99"
    reset = int(response.headers["x-ratelimit-reset"])
    assert 0 < reset - datetime.now(UTC).timestamp() <= 61


# ---------------------------------------------------------------- the other request shapes


async def test_a_grid_gives_exact_cells_and_suggestions_valid_for_each_cell(
    api: AuditApi,
) -> None:
    body = {
        "range": "C2:C3",
        "context": {
            "data": {
                "formulas": [
                    ["=VLOOKUP(A2,Rates!A:B,2,FALSE)"],
                    ["=VLOOKUP(A3,Rates!A:B,2,FALSE)"],
                ],
                "values": [[1.5], [2.5]],
            },
            "sheetName": "Q3",
            "sheetPurpose": "pricing",
        },
    }

    response = await api.post(body)

    results = response.json()["results"]
    assert [(r["cell"], r["suggestedFormula"]) for r in results] == [
        ("C2", '=IFNA(VLOOKUP(A2,Rates!A:B,2,FALSE),"")'),
        ("C3", '=IFNA(VLOOKUP(A3,Rates!A:B,2,FALSE),"")'),
    ]
    [(shapes, _, context)] = api.reviewer.calls
    assert [(s.example_cell, s.cell_count) for s in shapes] == [("C2", 2)]
    assert context == {"sheetName": "Q3", "range": "C2:C3", "sheetPurpose": "pricing"}


async def test_an_ai_suggestion_is_moved_to_each_copy_and_dropped_when_invalid(
    api: AuditApi,
) -> None:
    def suggest(shapes: Sequence[ShapeForReview]) -> ReviewOutcome:
        findings = (
            AiFinding(
                shapes[0].shape_id,
                "warning",
                "ai-policy",
                "Use the rate table.",
                None,
                "=B2*Rates!$B$1",
                None,
            ),
            AiFinding(shapes[1].shape_id, "warning", "ai-policy", "Broken.", None, "=SUM(", None),
        )
        return ReviewOutcome("ok", "claude-test", findings, 1, 1, 0, 0, None)

    api.reviewer.answer = suggest
    body = {
        "sheetContext": {
            "sheetName": "S",
            "formulas": [
                {"cell": "C2", "formula": "=B2*1.2", "value": 12},
                {"cell": "C3", "formula": "=B3*1.2", "value": 24},
                {"cell": "D2", "formula": "=C2+1", "value": 13},
            ],
        }
    }

    results = (await api.post(body)).json()["results"]

    assert [(r["cell"], r.get("suggestedFormula")) for r in results] == [
        ("C2", "=B2*Rates!$B$1"),
        ("C3", "=B3*Rates!$B$1"),
        ("D2", None),
    ]


@pytest.mark.slow
async def test_ten_thousand_copies_of_one_formula_send_one_shape_to_the_reviewer(
    api: AuditApi,
) -> None:
    formulas = [[f"=A{row}*2"] for row in range(1, 10_001)]

    response = await api.post({"range": "B1:B10000", "context": {"data": {"formulas": formulas}}})

    assert response.status_code == 200
    [(shapes, _, _)] = api.reviewer.calls
    assert [(s.r1c1, s.example_cell, s.cell_count) for s in shapes] == [("=RC[-1]*2", "B1", 10_000)]
    body = response.json()
    assert body["summary"]["formulas"] == 10_000
    assert body["summary"]["uniqueShapes"] == 1
    [ai_finding] = [f for f in body["findings"] if f["source"] == "ai"]
    assert len(ai_finding["cells"]) == 10_000
    assert api.transport.calls == ["begin_audit", "finish_audit"]


# ---------------------------------------------------------------- degradation and failure


async def test_an_unavailable_reviewer_still_returns_the_engine_findings(api: AuditApi) -> None:
    api.reviewer.answer = unavailable

    body = (await api.post(SEED_GUIDE_BODY)).json()

    assert body["ai"] == {
        "status": "unavailable",
        "model": None,
        "tokens": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
        "reason": "Claude answered 529 (overloaded)",
    }
    assert [(f["ruleId"], f["source"]) for f in body["findings"]] == [
        ("lookup-without-error-handling", "engine")
    ]


async def test_an_audit_without_the_reviewer_is_counted_once_and_logged_degraded(
    api: AuditApi, database_url: str
) -> None:
    api.reviewer.answer = unavailable

    await api.post(SEED_GUIDE_BODY)

    assert committed(
        database_url,
        """select au.count, l.ai_status, l.degraded
             from organizations o
             join audit_usage au on au.organization_id = o.id
             join audit_logs l on l.organization_id = o.id
            where o.clerk_org_id = %s""",
        api.org_id,
    ) == [(1, "unavailable", True)]


async def test_without_an_anthropic_key_the_answer_says_the_review_is_disabled(
    local_settings: Settings, database_url: str
) -> None:
    settings = local_settings.model_copy(update={"anthropic_api_key": None})
    headers = {"x-user-id": unique_id("user"), "x-user-org": unique_id("org")}

    async with AsyncTestClient(
        app=create_app(settings, conninfo=database_url), base_url=LOOPBACK
    ) as client:
        response = await client.post("/api/audit", json=SEED_GUIDE_BODY, headers=headers)

    assert response.status_code == 200
    assert response.json()["ai"] == {
        "status": "disabled",
        "model": None,
        "tokens": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
        "reason": "ANTHROPIC_API_KEY is not set",
    }


async def test_an_engine_failure_releases_the_reserved_audit(
    api: AuditApi, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_engine(*_: object, **__: object) -> None:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(audit_service, "audit", broken_engine)

    response = await api.post(SEED_GUIDE_BODY)

    assert response.status_code == 500
    assert response.json()["code"] == "internal-error"
    assert api.transport.calls == ["begin_audit", "release_audit"]
    assert committed(
        database_url,
        """select au.count, r.status, (select count(*) from audit_logs l
                                          where l.organization_id = o.id)
             from organizations o
             join audit_usage au on au.organization_id = o.id
             join audit_reservations r on r.organization_id = o.id
            where o.clerk_org_id = %s""",
        api.org_id,
    ) == [(0, "released", 0)]


async def test_a_reviewer_crash_releases_the_reserved_audit(
    api: AuditApi, database_url: str
) -> None:
    def crash(_: Sequence[ShapeForReview]) -> ReviewOutcome:
        raise RuntimeError("reviewer bug")

    api.reviewer.answer = crash

    response = await api.post(SEED_GUIDE_BODY)

    assert response.status_code == 500
    assert committed(
        database_url,
        """select au.count from organizations o
             join audit_usage au on au.organization_id = o.id where o.clerk_org_id = %s""",
        api.org_id,
    ) == [(0,)]


# ---------------------------------------------------------------- quota and rate limit


async def test_an_exhausted_quota_is_a_402_with_the_plan_and_reset_date(
    api: AuditApi, database_url: str
) -> None:
    await api.post(SEED_GUIDE_BODY)
    set_audits_used(database_url, api.org_id, 10)

    response = await api.post(SEED_GUIDE_BODY)

    assert response.status_code == 402
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "quota-exceeded"
    assert body["plan"] == "free"
    assert body["resetsAt"] == next_month_start()
    assert body["quota"] == {
        "plan": "free",
        "limit": 10,
        "used": 10,
        "remaining": 0,
        "resetsAt": next_month_start(),
    }
    assert body["error"] == (
        f"The free plan's 10 audits for {this_month()} are used up; "
        f"the quota resets on {next_month_start()[:10]}."
    )
    assert response.headers["x-ratelimit-remaining"] == "99"


async def test_a_refused_audit_is_neither_billed_nor_logged(
    api: AuditApi, database_url: str
) -> None:
    await api.post(SEED_GUIDE_BODY)
    set_audits_used(database_url, api.org_id, 10)

    await api.post(SEED_GUIDE_BODY)

    assert committed(
        database_url,
        """select au.count, b.request_count,
                  (select count(*) from audit_logs l where l.organization_id = o.id)
             from organizations o
             join audit_usage au on au.organization_id = o.id
             join rate_limit_buckets b on b.organization_id = o.id
            where o.clerk_org_id = %s""",
        api.org_id,
    ) == [(10, 1, 1)]


async def test_a_full_rate_limit_window_is_a_429_with_retry_after(
    api: AuditApi, database_url: str
) -> None:
    await api.post(SEED_GUIDE_BODY)
    committed(
        database_url,
        """update rate_limit_buckets
              set request_count = 100, window_reset_at = now() + interval '1 hour'
            where organization_id = (select id from organizations where clerk_org_id = %s)""",
        api.org_id,
    )

    response = await api.post(SEED_GUIDE_BODY)

    assert response.status_code == 429
    assert response.headers["retry-after"] == "3600"
    assert response.headers["ratelimit"] == '"org";r=0;t=3600'
    assert response.headers["x-ratelimit-remaining"] == "0"
    body = response.json()
    assert body["code"] == "rate-limited"
    assert body["retryAfter"] == 3600
    assert body["error"] == (
        "Too many requests: 100 per 60 s for this organisation. Retry in 3600 s."
    )
    assert api.transport.calls == ["begin_audit", "finish_audit", "begin_audit"]


@pytest.mark.slow
async def test_an_unreachable_database_is_a_503_never_an_unlimited_pass(
    local_settings: Settings,
) -> None:
    gateway = await unreachable_gateway()
    headers = {"x-user-id": unique_id("user"), "x-user-org": unique_id("org")}

    app = create_app(
        local_settings,
        gateway=gateway,
        clients=replacing(reviewer=ReviewerDouble(one_info_per_shape)),
    )
    async with AsyncTestClient(app=app, base_url=LOOPBACK) as client:
        response = await client.post("/api/audit", json=SEED_GUIDE_BODY, headers=headers)
    await gateway.close()

    assert response.status_code == 503
    assert response.json()["code"] == "service-unavailable"


# ---------------------------------------------------------------- bad input


async def test_a_request_without_formulas_is_a_422(api: AuditApi) -> None:
    response = await api.post({"formulas": ["not a formula", ""], "context": {}})

    assert response.status_code == 422
    assert response.json()["code"] == "no-formulas"
    assert api.transport.calls == []


async def test_more_formulas_than_allowed_is_a_413(
    local_settings: Settings, database_url: str
) -> None:
    settings = local_settings.model_copy(update={"max_formulas": 1})
    async for api in _api(settings, database_url):
        response = await api.post(SEED_GUIDE_BODY)

        assert response.status_code == 413
        body = response.json()
        assert body["code"] == "too-many-formulas"
        assert (body["limit"], body["formulas"]) == (1, 2)


async def test_an_overlong_formula_is_a_422(local_settings: Settings, database_url: str) -> None:
    settings = local_settings.model_copy(update={"max_formula_length": 12})
    async for api in _api(settings, database_url):
        body = {"sheetContext": {"formulas": [{"cell": "A1", "formula": "=SUM(A2:A100)"}]}}

        response = await api.post(body)

        assert response.status_code == 422
        assert response.json()["code"] == "formula-too-long"
        assert response.json()["cell"] == "A1"


async def test_a_malformed_body_is_a_400(api: AuditApi) -> None:
    response = await api.post({"formulas": 5})

    assert response.status_code == 400
    assert response.json()["code"] == "bad-request"


async def test_an_audit_without_identity_is_a_401(api: AuditApi) -> None:
    response = await api.client.post("/api/audit", json=SEED_GUIDE_BODY)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


# ---------------------------------------------------------------- large bodies


def grid_body(rows: int, columns: int) -> dict[str, Any]:
    """One formula and rows x columns numbers: a sheet of values, as the add-on sends it."""
    values = [[row * columns + column for column in range(columns)] for row in range(rows)]
    return {
        "range": f"A1:A{rows}",
        "context": {"data": {"values": values, "formulas": [["=SUM(A2:A9)"]]}},
    }


async def test_values_count_against_the_cell_limit_before_any_database_call(
    local_settings: Settings, database_url: str
) -> None:
    settings = local_settings.model_copy(update={"max_cells": 100})
    async for api in _api(settings, database_url):
        response = await api.post(grid_body(10, 10))

        assert response.status_code == 413
        body = response.json()
        assert (body["code"], body["limit"], body["cells"]) == ("too-many-cells", 100, 101)
        assert api.transport.calls == []


async def test_an_audit_refused_for_its_quota_never_builds_its_cells(
    api: AuditApi, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await api.post(SEED_GUIDE_BODY)
    set_audits_used(database_url, api.org_id, 10)
    built: list[AuditRequest] = []
    normalised = AuditRequest.normalised

    def spy(request: AuditRequest) -> AuditInput:
        built.append(request)
        return normalised(request)

    monkeypatch.setattr(AuditRequest, "normalised", spy)

    response = await api.post(grid_body(100, 100))

    assert response.status_code == 402
    assert built == []


@pytest.mark.slow
async def test_health_answers_while_a_large_sheet_is_audited(
    local_settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine_started, health_answered = threading.Event(), threading.Event()
    released: list[bool] = []
    engine = audit_service.audit

    def engine_held_until_health_answers(*args: Any, **kwargs: Any) -> AuditReport:
        # On the event loop, this would keep /health from answering: the wait times out.
        engine_started.set()
        released.append(health_answered.wait(timeout=20))
        return engine(*args, **kwargs)

    monkeypatch.setattr(audit_service, "audit", engine_held_until_health_answers)
    who = {"x-user-id": unique_id("user"), "x-user-org": unique_id("org")}
    with running_server(create_app(local_settings, conninfo=database_url)) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
            audit = asyncio.create_task(
                http.post("/api/audit", json=grid_body(500, 100), headers=who)
            )
            assert await asyncio.to_thread(engine_started.wait, 20)
            health = await http.get("/health", timeout=10)
            health_answered.set()
            audited = await audit

    assert (health.status_code, released, audited.status_code) == (200, [True], 200)


CPU_STAGES = ("decode", "retrieval query", "build cells", "engine", "assess")


def record_threads(monkeypatch: pytest.MonkeyPatch) -> dict[str, set[int]]:
    """The threads each CPU-bound stage of an audit runs on, beside the event loop's
    (where begin_audit runs)."""
    threads: dict[str, set[int]] = {stage: set() for stage in (*CPU_STAGES, "event loop")}

    def spy(stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def on_thread(*args: Any, **kwargs: Any) -> Any:
            threads[stage].add(threading.get_ident())
            return function(*args, **kwargs)

        return on_thread

    begin = audit_store.begin_audit

    async def begin_on_loop(*args: Any, **kwargs: Any) -> Any:
        threads["event loop"].add(threading.get_ident())
        return await begin(*args, **kwargs)

    for owner, name, stage in (
        (audit_request, "parse_request", "decode"),
        (AuditRequest, "retrieval_query", "retrieval query"),
        (AuditRequest, "normalised", "build cells"),
        (audit_service, "audit", "engine"),
        (audit_service, "assess", "assess"),
    ):
        monkeypatch.setattr(owner, name, spy(stage, getattr(owner, name)))
    monkeypatch.setattr(audit_store, "begin_audit", begin_on_loop)
    return threads


async def test_a_large_sheet_is_decoded_and_audited_off_the_event_loop(
    api: AuditApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = record_threads(monkeypatch)
    body = grid_body(200, 100)
    assert len(json.dumps(body)) > audit_request.THREAD_THRESHOLD_BYTES

    response = await api.post(body)

    assert response.status_code == 200
    [loop] = threads["event loop"]
    assert {stage: len(threads[stage]) for stage in CPU_STAGES} == dict.fromkeys(CPU_STAGES, 1)
    assert {stage: loop in threads[stage] for stage in CPU_STAGES} == dict.fromkeys(
        CPU_STAGES, False
    )


async def test_a_small_sheet_is_audited_on_the_event_loop_without_thread_hand_offs(
    api: AuditApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = record_threads(monkeypatch)

    response = await api.post(SEED_GUIDE_BODY)

    assert response.status_code == 200
    [loop] = threads["event loop"]
    assert {stage: threads[stage] for stage in CPU_STAGES} == {s: {loop} for s in CPU_STAGES}


class FinishFailsOnce(CountingTransport):
    """Once armed, the database goes away for the next finish_audit, after the engine ran."""

    armed = False

    async def call(self, function: str, args: Mapping[str, Any]) -> Any:
        if function == "finish_audit" and self.armed:
            self.armed = False
            self.calls.append(function)
            raise Unavailable("server closed the connection unexpectedly")
        return await super().call(function, args)


async def test_a_failed_finish_gives_the_reserved_audit_back_at_once(
    local_settings: Settings, database_url: str
) -> None:
    async for api in _api(local_settings, database_url, counting=FinishFailsOnce):
        await api.post(SEED_GUIDE_BODY)
        set_audits_used(database_url, api.org_id, 9)  # one audit left this month
        assert isinstance(api.transport, FinishFailsOnce)
        api.transport.armed = True

        failed = await api.post(SEED_GUIDE_BODY)
        retried = await api.post(SEED_GUIDE_BODY)

        assert (failed.status_code, retried.status_code) == (503, 200)
        assert retried.json()["quota"]["used"] == 10
