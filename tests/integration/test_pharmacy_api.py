"""The pharmacy API over real HTTP: auth, keyset pagination, filters, and a client that survives 429/5xx."""

import time
from datetime import datetime, timezone

import pandas as pd
import pytest
import requests

from hdp.batches import BatchRange, batch_id
from hdp.catalog import dataset
from hdp.config import ConfigError, Settings
from hdp.extract import pharmacy
from hdp.extract.window import Window
from hdp.sources.pharmacy_api import Faults, serve_in_thread

pytestmark = pytest.mark.integration
TOKEN = "integration-token"


@pytest.fixture(scope="module")
def api(source_db):
    servers = []

    def start(faults=None):
        server, url = serve_in_thread(source_db[0], TOKEN, faults)
        servers.append(server)
        return url

    yield start
    for s in servers:
        s.shutdown()


def test_requests_without_the_token_are_refused(api):
    url = api()
    assert requests.get(url + "/v1/drugs", timeout=5).status_code == 401
    bad = requests.get(url + "/v1/drugs", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert bad.status_code == 401 and "token" in bad.json()["error"]
    assert requests.get(url + "/health", timeout=5).json() == {"status": "ok"}


def test_pages_cover_every_row_exactly_once_in_order(api, source_db):
    url = api()
    _, scenario = source_db
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 97, **({"cursor": cursor} if cursor else {})}
        body = requests.get(
            url + "/v1/stock-levels", params=params, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        ).json()
        seen += [r["entry_id"] for r in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    expected = scenario.tables["stock_levels"].sort_values(["updated_at", "entry_id"])["entry_id"].tolist()
    assert seen == expected and pages == len(expected) // 97 + 1


def test_client_retries_throttling_and_errors_honouring_retry_after(api, source_db):
    flaky = api(Faults(throttle_rate=0.3, error_rate=0.2, retry_after_seconds=1, seed=1))
    _, scenario = source_db
    settings = Settings(pharmacy_url=flaky, pharmacy_token=TOKEN, pharmacy_page_size=500, http_retries=12)
    last = scenario.tables["stock_levels"]["updated_at"].max()
    batches = BatchRange(batch_id(last - pd.Timedelta(hours=23)), batch_id(last))
    lower = batches.start
    started = time.monotonic()
    df = pharmacy.fetch(
        settings, None, dataset("stock_levels"), Window(lower, batches, datetime.now(timezone.utc))
    )
    elapsed = time.monotonic() - started
    stock = scenario.tables["stock_levels"]
    expected = stock[(stock["updated_at"] >= lower) & (stock["updated_at"] < batches.end)]
    assert sorted(df["entry_id"].astype(int)) == sorted(expected["entry_id"])
    assert elapsed >= 1.0  # at least one Retry-After: 1 was waited out (seeded faults hit the first request)
    assert df["_hour"].between(batches.first, batches.last).all()


def test_a_wrong_token_is_a_clear_error_not_a_retry_storm(api):
    settings = Settings(pharmacy_url=api(), pharmacy_token="wrong")
    with pytest.raises(ConfigError, match="HDP_PHARMACY_TOKEN"):
        pharmacy.fetch(
            settings,
            None,
            dataset("drugs"),
            Window(None, BatchRange.single("2026-11-02T10"), datetime.now(timezone.utc)),
        )
