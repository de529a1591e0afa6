"""Policies: the list the add-on shows, and the three ways documents arrive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from contract.addon import (
    APPS_SCRIPT_USER_AGENT,
    addon_multipart,
    load_request,
    minimal_pdf,
    replay,
)
from contract.conftest import AddonSession

pytestmark = pytest.mark.db


async def list_policies(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> dict[str, Any]:
    response = await service.get(
        "/api/policies",
        headers={
            "Authorization": f"Bearer {session.access_token}",
            "User-Agent": APPS_SCRIPT_USER_AGENT,
        },
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_the_policy_list_has_names_creation_times_and_a_count(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> None:
    body = await list_policies(service, session)

    assert isinstance(body["policies"], list)
    assert body["count"] == len(body["policies"])
    for policy in body["policies"]:
        assert isinstance(policy["name"], str)
        assert isinstance(policy["createdAt"], str)
        datetime.fromisoformat(policy["createdAt"])


async def test_the_enhanced_addons_first_text_upload_answers_200_with_a_policy_id(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> None:
    request = load_request("ingest_text")

    response = await replay(service, request, session.access_token)

    # The add-on tests `=== 200`; anything else (201 too) shows "Upload failed".
    assert response.status_code == 200
    assert response.json()["created"] is True
    policy_id = response.json()["policyId"]
    listed = {
        policy["id"]: policy for policy in (await list_policies(service, session))["policies"]
    }
    assert isinstance(listed[policy_id]["name"], str)
    assert listed[policy_id]["name"]


async def test_the_seed_guides_ingest_form_answers_200_with_a_policy_id(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> None:
    response = await replay(service, load_request("ingest_seed_guide"), session.access_token)

    assert response.status_code == 200
    assert response.json()["created"] is True
    assert isinstance(response.json()["policyId"], str)


async def test_the_api_clients_first_multipart_pdf_upload_answers_200_with_a_policy_id(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> None:
    headers, body = addon_multipart(
        "Finance policy.pdf", minimal_pdf("Never hard-code tax rates in formulas.")
    )
    headers["Authorization"] = f"Bearer {session.access_token}"

    response = await service.post("/api/v1/ingest", headers=headers, content=body)

    assert response.status_code == 200
    assert response.json()["created"] is True
    assert isinstance(response.json()["policyId"], str)


async def test_a_policy_created_from_json_answers_201_with_the_policy(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> None:
    request = load_request("create_policy")

    response = await replay(service, request, session.access_token)

    assert response.status_code == 201
    policy = response.json()
    assert {key: policy[key] for key in ("title", "name", "content", "category", "department")} == {
        "title": "Rounding rules",
        "name": "Rounding rules",
        "content": request.body["content"],
        "category": "accuracy",
        "department": "Finance",
    }
    assert policy["tags"] == ["currency", "rounding"]
    listed = {entry["id"]: entry for entry in (await list_policies(service, session))["policies"]}
    assert listed[policy["id"]]["tags"] == ["currency", "rounding"]
