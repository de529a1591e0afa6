"""Why a document could not be ingested; each maps to a problem+json code.

Messages are written for the caller and stored in `ingestion_logs.error`: they never
contain document text.
"""

from __future__ import annotations

from sheetbrain.errors import Unprocessable, UnsupportedMediaType


class UnsupportedDocument(UnsupportedMediaType):
    code = "unsupported-document-type"


class NoTextFound(Unprocessable):
    code, title = "no-text-found", "No text found in the document"


class EncryptedDocument(Unprocessable):
    code, title = "encrypted-document", "The document is password-protected"


class CorruptDocument(Unprocessable):
    code, title = "corrupt-document", "The document cannot be read"
