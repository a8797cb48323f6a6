# rule prod-rbac-runtime: A Role bound to a runtime's ServiceAccount grants no Secrets, exec, attach, port-forward, proxy or token rights, so a workflow cannot read credentials or enter other pods.
package main

import rego.v1

sensitive_resources := {"secrets", "pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "services/proxy", "nodes/proxy", "serviceaccounts/token"}

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
	some resource in object.get(rule, "resources", [])
	resource in sensitive_resources
	msg := denial("prod-rbac-runtime", role, sprintf("grants a runtime's ServiceAccount rights on %s", [resource]))
}
