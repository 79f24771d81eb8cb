{{/*
Names, labels, images and pod hardening shared by every template. Components pass their own name; nothing
here knows about a particular workload.
*/}}

{{/* hdp.labels: the recommended labels of every object; `component` is the workload (e.g. history-server). */}}
{{- define "hdp.labels" -}}
app.kubernetes.io/name: hdp
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: hospital-data-platform
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- with .root.Values.environment }}
hdp.io/environment: {{ . }}
{{- end }}
{{- end }}

{{/* hdp.selectorLabels: the immutable subset used by selectors (a Deployment's selector never changes). */}}
{{- define "hdp.selectorLabels" -}}
app.kubernetes.io/name: hdp
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* hdp.image: "<repository>:<tag>" of an image block; the schema already refuses an empty or latest tag,
     this fails the render too in case a --set bypasses the schema's intent. */}}
{{- define "hdp.image" -}}
{{- if or (not .tag) (eq (toString .tag) "latest") -}}
{{- fail (printf "image %s needs a pinned tag (not empty, not latest)" .repository) -}}
{{- end -}}
{{- printf "%s:%s" .repository (toString .tag) -}}
{{- end }}

{{/* hdp.podSecurityContext: restricted Pod Security Standard for a pod running as `uid`. fsGroup makes
     mounted volumes writable by that uid without running anything as root. */}}
{{- define "hdp.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* hdp.containerSecurityContext: restricted PSS for one container. Every program here runs with a
     read-only root filesystem; what it writes goes to emptyDir or persistent volumes. */}}
{{- define "hdp.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* hdp.serviceAccountAnnotations: the IRSA annotation when Terraform gave a role (empty on kind). */}}
{{- define "hdp.serviceAccountAnnotations" -}}
{{- if .roleArn }}
annotations:
  eks.amazonaws.com/role-arn: {{ .roleArn | quote }}
  # regional STS endpoint: no dependency on the global endpoint and lower latency
  eks.amazonaws.com/sts-regional-endpoints: "true"
{{- end }}
{{- end }}

{{/* hdp.tmpVolumeMounts / hdp.tmpVolumes: a writable /tmp for programs on a read-only root filesystem. */}}
{{- define "hdp.tmpVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- end }}
{{- define "hdp.tmpVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .sizeLimit | default "1Gi" }}
{{- end }}

{{/* hdp.stageServiceAccounts: stage role -> service account name, for the SparkApplication stages. */}}
{{- define "hdp.stageServiceAccounts" -}}
{{- $sa := .Values.serviceAccounts -}}
extract: {{ $sa.extract.name }}
transform: {{ $sa.transform.name }}
load: {{ $sa.load.name }}
{{- end }}

{{/* hdp.checkovSkips: the checkov findings this chart accepts, as checkov's skip annotations, each with
     its reason (tests/infra checks that every skip has one). For workloads (Deployment, StatefulSet, Job). */}}
{{- define "hdp.checkovSkips" -}}
checkov.io/skip1: CKV_K8S_43=Images are pinned by tag (the schema refuses latest); skaffold and CI pass the tag of the image they built, ECR tags are immutable
checkov.io/skip2: CKV_K8S_15=IfNotPresent on purpose - kind loads images without a registry, where Always fails; tags are immutable
checkov.io/skip3: CKV_K8S_35=The stages read their settings from HDP_* environment variables (jobs/hdp/config.py), secrets included
{{- end }}
