"""The SQL each warehouse dialect generates (Redshift cannot run here: its statements are checked as text)."""

import re

import pytest
from pyspark.sql import types as T

from hdp.catalog import GOLD_BY_NAME
from hdp.warehouse import load_windows
from hdp.warehouse.dialects import DIALECTS, Window

SCHEMA = T.StructType(
    [
        T.StructField("observation_key", T.StringType()),
        T.StructField("patient_key", T.StringType()),
        T.StructField("ward_key", T.StringType()),
        T.StructField("news2_score", T.IntegerType()),
        T.StructField("observed_at", T.TimestampType()),
        T.StructField("day", T.DateType()),
    ]
)
COLUMNS = SCHEMA.names
VITALS = GOLD_BY_NAME["fact_vital_sign"]


def squash(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def test_redshift_ddl_has_distribution_and_sort_keys():
    ddl = squash(DIALECTS["redshift"].create_table("gold", VITALS, SCHEMA))
    assert ddl.startswith('CREATE TABLE IF NOT EXISTS "gold"."fact_vital_sign" (')
    assert '"observation_key" VARCHAR(512)' in ddl and '"observed_at" TIMESTAMPTZ' in ddl
    assert 'PRIMARY KEY ("observation_key")' in ddl
    assert ddl.endswith('DISTSTYLE KEY DISTKEY ("patient_key") COMPOUND SORTKEY ("day", "ward_key")')


def test_small_dimensions_are_copied_to_every_node():
    ddl = squash(
        DIALECTS["redshift"].create_table(
            "gold", GOLD_BY_NAME["dim_ward"], T.StructType([T.StructField("ward_key", T.StringType())])
        )
    )
    assert "DISTSTYLE ALL" in ddl and "DISTKEY" not in ddl


def test_redshift_load_stages_copies_parquet_and_replaces_the_batch_days():
    script = DIALECTS["redshift"].load_script(
        "gold",
        VITALS,
        COLUMNS,
        "s3://acme-control/redshift/run1/fact_vital_sign.manifest",
        "arn:aws:iam::123456789012:role/hdp-redshift-copy",
        Window("2026-11-02", "2026-11-02"),
    )
    assert script == [
        'CREATE TEMP TABLE "stage_fact_vital_sign" (LIKE "gold"."fact_vital_sign")',
        'COPY "stage_fact_vital_sign" ("observation_key", "patient_key", "ward_key", "news2_score", "observed_at", '
        "\"day\") FROM 's3://acme-control/redshift/run1/fact_vital_sign.manifest' "
        "IAM_ROLE 'arn:aws:iam::123456789012:role/hdp-redshift-copy' FORMAT AS PARQUET MANIFEST",
        'DELETE FROM "gold"."fact_vital_sign" WHERE "day" BETWEEN DATE \'2026-11-02\' AND DATE \'2026-11-02\'',
        'INSERT INTO "gold"."fact_vital_sign" ("observation_key", "patient_key", "ward_key", "news2_score", '
        '"observed_at", "day") SELECT "observation_key", "patient_key", "ward_key", "news2_score", "observed_at", '
        '"day" FROM "stage_fact_vital_sign"',
        'DROP TABLE "stage_fact_vital_sign"',
    ]


def test_redshift_copy_refuses_what_would_fail_in_production():
    rs = DIALECTS["redshift"]
    with pytest.raises(ValueError, match="s3://"):
        rs.copy_from_s3("stage", COLUMNS, "s3a://acme-gold/x/", "arn:aws:iam::1:role/r")
    with pytest.raises(ValueError, match="IAM role ARN"):
        rs.copy_from_s3("stage", COLUMNS, "s3://acme-gold/x/", "AKIA-something")


def test_postgres_replaces_whole_small_tables_and_only_the_days_of_windowed_ones():
    pg = DIALECTS["postgres"]
    whole = pg.replace_rows("gold", GOLD_BY_NAME["dim_ward"], '"stage"', ["ward_key"], None)
    assert whole[0] == 'DELETE FROM "gold"."dim_ward"'
    days = pg.replace_rows("gold", VITALS, '"stage"', COLUMNS, Window("2026-11-01", "2026-11-03"))
    assert days[0].endswith("WHERE \"day\" BETWEEN DATE '2026-11-01' AND DATE '2026-11-03'")
    assert pg.copy_into_stage('"stage"', ["a", "b"]) == 'COPY "stage" ("a", "b") FROM STDIN WITH (FORMAT csv)'


def test_identifiers_are_checked():
    with pytest.raises(ValueError, match="identifier"):
        DIALECTS["postgres"].qualified("gold", 'x"; DROP TABLE y; --')


def test_load_windows_union_over_committed_gold_runs():
    docs = [
        {
            "datasets": {
                "fact_vital_sign": {"window": ["2026-11-02", "2026-11-02"]},
                "dim_ward": {"window": None},
            }
        },
        {"datasets": {"fact_vital_sign": {"window": ["2026-11-01", "2026-11-02"]}}},
    ]
    assert load_windows(docs) == {"fact_vital_sign": Window("2026-11-01", "2026-11-02"), "dim_ward": None}


def test_gold_refuses_a_table_that_would_carry_an_identifier():
    from hdp.gold import refuse_identifiers

    refuse_identifiers("fact_admission", ["admission_key", "patient_key", "admitted_at"])
    with pytest.raises(ValueError, match="mrn"):
        refuse_identifiers("dim_patient", ["patient_key", "mrn"])
