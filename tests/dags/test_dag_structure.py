"""The DAGs' shape in both modes: tasks and their order, the timetable and its data interval, catchup, one
run at a time, retries, timeouts, callbacks, the deadline; and what the settings file is allowed to say."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pendulum
import pytest
import yaml
from airflow.sdk import CronDataIntervalTimetable, DeadlineReference, Param
from airflow.sdk.definitions.param import ParamValidationError
from hdp_dags import alerts, tasks

from tests.dags.conftest import DAGS
from tests.dags.dagbag import load_dags
from tests.dags.submission import run_context

MODES = ("local", "kubernetes")


def T(hour: int):  # noqa: N802 - reads like the hours it names: T(2) is 2026-11-20 02:00 UTC
    return pendulum.datetime(2026, 11, 20, hour, tz="UTC")


def arguments(task, mode: str) -> list[str]:
    return task.template_spec["spec"]["arguments"] if mode == "kubernetes" else task.arguments


def edges(dag) -> set[tuple[str, str]]:
    return {(t.task_id, d) for t in dag.tasks for d in t.downstream_task_ids}


@pytest.mark.parametrize("mode", MODES)
def test_hourly_dag_runs_the_stages_in_order_one_hour_at_a_time(dags, mode):
    dag = dags(mode=mode)["hdp_hourly"]
    assert edges(dag) == {("extract", "silver"), ("silver", "gold"), ("gold", "warehouse")}
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert (dag.timetable.expression, str(dag.timetable.timezone)) == ("0 * * * *", "UTC")
    assert dag.catchup is True and dag.max_active_runs == 1
    assert dag.start_date == datetime(2026, 12, 1, tzinfo=timezone.utc)  # startDate of platform.yaml


@pytest.mark.parametrize("mode", MODES)
def test_the_run_for_two_to_three_processes_batch_t02(dags, mode):
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import DataInterval, TimeRestriction

    dag = dags(mode=mode)["hdp_hourly"]
    timetable = coerce_to_core_timetable(dag.timetable)
    scheduled = timetable.next_dagrun_info(
        last_automated_data_interval=DataInterval(T(1), T(2)),
        restriction=TimeRestriction(earliest=T(0), latest=None, catchup=True),
    )
    assert (scheduled.data_interval.start, scheduled.data_interval.end, scheduled.run_after) == (
        T(2),
        T(3),
        T(3),
    )
    # a manual run (dag.test, `airflow dags test`) at 03:00 covers the hour before it
    assert timetable.infer_manual_data_interval(run_after=T(3)) == DataInterval(T(2), T(3))
    for task in dag.tasks:
        task.render_template_fields(run_context(task, data_interval_start=scheduled.data_interval.start))
        assert arguments(task, mode) == [task.task_id, "--batch", "2026-11-20T02"]


@pytest.mark.parametrize("mode", MODES)
def test_reprocessing_dag_runs_a_range_as_one_job_per_workload(dags, mode):
    dag = dags(mode=mode)["hdp_reprocess"]
    assert type(dag.timetable).__name__ == "NullTimetable"  # schedule=None: on demand only
    assert edges(dag) == {("extract", "transform"), ("transform", "warehouse")}
    assert dag.max_active_runs == 1 and dag.catchup is False
    assert set(dag.params) == {"start", "end"}
    context = {"start": "2026-11-18T00", "end": "2026-11-19T23"}
    for task in dag.tasks:
        task.render_template_fields(run_context(task, params=context))
    hours = ["--from", "2026-11-18T00", "--to", "2026-11-19T23"]
    assert [arguments(t, mode) for t in dag.tasks] == [
        ["extract", *hours],
        ["run", "--stages", "silver,gold", *hours],
        ["warehouse", *hours],
    ]


def test_reprocessing_params_accept_batch_ids_only(dags):
    start = dags()["hdp_reprocess"].params.get_param("start")
    assert Param(**start.dump() | {"default": None}).resolve("2026-11-18T00") == "2026-11-18T00"
    for bad in ("2026-11-18", "2026-11-18T00:00", "yesterday"):
        with pytest.raises(ParamValidationError):
            Param(**start.dump() | {"default": None}).resolve(bad)


@pytest.mark.parametrize("mode", MODES)
def test_every_task_retries_in_airflow_with_a_timeout_and_reports_its_failure(dags, mode):
    for dag in dags(mode=mode).values():
        for task in dag.tasks:
            assert task.retries == tasks.RETRIES and task.retry_delay == tasks.RETRY_DELAY, task
            assert task.execution_timeout is not None and task.execution_timeout <= timedelta(hours=7), task
            assert alerts.task_failed in task.on_failure_callback, task
            assert task.depends_on_past is False


@pytest.mark.parametrize("mode", MODES)
def test_an_hourly_run_has_a_deadline_alert(dags, mode):
    (deadline,) = dags(mode=mode)["hdp_hourly"].deadline
    assert deadline.reference == DeadlineReference.DAGRUN_QUEUED_AT
    assert deadline.interval == tasks.RUN_DEADLINE < timedelta(hours=1)
    assert deadline.callback.path == "hdp_dags.alerts.run_overdue"
    assert deadline.callback.kwargs == ({"namespace": "hdp"} if mode == "kubernetes" else {})


def test_local_mode_runs_the_configured_cli(dags):
    dag = dags(mode="local", hdpExecutable="/opt/hdp/bin/hdp", envFile="/srv/hdp.env")["hdp_hourly"]
    silver = dag.task_dict["silver"]
    silver.render_template_fields(run_context(silver, data_interval_start=T(2)))
    assert silver.command == [
        "/opt/hdp/bin/hdp",
        "--env-file",
        "/srv/hdp.env",
        "silver",
        "--batch",
        "2026-11-20T02",
    ]


def settings_with(tmp_path, change) -> str:
    """Import errors of the DAGs when platform.yaml is changed by `change(settings)`."""
    settings = yaml.safe_load((DAGS / "platform.yaml").read_text())
    change(settings)
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["image"].update(tag="latest"), "image.tag is 'latest'"),
        (lambda s: s["image"].update(tag=""), "image.tag is ''"),
        (lambda s: s.pop("namespace"), "'namespace' is a required property"),
        (lambda s: s.update(mode="kube"), "mode: 'kube' is not one of"),
        (
            lambda s: s["scheduling"]["executor"].update(tolerations=[{"key": "x"}]),
            "scheduling.executor.tolerations.0",
        ),
        (lambda s: s.update(eventLogDir="s3://bucket/events"), "eventLogDir"),
        (lambda s: s.update(sparkConf={}), "'sparkConf' was unexpected"),
    ],
)
def test_bad_settings_fail_parsing_with_a_message_naming_the_key(tmp_path, monkeypatch, change, message):
    monkeypatch.setenv("HDP_DAG_CONFIG", str(settings_with(tmp_path, change)))
    errors = load_dags().import_errors
    assert set(errors) == {"hdp_hourly.py", "hdp_reprocess.py"}
    for error in errors.values():
        assert message in error and "platform.yaml" in error, error


def test_a_missing_settings_file_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("HDP_DAG_CONFIG", str(tmp_path / "absent.yaml"))
    (error, *_) = load_dags().import_errors.values()
    assert "absent.yaml (set by HDP_DAG_CONFIG)" in error
