"""The KPI cross-check: the pipeline's warehouse tables against the DuckDB reference's, cell by cell.

Both sides are read from the warehouse (schema `gold` for the pipeline, `reference` for DuckDB) and matched on
each table's key. A row only on one side is reported; for rows on both sides every non-key cell is compared:
exactly for integers, booleans, text, dates and times (NULL equals only NULL), and for floating-point columns
within FLOAT_TOLERANCE relative to the reference's value (absolute below 1.0): the two engines sum and divide
in different orders, so the last bits of a mean or a percentile may differ, nothing more."""

from __future__ import annotations

import math
from typing import Any

FLOAT_TOLERANCE = 1e-9
EXAMPLES = 5  # differing cells and one-sided keys quoted per table


def same_float(p: float | None, r: float | None) -> bool:
    if p is None or r is None:
        return p is None and r is None
    if math.isnan(p) or math.isnan(r):
        return math.isnan(p) and math.isnan(r)
    return abs(p - r) <= FLOAT_TOLERANCE * max(1.0, abs(r))


def same_cell(p: Any, r: Any, is_float: bool) -> bool:
    return same_float(p, r) if is_float else (p is None and r is None) or (p == r and type(p) is type(r))


def compare_rows(
    key: tuple[str, ...],
    columns: list[tuple[str, bool]],
    pipeline: list[dict],
    reference: list[dict],
) -> dict:
    """Cell-by-cell comparison of two row sets of one table. `columns` are (name, is_float) of the non-key
    columns; rows are dicts by column name. Returns counts and up to EXAMPLES examples of each kind."""

    def by_key(rows: list[dict], side: str) -> dict[tuple, dict]:
        out: dict[tuple, dict] = {}
        for row in rows:
            k = tuple(row[c] for c in key)
            if k in out:
                raise ValueError(f"the {side} side has two rows with key {dict(zip(key, k, strict=True))}")
            out[k] = row
        return out

    p_rows, r_rows = by_key(pipeline, "pipeline"), by_key(reference, "reference")
    only_p = [k for k in p_rows if k not in r_rows]
    only_r = [k for k in r_rows if k not in p_rows]
    cells: list[dict] = []
    rows_differing = 0
    matched = 0
    for k, p in p_rows.items():
        r = r_rows.get(k)
        if r is None:
            continue
        matched += 1
        row_differs = False
        for name, is_float in columns:
            if not same_cell(p[name], r[name], is_float):
                row_differs = True
                cells.append(
                    {
                        "key": _show(dict(zip(key, k, strict=True))),
                        "column": name,
                        "pipeline": _show(p[name]),
                        "reference": _show(r[name]),
                    }
                )
        rows_differing += row_differs

    def keys(ks: list[tuple]) -> list[dict]:
        return [_show(dict(zip(key, k, strict=True))) for k in sorted(ks, key=str)[:EXAMPLES]]

    return {
        "rows_matched": matched,
        "only_pipeline": len(only_p),
        "only_reference": len(only_r),
        "differing": rows_differing,
        "differing_cells": len(cells),
        "examples": {
            "only_pipeline": keys(only_p),
            "only_reference": keys(only_r),
            "cells": cells[:EXAMPLES],
        },
    }


def _show(value: Any) -> Any:
    """JSON-friendly: dicts of values, numbers and None as they are, anything else as text."""
    if isinstance(value, dict):
        return {k: _show(v) for k, v in value.items()}
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def _fetch(cur, sql: str) -> list[dict]:
    cur.execute(sql)
    names = [c.name for c in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def compare(warehouse_dsn: str, pipeline_schema: str = "gold", reference_schema: str = "reference") -> dict:
    """Every checked table (the reference's CHECKED) of the pipeline against the reference's, cell by cell."""
    import psycopg2

    from benchmarks.duckdb_reference import CHECKED

    out: dict[str, dict] = {}
    conn = psycopg2.connect(warehouse_dsn, connect_timeout=10, options="-c TimeZone=UTC")
    try:
        with conn.cursor() as cur:
            for table in CHECKED:
                columns = [(n, t == "double precision") for n, t in table.columns if n not in table.key]
                out[table.name] = compare_rows(
                    table.key,
                    columns,
                    _fetch(cur, table.pipeline_sql(pipeline_schema)),
                    _fetch(cur, f"SELECT {', '.join(table.names)} FROM {reference_schema}.{table.name}"),
                )
    finally:
        conn.close()
    return out


def agrees(check: dict) -> bool:
    return all(
        t["only_pipeline"] == 0 and t["only_reference"] == 0 and t["differing"] == 0 for t in check.values()
    )
