"""The admin dashboard in a real browser: Debian's headless Chromium driven by Playwright.

The app is served by uvicorn on a free loopback port against the test database, with
a known history seeded first. A missing Chromium fails the test (it never skips):
`apt-get install -y chromium` provides /usr/bin/chromium; Playwright never downloads
a browser of its own here. The screenshot goes to the test's temporary folder, so a run
leaves the working tree as it was; SHEETBRAIN_UPDATE_DOCS_SCREENSHOT=1 also copies it
to docs/dashboard.png, the README's picture.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.async_api import Browser, Page, async_playwright

from sheetbrain.app import create_app
from sheetbrain.settings import REPO_ROOT, Settings
from support.live_server import running_server
from support.stats_data import (
    PastAudit,
    SeededOrg,
    seed_history,
    seed_org,
    this_month,
)

pytestmark = [pytest.mark.db, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The README's picture: refreshed only on request.
README_PICTURE = REPO_ROOT / "docs" / "dashboard.png"

# Audits per month, oldest (11 months ago) to this month.
MONTHLY_AUDITS = [4, 6, 5, 9, 12, 10, 14, 13, 17, 21, 19, 8]
HOUR = dt.timedelta(hours=1)
MODEL = "claude-sonnet-4-6"
AUDITS = [
    PastAudit(HOUR, 120, 9, {"error": 2, "warning": 5, "info": 2}, ai_status="ok", model=MODEL),
    PastAudit(3 * HOUR, 48, 3, {"warning": 3}, ai_status="ok", model=MODEL),
    PastAudit(26 * HOUR, 640, 0, {}, ai_status="ok", model=MODEL),
    PastAudit(3 * 24 * HOUR, 15, 4, {"error": 1, "warning": 3}, ai_status="unavailable"),
    PastAudit(120 * 24 * HOUR, 80, 2, {"warning": 2}, archived=True, ai_status="ok", model=MODEL),
]


@pytest.fixture(scope="module")
def northwind(database_url: str) -> SeededOrg:
    org = seed_org(database_url, name="Northwind Finance")
    seed_history(
        database_url,
        org,
        audits=AUDITS,
        usage=dict(enumerate(reversed(MONTHLY_AUDITS))),
        window=(37, dt.timedelta(seconds=50)),
    )
    return org


@pytest.fixture(scope="module")
def base_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(
        mode="local",
        data_dir=tmp_path_factory.mktemp("browser"),
        supabase_dir=REPO_ROOT / "supabase",
        _env_file=None,  # type: ignore[call-arg]
    )
    with running_server(create_app(settings, conninfo=database_url)) as url:
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium)",
            pytrace=False,
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def open_dashboard(
    browser: Browser, base_url: str, org: SeededOrg, *, javascript: bool = True
) -> Page:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900},
        java_script_enabled=javascript,
        extra_http_headers={"x-user-id": org.admin_user_id, "x-user-org": org.clerk_org_id},
    )
    page = await context.new_page()
    response = await page.goto(f"{base_url}/admin")
    assert response is not None
    assert response.status == 200
    return page


def template_count(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("select count(*) from public.policy_templates").fetchone()
    assert row is not None
    return int(row[0])


async def test_the_dashboard_shows_the_orgs_statistics(
    browser: Browser, base_url: str, northwind: SeededOrg
) -> None:
    page = await open_dashboard(browser, base_url, northwind)

    assert await page.inner_text("h1") == "Northwind Finance"
    assert await page.inner_text("#plan") == "free"
    assert await page.inner_text("#total-users") == "2"
    assert await page.inner_text("#total-audits") == "5"
    assert await page.inner_text("#audits-this-month") == "8 / 10"
    assert await page.inner_text("#rate-limit") == "37 / 100"


async def test_usage_is_a_bar_per_month_labelled_with_its_count(
    browser: Browser, base_url: str, northwind: SeededOrg
) -> None:
    page = await open_dashboard(browser, base_url, northwind)

    titles = await page.locator("svg.chart g title").all_text_contents()

    assert await page.locator("svg.chart rect.bar").count() == 12
    assert titles == [
        f"{this_month(11 - index)}: {count} audits" for index, count in enumerate(MONTHLY_AUDITS)
    ]


async def test_recent_audits_findings_and_policies_are_listed(
    browser: Browser, base_url: str, northwind: SeededOrg, database_url: str
) -> None:
    page = await open_dashboard(browser, base_url, northwind)

    first_audit = (
        await page.locator("#recent-audits tbody tr").first.locator("td").all_inner_texts()
    )
    severities = await page.locator("#severity-totals tbody tr").all_inner_texts()

    assert await page.locator("#recent-audits tbody tr").count() == 5
    assert first_audit[1:] == [
        northwind.admin_user_id,
        "120",
        "111",
        "9",
        "error 2, info 2, warning 5",
        "ok · claude-sonnet-4-6",
        "120 ms",
    ]
    assert severities == ["warning\t11", "error\t3", "info\t2"]
    assert await page.locator("#policies tbody tr").count() == template_count(database_url)


async def test_a_screenshot_of_the_dashboard_is_a_png(
    browser: Browser, base_url: str, northwind: SeededOrg, tmp_path: Path
) -> None:
    page = await open_dashboard(browser, base_url, northwind)
    screenshot = tmp_path / "dashboard.png"

    await page.screenshot(path=str(screenshot), full_page=True)
    if os.environ.get("SHEETBRAIN_UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(screenshot, README_PICTURE)

    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
