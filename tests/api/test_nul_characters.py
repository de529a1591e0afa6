"""Text Postgres cannot store (a NUL character) is a 400 problem, never a 500."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from support.ids import unique_id

pytestmark = pytest.mark.db


def member() -> dict[str, str]:
    return {"x-user-id": unique_id("user"), "x-user-org": unique_id("org")}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/ingest", {"title": "T\u0000", "content": "policy text"}),
        ("/api/audit", {"formulas": ["=SUM(A1:A2)"], "context": {"sheetName": "S\u0000"}}),
        ("/api/policies?q=a%00b", None),
    ],
    ids=["ingest-title", "audit-sheet-name", "policy-search"],
)
async def test_a_nul_character_is_refused_as_bad_input(
    client: AsyncTestClient[Litestar], path: str, body: dict[str, object] | None
) -> None:
    if body is None:
        response = await client.get(path, headers=member())
    else:
        response = await client.post(path, json=body, headers=member())

    assert (response.status_code, response.json()["code"]) == (400, "bad-request")
    assert response.headers["content-type"] == "application/problem+json"
