# rule prod-pod-security: Pods meet the Pod Security "restricted" profile (non-root, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp, no host namespaces or paths), so a compromised runtime stays in its container.
# fix: values `securityContext` and the pod settings (chartgen's own are restricted)
package main

import rego.v1

pod_security_problems contains [obj, what] if {
	some [obj, spec] in pod_specs
	some c in containers(spec)
	not object.get(c, ["securityContext", "runAsNonRoot"], object.get(spec, ["securityContext", "runAsNonRoot"], false))
	what := sprintf("container %s may run as root (runAsNonRoot)", [c.name])
}

pod_security_problems contains [obj, what] if {
	some [obj, spec] in pod_specs
	some c in containers(spec)
	object.get(c, ["securityContext", "allowPrivilegeEscalation"], true) != false
	what := sprintf("container %s allows privilege escalation", [c.name])
}

pod_security_problems contains [obj, what] if {
	some [obj, spec] in pod_specs
	some c in containers(spec)
	not "ALL" in object.get(c, ["securityContext", "capabilities", "drop"], [])
	what := sprintf("container %s does not drop ALL capabilities", [c.name])
}

pod_security_problems contains [obj, what] if {
	some [obj, spec] in pod_specs
	some c in containers(spec)
	some added in object.get(c, ["securityContext", "capabilities", "add"], [])
	added != "NET_BIND_SERVICE"
	what := sprintf("container %s adds capability %s", [c.name, added])
}

pod_security_problems contains [obj, what] if {
	some [obj, spec] in pod_specs
	some c in containers(spec)
	object.get(c, ["securityContext", "privileged"], false) == true
	what := sprintf("container %s is privileged", [c.name])
}

pod_security_problems contains [obj, what] if {
	some [obj, spec] in pod_specs
	some c in containers(spec)
	seccomp := object.get(c, ["securityContext", "seccompProfile", "type"], object.get(spec, ["securityContext", "seccompProfile", "type"], ""))
	not seccomp in {"RuntimeDefault", "Localhost"}
	what := sprintf("container %s has no RuntimeDefault seccomp profile", [c.name])
}

pod_security_problems contains [obj, what] if {
	some [obj, spec] in pod_specs
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	spec[field] == true
	what := sprintf("the pod sets %s", [field])
}

pod_security_problems contains [obj, what] if {
	some [obj, spec] in pod_specs
	some v in object.get(spec, "volumes", [])
	v.hostPath
	what := sprintf("volume %s is a hostPath", [v.name])
}

deny contains msg if {
	some [obj, what] in pod_security_problems
	msg := denial("prod-pod-security", obj, what)
}
