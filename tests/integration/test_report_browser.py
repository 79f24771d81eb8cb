"""The KPI report renders in a real browser (headless chromium): each chart's lines are drawn, in the
colours the page gives them, and a page without data draws none."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hdp import report
from hdp.report import PALETTE, Chart
from tests.browser import pixels_of, screenshot

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 20, tzinfo=timezone.utc)


def _charts(with_data: bool) -> list[Chart]:
    rows = [(T0 + timedelta(hours=h), s, (h * (i + 1)) % 17) for h in range(48) for i, s in enumerate("AB")]
    return [Chart(key, title, unit, rows if with_data else []) for key, title, unit, _ in report.CHARTS]


def test_the_report_draws_its_charts_in_a_browser(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(report.render(_charts(True), T0))
    png = screenshot(page, tmp_path / "report.png")
    first, second = (pixels_of(png, c, tolerance=30) for c in PALETTE[:2])
    # seven charts, two series each: each line is hundreds of pixels long
    assert first > 7 * 300 and second > 7 * 300, (first, second)


def test_an_empty_warehouse_draws_no_line(tmp_path):
    page = tmp_path / "empty.html"
    page.write_text(report.render(_charts(False), T0))
    png = screenshot(page, tmp_path / "empty.png")
    assert pixels_of(png, PALETTE[0], tolerance=30) == 0
