# rule prod-rbac-runtime: A Role bound to a runtime's ServiceAccount grants no Secrets, no shell or tunnel into pods (exec, attach, port-forward, proxy, ephemeral containers), no tokens, no writes to workloads, RBAC or webhooks, and no escalate, bind or impersonate, so a workflow cannot read credentials, enter other pods or widen its rights.
# fix: profile `rbac.kubernetesApi` (the runtime's own API rules)
package main

import rego.v1

# The table (runtime_never, runtime_never_verbs) is generated from chartgen's own, in
# rbac_runtime_table.rego: the policy and `generate` refuse the same rules.

runtime_roles contains role if {
	some binding in objects
	binding.kind == "RoleBinding"
	some subject in binding.subjects
	subject.kind == "ServiceAccount"
	some role in objects
	role.kind == binding.roleRef.kind
	role.metadata.name == binding.roleRef.name
}

deny contains msg if {
	some role in runtime_roles
	some rule in object.get(role, "rules", [])
	some what in runtime_refusals(rule)
	msg := denial("prod-rbac-runtime", role, sprintf("grants a runtime's ServiceAccount %s", [what]))
}

runtime_refusals(rule) := {what |
	some verb in object.get(rule, "verbs", [])
	verb in runtime_never_verbs
	what := sprintf("the verb %s", [verb])
} | {what |
	some resource in object.get(rule, "resources", [])
	some target, verbs in runtime_never
	covers(resource, target)
	grants_a_verb_of(rule, verbs)
	what := rights_on(target, resource)
}

rights_on(target, resource) := sprintf("rights on %s", [target]) if {
	resource == target
} else := sprintf("rights on %s (%s covers it)", [target, resource])

# As the API server matches rules: `*/<sub>` covers that subresource of every resource.
covers(resource, target) if resource == target

covers(resource, target) if {
	parts := split(target, "/")
	count(parts) == 2
	resource == concat("/", ["*", parts[1]])
}

grants_a_verb_of(_, verbs) if count(verbs) == 0

grants_a_verb_of(rule, _) if "*" in object.get(rule, "verbs", [])

grants_a_verb_of(rule, verbs) if {
	some verb in object.get(rule, "verbs", [])
	verb in verbs
}
