"""`/api/health`, the path the original backend exposed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

pytestmark = pytest.mark.db


async def test_the_addon_health_path_answers_ok(service: AsyncTestClient[Litestar]) -> None:
    response = await service.get("/api/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_the_health_answer_carries_the_current_time_the_test_page_shows(
    service: AsyncTestClient[Litestar],
) -> None:
    response = await service.get("/api/health")

    timestamp = datetime.fromisoformat(response.json()["timestamp"])
    assert timestamp.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - timestamp) < timedelta(minutes=1)
