"""Why a document could not be ingested; each maps to a problem+json code.

Messages are written for the caller and stored in `ingestion_logs.error`: they never
contain document text.
"""

from __future__ import annotations

from sheetbrain.errors import PaymentRequired, Unprocessable, UnsupportedMediaType


class UnsupportedDocument(UnsupportedMediaType):
    code = "unsupported-document-type"


class NoTextFound(Unprocessable):
    code, title = "no-text-found", "No text found in the document"


class EncryptedDocument(Unprocessable):
    code, title = "encrypted-document", "The document is password-protected"


class CorruptDocument(Unprocessable):
    code, title = "corrupt-document", "The document cannot be read"


class TextTooLong(Unprocessable):
    code, title = "text-too-long", "The document holds too much text"


class TooManyPages(Unprocessable):
    code, title = "too-many-pages", "The document has too many pages"


class ExpandsTooMuch(Unprocessable):
    """A package part that decompresses far beyond its size: a zip bomb, or close to one."""

    code, title = "document-expands-too-much", "The document expands too much when opened"


class ExtractionTimedOut(Unprocessable):
    code, title = "extraction-timeout", "Reading the document took too long"


class PolicyLimitReached(PaymentRequired):
    code, title = "policy-limit-reached", "The plan's policy limit is reached"


class ExtractionFailed(Unprocessable):
    """The reader process died (out of memory, or killed) before it answered."""

    code, title = "extraction-failed", "The document could not be read"
