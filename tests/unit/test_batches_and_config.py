from datetime import datetime, timezone

import pytest

from hdp.batches import BatchRange, batch_id, parse_batch
from hdp.config import ConfigError, Settings, redact_dsn


def test_batch_ids_round_trip_and_ranges():
    assert parse_batch("2026-11-27T02") == datetime(2026, 11, 27, 2, tzinfo=timezone.utc)
    assert batch_id(datetime(2026, 11, 27, 2, 59, 59, tzinfo=timezone.utc)) == "2026-11-27T02"
    r = BatchRange("2026-11-26T22", "2026-11-27T01")
    assert list(r) == ["2026-11-26T22", "2026-11-26T23", "2026-11-27T00", "2026-11-27T01"]
    assert len(r) == 4 and r.end == datetime(2026, 11, 27, 2, tzinfo=timezone.utc)


@pytest.mark.parametrize("bad", ["2026-11-27", "2026-11-27 02", "27/11/2026T02", ""])
def test_bad_batch_ids_say_the_expected_form(bad):
    with pytest.raises(ValueError, match="YYYY-MM-DDTHH"):
        parse_batch(bad)


def test_backwards_range_is_refused():
    with pytest.raises(ValueError, match="backwards"):
        BatchRange("2026-11-27T02", "2026-11-27T01")


def test_settings_from_env_with_clear_errors():
    s = Settings.from_env(
        {
            "HDP_LAKE_ROOT": "s3a://lake",
            "HDP_LAKE_BRONZE": "s3a://acme-bronze",
            "HDP_SPARK_SHUFFLE_PARTITIONS": "8",
        }
    )
    assert s.layer("bronze") == "s3a://acme-bronze" and s.layer("gold") == "s3a://lake/gold"
    assert s.spark_shuffle_partitions == 8
    with pytest.raises(ConfigError, match="whole number"):
        Settings.from_env({"HDP_SPARK_SHUFFLE_PARTITIONS": "many"})
    with pytest.raises(ConfigError, match="postgres, redshift"):
        Settings.from_env({"HDP_WAREHOUSE_DIALECT": "oracle"})
    with pytest.raises(ConfigError, match="file:// or s3a://"):
        Settings.from_env({"HDP_LAKE_ROOT": "/tmp/lake"})
    with pytest.raises(ConfigError, match="HDP_SOURCE_DSN"):
        Settings().require("source_dsn")


def test_secrets_never_show():
    s = Settings.from_env(
        {
            "HDP_SOURCE_DSN": "postgresql://app:hunter2@db/ehr",
            "HDP_PHARMACY_TOKEN": "tok-123",
            "HDP_PSEUDONYM_KEY": "k" * 20,
        }
    )
    shown = " ".join(str(v) for row in s.describe() for v in row) + repr(s)
    assert "hunter2" not in shown and "tok-123" not in shown and "k" * 20 not in shown
    assert redact_dsn("postgresql://app:hunter2@db/ehr") == "postgresql://app:***@db/ehr"
