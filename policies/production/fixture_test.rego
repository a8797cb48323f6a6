# A production chart that passes every rule, and helpers to break it one way at a time.
package main

import rego.v1

pod_labels_fixture := {"app.kubernetes.io/name": "wf", "app.kubernetes.io/instance": "wf", "app.kubernetes.io/component": "workflow-runtime"}

container_fixture := {
	"name": "workflow",
	"image": "registry.example.com/acme/wf:1.0.0",
	"env": [{"name": "KOGITO_PERSISTENCE_TYPE", "value": "jdbc"}],
	"securityContext": {"allowPrivilegeEscalation": false, "runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
	"resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
	"livenessProbe": {"httpGet": {"path": "/q/health/live", "port": "http"}},
	"readinessProbe": {"httpGet": {"path": "/q/health/ready", "port": "http"}},
}

pod_security_fixture := {"runAsNonRoot": true, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}}

deployment_fixture := {
	"apiVersion": "apps/v1", "kind": "Deployment",
	"metadata": {"name": "wf", "annotations": {"chartgen.io/waits": "true"}},
	"spec": {
		"selector": {"matchLabels": pod_labels_fixture},
		"template": {
			"metadata": {"labels": object.union(pod_labels_fixture, {"app.kubernetes.io/version": "1.0.0"})},
			"spec": {"serviceAccountName": "wf", "automountServiceAccountToken": false, "securityContext": pod_security_fixture, "containers": [container_fixture]},
		},
	},
}

chart_fixture := [
	deployment_fixture,
	{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "wf"}, "automountServiceAccountToken": false},
	{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "wf"}, "spec": {"type": "ClusterIP", "selector": pod_labels_fixture, "ports": [{"port": 80}]}},
	{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "wf-config"}, "data": {"application.properties": "a=1\n"}},
	{"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "wf"}, "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "wf"}, "minReplicas": 2, "maxReplicas": 4}},
	{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "wf"}, "spec": {"maxUnavailable": 1, "selector": {"matchLabels": pod_labels_fixture}}},
	{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "wf"}, "spec": {
		"podSelector": {"matchLabels": pod_labels_fixture}, "policyTypes": ["Ingress", "Egress"],
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "knative-eventing"}}}]}],
		"egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}], "ports": [{"port": 53, "protocol": "UDP"}]}],
	}},
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "wf-deployer"}, "rules": [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "create"]}, {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]},
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "wf-deployer"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "wf-deployer"}, "subjects": [{"kind": "Group", "name": "deployers"}]},
]

as_input(objs) := [{"path": sprintf("%d.json", [i]), "contents": o} | some i, o in objs]

# The rule ids that deny these objects.
denied(objs) := {split(msg, " ")[0] | some msg in found} if {
	found := deny with input as as_input(objs)
}

# The chart with the object of `kind` replaced by json.patch(object, patch).
patched(kind, patch) := [o |
	some obj in chart_fixture
	o := patch_if(obj, kind, patch)
]

patch_if(obj, kind, patch) := json.patch(obj, patch) if obj.kind == kind

patch_if(obj, kind, _) := obj if obj.kind != kind

test_the_fixture_passes_every_rule if {
	denied(chart_fixture) == set()
}
