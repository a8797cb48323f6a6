{{/*
Helpers of production workflow charts. Decisions (what a chart contains) were made by
chartgen and recorded in files/chartgen-data.yaml; these helpers only render them.
Helpers that need the plan take (list $ $plan).
*/}}

{{/* Names of the root workflows (one SonataFlow each under the sonataflow runtime). Takes the plan. */}}
{{- define "chartgen.rootNames" -}}
{{- $names := list }}
{{- range .workflows }}{{ if .root }}{{ $names = append $names .name }}{{ end }}{{ end }}
{{- toJson $names }}
{{- end }}

{{/* Selects exactly this chart's runtime pods (ours, or the operator's under sonataflow). */}}
{{- define "chartgen.workloadSelector" -}}
{{- $root := index . 0 }}
{{- $plan := index . 1 }}
{{- if eq $plan.env.runtime "sonataflow" }}
matchExpressions:
  - key: sonataflow.org/workflow-app
    operator: In
    values: {{ include "chartgen.rootNames" $plan }}
{{- else }}
matchLabels:
  {{- include "chartgen.selectorLabels" $root | nindent 2 }}
{{- end }}
{{- end }}

{{/* The JDBC URL of the runtime's schema. */}}
{{- define "chartgen.jdbcUrl" -}}
{{- $pg := .Values.persistence }}
{{- printf "jdbc:postgresql://%s:%v/%s?currentSchema=%s" $pg.host $pg.port $pg.database $pg.schema }}
{{- end }}

{{/*
Environment of the runtime container: port, extra env, where credentials are read (the
Secret volume's folder, or the Vault agent's file), persistence settings. No credential is a
variable: values never appear here, only where they are.
*/}}
{{- define "chartgen.runtimeEnv" -}}
{{- $root := index . 0 }}
{{- $plan := index . 1 }}
{{- $env := $plan.env }}
- name: QUARKUS_HTTP_PORT
  value: "8080"
{{- if eq $env.runtime "kubernetes" }}
{{- /* This runtime's own address, whatever application.properties says: links, the source
     of produced events, and where the Jobs Service calls back when a timer is due. */}}
- name: KOGITO_SERVICE_URL
  value: {{ printf "http://%s.%s.svc.cluster.local:%v" $plan.names.workload $root.Release.Namespace $root.Values.service.port | quote }}
{{- end }}
{{- include "chartgen.extraEnv" $root }}
{{- if eq $env.provider "injector" }}
- name: QUARKUS_CONFIG_LOCATIONS
  value: file:/vault/secrets/workflow.properties
{{- else if $env.credentials }}
{{- /* Credentials are files of the Secret volume (chartgen.credentialsVolume), never variables. */}}
- name: SMALLRYE_CONFIG_SOURCE_FILE_LOCATIONS
  value: {{ $env.credentials.folder | quote }}
{{- end }}
{{- /* Under the sonataflow runtime the operator wires persistence from spec.persistence. */}}
{{- if and $env.persistence (eq $env.runtime "kubernetes") }}
- name: KOGITO_PERSISTENCE_TYPE
  value: jdbc
- name: QUARKUS_DATASOURCE_DB_KIND
  value: postgresql
- name: QUARKUS_DATASOURCE_JDBC_URL
  value: {{ include "chartgen.jdbcUrl" $root | quote }}
- name: KOGITO_PERSISTENCE_PROTO_MARSHALLER
  value: "false"
- name: KIE_FLYWAY_ENABLED
  value: "true"
{{- /* SonataFlow 10.0 has no KIE Flyway module: Quarkus' own Flyway creates the tables, from the
     locations the runtime image fixes at build time (chartgen build: classpath:db/postgresql). */}}
- name: QUARKUS_FLYWAY_MIGRATE_AT_START
  value: "true"
{{- end }}
{{- /* Sleeps and timeouts go to the platform's Jobs Service, which keeps them and calls the
     Service back (KOGITO_SERVICE_URL) when one is due: they survive restarts, fire once. */}}
{{- if and $plan.timers (eq $env.runtime "kubernetes") $root.Values.jobService }}
- name: KOGITO_JOBS_SERVICE_URL
  value: {{ $root.Values.jobService.url | quote }}
{{- end }}
{{- end }}

{{/* The objects that hold or fetch credentials: a change of any reference rolls the pods. */}}
{{- define "chartgen.secretRefsChecksum" -}}
{{- $root := index . 0 }}
{{- $plan := index . 1 }}
{{- $refs := dict "env" $plan.env "vault" $root.Values.vault "persistence" $root.Values.persistence }}
{{- toJson $refs | sha256sum }}
{{- end }}

{{/*
Vault Agent injector annotations: the agent renders every key into one properties file
the runtime reads through QUARKUS_CONFIG_LOCATIONS. It logs in with the token of the volume
below, which only the agent's containers mount (the injector mounts it at
/var/run/secrets/vault.hashicorp.com/serviceaccount): the runtime's own container has no token.
*/}}
{{- define "chartgen.injectorAnnotations" -}}
{{- $root := index . 0 }}
{{- $plan := index . 1 }}
{{- $vault := $root.Values.vault }}
{{- $path := printf "%s/data/%s" $vault.kvMount $vault.path }}
vault.hashicorp.com/agent-inject: "true"
vault.hashicorp.com/service: {{ $vault.address | quote }}
vault.hashicorp.com/role: {{ $vault.role | quote }}
vault.hashicorp.com/auth-path: {{ printf "auth/%s" $vault.authMount | quote }}
vault.hashicorp.com/agent-service-account-token-volume-name: vault-token
vault.hashicorp.com/agent-inject-secret-workflow.properties: {{ $path | quote }}
vault.hashicorp.com/agent-inject-template-workflow.properties: |
  {{ printf "{{- with secret %q }}" $path }}
  config_ordinal={{ $plan.env.credentials.ordinal }}
  {{- range $b := $plan.env.secretBindings }}
  {{ printf "%s={{ index .Data.data %q }}" $b.property $b.key }}
  {{- end }}
  {{ "{{- end }}" }}
{{- end }}

{{/* The agent's login token: this chart's ServiceAccount, for Vault's audience, short-lived
(the kubelet renews it; 600 s is the least Kubernetes allows). */}}
{{- define "chartgen.injectorTokenVolume" -}}
- name: vault-token
  projected:
    sources:
      - serviceAccountToken:
          path: token
          audience: {{ .Values.vault.audience | quote }}
          expirationSeconds: 600
{{- end }}

{{/*
The validation aggregator: what values set at install time can get wrong that the values
schema cannot say (a section this environment needs, bounds that depend on each other).
Every problem is collected and the render fails once, listing them all.
*/}}
{{- define "chartgen.validate" -}}
{{- include "chartgen.loadPlan" . }}
{{- $plan := .chartgenPlan }}
{{- $env := $plan.env }}
{{- $problems := list }}
{{- if and $env.persistence (not .Values.persistence) }}
{{- $problems = append $problems (printf "persistence is required in environment %s: %s" .Values.environment (first $plan.waits | default "the profile turns it on")) }}
{{- end }}
{{- if and $plan.timers (eq $env.runtime "kubernetes") (not .Values.jobService) }}
{{- $problems = append $problems (printf "jobService.url is required: %s, and the platform's Jobs Service keeps the timers" (first $plan.timers)) }}
{{- end }}
{{- if and $plan.events.consumed (not (dig "deadLetterSink" "" (.Values.eventing | default dict))) }}
{{- $problems = append $problems "eventing.deadLetterSink is required: this chart consumes events" }}
{{- end }}
{{- if and (or $plan.events.consumed $plan.events.produced) (not .Values.eventing) }}
{{- $problems = append $problems "eventing is required: this chart's workflows use events" }}
{{- end }}
{{- if and $env.readsVault (not .Values.vault) }}
{{- $problems = append $problems (printf "vault is required: the runtime's Secret comes from Vault (provider %s)" $env.provider) }}
{{- end }}
{{- if $env.hpa }}
{{- if not .Values.autoscaling }}
{{- $problems = append $problems "autoscaling is required: this environment scales with an HPA" }}
{{- else if le (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas) }}
{{- $problems = append $problems "autoscaling.maxReplicas must be greater than autoscaling.minReplicas" }}
{{- end }}
{{- else if not .Values.replicaCount }}
{{- $problems = append $problems "replicaCount is required: this environment has no HPA" }}
{{- end }}
{{- if and (eq $env.runtime "sonataflow") .Values.podAnnotations }}
{{- $problems = append $problems "podAnnotations cannot reach the pods under the sonataflow runtime: the operator gives them none of the SonataFlow's" }}
{{- end }}
{{- with $problems }}
{{- fail (printf "\n  - %s" (join "\n  - " .)) }}
{{- end }}
{{- end }}
