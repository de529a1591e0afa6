"""Pure request building and answer reading, without any HTTP."""

from __future__ import annotations

from typing import Any, get_args

from anthropic.types import Message

from sheetbrain.review import (
    TOOL_NAME,
    AiFinding,
    AiRuleId,
    PolicyForReview,
    ShapeForReview,
    build_request,
    plan_batches,
    plan_requests,
)
from sheetbrain.review.answer import read_answer
from sheetbrain.review.request import NO_POLICIES, output_token_budget

MODEL = "claude-sonnet-4-6"


def shape(number: int, *, formula_length: int = 10) -> ShapeForReview:
    formula = "=" + "A1+" * (formula_length // 3) + f"{number}"
    return ShapeForReview(f"shape-{number}", formula, f"B{number}", formula, 1)


def sizes(batches: tuple[tuple[ShapeForReview, ...], ...]) -> list[int]:
    return [len(batch) for batch in batches]


def test_batches_hold_at_most_forty_shapes() -> None:
    assert sizes(plan_batches([shape(n) for n in range(85)])) == [40, 40, 5]


def test_batches_also_stop_at_the_character_budget() -> None:
    long_shapes = [shape(n, formula_length=5_000) for n in range(5)]

    assert sizes(plan_batches(long_shapes)) == [2, 2, 1]


def test_a_shape_larger_than_the_budget_gets_a_batch_of_its_own() -> None:
    shapes = [shape(1), shape(2, formula_length=30_000), shape(3)]

    assert sizes(plan_batches(shapes)) == [1, 1, 1]


def test_batches_keep_the_order_of_the_shapes() -> None:
    shapes = [shape(n) for n in range(45)]

    assert [s for batch in plan_batches(shapes) for s in batch] == shapes


def test_the_output_budget_grows_with_the_batch() -> None:
    assert [output_token_budget(n) for n in (1, 10, 40)] == [1_374, 4_524, 15_024]


def test_one_request_is_planned_per_batch_with_its_own_aliases() -> None:
    requests = plan_requests(MODEL, [shape(n) for n in range(41)], [], {})

    assert [list(r.shape_ids.values())[:1] for r in requests] == [["shape-0"], ["shape-40"]]
    assert [list(r.shape_ids)[:2] for r in requests] == [["S1", "S2"], ["S1"]]


def test_the_cached_prefix_does_not_depend_on_the_order_of_the_policies() -> None:
    policies = [PolicyForReview("b", "B", "Second."), PolicyForReview("a", "A", "First.")]

    forward = build_request(MODEL, [shape(1)], policies, {})
    backward = build_request(MODEL, [shape(1)], policies[::-1], {})

    assert forward.payload["system"] == backward.payload["system"]
    assert forward.policy_ids == {"P1": "a", "P2": "b"}


def test_without_policies_the_prefix_says_so() -> None:
    request = build_request(MODEL, [shape(1)], [], {})

    assert request.payload["system"][1]["text"] == NO_POLICIES
    assert request.policy_ids == {}


def test_the_tool_schema_lists_the_allowed_rules_and_requires_an_equals_sign() -> None:
    [tool] = build_request(MODEL, [shape(1)], [], {}).payload["tools"]
    finding_schema = tool["input_schema"]["$defs"]["ToolFinding"]["properties"]

    assert finding_schema["rule"]["enum"] == list(get_args(AiRuleId))
    assert finding_schema["suggested_formula"]["anyOf"][0]["pattern"] == "^="


def test_long_sheet_context_values_are_cut_to_a_bounded_length() -> None:
    request = build_request(MODEL, [shape(1)], [], {"sheetPurpose": "x" * 2_000})

    assert '"sheetPurpose":"' + "x" * 500 + '"}' in request.payload["messages"][0]["content"]


def answer_with(findings: list[dict[str, Any]]) -> Message:
    return Message.model_validate(
        {
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": MODEL,
            "content": [
                {"type": "tool_use", "id": "t", "name": TOOL_NAME, "input": {"findings": findings}}
            ],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }
    )


def test_blank_optional_fields_are_read_as_null() -> None:
    blank = {"shape": "S1", "severity": "info", "rule": "ai-readability", "message": "Long."}
    message = answer_with([blank | {"suggestion": " ", "suggested_formula": "", "policy": ""}])

    assert read_answer(message, {"S1": "shape-1"}, {}) == (
        AiFinding("shape-1", "info", "ai-readability", "Long.", None, None, None),
    )


def test_identical_findings_are_reported_once() -> None:
    twice = {"shape": "S1", "severity": "info", "rule": "ai-readability", "message": "Long."}

    assert len(read_answer(answer_with([twice, twice]), {"S1": "shape-1"}, {})) == 1
