"""Prometheus metrics the features increment, and who may scrape them.

HTTP requests (count by route template and status, latency histogram) come from
Litestar's Prometheus middleware; everything here is ours. Every series lives in the
process-wide `prometheus_client` registry that `/metrics` exposes. Labels are bounded
sets (rule ids, statuses, token kinds, SQL function names): never an org or user id.
"""

from __future__ import annotations

import hmac

from prometheus_client import Counter, Histogram

from sheetbrain.errors import NotFound, Unauthorized
from sheetbrain.settings import Settings

AUDITS = Counter("sheetbrain_audits", "Audits completed.")
FINDINGS = Counter("sheetbrain_findings", "Findings reported, by rule id.", ["rule"])
AI_CALLS = Counter(
    "sheetbrain_ai_calls", "Calls to the AI reviewer, by outcome (ok, error...).", ["status"]
)
AI_TOKENS = Counter(
    "sheetbrain_ai_tokens", "AI tokens, by kind (input, output, cache_read, cache_write).", ["kind"]
)
RATE_LIMIT_REJECTIONS = Counter(
    "sheetbrain_rate_limit_rejections", "Requests refused by the per-organization rate limit."
)
DB_RPC_SECONDS = Histogram(
    "sheetbrain_db_rpc_seconds", "Duration of one database function call, in seconds.", ["function"]
)


def check_scrape_access(settings: Settings, authorization: str | None) -> None:
    """Allow a scrape, or raise.

    With SHEETBRAIN_METRICS_TOKEN set, the scraper must send it as a bearer token
    (401 otherwise). Unset, metrics are open in local mode and hidden (404) in
    production, so an unconfigured server never exposes them.
    """
    token = settings.metrics_token
    if token is None:
        if settings.mode == "local":
            return
        raise NotFound("Not found.")
    scheme, _, given = (authorization or "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise Unauthorized(
            "Send Authorization: Bearer <SHEETBRAIN_METRICS_TOKEN>.",
            headers={"WWW-Authenticate": 'Bearer realm="sheetbrain-metrics"'},
        )
