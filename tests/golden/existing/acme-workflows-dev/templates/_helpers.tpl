{{/*
Helpers shared by every template of a chartgen workflow chart.
Names follow Helm's conventions: release-based, at most 63 characters.
*/}}

{{/* The chart's short name: chartgen.name */}}
{{- define "chartgen.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release-scoped name every object is named after: chartgen.fullname */}}
{{- define "chartgen.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart label value: chartgen.chart */}}
{{- define "chartgen.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: never a version, so upgrades never touch immutable selectors. */}}
{{- define "chartgen.selectorLabels" -}}
app.kubernetes.io/name: {{ include "chartgen.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: workflow-runtime
{{- end }}

{{/* The recommended labels, on every object. */}}
{{- define "chartgen.labels" -}}
helm.sh/chart: {{ include "chartgen.chart" . }}
{{ include "chartgen.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: {{ .Values.partOf | default .Chart.Name | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The ServiceAccount the pods run as. */}}
{{- define "chartgen.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "chartgen.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The runtime image: by digest when one is given, else by tag (never "latest"). */}}
{{- define "chartgen.image" -}}
{{- $image := .Values.image }}
{{- if eq $image.tag "latest" }}
{{- fail "image.tag must be a pinned version, not latest" }}
{{- end }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository $image.tag }}
{{- end }}
{{- end }}

{{/* What chartgen knows about this chart (files, workflows, events, secret keys): files/chartgen-data.yaml */}}
{{- define "chartgen.data" -}}
{{- .Files.Get "files/chartgen-data.yaml" }}
{{- end }}

{{/* application.properties: the project's file, then this environment's entries. */}}
{{- define "chartgen.properties" -}}
{{- $root := index . 0 }}
{{- $file := index . 1 }}
{{- $root.Files.Get $file.source }}
{{- if and (eq $file.key "application.properties") $root.Values.properties }}
# Environment entries (values: properties)
{{- range $key, $value := $root.Values.properties }}
{{ $key }}={{ $value | replace "\n" "\\n" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The devmode image: repository plus tag, or plus "@sha256:..." when pinned by digest. */}}
{{- define "chartgen.devImage" -}}
{{- $image := .Values.image }}
{{- if hasPrefix "@" ($image.tag | default "") }}
{{- printf "%s%s" $image.repository $image.tag }}
{{- else if $image.tag }}
{{- printf "%s:%s" $image.repository $image.tag }}
{{- else }}
{{- $image.repository }}
{{- end }}
{{- end }}

{{/* Container security context of the restricted Pod Security level; the root filesystem is
read-only unless the caller passes (dict "writable" true) (devmode compiles into it). */}}
{{- define "chartgen.containerSecurityContext" -}}
allowPrivilegeEscalation: false
{{- if not .writable }}
readOnlyRootFilesystem: true
{{- end }}
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Startup, liveness and readiness probes on the health endpoints (values: probes). */}}
{{- define "chartgen.probes" -}}
{{- with .Values.probes }}
startupProbe:
  httpGet: {path: {{ .startup.path }}, port: http}
  periodSeconds: {{ .startup.periodSeconds }}
  timeoutSeconds: {{ .startup.timeoutSeconds }}
  failureThreshold: {{ .startup.failureThreshold }}
livenessProbe:
  httpGet: {path: {{ .liveness.path }}, port: http}
  periodSeconds: {{ .liveness.periodSeconds }}
  timeoutSeconds: {{ .liveness.timeoutSeconds }}
  failureThreshold: {{ .liveness.failureThreshold }}
readinessProbe:
  httpGet: {path: {{ .readiness.path }}, port: http}
  periodSeconds: {{ .readiness.periodSeconds }}
  timeoutSeconds: {{ .readiness.timeoutSeconds }}
  failureThreshold: {{ .readiness.failureThreshold }}
{{- end }}
{{- end }}
