"""The Apps Script sign-in (addon/) against a live server in production mode.

The service runs over real HTTP (uvicorn on a free loopback port) as it would be
deployed against a 2026 Supabase project: an `sb_secret_` key and no JWT secret, its
PostgREST calls answered by the stand-in on the test database, and Google's keys
replaced by a test JWKS. Node's built-in test runner then runs addon/test/*.test.js,
whose Apps Script fakes sign in with ID tokens signed by the matching private key.
Node is required (the test command installs the Supabase CLI with npm): a missing
`node` fails this test, it never skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from pydantic import SecretStr

from sheetbrain.app import create_app
from sheetbrain.settings import REPO_ROOT
from support.fake_postgrest import SERVICE_KEY, FakePostgrest
from support.google_id_tokens import CLIENT_ID, GoogleAccounts
from support.ids import unique_id
from support.live_server import running_server
from support.production import addon_production_settings

pytestmark = [pytest.mark.db, pytest.mark.slow]

ADDON_TESTS = sorted((REPO_ROOT / "addon" / "test").glob("*.test.js"))
SUPABASE_URL = "http://addon-project.supabase.test"
GOOGLE = GoogleAccounts(kid="addon-node-tests")
NODE_TIMEOUT_SECONDS = 300


@pytest.fixture(scope="module")
def production_url(database_url: str) -> Iterator[str]:
    settings = addon_production_settings(
        supabase_url=SUPABASE_URL, supabase_secret_key=SecretStr(SERVICE_KEY), log_level="warning"
    )
    with respx.mock(assert_all_called=False) as router:
        FakePostgrest(database_url).install(router, SUPABASE_URL)
        GOOGLE.serve_jwks(router)
        with running_server(create_app(settings)) as base_url:
            yield base_url


def synced_member(database_url: str) -> str:
    """A user Clerk synced into a team organization as a member; answers their email."""
    user = unique_id("user")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "select public.provision_actor(jsonb_build_object('clerk_user_id', %s::text,"
            " 'clerk_org_id', %s::text, 'org_role', 'org:member', 'email', %s::text))",
            (user, unique_id("org"), f"{user}@example.com"),
        )
    return f"{user}@example.com"


def google_private_key() -> str:
    return GOOGLE.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_the_addon_tests_exist() -> None:
    assert [path.name for path in ADDON_TESTS] == ["manifest.test.js", "sign_in.test.js"]


@pytest.mark.parametrize("node_test", ADDON_TESTS, ids=lambda path: path.name)
def test_the_apps_script_sign_in_passes_its_node_tests(
    production_url: str, database_url: str, node_test: Path
) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the add-on's tests (it comes with npm)"
    env = {
        **os.environ,
        "SHEETBRAIN_TEST_API_URL": production_url,
        "SHEETBRAIN_TEST_GOOGLE_KEY": google_private_key(),
        "SHEETBRAIN_TEST_GOOGLE_KID": GOOGLE.kid,
        "SHEETBRAIN_TEST_CLIENT_ID": CLIENT_ID,
        "SHEETBRAIN_TEST_MEMBER_EMAIL": synced_member(database_url),
        "SHEETBRAIN_TEST_STRANGER_EMAIL": f"{unique_id('stranger')}@example.com",
    }

    result = subprocess.run(  # noqa: S603 - fixed arguments, our own test files
        [node, "--test", "--test-reporter=spec", str(node_test)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_SECONDS,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
