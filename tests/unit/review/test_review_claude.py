"""The Claude reviewer against a fake Messages API served through httpx2's mock transport."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anthropic
import httpx2
import pytest
from structlog.testing import capture_logs

from sheetbrain.review import (
    TOOL_NAME,
    AiFinding,
    ClaudeReviewer,
    PolicyForReview,
    Reviewer,
    ReviewOutcome,
    ShapeForReview,
    build_reviewer,
)
from sheetbrain.settings import Settings

MODEL = "claude-sonnet-4-6"
USAGE = {
    "input_tokens": 120,
    "output_tokens": 40,
    "cache_read_input_tokens": 900,
    "cache_creation_input_tokens": 30,
}
CONTEXT = {"sheetName": "Budget 2027", "sheetPurpose": "department budget"}
POLICIES = (
    PolicyForReview("pol-rates", "Exchange rates", "Rates must come from the Rates sheet."),
    PolicyForReview("pol-errors", "Error handling", "Every lookup must handle missing keys."),
)

Handler = Callable[[httpx2.Request], Awaitable[httpx2.Response]]


def shape(number: int, *, cell_count: int = 1) -> ShapeForReview:
    return ShapeForReview(
        shape_id=f"shape-{number}",
        r1c1=f"=R[0]C[-1]*{number}",
        example_cell=f"B{number}",
        example_formula=f"=A{number}*{number}",
        cell_count=cell_count,
    )


def finding(shape_alias: str, **overrides: Any) -> dict[str, Any]:
    return {
        "shape": shape_alias,
        "severity": "warning",
        "rule": "ai-hardcoded-value",
        "message": "The factor is typed into the formula.",
        "suggestion": "Move the factor to a labelled input cell.",
        "suggested_formula": None,
        "policy": None,
    } | overrides


def tool_answer(
    findings: list[dict[str, Any]], *, stop_reason: str = "tool_use", tool_input: Any = None
) -> httpx2.Response:
    return message_response(
        [
            {
                "type": "tool_use",
                "id": "toolu_test",
                "name": TOOL_NAME,
                "input": {"findings": findings} if tool_input is None else tool_input,
            }
        ],
        stop_reason=stop_reason,
    )


def message_response(content: list[dict[str, Any]], *, stop_reason: str) -> httpx2.Response:
    body = {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": USAGE,
    }
    return httpx2.Response(200, json=body)


def error_response(status: int) -> httpx2.Response:
    body = {"type": "error", "error": {"type": "api_error", "message": "try later"}}
    return httpx2.Response(status, json=body, headers={"retry-after-ms": "1"})


class FakeClaude:
    """Plays scripted answers in order (the last one repeats) and records every request body."""

    def __init__(self, *answers: httpx2.Response | Handler) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.bodies.append(json.loads(request.content))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, httpx2.Response):
            return answer
        return await answer(request)


def sent_shapes(body: dict[str, Any]) -> list[dict[str, Any]]:
    shapes: list[dict[str, Any]] = json.loads(body["messages"][0]["content"])["shapes"]
    return shapes


async def echo_one_finding_per_shape(request: httpx2.Request) -> httpx2.Response:
    shapes = sent_shapes(json.loads(request.content))
    return tool_answer([finding(sent["id"]) for sent in shapes])


MakeReviewer = Callable[..., Reviewer]


@pytest.fixture
async def make_reviewer() -> AsyncIterator[MakeReviewer]:
    clients: list[httpx2.AsyncClient] = []

    def make(fake: FakeClaude, **settings: Any) -> Reviewer:
        client = httpx2.AsyncClient(transport=httpx2.MockTransport(fake))
        clients.append(client)
        configured = Settings(
            anthropic_api_key="test-key",
            anthropic_model=MODEL,
            _env_file=None,
            **({"ai_timeout_seconds": 5.0} | settings),
        )
        return build_reviewer(configured, http_client=client)

    yield make
    for client in clients:
        await client.aclose()


async def review(reviewer: Reviewer, shapes: list[ShapeForReview]) -> ReviewOutcome:
    return await reviewer.review(shapes, POLICIES, CONTEXT)


async def test_a_normal_answer_is_mapped_to_findings_exactly(
    make_reviewer: MakeReviewer,
) -> None:
    fake = FakeClaude(
        tool_answer(
            [
                finding(
                    "S2",
                    severity="error",
                    rule="ai-policy",
                    message="The rate is typed in instead of read from Rates.",
                    suggestion="Look the rate up on the Rates sheet.",
                    suggested_formula="=A2*Rates!B2",
                    policy="P2",
                ),
                finding("S1", severity="info", suggestion=None),
            ]
        )
    )

    outcome = await review(make_reviewer(fake), [shape(1), shape(2)])

    assert outcome == ReviewOutcome(
        status="ok",
        model=MODEL,
        findings=(
            AiFinding(
                shape_id="shape-1",
                severity="info",
                rule_id="ai-hardcoded-value",
                message="The factor is typed into the formula.",
                suggestion=None,
                suggested_formula=None,
                policy_id=None,
            ),
            AiFinding(
                shape_id="shape-2",
                severity="error",
                rule_id="ai-policy",
                message="The rate is typed in instead of read from Rates.",
                suggestion="Look the rate up on the Rates sheet.",
                suggested_formula="=A2*Rates!B2",
                policy_id="pol-rates",
            ),
        ),
        input_tokens=120,
        output_tokens=40,
        cache_read_tokens=900,
        cache_write_tokens=30,
        reason=None,
    )


async def test_the_request_forces_the_review_tool(make_reviewer: MakeReviewer) -> None:
    fake = FakeClaude(tool_answer([]))

    await review(make_reviewer(fake), [shape(1)])

    [body] = fake.bodies
    assert body["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    assert [tool["name"] for tool in body["tools"]] == [TOOL_NAME]
    assert body["tools"][0]["input_schema"]["required"] == ["findings"]
    assert body["model"] == MODEL


async def test_the_system_prefix_with_the_policies_is_marked_for_caching(
    make_reviewer: MakeReviewer,
) -> None:
    fake = FakeClaude(tool_answer([]))

    await review(make_reviewer(fake), [shape(1)])

    prompt, policies = fake.bodies[0]["system"]
    assert "cache_control" not in prompt
    assert policies["cache_control"] == {"type": "ephemeral"}
    assert policies["text"] == (
        "Organisation policies:\n\n"
        '<policy id="P1">\nTitle: Error handling\n\nEvery lookup must handle missing keys.\n'
        "</policy>\n\n"
        '<policy id="P2">\nTitle: Exchange rates\n\nRates must come from the Rates sheet.\n'
        "</policy>"
    )


async def test_shapes_and_sheet_context_go_in_the_user_message_as_compact_json(
    make_reviewer: MakeReviewer,
) -> None:
    fake = FakeClaude(tool_answer([]))
    engine_checked = ShapeForReview(
        "shape-9", "=VLOOKUP(RC[-1],C1:C2,2)", None, "=VLOOKUP(A9,A:B,2)", 3, ("whole column",)
    )

    await review(make_reviewer(fake), [shape(1), engine_checked])

    assert fake.bodies[0]["messages"] == [
        {
            "role": "user",
            "content": '{"sheet":{"sheetName":"Budget 2027","sheetPurpose":"department budget"},'
            '"shapes":[{"id":"S1","r1c1":"=R[0]C[-1]*1","formula":"=A1*1","cell":"B1"},'
            '{"id":"S2","r1c1":"=VLOOKUP(RC[-1],C1:C2,2)","formula":"=VLOOKUP(A9,A:B,2)",'
            '"engine":["whole column"]}]}',
        }
    ]


async def test_a_malformed_answer_is_retried_once_then_the_review_is_unavailable(
    make_reviewer: MakeReviewer,
) -> None:
    fake = FakeClaude(tool_answer([finding("S1", severity="critical")]))

    outcome = await review(make_reviewer(fake), [shape(1)])

    assert len(fake.bodies) == 2
    assert (outcome.status, outcome.findings, outcome.reason) == (
        "unavailable",
        (),
        "Claude answered in an unexpected format",
    )


async def test_a_malformed_answer_followed_by_a_good_one_is_ok(
    make_reviewer: MakeReviewer,
) -> None:
    fake = FakeClaude(tool_answer([], tool_input={"issues": []}), tool_answer([finding("S1")]))

    outcome = await review(make_reviewer(fake), [shape(1)])

    assert len(fake.bodies) == 2
    assert outcome.status == "ok"
    assert [f.shape_id for f in outcome.findings] == ["shape-1"]
    assert (outcome.input_tokens, outcome.output_tokens) == (240, 80)


async def test_an_answer_without_a_tool_call_counts_as_malformed(
    make_reviewer: MakeReviewer,
) -> None:
    text_only = message_response([{"type": "text", "text": "All fine."}], stop_reason="end_turn")
    fake = FakeClaude(text_only, tool_answer([]))

    outcome = await review(make_reviewer(fake), [shape(1)])

    assert len(fake.bodies) == 2
    assert outcome.status == "ok"


async def test_a_suggested_formula_without_an_equals_sign_is_malformed(
    make_reviewer: MakeReviewer,
) -> None:
    fake = FakeClaude(tool_answer([finding("S1", suggested_formula="A1*2")]))

    outcome = await review(make_reviewer(fake), [shape(1)])

    assert (len(fake.bodies), outcome.status) == (2, "unavailable")


async def test_a_rate_limited_call_is_retried_and_then_succeeds(
    make_reviewer: MakeReviewer,
) -> None:
    fake = FakeClaude(error_response(429), tool_answer([finding("S1")]))

    outcome = await review(make_reviewer(fake), [shape(1)])

    assert len(fake.bodies) == 2
    assert (outcome.status, len(outcome.findings)) == ("ok", 1)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (500, "Claude had a server error (HTTP 500)"),
        (529, "Claude is overloaded (HTTP 529)"),
        (429, "Claude's rate limit was reached (HTTP 429)"),
    ],
)
async def test_an_error_that_outlasts_the_retries_makes_the_review_unavailable(
    make_reviewer: MakeReviewer, status: int, reason: str
) -> None:
    fake = FakeClaude(error_response(status))

    outcome = await review(make_reviewer(fake), [shape(1)])

    assert len(fake.bodies) == 3  # the first call and the SDK's two retries
    assert (outcome.status, outcome.findings, outcome.reason) == ("unavailable", (), reason)


async def test_a_rejected_api_key_makes_the_review_unavailable_without_retrying(
    make_reviewer: MakeReviewer,
) -> None:
    fake = FakeClaude(error_response(401))

    outcome = await review(make_reviewer(fake), [shape(1)])

    assert len(fake.bodies) == 1
    assert outcome.reason == "Claude rejected the configured API key (HTTP 401)"


async def test_an_unreachable_api_makes_the_review_unavailable() -> None:
    async def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(refuse)) as http_client:
        client = anthropic.AsyncAnthropic(
            api_key="test-key", http_client=http_client, max_retries=0
        )
        reviewer = ClaudeReviewer(client, model=MODEL, deadline_seconds=5, max_concurrency=1)

        outcome = await review(reviewer, [shape(1)])

    assert (outcome.status, outcome.reason) == ("unavailable", "Claude could not be reached")


async def test_a_review_past_its_deadline_is_unavailable(make_reviewer: MakeReviewer) -> None:
    async def never_answer(request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(30)
        return tool_answer([])

    outcome = await review(
        make_reviewer(FakeClaude(never_answer), ai_timeout_seconds=0.1), [shape(1)]
    )

    assert (outcome.status, outcome.reason) == (
        "unavailable",
        "Claude did not finish within 0.1 s",
    )


async def test_batches_finished_by_the_deadline_keep_their_findings(
    make_reviewer: MakeReviewer,
) -> None:
    async def stall_the_small_batch(request: httpx2.Request) -> httpx2.Response:
        if len(sent_shapes(json.loads(request.content))) == 1:
            await asyncio.sleep(30)
        return await echo_one_finding_per_shape(request)

    reviewer = make_reviewer(FakeClaude(stall_the_small_batch), ai_timeout_seconds=0.2)

    outcome = await review(reviewer, [shape(n) for n in range(41)])

    assert (outcome.status, len(outcome.findings), outcome.reason) == (
        "partial",
        40,
        "1 of 2 review batches failed: Claude did not finish within 0.2 s",
    )


async def test_cancelling_the_review_cancels_its_calls(make_reviewer: MakeReviewer) -> None:
    entered, cancelled = asyncio.Event(), asyncio.Event()

    async def wait_forever(request: httpx2.Request) -> httpx2.Response:
        entered.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return tool_answer([])

    running = asyncio.create_task(review(make_reviewer(FakeClaude(wait_forever)), [shape(1)]))
    await entered.wait()
    running.cancel()

    with pytest.raises(asyncio.CancelledError):
        await running
    assert cancelled.is_set()


async def test_findings_for_a_shape_that_was_not_sent_are_dropped(
    make_reviewer: MakeReviewer,
) -> None:
    fake = FakeClaude(tool_answer([finding("S7"), finding("shape-1"), finding("S1")]))

    outcome = await review(make_reviewer(fake), [shape(1)])

    assert [f.shape_id for f in outcome.findings] == ["shape-1"]


async def test_findings_citing_a_policy_that_was_not_sent_are_dropped(
    make_reviewer: MakeReviewer,
) -> None:
    fake = FakeClaude(
        tool_answer(
            [
                finding("S1", rule="ai-policy", policy="P3"),
                finding("S1", rule="ai-policy", policy="pol-rates"),
                finding("S1", rule="ai-policy", policy="P1"),
            ]
        )
    )

    outcome = await review(make_reviewer(fake), [shape(1)])

    assert [f.policy_id for f in outcome.findings] == ["pol-errors"]


async def test_without_an_api_key_the_review_is_disabled() -> None:
    settings = Settings(anthropic_api_key=None, _env_file=None)

    outcome = await build_reviewer(settings).review([shape(1)], POLICIES, CONTEXT)

    assert outcome == ReviewOutcome(
        status="disabled",
        model=None,
        findings=(),
        input_tokens=0,
        output_tokens=0,
        cache_read_tokens=0,
        cache_write_tokens=0,
        reason="ANTHROPIC_API_KEY is not set",
    )


async def test_no_shapes_means_no_call(make_reviewer: MakeReviewer) -> None:
    fake = FakeClaude(tool_answer([]))

    outcome = await review(make_reviewer(fake), [])

    assert (fake.bodies, outcome.status, outcome.findings) == ([], "ok", ())


async def test_120_shapes_are_reviewed_in_three_calls(make_reviewer: MakeReviewer) -> None:
    fake = FakeClaude(echo_one_finding_per_shape)
    shapes = [shape(number) for number in range(120)]

    outcome = await review(make_reviewer(fake), shapes)

    assert [len(sent_shapes(body)) for body in fake.bodies] == [40, 40, 40]
    assert [f.shape_id for f in outcome.findings] == [s.shape_id for s in shapes]
    assert (outcome.status, outcome.input_tokens, outcome.cache_read_tokens) == ("ok", 360, 2700)


async def test_the_request_does_not_grow_with_the_cell_count(
    make_reviewer: MakeReviewer,
) -> None:
    one_cell, many_cells = FakeClaude(tool_answer([])), FakeClaude(tool_answer([]))

    await review(make_reviewer(one_cell), [shape(1, cell_count=1)])
    await review(make_reviewer(many_cells), [shape(1, cell_count=10_000)])

    assert len(many_cells.bodies) == 1
    assert json.dumps(many_cells.bodies[0]) == json.dumps(one_cell.bodies[0])


async def test_some_batches_failing_makes_the_review_partial(
    make_reviewer: MakeReviewer,
) -> None:
    async def fail_the_small_batch(request: httpx2.Request) -> httpx2.Response:
        if len(sent_shapes(json.loads(request.content))) == 1:
            return error_response(529)
        return await echo_one_finding_per_shape(request)

    outcome = await review(
        make_reviewer(FakeClaude(fail_the_small_batch)), [shape(n) for n in range(41)]
    )

    assert (outcome.status, len(outcome.findings), outcome.reason) == (
        "partial",
        40,
        "1 of 2 review batches failed: Claude is overloaded (HTTP 529)",
    )


async def test_an_answer_cut_off_at_max_tokens_is_split_and_retried(
    make_reviewer: MakeReviewer,
) -> None:
    async def cut_off_above_two_shapes(request: httpx2.Request) -> httpx2.Response:
        if len(sent_shapes(json.loads(request.content))) > 2:
            return tool_answer([], stop_reason="max_tokens")
        return await echo_one_finding_per_shape(request)

    fake = FakeClaude(cut_off_above_two_shapes)

    outcome = await review(make_reviewer(fake), [shape(n) for n in range(4)])

    assert [len(sent_shapes(body)) for body in fake.bodies] == [4, 2, 2]
    assert [body["max_tokens"] for body in fake.bodies] == [2424, 1724, 1724]
    assert [f.shape_id for f in outcome.findings] == ["shape-0", "shape-1", "shape-2", "shape-3"]
    assert outcome.status == "ok"


class SlowAnswers:
    """Answers after a short wait, remembering the most calls it had in flight at once."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0.02)
        self.in_flight -= 1
        return tool_answer([])


async def test_batches_run_concurrently_up_to_the_configured_cap(
    make_reviewer: MakeReviewer,
) -> None:
    slow = SlowAnswers()
    fake = FakeClaude(slow)

    await review(make_reviewer(fake, ai_max_concurrency=2), [shape(n) for n in range(200)])

    assert (len(fake.bodies), slow.peak) == (5, 2)


async def test_logs_carry_counts_but_no_key_formula_or_policy_text(
    make_reviewer: MakeReviewer,
) -> None:
    fake = FakeClaude(tool_answer([], tool_input={}), tool_answer([finding("S1")]))

    with capture_logs() as logs:
        await review(make_reviewer(fake), [shape(1)])

    logged = json.dumps(logs)
    for secret_or_text in ("test-key", "=A1*1", "R[0]C[-1]", "Rates must", "Budget 2027"):
        assert secret_or_text not in logged
    finished = next(log for log in logs if log["event"] == "ai_review.finished")
    assert (finished["batches"], finished["input_tokens"], finished["status"]) == (1, 240, "ok")
    assert [log["event"] for log in logs].count("ai_review.malformed_answer") == 1


async def test_concurrent_reviews_share_one_cap_on_calls_in_flight(
    make_reviewer: MakeReviewer,
) -> None:
    slow = SlowAnswers()
    reviewer = make_reviewer(FakeClaude(slow), ai_max_concurrency=4)

    await asyncio.gather(*(review(reviewer, [shape(n) for n in range(200)]) for _ in range(6)))

    assert slow.peak == 4
