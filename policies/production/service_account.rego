# rule prod-service-account: Each runtime runs as its own ServiceAccount, with no API token mounted unless the chart grants it Kubernetes API rules, so a compromised runtime holds no credential it was not meant to.
# fix: profile `rbac.kubernetesApi` (a token only for the API rules it grants)
package main

import rego.v1

# ServiceAccounts a RoleBinding of this chart gives rules to: the chart declares API use.
granted_accounts contains subject.name if {
	some binding in objects
	binding.kind == "RoleBinding"
	some subject in binding.subjects
	subject.kind == "ServiceAccount"
}

deny contains msg if {
	some obj in workloads
	some [obj2, spec] in pod_specs
	obj2 == obj
	object.get(spec, "serviceAccountName", "default") in {"", "default"}
	msg := denial("prod-service-account", obj, "runs as the namespace's default ServiceAccount")
}

deny contains msg if {
	some obj in workloads
	some [obj2, spec] in pod_specs
	obj2 == obj
	account := object.get(spec, "serviceAccountName", "default")
	object.get(spec, "automountServiceAccountToken", true) != false
	not account in granted_accounts
	msg := denial("prod-service-account", obj, sprintf("mounts an API token for %s, which the chart grants no API rules", [account]))
}
