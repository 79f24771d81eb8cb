"""Every SparkApplication the DAGs submit, rendered by the operator itself for a sample run (the hour
02:00-03:00, and a range for the reprocessing DAG) with the shipped settings and with EKS settings made
from helm/hdp/values-eks.yaml: strictly valid against the CRD, and right where it matters."""

from __future__ import annotations

import copy
import re
from datetime import datetime, timezone

import pytest
import yaml

from tests.dags.cluster import IRSA_PROVIDER, eks_platform, eks_values, kind_worker_labels, secret_settings
from tests.dags.conftest import DAGS
from tests.dags.schemas import spark_application_errors
from tests.dags.submission import run_context, submit

HOUR = datetime(2026, 11, 20, 2, tzinfo=timezone.utc)
RANGE = {"start": "2026-11-18T00", "end": "2026-11-19T23"}
WORKLOAD = {
    ("hdp_hourly", "extract"): "extract",
    ("hdp_hourly", "silver"): "transform",
    ("hdp_hourly", "gold"): "transform",
    ("hdp_hourly", "warehouse"): "load",
    ("hdp_reprocess", "extract"): "extract",
    ("hdp_reprocess", "transform"): "transform",
    ("hdp_reprocess", "warehouse"): "load",
}
# Driver/executor fields that spark-operator v2 applies only through its mutating webhook
# (internal/webhook/sparkpod_defaulter.go): silently lost without it. None may carry anything of ours.
WEBHOOK_ONLY = (
    "affinity", "tolerations", "nodeSelector", "env", "envFrom", "configMaps", "volumeMounts",
    "securityContext", "podSecurityContext", "initContainers", "sidecars", "dnsConfig", "hostNetwork",
    "hostAliases", "priorityClassName", "schedulerName", "terminationGracePeriodSeconds", "lifecycle",
    "shareProcessNamespace", "memoryLimit", "gpu", "ports",
)  # fmt: skip
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@pytest.fixture(params=["platform.yaml", "eks"])
def platform(request, tmp_path):
    defaults = yaml.safe_load((DAGS / "platform.yaml").read_text())
    settings = (
        defaults | {"mode": "kubernetes"} if request.param == "platform.yaml" else eks_platform(defaults)
    )
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(settings))
    return settings, path


@pytest.fixture
def applications(platform, dags) -> dict[tuple[str, str], dict]:
    """{(dag_id, task_id): the SparkApplication its task creates}."""
    parsed = dags(platform[1])
    apps = {}
    for task in parsed["hdp_hourly"].tasks:
        apps["hdp_hourly", task.task_id] = submit(task, run_context(task, data_interval_start=HOUR))
    for task in parsed["hdp_reprocess"].tasks:
        apps["hdp_reprocess", task.task_id] = submit(task, run_context(task, params=RANGE))
    assert set(apps) == set(WORKLOAD)
    return apps


def test_every_application_is_strictly_valid(applications):
    for key, app in applications.items():
        submitted = copy.deepcopy(app)
        # The provider (10.25.0, reattach_on_restart) copies its task labels into spec.labels too, a field the
        # v1beta2 CRD does not have: the API server prunes it. It finds the driver again by the same labels on
        # spec.driver, which the CRD has. Everything else must be valid as sent.
        assert set(submitted["spec"].pop("labels")) == {
            "dag_id",
            "task_id",
            "run_id",
            "spark_kubernetes_operator",
            "try_number",
        }
        assert spark_application_errors(submitted) == [], key
        assert submitted["spec"]["driver"]["labels"]["task_id"] == key[1], key


def test_the_validator_refuses_unknown_fields(applications):
    app = copy.deepcopy(applications["hdp_hourly", "silver"])
    app["spec"]["driver"]["nodeSelectr"] = {"a": "b"}
    app["spec"]["executor"]["template"]["spec"]["toleration"] = []
    del app["spec"]["driver"]["template"]["spec"]["containers"][0]["name"]
    errors = "\n".join(spark_application_errors(app))
    assert "nodeSelectr" in errors and "toleration" in errors and "`name`" in errors, errors


def test_drivers_run_on_demand_and_executors_on_spot_with_the_clusters_labels(applications):
    eks, kind_nodes = eks_values()["spark"], kind_worker_labels()
    for key, app in applications.items():
        driver = app["spec"]["driver"]["template"]["spec"]
        executor = app["spec"]["executor"]["template"]["spec"]
        assert driver["nodeSelector"] == eks["driver"]["nodeSelector"], key
        assert executor["nodeSelector"] == eks["executor"]["nodeSelector"], key
        assert executor["tolerations"] == eks["executor"]["tolerations"], key
        assert driver["tolerations"] == [], key  # nothing lets a driver onto spot capacity
        # each selects exactly the labels of a kind worker, so kind schedules them as EKS does
        assert driver["nodeSelector"] in kind_nodes and executor["nodeSelector"] in kind_nodes, key
        assert "on-demand" in driver["nodeSelector"].values() and "spot" in executor["nodeSelector"].values()


def test_placement_and_settings_need_no_webhook(applications):
    """The decision (docs/airflow.md): pod templates, which spark-submit applies itself, carry placement,
    envFrom and security settings; with a template the operator does not ask the webhook to mutate the pods.
    The operator's own SPARK_APPLICATION_NAME env var is the one webhook field left: informative only."""
    for key, app in applications.items():
        for role in ("driver", "executor"):
            spec = app["spec"][role]
            assert "template" in spec, (key, role)
            used = {f for f in WEBHOOK_ONLY if spec.get(f)} - {"env"}
            assert not used, (key, role, used)
            assert [e["name"] for e in spec.get("env", [])] == ["SPARK_APPLICATION_NAME"], (key, role)
        assert not {"volumes", "sparkConfigMap", "hadoopConfigMap", "monitoring"} & set(app["spec"]), key


def test_executors_decommission_into_the_fallback_storage_of_their_workload(applications, platform):
    settings = platform[0]
    for key, app in applications.items():
        conf = app["spec"]["sparkConf"]
        for flag in (
            "spark.decommission.enabled",
            "spark.storage.decommission.enabled",
            "spark.storage.decommission.shuffleBlocks.enabled",
            "spark.storage.decommission.rddBlocks.enabled",
        ):
            assert conf[flag] == "true", (key, flag)
        want = f"{settings['decommissionFallbackPath']}{WORKLOAD[key]}/"  # the prefix its IAM role may write
        assert conf["spark.storage.decommission.fallbackStorage.path"] == want, key


def test_drivers_are_not_disrupted_by_the_node_provisioner(applications):
    for key, app in applications.items():
        annotations = app["spec"]["driver"]["annotations"]
        assert annotations["karpenter.sh/do-not-disrupt"] == "true", key
        assert annotations["cluster-autoscaler.kubernetes.io/safe-to-evict"] == "false", key


def test_image_is_pinned_and_airflow_owns_retries(applications, platform):
    image = platform[0]["image"]
    for key, app in applications.items():
        assert app["spec"]["image"] == f"{image['repository']}:{image['tag']}", key
        assert not app["spec"]["image"].endswith((":latest", ":")), key
        assert app["spec"]["imagePullPolicy"] == image["pullPolicy"], key
        assert app["spec"]["restartPolicy"] == {"type": "Never"}, key
        assert app["spec"]["mainApplicationFile"] == "local:///opt/hdp/jobs/hdp/cli.py", key


def test_settings_come_from_references_never_from_literal_secrets(applications, platform):
    settings = platform[0]["settings"]
    want = [{"configMapRef": {"name": settings["configMap"]}}] + [
        {"secretRef": {"name": s}} for s in settings["secrets"]
    ]
    secrets = secret_settings()
    for key, app in applications.items():
        for role in ("driver", "executor"):
            (container,) = app["spec"][role]["template"]["spec"]["containers"]
            assert container["envFrom"] == want, (key, role)
            # the one literal variable: the pod's own service account, which audit events name
            assert container["env"] == [
                {
                    "name": "HDP_SERVICE_ACCOUNT",
                    "valueFrom": {"fieldRef": {"fieldPath": "spec.serviceAccountName"}},
                }
            ], (key, role)
            assert not app["spec"][role].get("envVars"), (key, role)
        text = yaml.safe_dump(app)
        leaked = [name for name in (*secrets, "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID") if name in text]
        assert not leaked, (key, leaked)
        assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", text), (key, "a URL with a password")
        assert not re.search(r"(?i)(password|token|secret)\w*\s*[:=]\s*\S", text.replace("secretRef", "")), (
            key
        )


def test_traffic_between_driver_and_executors_and_their_local_disks_are_encrypted(applications):
    for key, app in applications.items():
        conf = app["spec"]["sparkConf"]
        for name in ("spark.authenticate", "spark.network.crypto.enabled", "spark.io.encryption.enabled"):
            assert conf.get(name) == "true", (key, name)


def test_requests_and_limits(applications, platform):
    resources = platform[0]["resources"]
    for key, app in applications.items():
        for role in ("driver", "executor"):
            spec, want = app["spec"][role], resources[role]
            assert spec["cores"] == want["cores"], (key, role)
            # CPU request and limit; Spark sets the memory request and limit to memory + memoryOverhead
            assert spec["coreRequest"] == spec["coreLimit"] == str(want["cores"]), (key, role)
            assert (spec["memory"], spec["memoryOverhead"]) == (want["memory"], want["memoryOverhead"]), (
                key,
                role,
            )
        assert app["spec"]["executor"]["instances"] == resources["executor"]["instances"], key


def test_event_logs_metrics_and_time_to_live(applications, platform):
    settings = platform[0]
    for key, app in applications.items():
        conf = app["spec"]["sparkConf"]
        assert (
            conf["spark.eventLog.enabled"] == "true" and conf["spark.eventLog.dir"] == settings["eventLogDir"]
        )
        assert conf["spark.ui.prometheus.enabled"] == "true", key
        assert conf["spark.metrics.namespace"] == settings["metricsNamespace"], key
        assert app["spec"]["timeToLiveSeconds"] == settings["timeToLiveSeconds"], key
        assert app["spec"]["sparkVersion"] == settings["sparkVersion"], key
        assert app["spec"]["hadoopConf"] == settings["hadoopConf"], key


def test_eks_settings_give_s3a_the_web_identity_of_the_service_account(applications, platform):
    if platform[0]["hadoopConf"]:
        for key, app in applications.items():
            assert app["spec"]["hadoopConf"]["fs.s3a.aws.credentials.provider"] == IRSA_PROVIDER, key


def test_each_job_runs_as_its_workloads_service_account(applications, platform):
    accounts = platform[0]["serviceAccounts"]
    for key, app in applications.items():
        want = accounts[WORKLOAD[key]]
        assert app["spec"]["driver"]["serviceAccount"] == app["spec"]["executor"]["serviceAccount"] == want, (
            key
        )
        assert app["metadata"]["labels"]["hdp.io/workload"] == WORKLOAD[key], key


def test_commands_and_names_are_those_of_the_run(applications, platform):
    for key, app in applications.items():
        dag_id, task_id = key
        if dag_id == "hdp_hourly":
            assert app["spec"]["arguments"] == [task_id, "--batch", "2026-11-20T02"], key
            prefix = f"hdp-{task_id}-2026-11-20t02-"
        else:
            hours = ["--from", RANGE["start"], "--to", RANGE["end"]]
            command = {
                "extract": ["extract"],
                "transform": ["run", "--stages", "silver,gold"],
                "warehouse": ["warehouse"],
            }
            assert app["spec"]["arguments"] == command[task_id] + hours, key
            prefix = f"hdp-{task_id}-2026-11-18t00-2026-11-19t23-"
        name = app["metadata"]["name"]
        # a random suffix per try; the driver pod `<name>-driver` must stay a valid 63-character label
        assert name.startswith(prefix) and len(name) == len(prefix) + 8, name
        assert DNS_LABEL.match(name) and len(f"{name}-driver") <= 63, name
        assert app["metadata"]["namespace"] == platform[0]["namespace"], key
