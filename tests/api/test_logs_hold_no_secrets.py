"""Log lines carry ids and counts, never tokens, keys, formulas or document text."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from support.ids import unique_id

pytestmark = pytest.mark.db

POLICY_TEXT = "Confidential-policy-wording-7f3a: never share quarterly margins."
FORMULA = "=VLOOKUP(A2,Secret_Margins_9c1e!A:B,2)"
# A made-up token (header, payload, signature), only to look for in the logs.
BEARER = ".".join(
    ("eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiJsZWFrLWNoZWNrIn0", "c2lnbmF0dXJlLWxlYWstY2hlY2s")
)


async def test_requests_with_tokens_documents_and_formulas_leave_none_of_them_in_logs(
    client: AsyncTestClient[Litestar], capfd: pytest.CaptureFixture[str]
) -> None:
    member = {"x-user-id": unique_id("user"), "x-user-org": unique_id("org")}

    ingest = await client.post(
        "/api/ingest", json={"title": "Margins", "content": POLICY_TEXT}, headers=member
    )
    audit = await client.post(
        "/api/audit", json={"formulas": [FORMULA], "context": {"range": "B2"}}, headers=member
    )
    refused = await client.get("/api/policies", headers={"Authorization": f"Bearer {BEARER}"})
    logged = capfd.readouterr().out

    assert (ingest.status_code, audit.status_code, refused.status_code) == (200, 200, 401)
    assert '"path": "/api/audit"' in logged  # the access log was captured
    for secret in (POLICY_TEXT, "Confidential-policy-wording", FORMULA, "Secret_Margins", BEARER):
        assert secret not in logged
