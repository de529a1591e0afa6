"""What the admin dashboard shows, and to whom.

Org admins only. In local mode a request that names nobody (no bearer token, no
`x-user-id`) is the demo admin of `org_demo`: local mode already trusts any
identity header from a loopback caller, so this grants nothing new and lets a browser
open the page without a header extension.
"""

from __future__ import annotations

from dataclasses import dataclass

from sheetbrain.errors import Forbidden
from sheetbrain.identity import Identity
from sheetbrain.store import stats as store
from sheetbrain.store.gateway import Gateway

USAGE_MONTHS = 12
RECENT_AUDITS = 10

CHART_WIDTH, CHART_HEIGHT = 720, 200
_AXIS_HEIGHT = 20  # room under the bars for month labels
_LABEL_HEIGHT = 16  # room above the tallest bar for its count


@dataclass(frozen=True)
class Bar:
    month: str
    audits: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class UsageChart:
    width: int
    height: int
    baseline: float
    peak: int
    bars: list[Bar]


def require_admin(identity: Identity) -> None:
    if not identity.is_admin:
        raise Forbidden("The admin dashboard is for organization admins.")


async def load_dashboard(gateway: Gateway, identity: Identity) -> store.Dashboard:
    require_admin(identity)
    return await store.dashboard(gateway, identity, USAGE_MONTHS, RECENT_AUDITS)


def usage_chart(usage: list[store.MonthUsage]) -> UsageChart:
    """Bar geometry for an inline SVG: one bar per month, scaled to the busiest month."""
    baseline = float(CHART_HEIGHT - _AXIS_HEIGHT)
    peak = max((month.audits for month in usage), default=0)
    slot = CHART_WIDTH / max(len(usage), 1)
    bars = []
    for index, month in enumerate(usage):
        height = (baseline - _LABEL_HEIGHT) * month.audits / peak if peak else 0.0
        bars.append(
            Bar(
                month=month.month,
                audits=month.audits,
                x=index * slot + slot * 0.15,
                y=baseline - height,
                width=slot * 0.7,
                height=height,
            )
        )
    return UsageChart(CHART_WIDTH, CHART_HEIGHT, baseline, peak, bars)
