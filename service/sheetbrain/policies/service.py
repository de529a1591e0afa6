"""The policy use cases: ingest a document, list/read/change/delete, restore defaults.

Ingest (both the JSON and the multipart endpoint): size check, then `begin_ingest`
(provisions the caller, refuses a viewer, counts the request against the org's rate
limit) before any work on the document, then type detection by magic bytes, text
extraction (PDF and .docx in a child process with a deadline: `worker.py`),
normalising, chunking and the sha256 of the normalised text (the dedup key per
organization) in a worker thread, then ONE database call that writes policy + chunks +
ingestion log together. Any failure is logged in `ingestion_logs` (success = false, a
caller-safe message) and re-raised.

Who may add policies, which reach every member's Claude prompt: members and admins,
not viewers; only admins change or delete one. The same text ingested again by a
non-admin changes nothing (outcome `unchanged`). The plan caps how many an
organization holds (`policy-limit-reached`).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

from sheetbrain.audit.limits import rate_limited
from sheetbrain.errors import AppError, BadRequest, Forbidden, PayloadTooLarge
from sheetbrain.identity import Identity
from sheetbrain.log import get_logger
from sheetbrain.policies.chunking import normalise, split_into_chunks
from sheetbrain.policies.errors import NoTextFound, PolicyLimitReached, UnsupportedDocument
from sheetbrain.policies.extract import (
    DocumentKind,
    capped_text,
    detect_kind,
    extract_text,
    file_suffix,
)
from sheetbrain.policies.worker import DocumentReader
from sheetbrain.store import errors as store_errors
from sheetbrain.store import identity as identity_store
from sheetbrain.store import policies as store
from sheetbrain.store.audits import RateLimitRefused
from sheetbrain.store.gateway import Gateway

MAX_TITLE_LENGTH = 200
# The enhanced add-on sends {"type": "text"}; anything else is not text we can read.
TEXT_TYPES = frozenset({"text", "txt", "markdown", "md", "text/plain", "text/markdown"})
STORE_FAILURE = "The policy could not be stored; try again later."
NO_TEXT = "No text found in the document."
NO_TEXT_IN_PDF = "No text found in the PDF; scanned (image-only) PDFs need OCR first."
UNCHANGED = (
    "This text is already the policy {title!r}; only an organization admin can change it, "
    "so it was left as it was."
)

_log = get_logger("sheetbrain.policies")


@dataclass(frozen=True)
class Document:
    """What a client sent: raw bytes (a file, or JSON text encoded as UTF-8) and labels."""

    data: bytes
    filename: str | None = None
    title: str | None = None
    category: str | None = None
    department: str | None = None
    # JSON bodies carry text whatever their file name says ("Policy.pdf" with text).
    is_text: bool = False
    declared_type: str | None = None
    source: str = "upload"


@dataclass(frozen=True)
class IngestResult:
    outcome: store.IngestOutcome
    policy: store.PolicyRow
    chunks: int

    @property
    def created(self) -> bool:
        return self.outcome == "created"

    @property
    def message(self) -> str | None:
        """What the caller should know: why nothing changed."""
        return UNCHANGED.format(title=self.policy.title) if self.outcome == "unchanged" else None


@dataclass(frozen=True)
class PreparedText:
    """Normalised text, its dedup key and its chunks."""

    text: str
    content_hash: str
    chunks: list[store.ChunkArg]


def text_document(
    content: str,
    *,
    declared_type: str | None,
    title: str | None,
    filename: str | None,
    category: str | None,
    department: str | None,
) -> Document:
    """A document from a JSON body (its `type` is checked when it is ingested)."""
    return Document(
        data=content.encode("utf-8"),
        filename=filename,
        title=title,
        category=category,
        department=department,
        is_text=True,
        declared_type=declared_type,
        source="manual",
    )


class IngestionAttempt:
    """One ingest request: timed from its start; `document_size` is what the log records."""

    def __init__(
        self,
        gateway: Gateway,
        identity: Identity,
        max_upload_bytes: int,
        reader: DocumentReader,
    ) -> None:
        self.gateway = gateway
        self.identity = identity
        self.max_upload_bytes = max_upload_bytes
        self.reader = reader
        self.document_size: int | None = None
        self._started = time.perf_counter()

    def elapsed_ms(self) -> int:
        return round((time.perf_counter() - self._started) * 1000)

    async def ingest(self, document: Document) -> IngestResult:
        self.document_size = len(document.data)
        if self.document_size > self.max_upload_bytes:
            raise PayloadTooLarge(
                f"The document is {self.document_size} bytes; the limit is "
                f"{self.max_upload_bytes} bytes."
            )
        try:
            await store.begin_ingest(self.gateway, self.identity)
        except RateLimitRefused as refusal:
            raise rate_limited(refusal) from refusal
        kind = await asyncio.to_thread(_document_kind, document)
        prepared = await asyncio.to_thread(
            prepare_text,
            await self._raw_text(document, kind),
            NO_TEXT_IN_PDF if kind is DocumentKind.PDF else NO_TEXT,
        )
        try:
            stored = await store.ingest_policy(
                self.gateway,
                self.identity,
                title=derive_title(document.title, document.filename, prepared.text),
                content=prepared.text,
                content_hash=prepared.content_hash,
                chunks=prepared.chunks,
                document_size=self.document_size,
                duration_ms=self.elapsed_ms(),
                category=_label(document.category),
                department=_label(document.department),
                source=document.source,
                file_name=_label(document.filename),
            )
        except store.PolicyLimitRefused as refusal:
            raise PolicyLimitReached(
                f"The {refusal.plan} plan allows {refusal.limit} policies and this "
                "organization has them all; delete one or upgrade the plan.",
                extra={"plan": refusal.plan, "limit": refusal.limit},
            ) from refusal
        return IngestResult(outcome=stored.outcome, policy=stored.policy, chunks=stored.chunks)

    async def _raw_text(self, document: Document, kind: DocumentKind) -> str:
        """Plain text is decoded here; PDF and .docx are read in a child process."""
        if kind is DocumentKind.TEXT:
            filename = "policy.txt" if document.is_text else document.filename
            return await asyncio.to_thread(extract_text, document.data, kind, filename)
        return await self.reader.text_of(document.data, kind, document.filename)

    async def record_failure(self, message: str) -> None:
        try:
            await store.log_ingestion_failure(
                self.gateway,
                self.identity,
                error=message,
                document_size=self.document_size,
                duration_ms=self.elapsed_ms(),
            )
        except store_errors.StoreError as exc:
            # The original failure is what the caller must hear about.
            _log.warning("ingestion_failure_not_logged", code=exc.code)


@asynccontextmanager
async def ingestion_attempt(
    gateway: Gateway, identity: Identity, max_upload_bytes: int, reader: DocumentReader
) -> AsyncIterator[IngestionAttempt]:
    """Runs an ingest; on failure logs it (success = false) and re-raises."""
    attempt = IngestionAttempt(gateway, identity, max_upload_bytes, reader)
    try:
        yield attempt
    except AppError as exc:
        await attempt.record_failure(exc.detail)
        raise
    except store_errors.Forbidden as exc:
        await attempt.record_failure(exc.message)
        raise
    except store_errors.StoreError:
        await attempt.record_failure(STORE_FAILURE)
        raise


def _document_kind(document: Document) -> DocumentKind:
    if document.is_text:
        declared = (document.declared_type or "text").strip().lower()
        if declared not in TEXT_TYPES:
            raise UnsupportedDocument(
                f"type {document.declared_type!r} is not supported in JSON; send text, "
                "or upload the file to /api/v1/ingest."
            )
        return DocumentKind.TEXT
    return detect_kind(document.data, document.filename)


def prepare_text(raw_text: str, no_text_message: str = NO_TEXT) -> PreparedText:
    """Normalised (at most MAX_TEXT_CHARACTERS), hashed and chunked: CPU work for a thread."""
    text = capped_text([normalise(raw_text)])
    if not text:
        raise NoTextFound(no_text_message)
    return PreparedText(text, content_hash(text), chunk_args(text))


def chunk_args(text: str) -> list[store.ChunkArg]:
    return [
        store.ChunkArg(content=chunk.content, token_count=chunk.token_count)
        for chunk in split_into_chunks(text)
    ]


def content_hash(text: str) -> str:
    """The dedup key: sha256 of the normalised text, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def derive_title(title: str | None, filename: str | None, text: str) -> str:
    """The given title, else the file name without extension, else the first line."""
    candidates = [title, _stem(filename), text.split("\n", 1)[0].lstrip("#").strip()]
    chosen = next((c.strip() for c in candidates if c and c.strip()), "Untitled policy")
    return chosen[:MAX_TITLE_LENGTH]


def _stem(filename: str | None) -> str | None:
    if not filename:
        return None
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    suffix = file_suffix(base)
    return base[: len(base) - len(suffix)] if suffix else base


def _label(value: str | None) -> str | None:
    return value.strip() or None if value else None


async def create_policy(
    gateway: Gateway,
    identity: Identity,
    *,
    title: str,
    content: str,
    category: str | None,
    department: str | None,
    tags: Sequence[str] | None,
    max_upload_bytes: int,
    reader: DocumentReader,
) -> IngestResult:
    """POST /api/policies: the text is ingested like any other (same checks, same log),
    then tagged when tags are given. Re-sending the same text updates that policy (an
    admin's; anyone else's re-send changes nothing, tags included)."""
    document = text_document(
        content,
        declared_type=None,
        title=title,
        filename=None,
        category=category,
        department=department,
    )
    async with ingestion_attempt(gateway, identity, max_upload_bytes, reader) as attempt:
        result = await attempt.ingest(document)
    if tags is None or result.outcome == "unchanged":
        return result
    tagged = await store.set_policy_tags(gateway, identity, result.policy.id, tags)
    return IngestResult(result.outcome, tagged, result.chunks)


# ----------------------------------------------------------------------------- CRUD


@dataclass(frozen=True)
class PolicyFilters:
    category: str | None = None
    department: str | None = None
    q: str | None = None
    limit: int = 50
    offset: int = 0


async def list_policies(
    gateway: Gateway, identity: Identity, filters: PolicyFilters
) -> store.PolicyPage:
    page = await _list(gateway, identity, filters)
    if page.organization_found:
        return page
    # First request of a new organization: provision it, which copies the defaults.
    await identity_store.provision(gateway, identity)
    return await _list(gateway, identity, filters)


async def _list(gateway: Gateway, identity: Identity, filters: PolicyFilters) -> store.PolicyPage:
    return await store.list_policies(
        gateway,
        identity,
        category=_label(filters.category),
        department=_label(filters.department),
        q=_label(filters.q),
        limit=filters.limit,
        offset=filters.offset,
    )


async def get_policy(gateway: Gateway, identity: Identity, policy_id: UUID) -> store.PolicyRow:
    try:
        return await store.get_policy(gateway, identity, policy_id)
    except store_errors.NotFound:
        # A member's first request: reads need the membership, so provision it (Clerk's
        # tombstone refuses one it removed) and look again.
        await identity_store.provision(gateway, identity)
        return await store.get_policy(gateway, identity, policy_id)


async def update_policy(
    gateway: Gateway,
    identity: Identity,
    policy_id: UUID,
    changes: Mapping[str, str | None],
    max_content_bytes: int,
) -> store.PolicyRow:
    """Applies the given fields (a missing key keeps the value; None clears a label)."""
    require_admin(identity)
    if not changes:
        raise BadRequest("Send at least one of title, content, category, department.")
    fields = {key: _label(value) if key != "content" else value for key, value in changes.items()}
    if "title" in fields and fields["title"] is None:
        raise BadRequest("title must not be blank.")
    if "content" not in fields:
        return await store.update_policy(gateway, identity, policy_id, fields)
    raw = fields["content"] or ""
    if len(raw.encode("utf-8")) > max_content_bytes:
        raise PayloadTooLarge(f"content is over the limit of {max_content_bytes} bytes.")
    prepared = await asyncio.to_thread(prepare_text, raw)
    return await store.update_policy(
        gateway,
        identity,
        policy_id,
        {**fields, "content": prepared.text},
        content_hash=prepared.content_hash,
        chunks=prepared.chunks,
    )


async def delete_policy(gateway: Gateway, identity: Identity, policy_id: UUID) -> None:
    require_admin(identity)
    await store.delete_policy(gateway, identity, policy_id)


async def restore_defaults(gateway: Gateway, identity: Identity) -> store.RestoredDefaults:
    require_admin(identity)
    return await store.restore_default_policies(gateway, identity)


def require_admin(identity: Identity) -> None:
    if not identity.is_admin:
        raise Forbidden("Only organization admins (org:admin) may change policies.")
