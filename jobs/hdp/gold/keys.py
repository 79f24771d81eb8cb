"""Surrogate keys for gold: HMAC-SHA256 of a source identifier under the secret HDP_PSEUDONYM_KEY, within a
domain (patient, admission, ...). The same patient gets the same key in every batch; without the key the
mapping cannot be rebuilt, not even by hashing every possible MRN.

The key never enters a query plan: Spark's built-in functions would need it as a literal, which `explain()`,
the Spark UI's SQL tab and the event log all print. The HMAC runs instead in a vectorised (Arrow) Python UDF
that takes the key from a broadcast variable: the plan shows `hmac_patient(mrn)`, and the key travels to the
executors as broadcast data (encrypt it on the wire and on disk with spark.network.crypto.enabled and
spark.io.encryption.enabled on a cluster). A missing identifier has no key (NULL), so rows without one never
share a key."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from hdp.config import reveal

KEY_CHARS = 24  # 96 bits of the HMAC: no collision among billions of identifiers
_SEPARATOR = b"\x00"  # between domain and identifier: no (domain, id) pair encodes like another


def key_bytes(secret: object) -> bytes:
    value = reveal(secret)
    if not value:
        raise ValueError(
            "HDP_PSEUDONYM_KEY is required to build gold keys (a random string of 16+ characters)"
        )
    return value.encode("utf-8")


def hmac_key(key: bytes, domain: str, identifier: object) -> str | None:
    """The pseudonym of one identifier (what the Spark column computes, row by row)."""
    if identifier is None or (isinstance(identifier, float) and identifier != identifier):
        return None
    text = str(identifier).strip()
    if not text:
        return None
    mac = hmac.new(key, domain.encode("utf-8") + _SEPARATOR + text.encode("utf-8"), hashlib.sha256)
    return mac.hexdigest()[:KEY_CHARS]


def pseudonym(secret: object, domain: str, identifier: Column) -> Column:
    """Keyed hash of `identifier` within `domain` (patient, admission, ...): NULL for a missing identifier."""
    return _udf(_broadcast(key_bytes(secret)), domain)(identifier.cast("string"))


_broadcasts: dict[tuple[int, str], tuple[object, object]] = {}  # (context id, key digest) -> (context, bc)
_udfs: dict[tuple[int, str], tuple[object, object]] = {}  # (broadcast id, domain) -> (broadcast, udf)


def _broadcast(key: bytes):
    """One broadcast of the key per Spark context (the key itself is no dictionary key here)."""
    from pyspark import SparkContext

    sc = SparkContext._active_spark_context
    if sc is None:
        raise RuntimeError("gold keys need an active Spark session")
    ident = (id(sc), hashlib.sha256(b"hdp-pseudonym-cache" + key).hexdigest())
    found = _broadcasts.get(ident)
    if found is None or found[0] is not sc:
        found = (sc, sc.broadcast(key))
        _broadcasts[ident] = found
    return found[1]


def _udf(bc, domain: str):
    cached = _udfs.get((id(bc), domain))
    if cached is not None and cached[0] is bc:
        return cached[1]
    prefix = domain.encode("utf-8") + _SEPARATOR
    width = KEY_CHARS

    def keys(ids: pd.Series) -> pd.Series:
        base = hmac.new(bc.value, prefix, hashlib.sha256)
        out = []
        for value in ids:
            text = value.strip() if isinstance(value, str) else ""
            if not text:
                out.append(None)
                continue
            mac = base.copy()
            mac.update(text.encode("utf-8"))
            out.append(mac.hexdigest()[:width])
        return pd.Series(out, dtype=object)

    keys.__name__ = keys.__qualname__ = f"hmac_{domain}"
    udf = F.pandas_udf(keys, T.StringType())
    _udfs[(id(bc), domain)] = (bc, udf)
    return udf


def date_key(moment: Column) -> Column:
    return F.date_format(moment, "yyyyMMdd").cast("int")


def hour_start(moment: Column) -> Column:
    return F.date_trunc("hour", moment)


def hour_ceiling(moment: Column) -> Column:
    """The first top of an hour at or after `moment`."""
    floor = F.date_trunc("hour", moment)
    return F.when(floor == moment, floor).otherwise(floor + F.expr("INTERVAL 1 HOUR"))
