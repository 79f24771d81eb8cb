{{/*
hdp.local.secretEnv: environment variables taken from keys of the secret created by `make dev`
(k8s/local/create-secrets.sh). `.env` maps variable name -> secret key.
*/}}
{{- define "hdp.local.secretEnv" -}}
{{- range $name, $key := .env }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.root.Values.secrets.name }}
      key: {{ $key }}
{{- end }}
{{- end }}

{{/* hdp.local.simImage: the simulator image (images/sim) with its pull policy. */}}
{{- define "hdp.local.simImage" -}}
image: {{ include "hdp.image" .Values.local.sim.image }}
imagePullPolicy: {{ .Values.local.sim.image.pullPolicy }}
{{- end }}
