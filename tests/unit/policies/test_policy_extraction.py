"""Type detection by content and text extraction from real small documents."""

from __future__ import annotations

import io
import secrets
import zipfile

import pytest

from sheetbrain.policies.errors import (
    CorruptDocument,
    EncryptedDocument,
    ExpandsTooMuch,
    TextTooLong,
    TooManyPages,
    UnsupportedDocument,
)
from sheetbrain.policies.extract import (
    MAX_PDF_PAGES,
    MAX_TEXT_CHARACTERS,
    DocumentKind,
    capped_text,
    detect_kind,
    extract_text,
    file_suffix,
)
from support.documents import (
    docx_bomb,
    docx_with,
    encrypted_pdf,
    image_only_pdf,
    pdf_with_pages,
    pdf_with_text,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _zip(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(name, "<xml/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "suffix"),
    [
        ("policy.PDF", ".pdf"),
        ("C:\\docs\\rules.docx", ".docx"),
        ("notes", ""),
        (".hidden", ""),
        (None, ""),
        ("archive.tar.gz", ".gz"),
    ],
)
def test_file_suffix_is_the_lower_cased_extension(filename: str | None, suffix: str) -> None:
    assert file_suffix(filename) == suffix


def test_a_pdf_is_detected_by_its_header_whatever_its_name() -> None:
    assert detect_kind(pdf_with_text("Rule"), "policy.txt") is DocumentKind.PDF


def test_a_docx_is_detected_by_its_word_part() -> None:
    assert detect_kind(docx_with("Rule"), "upload.bin") is DocumentKind.DOCX


def test_text_labelled_pdf_by_the_addon_is_text() -> None:
    assert detect_kind(b"Use named ranges.", "Policy.pdf") is DocumentKind.TEXT


@pytest.mark.parametrize("filename", ["rules.md", "rules.txt", "rules", None])
def test_utf8_text_with_a_text_name_is_text(filename: str | None) -> None:
    assert detect_kind("Règle: pas de NOW()".encode(), filename) is DocumentKind.TEXT


def test_windows_1252_text_named_txt_is_text() -> None:
    assert detect_kind("Règle".encode("cp1252"), "rules.txt") is DocumentKind.TEXT


def test_a_png_is_unsupported() -> None:
    with pytest.raises(UnsupportedDocument, match=r"\.png files are not supported"):
        detect_kind(PNG, "scan.png")


def test_a_spreadsheet_package_is_unsupported() -> None:
    with pytest.raises(UnsupportedDocument, match=r"\.xlsx files are not supported"):
        detect_kind(_zip("xl/workbook.xml"), "book.xlsx")


def test_text_with_an_unsupported_extension_is_unsupported() -> None:
    with pytest.raises(UnsupportedDocument, match=r"\.csv files are not supported"):
        detect_kind(b"a,b\n1,2\n", "data.csv")


def test_binary_named_pdf_is_corrupt() -> None:
    with pytest.raises(CorruptDocument, match="not a PDF"):
        detect_kind(b"\x00\x01\x02garbage", "policy.pdf")


def test_a_zip_named_docx_without_a_word_part_is_corrupt() -> None:
    with pytest.raises(CorruptDocument, match="no Word document inside"):
        detect_kind(_zip("other.xml"), "policy.docx")


def test_a_password_protected_docx_is_encrypted() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64

    with pytest.raises(EncryptedDocument):
        detect_kind(ole, "policy.docx")


def test_pdf_text_is_extracted_page_by_page() -> None:
    data = pdf_with_text("Never use VLOOKUP approximate match.", "Use INDEX/MATCH.")

    text = extract_text(data, DocumentKind.PDF)

    assert text == "Never use VLOOKUP approximate match.\nUse INDEX/MATCH.\n"


def test_an_image_only_pdf_has_no_text() -> None:
    assert extract_text(image_only_pdf(), DocumentKind.PDF).strip() == ""


def test_an_encrypted_pdf_is_refused() -> None:
    with pytest.raises(EncryptedDocument, match="password-protected"):
        extract_text(encrypted_pdf("Secret rule"), DocumentKind.PDF)


def test_a_pdf_encrypted_with_an_empty_user_password_is_read() -> None:
    data = encrypted_pdf("Open rule", password="")

    assert extract_text(data, DocumentKind.PDF) == "Open rule\n"


def test_a_truncated_pdf_is_corrupt() -> None:
    with pytest.raises(CorruptDocument, match="damaged"):
        extract_text(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", DocumentKind.PDF)


def test_docx_headings_become_markdown_headings_and_tables_rows() -> None:
    data = docx_with(
        "Lookups must use exact match.",
        heading="Lookup policy",
        table=[["Function", "Rule"], ["VLOOKUP", "FALSE as 4th argument"]],
    )

    text = extract_text(data, DocumentKind.DOCX)

    assert text == (
        "# Lookup policy\n\n"
        "Lookups must use exact match.\n\n"
        "Function | Rule\nVLOOKUP | FALSE as 4th argument"
    )


def test_a_damaged_docx_is_corrupt() -> None:
    data = docx_with("Rule")
    damaged = data[: len(data) // 2]

    with pytest.raises(CorruptDocument):
        extract_text(damaged, DocumentKind.DOCX)


def test_text_loses_its_byte_order_mark() -> None:
    assert extract_text(b"\xef\xbb\xbfRule", DocumentKind.TEXT, "r.txt") == "Rule"


# ----------------------------------------------------------------------------- limits


def test_a_docx_part_expanding_a_thousandfold_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(ExpandsTooMuch, match="expands to 24,001,"):
        extract_text(docx_bomb(), DocumentKind.DOCX)


def test_a_docx_holding_more_than_two_million_characters_is_refused() -> None:
    text = secrets.token_hex(MAX_TEXT_CHARACTERS // 2 + 1)  # hex compresses only 2:1

    with pytest.raises(TextTooLong):
        extract_text(docx_with(text), DocumentKind.DOCX)


def test_a_pdf_with_more_than_a_thousand_pages_is_refused() -> None:
    with pytest.raises(TooManyPages, match="1,001 pages"):
        extract_text(pdf_with_pages(MAX_PDF_PAGES + 1), DocumentKind.PDF)


def test_text_at_the_cap_is_kept_whole() -> None:
    assert (
        capped_text(["a" * (MAX_TEXT_CHARACTERS - 2), "b"], "\n")
        == "a" * (MAX_TEXT_CHARACTERS - 2) + "\nb"
    )
