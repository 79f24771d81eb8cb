"""How the tasks submit and run their jobs: SparkKubernetesOperator's arguments, exit codes turned into
retry decisions (the same in both modes), and what a failure and an overdue run report."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pendulum
import pytest
from airflow.providers.cncf.kubernetes.operators.spark_kubernetes import SparkKubernetesOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from hdp_dags import alerts, exit_codes
from hdp_dags.local_cli import HdpCliOperator
from kubernetes.client import models as k8s

from tests.dags.submission import FakeKubernetes, run_context, submit

HOUR = pendulum.datetime(2026, 11, 20, 2, tz="UTC")


def kubernetes_tasks(dags, **settings):
    return [task for dag in dags(mode="kubernetes", **settings).values() for task in dag.tasks]


def test_spark_applications_are_submitted_the_safe_way(dags):
    for task in kubernetes_tasks(dags, startupTimeoutSeconds=900):
        assert isinstance(task, SparkKubernetesOperator), task
        assert task.random_name_suffix is True  # a retry never meets a leftover application (409)
        assert (
            task.get_logs is True and task.delete_on_termination is True and task.reattach_on_restart is True
        )
        assert task.do_xcom_push is False  # the driver has no XCom sidecar
        assert task.startup_timeout_seconds == 900
        assert task.kubernetes_conn_id == "kubernetes_default" and task.namespace == "hdp"
        assert task.application_file is None and task.template_spec["kind"] == "SparkApplication"
        assert "kubernetes" not in task.template_body  # it would overwrite driver and executor placement
        assert task.execution_timeout > timedelta(seconds=900)  # the work plus the start-up allowance


def test_each_try_names_its_application_after_the_run_with_a_fresh_suffix(dags):
    names = set()
    for _ in range(3):  # every try parses the DAG afresh in its own process
        task = kubernetes_tasks(dags)[0]
        names.add(submit(task, run_context(task, data_interval_start=HOUR))["metadata"]["name"])
    assert len(names) == 3 and all(n.startswith("hdp-extract-2026-11-20t02-") and len(n) == 34 for n in names)


@pytest.mark.parametrize(
    ("code", "retried"),
    [(75, True), (1, True), (-9, True), (None, True), (64, False), (65, False), (66, False), (78, False)],
)
def test_exit_codes_decide_retries(code, retried):
    failure = exit_codes.failure(code, "`hdp silver --batch 2026-11-20T02`")
    assert isinstance(failure, AirflowException)
    assert isinstance(failure, AirflowFailException) is not retried
    assert "hdp silver" in str(failure)


@pytest.fixture
def fake_hdp(tmp_path):
    """An `hdp` stand-in that prints its arguments and exits with $FAKE_HDP_EXIT."""
    script = tmp_path / "hdp"
    script.write_text('#!/bin/sh\necho "hdp called with: $*"\nexit "${FAKE_HDP_EXIT:-0}"\n')
    script.chmod(0o755)
    return script


def local_task(executable, env_file=""):
    return HdpCliOperator(
        task_id="silver",
        arguments=["silver", "--batch", "2026-11-20T02"],
        executable=str(executable),
        env_file=env_file,
    )


def test_local_mode_streams_the_cli_output_and_passes_the_env_file(fake_hdp, capfd, monkeypatch):
    monkeypatch.setenv("FAKE_HDP_EXIT", "0")
    local_task(fake_hdp, env_file="/srv/hdp.env").execute({})
    # the task logger (structlog) writes to the process's stdout, where a real run's task log is collected
    assert "hdp called with: --env-file /srv/hdp.env silver --batch 2026-11-20T02" in capfd.readouterr().out


@pytest.mark.parametrize(("code", "retried"), [(75, True), (65, False), (66, False)])
def test_local_mode_turns_the_exit_code_into_the_retry_decision(fake_hdp, monkeypatch, code, retried):
    monkeypatch.setenv("FAKE_HDP_EXIT", str(code))
    with pytest.raises(AirflowException) as failed:
        local_task(fake_hdp).execute({})
    assert isinstance(failed.value, AirflowFailException) is not retried
    assert f"exited {code}" in str(failed.value)


def test_local_mode_without_the_cli_fails_at_once_naming_the_setting(tmp_path):
    with pytest.raises(AirflowFailException, match="hdpExecutable"):
        local_task(tmp_path / "no-such-hdp").execute({})


def driver_pod(phase: str, exit_code: int | None) -> k8s.V1Pod:
    state = k8s.V1ContainerState(
        terminated=k8s.V1ContainerStateTerminated(exit_code=exit_code) if exit_code is not None else None
    )
    status = k8s.V1ContainerStatus(
        name="spark-kubernetes-driver",
        image="hdp-spark-job:0.1.0",
        image_id="",
        ready=False,
        restart_count=0,
        state=state,
    )
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(
            name="hdp-silver-2026-11-20t02-abcd1234-driver", namespace="hdp", labels={}
        ),
        spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="spark-kubernetes-driver")]),
        status=k8s.V1PodStatus(phase=phase, container_statuses=[status]),
    )


@pytest.mark.parametrize(("code", "retried"), [(75, True), (1, True), (65, False), (78, False)])
def test_kubernetes_mode_turns_the_drivers_exit_code_into_the_retry_decision(
    dags, monkeypatch, code, retried
):
    task = next(t for t in kubernetes_tasks(dags) if t.task_id == "silver")
    task.name = "hdp-silver-2026-11-20t02-abcd1234"
    # what cleanup() does besides deciding: label and delete the pod through the Kubernetes API
    monkeypatch.setattr(task, "patch_already_checked", lambda *a, **k: None)
    monkeypatch.setattr(task, "process_pod_deletion", lambda *a, **k: None)
    failed_pod, succeeded_pod = driver_pod("Failed", code), driver_pod("Succeeded", 0)
    task.__dict__["client"] = FakeKubernetes(failed_pod)
    with pytest.raises(AirflowException) as failed:
        task.cleanup(failed_pod, failed_pod)
    assert isinstance(failed.value, AirflowFailException) is not retried
    assert f"SparkApplication {task.name} (namespace hdp) exited {code}" in str(failed.value)
    task.__dict__.pop("pod_manager")
    task.__dict__["client"] = FakeKubernetes(succeeded_pod)
    task.cleanup(succeeded_pod, succeeded_pod)  # success stays success


def test_a_failed_spark_application_reports_batch_stage_name_and_logs(dags):
    task = next(t for t in kubernetes_tasks(dags) if t.task_id == "gold")
    context = run_context(task, data_interval_start=HOUR)
    name = submit(task, context)["metadata"]["name"]
    context["ti"].log_url = "http://airflow/dags/hdp_hourly/runs/r/tasks/gold"
    context["exception"] = exit_codes.failure(66, f"SparkApplication {name} (namespace hdp)")
    report = alerts.failure_report(context)
    for part in (
        "hdp_hourly: job gold failed for batch 2026-11-20T02",
        "exited 66",
        f"SparkApplication: {name} in namespace hdp",
        "hdp gold --batch 2026-11-20T02",
        context["ti"].log_url,
        f"kubectl -n hdp logs {name}-driver",
        "event log s3a://hdp-spark-logs/events/",
    ):
        assert part in report, (part, report)


def test_a_failed_local_task_reports_its_command_and_log(dags):
    dag = dags(mode="local", envFile="/srv/hdp.env")["hdp_reprocess"]
    task = dag.task_dict["transform"]
    context = run_context(task, params={"start": "2026-11-18T00", "end": "2026-11-19T23"})
    task.render_template_fields(context)
    report = alerts.failure_report(context)
    assert "hdp_reprocess: job transform failed for batch 2026-11-18T00..2026-11-19T23" in report
    assert (
        "hdp --env-file /srv/hdp.env run --stages silver,gold --from 2026-11-18T00 --to 2026-11-19T23"
        in report
    )


def test_an_overdue_run_names_its_batch_and_where_to_look(caplog):
    context = {
        "dag_run": {"dag_id": "hdp_hourly", "run_id": "scheduled__2026-11-20T02:00:00+00:00", "state": "running",
                    "data_interval_start": "2026-11-20T02:00:00Z"},
        "deadline": {"id": "x", "deadline_time": "2026-11-20T03:50:00Z"},
    }  # fmt: skip
    with caplog.at_level(logging.ERROR):
        asyncio.run(alerts.run_overdue(context, namespace="hdp"))
    assert "run scheduled__2026-11-20T02:00:00+00:00 for batch 2026-11-20T02 is not finished" in caplog.text
    assert "kubectl -n hdp get sparkapplications" in caplog.text


def test_alerts_read_the_batch_from_the_command():
    assert alerts.batches(["gold", "--batch", "2026-11-20T02"]) == "2026-11-20T02"
    assert alerts.batches(["run", "--from", "A", "--to", "B"]) == "A..B"
    assert alerts.batches(["config"]) == "(none named)"
