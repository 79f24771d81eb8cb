"""The KPI report page: charts drawn from the query rows (coordinates checked by hand), escaping, and the
grouping of many series; no I/O (hdp.report.render is pure)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from html.parser import HTMLParser

from hdp import report
from hdp.report import HEIGHT, PAD, WIDTH, Chart


class _Svgs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svgs: list[dict] = []
        self.texts: list[tuple[str, str]] = []
        self._cls = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svgs.append({"chart": a["data-chart"], "lines": {}, "dots": {}})
        elif tag == "polyline":
            pts = [tuple(map(float, p.split(","))) for p in a["points"].split()]
            self.svgs[-1]["lines"][a["data-series"]] = pts
        elif tag == "circle":
            self.svgs[-1]["dots"][a["data-series"]] = (float(a["cx"]), float(a["cy"]))
        self._cls = a.get("class")

    def handle_data(self, data):
        if self._cls and data.strip():
            self.texts.append((self._cls, data.strip()))


def _parse(page: str) -> _Svgs:
    p = _Svgs()
    p.feed(page)
    return p


NOW = datetime(2026, 11, 27, 6, tzinfo=timezone.utc)


def test_points_are_where_the_values_put_them():
    rows = [
        (date(2026, 11, 25), "hospital", 0),
        (date(2026, 11, 26), "hospital", 5),
        (date(2026, 11, 27), "hospital", 10),
    ]
    page = report.render([Chart("census", "Census", "patients", rows)], NOW)
    [svg] = _parse(page).svgs
    line = svg["lines"]["hospital"]
    right, bottom = WIDTH - PAD, HEIGHT - PAD
    assert line == [(PAD, bottom), ((PAD + right) / 2, (PAD + bottom) / 2), (right, PAD)]
    texts = dict(_parse(page).texts)
    assert texts["ymax"] == "10" and texts["ymin"] == "0"
    assert texts["xmin"] == "2026-11-25" and texts["xmax"] == "2026-11-27"


def test_every_kpi_has_a_chart_and_empty_ones_say_so():
    charts = [
        Chart(k, t, u, [(NOW, "a", 1.0), (NOW.replace(hour=7), "a", 2.0)]) for k, t, u, _ in report.CHARTS
    ]
    charts[-1] = Chart(charts[-1].key, charts[-1].title, "x", [])
    page = report.render(charts, NOW)
    assert [s["chart"] for s in _parse(page).svgs] == [k for k, *_ in report.CHARTS][:-1]
    assert "No data in the warehouse for" in page
    assert {"occupancy", "census", "alos", "readmissions", "lab_turnaround", "stock_risk", "news2"} == {
        k for k, *_ in report.CHARTS
    }


def test_single_points_nulls_and_escaping():
    rows = [(NOW, "<ICU>", 3.0), (NOW, "MED", None), (None, "MED", 1.0)]
    page = report.render([Chart("x", "A & B", "%", rows)], NOW)
    [svg] = _parse(page).svgs
    assert svg["dots"] == {"<ICU>": (PAD, HEIGHT - PAD - (HEIGHT - 2 * PAD))} and svg["lines"] == {}
    assert "&lt;ICU&gt;" in page and "<ICU>" not in page and "A &amp; B" in page


def test_many_series_keep_the_largest_and_sum_the_rest():
    rows = [(date(2026, 11, d), f"W{w}", float(w * 10 + d)) for w in range(10) for d in (1, 2)]
    series = report.series_of(rows)
    assert list(series)[:7] == [f"W{w}" for w in range(9, 2, -1)]
    assert dict(series["other"]) == {
        date(2026, 11, d): float(sum(w * 10 + d for w in range(3))) for d in (1, 2)
    }


def test_the_page_is_self_contained():
    page = report.render([Chart("c", "C", "u", [(NOW, "a", 1.0), (NOW.replace(hour=8), "a", 4.0)])], NOW)
    lowered = page.lower()
    assert "<script" not in lowered and "http://" not in lowered.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in lowered and "<link" not in lowered
