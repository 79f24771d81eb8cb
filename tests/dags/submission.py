"""What a task of the DAGs would send to Kubernetes, captured without a cluster.

The operator's own code renders the task's templates for a run, names the application and builds the
body (`SparkKubernetesOperator._setup_spark_configuration`, provider 10.25.0), against a stand-in for the
Kubernetes API that records the custom object instead of creating it."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from types import SimpleNamespace


class FakeKubernetes:
    """CoreV1Api + CustomObjectsApi, as far as submitting a SparkApplication and reading its driver go: no
    pod to reattach to; a created application is reported RUNNING at once; `pods` are there to be read."""

    def __init__(self, *pods) -> None:
        self.created: list[dict] = []
        self.pods = {pod.metadata.name: pod for pod in pods}

    def list_namespaced_pod(self, namespace, label_selector=None, field_selector=None):
        return SimpleNamespace(items=[])

    def read_namespaced_pod(self, name, namespace, **_):
        return self.pods[name]

    def create_namespaced_custom_object(self, group, version, namespace, plural, body):
        self.created.append(
            {
                "group": group,
                "version": version,
                "namespace": namespace,
                "plural": plural,
                "body": copy.deepcopy(body),
            }
        )
        return copy.deepcopy(body)

    def get_namespaced_custom_object_status(self, group, version, namespace, plural, name):
        return {"status": {"applicationState": {"state": "RUNNING"}}}


def run_context(task, data_interval_start: datetime | None = None, params: dict | None = None) -> dict:
    """The part of a task's run context the templates and the operator read."""
    ti = SimpleNamespace(dag_id=task.dag_id, task_id=task.task_id, map_index=-1, try_number=1)
    context = {
        "ti": ti,
        "task_instance": ti,
        "task": task,
        "dag": task.dag,
        "run_id": "scheduled__test",
        "params": params or {},
    }
    if data_interval_start is not None:
        context |= {
            "data_interval_start": data_interval_start,
            "data_interval_end": data_interval_start + timedelta(hours=1),
            "logical_date": data_interval_start,
        }
    return context


def submit(task, context: dict) -> dict:
    """Renders `task` for `context` and returns the SparkApplication it creates (what the API server gets)."""
    kubernetes = FakeKubernetes()
    task.__dict__.update(client=kubernetes, custom_obj_api=kubernetes)  # the operator's cached properties
    task.render_template_fields(context)
    task.name = task.create_job_name()  # as execute() does
    task._setup_spark_configuration(context)
    (created,) = kubernetes.created
    assert (created["group"], created["version"], created["plural"]) == (
        "sparkoperator.k8s.io",
        "v1beta2",
        "sparkapplications",
    )
    return created["body"]
