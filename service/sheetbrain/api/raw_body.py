"""A request body handed to the handler as raw bytes, documented as its JSON model.

Litestar decodes and validates a `data` body on the event loop. For a body that can be
megabytes of cells, that work belongs in a worker thread, after the cheap checks; so
`RawJsonBody[Model]` gives the handler the bytes untouched (`data: JSONBody[bytes]`) while the
OpenAPI document still describes the body as `Model`, for clients and the schema fuzzer.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Generic, TypeVar

from litestar.dto import AbstractDTO, DTOFieldDefinition
from litestar.openapi.spec import Reference, Schema
from litestar.typing import FieldDefinition

T = TypeVar("T")


class RawJsonBody(AbstractDTO[T], Generic[T]):
    """Use as `dto=RawJsonBody[Model], return_dto=None` with `data: JSONBody[bytes]`."""

    @classmethod
    def generate_field_definitions(
        cls, model_type: type[Any]
    ) -> Generator[DTOFieldDefinition, None, None]:
        yield from ()  # nothing is transferred field by field

    @classmethod
    def detect_nested_field(cls, field_definition: FieldDefinition) -> bool:
        return False

    @classmethod
    def create_for_field_definition(
        cls,
        field_definition: FieldDefinition,
        handler_id: str,
        backend_cls: Any = None,
    ) -> None:
        """No DTO backend: the bytes are passed on as they came."""

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any
    ) -> Reference | Schema:
        schema: Reference | Schema = schema_creator.for_field_definition(
            FieldDefinition.from_annotation(cls.model_type)
        )
        return schema

    def decode_bytes(self, value: bytes) -> bytes:
        return value
