"""`/api/health`, the path the original backend exposed."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

pytestmark = pytest.mark.db


async def test_the_addon_health_path_answers_ok(service: AsyncTestClient[Litestar]) -> None:
    response = await service.get("/api/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
