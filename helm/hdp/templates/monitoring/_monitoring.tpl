{{/*
Monitoring helpers: the labels Prometheus selects monitors and rules by, and the scrape endpoint defaults.
*/}}

{{/* hdp.monitoring.labels: the chart's labels plus monitoring.labels (e.g. release: kube-prometheus-stack). */}}
{{- define "hdp.monitoring.labels" -}}
{{ include "hdp.labels" (dict "root" .root "component" .component) }}
{{- with .root.Values.monitoring.labels }}
{{ toYaml . }}
{{- end }}
{{- end }}
