# rule prod-hpa: An HPA is autoscaling/v2 with minReplicas of at least 2, and the Deployment it scales sets no replicas (an upgrade would reset the count the HPA chose).
# fix: profile `scaling.minReplicas` (at least 2)
package main

import rego.v1

deny contains msg if {
	some hpa in hpas
	hpa.apiVersion != "autoscaling/v2"
	msg := denial("prod-hpa", hpa, sprintf("is %s, not autoscaling/v2", [hpa.apiVersion]))
}

deny contains msg if {
	some hpa in hpas
	object.get(hpa, ["spec", "minReplicas"], 1) < 2
	msg := denial("prod-hpa", hpa, "minReplicas is below 2: one replica is not highly available")
}

deny contains msg if {
	some hpa in hpas
	some obj in workloads
	obj.kind == hpa.spec.scaleTargetRef.kind
	obj.metadata.name == hpa.spec.scaleTargetRef.name
	obj.spec.replicas
	msg := denial("prod-hpa", obj, sprintf("sets replicas although HPA %s scales it", [hpa.metadata.name]))
}
