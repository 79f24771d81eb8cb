#!/usr/bin/env bash
# kind only: create the Secrets helm/hdp (values-local.yaml, secrets.provider=existing) and the Airflow
# release expect, with random passwords and keys. Idempotent: an existing Secret is kept, since the local
# PostgreSQL and object store keep the passwords they were first started with.
#
#   k8s/local/create-secrets.sh            (make dev runs it; needs kubectl on the kind context)
set -euo pipefail

SPARK_NS="${SPARK_NS:-hdp}"
AIRFLOW_NS="${AIRFLOW_NS:-airflow}"
PG_HOST="hdp-postgres.${SPARK_NS}.svc"

rand() { head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c "${1:-32}"; }
exists() { kubectl get secret "$2" -n "$1" >/dev/null 2>&1; }

if exists "$SPARK_NS" hdp-secrets; then
  echo "secret $SPARK_NS/hdp-secrets exists: kept"
  PG_PASSWORD="$(kubectl get secret hdp-secrets -n "$SPARK_NS" -o jsonpath='{.data.POSTGRES_PASSWORD}' | base64 -d)"
else
  PG_PASSWORD="$(rand 32)"
  kubectl create secret generic hdp-secrets -n "$SPARK_NS" \
    --from-literal=POSTGRES_PASSWORD="$PG_PASSWORD" \
    --from-literal=HDP_SOURCE_DSN="postgresql://postgres:${PG_PASSWORD}@${PG_HOST}:5432/hospital" \
    --from-literal=HDP_WAREHOUSE_DSN="postgresql://postgres:${PG_PASSWORD}@${PG_HOST}:5432/warehouse" \
    --from-literal=HDP_PHARMACY_TOKEN="$(rand 32)" \
    --from-literal=HDP_PSEUDONYM_KEY="$(rand 40)" \
    --from-literal=AWS_ACCESS_KEY_ID="hdp$(rand 12)" \
    --from-literal=AWS_SECRET_ACCESS_KEY="$(rand 40)"
  echo "secret $SPARK_NS/hdp-secrets created"
fi

if exists "$AIRFLOW_NS" airflow-metadata; then
  echo "secret $AIRFLOW_NS/airflow-metadata exists: kept"
else
  kubectl create secret generic airflow-metadata -n "$AIRFLOW_NS" \
    --from-literal=connection="postgresql://postgres:${PG_PASSWORD}@${PG_HOST}:5432/airflow"
  echo "secret $AIRFLOW_NS/airflow-metadata created"
fi
