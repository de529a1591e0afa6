"""POST /api/ingest (JSON) and /api/v1/ingest (multipart): success, dedup, every failure.

Every failure answers problem+json AND leaves exactly one ingestion_logs row with
success = false; the policy, its chunks and the success log commit together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.clients import LOOPBACK
from support.documents import docx_with, encrypted_pdf, image_only_pdf, pdf_with_text
from support.ids import unique_id

pytestmark = pytest.mark.db

ADDON_BOUNDARY = "----SheetBrainBoundary"
DEFAULT_POLICY_COUNT = 7


def caller(role: str = "org:admin") -> dict[str, str]:
    return {"x-user-id": unique_id("user"), "x-user-org": unique_id("org"), "x-user-role": role}


def addon_multipart(
    data: bytes, filename: str = "policy.pdf", fields: dict[str, str] | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body the add-on's API client builds: one `file` part sent as application/pdf."""
    body = b""
    for name, value in (fields or {}).items():
        body += (
            f'--{ADDON_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n"
        ).encode()
    body += (
        f"--{ADDON_BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    body += data + f"\r\n--{ADDON_BOUNDARY}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={ADDON_BOUNDARY}"}


async def upload(
    client: AsyncTestClient[Litestar],
    who: dict[str, str],
    data: bytes,
    filename: str = "policy.pdf",
    fields: dict[str, str] | None = None,
) -> Any:
    body, headers = addon_multipart(data, filename, fields)
    return await client.post("/api/v1/ingest", content=body, headers={**who, **headers})


def ingestion_logs(db: psycopg.Connection[Any], who: dict[str, str]) -> list[tuple[Any, ...]]:
    return db.execute(
        """select l.document_size, l.chunk_count, l.success, l.error, l.policy_id is not null
             from public.ingestion_logs l
             join public.organizations o on o.id = l.organization_id
            where o.clerk_org_id = %s
            order by l.created_at, l.id""",
        (who["x-user-org"],),
    ).fetchall()


def policy_count(db: psycopg.Connection[Any], who: dict[str, str]) -> int:
    row = db.execute(
        """select count(*) from public.policies p
             join public.organizations o on o.id = p.organization_id
            where o.clerk_org_id = %s""",
        (who["x-user-org"],),
    ).fetchone()
    assert row is not None
    return int(row[0])


def assert_problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


@pytest.fixture
async def small_client(
    local_settings: Settings, gateway: Gateway
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Uploads limited to 1000 bytes, request bodies to 4000."""
    settings = local_settings.model_copy(update={"max_upload_bytes": 1000, "max_body_bytes": 4000})
    async with AsyncTestClient(
        app=create_app(settings, gateway=gateway), base_url=LOOPBACK
    ) as client:
        yield client


# ----------------------------------------------------------------------------- JSON


async def test_the_seed_guide_call_creates_a_policy_and_answers_200(
    client: AsyncTestClient[Litestar],
) -> None:
    who = caller()
    payload = {
        "title": "Test Policy",
        "content": "This is a test policy for formula compliance.",
        "department": "IT",
    }

    response = await client.post("/api/ingest", json=payload, headers=who)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["created"] is True
    assert body["chunks"] == 1
    assert body["policyId"] == body["policy"]["id"]
    assert {k: body["policy"][k] for k in ("name", "title", "content", "department")} == {
        "name": "Test Policy",
        "title": "Test Policy",
        "content": "This is a test policy for formula compliance.",
        "department": "IT",
    }
    assert (body["policy"]["source"], body["policy"]["isDefault"]) == ("manual", False)


async def test_the_seed_guide_call_logs_size_and_chunks(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()
    content = "Règle: never hard-code tax rates."

    await client.post("/api/ingest", json={"title": "T", "content": content}, headers=who)

    assert ingestion_logs(db, who) == [(len(content.encode()), 1, True, None, True)]


async def test_the_first_ingest_of_a_new_organization_provisions_it_with_defaults(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()

    await client.post("/api/ingest", json={"title": "T", "content": "Rule."}, headers=who)

    assert policy_count(db, who) == DEFAULT_POLICY_COUNT + 1


async def test_the_addon_json_shape_uses_the_file_name_as_title(
    client: AsyncTestClient[Litestar],
) -> None:
    payload = {"fileName": "Data rules.txt", "content": "Use named ranges.", "type": "text"}

    response = await client.post("/api/ingest", json=payload, headers=caller())

    assert response.status_code == 200
    assert response.json()["policy"]["title"] == "Data rules"


async def test_ingesting_the_same_text_again_updates_the_policy(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()
    first = await client.post(
        "/api/ingest", json={"title": "Old", "content": "Same rule."}, headers=who
    )

    again = await client.post(
        "/api/ingest", json={"title": "New", "content": "Same  rule.\n"}, headers=who
    )

    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["policyId"] == first.json()["policyId"]
    assert again.json()["policy"]["title"] == "New"
    assert policy_count(db, who) == DEFAULT_POLICY_COUNT + 1
    assert [row[2] for row in ingestion_logs(db, who)] == [True, True]


async def test_the_same_text_in_two_organizations_makes_two_policies(
    client: AsyncTestClient[Litestar],
) -> None:
    payload = {"title": "T", "content": "Shared rule text."}

    first = await client.post("/api/ingest", json=payload, headers=caller())
    second = await client.post("/api/ingest", json=payload, headers=caller())

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["policyId"] != second.json()["policyId"]


async def test_a_json_type_other_than_text_is_415_and_logged(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()
    payload = {"fileName": "a.pdf", "content": "JVBERi0=", "type": "pdf"}

    response = await client.post("/api/ingest", json=payload, headers=who)

    assert_problem(response, 415, "unsupported-document-type")
    assert ingestion_logs(db, who) == [(8, 0, False, response.json()["error"], False)]


async def test_json_content_without_text_is_422_and_logged(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()

    response = await client.post(
        "/api/ingest", json={"title": "T", "content": " \n\t "}, headers=who
    )

    assert_problem(response, 422, "no-text-found")
    assert ingestion_logs(db, who) == [(4, 0, False, "No text found in the document.", False)]


async def test_json_content_over_the_upload_limit_is_413_and_logged(
    small_client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()

    response = await small_client.post(
        "/api/ingest", json={"title": "T", "content": "x" * 1001}, headers=who
    )

    assert_problem(response, 413, "payload-too-large")
    assert response.json()["error"] == "The document is 1001 bytes; the limit is 1000 bytes."
    assert ingestion_logs(db, who) == [(1001, 0, False, response.json()["error"], False)]


async def test_json_content_at_the_upload_limit_is_accepted(
    small_client: AsyncTestClient[Litestar],
) -> None:
    response = await small_client.post(
        "/api/ingest", json={"title": "T", "content": "x" * 1000}, headers=caller()
    )

    assert response.status_code == 200


async def test_json_without_content_is_400_validation(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post("/api/ingest", json={"title": "T"}, headers=caller())

    assert_problem(response, 400, "bad-request")


async def test_ingest_without_identity_is_401(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post("/api/ingest", json={"title": "T", "content": "x"})

    assert_problem(response, 401, "unauthorized")


# ----------------------------------------------------------------------------- multipart


async def test_the_addon_multipart_pdf_upload_creates_a_policy(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()
    pdf = pdf_with_text("Never use VLOOKUP approximate match.", "Use INDEX and MATCH.")

    response = await upload(client, who, pdf, "Lookup policy.pdf")

    assert response.status_code == 200
    policy = response.json()["policy"]
    assert (policy["title"], policy["source"]) == ("Lookup policy", "upload")
    assert policy["content"] == "Never use VLOOKUP approximate match.\nUse INDEX and MATCH."
    assert ingestion_logs(db, who) == [(len(pdf), 1, True, None, True)]


async def test_text_the_addon_labels_as_pdf_is_ingested_as_text(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await upload(client, caller(), b"# Rules\nAvoid INDIRECT.", "Rules.pdf")

    assert response.status_code == 200
    assert response.json()["policy"]["content"] == "# Rules\nAvoid INDIRECT."


async def test_a_docx_upload_keeps_headings(client: AsyncTestClient[Litestar]) -> None:
    data = docx_with("Wrap IMPORTRANGE in IFERROR.", heading="External data")

    response = await upload(client, caller(), data, "external.docx")

    assert response.status_code == 200
    assert response.json()["policy"]["content"] == (
        "# External data\n\nWrap IMPORTRANGE in IFERROR."
    )


async def test_form_fields_set_title_category_and_department(
    client: AsyncTestClient[Litestar],
) -> None:
    fields = {"title": "Finance rules", "category": "finance", "department": "Accounting"}

    response = await upload(client, caller(), b"Round to cents.", "rules.md", fields)

    policy = response.json()["policy"]
    assert (policy["title"], policy["category"], policy["department"]) == (
        "Finance rules",
        "finance",
        "Accounting",
    )


async def test_a_long_document_is_stored_in_several_chunks(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()
    text = "\n\n".join(f"# Section {n}\n" + " ".join(["word"] * 700) for n in range(3))

    response = await upload(client, who, text.encode(), "long.md")

    assert response.json()["chunks"] == 6  # 700 words ~ 934 tokens: two chunks per section
    stored = db.execute(
        "select ordinal, token_count from public.policy_chunks where policy_id = %s order by 1",
        (response.json()["policyId"],),
    ).fetchall()
    assert [row[0] for row in stored] == [0, 1, 2, 3, 4, 5]
    assert all(row[1] <= 800 for row in stored)
    assert ingestion_logs(db, who)[0][1] == 6


@pytest.mark.parametrize(
    ("document", "filename", "status", "code", "error"),
    [
        pytest.param(
            image_only_pdf(),
            "scan.pdf",
            422,
            "no-text-found",
            "No text found in the PDF; scanned (image-only) PDFs need OCR first.",
            id="an_image_only_pdf",
        ),
        pytest.param(
            encrypted_pdf("Secret rule"),
            "policy.pdf",
            422,
            "encrypted-document",
            "The PDF is password-protected; upload an unprotected copy.",
            id="an_encrypted_pdf",
        ),
        pytest.param(
            b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog",
            "policy.pdf",
            422,
            "corrupt-document",
            "The PDF is damaged and cannot be read.",
            id="a_corrupt_pdf",
        ),
        pytest.param(
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
            "scan.png",
            415,
            "unsupported-document-type",
            ".png files are not supported; upload .txt, .md, .pdf and .docx.",
            id="an_image",
        ),
    ],
)
async def test_an_unreadable_upload_is_refused_logged_and_adds_no_policy(
    client: AsyncTestClient[Litestar],
    db: psycopg.Connection[Any],
    document: bytes,
    filename: str,
    status: int,
    code: str,
    error: str,
) -> None:
    who = caller()

    response = await upload(client, who, document, filename)

    assert_problem(response, status, code)
    assert response.json()["error"] == error
    assert ingestion_logs(db, who) == [(len(document), 0, False, error, False)]
    assert policy_count(db, who) == DEFAULT_POLICY_COUNT


async def test_a_file_over_the_upload_limit_is_413_and_logged(
    small_client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()

    response = await upload(small_client, who, b"y" * 1001, "big.txt")

    assert_problem(response, 413, "payload-too-large")
    assert ingestion_logs(db, who) == [(1001, 0, False, response.json()["error"], False)]


async def test_a_body_over_the_request_limit_is_413_and_logged(
    small_client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()
    body, headers = addon_multipart(b"z" * 5000, "huge.txt")

    response = await small_client.post("/api/v1/ingest", content=body, headers={**who, **headers})

    assert_problem(response, 413, "payload-too-large")
    assert ingestion_logs(db, who) == [
        (len(body), 0, False, "The upload is larger than the request size limit.", False)
    ]


async def test_a_multipart_body_without_a_file_part_is_400_and_logged(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()
    body = (
        f'--{ADDON_BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nT\r\n'
        f"--{ADDON_BOUNDARY}--\r\n"
    ).encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={ADDON_BOUNDARY}"}

    response = await client.post("/api/v1/ingest", content=body, headers={**who, **headers})

    assert_problem(response, 400, "bad-request")
    assert ingestion_logs(db, who) == [
        (len(body), 0, False, "The multipart body has no 'file' part.", False)
    ]


def unnamed_file_part(data: bytes) -> tuple[bytes, dict[str, str]]:
    body = (
        (f'--{ADDON_BOUNDARY}\r\nContent-Disposition: form-data; name="file"\r\n\r\n').encode()
        + data
        + f"\r\n--{ADDON_BOUNDARY}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={ADDON_BOUNDARY}"}


async def test_a_file_part_without_a_filename_is_read_as_text(
    client: AsyncTestClient[Litestar],
) -> None:
    body, headers = unnamed_file_part(b"Keep inputs on one sheet.")

    response = await client.post("/api/v1/ingest", content=body, headers={**caller(), **headers})

    assert response.status_code == 200
    assert response.json()["policy"]["title"] == "Keep inputs on one sheet."


async def test_a_binary_file_part_without_a_filename_is_400_and_logged(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()
    body, headers = unnamed_file_part(b"\xff\xfe\x00binary")

    response = await client.post("/api/v1/ingest", content=body, headers={**who, **headers})

    assert_problem(response, 400, "bad-request")
    assert ingestion_logs(db, who) == [
        (len(body), 0, False, "Send the 'file' part with a filename.", False)
    ]


async def test_a_json_body_on_the_upload_endpoint_is_415_and_logged(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()

    body = b'{"content": "x"}'

    response = await client.post(
        "/api/v1/ingest", content=body, headers={**who, "Content-Type": "application/json"}
    )

    assert_problem(response, 415, "unsupported-document-type")
    assert ingestion_logs(db, who) == [
        (len(body), 0, False, "Send multipart/form-data with a part named 'file'.", False)
    ]


async def test_a_failed_upload_still_provisions_the_caller(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()

    await upload(client, who, b"\x89PNG\r\n\x1a\n", "x.png")

    row = db.execute(
        "select count(*) from public.users where clerk_user_id = %s", (who["x-user-id"],)
    ).fetchone()
    assert row == (1,)


async def test_reuploading_the_same_pdf_updates_the_policy(
    client: AsyncTestClient[Litestar], db: psycopg.Connection[Any]
) -> None:
    who = caller()
    pdf = pdf_with_text("Same document.")

    first = await upload(client, who, pdf, "v1.pdf")
    second = await upload(client, who, pdf, "v2.pdf")

    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["created"], second.json()["created"]) == (True, False)
    assert second.json()["policy"]["title"] == "v2"
    assert policy_count(db, who) == DEFAULT_POLICY_COUNT + 1
    assert ingestion_logs(db, who) == [(len(pdf), 1, True, None, True)] * 2
