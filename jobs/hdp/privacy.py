"""The privacy policy, from the registry: Safe-Harbor ZIP generalisation, masking for `hdp inspect`, a scan
for identifiers (tests), and docs/privacy.md, generated from the column classes and zones of hdp/catalog.py
and the real schemas of every table.

    python -m hdp.privacy            print docs/privacy.md as the registry makes it
    python -m hdp.privacy --write    rewrite docs/privacy.md (tests/unit/test_privacy.py fails while it differs)
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path

from hdp import catalog as C

DOC = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"
ZIP3_FILE = "safe_harbor_zip3.csv"
SAFE_HARBOR_DEMOGRAPHICS = frozenset({"sex", "birth_year", "age_band", "zip3"})  # already generalised in gold


# ------------------------------------------------------------------------------------------- ZIP codes


@cache
def restricted_zip3() -> tuple[str, ...]:
    """The three-digit ZIP areas Safe Harbor reports as 000 (hdp/data/safe_harbor_zip3.csv, with its source)."""
    text = resources.files("hdp").joinpath("data", ZIP3_FILE).read_text(encoding="utf-8")
    rows = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if rows[0] != "zip3" or not all(re.fullmatch(r"\d{3}", r) for r in rows[1:]):
        raise ValueError(f"hdp/data/{ZIP3_FILE}: expected a 'zip3' header and three-digit codes")
    return tuple(rows[1:])


def zip3_of(zip_code: str | None) -> str | None:
    """The Safe-Harbor form of a ZIP code: its first three digits, 000 for the restricted areas."""
    match = re.match(r"\s*(\d{3})", zip_code or "")
    if not match:
        return None
    return "000" if match.group(1) in restricted_zip3() else match.group(1)


def zip3(zip_code):
    """`zip3_of` as a Spark column."""
    from pyspark.sql import functions as F

    prefix = F.regexp_extract(zip_code, r"^\s*(\d{3})", 1)
    return (
        F.when(prefix == "", F.lit(None).cast("string"))
        .when(prefix.isin(*restricted_zip3()), F.lit("000"))
        .otherwise(prefix)
    )


# ------------------------------------------------------------------------------------------- masking

HIDDEN = "***"


def mask_value(table: str, name: str, value: object) -> object:
    """How `hdp inspect` shows a value of `table` (a dataset or "quarantine") by default: a direct identifier
    hidden, a date of birth as its year, a ZIP code as its Safe-Harbor three digits, the rest as it is. A
    column the registry does not know is hidden (fail closed)."""
    if value is None:
        return None
    try:
        how = C.column(table, name).masking
    except KeyError:
        return HIDDEN
    if how == C.SHOW:
        return value
    if how == C.MASK_YEAR:
        return f"{str(value)[:4]}-**-**"
    if how == C.MASK_ZIP3:
        return zip3_of(str(value))
    return HIDDEN


def mask_row(zone: str, dataset: str, row: Mapping[str, object]) -> dict[str, object]:
    """A row of a restricted table (bronze, silver or quarantine of `dataset`) as `hdp inspect` shows it; a
    quarantine row's source `record` field by field, by the dataset's own classes."""
    out: dict[str, object] = {}
    for name, value in row.items():
        if zone == "quarantine" and name == "record" and value is not None:
            try:
                record = json.loads(str(value))
            except ValueError:
                out[name] = HIDDEN
                continue
            out[name] = json.dumps({k: mask_value(dataset, k, v) for k, v in record.items()})
        elif zone == "quarantine" and name in C.QUARANTINE_COLUMNS:
            out[name] = mask_value("quarantine", name, value)
        else:
            out[name] = mask_value(dataset, name, value)
    return out


# ------------------------------------------------------------------------------------------- scanning


@dataclass
class Identifiers:
    """Values that must not appear: `whole` as a whole cell, `inside` anywhere inside a text cell."""

    whole: set[str] = field(default_factory=set)
    inside: set[str] = field(default_factory=set)


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    return str(value)


def find_identifiers(frames: Mapping[str, object], ids: Identifiers) -> list[tuple[str, str, str]]:
    """(table, column, value) of every cell of `frames` (pandas frames by name) that holds an identifier."""
    inside = sorted((s for s in ids.inside if s), key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(s) for s in inside)) if inside else None
    hits = []
    for table, df in frames.items():
        for col in df.columns:
            for value in df[col].dropna().unique():
                text = _text(value)
                if text in ids.whole or (isinstance(value, str) and pattern and pattern.search(text)):
                    hits.append((table, col, text))
    return hits


# ------------------------------------------------------------------------------------------- the document


@dataclass
class Schemas:
    """Column names of every table, as the code makes them."""

    bronze: dict[str, list[str]]
    silver: dict[str, list[str]]
    gold: dict[str, list[str]]


def schemas(spark) -> Schemas:
    """Bronze, silver and gold columns from the transforms themselves (silver and gold applied to no rows)."""
    from datetime import timezone

    from hdp import gold
    from hdp.config import Settings
    from hdp.extract import bronze_schema
    from hdp.silver import empty_silver

    bronze = {ds.name: bronze_schema(ds).fieldNames() for ds in C.DATASETS}
    silver = {ds.name: empty_silver(spark, ds.name).columns for ds in C.DATASETS}
    win = {t: gold.Window(date(2026, 1, 1), date(2026, 1, 2)) for t in gold.DRIVERS}
    settings = Settings(pseudonym_key="schema-only-key-0123456789")
    frames = gold.build(
        spark,
        lambda name, where=None: empty_silver(spark, name),
        settings,
        win,
        datetime(2026, 1, 3, tzinfo=timezone.utc),
    )
    return Schemas(bronze, silver, {t.name: frames[t.name].columns for t in C.GOLD_TABLES})


def unclassified(s: Schemas) -> list[str]:
    """Every `table.column` without a class."""
    missing = []
    for tables in (s.bronze, s.silver, s.gold):
        for table, cols in tables.items():
            for name in cols:
                try:
                    C.column(table, name)
                except KeyError:
                    missing.append(f"{table}.{name}")
    for name in C.QUARANTINE_COLUMNS:
        try:
            C.column("quarantine", name)
        except KeyError:
            missing.append(f"quarantine.{name}")
    return sorted(set(missing))


def unused(s: Schemas) -> list[str]:
    """Registry entries no table has (stale classes)."""
    seen = set()
    for tables in (s.bronze, s.silver, s.gold):
        for table, cols in tables.items():
            for name in cols:
                seen |= {name, f"{table}.{name}"}
    seen |= set(C.QUARANTINE_COLUMNS)
    return sorted(set(C.COLUMNS) - seen)


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def render(s: Schemas) -> str:
    """docs/privacy.md from the registry and the schemas."""
    from hdp.export import safe_harbor_columns

    missing = unclassified(s)
    if missing:
        raise KeyError(f"columns without a privacy class (hdp/catalog.py COLUMNS): {', '.join(missing)}")
    meta = [c for c in C.BRONZE_META + C.BRONZE_PARTITIONS]
    out = [
        "# Privacy policy: what is where, who may read it, how re-identification is prevented",
        "",
        "<!-- Generated from the dataset registry (jobs/hdp/catalog.py) and the schemas the code makes: "
        "`python -m hdp.privacy --write`. tests/unit/test_privacy.py fails while this file differs. -->",
        "",
        "Every column of every table has a class. The zones say which classes each may hold and who may read "
        "it; the pipeline enforces the boundaries (gold refuses identifier columns, the export keeps only what "
        "Safe Harbor allows, `hdp inspect` masks) and the audit log records every access.",
        "",
        "## Column classes",
        "",
        _row("class", "what it is"),
        _row("---", "---"),
        *(_row(f"**{cls}**", text) for cls, text in C.CLASSES.items()),
        "",
        "## Zones",
        "",
        _row("zone", "holds", "what", "who may read"),
        _row("---", "---", "---", "---"),
        *(_row(f"`{z.name}`", z.holds, z.what, z.readers) for z in C.ZONES),
        "",
        "Landing, bronze, silver and quarantine are the **restricted zone**: PHI, readable only by the stages "
        "that need it (on EKS each stage's IRSA role reaches only its buckets: terraform/modules/iam) and by "
        "engineers through `hdp inspect`, which masks by default and is audited. Gold and the warehouse are a "
        "HIPAA **limited data set** (exact dates of care, pseudonyms, bed codes; no direct identifier): for "
        "use inside the hospital, or outside only under a data use agreement. Data leaving the hospital "
        "otherwise goes through the **Safe-Harbor export**.",
        "",
        "## Re-identification",
        "",
        "- Gold keys (`patient_key`, `admission_key`, ...) are HMAC-SHA256 of the source identifier under "
        "`HDP_PSEUDONYM_KEY`, within a domain, truncated to 96 bits. The key is the one thing that links gold "
        "back to a patient: it lives in AWS Secrets Manager (`hdp/platform`), reaches the cluster as the "
        "Kubernetes Secret `hdp-secrets` (external-secrets) and the jobs as a variable or a mounted file "
        "(`HDP_PSEUDONYM_KEY_FILE`, `HDP_SECRETS_DIR`). Readers: the Secrets Manager administrators and the "
        "pods of namespace `hdp` that mount the secret; nobody else. Rotating it changes every key: gold and "
        "the warehouse must then be rebuilt from silver.",
        "- The key never enters a Spark plan: the HMAC runs in an Arrow UDF that reads the key from a broadcast "
        "variable, so `explain()`, the Spark UI and the event log show `hmac_patient(mrn)`, never the key "
        "(tested with event logging on). A missing identifier has no key (NULL): such rows never share one.",
        "- Spark redacts settings named like secrets, DSNs or keys (`spark.redaction.regex`) and DSN passwords "
        "in plan strings (`spark.sql.redaction.string.regex`); `hdp` redacts every secret setting and both "
        "DSN forms in its logs, `hdp config` and error messages.",
        "- The Safe-Harbor export does not carry gold's keys: each export draws new random keys for patients "
        "and stays, so two exports cannot be linked with each other or with gold.",
        "",
        "## The Safe-Harbor export (`hdp export --safe-harbor`)",
        "",
        "HIPAA 45 CFR 164.514(b)(2): of the 18 identifiers, gold already has no names, addresses, phone "
        "numbers, record or device numbers; the export also removes every element of a date but the year "
        "(dates are reduced to the year, not shifted), keeps ages over 89 as `90+` without a birth year, "
        "ZIP codes as three digits or `000` for the restricted areas, drops bed codes and row-level keys, "
        f"and keeps the tables {', '.join(f'`{t}`' for t in C.SAFE_HARBOR_TABLES)}. Durations "
        "(length of stay, turnaround) stay. Restricted three-digit ZIP areas (hdp/data/safe_harbor_zip3.csv, "
        f"HHS OCR de-identification guidance, 2000 Census): {', '.join(restricted_zip3())}.",
        "",
        "## Datasets (restricted zone)",
        "",
        "Bronze holds the source columns as text plus the pipeline's metadata; silver the typed columns; "
        "quarantine the held rows of each dataset. `hdp inspect` shows what the last column says unless "
        "`--unmask` is given (and audited).",
        "",
    ]
    for ds in C.DATASETS:
        bronze = [c for c in s.bronze[ds.name] if c not in meta]
        silver = s.silver[ds.name]
        columns = list(dict.fromkeys([*bronze, *silver]))
        out += [
            f"### `{ds.name}` ({ds.source}: `{ds.source_ref}`)",
            "",
            _row("column", "bronze", "silver", "class", "meaning", "`hdp inspect`"),
            _row("---", "---", "---", "---", "---", "---"),
        ]
        for name in columns:
            col = C.column(ds.name, name)
            out.append(
                _row(
                    f"`{name}`",
                    "yes" if name in bronze else "",
                    "yes" if name in silver else "",
                    col.cls,
                    col.meaning,
                    _INSPECT[col.masking],
                )
            )
        out.append("")
    out += [
        "### Pipeline metadata (bronze of every dataset) and quarantine tables",
        "",
        _row("column", "where", "class", "meaning", "`hdp inspect`"),
        _row("---", "---", "---", "---", "---"),
    ]
    for name in meta:
        col = C.column("bronze", name)
        out.append(_row(f"`{name}`", "bronze", col.cls, col.meaning, _INSPECT[col.masking]))
    for name in C.QUARANTINE_COLUMNS:
        col = C.column("quarantine", name)
        shown = "each field masked by its own class" if name == "record" else _INSPECT[col.masking]
        out.append(_row(f"`{name}`", "quarantine", col.cls, col.meaning, shown))
    out += [
        "",
        "## Gold tables (gold and the warehouse: limited data set)",
        "",
    ]
    for table in C.GOLD_TABLES:
        exported = table.name in C.SAFE_HARBOR_TABLES
        out += [
            f"### `{table.name}`: {table.description}",
            "",
            _row("column", "class", "meaning", "Safe-Harbor export"),
            _row("---", "---", "---", "---"),
        ]
        rules = dict(
            (src, (dst, rule)) for dst, src, rule in safe_harbor_columns(table.name, s.gold[table.name])
        )
        for name in s.gold[table.name]:
            col = C.column(table.name, name)
            if not exported:
                shown = "table not exported"
            else:
                dst, rule = rules.get(name, ("", C.DROP))
                shown = C.SAFE_HARBOR_RULES[rule] + (f": `{dst}`" if rule == C.YEAR else "")
            out.append(_row(f"`{name}`", col.cls, col.meaning, shown))
        out.append("")
    out += [
        "## Audit",
        "",
        "Every stage run (started, then succeeded or failed) and every read of restricted or gold data through "
        "the CLI (`hdp inspect`, `hdp export`) is an audit event: one JSON line in the lake's audit area "
        "(`HDP_LAKE_AUDIT`, default `<control>/audit/date=YYYY-MM-DD/`, one new file per event, never "
        "rewritten) and on stdout for the cluster's log shipping. An event says who (OS user, service "
        "account, host), what (action, command, batches, each table read or written with its zone and row "
        "count), when and the outcome (exception type and exit code on failure). It holds no PHI value: no "
        "row, no identifier, no filter text, no error message. The warehouse logs its own statements: "
        "`log_statement = 'all'` on the local PostgreSQL warehouse database (it holds the gold schema only); "
        "on Redshift, `enable_user_activity_logging` with connection, user and user-activity logs exported "
        "to CloudWatch Logs (terraform/modules/warehouse).",
        "",
    ]
    return "\n".join(out)


_INSPECT = {C.SHOW: "shown", C.HIDE: "`***`", C.MASK_YEAR: "year only", C.MASK_ZIP3: "three-digit ZIP"}


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from hdp.config import Settings
    from hdp.spark import build_session

    spark = build_session(Settings(spark_master="local[1]", spark_shuffle_partitions=1), "hdp-privacy-doc")
    try:
        text = render(schemas(spark))
    finally:
        spark.stop()
    if "--write" in args:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
        print(f"wrote {DOC}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
