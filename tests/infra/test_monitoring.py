"""Monitoring as rendered by the chart: PodMonitors, ServiceMonitors and the PrometheusRule validate against
their CRDs (tests/crds); every alert names a runbook that exists; every metric an alert or a dashboard
panel uses is one that something in the platform exports; the Spark UI, metrics and event logs of the DAGs'
SparkApplications (dags/hdp_dags/spark_application.yaml.j2, rendered here from the chart's own platform.yaml)
point where the history server and the monitors look."""

from __future__ import annotations

import json
import re
import sys

import pytest
import yaml

from hdp import metrics

from . import chart
from .conftest import ROOT
from .test_chart_render import _crd_validator

pytestmark = pytest.mark.infra

MONITORING_CRDS = {
    "PodMonitor": ("monitoring.coreos.com_podmonitors.yaml", "v1"),
    "ServiceMonitor": ("monitoring.coreos.com_servicemonitors.yaml", "v1"),
    "PrometheusRule": ("monitoring.coreos.com_prometheusrules.yaml", "v1"),
}
RUNBOOKS = ROOT / "docs" / "runbooks"
DASHBOARDS = chart.CHART / "dashboards"
# kind has no Prometheus Operator: values-local.yaml turns monitoring off (checked below)
MONITORED = sorted(s for s in chart.SCENARIOS if s != "local")

# --- what the platform exports ----------------------------------------------------------------------
# spark-operator 2.5.x controller (prometheus.metrics, no prefix): counters, a gauge, summaries, histograms.
OPERATOR_METRICS = {
    "spark_application_count", "spark_application_submit_count", "spark_application_failed_submission_count",
    "spark_application_success_count", "spark_application_failure_count", "spark_application_running_count",
    "spark_executor_running_count", "spark_executor_success_count", "spark_executor_failure_count",
}  # fmt: skip
OPERATOR_SUMMARIES = {
    "spark_application_success_execution_time_seconds", "spark_application_failure_execution_time_seconds",
    "spark_application_start_latency_seconds", "spark_application_submit_latency_seconds",
}  # fmt: skip
# The Airflow chart's statsd mapping (chart/files/statsd-mappings.yml); timers become summaries.
AIRFLOW_METRICS = {
    "airflow_dagrun_dependency_check", "airflow_operator_successes", "airflow_operator_failures",
    "airflow_scheduler_heartbeat", "airflow_task_duration", "airflow_dagrun_duration", "airflow_dagrun_failed",
    "airflow_dagrun_schedule_delay", "airflow_dag_processing_last_runtime",
    "airflow_dag_processing_last_run_seconds_ago", "airflow_pool_open_slots", "airflow_pool_used_slots",
    "airflow_pool_starving_tasks", "airflow_executor_open_slots", "airflow_executor_queued_tasks",
    "airflow_executor_running_tasks",
}  # fmt: skip
# Spark 4 executor metrics on the driver UI (/metrics/executors/prometheus).
SPARK_EXECUTOR_METRICS = {
    f"metrics_executor_{n}"
    for n in (
        "rddBlocks", "memoryUsed_bytes", "diskUsed_bytes", "totalCores", "maxTasks", "activeTasks",
        "failedTasks_total", "completedTasks_total", "totalTasks_total", "totalDuration_seconds_total",
        "totalGCTime_seconds_total", "totalInputBytes_bytes_total", "totalShuffleRead_bytes_total",
        "totalShuffleWrite_bytes_total", "maxMemory_bytes", "JVMHeapMemory_bytes", "JVMOffHeapMemory_bytes",
    )
}  # fmt: skip
# The cluster's kube-state-metrics (kube-prometheus-stack, which brings the monitoring CRDs). Node labels
# need --metric-labels-allowlist=nodes=[hdp.io/capacity] (docs/monitoring.md).
KUBE_STATE_METRICS = {"kube_pod_status_phase", "kube_pod_info", "kube_node_labels"}
PUSHGATEWAY_METRICS = {"push_time_seconds", "push_failure_time_seconds"}
# Sources of the driver's metrics system (PrometheusServlet) and their name suffixes.
DRIVER_SOURCES = "DAGScheduler|BlockManager|appStatus|ExecutorMetrics|JVMCPU|LiveListenerBus|jvm"
DRIVER_SUFFIXES = "Value|Count|Number|Mean|Max|Min|StdDev"

PROMQL_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
                   "group_right", "inf", "nan"}  # fmt: skip


def promql_metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: identifiers that are not functions, keywords, label
    names (inside braces or grouping clauses), durations or numbers."""
    s = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)  # string literals
    s = re.sub(r"\{[^}]*\}", " ", s)  # label matchers
    s = re.sub(r"\[[^\]]*\]", " ", s)  # ranges and subqueries
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    s = re.sub(
        r"(?<![\w:])\d+(\.\d+)?([eE][+-]?\d+)?((ms|[smhdwy])\b|(\d+(ms|[smhdwy]))+)*", " ", s
    )  # numbers, durations
    names = set()
    for m in re.finditer(r"[A-Za-z_:][\w:]*", s):
        if m.group().lower() in PROMQL_KEYWORDS or s[m.end() :].lstrip().startswith("("):
            continue
        names.add(m.group())
    return names


def exported(name: str, spark_namespace: str) -> bool:
    base = re.sub(r"_(count|sum|bucket)$", "", name)
    return (
        name in metrics.METRICS
        or name in OPERATOR_METRICS
        or base in OPERATOR_SUMMARIES
        or base.removesuffix("_histogram") in {s for s in OPERATOR_SUMMARIES if "latency" in s}
        or name in AIRFLOW_METRICS
        or base in AIRFLOW_METRICS
        or name in SPARK_EXECUTOR_METRICS
        or name in KUBE_STATE_METRICS
        or name in PUSHGATEWAY_METRICS
        or re.fullmatch(
            rf"metrics_{re.escape(spark_namespace)}_driver_({DRIVER_SOURCES})_\w+_({DRIVER_SUFFIXES})", name
        )
        is not None
    )


def _rules(docs) -> list[dict]:
    [rule] = chart.find(docs, "PrometheusRule")
    return [r for g in rule["spec"]["groups"] for r in g["rules"]]


def _dashboards() -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted(DASHBOARDS.glob("*.json"))}


def _panel_queries(dashboard: dict) -> list[tuple[str, dict]]:
    out = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            out.append((panel["title"], target))
    return out


# --- the extractor itself can fail ---------------------------------------------------------------------


def test_promql_names_are_extracted():
    expr = (
        'sum by (dataset) (hdp_dataset_rows{stage="silver", outcome=~"in|x"}) / on (dataset) '
        "max(rate(spark_executor_failure_count[5m] offset 1h)) > 1e3 and time() - foo:bar > 5"
    )
    assert promql_metric_names(expr) == {"hdp_dataset_rows", "spark_executor_failure_count", "foo:bar"}


def test_the_catalogue_refuses_unknown_names():
    assert exported("hdp_dataset_rows", "hdp")
    assert exported("spark_application_start_latency_seconds_count", "hdp")
    assert exported("metrics_hdp_driver_DAGScheduler_stage_failedStages_Value", "hdp")
    assert not exported("metrics_spark-1234_driver_DAGScheduler_stage_failedStages_Value", "hdp")
    assert not exported("hdp_rows_total", "hdp")
    assert not exported("spark_application_failures", "hdp")


# --- monitors and rules ----------------------------------------------------------------------------


def test_kind_renders_no_monitoring(rendered):
    kinds = {d["kind"] for d in rendered["local"]["docs"]}
    assert not kinds & set(MONITORING_CRDS), "kind has no monitoring.coreos.com CRDs: install would fail"


@pytest.mark.parametrize("scenario", MONITORED)
def test_monitors_and_rules_match_their_crds(scenario, rendered):
    docs = rendered[scenario]["docs"]
    seen = set()
    for kind, (crd, version) in MONITORING_CRDS.items():
        validator = _crd_validator(crd, version)
        for doc in chart.find(docs, kind):
            seen.add(kind)
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
            assert not errors, f"{kind}/{doc['metadata']['name']}: " + "\n".join(
                f"{list(e.path)}: {e.message}" for e in errors
            )
    assert seen == set(MONITORING_CRDS), f"rendered only {seen}"


def test_the_crd_check_catches_a_typo(rendered):
    validator = _crd_validator(*MONITORING_CRDS["PodMonitor"])
    [doc] = chart.find(rendered["eks"]["docs"], "PodMonitor", "hdp-spark-drivers")
    doc = json.loads(json.dumps(doc))
    doc["spec"]["podMetricsEndpoints"][0]["paths"] = doc["spec"]["podMetricsEndpoints"][0].pop("path")
    assert any("paths" in e.message for e in validator.iter_errors(doc))


def test_monitors_select_what_the_releases_expose(rendered):
    docs = rendered["eks"]["docs"]
    values = chart.values_of("eks")
    drivers = chart.one(docs, "PodMonitor", "hdp-spark-drivers")["spec"]
    assert drivers["namespaceSelector"]["matchNames"] == [values["namespaces"]["spark"]]
    assert {e["port"] for e in drivers["podMetricsEndpoints"]} == {"spark-ui"}
    assert {e["path"] for e in drivers["podMetricsEndpoints"]} == {
        "/metrics/prometheus",
        "/metrics/executors/prometheus",
    }
    # spark-submit labels driver pods spark-role=driver; every application runs in the watched namespace
    assert drivers["selector"]["matchLabels"] == {"spark-role": "driver"}
    for app in chart.find(docs, "SparkApplication"):
        assert app["metadata"]["namespace"] in drivers["namespaceSelector"]["matchNames"]
    operator = yaml.safe_load((chart.RELEASES / "spark-operator.values.yaml").read_text())
    assert operator["prometheus"]["metrics"]["enable"] is True
    op_monitor = chart.one(docs, "PodMonitor", "hdp-spark-operator")["spec"]
    assert op_monitor["podMetricsEndpoints"][0]["port"] == operator["prometheus"]["metrics"]["portName"]
    assert op_monitor["podMetricsEndpoints"][0]["path"] == operator["prometheus"]["metrics"]["endpoint"]
    assert operator["controller"]["uiService"]["enable"] is True, "the live driver UI: <app>-ui-svc"
    airflow = yaml.safe_load((chart.RELEASES / "airflow.values.yaml").read_text())
    assert airflow["statsd"]["enabled"] is True, "the Airflow ServiceMonitor scrapes the statsd exporter"


def test_pushgateway_is_scraped_and_configured_only_when_set(rendered):
    for scenario in MONITORED:
        docs = rendered[scenario]["docs"]
        url = chart.values_of(scenario)["monitoring"]["pushgateway"]["url"]
        settings = chart.one(docs, "ConfigMap", "hdp-settings")["data"]
        monitors = chart.find(docs, "ServiceMonitor", "hdp-pushgateway")
        assert settings.get("HDP_METRICS_PUSHGATEWAY", "") == url
        assert len(monitors) == (1 if url else 0), scenario
        for m in monitors:
            assert m["spec"]["endpoints"][0]["honorLabels"] is True


@pytest.mark.parametrize("scenario", MONITORED)
def test_every_alert_has_a_runbook_that_exists(scenario, rendered):
    values = chart.values_of(scenario)
    base = values["monitoring"]["alerts"]["runbookBaseUrl"]
    rules = _rules(rendered[scenario]["docs"])
    assert {r["alert"] for r in rules} >= {
        "HdpSparkApplicationFailed",
        "HdpSparkDriverStuckPending",
        "HdpBatchMissedDeadline",
        "HdpGoldStale",
        "HdpQuarantineRateHigh",
        "HdpExecutorsLost",
    }
    for r in rules:
        url = r["annotations"]["runbook_url"]
        assert url.startswith(base), url
        page = RUNBOOKS / url.removeprefix(base)
        assert page.is_file(), f"{r['alert']}: {page} does not exist"
        assert r["alert"] in page.read_text(), f"{page.name} does not say what {r['alert']} means"
        assert r["labels"]["severity"] in ("critical", "warning")


@pytest.mark.parametrize("scenario", MONITORED)
def test_alerts_use_only_exported_metrics(scenario, rendered):
    ns = chart.values_of(scenario)["spark"]["metricsNamespace"]
    for r in _rules(rendered[scenario]["docs"]):
        names = promql_metric_names(r["expr"])
        assert names, r["alert"]
        unknown = {n for n in names if not exported(n, ns)}
        assert not unknown, f"{r['alert']} uses metrics nothing exports: {unknown}"


def test_stuck_alert_fires_before_the_dag_gives_up(rendered):
    values = chart.values_of("eks")
    [stuck] = [r for r in _rules(rendered["eks"]["docs"]) if r["alert"] == "HdpSparkDriverStuckPending"]
    assert int(stuck["for"].removesuffix("m")) * 60 < values["spark"]["startupTimeoutSeconds"]


# --- dashboards --------------------------------------------------------------------------------------


def test_dashboards_are_loaded_by_the_sidecar(rendered):
    docs = rendered["eks"]["docs"]
    values = chart.values_of("eks")["monitoring"]
    files = _dashboards()
    assert set(files) == {"pipeline-health.json", "spark-resources.json", "hospital-kpis.json"}
    maps = [d for d in chart.find(docs, "ConfigMap") if d["metadata"]["name"].startswith("hdp-dashboard-")]
    assert len(maps) == len(files)
    for cm in maps:
        assert cm["metadata"]["namespace"] == values["namespace"]
        assert cm["metadata"]["labels"][values["dashboards"]["label"]] == values["dashboards"]["labelValue"]
        [(name, text)] = cm["data"].items()
        assert json.loads(text) == files[name], f"{name} is shipped as it is in the chart"


def test_dashboards_are_well_formed():
    uids = set()
    for name, d in _dashboards().items():
        assert d["uid"] not in uids and len(d["uid"]) <= 40, name
        uids.add(d["uid"])
        ids = [p["id"] for p in d["panels"]]
        assert len(ids) == len(set(ids)), f"{name}: duplicate panel ids"
        variables = {v["name"] for v in d["templating"]["list"]}
        for title, target in _panel_queries(d):
            assert target["datasource"]["uid"].strip("${}") in variables, f"{name}/{title}"
            assert target.get("expr") or target.get("rawSql"), f"{name}/{title} has no query"


def test_dashboards_use_only_exported_metrics():
    ns = chart.values_of("eks")["spark"]["metricsNamespace"]
    used = set()
    for name, d in _dashboards().items():
        for title, target in _panel_queries(d):
            if "expr" in target:
                names = promql_metric_names(target["expr"])
                unknown = {n for n in names if not exported(n, ns)}
                assert not unknown, f"{name}/{title} uses metrics nothing exports: {unknown}"
                used |= names
    # the pipeline's own metrics are all on a dashboard
    assert (
        set(metrics.METRICS) - {"hdp_metrics_generated_timestamp_seconds", "hdp_stage_batches_in_last_run"}
        <= used
    )


def test_kpi_panels_read_gold_tables_that_exist():
    from hdp.catalog import GOLD_TABLES

    tables = {t.name for t in GOLD_TABLES}
    d = _dashboards()["hospital-kpis.json"]
    for title, target in _panel_queries(d):
        read = set(re.findall(r"\bgold\.(\w+)", target["rawSql"]))
        assert read and read <= tables, f"{title}: {read - tables}"


# --- Spark UI, event logs and metrics of the DAGs' SparkApplications -----------------------------------


def _dag_applications(platform: dict) -> list[dict]:
    sys.path.insert(0, str(ROOT / "dags"))
    try:
        from hdp_dags.jobs import hourly_jobs, reprocessing_jobs
        from hdp_dags.spark_application import render
    finally:
        sys.path.remove(str(ROOT / "dags"))
    return [render(platform, job) for job in (*hourly_jobs(), *reprocessing_jobs())]


@pytest.mark.parametrize("scenario", sorted(chart.SCENARIOS))
def test_dag_applications_log_and_expose_metrics_where_the_chart_looks(scenario, rendered):
    """The DAGs' SparkApplication template, rendered from the chart's platform.yaml: event logs in the
    directory the history server reads, the fixed metrics namespace the dashboards and alerts name, the
    PrometheusServlet on the driver UI port the PodMonitor scrapes, and labels the PodMonitor selects."""
    docs = rendered[scenario]["docs"]
    platform = chart.platform_config(docs)
    log_dir = chart.spark_defaults(docs)["spark.history.fs.logDirectory"]
    values = chart.values_of(scenario)
    monitors = chart.find(docs, "PodMonitor", "hdp-spark-drivers")
    apps = _dag_applications(platform)
    assert apps
    for app in apps + chart.find(docs, "SparkApplication"):
        conf = app["spec"]["sparkConf"]
        assert conf["spark.eventLog.enabled"] == "true" and conf["spark.eventLog.dir"] == log_dir
        assert conf["spark.metrics.namespace"] == values["spark"]["metricsNamespace"]
        assert conf["spark.ui.prometheus.enabled"] == "true"
        assert conf["spark.metrics.appStatusSource.enabled"] == "true"  # the appStatus_* names
        assert conf["spark.metrics.conf.*.sink.prometheusServlet.path"] == "/metrics/prometheus"
        assert conf["spark.metrics.conf.*.sink.prometheusServlet.class"].endswith("PrometheusServlet")
        assert app["spec"]["hadoopConf"] == platform["hadoopConf"]
        for m in monitors:
            assert app["metadata"]["namespace"] in m["spec"]["namespaceSelector"]["matchNames"]
