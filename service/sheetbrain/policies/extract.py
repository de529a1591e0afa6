"""Text out of an uploaded document: .txt/.md, .pdf (pypdf), .docx (python-docx).

The type is decided by the bytes first (magic numbers), then the file name; the
declared Content-Type is ignored: the add-on labels every upload `application/pdf`,
including plain text.

A small upload can hide a lot of work: a PDF page whose compressed content stream
expands to megabytes, or a .docx whose XML compresses a thousandfold. So the text is
capped (MAX_TEXT_CHARACTERS), so are a PDF's pages, and a .docx package is refused
before it is parsed when a part would decompress beyond MAX_PART_BYTES or
MAX_COMPRESSION_RATIO times its compressed size. Time and memory are bounded by
running this module in a child process (`policies/worker.py`).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from enum import StrEnum

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf import PasswordType, PdfReader
from pypdf.errors import FileNotDecryptedError

from sheetbrain.policies.errors import (
    CorruptDocument,
    EncryptedDocument,
    ExpandsTooMuch,
    TextTooLong,
    TooManyPages,
    UnsupportedDocument,
)

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
# Office files saved with a password are OLE compound files, not zip packages.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# PDF readers accept leading junk before the header within the first kilobyte.
PDF_HEADER_WINDOW = 1024
WORD_DOCUMENT_PART = "word/document.xml"

TEXT_SUFFIXES = frozenset({"", ".txt", ".text", ".md", ".markdown"})
# Text sent under these names is still text (the add-on names pasted text `*.pdf`).
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".pdf", ".docx"}
SUPPORTED_TYPES = ".txt, .md, .pdf and .docx"

# About 1,000 pages of prose: more than any policy, and cheap to normalise and chunk.
MAX_TEXT_CHARACTERS = 2_000_000
MAX_PDF_PAGES = 1_000
# A .docx is a zip package. Real ones: document.xml of a few MiB, XML compressing
# 5-20 times; a part over these limits is refused before it is decompressed.
MAX_PACKAGE_PARTS = 1_000
MAX_PART_BYTES = 20 * 1024 * 1024
MAX_PACKAGE_BYTES = 64 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
# Below this size a part cannot hurt, however well it compresses.
RATIO_CHECKED_ABOVE_BYTES = 1024 * 1024
_ENCRYPTED_PDF = "The PDF is password-protected; upload an unprotected copy."


class DocumentKind(StrEnum):
    TEXT = "text"
    PDF = "pdf"
    DOCX = "docx"


def file_suffix(filename: str | None) -> str:
    """The lower-cased extension of a client file name (either path separator)."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    return f".{suffix.lower()}" if dot and stem else ""


def detect_kind(data: bytes, filename: str | None) -> DocumentKind:
    """What the bytes are; UnsupportedDocument or CorruptDocument when we cannot read them."""
    suffix = file_suffix(filename)
    if PDF_MAGIC in data[:PDF_HEADER_WINDOW]:
        return DocumentKind.PDF
    if data.startswith(ZIP_MAGIC):
        if _is_word_package(data):
            return DocumentKind.DOCX
        if suffix == ".docx":
            raise CorruptDocument("The .docx file is damaged: it has no Word document inside.")
        raise UnsupportedDocument(_unsupported_message(suffix))
    if data.startswith(OLE_MAGIC):
        if suffix == ".docx":
            raise EncryptedDocument("The .docx file is password-protected; remove the password.")
        raise UnsupportedDocument(_unsupported_message(suffix))
    if decode_text(data, suffix) is not None:
        if suffix not in SUPPORTED_SUFFIXES:
            raise UnsupportedDocument(_unsupported_message(suffix))
        return DocumentKind.TEXT
    if suffix == ".pdf":
        raise CorruptDocument("The file is named .pdf but is not a PDF document.")
    raise UnsupportedDocument(_unsupported_message(suffix))


def extract_text(data: bytes, kind: DocumentKind, filename: str | None = None) -> str:
    """The document's text (not yet normalised); markdown-style `#` lines for headings."""
    if kind is DocumentKind.PDF:
        return _pdf_text(data)
    if kind is DocumentKind.DOCX:
        return _docx_text(data)
    text = decode_text(data, file_suffix(filename))
    if text is None:
        raise UnsupportedDocument(_unsupported_message(file_suffix(filename)))
    return text


def capped_text(blocks: Iterable[str], separator: str = "") -> str:
    """The blocks joined, read only until they pass MAX_TEXT_CHARACTERS (TextTooLong)."""
    kept: list[str] = []
    length = 0
    for block in blocks:
        length += len(block) + (len(separator) if kept else 0)
        if length > MAX_TEXT_CHARACTERS:
            raise TextTooLong(
                f"The document holds more than {MAX_TEXT_CHARACTERS:,} characters of text; "
                "split it into several policies."
            )
        kept.append(block)
    return separator.join(kept)


def decode_text(data: bytes, suffix: str) -> str | None:
    """UTF-8 text (BOM allowed); Windows-1252 for files named as text; None for binary."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if suffix in TEXT_SUFFIXES - {""}:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return None
    return None


def _unsupported_message(suffix: str) -> str:
    named = f"{suffix} files are" if suffix else "This file type is"
    return f"{named} not supported; upload {SUPPORTED_TYPES}."


def _is_word_package(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return WORD_DOCUMENT_PART in package.namelist()
    except zipfile.BadZipFile:
        return False


def _pdf_text(data: bytes) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        # Owner-password PDFs (printing/copy restrictions only) open with an empty password.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise EncryptedDocument(_ENCRYPTED_PDF)
        if len(reader.pages) > MAX_PDF_PAGES:
            raise TooManyPages(
                f"The PDF has {len(reader.pages):,} pages; at most {MAX_PDF_PAGES:,} are read."
            )
        return capped_text((page.extract_text() or "" for page in reader.pages), "\n\n")
    except (EncryptedDocument, TooManyPages, TextTooLong, MemoryError):
        raise
    except FileNotDecryptedError as exc:
        raise EncryptedDocument(_ENCRYPTED_PDF) from exc
    except Exception as exc:
        # pypdf raises many exception types on malformed input; all mean "unreadable".
        raise CorruptDocument("The PDF is damaged and cannot be read.") from exc


def _docx_text(data: bytes) -> str:
    check_package(data)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = (_docx_block(item) for item in document.iter_inner_content())
        return capped_text((block for block in blocks if block), "\n\n")
    except (TextTooLong, MemoryError):
        raise
    except Exception as exc:
        # python-docx raises KeyError, ValueError, lxml errors... on a damaged package.
        raise CorruptDocument("The .docx file is damaged and cannot be read.") from exc


def check_package(data: bytes) -> None:
    """Refuses a zip package that would decompress too far, judged by its central
    directory alone (zipfile never yields more than a part's declared size)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            parts = package.infolist()
    except zipfile.BadZipFile as exc:
        raise CorruptDocument("The .docx file is damaged and cannot be read.") from exc
    if len(parts) > MAX_PACKAGE_PARTS:
        raise ExpandsTooMuch(f"The .docx package has more than {MAX_PACKAGE_PARTS:,} parts.")
    for part in parts:
        if part.file_size > MAX_PART_BYTES or (
            part.file_size > RATIO_CHECKED_ABOVE_BYTES
            and part.file_size > MAX_COMPRESSION_RATIO * max(part.compress_size, 1)
        ):
            raise ExpandsTooMuch(
                f"A part of the .docx ({part.compress_size:,} bytes) expands to "
                f"{part.file_size:,} bytes; at most {MAX_PART_BYTES:,} bytes, and "
                f"{MAX_COMPRESSION_RATIO} times its compressed size, are read."
            )
    if sum(part.file_size for part in parts) > MAX_PACKAGE_BYTES:
        raise ExpandsTooMuch(
            f"The .docx expands to more than {MAX_PACKAGE_BYTES:,} bytes when opened."
        )


def _docx_block(item: Paragraph | Table) -> str:
    if isinstance(item, Table):
        return "\n".join(" | ".join(cell.text.strip() for cell in row.cells) for row in item.rows)
    text = item.text.strip()
    level = _heading_level(item.style.name if item.style is not None else None)
    return f"{'#' * level} {text}" if level and text else text


def _heading_level(style_name: str | None) -> int:
    """1-6 for Word's "Title" / "Heading N" styles, else 0."""
    if not style_name:
        return 0
    if style_name == "Title":
        return 1
    prefix, _, number = style_name.partition(" ")
    if prefix == "Heading" and number.isdigit():
        return min(max(int(number), 1), 6)
    return 0
