"""Schema-driven fuzzing of every operation the API documents (bounded for CI).

For each operation, generated requests (valid and invalid) are sent over HTTP to the
service in local mode, signed in and anonymous. Whatever is sent: no 5xx, every error
is problem+json with an `error` string, and documented responses match their schema.
Integrations left unconfigured here (Stripe, Clerk webhooks) may answer their documented
503 `...not-configured` problem: a refusal, not a fault.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from litestar import Litestar, get
from schemathesis.specs.openapi.checks import response_schema_conformance

from sheetbrain.api.problems import EXCEPTION_HANDLERS
from sheetbrain.app import create_app
from sheetbrain.settings import REPO_ROOT, Settings
from support.ids import unique_id
from support.live_server import running_server

pytestmark = [pytest.mark.db, pytest.mark.fuzz]

EXAMPLES_PER_OPERATION = 25
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def api_schema(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    settings_ = Settings(
        mode="local",
        data_dir=Path(tmp_path_factory.mktemp("fuzz")),
        supabase_dir=REPO_ROOT / "supabase",
        log_level="error",
        _env_file=None,  # type: ignore[call-arg]
    )
    with running_server(create_app(settings_, conninfo=database_url)) as base_url:
        yield schemathesis.openapi.from_url(f"{base_url}/docs/openapi.json")


@schemathesis.check
def errors_are_problem_details(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/problem+json"), content_type
    body = response.json()
    assert isinstance(body.get("error"), str), body
    assert body.get("status") == response.status_code, body
    return None


@schemathesis.check
def no_server_fault(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """No 5xx, except the documented 503 of an integration this server has not set up."""
    if response.status_code < 500:
        return None
    code = response.json().get("code", "") if response.status_code == 503 else ""
    assert code.endswith("not-configured"), (response.status_code, response.text[:300])
    return None


CHECKS = [no_server_fault, errors_are_problem_details, response_schema_conformance]


def fuzz_every_operation(schema: Any, headers: Callable[[], dict[str, str]]) -> list[str]:
    """Run the checks on generated cases of each operation; return the failures."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ_SETTINGS
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers(), checks=CHECKS)

        try:
            run()
        # schemathesis reports check failures as a FailureGroup (a BaseExceptionGroup).
        except (Exception, BaseExceptionGroup) as failure:
            failures.append(f"{operation.label}: {failure}")
    return failures


def test_a_signed_in_member_never_meets_a_server_error(api_schema: Any) -> None:
    def member() -> dict[str, str]:
        return {"x-user-id": unique_id("fuzz_user"), "x-user-org": unique_id("fuzz_org")}

    assert fuzz_every_operation(api_schema, member) == []


def test_an_anonymous_caller_never_meets_a_server_error(api_schema: Any) -> None:
    assert fuzz_every_operation(api_schema, dict) == []


def test_the_harness_reports_an_operation_that_fails() -> None:
    @get("/broken", sync_to_thread=False)
    def broken() -> dict[str, str]:
        raise RuntimeError("boom")

    app = Litestar([broken], exception_handlers=EXCEPTION_HANDLERS)
    with running_server(app) as base_url:
        schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")

        failures = fuzz_every_operation(schema, dict)

    assert [failure.split(":")[0] for failure in failures] == ["GET /broken"]
