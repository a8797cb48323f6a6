# rule prod-pdb: A runtime with more than one replica has a PodDisruptionBudget that selects its pods and still lets a node drain (maxUnavailable of at least 1).
# fix: profile `scaling` (a PodDisruptionBudget comes with more than one replica)
package main

import rego.v1

replicated(obj) if {
	some hpa in hpas
	hpa.spec.scaleTargetRef.name == obj.metadata.name
}

replicated(obj) if object.get(obj, ["spec", "replicas"], 1) > 1

replicated(obj) if object.get(obj, ["spec", "podTemplate", "replicas"], 1) > 1

pdbs_of(obj) := {pdb |
	some pdb in objects
	pdb.kind == "PodDisruptionBudget"
	selects(pdb.spec.selector, pod_labels(obj))
}

deny contains msg if {
	some obj in workloads
	replicated(obj)
	count(pdbs_of(obj)) == 0
	msg := denial("prod-pdb", obj, "has several replicas and no PodDisruptionBudget")
}

deny contains msg if {
	some obj in workloads
	some pdb in pdbs_of(obj)
	not allows_eviction(pdb)
	msg := denial("prod-pdb", pdb, "allows no eviction: a node drain would block (use maxUnavailable: 1)")
}

allows_eviction(pdb) if {
	max := pdb.spec.maxUnavailable
	is_number(max)
	max >= 1
}

allows_eviction(pdb) if {
	max := pdb.spec.maxUnavailable
	is_string(max)
	max != "0%"
}
