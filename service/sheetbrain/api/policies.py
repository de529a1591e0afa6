"""Policies: list and read (members), change and delete (org admins), restore defaults."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sheetbrain.identity import Identity
from sheetbrain.policies import service
from sheetbrain.policies.worker import DocumentReader
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from sheetbrain.store.policies import PolicyRow

LABEL_LENGTH = 200
MAX_TAGS = 20

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class PolicyView(BaseModel):
    """A policy as the add-ons read it (`name` and `createdAt`) and more."""

    id: UUID
    name: str
    title: str
    content: str
    category: str | None
    department: str | None
    source: str
    isDefault: bool
    tags: list[str]
    createdAt: datetime
    updatedAt: datetime

    @classmethod
    def of(cls, row: PolicyRow) -> PolicyView:
        return cls(
            id=row.id,
            name=row.title,
            title=row.title,
            content=row.content,
            category=row.category,
            department=row.department,
            source=row.source,
            isDefault=row.is_default,
            tags=list(row.tags),
            createdAt=row.created_at,
            updatedAt=row.updated_at,
        )


class PolicyList(BaseModel):
    policies: list[PolicyView]
    count: int = Field(description="policies in this page")
    total: int = Field(description="policies matching the filters, over all pages")
    limit: int
    offset: int


class PolicyDraft(BaseModel):
    """The original backend's POST /api/policies body."""

    title: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=service.MAX_TITLE_LENGTH),
    ]
    content: str = Field(min_length=1)
    category: str | None = Field(None, max_length=LABEL_LENGTH)
    department: str | None = Field(None, max_length=LABEL_LENGTH)
    tags: list[Tag] | None = Field(None, max_length=MAX_TAGS)


class PolicyChanges(BaseModel):
    """Fields to change; a field left out stays, `null` clears category/department."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=service.MAX_TITLE_LENGTH)
    content: str | None = None
    category: str | None = Field(None, max_length=LABEL_LENGTH)
    department: str | None = Field(None, max_length=LABEL_LENGTH)


class RestoredDefaults(BaseModel):
    restored: int
    policies: list[PolicyView]


Label = Annotated[str | None, QueryParameter(max_length=LABEL_LENGTH)]


class PoliciesController(Controller):
    path = "/api/policies"
    tags = ["policies"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/", operation_id="listPolicies", summary="The organization's policies, newest first")
    async def list_policies(
        self,
        gateway: NamedDependency[Gateway],
        identity: NamedDependency[Identity],
        category: Label = None,
        department: Label = None,
        q: Annotated[str | None, QueryParameter(max_length=500)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> PolicyList:
        filters = service.PolicyFilters(category, department, q, limit, offset)
        page = await service.list_policies(gateway, identity, filters)
        views = [PolicyView.of(row) for row in page.policies]
        return PolicyList(
            policies=views, count=len(views), total=page.total, limit=limit, offset=offset
        )

    @post(
        "/",
        status_code=201,
        operation_id="createPolicy",
        summary="Add a policy from JSON (201; the same text again updates it: 200)",
    )
    async def create_policy(
        self,
        data: JSONBody[PolicyDraft],
        gateway: NamedDependency[Gateway],
        identity: NamedDependency[Identity],
        settings: NamedDependency[Settings],
        document_reader: NamedDependency[DocumentReader],
    ) -> Response[PolicyView]:
        result = await service.create_policy(
            gateway,
            identity,
            **data.model_dump(),
            max_upload_bytes=settings.max_upload_bytes,
            reader=document_reader,
        )
        return Response(PolicyView.of(result.policy), status_code=201 if result.created else 200)

    @get("/{policy_id:uuid}", operation_id="getPolicy", summary="One policy")
    async def get_policy(
        self,
        policy_id: FromPath[UUID],
        gateway: NamedDependency[Gateway],
        identity: NamedDependency[Identity],
    ) -> PolicyView:
        return PolicyView.of(await service.get_policy(gateway, identity, policy_id))

    @patch("/{policy_id:uuid}", operation_id="updatePolicy", summary="Change a policy (admins)")
    async def update_policy(
        self,
        policy_id: FromPath[UUID],
        data: JSONBody[PolicyChanges],
        gateway: NamedDependency[Gateway],
        identity: NamedDependency[Identity],
        settings: NamedDependency[Settings],
    ) -> PolicyView:
        changes = data.model_dump(include=data.model_fields_set)
        row = await service.update_policy(
            gateway, identity, policy_id, changes, settings.max_upload_bytes
        )
        return PolicyView.of(row)

    @delete("/{policy_id:uuid}", operation_id="deletePolicy", summary="Delete a policy (admins)")
    async def delete_policy(
        self,
        policy_id: FromPath[UUID],
        gateway: NamedDependency[Gateway],
        identity: NamedDependency[Identity],
    ) -> None:
        await service.delete_policy(gateway, identity, policy_id)

    @post(
        "/defaults/restore",
        status_code=200,
        operation_id="restoreDefaultPolicies",
        summary="Re-add any missing default policy (admins)",
    )
    async def restore_defaults(
        self, gateway: NamedDependency[Gateway], identity: NamedDependency[Identity]
    ) -> RestoredDefaults:
        restored = await service.restore_defaults(gateway, identity)
        views = [PolicyView.of(row) for row in restored.policies]
        return RestoredDefaults(restored=restored.restored, policies=views)
