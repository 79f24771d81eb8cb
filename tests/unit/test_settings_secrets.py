"""Secrets: read from the environment, from files (`HDP_<NAME>_FILE`, a secrets directory), never shown
(str, repr, f-strings, logs, `hdp config`, error messages, both DSN forms), 0600 from creation, sslmode."""

from __future__ import annotations

import logging
import os
import pickle
import re
import stat
from pathlib import Path

import psycopg2.extensions
import pytest

from hdp import cli
from hdp.config import (
    ConfigError,
    RedactingFilter,
    Secret,
    Settings,
    redact,
    redact_dsn,
    redshift_connect_args,
    write_private,
)

PASSWORD = "hunter2-Sup3r"
URL_DSN = f"postgresql://app:{PASSWORD}@db.example.org:5432/ehr"
KV_DSN = f"host=db.example.org port=5432 dbname=ehr user=app password={PASSWORD}"
TOKEN = "tok-0123456789abcdef"
KEY = "pseudonym-key-0123456789abcdef"


def test_secrets_come_from_variables_files_and_a_secrets_dir(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")  # a Kubernetes Secret file often ends with a newline
    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / "HDP_WAREHOUSE_DSN").write_text(KV_DSN)
    (folder / "HDP_PHARMACY_TOKEN").write_text("from-the-folder")
    s = Settings.from_env(
        {
            "HDP_SOURCE_DSN": URL_DSN,
            "HDP_PSEUDONYM_KEY_FILE": str(key_file),
            "HDP_SECRETS_DIR": str(folder),
            "HDP_PHARMACY_TOKEN": TOKEN,  # a variable wins over the folder
        }
    )
    assert s.source_dsn.get_secret_value() == URL_DSN
    assert s.pseudonym_key.get_secret_value() == KEY
    assert s.warehouse_dsn.get_secret_value() == KV_DSN
    assert s.pharmacy_token.get_secret_value() == TOKEN
    assert s.secrets_dir == str(folder)
    for name in ("source_dsn", "pseudonym_key", "warehouse_dsn", "pharmacy_token"):
        assert type(getattr(s, name)) is Secret


def test_file_settings_fail_clearly_and_never_quote_the_secret(tmp_path):
    with pytest.raises(ConfigError, match="HDP_PSEUDONYM_KEY or HDP_PSEUDONYM_KEY_FILE"):
        Settings.from_env({"HDP_PSEUDONYM_KEY": KEY, "HDP_PSEUDONYM_KEY_FILE": str(tmp_path / "k")})
    with pytest.raises(ConfigError, match="HDP_PSEUDONYM_KEY_FILE=.*cannot read"):
        Settings.from_env({"HDP_PSEUDONYM_KEY_FILE": str(tmp_path / "missing")})
    with pytest.raises(ConfigError, match="HDP_SECRETS_DIR=.*not a folder"):
        Settings.from_env({"HDP_SECRETS_DIR": str(tmp_path / "missing")})
    short = tmp_path / "short"
    short.write_text("tiny-secret")
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"HDP_PSEUDONYM_KEY_FILE": str(short)})
    assert "tiny-secret" not in str(err.value) and "too short" in str(err.value)
    with pytest.raises(ConfigError, match="HDP_HTTP_RETRIES='many' is not a whole number"):
        Settings.from_env({"HDP_HTTP_RETRIES": "many"})
    with pytest.raises(ConfigError, match="HDP_S3_PATH_STYLE='maybe' is not true or false"):
        Settings.from_env({"HDP_S3_PATH_STYLE": "maybe"})


def test_a_secret_never_shows_itself():
    s = Settings(source_dsn=URL_DSN, warehouse_dsn=KV_DSN, pharmacy_token=TOKEN, pseudonym_key=KEY)
    token = s.pharmacy_token
    shown = [str(token), repr(token), f"{token}", f"{token:>30}", repr(s)]
    shown += ["%s" % token, "{}".format(token)]  # noqa: UP031, UP032 - the old forms must hide it too
    shown += [" ".join(row) for row in s.describe()]
    for text in shown:
        for secret in (PASSWORD, TOKEN, KEY):
            assert secret not in text, text
    assert token.get_secret_value() == TOKEN and isinstance(token, str)
    assert pickle.loads(pickle.dumps(token)).get_secret_value() == TOKEN  # copies keep the value
    described = dict((name, value) for name, value, _ in s.describe())
    assert described["HDP_SOURCE_DSN"] == "postgresql://app:***@db.example.org:5432/ehr"
    assert described["HDP_WAREHOUSE_DSN"] == "host=db.example.org port=5432 dbname=ehr user=app password=***"
    assert described["HDP_PSEUDONYM_KEY"] == "***"
    # the libraries that take the value as a str still get it
    assert psycopg2.extensions.parse_dsn(s.warehouse_dsn)["password"] == PASSWORD


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://app:hunter2@db/ehr", "postgresql://app:***@db/ehr"),
        (
            "postgresql://app:p%40ss%2Fw@db:5432/ehr?sslmode=verify-full",
            "postgresql://app:***@db:5432/ehr?sslmode=verify-full",
        ),
        ("postgresql://app:p@ss@db/ehr", "postgresql://app:***@db/ehr"),  # a raw @ in the password
        ("postgresql://db/ehr?user=app&password=hunter2", "postgresql://db/ehr?user=app&password=***"),
        (
            "redshift://loader:hunter2@c.abc.eu-west-1.redshift.amazonaws.com:5439/hdp",
            "redshift://loader:***@c.abc.eu-west-1.redshift.amazonaws.com:5439/hdp",
        ),
        ("host=db user=app password=hunter2 dbname=ehr", "host=db user=app password=*** dbname=ehr"),
        ("host=db password='hun ter\\'2' dbname=ehr", "host=db password=*** dbname=ehr"),
        ("host=db password = hunter2 sslpassword=key-pass", "host=db password = *** sslpassword=***"),
        ("postgresql://app@db/ehr", "postgresql://app@db/ehr"),
    ],
)
def test_redact_dsn_in_both_forms(dsn, shown):
    assert redact_dsn(dsn) == shown
    assert "hunter2" not in redact(f"connecting with {dsn} failed")


def test_redaction_of_free_text_knows_the_settings_secrets():
    s = Settings(source_dsn="postgresql://app:p%40ss-w0rd@db/ehr", pharmacy_token=TOKEN, pseudonym_key=KEY)
    text = f"user said p@ss-w0rd, p%40ss-w0rd, {TOKEN} and {KEY}"
    clean = redact(text, s.secret_values())
    for secret in ("p@ss-w0rd", "p%40ss-w0rd", TOKEN, KEY):
        assert secret not in clean


def test_log_records_are_redacted(caplog):
    logger = logging.getLogger("hdp.test.redaction")
    redaction = RedactingFilter((TOKEN,))
    caplog.handler.addFilter(redaction)
    try:
        logger.warning("token %s and dsn %s", TOKEN, KV_DSN)
        try:
            raise RuntimeError(f"connect to {URL_DSN}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        caplog.handler.removeFilter(redaction)
    assert TOKEN not in caplog.text and PASSWORD not in caplog.text
    assert "password=***" in caplog.text


def test_cli_config_and_errors_never_show_a_secret(monkeypatch, capsys):
    monkeypatch.setenv("HDP_SOURCE_DSN", URL_DSN)
    monkeypatch.setenv("HDP_WAREHOUSE_DSN", KV_DSN)
    monkeypatch.setenv("HDP_PHARMACY_TOKEN", TOKEN)
    monkeypatch.setenv("HDP_PSEUDONYM_KEY", KEY)
    assert cli.main(["config"]) == 0
    out = capsys.readouterr().out
    assert "HDP_WAREHOUSE_DSN" in out and "password=***" in out
    for secret in (PASSWORD, TOKEN, KEY):
        assert secret not in out

    def fail(message, kind):
        def dispatch(args, console, out):
            raise kind(message)

        return dispatch

    # an expected failure (one line) and a bug (a traceback): both redacted
    monkeypatch.setattr(cli, "_dispatch", fail(f"cannot use {KV_DSN}", ValueError))
    assert cli.main(["config"]) == 64
    monkeypatch.setattr(cli, "_dispatch", fail(f"bug near {URL_DSN} with {TOKEN}", RuntimeError))
    assert cli.main(["config"]) == 1
    err = capsys.readouterr().err
    assert "cannot use" in err and "Traceback" in err and "bug near" in err
    assert PASSWORD not in err


def test_private_files_are_0600_from_their_creation(tmp_path, monkeypatch):
    """With a wide-open umask and every chmod disabled, a new file must still be 0600: a write followed by a
    chmod would leave it readable by everyone in between."""
    from hdp import demo

    existing = tmp_path / "was-open"
    existing.write_text("old")
    existing.chmod(0o644)
    write_private(existing, "new")  # one that existed is tightened before anything is written
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600 and existing.read_text() == "new"

    for name in ("chmod", "fchmod", "lchmod"):
        monkeypatch.setattr(os, name, lambda *a, **k: None, raising=False)
    monkeypatch.setattr(Path, "chmod", lambda *a, **k: None)
    old = os.umask(0)
    try:
        write_private(tmp_path / "secret.txt", "x")
        settings = Settings(source_dsn=URL_DSN, pharmacy_token=TOKEN, pseudonym_key=KEY)
        demo._write_env(tmp_path / "hdp.env", settings)
    finally:
        os.umask(old)
    for name in ("secret.txt", "hdp.env"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    env = (tmp_path / "hdp.env").read_text()
    assert f"export HDP_PSEUDONYM_KEY={KEY}" in env and f"export HDP_SOURCE_DSN={URL_DSN}" in env


def test_sslmode_joins_both_dsn_forms_and_conflicts_are_refused():
    s = Settings(
        source_dsn="postgresql://app:pw@db/ehr",
        source_sslmode="verify-full",
        warehouse_dsn="host=wh dbname=w user=u password=pw",
        warehouse_sslmode="require",
    )
    assert psycopg2.extensions.parse_dsn(s.source_dsn.get_secret_value())["sslmode"] == "verify-full"
    assert psycopg2.extensions.parse_dsn(s.warehouse_dsn.get_secret_value())["sslmode"] == "require"
    assert s.with_overrides(http_retries=1).source_dsn.get_secret_value() == s.source_dsn.get_secret_value()
    with pytest.raises(ConfigError, match="sslmode=disable but HDP_SOURCE_SSLMODE=verify-full"):
        Settings(source_dsn="postgresql://a:b@db/e?sslmode=disable", source_sslmode="verify-full")
    with pytest.raises(ConfigError, match="HDP_WAREHOUSE_SSLMODE='strict'"):
        Settings(warehouse_sslmode="strict")
    with pytest.raises(ConfigError, match="Redshift takes verify-ca or verify-full"):
        Settings(warehouse_dialect="redshift", warehouse_sslmode="require")


def test_redshift_connection_arguments_decode_the_url():
    args = redshift_connect_args(
        Secret("redshift://hdp%5Floader:p%40ss%2Fw%25rd@c.abc.eu-west-1.redshift.amazonaws.com:5439/hdp")
    )
    assert args == {
        "host": "c.abc.eu-west-1.redshift.amazonaws.com",
        "port": 5439,
        "database": "hdp",
        "user": "hdp_loader",
        "password": "p@ss/w%rd",
        "ssl": True,
        "sslmode": "verify-full",
    }
    assert redshift_connect_args("redshift://u:p@h/db?sslmode=verify-ca")["sslmode"] == "verify-ca"
    assert redshift_connect_args("redshift://u:p@h/db", "verify-ca")["sslmode"] == "verify-ca"


def test_spark_redacts_our_secret_setting_names():
    from hdp.spark import PLAN_REDACTION_REGEX, REDACTION_REGEX

    names = [f"HDP_{f.upper()}" for f in ("source_dsn", "warehouse_dsn", "pharmacy_token", "pseudonym_key")]
    for name in names:
        for key in (name, f"spark.executorEnv.{name}", f"spark.kubernetes.driverEnv.{name}"):
            assert re.search(REDACTION_REGEX, key), key
    for key in ("spark.sql.shuffle.partitions", "spark.master", "HDP_LAKE_ROOT"):
        assert not re.search(REDACTION_REGEX, key), key
    plan = f"Relation[url={URL_DSN}, options=({KV_DSN})]"
    assert PASSWORD not in re.sub(PLAN_REDACTION_REGEX, "*********(redacted)", plan)


def test_settings_travel_to_a_child_process_whole_and_in_clear():
    # a child's environment built with str() carried "***" for every secret (the fault test's spawned run
    # refused its pseudonym key as too short)
    settings = Settings(
        lake_root="file:///tmp/lake",
        lake_layers={"gold": "file:///tmp/gold"},
        source_dsn="postgresql://hdp:s3cret-pw@127.0.0.1:5432/hospital",
        pharmacy_token="token-" + "x" * 20,
        pseudonym_key=KEY,
        audit_stdout=False,
        park_hours=12,
    )
    env = settings.environ()
    assert env["HDP_PSEUDONYM_KEY"] == KEY and env["HDP_AUDIT_STDOUT"] == "false"
    assert env["HDP_LAKE_GOLD"] == "file:///tmp/gold" and "HDP_WAREHOUSE_DSN" not in env
    assert Settings.from_env(env) == settings
