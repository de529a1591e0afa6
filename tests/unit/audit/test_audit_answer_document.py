"""The audit answer's JSON, byte for byte, for representative requests (golden files).

Each case runs a request body through what `POST /api/audit` runs (decode and survey,
build the cells, assess the engine's report with a reviewer's outcome, the answer) with a
fixed clock and quota, and renders it as Litestar sends it. The golden files in
`answers/` were written by the implementation before the answer became msgspec structs;
the add-ons and the contract tests read exactly this document.

The engine's report for each case is recorded beside it (`<case>.report.json`, what the
engine found with the default policies when the documents were written), so that the
documents pin the request reading, the assessment and the serialisation, not the rules:
those change on their own.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar, post
from litestar.response import Response
from litestar.testing import TestClient

from sheetbrain.audit.answer import AuditAnswer, assess, audit_answer, shape_ids
from sheetbrain.audit.limits import quota_out
from sheetbrain.audit.policy_rules import TEMPLATE_RULES, rules_from_policies
from sheetbrain.audit.request import AuditLimits, parse_request
from sheetbrain.formulas import AuditReport, CellInput, Finding, Severity, Shape
from sheetbrain.review import AiFinding, ReviewOutcome
from sheetbrain.store.audits import PolicyText, QuotaState

ANSWERS = Path(__file__).parent / "answers"
CONTRACT_REQUESTS = Path(__file__).parents[2] / "contract" / "requests"
LIMITS = AuditLimits(max_formulas=1_000, max_formula_length=8_192, max_cells=10_000)
TIMESTAMP = datetime(2026, 3, 5, 7, 8, 9, 12_300, tzinfo=UTC)
RESETS_AT = datetime(2026, 4, 1, tzinfo=UTC)
POLICIES = tuple(
    PolicyText(
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"sheetbrain:{key}"),
        title="Keep nesting under four levels" if key == "max-nesting-depth" else key,
        content="...",
        truncated=False,
        template_key=key,
    )
    for key in TEMPLATE_RULES
)
DISABLED = ReviewOutcome("disabled", None, (), 0, 0, 0, 0, "ANTHROPIC_API_KEY is not set")

# A table with the defects the table rules look for: a number typed over a copied
# formula, a reference one row off, a total that stops short; and lookups, volatile
# functions, nesting, #REF!, error and boolean values, empty cells.
DEFECTS_GRID: dict[str, Any] = {
    "range": "A1:E9",
    "context": {
        "sheetName": "Sales",
        "sheetPurpose": "regional revenue",
        "data": {
            "values": [
                ["Region", "Units", "Price", "Revenue", "Share"],
                ["North", 10, 2.5, 25, 0.2],
                ["South", 12, 2.5, 30, 0.24],
                ["East", 8, 2.5, 75, 0.6],
                ["West", 14, 2.5, 35, "#DIV/0!"],
                ["Other", 3, 2.5, 7.5, True],
                ["Total", 44, None, 172.5, 1],
                ["Lookup", "#N/A", 46351.5, 42, ""],
                ["", "", "", "", None],
            ],
            "formulas": [
                ["", "", "", "", ""],
                ["", "", "", "=B2*C2", "=D2/D$7"],
                ["", "", "", "=B3*C3", "=D3/D$7"],
                ["", "", "", "", "=D4/D$7"],
                ["", "", "", "=B5*C4", "=D5/D7"],
                ["", "", "", "=B6*C6", "=D6/D$7"],
                ["", "=SUM(B2:B5)", "", "=SUM(D2:D6)", "=SUM(E2:E6)"],
                [
                    "",
                    "=VLOOKUP(A2,Rates!A:B,2)",
                    "=NOW()",
                    "=IF(B2>5,IF(B3>5,IF(B4>5,IF(B5>5,1,2),3),4),5)",
                    "=#REF!+1",
                ],
                ["", "", "", "", ""],
            ],
        },
    },
}
# The seed guide's list with a range it does not fit: results without addresses.
UNADDRESSED_LIST: dict[str, Any] = {
    "formulas": ["=SUM(A1:A10)", "=A1/B1", "=A1/B1", "not a formula"],
    "context": {"sheetName": "Budget", "range": "A1:A2"},
}


def contract_body(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((CONTRACT_REQUESTS / f"{name}.json").read_text())["body"]
    return body


CASES: dict[str, tuple[dict[str, Any], bool, int | None]] = {
    "seed_guide": (contract_body("audit_seed_guide"), False, 10),
    "api_client": (contract_body("audit_api_client"), True, 100),
    "main_script": (contract_body("audit_main_script"), True, None),
    "sheet_context": (contract_body("audit_sheet_context"), True, 100),
    "defects_grid": (DEFECTS_GRID, True, 100),
    "unaddressed_list": (UNADDRESSED_LIST, False, None),
}


def reviewed(shapes: Mapping[str, Shape]) -> ReviewOutcome:
    """A reviewer's outcome touching every branch: a suggestion moved to each copy, a note
    without one, a suggestion that does not parse (dropped)."""
    findings = []
    for number, (shape_id, shape) in enumerate(shapes.items()):
        formula = shape.representative_formula
        findings.append(
            [
                AiFinding(
                    shape_id,
                    "warning",
                    "ai-policy",
                    f"Check {formula}.",
                    "Document the inputs.",
                    f"=IFERROR({formula[1:]},0)",
                    str(POLICIES[0].id),
                ),
                AiFinding(shape_id, "info", "ai-style", "Name the range.", None, None, None),
                AiFinding(shape_id, "error", "ai-policy", "Broken.", None, "=SUM(", None),
            ][number % 3]
        )
    return ReviewOutcome("ok", "claude-test", tuple(findings), 1200, 80, 1000, 16, None)


def recorded_report(case: str, cells: tuple[CellInput, ...]) -> AuditReport:
    recorded = json.loads((ANSWERS / f"{case}.report.json").read_text())
    findings = tuple(
        Finding(
            **{
                **finding,
                "severity": Severity(finding["severity"]),
                "cells": tuple(finding["cells"]),
                "cell_indices": tuple(finding["cell_indices"]),
                "tags": frozenset(finding["tags"]),
            }
        )
        for finding in recorded["findings"]
    )
    shapes = tuple(
        Shape(
            **{
                **shape,
                "cells": tuple(shape["cells"]),
                "cell_indices": tuple(shape["cell_indices"]),
                "functions": tuple(shape["functions"]),
            }
        )
        for shape in recorded["shapes"]
    )
    by_index: dict[int, list[Finding]] = {}
    for finding in findings:  # as the engine files them: most severe first
        for index in finding.cell_indices:
            by_index.setdefault(index, []).append(finding)
    return AuditReport(
        cells=cells,
        findings=findings,
        shapes=shapes,
        formula_count=recorded["formula_count"],
        _by_index={index: tuple(cell_findings) for index, cell_findings in by_index.items()},
    )


def answer_to(case: str) -> AuditAnswer:
    body, review, limit = CASES[case]
    request = parse_request(msgspec.json.encode(body), LIMITS)
    cells = request.normalised()
    rules = rules_from_policies(POLICIES)
    report = recorded_report(case, cells.cells)
    shapes = shape_ids(report)
    outcome = reviewed(shapes) if review else DISABLED
    assessment = assess(cells, report, shapes, outcome, rules.policy_by_rule)
    quota = QuotaState(limit=limit, used=7, remaining=None, month="2026-03", resets_at=RESETS_AT)
    return audit_answer(assessment, outcome, quota_out("pro", quota, 8), 1234, TIMESTAMP)


def rendered(answer: AuditAnswer) -> bytes:
    """The body Litestar sends for the answer, as the audit controller returns it."""

    @post("/", sync_to_thread=False)
    def handler() -> Response[AuditAnswer]:
        return Response(answer, status_code=200)

    with TestClient(Litestar([handler])) as client:
        return client.post("/").content


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_answer_document_is_byte_for_byte_the_golden_one(case: str) -> None:
    document = rendered(answer_to(case))

    assert document == (ANSWERS / f"{case}.json").read_bytes()
