"""The one settings object. Every stage receives it; nothing else in the package reads the environment.

Settings come from `HDP_<NAME>` variables, from the file a `HDP_<NAME>_FILE` variable names, or from a secrets
directory (`HDP_SECRETS_DIR`, one file per variable, as a mounted Kubernetes Secret lays them out). They are
read and typed by pydantic-settings; secret settings are `Secret`s, which never show themselves in logs,
reprs, f-strings, `hdp config` or error messages (`Secret.get_secret_value()` gives the value on purpose)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from hdp.errors import BadConfiguration

ENV_PREFIX = "HDP_"
FILE_SUFFIX = "_FILE"
# "audit" (append-only JSON lines of every stage run and restricted read) and "export" (Safe-Harbor extracts)
# default to folders under the control and gold layers; the others to folders under the lake root.
LAYERS = ("landing", "bronze", "silver", "gold", "quarantine", "control", "audit", "export")
LAYER_HOMES = {"audit": ("control", "audit"), "export": ("gold", "_exports")}
DIALECTS = ("postgres", "redshift")
S3_CREDENTIALS = ("default", "env", "irsa")
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
REDSHIFT_SSLMODES = ("verify-ca", "verify-full")  # what redshift_connector accepts (it always uses TLS)
REDACTED = "***"


class ConfigError(BadConfiguration, ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


class Secret(str):
    """A secret setting. It is a `str` for the libraries that take one (psycopg2 reads its characters, not
    its `str()`), and it never shows itself: `str()`, `repr()`, `format()`, f-strings and `%s` give `***`.
    `get_secret_value()` (pydantic's `SecretStr` API) gives the value, where code means to use it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Secret('{REDACTED}')" if self else "Secret('')"

    def __str__(self) -> str:
        return REDACTED if self else ""

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __reduce__(self):
        return (Secret, (self.get_secret_value(),))

    def get_secret_value(self) -> str:
        return str.__str__(self)  # a plain copy of the characters


def reveal(value: object) -> str:
    """The plain value of a `Secret` (or of pydantic's `SecretStr`); any other string as it is."""
    if hasattr(value, "get_secret_value"):
        return value.get_secret_value()
    return "" if value is None else str(value)


# ------------------------------------------------------------------------------------------- redaction

_KV_PASSWORD = re.compile(r"(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'][^\s]*)")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@?#]*:)([^\s/?#]*)(@)")
_QUERY_PASSWORD = re.compile(r"(?i)([?&](?:ssl)?password=)([^&\s#]*)")


def redact_dsn(dsn: object) -> str:
    """A connection string fit for logs, in either form libpq takes: `postgresql://user:***@host/db` and
    `host=db user=app password=***` (also `?password=***` in a URL, and `sslpassword`)."""
    text = reveal(dsn)
    if "://" in text:
        scheme, _, rest = text.partition("://")
        authority, sep, path = _split_authority(rest)
        userinfo, at, hostport = authority.rpartition("@")
        if at and ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            authority = f"{user}:{REDACTED}@{hostport}"
        text = f"{scheme}://{authority}{sep}{path}"
        return _QUERY_PASSWORD.sub(rf"\g<1>{REDACTED}", text)
    return _KV_PASSWORD.sub(rf"\g<1>{REDACTED}", text)


def _split_authority(rest: str) -> tuple[str, str, str]:
    """(authority, separator, the rest) of what follows `scheme://` (the authority ends at the last `@`'s
    host: a raw `@` or `/` in a password is taken as part of the password)."""
    at = rest.rfind("@")
    end = len(rest)
    for sep in "/?#":
        i = rest.find(sep, at + 1)
        if i != -1:
            end = min(end, i)
    return rest[:end], rest[end : end + 1], rest[end + 1 :]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every known secret value, and any password of a DSN in either form, replaced by ***."""
    for value in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    text = _URL_PASSWORD.sub(rf"\g<1>{REDACTED}\g<3>", text)
    text = _QUERY_PASSWORD.sub(rf"\g<1>{REDACTED}", text)
    return _KV_PASSWORD.sub(rf"\g<1>{REDACTED}", text)


class RedactingFilter(logging.Filter):
    """Redacts secrets from every record of the handlers it is attached to (the CLI attaches it to all)."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.secrets)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)), self.secrets)
            record.exc_info = None
        return True


def write_private(path: Path | str, text: str) -> None:
    """Write a file only its owner may read: mode 0600 from its creation (never readable by others in
    between, whatever the umask), and tightened before writing when it already existed."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            fd = -1
            out.write(text)
    finally:
        if fd != -1:
            os.close(fd)


# ------------------------------------------------------------------------------------------- TLS


def dsn_param(dsn: str, name: str) -> str | None:
    """A connection parameter of a DSN in either form (None when absent)."""
    if "://" in dsn:
        for key, value in parse_qsl(urlsplit(dsn).query, keep_blank_values=True):
            if key == name:
                return value
        return None
    import psycopg2.extensions

    try:
        return psycopg2.extensions.parse_dsn(dsn).get(name)
    except psycopg2.ProgrammingError:
        return None


def with_sslmode(dsn: str, mode: str, variable: str) -> str:
    """The DSN with `sslmode=mode` added; a DSN that names another sslmode is a configuration error."""
    if not dsn or not mode:
        return dsn
    current = dsn_param(dsn, "sslmode")
    if current is None:
        if "://" in dsn:
            return dsn + ("&" if urlsplit(dsn).query else "?") + f"sslmode={quote(mode)}"
        return f"{dsn} sslmode={mode}"
    if current != mode:
        raise ConfigError(
            f"{ENV_PREFIX}{variable.upper()} says sslmode={current} but {ENV_PREFIX}{variable.upper()[:-4]}"
            f"_SSLMODE={mode}: remove one of them"
        )
    return dsn


def redshift_connect_args(dsn: object, sslmode: str = "") -> dict:
    """Keyword arguments of `redshift_connector.connect` for a `redshift://user:password@host:5439/db` DSN:
    user, password and database percent-decoded (a password with `@`, `/` or `%` must be written encoded in
    a URL), always TLS, `sslmode` from the DSN's query, else the setting, else verify-full."""
    url = urlsplit(reveal(dsn))
    query = dict(parse_qsl(url.query))
    mode = query.get("sslmode") or sslmode or "verify-full"
    if mode not in REDSHIFT_SSLMODES:
        raise ConfigError(
            f"the Redshift connection takes sslmode {' or '.join(REDSHIFT_SSLMODES)}, not {mode}"
        )
    return {
        "host": url.hostname,
        "port": url.port or 5439,
        "database": unquote(url.path.lstrip("/")),
        "user": unquote(url.username or ""),
        "password": unquote(url.password or ""),
        "ssl": True,
        "sslmode": mode,
    }


def read_env_file(path) -> dict[str, str]:
    """The variables of a shell env file such as `.demo/hdp.env` (`export KEY=value` lines, shell quoting)."""
    from dotenv import dotenv_values

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"--env-file {path} does not exist (is the demo running?)")
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


# ------------------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """Where data comes from and goes to. Read from HDP_* environment variables or mounted files (see
    `describe()` and `from_env`)."""

    lake_root: str = field(
        default="file:///tmp/hdp-lake", metadata={"help": "lake root URI (file:// or s3a://)"}
    )
    lake_layers: Mapping[str, str] = field(
        default_factory=dict,
        metadata={"help": "per-layer URI overrides, e.g. HDP_LAKE_BRONZE=s3a://x-bronze"},
    )
    source_dsn: Secret = field(default=Secret(""), metadata={"help": "PostgreSQL DSN of the hospital's EHR"})
    source_sslmode: str = field(
        default="",
        metadata={"help": "libpq sslmode for the EHR (verify-full in production; empty: the DSN's own)"},
    )
    pharmacy_url: str = field(default="", metadata={"help": "base URL of the pharmacy REST API"})
    pharmacy_token: Secret = field(default=Secret(""), metadata={"help": "bearer token for the pharmacy API"})
    warehouse_dsn: Secret = field(
        default=Secret(""), metadata={"help": "warehouse DSN (PostgreSQL or Redshift)"}
    )
    warehouse_sslmode: str = field(
        default="",
        metadata={"help": "sslmode for the warehouse (verify-full in production; Redshift's default)"},
    )
    warehouse_dialect: str = field(default="postgres", metadata={"help": "postgres | redshift"})
    redshift_iam_role: str = field(default="", metadata={"help": "IAM role ARN Redshift uses for COPY"})
    warehouse_schema: str = field(
        default="gold", metadata={"help": "warehouse schema the gold tables land in"}
    )
    pseudonym_key: Secret = field(
        default=Secret(""),
        metadata={"help": "secret HMAC key behind patient_key and the other gold keys (>= 16 chars)"},
    )
    secrets_dir: str = field(
        default="",
        metadata={"help": "folder of mounted secret files, one per variable (e.g. HDP_SOURCE_DSN)"},
    )
    service_account: str = field(
        default="",
        metadata={"help": "the Kubernetes service account this job runs as (audit events name it)"},
    )
    audit_stdout: bool = field(
        default=True, metadata={"help": "also print audit events to stdout (JSON lines, for log shipping)"}
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
        for name in _SECRETS:  # whatever the caller passed (str, SecretStr, None): a Secret
            value = getattr(self, name)
            if type(value) is not Secret:
                object.__setattr__(self, name, Secret(reveal(value)))
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
        for name in ("source_sslmode", "warehouse_sslmode"):
            mode = getattr(self, name)
            if mode and mode not in SSLMODES:
                raise ConfigError(f"{ENV_PREFIX}{name.upper()}={mode!r}: use one of {', '.join(SSLMODES)}")
        if self.warehouse_dialect == "redshift":
            if self.warehouse_sslmode and self.warehouse_sslmode not in REDSHIFT_SSLMODES:
                raise ConfigError(
                    f"HDP_WAREHOUSE_SSLMODE={self.warehouse_sslmode!r}: Redshift takes "
                    f"{' or '.join(REDSHIFT_SSLMODES)}"
                )
        else:  # libpq reads sslmode from the DSN itself: the setting becomes part of it
            dsn = with_sslmode(reveal(self.warehouse_dsn), self.warehouse_sslmode, "warehouse_dsn")
            object.__setattr__(self, "warehouse_dsn", Secret(dsn))
        dsn = with_sslmode(reveal(self.source_dsn), self.source_sslmode, "source_dsn")
        object.__setattr__(self, "source_dsn", Secret(dsn))

    def layer(self, name: str) -> str:
        """URI of a lake layer: an explicit override, else a folder under the lake root (the audit area under
        the control layer, exports under the gold layer)."""
        if name not in LAYERS:
            raise KeyError(name)
        if self.lake_layers.get(name):
            return self.lake_layers[name]
        if name in LAYER_HOMES:
            parent, folder = LAYER_HOMES[name]
            return f"{self.layer(parent).rstrip('/')}/{folder}"
        return f"{self.lake_root.rstrip('/')}/{name}"

    def require(self, *names: str) -> None:
        """Fail with the settings a stage needs but did not get."""
        missing = [n for n in names if not getattr(self, n)]
        if missing:
            hint = ", ".join(ENV_PREFIX + n.upper() for n in missing)
            raise ConfigError(
                f"missing setting(s): {hint}. Set them in the environment, or in files named by "
                f"{ENV_PREFIX}<NAME>{FILE_SUFFIX} or HDP_SECRETS_DIR (see `hdp config`)."
            )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def secret_values(self) -> tuple[str, ...]:
        """Every secret value and the passwords inside the DSNs (as written and percent-decoded): what log
        and error redaction must never let through."""
        out: set[str] = set()
        for name in _SECRETS:
            value = reveal(getattr(self, name))
            if not value:
                continue
            out.add(value)
            if name.endswith("_dsn"):
                for part in (dsn_param(value, "password"), _url_password(value)):
                    if part:
                        out |= {part, unquote(part), quote(unquote(part), safe="")}
        return tuple(sorted(out))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from `HDP_*` variables of `environ` (default: the process environment), the files named
        by `HDP_<NAME>_FILE`, and the files of `HDP_SECRETS_DIR`; `overrides` win over all of them."""
        env = os.environ if environ is None else environ
        overrides = {k: v for k, v in overrides.items() if v is not None}
        secrets_dir = str(overrides.get("secrets_dir") or env.get(f"{ENV_PREFIX}SECRETS_DIR") or "")
        layers = dict(overrides.pop("lake_layers", None) or {})
        loaded = _load(env, secrets_dir, overrides)
        values = {k: v for k, v in loaded.items() if v is not None and not k.startswith("lake_")}
        if loaded.get("lake_root"):
            values["lake_root"] = loaded["lake_root"]
        values["lake_layers"] = {
            layer: loaded[f"lake_{layer}"] for layer in LAYERS if loaded.get(f"lake_{layer}")
        } | layers
        return cls(**values)

    def environ(self) -> dict[str, str]:
        """The `HDP_*` variables that recreate these settings in another process, secrets in clear: for a
        child process's environment or a 0600 file, never for a log. Unset settings are left out."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "lake_layers":
                out |= {f"{ENV_PREFIX}LAKE_{layer.upper()}": uri for layer, uri in value.items()}
            elif value not in ("", None):
                text = str(value).lower() if isinstance(value, bool) else reveal(value)
                out[ENV_PREFIX + f.name.upper()] = text
        return out

    def describe(self) -> list[tuple[str, str, str]]:
        """(variable, value with secrets hidden, help) for every setting."""
        rows = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRETS:
                shown = redact_dsn(value) if f.name.endswith("_dsn") else (REDACTED if value else "")
            else:
                shown = str(dict(value)) if isinstance(value, Mapping) else str(value)
            rows.append((ENV_PREFIX + f.name.upper(), shown, f.metadata.get("help", "")))
        return rows


_SECRETS = frozenset(f.name for f in fields(Settings) if f.type == "Secret")
_TYPES = {"int": int, "bool": bool, "str": str}


def _url_password(dsn: str) -> str:
    if "://" not in dsn:
        return ""
    authority = _split_authority(dsn.partition("://")[2])[0]
    userinfo, at, _ = authority.rpartition("@")
    return userinfo.split(":", 1)[1] if at and ":" in userinfo else ""


def _read_secret_file(path: str, variable: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{variable}={path}: cannot read it ({exc.strerror})") from None


def _load(environ: Mapping[str, str], secrets_dir: str, overrides: Mapping[str, object]) -> dict:
    """Every setting, typed by pydantic-settings from (highest first) `overrides`, the environment mapping
    (`HDP_<NAME>`, or the content of the file `HDP_<NAME>_FILE` names) and the secrets directory; None where
    none of them sets it."""
    from pydantic import SecretStr, ValidationError, create_model
    from pydantic_settings import (
        BaseSettings,
        PydanticBaseSettingsSource,
        SecretsSettingsSource,
        SettingsConfigDict,
    )

    class EnvironmentSource(PydanticBaseSettingsSource):
        """`HDP_<NAME>` from the mapping, or the content of the file named by `HDP_<NAME>_FILE`."""

        def get_field_value(self, field, field_name):  # noqa: ARG002 - all work is in __call__
            return None, field_name, False

        def __call__(self) -> dict[str, object]:
            out: dict[str, object] = {}
            for name in self.settings_cls.model_fields:
                variable = ENV_PREFIX + name.upper()
                value, path = environ.get(variable), environ.get(variable + FILE_SUFFIX)
                if value is not None and path:
                    raise ConfigError(f"set {variable} or {variable}{FILE_SUFFIX}, not both")
                if path:
                    out[name] = _read_secret_file(path, variable + FILE_SUFFIX)
                elif value is not None:
                    out[name] = value
            return out

    class Base(BaseSettings):
        model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, case_sensitive=False, extra="ignore")

        @classmethod
        def settings_customise_sources(
            cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
        ):
            sources = [init_settings, EnvironmentSource(settings_cls)]
            if secrets_dir:
                sources.append(SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir))
            return tuple(sources)

    if secrets_dir and not Path(secrets_dir).is_dir():
        raise ConfigError(f"HDP_SECRETS_DIR={secrets_dir} is not a folder (a mounted secret volume?)")
    spec: dict[str, tuple] = {}
    for f in fields(Settings):
        if f.name == "lake_layers":
            continue
        kind = SecretStr if f.type == "Secret" else _TYPES[f.type]
        spec[f.name] = (kind | None, None)
    for layer in LAYERS:
        spec[f"lake_{layer}"] = (str | None, None)
    model = create_model("HdpSettingsSources", __base__=Base, **spec)
    try:
        loaded = model(**overrides)
    except ValidationError as exc:
        raise ConfigError(_first_error(exc)) from None
    return {name: getattr(loaded, name) for name in spec}


def _first_error(exc) -> str:
    error = exc.errors(include_url=False)[0]
    name = str(error["loc"][0]) if error["loc"] else ""
    variable = ENV_PREFIX + name.upper()
    meaning = {
        "int_parsing": "is not a whole number",
        "int_from_float": "is not a whole number",
        "bool_parsing": "is not true or false",
    }.get(error["type"], error["msg"].lower())
    shown = "" if name in _SECRETS else f"={error.get('input')!r}"
    return f"{variable}{shown} {meaning}"
