"""`POST /api/audit` in the four shapes the add-ons and the seed guide send."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from contract.addon import (
    A1_CELL,
    assert_client_error,
    assert_error_body,
    assert_result_entry,
    load_request,
    replay,
)
from contract.conftest import AddonSession

pytestmark = pytest.mark.db

GRID_SHAPES = ["audit_api_client", "audit_main_script", "audit_sheet_context"]


@pytest.mark.parametrize("shape", ["audit_seed_guide", *GRID_SHAPES])
async def test_every_result_carries_the_fields_the_addons_read(
    service: AsyncTestClient[Litestar], session: AddonSession, shape: str
) -> None:
    request = load_request(shape)

    response = await replay(service, request, session.access_token)

    assert response.status_code == 200
    results = response.json()["results"]
    assert isinstance(results, list)
    assert results
    for entry in results:
        assert_result_entry(entry)


async def test_the_seed_guide_list_answers_one_result_per_formula(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> None:
    request = load_request("audit_seed_guide")

    response = await replay(service, request, session.access_token)

    results = response.json()["results"]
    assert [entry["formula"] for entry in results] == request.body["formulas"]


@pytest.mark.parametrize("shape", GRID_SHAPES)
async def test_grid_shapes_answer_one_result_per_formula_cell_in_a1(
    service: AsyncTestClient[Litestar], session: AddonSession, shape: str
) -> None:
    request = load_request(shape)

    response = await replay(service, request, session.access_token)

    cells = sorted(entry["cell"] for entry in response.json()["results"])
    assert cells == request.expect["cells"]
    assert all(A1_CELL.match(cell) for cell in cells)


@pytest.mark.parametrize("shape", ["audit_api_client", "audit_sheet_context"])
async def test_an_approximate_lookup_is_coloured_as_a_risk(
    service: AsyncTestClient[Litestar], session: AddonSession, shape: str
) -> None:
    request = load_request(shape)

    response = await replay(service, request, session.access_token)

    risk = {entry["cell"]: entry["riskLevel"] for entry in response.json()["results"]}
    uncoloured = [cell for cell in request.expect["riskyCells"] if risk[cell] == "low"]
    assert uncoloured == []


async def test_only_cells_without_warnings_or_errors_count_as_compliant(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> None:
    request = load_request("audit_sheet_context")

    response = await replay(service, request, session.access_token)

    body = response.json()
    compliant = sorted(entry["cell"] for entry in body["results"] if entry["compliant"])
    assert compliant == request.expect["compliantCells"]
    assert body["summary"]["compliant"] == len(compliant)


async def test_the_original_backends_keys_are_kept_beside_results(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> None:
    request = load_request("audit_seed_guide")

    response = await replay(service, request, session.access_token)

    body = response.json()
    assert body["success"] is True
    assert body["count"] == len(body["audits"]) == len(request.body["formulas"])
    assert isinstance(body["timestamp"], str)
    assert isinstance(body["duration"], int | float)
    assert "compliant" in body
    for audit in body["audits"]:
        assert {"cellAddress", "formula", "compliant", "risk", "issues", "recommendations"} <= set(
            audit
        )
        assert isinstance(audit["compliant"], bool)


async def test_an_audit_without_a_token_answers_an_error_the_addon_can_show(
    service: AsyncTestClient[Litestar],
) -> None:
    response = await replay(service, load_request("audit_sheet_context"), token=None)

    assert_error_body(response, 401)


async def test_an_audit_with_a_forged_token_answers_an_error_the_addon_can_show(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> None:
    header, payload, _ = session.access_token.split(".")

    response = await replay(service, load_request("audit_sheet_context"), f"{header}.{payload}.x")

    assert_error_body(response, 401)


async def test_an_audit_of_nothing_answers_an_error_the_addon_can_show(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> None:
    request = load_request("audit_sheet_context")
    empty = type(request)(
        request.method, request.path, request.headers, {"sheetContext": {"formulas": []}}
    )

    response = await replay(service, empty, session.access_token)

    assert_client_error(response)
