"""The privacy policy as code: every column classified and docs/privacy.md current; HMAC keys that never
appear in a plan; gold's generalised demographics; the Safe-Harbor rules; masking; the identifier scan."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date, datetime, timezone

import pytest
from pyspark.sql import functions as F

from hdp import catalog as C
from hdp import privacy
from hdp.config import Settings
from hdp.export import draw_keys, safe_harbor_columns, safe_harbor_frame
from hdp.gold import dimensions as D
from hdp.gold.keys import hmac_key, pseudonym

KEY = "unit-test-pseudonym-key-0123456789"


@pytest.fixture(scope="module")
def schemas(spark):
    return privacy.schemas(spark)


def test_every_column_has_a_class_and_the_document_is_the_registry(schemas, monkeypatch):
    assert privacy.unclassified(schemas) == []
    assert privacy.unused(schemas) == [], "classes of columns no table has: remove them"
    assert privacy.DOC.read_text(encoding="utf-8") == privacy.render(schemas), (
        "docs/privacy.md differs from the registry: run `python -m hdp.privacy --write`"
    )
    # a column without a class is found, and the document cannot be made
    monkeypatch.delitem(C.COLUMNS, "news2_score")
    assert privacy.unclassified(schemas) == ["fact_vital_sign.news2_score"]
    with pytest.raises(KeyError, match="fact_vital_sign.news2_score"):
        privacy.render(schemas)


def test_the_registry_keeps_identifiers_out_of_gold_and_the_export(schemas):
    for table, cols in schemas.gold.items():
        for name in cols:
            col = C.column(table, name)
            assert col.cls != C.DIRECT, f"gold.{table}.{name}"
            assert name not in C.IDENTIFIERS, f"gold.{table}.{name}"
    for name, col in C.COLUMNS.items():
        if col.cls == C.DIRECT:
            assert name.split(".")[-1] in C.IDENTIFIERS, name
    for table in C.SAFE_HARBOR_TABLES:
        for out, name, rule in safe_harbor_columns(table, schemas.gold[table]):
            col = C.column(table, name)
            if col.cls == C.QUASI and rule == C.KEEP:
                assert name in privacy.SAFE_HARBOR_DEMOGRAPHICS, f"{table}.{name} would leave as it is"
            if "patient_key" in schemas.gold[table]:  # a patient's rows: no element of a date but the year
                assert not out.endswith("_at") and out not in ("day", "date_key", "time_key", "bed_code"), out


def test_hmac_keys_are_the_reference_and_missing_ids_share_none(spark):
    df = spark.createDataFrame(
        [("MRN00000001", 1), ("MRN00000002", 2), (None, 3), (None, 4), ("  ", 5), ("MRN00000001", 6)],
        "mrn string, n int",
    )
    rows = df.select(
        "mrn",
        pseudonym(KEY, "patient", F.col("mrn")).alias("patient"),
        pseudonym(KEY, "admission", F.col("n")).alias("admission"),
    ).collect()
    key = KEY.encode()
    for r in rows:
        assert r["patient"] == hmac_key(key, "patient", r["mrn"])
    assert rows[0]["patient"] == rows[5]["patient"] != rows[1]["patient"]
    assert [r["patient"] for r in rows[2:5]] == [None, None, None]  # no identifier, no key: none shared
    assert rows[0]["admission"] == hmac_key(key, "admission", "1") != hmac_key(key, "patient", "1")
    assert len(rows[0]["patient"]) == 24
    assert hmac_key(b"another-key-0123456789", "patient", "MRN00000001") != rows[0]["patient"]


def _plans(frames) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for df in frames:
            df.explain(mode="extended")
    return out.getvalue()


def test_the_key_is_in_no_plan_of_gold(spark):
    from hdp import gold
    from hdp.silver import empty_silver

    win = {t: gold.Window(date(2026, 1, 1), date(2026, 1, 2)) for t in gold.DRIVERS}
    frames = gold.build(
        spark,
        lambda name, where=None: empty_silver(spark, name),
        Settings(pseudonym_key=KEY),
        win,
        datetime(2026, 1, 3, tzinfo=timezone.utc),
    )
    text = _plans(frames.values())
    assert "hmac_patient" in text and "hmac_admission" in text
    assert KEY not in text
    # the check can fail: a key as a literal (the old sha2(concat(key, ...))) shows in the plan
    literal = spark.range(1).select(F.sha2(F.concat_ws("|", F.lit(KEY), F.lit("patient")), 256))
    assert KEY in _plans([literal])


@pytest.mark.parametrize(
    ("zip_code", "zip3"),
    [("03601", "000"), ("89012-1234", "000"), ("10001", "100"), ("02139", "021"), ("8", None), (None, None)],
)
def test_zip_codes_become_three_digits_or_000(spark, zip_code, zip3):
    assert privacy.zip3_of(zip_code) == zip3
    got = spark.createDataFrame([(zip_code,)], "zip string").select(privacy.zip3(F.col("zip"))).first()[0]
    assert got == zip3
    assert len(privacy.restricted_zip3()) == 17 and "036" in privacy.restricted_zip3()


def test_dim_patient_is_generalised(spark):
    patients = spark.createDataFrame(
        [
            (1, "MRN1", date(1930, 5, 1), "F", "03601"),  # 96: 90+, no birth year, restricted ZIP area
            (2, "MRN2", date(1937, 1, 2), "M", "10001"),  # 89: still its birth year
            (3, "MRN3", date(2020, 7, 9), "F", None),
        ],
        "patient_id long, mrn string, date_of_birth date, sex string, zip string",
    )
    rows = {
        r["birth_year"] or 0: r
        for r in D.dim_patient(patients, KEY, datetime(2026, 11, 20, tzinfo=timezone.utc)).collect()
    }
    assert rows[0]["age_band"] == "90+" and rows[0]["zip3"] == "000"
    assert rows[1937]["age_band"] == "80-89" and rows[1937]["zip3"] == "100"
    assert rows[2020]["age_band"] == "0-17" and rows[2020]["zip3"] is None
    assert set(rows[0].asDict()) == {"patient_key", "sex", "birth_year", "age_band", "zip3"}


def test_safe_harbor_frame_keeps_years_drops_beds_and_rekeys(spark):
    spells = spark.createDataFrame(
        [
            ("a1", "s1", "p1", "ICU", "ICU-01", datetime(2026, 3, 4, 5, 6), None),
            ("a2", "s2", "p1", "MED", "MED-07", datetime(2025, 12, 31, 23, 0), datetime(2026, 1, 2, 1, 0)),
        ],
        "assignment_key string, admission_key string, patient_key string, ward_key string, bed_code string, "
        "start_at timestamp, end_at timestamp",
    )
    frames = {"fact_bed_assignment": spells}
    keys = draw_keys(spark, frames)
    out = safe_harbor_frame("fact_bed_assignment", spells, keys)
    assert out.columns == ["admission_key", "patient_key", "ward_key", "start_year", "end_year"]
    rows = sorted(out.collect(), key=lambda r: r["start_year"])
    assert [(r["start_year"], r["end_year"]) for r in rows] == [(2025, 2026), (2026, None)]
    assert rows[0]["patient_key"] == rows[1]["patient_key"]  # one patient, one new key
    assert {r["patient_key"] for r in rows}.isdisjoint({"p1"}) and rows[0]["admission_key"] not in (
        "s1",
        "s2",
    )
    again = safe_harbor_frame("fact_bed_assignment", spells, draw_keys(spark, frames)).collect()
    assert {r["patient_key"] for r in again} != {r["patient_key"] for r in rows}  # exports don't link
    with pytest.raises(KeyError, match="no privacy class"):  # nothing leaves unclassified
        safe_harbor_columns("fact_bed_assignment", [*spells.columns, "nurse_name"])


def test_inspect_masks_by_class():
    row = {
        "patient_id": 7,
        "mrn": "MRN00000049",
        "first_name": "Ada",
        "date_of_birth": date(1950, 3, 4),
        "zip": "03601",
        "city": "Lebanon",
        "sex": "F",
        "_batch_id": "2026-11-20T01",
    }
    masked = privacy.mask_row("silver", "patients", row)
    assert masked == {
        "patient_id": "***",
        "mrn": "***",
        "first_name": "***",
        "date_of_birth": "1950-**-**",
        "zip": "000",
        "city": "***",
        "sex": "F",
        "_batch_id": "2026-11-20T01",
    }
    record = json.dumps({"patient_id": "7", "mrn": "MRN00000049", "last_name": "Lovelace", "new_field": "x"})
    held = privacy.mask_row("quarantine", "patients", {"reason": "MISSING_VALUE", "record": record})
    assert held["reason"] == "MISSING_VALUE"
    assert json.loads(held["record"]) == {
        "patient_id": "***",
        "mrn": "***",
        "last_name": "***",
        "new_field": "***",
    }
    lab = privacy.mask_row("quarantine", "lab_results", {"record": json.dumps({"raw_line": "A1,MRN1,x"})})
    assert json.loads(lab["record"]) == {"raw_line": "***"}


def test_the_identifier_scan_finds_a_leak_and_passes_clean_tables():
    import pandas as pd

    ids = privacy.Identifiers(whole={"Lovelace", "1950-03-04"}, inside={"MRN00000049", "(555) 010-1234"})
    clean = pd.DataFrame({"name": ["ICU", "Lovelace ward"], "n": [1, 2], "d": [date(2026, 1, 1), None]})
    assert privacy.find_identifiers({"clean": clean}, ids) == []
    leaks = {
        "a": pd.DataFrame({"note": ["seen MRN00000049 today"]}),
        "b": pd.DataFrame({"surname": ["Lovelace"]}),
        "c": pd.DataFrame({"born": [date(1950, 3, 4)]}),
        "d": pd.DataFrame({"phone": ["call (555) 010-1234"]}),
    }
    assert sorted(t for t, _, _ in privacy.find_identifiers(leaks, ids)) == ["a", "b", "c", "d"]


def test_the_cli_refuses_an_export_without_its_method_and_a_table_it_cannot_inspect(capsys):
    from hdp import cli

    assert cli.main(["export"]) == 64
    assert "--safe-harbor" in capsys.readouterr().err
    assert cli.main(["inspect", "gold.dim_patient"]) == 64
    assert "inspect takes <zone>.<dataset>" in capsys.readouterr().err
