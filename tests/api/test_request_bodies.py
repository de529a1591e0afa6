"""Bodies built to break the decoder: a 400 problem and one log line, never a 500."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from support.ids import unique_id

pytestmark = pytest.mark.db

DEPTH = 2_000


def nested(key: str) -> str:
    return f'{{"{key}": ' + "[" * DEPTH + "]" * DEPTH + "}"


@pytest.mark.parametrize(
    ("path", "key"),
    [("/api/auth/token", "idToken"), ("/api/ingest", "content"), ("/api/audit", "formulas")],
    ids=["sign-in, unauthenticated", "ingest", "audit"],
)
async def test_a_json_body_nested_two_thousand_deep_is_a_400_without_a_traceback(
    client: AsyncTestClient[Litestar], capfd: pytest.CaptureFixture[str], path: str, key: str
) -> None:
    who = {"x-user-id": unique_id("user"), "x-user-org": unique_id("org")}

    response = await client.post(
        path, content=nested(key), headers={**who, "Content-Type": "application/json"}
    )
    logged = capfd.readouterr().out

    assert response.status_code == 400
    assert response.json()["detail"] == "The JSON body is nested too deeply."
    assert "Traceback" not in logged
    assert '"status": 400' in logged
