# The dev chart's shape: one pod, nothing kept, no autoscaling, resources set.
package main

import rego.v1

dev_container := {
	"name": "devmode",
	"image": "docker.io/apache/incubator-kie-sonataflow-devmode:10.0.0",
	"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "3Gi"}},
}

dev_deployment := {
	"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "dev"},
	"spec": {"replicas": 1, "strategy": {"type": "Recreate"}, "template": {"spec": {
		"containers": [dev_container],
		"volumes": [{"name": "tmp", "emptyDir": {}}],
	}}},
}

dev_chart := [dev_deployment, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "dev"}, "spec": {"selector": {"app": "dev"}}}]

dev_input(objs) := [{"path": sprintf("%d.json", [i]), "contents": o} | some i, o in objs]

dev_denied(objs) := {split(msg, " ")[0] | some msg in found} if {
	found := deny with input as dev_input(objs)
}

dev_patched(patch) := [o |
	some obj in dev_chart
	o := dev_patch_if(obj, patch)
]

dev_patch_if(obj, patch) := json.patch(obj, patch) if obj.kind == "Deployment"

dev_patch_if(obj, _) := obj if obj.kind != "Deployment"

test_the_dev_fixture_passes if {
	dev_denied(dev_chart) == set()
}

test_single_pod if {
	dev_denied(dev_patched([{"op": "replace", "path": "/spec/replicas", "value": 2}])) == {"dev-single-pod"}
	dev_denied(dev_patched([{"op": "replace", "path": "/spec/strategy/type", "value": "RollingUpdate"}])) == {"dev-single-pod"}
	dev_denied(array.concat(dev_chart, [object.union(dev_deployment, {"metadata": {"name": "dev2"}})])) == {"dev-single-pod"}
}

test_no_pvc if {
	claim := {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "spec": {}}
	dev_denied(array.concat(dev_chart, [claim])) == {"dev-no-pvc"}
	volume := {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}
	dev_denied(dev_patched([{"op": "add", "path": "/spec/template/spec/volumes/-", "value": volume}])) == {"dev-no-pvc"}
}

test_no_hpa if {
	hpa := {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "dev"}, "spec": {}}
	dev_denied(array.concat(dev_chart, [hpa])) == {"dev-no-hpa"}
}

test_dev_resources if {
	dev_denied(dev_patched([{"op": "remove", "path": "/spec/template/spec/containers/0/resources/requests"}])) == {"dev-resources"}
}
