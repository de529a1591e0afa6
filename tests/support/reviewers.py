"""A stand-in for Claude: implements the Reviewer protocol without any HTTP."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sheetbrain.review import PolicyForReview, ReviewOutcome, ShapeForReview


@dataclass
class ReviewerDouble:
    """`answer` decides the outcome from the shapes; `calls` records every review."""

    answer: Callable[[Sequence[ShapeForReview]], ReviewOutcome]
    calls: list[tuple[Sequence[ShapeForReview], Sequence[PolicyForReview], Mapping[str, str]]] = (
        field(default_factory=list)
    )

    async def review(
        self,
        shapes: Sequence[ShapeForReview],
        policies: Sequence[PolicyForReview],
        sheet_context: Mapping[str, str],
    ) -> ReviewOutcome:
        self.calls.append((shapes, policies, sheet_context))
        return self.answer(shapes)
