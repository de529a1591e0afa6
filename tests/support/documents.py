"""Small real documents built in memory: PDFs (hand-written and via pypdf) and DOCX files,
and small ones that cost a reader a lot (a long content stream, a zip bomb)."""

from __future__ import annotations

import io
import zipfile
import zlib

import docx
from pypdf import PdfReader, PdfWriter


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def pdf_with_text(*lines: str) -> bytes:
    """A one-page PDF 1.4 showing `lines` in Helvetica, with a correct xref table."""
    content = (
        "BT /F1 12 Tf 72 720 Td 16 TL "
        + " ".join(f"{_pdf_string(line)} Tj T*" for line in lines)
        + " ET"
    )
    return _one_page_pdf(content.encode("latin-1"))


def slow_pdf(text_operators: int = 350_000) -> bytes:
    """A few KB of PDF whose page is a Flate-compressed stream of `text_operators` text
    operators: pypdf spends about 10 s on 350,000 of them."""
    content = b"BT /F1 12 Tf 72 720 Td " + b"(ab) Tj " * text_operators + b"ET"
    return _one_page_pdf(zlib.compress(content, 9), b" /Filter /FlateDecode")


def pdf_with_pages(count: int) -> bytes:
    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(width=612, height=792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _one_page_pdf(stream: bytes, stream_filter: bytes = b"") -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d%s >>\nstream\n" % (len(stream), stream_filter) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)


def image_only_pdf() -> bytes:
    """A valid PDF whose page has no text (what a scan without OCR looks like to us)."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def encrypted_pdf(*lines: str, password: str = "secret") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_text(*lines))))
    writer.encrypt(user_password=password, algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def docx_with(
    *paragraphs: str, heading: str | None = None, table: list[list[str]] | None = None
) -> bytes:
    """A .docx with an optional Heading 1, paragraphs, and an optional table."""
    document = docx.Document()
    if heading is not None:
        document.add_heading(heading, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table is not None:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_bomb(characters: int = 24_000_000) -> bytes:
    """A .docx of some tens of KB whose one paragraph holds `characters` letters."""
    original = zipfile.ZipFile(io.BytesIO(docx_with("x")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        for part in original.infolist():
            data = original.read(part.filename)
            if part.filename == "word/document.xml":
                data = data.replace(b"<w:t>x</w:t>", b"<w:t>" + b"a" * characters + b"</w:t>")
            package.writestr(part.filename, data)
    return buffer.getvalue()
