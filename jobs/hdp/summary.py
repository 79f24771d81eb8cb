"""The end-of-run tables: rows in/out/quarantined per dataset, stage durations, and the KPIs."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from hdp.pipeline import STAGES, RunReport
from hdp.progress import Progress


def reconciliation_table(reports: list[RunReport]) -> Table:
    table = Table(
        title="Rows per dataset (silver: in + retried = out + rejected + parked + duplicate, each counted)"
    )
    columns = {
        "rows_in": "silver in",
        "rows_retried": "retried",
        "rows_out": "out",
        "rows_quarantined": "rejected",
        "rows_parked": "parked",
        "rows_duplicate": "duplicate",
    }
    for col in ("dataset", "extracted", *columns.values(), "held by reason"):
        table.add_column(col, justify="left" if col in ("dataset", "held by reason") else "right")
    totals: dict[str, dict] = {}
    for report in reports:
        for name, info in report.stages.get("extract", {}).items():
            totals.setdefault(name, {}).setdefault("extracted", 0)
            totals[name]["extracted"] += info["rows"]
        for name, info in report.stages.get("silver", {}).items():
            t = totals.setdefault(name, {})
            for key in columns:
                t[key] = t.get(key, 0) + info[key]
            for reason, n in info["quarantine_reasons"].items():
                t.setdefault("reasons", {})[reason] = t.get("reasons", {}).get(reason, 0) + n
    for name, t in totals.items():
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(t.get("reasons", {}).items()))
        table.add_row(name, str(t.get("extracted", "")), *(str(t.get(k, "")) for k in columns), reasons)
    return table


def durations_table(progress: Progress) -> Table:
    table = Table(title="Stage durations")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    by_stage: dict[str, float] = {}
    for step in progress.steps:
        stage = step.name.split(" ", 1)[0]
        stage = stage if stage in STAGES else "setup"
        by_stage[stage] = by_stage.get(stage, 0.0) + step.seconds
    for stage, seconds in by_stage.items():
        table.add_row(stage, f"{seconds:.1f}")
    table.add_row("total", f"{sum(by_stage.values()):.1f}")
    return table


KPI_QUERIES = {
    "Ward occupancy at the latest hour": """
        SELECT o.ward_key AS ward, w.ward_type AS type, o.hour_start AS hour, o.occupied_beds AS occupied,
               o.bed_count AS beds, round(o.occupancy_rate::numeric * 100, 1) AS "occupancy %"
        FROM {s}.kpi_ward_occupancy_hourly o JOIN {s}.dim_ward w USING (ward_key)
        WHERE o.hour_start = (SELECT max(hour_start) FROM {s}.kpi_ward_occupancy_hourly) ORDER BY o.ward_key""",
    "Daily census, admissions, discharges and ALOS (hospital, last 7 days)": """
        SELECT day, sum(midnight_census) AS midnight_census, sum(admissions) AS admissions,
               sum(discharges) AS discharges,
               round((sum(alos_days * discharges) / nullif(sum(discharges), 0))::numeric, 2) AS alos_days
        FROM {s}.kpi_ward_census_daily GROUP BY day ORDER BY day DESC LIMIT 7""",
    "NEWS2 by ward (last full day)": """
        SELECT ward_key AS ward, observations, incomplete_sets AS incomplete,
               round(mean_news2::numeric, 2) AS mean_news2,
               medium_risk AS "medium (5-6)", high_risk AS "high (>=7)", any_parameter_three AS "any param 3"
        FROM {s}.kpi_news2_daily
        WHERE day = (SELECT max(day) - 1 FROM {s}.kpi_news2_daily) ORDER BY mean_news2 DESC""",
    "Lab turnaround (last full day)": """
        SELECT t.loinc_code, t.results, round(t.median_minutes::numeric, 1) AS median_min,
               round(t.p90_minutes::numeric, 1) AS p90_min, round(t.share_over_target::numeric * 100, 1) AS "% > 120 min"
        FROM {s}.kpi_lab_turnaround_daily t
        WHERE t.day = (SELECT max(day) - 1 FROM {s}.kpi_lab_turnaround_daily) ORDER BY t.loinc_code""",
    "Drugs below reorder level (latest day)": """
        SELECT p.drug_key AS drug, d.drug_name AS name, p.closing_on_hand AS on_hand, p.reorder_level,
               round(p.days_of_supply::numeric, 1) AS days_of_supply
        FROM {s}.kpi_pharmacy_stock_daily p JOIN {s}.dim_drug d USING (drug_key)
        WHERE p.day = (SELECT max(day) FROM {s}.kpi_pharmacy_stock_daily) AND p.below_reorder
        ORDER BY p.days_of_supply NULLS LAST LIMIT 10""",
    "30-day readmissions by month of discharge": """
        SELECT month, discharges, readmissions, round(readmission_rate::numeric * 100, 1) AS "rate %",
               follow_up_complete FROM {s}.kpi_readmission_monthly ORDER BY month""",
}


def print_kpis(console: Console, warehouse_dsn: str, schema: str) -> None:
    import psycopg2

    with psycopg2.connect(warehouse_dsn) as conn, conn.cursor() as cur:
        for title, sql in KPI_QUERIES.items():
            cur.execute(sql.format(s=schema))
            table = Table(title=title)
            for col in cur.description:
                table.add_column(col.name)
            for row in cur.fetchall():
                table.add_row(*["" if v is None else str(v) for v in row])
            console.print(table)
    conn.close()
