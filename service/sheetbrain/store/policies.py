"""Typed wrappers around the policy SQL functions (20261125020000_policies.sql,
20261129200000_member_reads_take_actor.sql, 20261129200100_policy_tags.sql).

Every call runs as service_role and takes the verified caller as `actor`: writes
provision it first; member reads keep to its organization's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

from sheetbrain.identity import Identity
from sheetbrain.store import errors as store_errors
from sheetbrain.store.actor import actor
from sheetbrain.store.audits import RateLimitState, rate_limit_refusal
from sheetbrain.store.gateway import Gateway


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class PolicyRow(_Row):
    id: UUID
    organization_id: UUID
    title: str
    content: str
    category: str | None = None
    department: str | None = None
    source: str
    is_default: bool
    template_key: str | None = None
    file_name: str | None = None
    tags: tuple[str, ...] = ()
    created_at: datetime
    updated_at: datetime


IngestOutcome = Literal["created", "updated", "unchanged"]


class StoredPolicy(_Row):
    """`unchanged`: the text is already a policy and the caller is not an admin."""

    created: bool
    outcome: IngestOutcome
    policy: PolicyRow
    chunks: int
    ingestion_log_id: UUID


class _IngestAdmission(_Row):
    rate_limit: RateLimitState


class PolicyLimitRefused(Exception):
    """The organization already holds as many policies as its plan allows."""

    def __init__(self, plan: str, limit: int, policies: int) -> None:
        super().__init__("policy limit reached")
        self.plan = plan
        self.limit = limit
        self.policies = policies


class _RefusedPolicyLimit(_Row):
    plan: str
    limit: int
    policies: int


class PolicyPage(_Row):
    policies: tuple[PolicyRow, ...]
    total: int
    organization_found: bool


class RestoredDefaults(_Row):
    restored: int
    policies: tuple[PolicyRow, ...]


class ChunkArg(_Row):
    content: str
    token_count: int


async def begin_ingest(gateway: Gateway, identity: Identity) -> RateLimitState:
    """Provision the caller, check they may add policies (store Forbidden) and admit the
    request in the organization's rate-limit window (`RateLimitRefused`)."""
    try:
        admission = await gateway.rpc("begin_ingest", {"actor": actor(identity)}, _IngestAdmission)
    except store_errors.RateLimited as exc:
        raise rate_limit_refusal(exc) from exc
    return admission.rate_limit


async def ingest_policy(
    gateway: Gateway,
    identity: Identity,
    *,
    title: str,
    content: str,
    content_hash: str,
    chunks: Sequence[ChunkArg],
    document_size: int,
    duration_ms: int,
    category: str | None,
    department: str | None,
    source: str,
    file_name: str | None,
) -> StoredPolicy:
    """Store the policy (`PolicyLimitRefused` when its plan allows no more)."""
    args = {
        "actor": actor(identity),
        "title": title,
        "content": content,
        "content_hash": content_hash,
        "chunks": [chunk.model_dump() for chunk in chunks],
        "document_size": document_size,
        "duration_ms": duration_ms,
        "category": category,
        "department": department,
        "source": source,
        "file_name": file_name,
    }
    try:
        return await gateway.rpc("ingest_policy", args, StoredPolicy)
    except store_errors.PaymentRequired as exc:
        raise _policy_limit_refusal(exc) from exc


def _policy_limit_refusal(exc: store_errors.StoreError) -> Exception:
    try:
        refused = _RefusedPolicyLimit.model_validate_json(exc.detail or "")
    except ValidationError:
        return exc
    return PolicyLimitRefused(refused.plan, refused.limit, refused.policies)


async def log_ingestion_failure(
    gateway: Gateway,
    identity: Identity,
    *,
    error: str,
    document_size: int | None,
    duration_ms: int,
) -> UUID:
    answer = await gateway.rpc(
        "log_ingestion_failure",
        {
            "actor": actor(identity),
            "error": error,
            "document_size": document_size,
            "duration_ms": duration_ms,
        },
        dict[str, UUID],
    )
    return answer["ingestion_log_id"]


async def list_policies(
    gateway: Gateway,
    identity: Identity,
    *,
    category: str | None,
    department: str | None,
    q: str | None,
    limit: int,
    offset: int,
) -> PolicyPage:
    return await gateway.rpc(
        "list_policies",
        {
            "actor": actor(identity),
            "category": category,
            "department": department,
            "q": q,
            "page_limit": limit,
            "page_offset": offset,
        },
        PolicyPage,
    )


async def get_policy(gateway: Gateway, identity: Identity, policy_id: UUID) -> PolicyRow:
    return await gateway.rpc(
        "get_policy", {"actor": actor(identity), "policy_id": policy_id}, PolicyRow
    )


async def update_policy(
    gateway: Gateway,
    identity: Identity,
    policy_id: UUID,
    changes: dict[str, str | None],
    *,
    content_hash: str | None = None,
    chunks: Sequence[ChunkArg] | None = None,
) -> PolicyRow:
    return await gateway.rpc(
        "update_policy",
        {
            "actor": actor(identity),
            "policy_id": policy_id,
            "changes": changes,
            "content_hash": content_hash,
            "chunks": None if chunks is None else [chunk.model_dump() for chunk in chunks],
        },
        PolicyRow,
    )


async def delete_policy(gateway: Gateway, identity: Identity, policy_id: UUID) -> None:
    await gateway.rpc(
        "delete_policy", {"actor": actor(identity), "policy_id": policy_id}, dict[str, UUID]
    )


async def restore_default_policies(gateway: Gateway, identity: Identity) -> RestoredDefaults:
    return await gateway.rpc(
        "restore_default_policies", {"actor": actor(identity)}, RestoredDefaults
    )


async def set_policy_tags(
    gateway: Gateway, identity: Identity, policy_id: UUID, tags: Sequence[str]
) -> PolicyRow:
    return await gateway.rpc(
        "set_policy_tags",
        {"actor": actor(identity), "policy_id": policy_id, "tags": list(tags)},
        PolicyRow,
    )
