# rule dev-single-pod: A dev chart runs one pod: one Deployment with one replica, replaced (Recreate) rather than rolled, since dev mode keeps its state in memory and two would diverge.
# fix: values: one replica (the dev chart's own)
package main

import rego.v1

deny contains msg if {
	deployments := [obj | some obj in objects; obj.kind == "Deployment"]
	count(deployments) > 1
	some obj in deployments
	msg := denial("dev-single-pod", obj, sprintf("is one of %d Deployments: a dev chart runs one", [count(deployments)]))
}

deny contains msg if {
	some obj in objects
	obj.kind in {"StatefulSet", "DaemonSet", "SonataFlow"}
	msg := denial("dev-single-pod", obj, "a dev chart runs one Deployment and nothing else")
}

deny contains msg if {
	some obj in objects
	obj.kind == "Deployment"
	object.get(obj, ["spec", "replicas"], 1) != 1
	msg := denial("dev-single-pod", obj, sprintf("has %d replicas, not 1", [obj.spec.replicas]))
}

deny contains msg if {
	some obj in objects
	obj.kind == "Deployment"
	object.get(obj, ["spec", "strategy", "type"], "RollingUpdate") != "Recreate"
	msg := denial("dev-single-pod", obj, "its strategy is not Recreate")
}
