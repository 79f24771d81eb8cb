"""The simulated pharmacy REST API: drug master and stock levels as JSON, keyset-paginated, bearer-token
auth, `updated_since`/`updated_until` filters, and misbehaviour on demand (429 + Retry-After, 5xx, slow
responses). It reads the `pharmacy` schema of the simulated hospital's PostgreSQL."""

from __future__ import annotations

import base64
import hmac
import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import psycopg2

log = logging.getLogger(__name__)
MAX_PAGE = 1000
RESOURCES = {
    # path -> (table, key column, columns)
    "/v1/drugs": ("pharmacy.drugs", "drug_code", ("drug_code", "name", "form", "strength", "reorder_level")),
    "/v1/stock-levels": (
        "pharmacy.stock_levels",
        "entry_id",
        ("entry_id", "drug_code", "on_hand", "recorded_at"),
    ),
}


@dataclass
class Faults:
    """Share of requests answered with 429 (Retry-After), with 503, or slowly."""

    throttle_rate: float = 0.0
    error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 1.5
    retry_after_seconds: int = 1
    seed: int = 7


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _encode_cursor(updated_at: datetime, key: object) -> str:
    return base64.urlsafe_b64encode(json.dumps([updated_at.isoformat(), key]).encode()).decode()


def _decode_cursor(token: str) -> tuple[datetime, object]:
    updated_at, key = json.loads(base64.urlsafe_b64decode(token.encode()))
    return _parse_time(updated_at), key


def make_handler(dsn: str, token: str, faults: Faults):
    rng = random.Random(faults.seed)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        server_version = "pharmacy-sim/1"

        def log_message(self, fmt, *args):  # quiet by default; never logs headers (the token)
            log.debug("%s %s", self.address_string(), fmt % args)

        def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
            payload = json.dumps(body, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            if url.path == "/health":
                return self._send(200, {"status": "ok"})
            supplied = self.headers.get("Authorization", "")
            if not hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
                return self._send(401, {"error": "missing or invalid bearer token"})
            if url.path not in RESOURCES:
                return self._send(404, {"error": f"no resource {url.path}", "resources": sorted(RESOURCES)})
            with lock:
                roll = rng.random()
            if roll < faults.throttle_rate:
                return self._send(
                    429, {"error": "rate limited"}, {"Retry-After": str(faults.retry_after_seconds)}
                )
            if roll < faults.throttle_rate + faults.error_rate:
                return self._send(503, {"error": "upstream unavailable"})
            if roll < faults.throttle_rate + faults.error_rate + faults.slow_rate:
                time.sleep(faults.slow_seconds)
            try:
                body = self._page(url.path, parse_qs(url.query))
            except (ValueError, KeyError, json.JSONDecodeError) as exc:
                return self._send(400, {"error": f"bad query: {exc}"})
            return self._send(200, body)

        def _page(self, path: str, query: dict) -> dict:
            table, key, columns = RESOURCES[path]
            limit = min(int(query.get("limit", ["100"])[0]), MAX_PAGE)
            where, params = [], []
            if "updated_since" in query:
                where.append("updated_at >= %s")
                params.append(_parse_time(query["updated_since"][0]))
            if "updated_until" in query:
                where.append("updated_at < %s")
                params.append(_parse_time(query["updated_until"][0]))
            if "cursor" in query:
                after_time, after_key = _decode_cursor(query["cursor"][0])
                where.append(f"(updated_at, {key}) > (%s, %s)")
                params += [after_time, after_key]
            sql = (
                f"SELECT {', '.join(columns)}, updated_at FROM {table}"
                f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY updated_at, {key} LIMIT %s"
            )
            with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
                cur.execute(sql, [*params, limit + 1])
                rows = cur.fetchall()
            conn.close()
            names = [*columns, "updated_at"]
            records = [dict(zip(names, r, strict=True)) for r in rows[:limit]]
            for r in records:
                for k, v in r.items():
                    if isinstance(v, datetime):
                        r[k] = v.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
            nxt = (
                _encode_cursor(rows[limit - 1][-1], rows[limit - 1][columns.index(key)])
                if len(rows) > limit
                else None
            )
            return {"data": records, "next_cursor": nxt}

    return Handler


def serve(
    dsn: str,
    token: str,
    host: str = "127.0.0.1",
    port: int = 8085,
    faults: Faults | None = None,
) -> ThreadingHTTPServer:
    """Create the server (call `serve_forever()` on it, or run it in a thread)."""
    if not token:
        raise ValueError("the pharmacy API needs a token: set HDP_PHARMACY_TOKEN")
    server = ThreadingHTTPServer((host, port), make_handler(dsn, token, faults or Faults()))
    server.daemon_threads = True
    return server


def serve_in_thread(dsn: str, token: str, faults: Faults | None = None) -> tuple[ThreadingHTTPServer, str]:
    server = serve(dsn, token, port=0, faults=faults)
    threading.Thread(target=server.serve_forever, daemon=True, name="pharmacy-api").start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}"
