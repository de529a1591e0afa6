"""The policy use cases: ingest a document, list/read/change/delete, restore defaults.

Ingest (both the JSON and the multipart endpoint): size check, type detection by
magic bytes, text extraction, normalising, chunking, sha256 of the normalised text
(the dedup key per organization), then ONE database call that provisions the caller
and writes policy + chunks + ingestion log together. Any failure is logged in
`ingestion_logs` (success = false, a caller-safe message) and re-raised.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

from sheetbrain.auth.identity import Identity
from sheetbrain.errors import AppError, BadRequest, Forbidden, PayloadTooLarge
from sheetbrain.log import get_logger
from sheetbrain.policies.chunking import normalise, split_into_chunks
from sheetbrain.policies.errors import NoTextFound, UnsupportedDocument
from sheetbrain.policies.extract import DocumentKind, detect_kind, extract_text, file_suffix
from sheetbrain.store import policies as store
from sheetbrain.store.errors import StoreError
from sheetbrain.store.gateway import Gateway

MAX_TITLE_LENGTH = 200
# The enhanced add-on sends {"type": "text"}; anything else is not text we can read.
TEXT_TYPES = frozenset({"text", "txt", "markdown", "md", "text/plain", "text/markdown"})
STORE_FAILURE = "The policy could not be stored; try again later."
NO_TEXT = "No text found in the document."
NO_TEXT_IN_PDF = "No text found in the PDF; scanned (image-only) PDFs need OCR first."

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
    created: bool
    policy: store.PolicyRow
    chunks: int


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

    def __init__(self, gateway: Gateway, identity: Identity, max_upload_bytes: int) -> None:
        self.gateway = gateway
        self.identity = identity
        self.max_upload_bytes = max_upload_bytes
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
        kind, raw_text = await asyncio.to_thread(_document_text, document)
        text = normalise(raw_text)
        if not text:
            raise NoTextFound(NO_TEXT_IN_PDF if kind is DocumentKind.PDF else NO_TEXT)
        stored = await store.ingest_policy(
            self.gateway,
            self.identity,
            title=derive_title(document.title, document.filename, text),
            content=text,
            content_hash=content_hash(text),
            chunks=chunk_args(text),
            document_size=self.document_size,
            duration_ms=self.elapsed_ms(),
            category=_label(document.category),
            department=_label(document.department),
            source=document.source,
            file_name=_label(document.filename),
        )
        return IngestResult(created=stored.created, policy=stored.policy, chunks=stored.chunks)

    async def record_failure(self, message: str) -> None:
        try:
            await store.log_ingestion_failure(
                self.gateway,
                self.identity,
                error=message,
                document_size=self.document_size,
                duration_ms=self.elapsed_ms(),
            )
        except StoreError as exc:
            # The original failure is what the caller must hear about.
            _log.warning("ingestion_failure_not_logged", code=exc.code)


@asynccontextmanager
async def ingestion_attempt(
    gateway: Gateway, identity: Identity, max_upload_bytes: int
) -> AsyncIterator[IngestionAttempt]:
    """Runs an ingest; on failure logs it (success = false) and re-raises."""
    attempt = IngestionAttempt(gateway, identity, max_upload_bytes)
    try:
        yield attempt
    except AppError as exc:
        await attempt.record_failure(exc.detail)
        raise
    except StoreError:
        await attempt.record_failure(STORE_FAILURE)
        raise


def _document_text(document: Document) -> tuple[DocumentKind, str]:
    if document.is_text:
        declared = (document.declared_type or "text").strip().lower()
        if declared not in TEXT_TYPES:
            raise UnsupportedDocument(
                f"type {document.declared_type!r} is not supported in JSON; send text, "
                "or upload the file to /api/v1/ingest."
            )
        return DocumentKind.TEXT, extract_text(document.data, DocumentKind.TEXT, "policy.txt")
    kind = detect_kind(document.data, document.filename)
    return kind, extract_text(document.data, kind, document.filename)


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
) -> IngestResult:
    """POST /api/policies: the text is ingested like any other (same checks, same log),
    then tagged when tags are given. Re-sending the same text updates that policy."""
    document = text_document(
        content,
        declared_type=None,
        title=title,
        filename=None,
        category=category,
        department=department,
    )
    async with ingestion_attempt(gateway, identity, max_upload_bytes) as attempt:
        result = await attempt.ingest(document)
    if tags is None:
        return result
    tagged = await store.set_policy_tags(gateway, identity, result.policy.id, tags)
    return IngestResult(created=result.created, policy=tagged, chunks=result.chunks)


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
    await store.provision(gateway, identity)
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
    text = normalise(raw)
    if not text:
        raise NoTextFound(NO_TEXT)
    return await store.update_policy(
        gateway,
        identity,
        policy_id,
        {**fields, "content": text},
        content_hash=content_hash(text),
        chunks=chunk_args(text),
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
