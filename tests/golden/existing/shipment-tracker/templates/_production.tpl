{{/*
Helpers of production workflow charts. Decisions (what a chart contains) were made by
chartgen and recorded in files/chartgen-data.yaml; these helpers only render them.
*/}}

{{/* The chart data as a dict: chartgen.facts */}}
{{- define "chartgen.facts" -}}
{{- .Files.Get "files/chartgen-data.yaml" }}
{{- end }}

{{/* Names of the root workflows (one SonataFlow each under the sonataflow runtime). */}}
{{- define "chartgen.rootNames" -}}
{{- $names := list }}
{{- range (include "chartgen.facts" . | fromYaml).workflows }}
{{- if .root }}{{ $names = append $names .name }}{{ end }}
{{- end }}
{{- toJson $names }}
{{- end }}

{{/* Selects exactly this chart's runtime pods (ours, or the operator's under sonataflow). */}}
{{- define "chartgen.workloadSelector" -}}
{{- if eq .Values.runtime "sonataflow" }}
matchExpressions:
  - key: sonataflow.org/workflow-app
    operator: In
    values: {{ include "chartgen.rootNames" . }}
{{- else }}
matchLabels:
  {{- include "chartgen.selectorLabels" . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Whether the runtime needs credentials at all. */}}
{{- define "chartgen.usesSecrets" -}}
{{- $facts := include "chartgen.facts" . | fromYaml }}
{{- if or $facts.secretKeys .Values.persistence.enabled .Values.secrets.env }}true{{ end }}
{{- end }}

{{/* The one Secret holding every credential of this runtime. */}}
{{- define "chartgen.secretName" -}}
{{- if eq .Values.secrets.provider "existing" }}
{{- required "secrets.existingSecret is required with provider existing" .Values.secrets.existingSecret }}
{{- else }}
{{- default (printf "%s-secrets" (include "chartgen.fullname" .)) .Values.secrets.secretName }}
{{- end }}
{{- end }}

{{/* Every Secret key the runtime reads: workflow secrets, database credentials, mapped env. */}}
{{- define "chartgen.secretKeys" -}}
{{- $facts := include "chartgen.facts" . | fromYaml }}
{{- $keys := $facts.secretKeys | default list }}
{{- if .Values.persistence.enabled }}
{{- $cred := .Values.persistence.postgresql.credentials }}
{{- $keys = append $keys (printf "%s_username" $cred) }}
{{- $keys = append $keys (printf "%s_password" $cred) }}
{{- end }}
{{- range $env, $key := .Values.secrets.env }}
{{- $keys = append $keys $key }}
{{- end }}
{{- toJson ($keys | uniq | sortAlpha) }}
{{- end }}

{{/* A Secret key as the environment variable MicroProfile Config reads it (a.b-c -> A_B_C). */}}
{{- define "chartgen.envName" -}}
{{- regexReplaceAll "[^A-Za-z0-9]" . "_" | upper }}
{{- end }}

{{/* The JDBC URL of the workflow's schema. */}}
{{- define "chartgen.jdbcUrl" -}}
{{- $pg := .Values.persistence.postgresql }}
{{- printf "jdbc:postgresql://%s:%v/%s?currentSchema=%s" (required "persistence.postgresql.host is required" $pg.host) $pg.port (required "persistence.postgresql.database is required" $pg.database) $pg.schema }}
{{- end }}

{{/*
Environment of the runtime container: port, user env, credentials (secretKeyRef, or the
Vault agent's file), persistence settings. Values never appear here, only references.
*/}}
{{- define "chartgen.runtimeEnv" -}}
- name: QUARKUS_HTTP_PORT
  value: "8080"
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- if include "chartgen.usesSecrets" . }}
{{- if eq .Values.secrets.provider "injector" }}
- name: QUARKUS_CONFIG_LOCATIONS
  value: file:/vault/secrets/workflow.properties
{{- else }}
{{- $secret := include "chartgen.secretName" . }}
{{- $facts := include "chartgen.facts" . | fromYaml }}
{{- range $key := $facts.secretNames }}
- name: {{ include "chartgen.envName" $key }}
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: {{ $key | quote }}}
{{- end }}
{{- range $env, $key := merge (dict) .Values.secrets.env ($facts.secretEnv | default dict) }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: {{ $key | quote }}}
{{- end }}
{{- if and .Values.persistence.enabled (eq .Values.runtime "kubernetes") }}
- name: QUARKUS_DATASOURCE_USERNAME
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: {{ printf "%s_username" .Values.persistence.postgresql.credentials | quote }}}
- name: QUARKUS_DATASOURCE_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: {{ printf "%s_password" .Values.persistence.postgresql.credentials | quote }}}
{{- end }}
{{- end }}
{{- end }}
{{- /* Under the sonataflow runtime the operator wires persistence from spec.persistence. */}}
{{- if and .Values.persistence.enabled (eq .Values.runtime "kubernetes") }}
- name: KOGITO_PERSISTENCE_TYPE
  value: jdbc
- name: QUARKUS_DATASOURCE_DB_KIND
  value: postgresql
- name: QUARKUS_DATASOURCE_JDBC_URL
  value: {{ include "chartgen.jdbcUrl" . | quote }}
- name: KOGITO_PERSISTENCE_PROTO_MARSHALLER
  value: "false"
- name: KIE_FLYWAY_ENABLED
  value: "true"
{{- end }}
{{- end }}

{{/* The objects that hold or fetch credentials: a change of any reference rolls the pods. */}}
{{- define "chartgen.secretRefsChecksum" -}}
{{- $refs := dict "keys" (include "chartgen.secretKeys" .) "secrets" .Values.secrets "persistence" .Values.persistence }}
{{- toJson $refs | sha256sum }}
{{- end }}

{{/*
Vault Agent injector annotations: the agent renders every key into one properties file
the runtime reads through QUARKUS_CONFIG_LOCATIONS.
*/}}
{{- define "chartgen.injectorAnnotations" -}}
{{- $vault := .Values.secrets.vault }}
{{- $path := printf "%s/data/%s" $vault.kvMount $vault.path }}
vault.hashicorp.com/agent-inject: "true"
vault.hashicorp.com/role: {{ $vault.role | quote }}
vault.hashicorp.com/auth-path: {{ printf "auth/%s" $vault.authMount | quote }}
vault.hashicorp.com/agent-inject-secret-workflow.properties: {{ $path | quote }}
vault.hashicorp.com/agent-inject-template-workflow.properties: |
  {{ printf "{{- with secret %q }}" $path }}
  {{- range $key := include "chartgen.secretKeys" . | fromJsonArray }}
  {{ printf "%s={{ index .Data.data %q }}" $key $key }}
  {{- end }}
  {{- $facts := include "chartgen.facts" . | fromYaml }}
  {{- range $env, $key := merge (dict) .Values.secrets.env ($facts.secretEnv | default dict) }}
  {{ printf "%s={{ index .Data.data %q }}" $env $key }}
  {{- end }}
  {{- if .Values.persistence.enabled }}
  {{ printf "quarkus.datasource.username={{ index .Data.data %q }}" (printf "%s_username" .Values.persistence.postgresql.credentials) }}
  {{ printf "quarkus.datasource.password={{ index .Data.data %q }}" (printf "%s_password" .Values.persistence.postgresql.credentials) }}
  {{- end }}
  {{ "{{- end }}" }}
{{- end }}

{{/* Failures that no values file may bring back (the validation aggregator). */}}
{{- define "chartgen.validate" -}}
{{- $facts := include "chartgen.facts" . | fromYaml }}
{{- if and $facts.waits (not .Values.persistence.enabled) }}
{{- fail (printf "persistence cannot be disabled: %s" (first $facts.waits)) }}
{{- end }}
{{- if and .Values.autoscaling.enabled (lt (int .Values.autoscaling.minReplicas) 2) }}
{{- fail "autoscaling.minReplicas must be at least 2" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (le (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas)) }}
{{- fail "autoscaling.maxReplicas must be greater than autoscaling.minReplicas" }}
{{- end }}
{{- if and $facts.events.consumed (not .Values.eventing.deadLetterSink) }}
{{- fail "eventing.deadLetterSink is required: this chart consumes events" }}
{{- end }}
{{- end }}

{{/* Whether the HPA can act: Deployments always; SonataFlow only with the scale subresource. */}}
{{- define "chartgen.hpaActive" -}}
{{- if and .Values.autoscaling.enabled (or (eq .Values.runtime "kubernetes") .Values.sonataflow.scaleSubresource) }}true{{ end }}
{{- end }}

{{/*
The kinds this chart creates, as RBAC (apiGroup, resources): what the deployer Role may
manage and the viewer Role may read. Mirrors the conditions of the templates.
*/}}
{{- define "chartgen.managedResources" -}}
{{- $facts := include "chartgen.facts" . | fromYaml }}
{{- $kubernetes := eq .Values.runtime "kubernetes" }}
{{- $secrets := include "chartgen.usesSecrets" . }}
{{- $core := list "configmaps" "pods" }}
{{- if .Values.serviceAccount.create }}{{ $core = append $core "serviceaccounts" }}{{ end }}
{{- if $kubernetes }}{{ $core = append $core "services" }}{{ end }}
{{- $groups := dict "" $core "rbac.authorization.k8s.io" (list "roles" "rolebindings") }}
{{- if $kubernetes }}{{ $_ := set $groups "apps" (list "deployments") }}{{ end }}
{{- if include "chartgen.hpaActive" . }}{{ $_ := set $groups "autoscaling" (list "horizontalpodautoscalers") }}{{ end }}
{{- if .Values.podDisruptionBudget.enabled }}{{ $_ := set $groups "policy" (list "poddisruptionbudgets") }}{{ end }}
{{- if .Values.networkPolicy.enabled }}{{ $_ := set $groups "networking.k8s.io" (list "networkpolicies") }}{{ end }}
{{- if and $secrets (eq .Values.secrets.provider "vso") }}
{{- $_ := set $groups "secrets.hashicorp.com" (list "vaultconnections" "vaultauths" "vaultstaticsecrets") }}
{{- end }}
{{- if and $secrets (eq .Values.secrets.provider "eso") }}
{{- $_ := set $groups "external-secrets.io" (list "secretstores" "externalsecrets") }}
{{- end }}
{{- if $facts.events.consumed }}{{ $_ := set $groups "eventing.knative.dev" (list "triggers") }}{{ end }}
{{- if and $facts.events.produced $kubernetes }}{{ $_ := set $groups "sources.knative.dev" (list "sinkbindings") }}{{ end }}
{{- if not $kubernetes }}{{ $_ := set $groups "sonataflow.org" (list "sonataflows") }}{{ end }}
{{- toJson $groups }}
{{- end }}

{{/* RBAC subjects from values: [{kind: Group|User|ServiceAccount, name, namespace}] */}}
{{- define "chartgen.subjects" -}}
{{- range .subjects }}
- kind: {{ .kind }}
  name: {{ .name }}
  {{- if eq .kind "ServiceAccount" }}
  namespace: {{ .namespace | default $.namespace }}
  {{- else }}
  apiGroup: rbac.authorization.k8s.io
  {{- end }}
{{- end }}
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
