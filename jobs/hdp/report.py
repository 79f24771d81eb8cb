"""`hdp report`: the hospital's KPIs as one self-contained HTML page (inline SVG charts, no script, no
external file), read from the warehouse's gold schema. Open it in any browser, attach it to an e-mail.

Reading (`fetch`) and drawing (`render`) are separate: `render` is a pure function of the query results,
so it is tested on hand-made series."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

# One chart per KPI. Each query returns (x, series, y) rows: x a date or time, series a label.
CHARTS: tuple[tuple[str, str, str, str], ...] = (
    (
        "occupancy",
        "Ward occupancy (hourly, %)",
        "%",
        """SELECT hour_start, ward_key, 100.0 * occupancy_rate FROM {s}.kpi_ward_occupancy_hourly
           WHERE hour_start >= (SELECT max(hour_start) FROM {s}.kpi_ward_occupancy_hourly) - interval '7 days'
           ORDER BY 1, 2""",
    ),
    (
        "census",
        "Midnight census (patients, whole hospital)",
        "patients",
        "SELECT day, 'hospital', sum(midnight_census) FROM {s}.kpi_ward_census_daily GROUP BY 1 ORDER BY 1",
    ),
    (
        "alos",
        "Average length of stay of the day's discharges (days)",
        "days",
        """SELECT day, 'hospital', sum(alos_days * discharges) / nullif(sum(discharges), 0)
           FROM {s}.kpi_ward_census_daily GROUP BY 1 HAVING sum(discharges) > 0 ORDER BY 1""",
    ),
    (
        "readmissions",
        "30-day readmission rate by month of discharge (%)",
        "%",
        "SELECT month, 'hospital', 100.0 * readmission_rate FROM {s}.kpi_readmission_monthly ORDER BY 1",
    ),
    (
        "lab_turnaround",
        "Lab turnaround, 90th percentile (minutes, by LOINC code)",
        "min",
        "SELECT day, loinc_code, p90_minutes FROM {s}.kpi_lab_turnaround_daily ORDER BY 1, 2",
    ),
    (
        "stock_risk",
        "Pharmacy stock risk: drugs below their reorder level",
        "drugs",
        """SELECT day, 'below reorder level', sum(CASE WHEN below_reorder THEN 1 ELSE 0 END)
           FROM {s}.kpi_pharmacy_stock_daily GROUP BY 1 ORDER BY 1""",
    ),
    (
        "news2",
        "NEWS2 high-risk observations (score >= 7, by ward)",
        "observations",
        "SELECT day, ward_key, high_risk FROM {s}.kpi_news2_daily ORDER BY 1, 2",
    ),
)
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
WIDTH, HEIGHT, PAD = 760, 260, 48
MAX_SERIES = (
    8  # more lines than this are unreadable: the largest series are drawn, the rest summed as "other"
)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    unit: str
    rows: list[tuple]  # (x, series, y)


def fetch(settings) -> list[Chart]:
    """Run each chart's query against the warehouse (HDP_WAREHOUSE_DSN, schema HDP_WAREHOUSE_SCHEMA)."""
    import psycopg2

    charts = []
    conn = psycopg2.connect(settings.warehouse_dsn, connect_timeout=10, options="-c TimeZone=UTC")
    try:
        with conn, conn.cursor() as cur:
            for key, title, unit, sql in CHARTS:
                cur.execute(sql.format(s=settings.warehouse_schema))
                charts.append(Chart(key, title, unit, [tuple(r) for r in cur.fetchall()]))
    finally:
        conn.close()
    return charts


def write_report(settings, path: Path) -> None:
    path.write_text(render(fetch(settings), datetime.now(timezone.utc)), encoding="utf-8")


def _x(value) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc).timestamp()
    return float(value)


def _label(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def series_of(rows: list[tuple]) -> dict[str, list[tuple]]:
    """Rows (x, series, y) as {series: [(x, y), ...]} in x order, nulls dropped; at most MAX_SERIES lines."""
    out: dict[str, dict] = {}
    for x, name, y in rows:
        if x is None or y is None:
            continue
        out.setdefault(str(name), {})[x] = float(y)
    if len(out) > MAX_SERIES:
        ranked = sorted(out, key=lambda n: -sum(out[n].values()))
        kept, rest = ranked[: MAX_SERIES - 1], ranked[MAX_SERIES - 1 :]
        other: dict = {}
        for n in rest:
            for x, y in out[n].items():
                other[x] = other.get(x, 0.0) + y
        out = {**{n: out[n] for n in kept}, "other": other}
    return {n: sorted(points.items(), key=lambda p: _x(p[0])) for n, points in out.items()}


def svg_chart(chart: Chart) -> str:
    """A line chart as inline SVG: one polyline per series, axes with the min/max labels, a legend."""
    series = series_of(chart.rows)
    if not series:
        return f'<p class="empty">No data in the warehouse for {html.escape(chart.title)} yet.</p>'
    xs = [_x(x) for pts in series.values() for x, _ in pts]
    ys = [y for pts in series.values() for _, y in pts]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(0.0, min(ys)), max(ys)
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def px(x, y) -> str:
        return f"{PAD + (_x(x) - x0) / (x1 - x0) * plot_w:.1f},{HEIGHT - PAD - (y - y0) / (y1 - y0) * plot_h:.1f}"

    first = min((x for pts in series.values() for x, _ in pts), key=_x)
    last = max((x for pts in series.values() for x, _ in pts), key=_x)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{chart.key}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{html.escape(chart.title)}">',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#444"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#444"/>',
        f'<text x="{PAD - 4}" y="{PAD + 4}" text-anchor="end" class="ymax">{y1:.4g}</text>',
        f'<text x="{PAD - 4}" y="{HEIGHT - PAD}" text-anchor="end" class="ymin">{y0:.4g}</text>',
        f'<text x="{PAD}" y="{HEIGHT - PAD + 16}" class="xmin">{_label(first)}</text>',
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - PAD + 16}" text-anchor="end" class="xmax">{_label(last)}</text>',
        f'<text x="{PAD}" y="{PAD - 10}" class="unit">{html.escape(chart.unit)}</text>',
    ]
    for i, (name, pts) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        points = " ".join(px(x, y) for x, y in pts)
        if len(pts) == 1:
            cx, cy = points.split(",")
            parts.append(
                f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}" data-series="{html.escape(name)}"/>'
            )
        else:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}" '
                f'data-series="{html.escape(name)}"/>'
            )
        parts.append(
            f'<text x="{WIDTH - PAD + 4}" y="{PAD + 14 * i}" style="fill:{colour}" class="legend">'
            f"{html.escape(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 900px; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
svg.chart { background: #fafafa; border: 1px solid #ddd; overflow: visible; }
svg text { font-size: 11px; fill: #333; } .legend { font-size: 10px; }
.empty { color: #a00; } footer { margin-top: 2rem; font-size: 0.8rem; color: #666; }
"""


def render(charts: list[Chart], generated_at: datetime) -> str:
    """The whole page. Everything is inline; only de-identified gold aggregates are shown."""
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Hospital KPI report</title>',
        f"<style>{STYLE}</style></head><body>",
        "<h1>Hospital KPI report</h1>",
        f"<p>From the warehouse's gold KPI tables, generated {generated_at:%Y-%m-%d %H:%M} UTC. "
        "All times UTC. Definitions: README, section Data model.</p>",
    ]
    for chart in charts:
        body += [
            f'<section id="{chart.key}"><h2>{html.escape(chart.title)}</h2>',
            svg_chart(chart),
            "</section>",
        ]
    body += ["<footer>hdp report · de-identified aggregates only</footer></body></html>"]
    return "\n".join(body)
