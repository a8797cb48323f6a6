{{/*
Helpers shared by every template of a chartgen workflow chart. chartgen decided what the
chart contains and wrote it to files/chartgen-data.yaml; these helpers only render it.
*/}}

{{/*
The plan of this chart for the environment the values name (files/chartgen-data.yaml, with
that environment's block as .env), read once per render and kept on the root context:
  {{- include "chartgen.loadPlan" . }}{{- $plan := .chartgenPlan }}
values.yaml alone names no environment, and the chart says so.
*/}}
{{- define "chartgen.loadPlan" -}}
{{- if not (hasKey . "chartgenPlan") }}
{{- $data := .Files.Get "files/chartgen-data.yaml" | fromYaml }}
{{- $env := .Values.environment | default "" | toString }}
{{- $known := keys $data.environments | sortAlpha | join ", " }}
{{- /* A refusal is an include of no template, named by the message: unlike `fail`, which
helm lint only logs and renders past, it stops install, template and lint alike. */}}
{{- if not $env }}
{{- include (printf "chartgen: values.yaml alone is not an environment: install with --set environment=<env> (or -f values-<env>.yaml) for one of: %s" $known) . }}
{{- end }}
{{- if not (hasKey $data.environments $env) }}
{{- include (printf "chartgen: unknown environment '%s': this chart was generated for %s" $env $known) . }}
{{- end }}
{{- $_ := set $data "env" (index $data.environments $env) }}
{{- $_ := set . "chartgenPlan" $data }}
{{- /* The environment's values the chart carries, under what was given: `--set environment=ENV`
(a chart installed straight from a registry) renders as `-f values-ENV.yaml` does. */}}
{{- $carried := .Files.Get (printf "values-%s.yaml" $env) | fromYaml }}
{{- if $carried }}
{{- $base := .Files.Get "files/chartgen-defaults.yaml" | fromYaml }}
{{- $given := include "chartgen.changedValues" (list .Values $base) | fromYaml }}
{{- $_ := set . "Values" (mergeOverwrite (deepCopy $base) $carried $given) }}
{{- end }}
{{- end }}
{{- end }}

{{/* The values of `given` (a map) that differ from `base`, as YAML: what the user supplied. */}}
{{- define "chartgen.changedValues" -}}
{{- $given := index . 0 }}
{{- $base := index . 1 }}
{{- $out := dict }}
{{- range $k, $v := $given }}
{{- $was := get $base $k }}
{{- if and (kindIs "map" $v) (kindIs "map" $was) }}
{{- $sub := include "chartgen.changedValues" (list $v $was) | fromYaml }}
{{- if $sub }}
{{- $_ := set $out $k $sub }}
{{- end }}
{{- else if or (not (hasKey $base $k)) (ne (toJson $v) (toJson $was)) }}
{{- $_ := set $out $k $v }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* chart label value: chartgen.chart */}}
{{- define "chartgen.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: never a version, so upgrades never touch immutable selectors. The
component is the chart's (chartgen-data.yaml); the `Of` forms take (list $ component), for the
objects of one service of a platform chart. */}}
{{- define "chartgen.selectorLabels" -}}
{{ include "chartgen.selectorLabelsOf" (list . .chartgenPlan.component) }}
{{- end }}

{{- define "chartgen.selectorLabelsOf" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name | quote }}
app.kubernetes.io/instance: {{ $root.Release.Name | quote }}
app.kubernetes.io/component: {{ index . 1 | quote }}
{{- end }}

{{/* The recommended labels, on every object. */}}
{{- define "chartgen.labels" -}}
{{ include "chartgen.labelsOf" (list . .chartgenPlan.component) }}
{{- end }}

{{- define "chartgen.labelsOf" -}}
helm.sh/chart: {{ include "chartgen.chart" (index . 0) | quote }}
{{ include "chartgen.podTemplateLabelsOf" . }}
{{- end }}

{{/* The labels of pod templates: all but the chart version, so a version-only bump rolls no pod. */}}
{{- define "chartgen.podTemplateLabels" -}}
{{ include "chartgen.podTemplateLabelsOf" (list . .chartgenPlan.component) }}
{{- end }}

{{- define "chartgen.podTemplateLabelsOf" -}}
{{- $own := include "chartgen.ownLabelsOf" . }}
{{- $own }}
{{- include "chartgen.commonLabels" (list (index . 0) $own) }}
{{- end }}

{{- define "chartgen.ownLabels" -}}
{{ include "chartgen.ownLabelsOf" (list . .chartgenPlan.component) }}
{{- end }}

{{- define "chartgen.ownLabelsOf" -}}
{{- $root := index . 0 -}}
{{ include "chartgen.selectorLabelsOf" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: {{ index $root.Chart.Annotations "chartgen/part-of" | default $root.Chart.Name | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service | quote }}
{{- end }}

{{/* The organisation's commonLabels, after the labels `own` (YAML) holds: those win. */}}
{{- define "chartgen.commonLabels" -}}
{{- $root := index . 0 }}
{{- $taken := index . 1 | fromYaml }}
{{- range $k, $v := $root.Values.commonLabels }}
{{- if not (or (hasKey $taken $k) (eq $k "helm.sh/chart")) }}
{{ $k | quote }}: {{ $v | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
An object's annotations block ("" when it has none): `extra` (the object's own, which win), the
commonAnnotations, and the policyExceptions of its kind as chartgen.io/allow (one `<rule-id>:
<reason>` per line). Called as (list $ "Kind" (dict ...)).
*/}}
{{- define "chartgen.annotations" -}}
{{- $root := index . 0 }}
{{- $all := deepCopy ($root.Values.commonAnnotations | default dict) }}
{{- with index ($root.Values.policyExceptions | default dict) (index . 1) }}
{{- $_ := set $all "chartgen.io/allow" (join "\n" .) }}
{{- end }}
{{- $all = mergeOverwrite $all (index . 2) }}
{{- with $all }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
A ConfigMap's content (its data and binaryData), the one rendering both the ConfigMap and the
pods' checksum of it use: labels are left out, so the checksum moves only with the content.
*/}}
{{- define "chartgen.configMapContent" -}}
{{- $root := index . 0 }}
{{- $cm := index . 1 }}
{{- with $cm.text }}
data:
  {{- range $f := . }}
  {{ $f.key | quote }}: {{ $root.Files.Get $f.source | toJson }}
  {{- end }}
{{- end }}
{{- with $cm.binary }}
binaryData:
  {{- range $f := . }}
  {{ $f.key | quote }}: {{ $root.Files.Get $f.source | b64enc | quote }}
  {{- end }}
{{- end }}
{{- end }}

{{/* The properties ConfigMap's content (see chartgen.configMapContent). */}}
{{- define "chartgen.propertiesContent" -}}
{{- $root := index . 0 }}
data:
  {{- range $f := (index . 1).properties }}
  {{ $f.key | quote }}: {{ include "chartgen.properties" (list $root $f) | toJson }}
  {{- end }}
{{- end }}

{{/* An image reference: by digest when one is given, else by tag. */}}
{{- define "chartgen.image" -}}
{{- include "chartgen.imageOf" .Values.image }}
{{- end }}

{{/* An image reference from its values (repository, tag, digest). */}}
{{- define "chartgen.imageOf" -}}
{{- $image := . }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else if $image.tag }}
{{- printf "%s:%s" $image.repository $image.tag }}
{{- else }}
{{- $image.repository }}
{{- end }}
{{- end }}

{{/* application.properties: the project's file, then this environment's entries. Takes (list $ file). */}}
{{- define "chartgen.properties" -}}
{{- $root := index . 0 }}
{{- $file := index . 1 }}
{{- $root.Files.Get $file.source }}
{{- if and (eq $file.key "application.properties") $root.Values.properties }}
# Environment entries (values: properties)
{{- range $key, $value := $root.Values.properties }}
{{- /* Java reads a backslash as an escape, and one at the end of a line joins the next line. */}}
{{ $key | replace "\\" "\\\\" }}={{ $value | toString | replace "\\" "\\\\" }}
{{- end }}
{{- end }}
{{- with $root.Values.dataIndex }}{{ if eq $file.key "application.properties" }}
{{- $toBroker := $root.chartgenPlan.env.eventsToBroker }}
{{- if $toBroker }}
# Instance events to the Knative broker (K_SINK, from the SinkBinding); the platform chart's
# Triggers take them to the Data Index
{{- else }}
# Instance events to the platform's Data Index (values: dataIndex.url), as HTTP CloudEvents
{{- end }}
{{- $url := trimSuffix "/" .url }}
{{- range $root.chartgenPlan.processEvents }}
mp.messaging.outgoing.{{ .channel }}.connector=quarkus-http
mp.messaging.outgoing.{{ .channel }}.url={{ if $toBroker }}${K_SINK}{{ else }}{{ $url }}{{ .path }}{{ end }}
{{- end }}
kogito.events.usertasks.enabled=false
kogito.events.variables.enabled=false
{{- end }}{{ end }}
{{- end }}

{{/*
Variables reading the runtime's Secret, one per binding chartgen planned. Takes
(dict "plan" $plan "optional" bool): the dev pod starts without its Secret.
*/}}
{{- define "chartgen.secretEnv" -}}
{{- $env := .plan.env }}
{{- range $b := $env.secretBindings }}
- name: {{ $b.env | quote }}
  valueFrom:
    secretKeyRef: {name: {{ $env.secretName | quote }}, key: {{ $b.key | quote }}{{ if $.optional }}, optional: true{{ end }}}
{{- end }}
{{- end }}

{{/* Extra environment variables from values (never secrets). */}}
{{- define "chartgen.extraEnv" -}}
{{- range $name, $value := .Values.env }}
- name: {{ $name | quote }}
  value: {{ $value | quote }}
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
  httpGet: {path: {{ .startup.path | quote }}, port: http}
  periodSeconds: {{ .startup.periodSeconds }}
  timeoutSeconds: {{ .startup.timeoutSeconds }}
  failureThreshold: {{ .startup.failureThreshold }}
livenessProbe:
  httpGet: {path: {{ .liveness.path | quote }}, port: http}
  periodSeconds: {{ .liveness.periodSeconds }}
  timeoutSeconds: {{ .liveness.timeoutSeconds }}
  failureThreshold: {{ .liveness.failureThreshold }}
readinessProbe:
  httpGet: {path: {{ .readiness.path | quote }}, port: http}
  periodSeconds: {{ .readiness.periodSeconds }}
  timeoutSeconds: {{ .readiness.timeoutSeconds }}
  failureThreshold: {{ .readiness.failureThreshold }}
{{- end }}
{{- end }}

{{/* Where the pods run: node selector, tolerations, affinity, priority (values). */}}
{{- define "chartgen.placement" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Every resources ConfigMap's name and content, hashed (see chartgen.configMapContent). */}}
{{- define "chartgen.resourcesChecksum" -}}
{{- $root := index . 0 }}
{{- $all := list }}
{{- range $cm := (index . 1).configMaps }}
{{- $all = append $all (printf "%s\n%s" $cm.name (include "chartgen.configMapContent" (list $root $cm))) }}
{{- end }}
{{- join "\n---\n" $all | sha256sum }}
{{- end }}

{{/* Pod security context of the runtime: non-root with a fixed UID, seccomp RuntimeDefault. */}}
{{- define "chartgen.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}
