{{/*
hdp.egressRules: NetworkPolicy egress rules from a list of {name, cidrs, ports} (values networkPolicy.egress
and networkPolicy.apiServer), so every policy that lets a pod out says so with the same shape.
*/}}
{{- define "hdp.egressRules" -}}
{{- range . }}
- to:
    {{- range .cidrs }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  ports:
    {{- range .ports }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
{{- end }}
{{- end }}

{{/* hdp.dnsEgress: every pod resolves names through the cluster DNS in kube-system. */}}
{{- define "hdp.dnsEgress" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- end }}

{{/* hdp.localComponentPeer: a policy peer (list item) for the pods of one local-development component. */}}
{{- define "hdp.localComponentPeer" -}}
- podSelector:
    matchLabels:
      app.kubernetes.io/name: hdp
      app.kubernetes.io/component: {{ . }}
{{- end }}

{{/* hdp.sparkPeer: a policy peer (list item) for Spark drivers and executors (labelled by Spark itself). */}}
{{- define "hdp.sparkPeer" -}}
- podSelector:
    matchExpressions:
      - {key: spark-role, operator: In, values: ["driver", "executor"]}
{{- end }}
