"""Surrogate keys for gold: a keyed SHA-256 of the source identifier. Without the secret key the mapping
cannot be rebuilt from an MRN, and the same patient gets the same key in every batch."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

KEY_CHARS = 24


def pseudonym(secret: str, domain: str, identifier: Column) -> Column:
    """Keyed hash of `identifier` within `domain` (patient, admission, ...)."""
    if not secret:
        raise ValueError(
            "HDP_PSEUDONYM_KEY is required to build gold keys (a random string of 16+ characters)"
        )
    material = F.concat_ws("|", F.lit(secret), F.lit(domain), identifier.cast("string"))
    return F.substring(F.sha2(material, 256), 1, KEY_CHARS)


def date_key(moment: Column) -> Column:
    return F.date_format(moment, "yyyyMMdd").cast("int")


def hour_start(moment: Column) -> Column:
    return F.date_trunc("hour", moment)


def hour_ceiling(moment: Column) -> Column:
    """The first top of an hour at or after `moment`."""
    floor = F.date_trunc("hour", moment)
    return F.when(floor == moment, floor).otherwise(floor + F.expr("INTERVAL 1 HOUR"))
