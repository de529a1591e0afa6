"""Claude's policy review of unique formula shapes: forced tool output, cached prefix, batches.

Independent of the web framework and the database::

    from sheetbrain.review import build_reviewer
    outcome = await build_reviewer(settings).review(shapes, policies, {"sheetName": "Q3"})
"""

from sheetbrain.review.answer import TOOL_NAME, AiRuleId
from sheetbrain.review.claude import ClaudeReviewer, DisabledReviewer, build_reviewer
from sheetbrain.review.model import (
    AiFinding,
    AiSeverity,
    PolicyForReview,
    Reviewer,
    ReviewOutcome,
    ReviewStatus,
    ShapeForReview,
)
from sheetbrain.review.request import ReviewRequest, build_request, plan_batches, plan_requests

__all__ = [
    "TOOL_NAME",
    "AiFinding",
    "AiRuleId",
    "AiSeverity",
    "ClaudeReviewer",
    "DisabledReviewer",
    "PolicyForReview",
    "ReviewOutcome",
    "ReviewRequest",
    "ReviewStatus",
    "Reviewer",
    "ShapeForReview",
    "build_request",
    "build_reviewer",
    "plan_batches",
    "plan_requests",
]
