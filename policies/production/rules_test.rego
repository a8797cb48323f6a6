# Each rule: the fixture broken one way fails exactly that rule.
package main

import rego.v1

container_path := "/spec/template/spec/containers/0"

test_resources if {
	denied(patched("Deployment", [{"op": "remove", "path": sprintf("%s/resources/limits/memory", [container_path])}])) == {"prod-resources"}
}

test_probes_missing if {
	denied(patched("Deployment", [{"op": "remove", "path": sprintf("%s/readinessProbe", [container_path])}])) == {"prod-probes"}
}

test_probes_identical if {
	same := container_fixture.livenessProbe
	denied(patched("Deployment", [{"op": "replace", "path": sprintf("%s/readinessProbe", [container_path]), "value": same}])) == {"prod-probes"}
}

test_pod_security if {
	denied(patched("Deployment", [{"op": "replace", "path": sprintf("%s/securityContext/allowPrivilegeEscalation", [container_path]), "value": true}])) == {"prod-pod-security"}
	denied(patched("Deployment", [{"op": "add", "path": "/spec/template/spec/hostNetwork", "value": true}])) == {"prod-pod-security"}
}

test_image_tag if {
	denied(patched("Deployment", [{"op": "replace", "path": sprintf("%s/image", [container_path]), "value": "registry.example.com/acme/wf:latest"}])) == {"prod-image-tag"}
	denied(patched("Deployment", [{"op": "replace", "path": sprintf("%s/image", [container_path]), "value": "registry.example.com:5000/acme/wf"}])) == {"prod-image-tag"}
	denied(patched("Deployment", [{"op": "replace", "path": sprintf("%s/image", [container_path]), "value": "registry.example.com/acme/wf@sha256:0123"}])) == set()
}

test_image_registry if {
	other := patched("Deployment", [{"op": "replace", "path": sprintf("%s/image", [container_path]), "value": "evil.example.net/wf:1.0.0"}])
	denied(other) == set() with data.chartgen.allowedRegistries as []
	denied(other) == {"prod-image-registry"} with data.chartgen.allowedRegistries as ["registry.example.com"]
	denied(chart_fixture) == set() with data.chartgen.allowedRegistries as ["registry.example.com"]
}

test_service_account if {
	denied(patched("Deployment", [{"op": "remove", "path": "/spec/template/spec/serviceAccountName"}])) == {"prod-service-account"}
	denied(patched("Deployment", [{"op": "replace", "path": "/spec/template/spec/automountServiceAccountToken", "value": true}])) == {"prod-service-account"}
}

test_rbac_wildcards if {
	denied(patched("Role", [{"op": "replace", "path": "/rules/0/verbs", "value": ["*"]}])) == {"prod-rbac-wildcards"}
}

test_rbac_runtime if {
	bound := patched("RoleBinding", [{"op": "replace", "path": "/subjects", "value": [{"kind": "ServiceAccount", "name": "wf"}]}])
	denied(bound) == {"prod-rbac-runtime"} # the Role grants secrets, now to the runtime
}

test_no_cluster_rbac if {
	role := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "wf"}, "rules": []}
	denied(array.concat(chart_fixture, [role])) == {"prod-no-cluster-rbac"}
}

test_hpa if {
	denied(patched("HorizontalPodAutoscaler", [{"op": "replace", "path": "/spec/minReplicas", "value": 1}])) == {"prod-hpa"}
	denied(patched("HorizontalPodAutoscaler", [{"op": "replace", "path": "/apiVersion", "value": "autoscaling/v1"}])) == {"prod-hpa"}
	denied(patched("Deployment", [{"op": "add", "path": "/spec/replicas", "value": 3}])) == {"prod-hpa"}
}

test_pdb if {
	denied(patched("PodDisruptionBudget", [{"op": "replace", "path": "/spec/maxUnavailable", "value": 0}])) == {"prod-pdb"}
	without := [o | some o in chart_fixture; o.kind != "PodDisruptionBudget"]
	denied(without) == {"prod-pdb"}
}

test_network_policy if {
	without := [o | some o in chart_fixture; o.kind != "NetworkPolicy"]
	denied(without) == {"prod-network-policy"}
	denied(patched("NetworkPolicy", [{"op": "add", "path": "/spec/egress/-", "value": {"ports": [{"port": 443}]}}])) == {"prod-network-policy"}
	denied(patched("NetworkPolicy", [{"op": "add", "path": "/spec/egress/-", "value": {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}}])) == {"prod-network-policy"}
}

test_no_inline_secrets if {
	secret := {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "wf"}, "stringData": {"password": "x"}}
	denied(array.concat(chart_fixture, [secret])) == {"prod-no-inline-secrets"}
	literal := {"op": "add", "path": sprintf("%s/env/-", [container_path]), "value": {"name": "DB_PASSWORD", "value": "hunter2"}}
	denied(patched("Deployment", [literal])) == {"prod-no-inline-secrets"}
	reference := {"op": "add", "path": sprintf("%s/env/-", [container_path]), "value": {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}}
	denied(patched("Deployment", [reference])) == set()
}

test_configmap_size if {
	big := sprintf("%01100000d", [0]) # 1.1 MB of zeros, at once
	denied(patched("ConfigMap", [{"op": "replace", "path": "/data/application.properties", "value": big}])) == {"prod-configmap-size"}
}

test_selector_labels if {
	versioned := object.union(pod_labels_fixture, {"app.kubernetes.io/version": "1.0.0"})
	denied(patched("Service", [{"op": "replace", "path": "/spec/selector", "value": versioned}])) == {"prod-selector-labels"}
}

test_service_type if {
	exposed := patched("Service", [{"op": "replace", "path": "/spec/type", "value": "LoadBalancer"}])
	denied(exposed) == {"prod-service-type"}
	denied(exposed) == set() with data.chartgen.allowedServiceTypes as ["LoadBalancer"]
}

test_persistence if {
	denied(patched("Deployment", [{"op": "replace", "path": sprintf("%s/env", [container_path]), "value": []}])) == {"prod-persistence"}
	nothing_waits := patched("Deployment", [{"op": "remove", "path": "/metadata/annotations/chartgen.io~1waits"}])
	denied(nothing_waits) == set()
}

test_an_exception_allows_and_is_listed if {
	allow := {"op": "add", "path": "/metadata/annotations/chartgen.io~1allow", "value": "prod-persistence: state lives in the called service"}
	broken := patched("Deployment", [{"op": "replace", "path": sprintf("%s/env", [container_path]), "value": []}, allow])
	denied(broken) == set()
	listed := warn with input as as_input(broken)
	listed == {"allowed prod-persistence Deployment/wf: state lives in the called service"}
}

test_an_exception_without_reason_allows_nothing if {
	allow := {"op": "add", "path": "/metadata/annotations/chartgen.io~1allow", "value": "prod-persistence:"}
	denied(patched("Deployment", [{"op": "replace", "path": sprintf("%s/env", [container_path]), "value": []}, allow])) == {"prod-persistence"}
}
