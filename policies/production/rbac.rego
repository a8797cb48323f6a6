# rule prod-rbac-wildcards: No RBAC rule uses '*' for verbs, resources or API groups, so a grant says exactly what it allows and does not grow with new APIs.
# fix: profile `rbac.kubernetesApi` (name every verb, resource and group)
package main

import rego.v1

roles contains obj if {
	some obj in objects
	obj.kind in {"Role", "ClusterRole"}
}

deny contains msg if {
	some role in roles
	some rule in object.get(role, "rules", [])
	some field in ["verbs", "resources", "apiGroups"]
	"*" in object.get(rule, field, [])
	msg := denial("prod-rbac-wildcards", role, sprintf("a rule has '*' in %s", [field]))
}
