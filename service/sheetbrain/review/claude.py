"""The Claude reviewer: concurrent batches, bounded retries, one deadline, honest outcome.

Failures never raise to the caller: each batch either yields validated findings or a
reason safe to show users, and the outcome says "ok", "partial" or "unavailable".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anthropic
from anthropic.types import Message

from sheetbrain.log import get_logger
from sheetbrain.review.answer import MalformedAnswer, read_answer
from sheetbrain.review.model import (
    AiFinding,
    PolicyForReview,
    ReviewOutcome,
    ReviewStatus,
    ShapeForReview,
)
from sheetbrain.review.request import ReviewRequest, build_request, plan_batches
from sheetbrain.settings import Settings

if TYPE_CHECKING:
    import httpx2

# The SDK retries 408/409/429/5xx/529 and connection errors with exponential backoff,
# honouring `retry-after`; the per-audit deadline bounds the total wait.
SDK_MAX_RETRIES = 2
# A malformed answer is asked for again once, then the batch counts as failed.
ANSWER_ATTEMPTS = 2
# An answer cut off at max_tokens halves its batch, at most this many times (40 -> 5 shapes).
MAX_SPLITS = 3

NO_API_KEY = "ANTHROPIC_API_KEY is not set"

_log = get_logger(__name__)


def build_reviewer(
    settings: Settings, http_client: httpx2.AsyncClient | None = None
) -> ClaudeReviewer | DisabledReviewer:
    """A Claude reviewer, or one that says the review is disabled when no key is configured.
    Close it when done: it holds the Anthropic client's connection pool."""
    api_key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else ""
    if not api_key.strip():
        return DisabledReviewer()
    client = anthropic.AsyncAnthropic(
        api_key=api_key,
        http_client=http_client,
        max_retries=SDK_MAX_RETRIES,
        timeout=settings.ai_timeout_seconds,
    )
    return ClaudeReviewer(
        client,
        model=settings.anthropic_model,
        deadline_seconds=settings.ai_timeout_seconds,
        max_concurrency=settings.ai_max_concurrency,
    )


class DisabledReviewer:
    async def review(
        self,
        shapes: Sequence[ShapeForReview],
        policies: Sequence[PolicyForReview],
        sheet_context: Mapping[str, str],
    ) -> ReviewOutcome:
        return ReviewOutcome(
            status="disabled",
            model=None,
            findings=(),
            input_tokens=0,
            output_tokens=0,
            cache_read_tokens=0,
            cache_write_tokens=0,
            reason=NO_API_KEY,
        )

    async def close(self) -> None:
        """Nothing to close: it holds no client."""


@dataclass(frozen=True)
class _Batch:
    """What one batch (or one half of a split batch) ended with."""

    findings: tuple[AiFinding, ...] = ()
    failure: str | None = None  # safe for users; None when the batch succeeded


@dataclass
class _Tokens:
    """Usage of every call of one review, including retried and cut-off answers (all billed)."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0

    def add(self, message: Message) -> None:
        usage = message.usage
        self.input += usage.input_tokens
        self.output += usage.output_tokens
        self.cache_read += usage.cache_read_input_tokens or 0
        self.cache_write += usage.cache_creation_input_tokens or 0


@dataclass
class _Review:
    """The state one `review` call shares between its batches."""

    policies: Sequence[PolicyForReview]
    sheet_context: Mapping[str, str]
    tokens: _Tokens


class ClaudeReviewer:
    def __init__(
        self,
        client: anthropic.AsyncAnthropic,
        *,
        model: str,
        deadline_seconds: float,
        max_concurrency: int,
    ) -> None:
        self.client = client
        self._model = model
        self._deadline_seconds = deadline_seconds
        # One limit for every review this reviewer (one per service process) runs: a
        # semaphore per review let N concurrent audits have N x max_concurrency calls.
        self._in_flight = asyncio.Semaphore(max_concurrency)

    async def close(self) -> None:
        await self.client.close()

    async def review(
        self,
        shapes: Sequence[ShapeForReview],
        policies: Sequence[PolicyForReview],
        sheet_context: Mapping[str, str],
    ) -> ReviewOutcome:
        started = time.perf_counter()
        review = _Review(policies, sheet_context, _Tokens())
        batches = plan_batches(shapes)
        tasks = [
            asyncio.create_task(self._review_batch(review, batch, MAX_SPLITS)) for batch in batches
        ]
        results = await self._within_deadline(tasks)
        outcome = self._outcome(results, review.tokens)
        _log.info(
            "ai_review.finished",
            model=self._model,
            status=outcome.status,
            shapes=len(shapes),
            policies=len(policies),
            batches=len(batches),
            failed_batches=sum(1 for result in results if result.failure is not None),
            findings=len(outcome.findings),
            input_tokens=outcome.input_tokens,
            output_tokens=outcome.output_tokens,
            cache_read_tokens=outcome.cache_read_tokens,
            cache_write_tokens=outcome.cache_write_tokens,
            duration_ms=round((time.perf_counter() - started) * 1000),
        )
        return outcome

    async def _within_deadline(self, tasks: list[asyncio.Task[list[_Batch]]]) -> list[_Batch]:
        """Each task's batches in order; a task still running at the deadline is cancelled."""
        if not tasks:
            return []
        try:
            await asyncio.wait(tasks, timeout=self._deadline_seconds)
        finally:
            # Also when the caller itself is cancelled: no call may outlive the review.
            running = [task for task in tasks if not task.done()]
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        late = _Batch(failure=f"Claude did not finish within {self._deadline_seconds:g} s")
        return [
            batch for task in tasks for batch in ([late] if task.cancelled() else task.result())
        ]

    async def _review_batch(
        self, review: _Review, shapes: Sequence[ShapeForReview], splits_left: int
    ) -> list[_Batch]:
        request = build_request(self._model, shapes, review.policies, review.sheet_context)
        for attempt in range(1, ANSWER_ATTEMPTS + 1):
            async with self._in_flight:
                answer = await self._call(request, len(shapes))
            if isinstance(answer, _Batch):
                return [answer]
            review.tokens.add(answer)
            if answer.stop_reason == "max_tokens":
                return await self._split(review, shapes, splits_left)
            try:
                findings = read_answer(answer, request.shape_ids, request.policy_ids)
            except MalformedAnswer as error:
                _log.warning(
                    "ai_review.malformed_answer",
                    model=self._model,
                    shapes=len(shapes),
                    attempt=attempt,
                    problem=str(error),
                )
            else:
                return [_Batch(findings=findings)]
        return [_Batch(failure="Claude answered in an unexpected format")]

    async def _split(
        self, review: _Review, shapes: Sequence[ShapeForReview], splits_left: int
    ) -> list[_Batch]:
        _log.warning("ai_review.answer_truncated", model=self._model, shapes=len(shapes))
        if len(shapes) < 2 or splits_left == 0:
            return [_Batch(failure="Claude's answer was longer than the output limit")]
        half = len(shapes) // 2
        first, second = await asyncio.gather(
            self._review_batch(review, shapes[:half], splits_left - 1),
            self._review_batch(review, shapes[half:], splits_left - 1),
        )
        return first + second

    async def _call(self, request: ReviewRequest, shape_count: int) -> Message | _Batch:
        """The answer to one request, or the failed batch after the SDK's own retries."""
        try:
            message: Message = await self.client.messages.create(**request.payload)
            return message
        except anthropic.APIStatusError as error:
            failure = _describe_status(error.status_code)
            status_code: int | None = error.status_code
        except anthropic.APITimeoutError:
            failure, status_code = "Claude did not answer in time", None
        except anthropic.APIConnectionError:
            failure, status_code = "Claude could not be reached", None
        except anthropic.AnthropicError:
            failure, status_code = "Claude's answer could not be read", None
        _log.warning(
            "ai_review.batch_failed",
            model=self._model,
            shapes=shape_count,
            status_code=status_code,
            reason=failure,
        )
        return _Batch(failure=failure)

    def _outcome(self, results: list[_Batch], tokens: _Tokens) -> ReviewOutcome:
        failures = [result.failure for result in results if result.failure is not None]
        status: ReviewStatus
        if not failures:
            status, reason = "ok", None
        elif len(failures) == len(results):
            status, reason = "unavailable", failures[0]
        else:
            status = "partial"
            reason = f"{len(failures)} of {len(results)} review batches failed: {failures[0]}"
        return ReviewOutcome(
            status=status,
            model=self._model,
            findings=tuple(finding for result in results for finding in result.findings),
            input_tokens=tokens.input,
            output_tokens=tokens.output,
            cache_read_tokens=tokens.cache_read,
            cache_write_tokens=tokens.cache_write,
            reason=reason,
        )


def _describe_status(status_code: int) -> str:
    if status_code == 429:
        return "Claude's rate limit was reached (HTTP 429)"
    if status_code == 529:
        return "Claude is overloaded (HTTP 529)"
    if status_code in (401, 403):
        return f"Claude rejected the configured API key (HTTP {status_code})"
    if status_code >= 500:
        return f"Claude had a server error (HTTP {status_code})"
    return f"Claude rejected the request (HTTP {status_code})"
