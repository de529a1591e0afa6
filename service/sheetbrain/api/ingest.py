"""Policy ingestion: JSON text (`/api/ingest`) and document upload (`/api/v1/ingest`).

Both run one `ingestion_attempt`, so every failure, including a body over the size
limit or a malformed multipart body, is logged in `ingestion_logs` before it is
answered as problem+json.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Controller, Request, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import JSONBody
from pydantic import BaseModel, ConfigDict, Field

from sheetbrain.api.policies import LABEL_LENGTH, PolicyView
from sheetbrain.errors import BadRequest, PayloadTooLarge
from sheetbrain.identity import Identity
from sheetbrain.policies import service
from sheetbrain.policies.errors import UnsupportedDocument
from sheetbrain.policies.worker import DocumentReader
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from sheetbrain.store.policies import IngestOutcome

FILE_PART = "file"


class TextIngest(BaseModel):
    """The seed guide's `{title, content, department}`; the add-on's `{fileName, content, type}`."""

    model_config = ConfigDict(populate_by_name=True)

    content: str
    title: str | None = Field(None, max_length=service.MAX_TITLE_LENGTH)
    file_name: str | None = Field(None, alias="fileName", max_length=500)
    type: str | None = Field(None, max_length=100)
    category: str | None = Field(None, max_length=LABEL_LENGTH)
    department: str | None = Field(None, max_length=LABEL_LENGTH)


class Ingested(BaseModel):
    success: bool
    created: bool
    outcome: IngestOutcome
    message: str | None = None
    policyId: UUID
    policy: PolicyView
    chunks: int


@dataclass(frozen=True)
class Ingestion:
    """What an ingest needs of the request's dependencies, gathered once."""

    gateway: Gateway
    identity: Identity
    max_upload_bytes: int
    reader: DocumentReader

    def attempt(self) -> AbstractAsyncContextManager[service.IngestionAttempt]:
        return service.ingestion_attempt(
            self.gateway, self.identity, self.max_upload_bytes, self.reader
        )


def provide_ingestion(
    gateway: NamedDependency[Gateway],
    identity: NamedDependency[Identity],
    settings: NamedDependency[Settings],
    document_reader: NamedDependency[DocumentReader],
) -> Ingestion:
    return Ingestion(gateway, identity, settings.max_upload_bytes, document_reader)


class IngestController(Controller):
    tags = ["policies"]  # noqa: RUF012 - Litestar reads it as a class attribute
    dependencies = {"ingestion": Provide(provide_ingestion, sync_to_thread=False)}  # noqa: RUF012

    # Both add-ons test `=== 200` after an upload, so a new policy answers 200 here too
    # (`created` tells a new policy from an update); POST /api/policies answers 201.
    @post(
        "/api/ingest",
        status_code=200,
        operation_id="ingestText",
        summary="Add a policy from JSON text",
    )
    async def ingest_text(
        self, data: JSONBody[TextIngest], ingestion: NamedDependency[Ingestion]
    ) -> Ingested:
        async with ingestion.attempt() as attempt:
            result = await attempt.ingest(_text_document(data))
        return _answer(result)

    @post(
        "/api/v1/ingest",
        status_code=200,
        operation_id="ingestDocument",
        summary="Add a policy from an uploaded .txt, .md, .pdf or .docx (multipart, part `file`)",
    )
    async def ingest_document(
        self, request: Request[Any, Any, Any], ingestion: NamedDependency[Ingestion]
    ) -> Ingested:
        async with ingestion.attempt() as attempt:
            attempt.document_size = request.content_length  # until the file itself is read
            result = await attempt.ingest(await _uploaded_document(request))
        return _answer(result)


def _answer(result: service.IngestResult) -> Ingested:
    return Ingested(
        success=True,
        created=result.created,
        outcome=result.outcome,
        message=result.message,
        policyId=result.policy.id,
        policy=PolicyView.of(result.policy),
        chunks=result.chunks,
    )


def _text_document(data: TextIngest) -> service.Document:
    return service.text_document(
        data.content,
        declared_type=data.type,
        title=data.title,
        filename=data.file_name,
        category=data.category,
        department=data.department,
    )


async def _uploaded_document(request: Request[Any, Any, Any]) -> service.Document:
    """The `file` part and the optional `title`, `category`, `department` fields."""
    if request.content_type[0] != RequestEncodingType.MULTI_PART:
        raise UnsupportedDocument(f"Send multipart/form-data with a part named {FILE_PART!r}.")
    try:
        form = await request.form()
    except RequestEntityTooLarge as exc:
        raise PayloadTooLarge("The upload is larger than the request size limit.") from exc
    except ClientException as exc:
        raise BadRequest("The multipart body is malformed.") from exc
    except UnicodeDecodeError as exc:
        raise BadRequest(f"Send the {FILE_PART!r} part with a filename.") from exc
    part = form.get(FILE_PART)
    if isinstance(part, UploadFile):
        data, filename = await part.read(), part.filename
        await part.close()
    elif isinstance(part, str) and part:
        data, filename = part.encode("utf-8"), None
    else:
        raise BadRequest(f"The multipart body has no {FILE_PART!r} part.")

    def field(name: str) -> str | None:
        value = form.get(name)
        return value[:LABEL_LENGTH] if isinstance(value, str) else None

    return service.Document(
        data=data,
        filename=filename,
        title=field("title"),
        category=field("category"),
        department=field("department"),
    )
