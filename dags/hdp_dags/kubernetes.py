"""Kubernetes mode: a job is a SparkApplication, submitted and watched by SparkKubernetesOperator.

Imported only in Kubernetes mode, so that local mode parses without the provider's Kubernetes client."""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.cncf.kubernetes.operators.spark_kubernetes import SparkKubernetesOperator
from airflow.sdk.exceptions import AirflowException

from hdp_dags import exit_codes, spark_application
from hdp_dags.jobs import Job


class HdpSparkApplicationOperator(SparkKubernetesOperator):
    """SparkKubernetesOperator whose failures carry the driver's exit code into Airflow's retry decision.

    spark-submit exits with the Python application's exit code, and the driver container with
    spark-submit's, so `hdp`'s 64/65/66/78 (do not retry) and 75 (retry later) reach the driver pod's
    status; exit_codes.py decides, as in local mode."""

    def cleanup(self, pod, remote_pod, xcom_result=None, context=None) -> None:
        try:
            super().cleanup(pod, remote_pod, xcom_result=xcom_result, context=context)
        except AirflowException as failed:
            code = driver_exit_code(remote_pod, self.BASE_CONTAINER_NAME)
            raise exit_codes.failure(
                code, f"SparkApplication {self.name} (namespace {self.namespace})"
            ) from failed


def driver_exit_code(pod, container: str) -> int | None:
    """Exit code of the driver container of a finished pod, None when it did not terminate."""
    statuses = (pod.status.container_statuses if pod is not None and pod.status else None) or []
    for status in statuses:
        if status.name == container and status.state and status.state.terminated:
            return status.state.terminated.exit_code
    return None


def spark_application_task(job: Job, platform: dict) -> HdpSparkApplicationOperator:
    startup = platform["startupTimeoutSeconds"]
    return HdpSparkApplicationOperator(
        task_id=job.task_id,
        namespace=platform["namespace"],
        kubernetes_conn_id=platform["kubernetesConnId"],
        # the whole SparkApplication as a dict; no `kubernetes:` block (it would overwrite the placement)
        template_spec=spark_application.render(platform, job),
        # a fresh name per try: a rerun never collides with a leftover application (HTTP 409)
        random_name_suffix=True,
        # the driver's log in the task log; the pod is deleted with the application afterwards
        get_logs=True,
        delete_on_termination=True,
        # a restarted worker finds its driver by the labels the operator puts on it, and waits again
        reattach_on_restart=True,
        # SUBMITTED for longer than this (no node, no image) deletes the application and fails the try
        startup_timeout_seconds=startup,
        # the driver has no XCom sidecar: pushing hangs the task (apache/airflow#39184)
        do_xcom_push=False,
        log_events_on_failure=True,
        execution_timeout=job.timeout + timedelta(seconds=startup),
    )
