"""The dashboard's usage chart: bar geometry for the inline SVG."""

from __future__ import annotations

from sheetbrain.stats.dashboard import CHART_HEIGHT, CHART_WIDTH, usage_chart
from sheetbrain.store.stats import MonthUsage


def months(*counts: int) -> list[MonthUsage]:
    return [MonthUsage(month=f"2026-{index + 1:02d}", audits=n) for index, n in enumerate(counts)]


def test_the_busiest_month_reaches_the_top_leaving_room_for_its_label() -> None:
    chart = usage_chart(months(5, 10))

    assert [bar.height for bar in chart.bars] == [82.0, 164.0]
    assert [bar.y for bar in chart.bars] == [98.0, 16.0]
    assert chart.baseline == CHART_HEIGHT - 20


def test_bars_share_the_width_evenly() -> None:
    chart = usage_chart(months(1, 1, 1, 1))

    assert [bar.x for bar in chart.bars] == [27.0, 207.0, 387.0, 567.0]
    assert {bar.width for bar in chart.bars} == {CHART_WIDTH / 4 * 0.7}


def test_a_year_without_audits_draws_flat_bars() -> None:
    chart = usage_chart(months(0, 0, 0))

    assert (chart.peak, {bar.height for bar in chart.bars}) == (0, {0.0})
