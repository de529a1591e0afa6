"""Both transports call the same SQL functions with the same results and errors."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from pydantic import BaseModel

from sheetbrain.store.errors import Forbidden, InvalidInput, NotFound, StoreError
from sheetbrain.store.gateway import Gateway
from support.ids import unique_id

pytestmark = pytest.mark.db


class Provisioned(BaseModel):
    organization_id: uuid.UUID
    user_id: uuid.UUID
    plan: str
    role: str


async def provision(gateway: Gateway) -> tuple[str, str, Provisioned]:
    user, org = unique_id("user"), unique_id("org")
    result = await gateway.rpc(
        "provision_actor",
        {
            "actor": {
                "clerk_user_id": user,
                "clerk_org_id": org,
                "org_role": "org:admin",
                "role_is_authoritative": True,
            }
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


class ActorStats(BaseModel):
    organization_id: uuid.UUID | None
    total_users: int
    plan: str


def actor_of(user: str, org: str, role: str = "org:admin") -> dict[str, str]:
    return {"clerk_user_id": user, "clerk_org_id": org, "org_role": role}


async def test_a_member_read_returns_the_actors_own_organization(any_gateway: Gateway) -> None:
    user, org_key, org = await provision(any_gateway)

    rows = await any_gateway.rpc("org_stats", {"actor": actor_of(user, org_key)}, list[ActorStats])

    assert rows == [ActorStats(organization_id=org.organization_id, total_users=1, plan="free")]


async def test_a_member_read_never_reaches_another_organizations_row(
    any_gateway: Gateway,
) -> None:
    victim, victim_key, _ = await provision(any_gateway)
    intruder, intruder_org, _ = await provision(any_gateway)
    victim_policy = await any_gateway.rpc(
        "list_policies",
        {"actor": actor_of(victim, victim_key), "page_limit": 1},
        dict[str, Any],
    )

    with pytest.raises(NotFound):
        await any_gateway.rpc(
            "get_policy",
            {
                "actor": actor_of(intruder, intruder_org),
                "policy_id": victim_policy["policies"][0]["id"],
            },
            dict[str, Any],
        )


async def test_a_member_read_without_an_actor_is_refused(any_gateway: Gateway) -> None:
    with pytest.raises(StoreError) as raised:
        await any_gateway.rpc("org_stats", {"actor": None}, list[ActorStats])

    assert (raised.value.code, raised.value.message) == ("PT401", "actor required")


async def test_a_member_read_with_a_malformed_actor_is_forbidden(any_gateway: Gateway) -> None:
    with pytest.raises(Forbidden) as raised:
        await any_gateway.rpc("org_stats", {"actor": {"clerk_user_id": "user_x"}}, list[ActorStats])

    assert (raised.value.code, raised.value.message) == ("PT403", "malformed actor")


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
