"""The one settings object. Every stage receives it; nothing else in the package reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from urllib.parse import urlsplit

from hdp.errors import BadConfiguration

ENV_PREFIX = "HDP_"
LAYERS = ("landing", "bronze", "silver", "gold", "quarantine", "control")
DIALECTS = ("postgres", "redshift")
S3_CREDENTIALS = ("default", "env", "irsa")


class ConfigError(BadConfiguration, ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


class Secret(str):
    """A string that never shows itself in logs, reprs or tracebacks."""

    def __repr__(self) -> str:
        return "Secret('***')" if self else "Secret('')"


def redact_dsn(dsn: str) -> str:
    """A connection string fit for logs: the password replaced by ***."""
    parts = urlsplit(dsn)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return dsn


def read_env_file(path) -> dict[str, str]:
    """The variables of a shell env file such as `.demo/hdp.env` (`export KEY=value` lines, comments)."""
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"--env-file {path} does not exist (is the demo running?)")
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip().removeprefix("export ")
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    return env


@dataclass(frozen=True)
class Settings:
    """Where data comes from and goes to. Read from HDP_* environment variables (see `describe()`)."""

    lake_root: str = field(
        default="file:///tmp/hdp-lake", metadata={"help": "lake root URI (file:// or s3a://)"}
    )
    lake_layers: Mapping[str, str] = field(
        default_factory=dict,
        metadata={"help": "per-layer URI overrides, e.g. HDP_LAKE_BRONZE=s3a://x-bronze"},
    )
    source_dsn: Secret = field(default=Secret(""), metadata={"help": "PostgreSQL DSN of the hospital's EHR"})
    pharmacy_url: str = field(default="", metadata={"help": "base URL of the pharmacy REST API"})
    pharmacy_token: Secret = field(default=Secret(""), metadata={"help": "bearer token for the pharmacy API"})
    warehouse_dsn: Secret = field(
        default=Secret(""), metadata={"help": "warehouse DSN (PostgreSQL or Redshift)"}
    )
    warehouse_dialect: str = field(default="postgres", metadata={"help": "postgres | redshift"})
    redshift_iam_role: str = field(default="", metadata={"help": "IAM role ARN Redshift uses for COPY"})
    warehouse_schema: str = field(
        default="gold", metadata={"help": "warehouse schema the gold tables land in"}
    )
    pseudonym_key: Secret = field(
        default=Secret(""),
        metadata={"help": "secret key for the keyed hash behind patient_key (>= 16 chars)"},
    )
    spark_master: str = field(
        default="local[2]",
        metadata={"help": "Spark master for local runs (spark-submit's wins on Kubernetes)"},
    )
    spark_shuffle_partitions: int = field(default=4, metadata={"help": "spark.sql.shuffle.partitions"})
    pharmacy_page_size: int = field(default=200, metadata={"help": "records per pharmacy API page"})
    http_retries: int = field(default=6, metadata={"help": "retries for the pharmacy API (429/5xx)"})
    extract_lookback_minutes: int = field(
        default=60,
        metadata={"help": "re-read this far behind each batch start (late commits, clock skew)"},
    )
    park_hours: int = field(
        default=48,
        metadata={"help": "how long rows that may become valid (e.g. a vital before its stay) stay parked"},
    )
    lease_seconds: int = field(
        default=900, metadata={"help": "a run's lease on the lake lapses this long after its last renewal"}
    )
    labs_settle_seconds: int = field(
        default=120,
        metadata={"help": "a lab file is taken once unchanged for this long (still being written)"},
    )
    history_days: int = field(
        default=30, metadata={"help": "Delta history kept for time travel and audit (VACUUM keeps it)"}
    )
    metrics_pushgateway: str = field(
        default="",
        metadata={
            "help": "Prometheus Pushgateway URL; `hdp run` pushes the pipeline metrics there at its end"
        },
    )
    s3_endpoint: str = field(default="", metadata={"help": "S3 endpoint for s3a:// (empty on AWS)"})
    s3_region: str = field(default="us-east-1", metadata={"help": "S3 region of the lake buckets"})
    s3_path_style: bool = field(default=False, metadata={"help": "path-style S3 URLs (MinIO, local S3)"})
    s3_credentials: str = field(
        default="default", metadata={"help": "s3a credentials: default | env | irsa (EKS web identity)"}
    )

    def __post_init__(self) -> None:
        if self.warehouse_dialect not in DIALECTS:
            raise ConfigError(
                f"HDP_WAREHOUSE_DIALECT={self.warehouse_dialect!r} is not supported: use one of {', '.join(DIALECTS)}"
            )
        unknown = set(self.lake_layers) - set(LAYERS)
        if unknown:
            raise ConfigError(f"unknown lake layer(s) {sorted(unknown)}: layers are {', '.join(LAYERS)}")
        scheme = urlsplit(self.lake_root).scheme
        if scheme not in ("file", "s3a", "s3"):
            raise ConfigError(
                f"HDP_LAKE_ROOT={self.lake_root!r} must be a file:// or s3a:// URI, e.g. file:///var/lib/hdp/lake"
            )
        if self.s3_credentials not in S3_CREDENTIALS:
            raise ConfigError(
                f"HDP_S3_CREDENTIALS={self.s3_credentials!r}: use one of {', '.join(S3_CREDENTIALS)}"
            )
        for name in ("extract_lookback_minutes", "park_hours", "lease_seconds", "labs_settle_seconds"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{ENV_PREFIX}{name.upper()} must not be negative")
        if self.pseudonym_key and len(self.pseudonym_key) < 16:
            raise ConfigError("HDP_PSEUDONYM_KEY is too short: use at least 16 random characters")

    def layer(self, name: str) -> str:
        """URI of a lake layer: an explicit override, else a folder under the lake root."""
        if name not in LAYERS:
            raise KeyError(name)
        return self.lake_layers.get(name) or f"{self.lake_root.rstrip('/')}/{name}"

    def require(self, *names: str) -> None:
        """Fail with the settings a stage needs but did not get."""
        missing = [n for n in names if not getattr(self, n)]
        if missing:
            hint = ", ".join(ENV_PREFIX + n.upper() for n in missing)
            raise ConfigError(f"missing setting(s): {hint}. Set them in the environment (see `hdp config`).")

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            if f.name == "lake_layers":
                continue
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            if f.type in ("int", int):
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise ConfigError(f"{ENV_PREFIX}{f.name.upper()}={raw!r} is not a whole number") from None
            elif f.type in ("bool", bool):
                if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ConfigError(f"{ENV_PREFIX}{f.name.upper()}={raw!r} is not true or false")
                values[f.name] = raw.lower() in ("true", "1", "yes")
            elif f.type == "Secret":
                values[f.name] = Secret(raw)
            else:
                values[f.name] = raw
        values["lake_layers"] = {
            layer: env[f"{ENV_PREFIX}LAKE_{layer.upper()}"]
            for layer in LAYERS
            if env.get(f"{ENV_PREFIX}LAKE_{layer.upper()}")
        }
        values.update(
            {
                k: (Secret(v) if isinstance(v, str) and k in _SECRETS else v)
                for k, v in overrides.items()
                if v is not None
            }
        )
        return cls(**values)

    def describe(self) -> list[tuple[str, str, str]]:
        """(variable, value with secrets hidden, help) for every setting."""
        rows = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRETS:
                shown = redact_dsn(value) if f.name.endswith("_dsn") else ("***" if value else "")
            else:
                shown = str(dict(value)) if isinstance(value, Mapping) else str(value)
            rows.append((ENV_PREFIX + f.name.upper(), shown, f.metadata.get("help", "")))
        return rows


_SECRETS = {f.name for f in fields(Settings) if f.type == "Secret"}
