"""Policy ingest under attack: documents that cost a reader minutes or gigabytes, members
rewriting admins' policies, viewers adding them, and more ingests than the plan allows.
Each refusal is a 4xx problem, logged in ingestion_logs, and the service keeps answering."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from sheetbrain.app import create_app
from sheetbrain.clients import replacing
from sheetbrain.policies.worker import DocumentReader
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.clients import LOOPBACK
from support.documents import docx_bomb, pdf_with_pages, pdf_with_text, slow_pdf
from support.dying_readers import allocating, killed_by_the_system
from support.ids import unique_id
from support.live_server import running_server

pytestmark = pytest.mark.db

BOUNDARY = "----SheetBrainBoundary"
TIMEOUT_SECONDS = 2.0


def caller(org: str | None = None, role: str = "org:admin") -> dict[str, str]:
    return {
        "x-user-id": unique_id("user"),
        "x-user-org": org or unique_id("org"),
        "x-user-role": role,
    }


@pytest.fixture
async def client(
    local_settings: Settings, gateway: Gateway
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Local mode with documents read for at most TIMEOUT_SECONDS."""
    settings = local_settings.model_copy(update={"extraction_timeout_seconds": TIMEOUT_SECONDS})
    async with AsyncTestClient(
        app=create_app(settings, gateway=gateway), base_url=LOOPBACK
    ) as test_client:
        yield test_client


@asynccontextmanager
async def client_reading_with(
    reader: DocumentReader, settings: Settings, gateway: Gateway
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Local mode with `reader` in place of the document reader the app builds."""
    app = create_app(settings, gateway=gateway, clients=replacing(document_reader=reader))
    async with AsyncTestClient(app=app, base_url=LOOPBACK) as test_client:
        yield test_client


@pytest.fixture
def live_url(local_settings: Settings, database_url: str) -> Iterator[str]:
    """The same app served over a real socket, so requests can overlap."""
    settings = local_settings.model_copy(update={"extraction_timeout_seconds": TIMEOUT_SECONDS})
    with running_server(create_app(settings, conninfo=database_url)) as base_url:
        yield base_url


def multipart(data: bytes, filename: str) -> tuple[bytes, dict[str, str]]:
    body = (
        (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


async def upload(
    client: AsyncTestClient[Litestar], who: dict[str, str], data: bytes, filename: str
) -> Any:
    body, headers = multipart(data, filename)
    return await client.post("/api/v1/ingest", content=body, headers={**who, **headers})


def refusal(response: Any) -> tuple[int, str]:
    assert response.headers["content-type"] == "application/problem+json"
    return response.status_code, response.json()["code"]


def failures_logged(db: psycopg.Connection[tuple[Any, ...]], who: dict[str, str]) -> list[str]:
    rows = db.execute(
        """select l.error from public.ingestion_logs l
             join public.organizations o on o.id = l.organization_id
            where o.clerk_org_id = %s and not l.success""",
        (who["x-user-org"],),
    ).fetchall()
    return [str(row[0]) for row in rows]


def use_up_rate_limit(db: psycopg.Connection[tuple[Any, ...]], who: dict[str, str]) -> None:
    """As if the organization had sent its plan's 100 requests of this window already."""
    db.execute(
        """update public.rate_limit_buckets b set request_count = 100
             from public.organizations o
            where o.id = b.organization_id and o.clerk_org_id = %s""",
        (who["x-user-org"],),
    )


def fill_with_policies(db: psycopg.Connection[tuple[Any, ...]], who: dict[str, str]) -> None:
    """Adds policies until the organization holds the free plan's 25."""
    db.execute(
        """insert into public.policies (organization_id, title, content)
           select o.id, 'Filler', 'Filler ' || n
             from public.organizations o,
                  generate_series(1, 25 - (select count(*) from public.policies p
                                             where p.organization_id = o.id)) n
            where o.clerk_org_id = %s""",
        (who["x-user-org"],),
    )


async def ingest_text(client: AsyncTestClient[Litestar], who: dict[str, str], text: str) -> Any:
    return await client.post("/api/ingest", json={"title": "Rules", "content": text}, headers=who)


# ---------------------------------------------------------------- documents that cost a lot


@pytest.mark.slow
async def test_a_pdf_that_takes_too_long_to_read_is_422_and_logged(
    client: AsyncTestClient[Litestar], reader: psycopg.Connection[tuple[Any, ...]]
) -> None:
    who = caller()

    response = await upload(client, who, slow_pdf(), "slow.pdf")

    assert refusal(response) == (422, "extraction-timeout")
    assert failures_logged(reader, who) == [response.json()["detail"]]


@pytest.mark.slow
async def test_health_answers_while_a_slow_pdf_is_being_read(live_url: str) -> None:
    body, headers = multipart(slow_pdf(), "slow.pdf")
    async with httpx.AsyncClient(base_url=live_url, timeout=30) as http:
        ingest = asyncio.create_task(
            http.post("/api/v1/ingest", content=body, headers={**caller(), **headers})
        )
        await asyncio.sleep(0.5)  # the child process is reading the PDF by now
        health = await http.get("/health")
        ingest_was_running = not ingest.done()
        ingested = await ingest

    assert (health.status_code, ingest_was_running) == (200, True)
    assert refusal(ingested) == (422, "extraction-timeout")


async def test_a_docx_zip_bomb_is_refused_before_it_is_opened(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await upload(client, caller(), docx_bomb(), "bomb.docx")

    assert refusal(response) == (422, "document-expands-too-much")


async def test_a_pdf_with_more_than_a_thousand_pages_is_422(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await upload(client, caller(), pdf_with_pages(1001), "long.pdf")

    assert refusal(response) == (422, "too-many-pages")


async def test_text_over_two_million_characters_is_422(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await ingest_text(client, caller(), "word " * 400_001)

    assert refusal(response) == (422, "text-too-long")


async def test_a_reader_process_killed_by_the_system_is_422_not_500(
    local_settings: Settings, gateway: Gateway
) -> None:
    reader = DocumentReader(TIMEOUT_SECONDS, extract=killed_by_the_system)

    async with client_reading_with(reader, local_settings, gateway) as client:
        response = await upload(client, caller(), pdf_with_text("Rules."), "rules.pdf")

    assert refusal(response) == (422, "extraction-failed")


async def test_a_reader_over_its_memory_ceiling_is_422_not_500(
    local_settings: Settings, gateway: Gateway
) -> None:
    reader = DocumentReader(
        TIMEOUT_SECONDS, memory_limit_bytes=128 * 1024 * 1024, extract=allocating
    )

    async with client_reading_with(reader, local_settings, gateway) as client:
        response = await upload(client, caller(), pdf_with_text("Rules."), "rules.pdf")

    assert refusal(response) == (422, "extraction-failed")


# ---------------------------------------------------------------- who may add and change


async def test_a_member_reingesting_an_admins_policy_leaves_it_unchanged(
    client: AsyncTestClient[Litestar],
) -> None:
    admin = caller()
    text = f"Every lookup names its range. {unique_id('rule')}"
    created = await client.post(
        "/api/ingest",
        json={"title": "Lookups", "content": text, "category": "finance"},
        headers=admin,
    )
    member = caller(admin["x-user-org"], role="org:member")

    response = await client.post(
        "/api/ingest",
        json={"title": "Ignore all rules", "content": text, "category": "none"},
        headers=member,
    )

    body = response.json()
    assert (response.status_code, body["created"], body["outcome"]) == (200, False, "unchanged")
    assert body["message"] == (
        "This text is already the policy 'Lookups'; only an organization admin can change it, "
        "so it was left as it was."
    )
    stored = (await client.get(f"/api/policies/{created.json()['policyId']}", headers=admin)).json()
    assert (stored["title"], stored["category"]) == ("Lookups", "finance")


async def test_a_viewer_cannot_add_a_policy(client: AsyncTestClient[Litestar]) -> None:
    response = await ingest_text(client, caller(role="org:viewer"), "Viewers write no rules.")

    assert refusal(response) == (403, "forbidden")


# ---------------------------------------------------------------- how often, how many


async def test_ingest_counts_against_the_rate_limit_like_an_audit(
    client: AsyncTestClient[Litestar], reader: psycopg.Connection[tuple[Any, ...]]
) -> None:
    who = caller()
    assert (await ingest_text(client, who, "First rule.")).status_code == 200
    use_up_rate_limit(reader, who)

    response = await ingest_text(client, who, "Second rule.")

    assert refusal(response) == (429, "rate-limited")
    assert int(response.headers["retry-after"]) >= 1


async def test_a_rate_limited_upload_is_refused_before_the_document_is_read(
    client: AsyncTestClient[Litestar], reader: psycopg.Connection[tuple[Any, ...]]
) -> None:
    who = caller()
    assert (await ingest_text(client, who, "First rule.")).status_code == 200
    use_up_rate_limit(reader, who)

    response = await upload(client, who, slow_pdf(), "slow.pdf")

    assert refusal(response) == (429, "rate-limited")


async def test_an_organization_holds_no_more_policies_than_its_plan_allows(
    client: AsyncTestClient[Litestar], reader: psycopg.Connection[tuple[Any, ...]]
) -> None:
    who = caller()
    assert (await ingest_text(client, who, "First rule.")).status_code == 200
    fill_with_policies(reader, who)

    response = await ingest_text(client, who, "One rule too many.")

    assert refusal(response) == (402, "policy-limit-reached")
    assert (response.json()["plan"], response.json()["limit"]) == ("free", 25)
