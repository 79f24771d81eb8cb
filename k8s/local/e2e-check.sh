#!/usr/bin/env bash
# kind only: prove the deployed platform works end to end (`make kind-test`, the kind workflow).
#   1. `helm test`: the smoke-test SparkApplication (driver on the on-demand worker, executor on the spot
#      worker, event log in the object store) must COMPLETE;
#   2. one run of the hourly DAG (HDP_DAG_ID) triggered in Airflow must succeed;
#   3. the warehouse must hold rows for it (gold tables in the local PostgreSQL).
set -euo pipefail

SPARK_NS="${SPARK_NS:-hdp}"
AIRFLOW_NS="${AIRFLOW_NS:-airflow}"
DAG_ID="${HDP_DAG_ID:-hdp_hourly}"
DAG_TIMEOUT_SECONDS="${DAG_TIMEOUT_SECONDS:-2700}"
CHECK_TABLE="${CHECK_TABLE:-gold.kpi_ward_occupancy_hourly}"

step() { printf '\n=== %s\n' "$*"; }

step "smoke-test SparkApplication (helm test)"
helm test hdp -n "$SPARK_NS" --timeout 10m
kubectl wait -n "$SPARK_NS" sparkapplication/hdp-smoke-test --timeout=15m \
  --for=jsonpath='{.status.applicationState.state}'=COMPLETED
kubectl get pods -n "$SPARK_NS" -l spark-role -o wide || true

step "trigger DAG $DAG_ID"
scheduler="$(kubectl get pods -n "$AIRFLOW_NS" -l component=scheduler -o name | head -n1)"
[[ -n "$scheduler" ]] || { echo "no Airflow scheduler pod in $AIRFLOW_NS" >&2; exit 1; }
airflow() { kubectl exec -n "$AIRFLOW_NS" "$scheduler" -c scheduler -- airflow "$@"; }
airflow dags unpause "$DAG_ID"
run_id="e2e-$(date -u +%Y%m%dT%H%M%S)"
airflow dags trigger "$DAG_ID" --run-id "$run_id"

deadline=$(( $(date +%s) + DAG_TIMEOUT_SECONDS ))
while :; do
  state="$(airflow dags list-runs "$DAG_ID" -o json 2>/dev/null | python3 -c '
import json, sys
runs = [r for r in json.load(sys.stdin) if r.get("run_id") == sys.argv[1]]
print(runs[0]["state"] if runs else "")' "$run_id" || true)"
  echo "$(date -u +%H:%M:%S) $run_id: ${state:-unknown}"
  case "$state" in
    success) break ;;
    failed) echo "DAG run failed" >&2; kubectl get sparkapplications -n "$SPARK_NS" -o wide >&2 || true; exit 1 ;;
  esac
  (( $(date +%s) < deadline )) || { echo "DAG run did not finish in ${DAG_TIMEOUT_SECONDS}s" >&2; exit 1; }
  sleep 30
done

step "warehouse rows in $CHECK_TABLE"
rows="$(kubectl exec -n "$SPARK_NS" statefulset/hdp-postgres -- \
  psql -U postgres -d warehouse -tAc "select count(*) from ${CHECK_TABLE}")"
echo "$CHECK_TABLE: $rows rows"
(( rows > 0 )) || { echo "the warehouse is empty" >&2; exit 1; }
