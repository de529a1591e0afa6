"""The tool Claude is forced to call, and the strict reading of what it answers.

The tool's JSON schema is generated from the pydantic model that validates the answer, so
what Claude is asked for and what we accept cannot drift apart. The answer refers to shapes
and policies by the short aliases the request sent (`S1`, `P1`); anything else is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from anthropic.types import Message
from pydantic import BaseModel, Field, ValidationError, field_validator

from sheetbrain.review.model import AiFinding, AiSeverity

TOOL_NAME = "report_findings"

AiRuleId = Literal[
    "ai-policy",
    "ai-logic-error",
    "ai-wrong-reference",
    "ai-hardcoded-value",
    "ai-error-handling",
    "ai-fragile-construct",
    "ai-performance",
    "ai-readability",
]


class ToolFinding(BaseModel):
    shape: str = Field(description="Id of the reviewed shape, exactly as sent (e.g. S1).")
    severity: AiSeverity
    rule: AiRuleId = Field(description="'ai-policy' for a policy breach, else the closest rule.")
    message: str = Field(min_length=1, max_length=2000, description="What is wrong, briefly.")
    suggestion: str | None = Field(None, max_length=2000, description="How to fix it, or null.")
    suggested_formula: str | None = Field(
        None,
        pattern=r"^=",
        max_length=8192,
        description="Corrected formula for the example cell, A1 notation, or null.",
    )
    policy: str | None = Field(
        None, description="Id of the policy this breaches, exactly as sent (e.g. P1), or null."
    )

    @field_validator("suggestion", "suggested_formula", "policy", mode="before")
    @classmethod
    def _blank_is_null(cls, value: object) -> object:
        # Models sometimes send "" for "nothing to suggest"; that is null, not a bad answer.
        return None if isinstance(value, str) and not value.strip() else value


class ReviewAnswer(BaseModel):
    findings: list[ToolFinding] = Field(
        description="Every problem found; an empty list when all shapes are fine."
    )


def review_tool() -> dict[str, Any]:
    return {
        "name": TOOL_NAME,
        "description": "Report the problems found in the formula shapes under review.",
        "input_schema": ReviewAnswer.model_json_schema(),
    }


class MalformedAnswer(Exception):
    """Claude's answer did not follow the tool's schema (or did not call the tool)."""


def read_answer(
    message: Message, shape_ids: Mapping[str, str], policy_ids: Mapping[str, str]
) -> tuple[AiFinding, ...]:
    """The findings of a tool call, mapped back to the caller's ids, in the order sent.

    A finding naming a shape or a policy that was not sent is dropped: it would be invented.
    Raises `MalformedAnswer` when there is no call of our tool or its input fails validation.
    """
    calls = [block for block in message.content if block.type == "tool_use"]
    call = next((block for block in calls if block.name == TOOL_NAME), None)
    if call is None:
        raise MalformedAnswer("no tool call in the answer")
    try:
        answer = ReviewAnswer.model_validate(call.input)
    except ValidationError as error:
        raise MalformedAnswer(f"{error.error_count()} schema violations") from None
    position = {alias: index for index, alias in enumerate(shape_ids)}
    kept = [
        finding
        for finding in answer.findings
        if finding.shape in shape_ids and (finding.policy is None or finding.policy in policy_ids)
    ]
    kept.sort(key=lambda finding: position[finding.shape])
    mapped = (
        AiFinding(
            shape_id=shape_ids[finding.shape],
            severity=finding.severity,
            rule_id=finding.rule,
            message=finding.message,
            suggestion=finding.suggestion,
            suggested_formula=finding.suggested_formula,
            policy_id=None if finding.policy is None else policy_ids[finding.policy],
        )
        for finding in kept
    )
    return tuple(dict.fromkeys(mapped))
