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


# Every identifier of a patient or a stay, by silver column name: gold refuses to write any of them. These are
# the datasets' `phi` columns and every column the privacy classes below call a direct identifier.
IDENTIFIERS: frozenset[str]  # set at the end of the module, once the column classes are known


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


# ---------------------------------------------------------------- privacy (docs/privacy.md is generated from here)

# What a column can reveal about a patient. Every column of every lake table (bronze, silver, quarantine,
# gold) has one class; `python -m hdp.privacy` renders them into docs/privacy.md, and a test fails when a
# table has a column without a class or the document differs.
DIRECT = "direct identifier"
QUASI = "quasi-identifier"
CLINICAL = "clinical"
OPERATIONAL = "operational"
CLASSES = {
    DIRECT: "names, record numbers, contact details or the raw record: re-identify on their own",
    QUASI: "dates of care, demographics, location and pseudonyms: re-identify only in combination "
    "(or, for a pseudonym, with the key)",
    CLINICAL: "measurements, codes and scores of care: sensitive, not identifying on their own",
    OPERATIONAL: "reference data (wards, drugs, calendar), aggregates and pipeline metadata",
}

# How `hdp export --safe-harbor` treats a gold column (HIPAA 45 CFR 164.514(b)(2), see hdp/export.py).
KEEP = "keep"  # as it is (already at Safe-Harbor level, or not about a patient)
DROP = "drop"  # left out
YEAR = "year"  # a date of care reduced to its year (admitted_at -> admitted_year)
REKEY = "rekey"  # a pseudonym replaced by a random key drawn for the export alone (not derived from any id)
SAFE_HARBOR_RULES = {
    KEEP: "kept",
    DROP: "dropped",
    YEAR: "year only (`<name>_year`)",
    REKEY: "new random key per export",
}
# How `hdp inspect` shows a column by default (without --unmask).
SHOW = "show"
HIDE = "hide"  # ***
MASK_YEAR = "year"  # a date of birth as its year
MASK_ZIP3 = "zip3"  # a ZIP code as its first three digits


@dataclass(frozen=True)
class Column:
    cls: str
    meaning: str
    safe_harbor: str = KEEP  # gold columns: what the Safe-Harbor export does with it
    inspect: str = ""  # restricted columns: how `hdp inspect` masks it (default: hide direct identifiers)

    @property
    def masking(self) -> str:
        return self.inspect or (HIDE if self.cls == DIRECT else SHOW)


def _c(cls: str, meaning: str, safe_harbor: str = KEEP, inspect: str = "") -> Column:
    return Column(cls, meaning, safe_harbor, inspect)


# By column name, across layers; "<table>.<column>" where the same name means something else in one table.
COLUMNS: dict[str, Column] = {
    # --- who the patient is (restricted zones only)
    "patient_id": _c(DIRECT, "the EHR's patient number"),
    "mrn": _c(DIRECT, "medical record number"),
    "first_name": _c(DIRECT, "given name"),
    "last_name": _c(DIRECT, "family name"),
    "address": _c(DIRECT, "street address"),
    "phone": _c(DIRECT, "telephone number"),
    "admission_id": _c(DIRECT, "the EHR's stay (account) number"),
    "assignment_id": _c(DIRECT, "the EHR's bed-spell number"),
    "vital_id": _c(DIRECT, "the EHR's row number of an observation"),
    "observation_uid": _c(DIRECT, "the bedside device's message id of an observation"),
    "accession_number": _c(DIRECT, "the lab's specimen accession number"),
    "raw_line": _c(DIRECT, "a lab CSV line as delivered (holds the MRN and accession number)"),
    "record": _c(DIRECT, "the held row's source record as JSON (any of the identifiers above)"),
    "_row_id": _c(DIRECT, "SHA-256 of a source row (unkeyed: links the row to its source)"),
    "date_of_birth": _c(QUASI, "date of birth", inspect=MASK_YEAR),
    "sex": _c(QUASI, "sex (F, M, U)"),
    "city": _c(QUASI, "town or city of residence", inspect=HIDE),
    "zip": _c(QUASI, "ZIP code of residence", inspect=MASK_ZIP3),
    # --- dates of care
    "admitted_at": _c(QUASI, "admission time", YEAR),
    "discharged_at": _c(QUASI, "discharge time", YEAR),
    "start_at": _c(QUASI, "start of a bed spell", YEAR),
    "end_at": _c(QUASI, "end of a bed spell", YEAR),
    "observed_at": _c(QUASI, "observation time", YEAR),
    "observed_date": _c(QUASI, "observation day (partition)"),
    "collected_at": _c(QUASI, "specimen collection time", YEAR),
    "collected_date": _c(QUASI, "collection day (partition)"),
    "resulted_at": _c(QUASI, "result time", DROP),
    "delivered_at": _c(QUASI, "when the lab file holding the result was delivered"),
    "updated_at": _c(QUASI, "when the source row last changed (for patient rows: a date of care)"),
    "wards.updated_at": _c(OPERATIONAL, "when the source row last changed"),
    "beds.updated_at": _c(OPERATIONAL, "when the source row last changed"),
    "drugs.updated_at": _c(OPERATIONAL, "when the source row last changed"),
    "stock_levels.updated_at": _c(OPERATIONAL, "when the source row last changed"),
    "bed_code": _c(QUASI, "bed (with a time it locates a patient)", DROP),
    "beds.bed_code": _c(OPERATIONAL, "bed"),
    # --- gold: pseudonyms and generalised demographics
    "patient_key": _c(QUASI, "pseudonym of a patient: HMAC-SHA256 of the MRN under HDP_PSEUDONYM_KEY", REKEY),
    "admission_key": _c(QUASI, "pseudonym of a stay: HMAC-SHA256 of the admission number", REKEY),
    "assignment_key": _c(QUASI, "pseudonym of a bed spell: HMAC-SHA256 of its number", DROP),
    "observation_key": _c(QUASI, "pseudonym of an observation: HMAC-SHA256 of its device message id", DROP),
    "result_key": _c(QUASI, "pseudonym of a lab result: HMAC-SHA256 of its accession number", DROP),
    "birth_year": _c(QUASI, "year of birth (empty for ages 90 and over)"),
    "age_band": _c(QUASI, "age band at the lake's horizon (0-17, 10-year bands, 90+)"),
    "zip3": _c(
        QUASI, "first three ZIP digits, 000 for the areas Safe Harbor names (hdp/data/safe_harbor_zip3.csv)"
    ),
    "admit_date_key": _c(QUASI, "admission day (yyyymmdd)", DROP),
    "discharge_date_key": _c(QUASI, "discharge day (yyyymmdd)", DROP),
    "fact_vital_sign.date_key": _c(QUASI, "observation day (yyyymmdd)", DROP),
    "fact_vital_sign.time_key": _c(QUASI, "observation hour of the day", DROP),
    "fact_vital_sign.day": _c(QUASI, "observation day", DROP),
    "fact_lab_result.date_key": _c(QUASI, "collection day (yyyymmdd)", DROP),
    "fact_lab_result.day": _c(QUASI, "collection day", DROP),
    # --- clinical
    "admission_type": _c(CLINICAL, "elective or emergency"),
    "diagnosis_code": _c(CLINICAL, "ICD-10 diagnosis"),
    "discharge_disposition": _c(CLINICAL, "home, transfer or died"),
    "length_of_stay_days": _c(CLINICAL, "length of stay in days"),
    "respiration_rate": _c(CLINICAL, "breaths per minute"),
    "spo2": _c(CLINICAL, "oxygen saturation %"),
    "on_oxygen": _c(CLINICAL, "on supplemental oxygen"),
    "systolic_bp": _c(CLINICAL, "systolic blood pressure mmHg"),
    "diastolic_bp": _c(CLINICAL, "diastolic blood pressure mmHg"),
    "pulse": _c(CLINICAL, "pulse per minute"),
    "consciousness": _c(CLINICAL, "ACVPU level"),
    "temperature_c": _c(CLINICAL, "temperature °C"),
    "news2_respiration": _c(CLINICAL, "NEWS2 score of the respiration rate"),
    "news2_spo2": _c(CLINICAL, "NEWS2 score of SpO2 (scale 1)"),
    "news2_oxygen": _c(CLINICAL, "NEWS2 score of air or oxygen"),
    "news2_systolic": _c(CLINICAL, "NEWS2 score of the systolic pressure"),
    "news2_pulse": _c(CLINICAL, "NEWS2 score of the pulse"),
    "news2_consciousness": _c(CLINICAL, "NEWS2 score of consciousness"),
    "news2_temperature": _c(CLINICAL, "NEWS2 score of the temperature"),
    "news2_complete": _c(CLINICAL, "all seven NEWS2 parameters were observed"),
    "news2_score": _c(CLINICAL, "NEWS2 aggregate score"),
    "news2_any_three": _c(CLINICAL, "a single parameter scored 3"),
    "news2_risk": _c(CLINICAL, "NEWS2 clinical risk"),
    "loinc_code": _c(CLINICAL, "LOINC code of the test"),
    "test_name": _c(CLINICAL, "name of the test"),
    "value": _c(CLINICAL, "result in the canonical unit"),
    "unit": _c(CLINICAL, "canonical unit"),
    "value_as_sent": _c(CLINICAL, "result as the lab sent it"),
    "unit_as_sent": _c(CLINICAL, "unit as the lab sent it"),
    "turnaround_minutes": _c(OPERATIONAL, "minutes from collection to result"),
    # --- wards, beds, drugs, stock (reference and operational data)
    "ward_code": _c(OPERATIONAL, "ward"),
    "name": _c(OPERATIONAL, "name of the ward or drug"),
    "ward_type": _c(OPERATIONAL, "ICU, HDU, MED, SUR, CAR, MAT or PAE"),
    "floor": _c(OPERATIONAL, "floor of the ward"),
    "drug_code": _c(OPERATIONAL, "drug"),
    "form": _c(OPERATIONAL, "dosage form"),
    "strength": _c(OPERATIONAL, "strength"),
    "reorder_level": _c(OPERATIONAL, "stock level that triggers a reorder"),
    "entry_id": _c(OPERATIONAL, "the pharmacy's stock reading number"),
    "on_hand": _c(OPERATIONAL, "units in stock"),
    "recorded_at": _c(OPERATIONAL, "time of the stock reading"),
    "recorded_date": _c(OPERATIONAL, "day of the stock reading (partition)"),
    "ward_key": _c(OPERATIONAL, "ward"),
    "admit_ward_key": _c(OPERATIONAL, "ward at admission"),
    "discharge_ward_key": _c(OPERATIONAL, "ward at discharge"),
    "ward_name": _c(OPERATIONAL, "name of the ward"),
    "bed_count": _c(OPERATIONAL, "beds of the ward"),
    "drug_key": _c(OPERATIONAL, "drug"),
    "drug_name": _c(OPERATIONAL, "name of the drug"),
    "entry_key": _c(OPERATIONAL, "the pharmacy's stock reading number"),
    # --- calendar (dim_date, dim_time) and the days of non-patient rows and aggregates
    "date_key": _c(OPERATIONAL, "day (yyyymmdd)"),
    "day": _c(OPERATIONAL, "day"),
    "time_key": _c(OPERATIONAL, "hour of the day"),
    "hour": _c(OPERATIONAL, "hour of the day"),
    "label": _c(OPERATIONAL, "hour as hh:00"),
    "nursing_shift": _c(OPERATIONAL, "early, late or night"),
    "year": _c(OPERATIONAL, "year"),
    "quarter": _c(OPERATIONAL, "quarter"),
    "month": _c(OPERATIONAL, "month"),
    "month_name": _c(OPERATIONAL, "name of the month"),
    "day_of_month": _c(OPERATIONAL, "day of the month"),
    "day_name": _c(OPERATIONAL, "name of the weekday"),
    "iso_week": _c(OPERATIONAL, "ISO week"),
    "is_weekend": _c(OPERATIONAL, "Saturday or Sunday"),
    "kpi_readmission_monthly.month": _c(OPERATIONAL, "month of discharge"),
    # --- KPIs: aggregates over wards, tests, drugs and days
    "hour_start": _c(OPERATIONAL, "top of the hour"),
    "occupied_beds": _c(OPERATIONAL, "beds occupied at the top of the hour"),
    "occupancy_rate": _c(OPERATIONAL, "occupied beds / beds"),
    "midnight_census": _c(OPERATIONAL, "patients in a bed of the ward at 00:00"),
    "admissions": _c(OPERATIONAL, "admissions that day"),
    "discharges": _c(OPERATIONAL, "discharges"),
    "alos_days": _c(OPERATIONAL, "mean length of stay of the day's discharges"),
    "readmissions": _c(OPERATIONAL, "discharges followed by an admission within 30 days"),
    "readmission_rate": _c(OPERATIONAL, "readmissions / discharges"),
    "follow_up_complete": _c(OPERATIONAL, "30 days after the month have passed"),
    "results": _c(OPERATIONAL, "results"),
    "median_minutes": _c(OPERATIONAL, "median turnaround"),
    "p90_minutes": _c(OPERATIONAL, "90th percentile of turnaround"),
    "over_target": _c(OPERATIONAL, "results over 120 minutes"),
    "share_over_target": _c(OPERATIONAL, "share over 120 minutes"),
    "closing_on_hand": _c(OPERATIONAL, "stock at the day's last reading"),
    "mean_daily_usage_7d": _c(OPERATIONAL, "mean daily usage over the trailing 7 days"),
    "days_of_supply": _c(OPERATIONAL, "closing stock / mean daily usage"),
    "below_reorder": _c(OPERATIONAL, "closing stock below the reorder level"),
    "observations": _c(OPERATIONAL, "observations"),
    "incomplete_sets": _c(OPERATIONAL, "observations missing a NEWS2 parameter"),
    "mean_news2": _c(OPERATIONAL, "mean NEWS2 score"),
    "medium_risk": _c(OPERATIONAL, "observations scoring 5-6"),
    "high_risk": _c(OPERATIONAL, "observations scoring 7 or more"),
    "any_parameter_three": _c(OPERATIONAL, "observations with a single parameter scoring 3"),
    # --- pipeline metadata (bronze, silver, quarantine)
    "_batch_id": _c(OPERATIONAL, "batch (hour) the row was extracted in"),
    "_ingested_at": _c(OPERATIONAL, "when the row was extracted"),
    "_source": _c(OPERATIONAL, "source system and entity"),
    "_source_ref": _c(OPERATIONAL, "source table, API path or lab file name"),
    "ingest_date": _c(OPERATIONAL, "extraction day (partition)"),
    "ingest_hour": _c(OPERATIONAL, "extraction hour (partition)"),
    "line_number": _c(OPERATIONAL, "line of the lab file"),
    "header": _c(OPERATIONAL, "the lab file's header line"),
    "file_sha256": _c(OPERATIONAL, "SHA-256 of the lab file"),
    "dataset": _c(OPERATIONAL, "dataset of the held row"),
    "status": _c(OPERATIONAL, "parked (may still become valid) or rejected"),
    "reason": _c(OPERATIONAL, "reason code (hdp/silver/rules.py)"),
    "parked_until": _c(OPERATIONAL, "when a parked row is finally rejected"),
}
# The quarantine table of every dataset (silver writes it).
QUARANTINE_COLUMNS = (
    "dataset",
    "status",
    "reason",
    "_batch_id",
    "_row_id",
    "_ingested_at",
    "record",
    "parked_until",
)
# The gold tables `hdp export --safe-harbor` writes (the others: calendar dimensions, whose days the exported
# facts no longer carry, and KPIs, aggregates by day with small cells that leave the hospital as reports).
SAFE_HARBOR_TABLES = (
    "dim_patient",
    "dim_ward",
    "dim_drug",
    "fact_admission",
    "fact_bed_assignment",
    "fact_vital_sign",
    "fact_lab_result",
    "fact_pharmacy_stock",
)


def column(table: str, name: str) -> Column:
    """The class of a column of a table (a dataset, "quarantine" or a gold table)."""
    found = COLUMNS.get(f"{table}.{name}") or COLUMNS.get(name)
    if found is None:
        raise KeyError(
            f"column {table}.{name} has no privacy class: add it to COLUMNS in hdp/catalog.py, then "
            "regenerate docs/privacy.md (python -m hdp.privacy --write)"
        )
    return found


# Zones: where data lives, what it may hold and who may read it (docs/privacy.md; audit events name them).
RESTRICTED = "restricted: PHI"
LIMITED = "limited data set"
SAFE_HARBOR = "de-identified (Safe Harbor)"
NO_PHI = "no PHI"


@dataclass(frozen=True)
class Zone:
    name: str
    holds: str
    what: str
    readers: str


ZONES: tuple[Zone, ...] = (
    Zone(
        "source",
        RESTRICTED,
        "the hospital's systems: EHR and pharmacy databases, the lab's file drops",
        "the hospital; `hdp extract` reads them in read-only transactions",
    ),
    Zone(
        "landing",
        RESTRICTED,
        "lab result CSV files as delivered",
        "the lab interface (writes); the extract stage (service account hdp-extract)",
    ),
    Zone(
        "bronze",
        RESTRICTED,
        "source rows as extracted, with ingestion metadata",
        "extract (writes) and silver (reads) stages; engineers through `hdp inspect` (masked, audited)",
    ),
    Zone(
        "silver",
        RESTRICTED,
        "typed, validated current state: every identifier",
        "the silver and gold stages (hdp-transform); engineers through `hdp inspect` (masked, audited)",
    ),
    Zone(
        "quarantine",
        RESTRICTED,
        "held rows with their reason code and raw source record",
        "the silver stage (hdp-transform); engineers through `hdp inspect` (masked, audited)",
    ),
    Zone(
        "gold",
        LIMITED,
        "dimensional model and KPIs: pseudonyms, exact dates of care, bed codes, no direct identifier",
        "the gold stage (writes), the warehouse load and `hdp export` (read)",
    ),
    Zone(
        "warehouse",
        LIMITED,
        "the gold tables in PostgreSQL or Redshift",
        "analysts through role hdp_analyst (read only; every statement logged)",
    ),
    Zone(
        "export",
        SAFE_HARBOR,
        "`hdp export --safe-harbor`: years instead of dates, 3-digit ZIPs, 90+, new random keys",
        "recipients outside the hospital the privacy officer approves",
    ),
    Zone(
        "control",
        NO_PHI,
        "watermarks, lab file ledger (names, hashes), run manifests (counts), leases",
        "every stage",
    ),
    Zone(
        "audit",
        NO_PHI,
        "audit events: who ran what on which tables, when, row counts, outcome",
        "every stage and CLI command appends; security and the privacy officer read",
    ),
)
ZONES_BY_NAME = {z.name: z for z in ZONES}

IDENTIFIERS = frozenset(
    {c for d in DATASETS for c in d.phi}
    | {name.split(".")[-1] for name, col in COLUMNS.items() if col.cls == DIRECT}
)
