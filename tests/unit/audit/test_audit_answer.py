"""Risk levels, per-cell results and the policy-to-engine mapping."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from sheetbrain.audit.answer import assess, risk_level, shape_ids
from sheetbrain.audit.policy_rules import TEMPLATE_RULES, rules_from_policies
from sheetbrain.audit.request import AuditInput, SheetContext
from sheetbrain.formulas import CellInput, Severity, audit, rule_catalog
from sheetbrain.review import AiFinding, ReviewOutcome
from sheetbrain.store.audits import PolicyText

NO_REVIEW = ReviewOutcome("disabled", None, (), 0, 0, 0, 0, "ANTHROPIC_API_KEY is not set")


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.ERROR, "high"),
        (Severity.WARNING, "medium"),
        (Severity.INFO, "low"),
        (None, "low"),
    ],
)
def test_the_worst_severity_decides_the_risk_level(severity: Severity | None, level: str) -> None:
    assert risk_level(severity) == level


def policy(template_key: str | None, title: str = "A policy") -> PolicyText:
    return PolicyText(
        id=uuid.uuid4(), title=title, content="...", truncated=False, template_key=template_key
    )


def test_every_template_maps_to_rules_the_engine_has() -> None:
    known = {info.rule_id for info in rule_catalog()}

    assert {rule for rules in TEMPLATE_RULES.values() for rule in rules} <= known


def test_a_kept_default_policy_is_cited_by_its_rules_and_raises_hints_to_warnings() -> None:
    named_ranges = policy("named-ranges")
    aggregates = policy("prefer-conditional-aggregates")

    rules = rules_from_policies([named_ranges, aggregates, policy(None)])

    assert rules.policy_by_rule == {
        "absolute-reference-has-name": named_ranges.id,
        "array-aggregate": aggregates.id,
    }
    assert rules.config.severity_overrides == {
        "absolute-reference-has-name": Severity.WARNING,
        "array-aggregate": Severity.WARNING,
    }


@pytest.mark.parametrize(
    ("title", "depth"),
    [
        ("Keep nesting depth at three levels or less", 3),
        ("Nest at most 5 levels", 5),
        ("Keep formulas flat", 3),
    ],
)
def test_the_nesting_policy_title_sets_the_nesting_threshold(title: str, depth: int) -> None:
    rules = rules_from_policies([policy("max-nesting-depth", title)])

    assert rules.config.max_nesting == depth


def test_without_policies_the_engine_keeps_its_defaults() -> None:
    rules = rules_from_policies([])

    assert (rules.config.max_nesting, rules.config.severity_overrides, rules.policy_by_rule) == (
        3,
        {},
        {},
    )


def test_findings_of_a_copied_formula_reach_every_cell_of_its_shape() -> None:
    request = AuditInput(
        cells=(CellInput("B1", "=A1/C1", "#DIV/0!"), CellInput("B2", "=A2/C2", "#DIV/0!")),
        context=SheetContext(),
    )
    report = audit(request.cells)
    shapes = shape_ids(report)
    [shape_id] = shapes
    review = ReviewOutcome(
        "ok",
        "m",
        (AiFinding(shape_id, "error", "ai-policy", "Wrong column.", "Use D.", "=A1/D1", None),),
        1,
        1,
        0,
        0,
        None,
    )

    assessment = assess(request, report, shapes, review, {})

    assert [(r.cell, r.riskLevel, r.suggestedFormula) for r in assessment.results] == [
        ("B1", "high", "=A1/D1"),
        ("B2", "high", "=A2/D2"),
    ]
    assert [(f.ruleId, f.source, f.cells) for f in assessment.findings] == [
        ("unguarded-division", "engine", ["B1", "B2"]),
        ("ai-policy", "ai", ["B1", "B2"]),
    ]
    assert msgspec.structs.asdict(assessment.summary.issuesBySeverity) == {
        "error": 2,
        "warning": 2,
        "info": 0,
    }


def test_a_cell_without_findings_is_compliant_low_risk_without_a_suggestion() -> None:
    request = AuditInput(cells=(CellInput("A1", "=1+1"),), context=SheetContext())
    report = audit(request.cells)

    assessment = assess(request, report, shape_ids(report), NO_REVIEW, {})

    [result] = assessment.results
    assert msgspec.to_builtins(result) == {
        "cell": "A1",
        "formula": "=1+1",
        "compliant": True,
        "riskLevel": "low",
        "issues": [],
        "recommendation": "No issues found.",
    }
    assert assessment.audits[0].compliant is True
