# rule prod-probes: The runtime's container has liveness and readiness probes, and they differ, so a busy pod leaves the Service without being restarted. (A SonataFlow's probes are its operator's.)
# fix: values `probes` (liveness and readiness on different paths)
package main

import rego.v1

deny contains msg if {
	some obj in workloads
	obj.kind == "Deployment"
	some c in obj.spec.template.spec.containers
	some probe in ["livenessProbe", "readinessProbe"]
	not c[probe]
	msg := denial("prod-probes", obj, sprintf("container %s has no %s", [c.name, probe]))
}

deny contains msg if {
	some obj in workloads
	obj.kind == "Deployment"
	some c in obj.spec.template.spec.containers
	c.livenessProbe == c.readinessProbe
	msg := denial("prod-probes", obj, sprintf("container %s has identical liveness and readiness probes", [c.name]))
}
