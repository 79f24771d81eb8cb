"""Pharmacy REST API by `updated_since` cursor: paginated, retried with backoff, honouring Retry-After."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from hdp.catalog import Dataset
from hdp.config import ConfigError, Settings
from hdp.errors import RetryLater
from hdp.extract.window import Window

RETRY_STATUSES = (429, 500, 502, 503, 504)


class PharmacyApiError(RetryLater):
    pass


def session(settings: Settings) -> requests.Session:
    retry = Retry(
        total=settings.http_retries,
        backoff_factor=0.5,
        backoff_max=30,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=("GET",),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    s = requests.Session()
    s.mount("http://", HTTPAdapter(max_retries=retry))
    s.mount("https://", HTTPAdapter(max_retries=retry))
    s.headers["Authorization"] = f"Bearer {settings.pharmacy_token.get_secret_value()}"
    s.headers["Accept"] = "application/json"
    return s


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch(settings: Settings, lake, ds: Dataset, window: Window) -> pd.DataFrame:
    """Changes in [lower, upper), then those stamped in the future (never lost, see `Window`)."""
    settings.require("pharmacy_url", "pharmacy_token")
    url = settings.pharmacy_url.rstrip("/") + ds.source_ref
    changes = {"updated_until": _iso(window.upper), "limit": settings.pharmacy_page_size}
    if window.lower:
        changes["updated_since"] = _iso(window.lower)
    future = {"updated_since": _iso(window.future_from), "limit": settings.pharmacy_page_size}
    with session(settings) as http:
        records = _pages(settings, http, url, ds, changes) + _pages(settings, http, url, ds, future)
    df = pd.DataFrame(records, columns=list(ds.columns))
    df["_source_ref"] = ds.source_ref  # pages differ between runs; the resource does not
    for col in ds.columns:  # bronze keeps values as the source sent them, as text
        df[col] = df[col].map(lambda v: None if v is None else str(v)).astype(object)
    df["_hour"] = df["updated_at"].str.slice(0, 13)
    return df


def _pages(settings: Settings, http: requests.Session, url: str, ds: Dataset, params: dict) -> list[dict]:
    records: list[dict] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        try:
            resp = http.get(url, params=query, timeout=(5, 60))
        except requests.RequestException as exc:
            raise PharmacyApiError(
                f"pharmacy API unreachable at {settings.pharmacy_url}: {type(exc).__name__}"
            ) from None
        if resp.status_code == 401:
            raise ConfigError("pharmacy API refused the token: check HDP_PHARMACY_TOKEN")
        if resp.status_code != 200:
            raise PharmacyApiError(
                f"pharmacy API answered {resp.status_code} for {ds.source_ref} after "
                f"{settings.http_retries} retries: {resp.text[:200]}"
            )
        body = resp.json()
        records += body["data"]
        previous, cursor = cursor, body.get("next_cursor")
        if not cursor:
            break
        if cursor == previous:
            raise PharmacyApiError(f"pharmacy API returned the same next_cursor twice for {ds.source_ref}")
    return records
