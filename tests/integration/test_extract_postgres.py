"""EHR extraction with COPY: watermark windows, initial snapshot, text as the source sent it."""

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from hdp.batches import BatchRange, batch_id
from hdp.catalog import dataset
from hdp.config import Settings
from hdp.extract import ExtractGap, ehr, plan
from hdp.extract.window import Window

NOW = datetime.now(timezone.utc)

pytestmark = pytest.mark.integration


def test_window_takes_exactly_the_changes_of_the_hours(source_db):
    dsn, scenario = source_db
    settings = Settings(source_dsn=dsn)
    vitals = scenario.as_of(scenario.spec.end)["vital_signs"]
    batches = BatchRange("2026-11-02T05", "2026-11-02T07")
    df = ehr.fetch(settings, None, dataset("vital_signs"), Window(batches.start, batches, NOW))
    t0, t1 = pd.Timestamp(batches.start), pd.Timestamp(batches.end)
    expected = vitals[(vitals["updated_at"] >= t0) & (vitals["updated_at"] < t1)]
    assert sorted(df["vital_id"].astype(int)) == sorted(expected["vital_id"])
    assert set(df["_hour"]) <= set(batches)
    assert df.dtypes.eq(object).all()  # bronze keeps text


def test_first_batch_takes_everything_before_it(source_db):
    dsn, scenario = source_db
    admissions = scenario.as_of(scenario.spec.end)["admissions"]
    batches = BatchRange.single(batch_id(scenario.spec.start))
    assert plan(set(), batches, timedelta(hours=1)) is None
    df = ehr.fetch(Settings(source_dsn=dsn), None, dataset("admissions"), Window(None, batches, NOW))
    assert len(df) == (admissions["updated_at"] < pd.Timestamp(batches.end)).sum()
    assert len(df) > 0 and (df["_hour"] < batches.first).any()  # admitted before the data starts
    later = BatchRange.single("2026-11-02T05")
    done = set(BatchRange(batches.first, "2026-11-02T04"))
    assert plan(done, later, timedelta(minutes=60)) == later.start - timedelta(minutes=60)
    with pytest.raises(ExtractGap, match="batch 2026-11-02T03 was never extracted.*--from 2026-11-02T03"):
        plan(done - {"2026-11-02T03"}, later, timedelta(minutes=60))


def test_unreachable_database_is_a_clear_error():
    settings = Settings(source_dsn="postgresql://nobody:x@127.0.0.1:1/none")
    with pytest.raises(ehr.SourceUnavailable, match="HDP_SOURCE_DSN"):
        ehr.fetch(settings, None, dataset("wards"), Window(None, BatchRange.single("2026-11-02T05"), NOW))
