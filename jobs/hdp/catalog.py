"""The one registry of datasets. Extract, silver, gold and the warehouse loader all iterate over it."""

from __future__ import annotations

from dataclasses import dataclass

from hdp.reference import VITAL_PARAMETERS

# ---------------------------------------------------------------- sources -> bronze -> silver


@dataclass(frozen=True)
class Dataset:
    """A source entity, from bronze (raw, strings) to silver (typed, validated, current state)."""

    name: str
    source: str  # "ehr" (PostgreSQL), "pharmacy" (REST API) or "labs" (CSV drops)
    source_ref: str  # table, API path or file pattern
    columns: tuple[str, ...]  # source columns as extracted into bronze
    key: tuple[str, ...]  # business key: one silver row per key, the latest version wins
    version: str | tuple[str, ...]  # column(s) ordering versions of a key: the greatest is the latest
    partition_by: str | None  # silver partition column (a DATE), None for small entities
    phi: tuple[str, ...] = ()  # identifiers of a patient or a stay (silver column names): never leave silver

    @property
    def versions(self) -> tuple[str, ...]:
        return (self.version,) if isinstance(self.version, str) else self.version


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "wards",
        "ehr",
        "ehr.wards",
        ("ward_code", "name", "ward_type", "floor", "updated_at"),
        ("ward_code",),
        "updated_at",
        None,
    ),
    Dataset(
        "beds", "ehr", "ehr.beds", ("bed_code", "ward_code", "updated_at"), ("bed_code",), "updated_at", None
    ),
    Dataset(
        "patients",
        "ehr",
        "ehr.patients",
        (
            "patient_id",
            "mrn",
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "address",
            "city",
            "zip",
            "phone",
            "updated_at",
        ),
        ("patient_id",),
        "updated_at",
        None,
        phi=(
            "patient_id",
            "mrn",
            "first_name",
            "last_name",
            "date_of_birth",
            "address",
            "city",
            "zip",
            "phone",
        ),
    ),
    Dataset(
        "admissions",
        "ehr",
        "ehr.admissions",
        (
            "admission_id",
            "patient_id",
            "admitted_at",
            "discharged_at",
            "admission_type",
            "diagnosis_code",
            "discharge_disposition",
            "updated_at",
        ),
        ("admission_id",),
        "updated_at",
        None,
        phi=("admission_id", "patient_id"),
    ),
    Dataset(
        "bed_assignments",
        "ehr",
        "ehr.bed_assignments",
        ("assignment_id", "admission_id", "bed_code", "start_at", "end_at", "updated_at"),
        ("assignment_id",),
        "updated_at",
        None,
        phi=("assignment_id", "admission_id"),
    ),
    Dataset(
        "vital_signs",
        "ehr",
        "ehr.vital_signs",
        (
            "vital_id",
            "observation_uid",
            "admission_id",
            "observed_at",
            *VITAL_PARAMETERS,
            "updated_at",
        ),
        ("observation_uid",),
        "updated_at",
        "observed_date",
        phi=("vital_id", "observation_uid", "admission_id", "patient_id"),
    ),
    Dataset(
        "drugs",
        "pharmacy",
        "/v1/drugs",
        ("drug_code", "name", "form", "strength", "reorder_level", "updated_at"),
        ("drug_code",),
        "updated_at",
        None,
    ),
    Dataset(
        "stock_levels",
        "pharmacy",
        "/v1/stock-levels",
        ("entry_id", "drug_code", "on_hand", "recorded_at", "updated_at"),
        ("entry_id",),
        "updated_at",
        "recorded_date",
    ),
    Dataset(
        "lab_results",
        "labs",
        "labs_*.csv",
        ("raw_line", "line_number", "header", "file_sha256", "delivered_at"),
        ("accession_number",),
        ("resulted_at", "delivered_at"),
        "collected_date",
        phi=("mrn", "patient_id", "accession_number"),
    ),
)
DATASETS_BY_NAME = {d.name: d for d in DATASETS}
BRONZE_META = ("_batch_id", "_ingested_at", "_source", "_source_ref", "_row_id")
BRONZE_PARTITIONS = ("ingest_date", "ingest_hour")


# Every identifier of a patient or a stay, by silver column name: gold refuses to write any of them.
IDENTIFIERS = frozenset(c for d in DATASETS for c in d.phi)


def dataset(name: str) -> Dataset:
    try:
        return DATASETS_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}: known are {', '.join(DATASETS_BY_NAME)}") from None


def datasets_from(source: str) -> tuple[Dataset, ...]:
    return tuple(d for d in DATASETS if d.source == source)


# ---------------------------------------------------------------- gold (the analysts' contract)


@dataclass(frozen=True)
class GoldTable:
    """A gold table. `windowed` tables are rewritten per affected day (`day` column); the others whole."""

    name: str
    key: tuple[str, ...]
    windowed: bool
    distkey: str | None = None  # Redshift distribution key (None: DISTSTYLE ALL for small dimensions)
    sortkey: tuple[str, ...] = ()
    description: str = ""


GOLD_TABLES: tuple[GoldTable, ...] = (
    GoldTable("dim_patient", ("patient_key",), False, None, ("patient_key",), "de-identified patients"),
    GoldTable("dim_ward", ("ward_key",), False, None, ("ward_key",), "wards with bed counts"),
    GoldTable("dim_date", ("date_key",), False, None, ("date_key",), "calendar"),
    GoldTable("dim_time", ("time_key",), False, None, ("time_key",), "hours of the day"),
    GoldTable("dim_drug", ("drug_key",), False, None, ("drug_key",), "drugs of the pharmacy"),
    GoldTable(
        "fact_admission", ("admission_key",), False, "patient_key", ("admitted_at",), "one row per stay"
    ),
    GoldTable(
        "fact_bed_assignment", ("assignment_key",), False, "ward_key", ("start_at",), "bed occupancy spells"
    ),
    GoldTable(
        "fact_vital_sign",
        ("observation_key",),
        True,
        "patient_key",
        ("day", "ward_key"),
        "observations with NEWS2",
    ),
    GoldTable(
        "fact_lab_result",
        ("result_key",),
        True,
        "patient_key",
        ("day", "loinc_code"),
        "lab results in canonical units",
    ),
    GoldTable(
        "fact_pharmacy_stock", ("entry_key",), True, "drug_key", ("day", "drug_key"), "stock level readings"
    ),
    GoldTable(
        "kpi_ward_occupancy_hourly",
        ("ward_key", "hour_start"),
        True,
        "ward_key",
        ("day", "ward_key"),
        "occupied beds at the top of each hour",
    ),
    GoldTable(
        "kpi_ward_census_daily",
        ("ward_key", "day"),
        True,
        "ward_key",
        ("day", "ward_key"),
        "midnight census, admissions, discharges, ALOS",
    ),
    GoldTable("kpi_readmission_monthly", ("month",), False, None, ("month",), "30-day readmissions"),
    GoldTable(
        "kpi_lab_turnaround_daily",
        ("loinc_code", "day"),
        True,
        "loinc_code",
        ("day", "loinc_code"),
        "collection-to-result minutes",
    ),
    GoldTable(
        "kpi_pharmacy_stock_daily",
        ("drug_key", "day"),
        True,
        "drug_key",
        ("day", "drug_key"),
        "closing stock and days of supply",
    ),
    GoldTable(
        "kpi_news2_daily", ("ward_key", "day"), True, "ward_key", ("day", "ward_key"), "NEWS2 by ward and day"
    ),
)
GOLD_BY_NAME = {t.name: t for t in GOLD_TABLES}
# Windowed gold tables are partitioned by a copy of `day`, so the Parquet files keep `day` itself (Redshift's
# COPY reads columns from the files only, not from partition folders).
PARTITION_COLUMN = "part_day"
