{{/*
Where the data lives and how Spark reaches it: the one place that turns values into lake URIs, the event-log
directory and the s3a settings. The job settings ConfigMap, the DAG configuration, the history server and
the smoke-test SparkApplication all include these helpers, so they cannot disagree.
*/}}

{{/* hdp.s3aUri: "s3a://<bucket>/<prefix>" with exactly one slash between them and none doubled. */}}
{{- define "hdp.s3aUri" -}}
{{- $prefix := .prefix | default "" | trimPrefix "/" -}}
{{- printf "s3a://%s/%s" (required (printf "%s: bucket is required" .what) .bucket) $prefix -}}
{{- end }}

{{/* hdp.eventLogDir: where every SparkApplication writes its event log and the history server reads. */}}
{{- define "hdp.eventLogDir" -}}
{{- $e := .Values.spark.eventLog -}}
{{- include "hdp.s3aUri" (dict "bucket" $e.bucket "prefix" $e.prefix "what" "spark.eventLog") -}}
{{- end }}

{{/* hdp.decommissionFallbackPath: shuffle/RDD blocks of executors on reclaimed spot nodes. A stage appends
     "<role>/" (extract, transform, load): IAM lets each role write only its own sub-prefix. */}}
{{- define "hdp.decommissionFallbackPath" -}}
{{- $d := .Values.spark.decommission -}}
{{- include "hdp.s3aUri" (dict "bucket" $d.bucket "prefix" $d.prefix "what" "spark.decommission") -}}
{{- end }}

{{/* hdp.lakeEnv: HDP_LAKE_ROOT on kind (one bucket), else one URI per layer on EKS (one bucket per layer;
     silver and quarantine share the PHI-restricted silver bucket under their own prefixes). */}}
{{- define "hdp.lakeEnv" -}}
{{- $l := .Values.lake -}}
{{- if $l.root }}
HDP_LAKE_ROOT: {{ $l.root | quote }}
{{- else }}
{{- $b := $l.buckets }}
HDP_LAKE_LANDING: {{ printf "s3a://%s" (required "lake.buckets.landing is required without lake.root" $b.landing) | quote }}
HDP_LAKE_BRONZE: {{ printf "s3a://%s" (required "lake.buckets.bronze is required without lake.root" $b.bronze) | quote }}
HDP_LAKE_SILVER: {{ printf "s3a://%s/silver" (required "lake.buckets.silver is required without lake.root" $b.silver) | quote }}
HDP_LAKE_QUARANTINE: {{ printf "s3a://%s/quarantine" $b.silver | quote }}
HDP_LAKE_GOLD: {{ printf "s3a://%s" (required "lake.buckets.gold is required without lake.root" $b.gold) | quote }}
HDP_LAKE_CONTROL: {{ printf "s3a://%s" (required "lake.buckets.control is required without lake.root" $b.control) | quote }}
{{- end }}
{{- end }}

{{/* hdp.s3aHadoopConf: the s3a settings for JVM-side writers that start before the job's Python code
     (event logs, history server): the same endpoint, path style and credentials provider as HDP_S3_*. */}}
{{- define "hdp.s3aHadoopConf" -}}
{{- $s3 := .Values.s3 -}}
{{- $providers := dict
      "irsa" "software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider"
      "env" "software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider" -}}
{{- with get $providers $s3.credentials }}
fs.s3a.aws.credentials.provider: {{ . }}
{{- end }}
{{- with .Values.aws.region }}
fs.s3a.endpoint.region: {{ . }}
{{- end }}
{{- if $s3.endpoint }}
fs.s3a.endpoint: {{ $s3.endpoint }}
fs.s3a.connection.ssl.enabled: {{ hasPrefix "https" $s3.endpoint | quote }}
{{- end }}
fs.s3a.path.style.access: {{ $s3.pathStyle | quote }}
{{- end }}

{{/* hdp.sparkConf: what the smoke-test SparkApplication sets, as the DAG's template does from the same
     platform.yaml values: event logs to the history server's directory, decommissioning onto the spot-safe
     fallback storage, a stable metrics namespace. The s3a settings go into hadoopConf (hdp.s3aHadoopConf),
     which the DAGs receive as platform.yaml's hadoopConf. Spark's local dirs need nothing here: on
     Kubernetes Spark mounts an emptyDir for them, which a read-only root filesystem allows. */}}
{{- define "hdp.sparkConf" -}}
spark.eventLog.enabled: "true"
spark.eventLog.dir: {{ include "hdp.eventLogDir" . | quote }}
spark.eventLog.rolling.enabled: "true"
spark.eventLog.rolling.maxFileSize: 128m
spark.decommission.enabled: "true"
spark.storage.decommission.enabled: "true"
spark.storage.decommission.shuffleBlocks.enabled: "true"
spark.storage.decommission.rddBlocks.enabled: "true"
spark.metrics.namespace: {{ .Values.spark.metricsNamespace | quote }}
spark.ui.prometheus.enabled: "true"
spark.metrics.appStatusSource.enabled: "true"
spark.metrics.conf.*.sink.prometheusServlet.class: org.apache.spark.metrics.sink.PrometheusServlet
spark.metrics.conf.*.sink.prometheusServlet.path: /metrics/prometheus
spark.metrics.conf.*.source.jvm.class: org.apache.spark.metrics.source.JvmSource
spark.kubernetes.container.image.pullPolicy: {{ .Values.image.pullPolicy }}
{{- end }}
