"""GET/PATCH/DELETE /api/policies, restoring defaults, and tenant isolation on each."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from support.ids import unique_id

pytestmark = pytest.mark.db

DEFAULT_POLICY_COUNT = 7
POLICY_FIELDS = {
    "id",
    "name",
    "title",
    "content",
    "category",
    "department",
    "source",
    "isDefault",
    "tags",
    "createdAt",
    "updatedAt",
}


def caller(org: str | None = None, role: str = "org:admin") -> dict[str, str]:
    return {
        "x-user-id": unique_id("user"),
        "x-user-org": org or unique_id("org"),
        "x-user-role": role,
    }


def member_of(admin: dict[str, str]) -> dict[str, str]:
    return caller(admin["x-user-org"], role="org:member")


async def add_policy(
    client: AsyncTestClient[Litestar], who: dict[str, str], **fields: str
) -> dict[str, Any]:
    payload = {"title": "Policy", "content": f"Rule {uuid.uuid4().hex}.", **fields}
    response = await client.post("/api/ingest", json=payload, headers=who)
    assert response.status_code == 200
    policy: dict[str, Any] = response.json()["policy"]
    return policy


def assert_problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


# ----------------------------------------------------------------------------- create


async def create(client: AsyncTestClient[Litestar], who: dict[str, str], **fields: Any) -> Any:
    payload = {"title": "Rounding", "content": f"Round to cents {uuid.uuid4().hex}.", **fields}
    return await client.post("/api/policies", json=payload, headers=who)


async def test_a_member_creates_a_tagged_policy(client: AsyncTestClient[Litestar]) -> None:
    admin = caller()

    response = await create(client, member_of(admin), tags=[" currency ", "rounding", "currency"])

    assert response.status_code == 201
    assert (response.json()["source"], response.json()["tags"]) == (
        "manual",
        ["currency", "rounding"],
    )


async def test_the_same_text_again_updates_that_policy_with_200(
    client: AsyncTestClient[Litestar],
) -> None:
    who, content = caller(), f"Round to cents {uuid.uuid4().hex}."
    first = await create(client, who, content=content, tags=["a"])

    second = await create(client, who, content=content, title="Rounding v2", tags=["b"])

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert (second.json()["title"], second.json()["tags"]) == ("Rounding v2", ["b"])


async def test_a_policy_created_without_tags_has_none(client: AsyncTestClient[Litestar]) -> None:
    response = await create(client, caller())

    assert (response.status_code, response.json()["tags"]) == (201, [])


@pytest.mark.parametrize(
    "fields",
    [{"title": "  "}, {"content": ""}, {"tags": ["x" * 51]}, {"tags": [" "]}, {"tags": ["t"] * 21}],
    ids=["blank-title", "empty-content", "long-tag", "blank-tag", "too-many-tags"],
)
async def test_a_bad_policy_draft_is_400(
    client: AsyncTestClient[Litestar], fields: dict[str, Any]
) -> None:
    response = await create(client, caller(), **fields)

    assert_problem(response, 400, "bad-request")


async def test_content_without_text_is_422_and_logged(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()

    response = await create(client, who, content=" \n\t ")

    assert_problem(response, 422, "no-text-found")
    failures = db.execute(
        "select l.success from public.ingestion_logs l"
        " join public.organizations o on o.id = l.organization_id where o.clerk_org_id = %s",
        (who["x-user-org"],),
    ).fetchall()
    assert failures == [(False,)]


# ----------------------------------------------------------------------------- list


async def test_a_new_organization_lists_its_default_policies(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.get("/api/policies", headers=caller(role="org:member"))

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["total"], body["limit"], body["offset"]) == (
        DEFAULT_POLICY_COUNT,
        DEFAULT_POLICY_COUNT,
        50,
        0,
    )
    assert all(p["isDefault"] and p["source"] == "default" for p in body["policies"])


async def test_each_listed_policy_has_the_fields_the_addon_reads(
    client: AsyncTestClient[Litestar],
) -> None:
    who = caller()
    added = await add_policy(client, who, title="Lookups", department="Finance")

    response = await client.get("/api/policies", headers=who)

    listed = next(p for p in response.json()["policies"] if p["id"] == added["id"])
    assert set(listed) == POLICY_FIELDS
    assert (listed["name"], listed["title"], listed["department"]) == (
        "Lookups",
        "Lookups",
        "Finance",
    )
    assert listed["createdAt"] == added["createdAt"]


async def test_policies_are_filtered_by_category_and_department(
    client: AsyncTestClient[Litestar],
) -> None:
    who = caller()
    wanted = await add_policy(client, who, category="finance", department="Accounting")
    await add_policy(client, who, category="finance", department="Sales")

    response = await client.get(
        "/api/policies", params={"category": "Finance", "department": "accounting"}, headers=who
    )

    assert [p["id"] for p in response.json()["policies"]] == [wanted["id"]]


async def test_q_matches_titles_and_stemmed_content(client: AsyncTestClient[Litestar]) -> None:
    who = caller()
    by_title = await add_policy(client, who, title="VLOOKUP usage")
    by_content = await add_policy(client, who, content="Lookups must use exact matching.")

    titles = await client.get("/api/policies", params={"q": "vlookup"}, headers=who)
    contents = await client.get("/api/policies", params={"q": "match"}, headers=who)

    assert [p["id"] for p in titles.json()["policies"]] == [by_title["id"]]
    assert [p["id"] for p in contents.json()["policies"]] == [by_content["id"]]


async def test_policies_are_paginated_newest_first(client: AsyncTestClient[Litestar]) -> None:
    who = caller()
    await client.get("/api/policies", headers=who)  # the defaults come first, oldest
    older = await add_policy(client, who)
    newer = await add_policy(client, who)

    first = await client.get("/api/policies", params={"limit": 1}, headers=who)
    second = await client.get("/api/policies", params={"limit": 1, "offset": 1}, headers=who)

    assert [p["id"] for p in first.json()["policies"]] == [newer["id"]]
    assert [p["id"] for p in second.json()["policies"]] == [older["id"]]
    assert (first.json()["count"], first.json()["total"]) == (1, DEFAULT_POLICY_COUNT + 2)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"offset": -1}])
async def test_an_out_of_range_page_is_400(
    client: AsyncTestClient[Litestar], params: dict[str, int]
) -> None:
    response = await client.get("/api/policies", params=params, headers=caller())

    assert_problem(response, 400, "bad-request")


async def test_an_organization_never_lists_another_ones_policies(
    client: AsyncTestClient[Litestar],
) -> None:
    org_a, org_b = caller(), caller()
    secret = await add_policy(client, org_a, title="Org A secret")

    response = await client.get("/api/policies", headers=org_b)

    assert secret["id"] not in [p["id"] for p in response.json()["policies"]]
    assert response.json()["total"] == DEFAULT_POLICY_COUNT


# ----------------------------------------------------------------------------- read


async def test_a_member_reads_one_policy(client: AsyncTestClient[Litestar]) -> None:
    admin = caller()
    policy = await add_policy(client, admin)

    response = await client.get(f"/api/policies/{policy['id']}", headers=member_of(admin))

    assert response.status_code == 200
    assert response.json() == policy


async def test_another_organizations_policy_is_404(client: AsyncTestClient[Litestar]) -> None:
    policy = await add_policy(client, caller())

    response = await client.get(f"/api/policies/{policy['id']}", headers=caller())

    assert_problem(response, 404, "not-found")


async def test_an_unknown_policy_is_404(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get(f"/api/policies/{uuid.uuid4()}", headers=caller())

    assert_problem(response, 404, "not-found")


# ----------------------------------------------------------------------------- change


async def test_an_admin_changes_labels_and_keeps_the_rest(
    client: AsyncTestClient[Litestar],
) -> None:
    who = caller()
    policy = await add_policy(client, who, title="Old", category="x", department="IT")

    response = await client.patch(
        f"/api/policies/{policy['id']}",
        json={"title": "New", "category": None},
        headers=who,
    )

    assert response.status_code == 200
    changed = response.json()
    assert (changed["title"], changed["name"], changed["category"], changed["department"]) == (
        "New",
        "New",
        None,
        "IT",
    )
    assert changed["content"] == policy["content"]


async def test_changing_the_content_rechunks_the_policy(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()
    policy = await add_policy(client, who)

    await client.patch(
        f"/api/policies/{policy['id']}",
        json={"content": "  Avoid  INDIRECT.\r\n"},
        headers=who,
    )

    chunks = db.execute(
        "select ordinal, content from public.policy_chunks where policy_id = %s",
        (policy["id"],),
    ).fetchall()
    assert chunks == [(0, "Avoid INDIRECT.")]


async def test_content_duplicating_another_policy_is_409(
    client: AsyncTestClient[Litestar],
) -> None:
    who = caller()
    first = await add_policy(client, who, content="Unique text one.")
    second = await add_policy(client, who)

    response = await client.patch(
        f"/api/policies/{second['id']}", json={"content": first["content"]}, headers=who
    )

    assert_problem(response, 409, "conflict")


async def test_a_member_may_not_change_a_policy(client: AsyncTestClient[Litestar]) -> None:
    admin = caller()
    policy = await add_policy(client, admin)

    response = await client.patch(
        f"/api/policies/{policy['id']}", json={"title": "Mine"}, headers=member_of(admin)
    )

    assert_problem(response, 403, "forbidden")


async def test_an_admin_cannot_change_another_organizations_policy(
    client: AsyncTestClient[Litestar],
) -> None:
    policy = await add_policy(client, caller(), title="Theirs")

    response = await client.patch(
        f"/api/policies/{policy['id']}", json={"title": "Mine"}, headers=caller()
    )

    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({}, 400, "bad-request"),
        ({"title": "   "}, 400, "bad-request"),
        ({"owner": "me"}, 400, "bad-request"),
        ({"content": " \n "}, 422, "no-text-found"),
    ],
)
async def test_a_bad_change_is_refused(
    client: AsyncTestClient[Litestar], payload: dict[str, Any], status: int, code: str
) -> None:
    who = caller()
    policy = await add_policy(client, who)

    response = await client.patch(f"/api/policies/{policy['id']}", json=payload, headers=who)

    assert_problem(response, status, code)


# ----------------------------------------------------------------------------- delete


async def test_an_admin_deletes_a_policy(client: AsyncTestClient[Litestar]) -> None:
    who = caller()
    policy = await add_policy(client, who)

    deleted = await client.delete(f"/api/policies/{policy['id']}", headers=who)
    read = await client.get(f"/api/policies/{policy['id']}", headers=who)

    assert deleted.status_code == 204
    assert_problem(read, 404, "not-found")


async def test_deleting_keeps_the_ingestion_log_row(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()
    policy = await add_policy(client, who)

    await client.delete(f"/api/policies/{policy['id']}", headers=who)

    rows = db.execute(
        """select l.policy_id, l.success from public.ingestion_logs l
             join public.organizations o on o.id = l.organization_id
            where o.clerk_org_id = %s""",
        (who["x-user-org"],),
    ).fetchall()
    assert rows == [(None, True)]


async def test_a_member_may_not_delete_a_policy(client: AsyncTestClient[Litestar]) -> None:
    admin = caller()
    policy = await add_policy(client, admin)

    response = await client.delete(f"/api/policies/{policy['id']}", headers=member_of(admin))

    assert_problem(response, 403, "forbidden")


async def test_an_admin_cannot_delete_another_organizations_policy(
    client: AsyncTestClient[Litestar],
) -> None:
    owner = caller()
    policy = await add_policy(client, owner)

    response = await client.delete(f"/api/policies/{policy['id']}", headers=caller())
    still_there = await client.get(f"/api/policies/{policy['id']}", headers=owner)

    assert_problem(response, 404, "not-found")
    assert still_there.status_code == 200


# ----------------------------------------------------------------------------- defaults


async def test_restoring_defaults_re_adds_only_the_missing_ones(
    client: AsyncTestClient[Litestar],
) -> None:
    who = caller()
    listed = await client.get("/api/policies", headers=who)
    removed = listed.json()["policies"][0]
    await client.delete(f"/api/policies/{removed['id']}", headers=who)

    response = await client.post("/api/policies/defaults/restore", headers=who)

    assert response.status_code == 200
    body = response.json()
    assert body["restored"] == 1
    assert [p["title"] for p in body["policies"]] == [removed["title"]]
    assert body["policies"][0]["isDefault"] is True


async def test_restoring_when_nothing_is_missing_adds_nothing(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.post("/api/policies/defaults/restore", headers=caller())

    assert response.json() == {"restored": 0, "policies": []}


async def test_a_restored_default_is_searchable(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()
    listed = await client.get("/api/policies", headers=who)
    removed = listed.json()["policies"][0]
    await client.delete(f"/api/policies/{removed['id']}", headers=who)

    restored = await client.post("/api/policies/defaults/restore", headers=who)

    chunks = db.execute(
        "select count(*) from public.policy_chunks where policy_id = %s",
        (restored.json()["policies"][0]["id"],),
    ).fetchone()
    assert chunks == (1,)


async def test_a_member_may_not_restore_defaults(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post(
        "/api/policies/defaults/restore", headers=caller(role="org:member")
    )

    assert_problem(response, 403, "forbidden")


async def test_policies_need_an_identity(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/policies")

    assert_problem(response, 401, "unauthorized")
