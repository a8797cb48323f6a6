{{/*
Helpers of the charts with deployer and viewer Roles (production workflow charts and the
platform chart): who may deploy and read exactly the chart's kinds in its namespace.
*/}}

{{/* RBAC subjects: [{kind: Group|User|ServiceAccount, name, namespace}]. Takes (dict "subjects" .. "namespace" ..). */}}
{{- define "chartgen.subjects" -}}
{{- range .subjects }}
- kind: {{ .kind }}
  name: {{ .name | quote }}
  {{- if eq .kind "ServiceAccount" }}
  namespace: {{ .namespace | default $.namespace | quote }}
  {{- else }}
  apiGroup: rbac.authorization.k8s.io
  {{- end }}
{{- end }}
{{- end }}
