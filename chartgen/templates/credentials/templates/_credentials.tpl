{{/*
Helpers of the charts that read a Secret of credentials (production workflow charts and the
platform chart): how a pod mounts them. The Secret's objects (VSO, ESO) are this folder's.
*/}}

{{/* The runtime container's mount of the credentials volume (none when it reads no Secret). */}}
{{- define "chartgen.credentialsMount" -}}
{{- with .env.credentials }}{{- if .folder }}
- name: credentials
  mountPath: {{ .folder | quote }}
  readOnly: true
{{- end }}{{- end }}
{{- end }}

{{/*
The credentials volume: each Secret key the runtime reads as a file named like the variable it
replaces, beside `config_ordinal` (the config ConfigMap's key), which gives the folder its
precedence as a config source. Takes the plan.
*/}}
{{- define "chartgen.credentialsVolume" -}}
{{- $env := .env }}
{{- with .env.credentials }}{{- if .folder }}
- name: credentials
  projected:
    defaultMode: {{ .mode }}  # {{ printf "0%o" (int .mode) }}: owner root, group fsGroup (the runtime user)
    sources:
      - secret:
          name: {{ $env.secretName | quote }}
          items:
            {{- range $b := $env.secretBindings }}
            - key: {{ $b.key | quote }}
              path: {{ $b.env | quote }}
            {{- end }}
      - configMap:
          name: {{ $.names.config | quote }}
          items:
            - key: {{ .ordinalKey | quote }}
              path: config_ordinal
{{- end }}{{- end }}
{{- end }}
