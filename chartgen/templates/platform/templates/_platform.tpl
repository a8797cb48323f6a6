{{/*
The platform chart's check of what values set at install time can get wrong that the values
schema cannot say: every problem collected, the render failing once, listing them all.
*/}}
{{- define "chartgen.platformValidate" -}}
{{- include "chartgen.loadPlan" . }}
{{- $plan := .chartgenPlan }}
{{- $problems := list }}
{{- range $svc := $plan.env.services }}
{{- $values := index $.Values $svc.values }}
{{- if not $values }}
{{- $problems = append $problems (printf "%s is required: this environment runs %s" $svc.values $svc.component) }}
{{- else if $svc.hpa }}
{{- if not $values.autoscaling }}
{{- $problems = append $problems (printf "%s.autoscaling is required: %s scales with an HPA" $svc.values $svc.component) }}
{{- else if le (int $values.autoscaling.maxReplicas) (int $values.autoscaling.minReplicas) }}
{{- $problems = append $problems (printf "%s.autoscaling.maxReplicas must be greater than minReplicas" $svc.values) }}
{{- end }}
{{- else if not $values.replicaCount }}
{{- $problems = append $problems (printf "%s.replicaCount is required: %s has no HPA" $svc.values $svc.component) }}
{{- end }}
{{- end }}
{{- if and $plan.env.readsVault (not .Values.vault) }}
{{- $problems = append $problems (printf "vault is required: the database login comes from Vault (provider %s)" $plan.env.provider) }}
{{- end }}
{{- with $problems }}
{{- fail (printf "\n  - %s" (join "\n  - " .)) }}
{{- end }}
{{- end }}
