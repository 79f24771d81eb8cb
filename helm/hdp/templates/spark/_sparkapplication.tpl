{{/*
hdp.sparkPod: the driver or executor block of a SparkApplication (`role` is "driver" or "executor"), built
the way the DAGs build theirs (dags/hdp_dags/spark_application.yaml.j2): sizing and service account as
SparkApplication fields, placement, hardening and settings in a pod template, which spark-submit applies
itself. The same fields in the driver/executor sections would be applied only by the operator's mutating
webhook, and silently dropped whenever it is unreachable.
*/}}
{{- define "hdp.sparkPod" -}}
{{- $p := index .root.Values.spark .role -}}
cores: {{ $p.cores }}
coreRequest: {{ $p.cores | quote }}
coreLimit: {{ $p.cores | quote }}
memory: {{ $p.memory | quote }}
memoryOverhead: {{ $p.memoryOverhead | quote }}
{{- if eq .role "executor" }}
instances: {{ .instances | default $p.instances }}
{{- end }}
serviceAccount: {{ .serviceAccount }}
labels:
  {{- include "hdp.labels" (dict "root" .root "component" (printf "spark-%s" .role)) | nindent 2 }}
template:
  spec:
    nodeSelector:
      {{- toYaml $p.nodeSelector | nindent 6 }}
    tolerations:
      {{- toYaml ($p.tolerations | default list) | nindent 6 }}
    securityContext:
      {{- include "hdp.podSecurityContext" (dict "uid" 185) | nindent 6 }}
    containers:
      - name: spark-kubernetes-{{ .role }}
        envFrom:
          - configMapRef:
              name: {{ .root.Values.settings.configMapName }}
          - secretRef:
              name: {{ .root.Values.secrets.name }}
        securityContext:
          {{- include "hdp.containerSecurityContext" . | nindent 10 }}
        volumeMounts:
          {{- include "hdp.tmpVolumeMounts" . | nindent 10 }}
    volumes:
      {{- include "hdp.tmpVolumes" (dict "sizeLimit" "1Gi") | nindent 6 }}
{{- end }}
