# rule prod-no-cluster-rbac: A workflow chart creates no ClusterRole or ClusterRoleBinding: what one workflow may do stays inside its namespace.
# fix: profile `rbac.kubernetesApi` (namespaced rules only)
package main

import rego.v1

deny contains msg if {
	some obj in objects
	obj.kind in {"ClusterRole", "ClusterRoleBinding"}
	msg := denial("prod-no-cluster-rbac", obj, "a workflow chart must not create cluster-wide RBAC")
}
