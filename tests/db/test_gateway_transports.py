"""Both transports call the same SQL functions with the same results and errors."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from pydantic import BaseModel

from sheetbrain.store.errors import Forbidden, InvalidInput, NotFound, StoreError
from sheetbrain.store.gateway import Gateway
from support.ids import unique_id

pytestmark = pytest.mark.db


class OrgStats(BaseModel):
    total_users: int
    total_policies: int
    total_audits: int
    audits_this_month: int
    plan: str | None
    subscription_status: str | None


class Provisioned(BaseModel):
    organization_id: uuid.UUID
    user_id: uuid.UUID
    plan: str
    role: str


async def provision(gateway: Gateway) -> tuple[str, str, Provisioned]:
    user, org = unique_id("user"), unique_id("org")
    result = await gateway.rpc(
        "provision_identity",
        {
            "clerk_user_id": user,
            "clerk_org_id": org,
            "org_role": "org:admin",
            "role_is_authoritative": True,
        },
        Provisioned,
    )
    return user, org, result


async def test_a_scalar_function_returns_its_value(any_gateway: Gateway) -> None:
    _, _, org = await provision(any_gateway)
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    args = {"org_id": str(org.organization_id), "month": month}

    first = await any_gateway.rpc("increment_audit_usage", args, int)
    second = await any_gateway.rpc("increment_audit_usage", args, int)

    assert (first, second) == (1, 2)


async def test_a_jsonb_function_returns_an_object(any_gateway: Gateway) -> None:
    _, _, org = await provision(any_gateway)

    assert org.plan == "free"
    assert org.role == "org:admin"


async def test_a_table_function_returns_rows_for_the_members_own_org(any_gateway: Gateway) -> None:
    user, org_key, org = await provision(any_gateway)
    claims = {"sub": user, "org_id": org_key, "org_role": "org:admin"}

    rows = await any_gateway.rpc(
        "get_org_stats", {"org_id": str(org.organization_id)}, list[OrgStats], claims=claims
    )

    assert [(r.total_users, r.total_audits, r.plan, r.subscription_status) for r in rows] == [
        (1, 0, "free", "active")
    ]


async def test_rls_hides_another_orgs_stats_from_a_member(any_gateway: Gateway) -> None:
    _, _, victim = await provision(any_gateway)
    intruder, intruder_org, _ = await provision(any_gateway)
    claims = {"sub": intruder, "org_id": intruder_org, "org_role": "org:admin"}

    rows = await any_gateway.rpc(
        "get_org_stats", {"org_id": str(victim.organization_id)}, list[OrgStats], claims=claims
    )

    assert rows == []


async def test_a_member_cannot_execute_a_service_function(any_gateway: Gateway) -> None:
    user, org_key, org = await provision(any_gateway)
    claims = {"sub": user, "org_id": org_key, "org_role": "org:admin"}

    with pytest.raises(Forbidden):
        await any_gateway.rpc(
            "increment_audit_usage",
            {"org_id": str(org.organization_id), "month": "2026-11"},
            int,
            claims=claims,
        )


async def test_a_bad_argument_maps_to_invalid_input(any_gateway: Gateway) -> None:
    _, _, org = await provision(any_gateway)

    with pytest.raises(InvalidInput) as raised:
        await any_gateway.rpc(
            "increment_audit_usage", {"org_id": str(org.organization_id), "month": "2026-13"}, int
        )

    assert raised.value.code == "22023"


async def test_a_custom_sqlstate_maps_to_its_error(any_gateway: Gateway) -> None:
    with pytest.raises(NotFound) as raised:
        await any_gateway.rpc(
            "increment_audit_usage", {"org_id": str(uuid.uuid4()), "month": "2026-11"}, int
        )

    assert raised.value.code == "PT404"


async def test_an_unknown_parameter_is_refused_before_reaching_sql(any_gateway: Gateway) -> None:
    with pytest.raises(StoreError) as raised:
        await any_gateway.rpc("cleanup_expired_rate_limits", {"nonsense": 1}, int)

    assert raised.value.code == "PGRST202"
