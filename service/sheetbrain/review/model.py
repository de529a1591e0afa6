"""What the reviewer takes and gives back: plain frozen dataclasses, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

AiSeverity = Literal["error", "warning", "info"]
ReviewStatus = Literal["ok", "unavailable", "disabled", "partial"]


@dataclass(frozen=True)
class ShapeForReview:
    """One unique R1C1 shape; the caller sends each shape once, however many cells share it."""

    shape_id: str
    r1c1: str
    example_cell: str | None
    example_formula: str
    cell_count: int
    engine_findings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyForReview:
    policy_id: str
    title: str
    content: str


@dataclass(frozen=True)
class AiFinding:
    """A finding Claude raised for a shape it was sent, citing only a policy it was sent."""

    shape_id: str
    severity: AiSeverity
    rule_id: str
    message: str
    suggestion: str | None
    suggested_formula: str | None
    policy_id: str | None


@dataclass(frozen=True)
class ReviewOutcome:
    status: ReviewStatus
    model: str | None
    findings: tuple[AiFinding, ...]
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reason: str | None


class Reviewer(Protocol):
    async def review(
        self,
        shapes: Sequence[ShapeForReview],
        policies: Sequence[PolicyForReview],
        sheet_context: Mapping[str, str],
    ) -> ReviewOutcome: ...
