# Helpers every rule set shares. The input is conftest's --combine shape: an array of
# {"path": file, "contents": object}, the objects one chart renders for one values file.
package main

import rego.v1

objects contains obj if {
	some doc in input
	obj := doc.contents
	is_object(obj)
	obj.kind
}

label(obj) := sprintf("%s/%s", [obj.kind, object.get(obj, ["metadata", "name"], "")])

# [object, pod spec] for everything that runs containers, the `helm test` pod included.
pod_specs contains [obj, obj.spec.template.spec] if {
	some obj in objects
	obj.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
}

pod_specs contains [obj, obj.spec] if {
	some obj in objects
	obj.kind == "Pod"
}

# A SonataFlow's podTemplate holds the pod's fields and its one `container`.
pod_specs contains [obj, spec] if {
	some obj in objects
	obj.kind == "SonataFlow"
	template := object.get(obj, ["spec", "podTemplate"], {})
	container := object.union({"name": "workflow"}, object.get(template, "container", {}))
	spec := object.union(object.remove(template, ["container"]), {"containers": [container]})
}

containers(spec) := array.concat(object.get(spec, "containers", []), object.get(spec, "initContainers", []))

# [object, what] for each container without CPU or memory requests or limits.
resource_gaps contains [obj, what] if {
	some [obj, spec] in pod_specs
	some c in containers(spec)
	some bound in ["requests", "limits"]
	some resource in ["cpu", "memory"]
	not c.resources[bound][resource]
	what := sprintf("container %s sets no %s %s", [c.name, resource, bound])
}

# The workflow runtime: what serves the workflows (not the `helm test` pod).
workloads contains obj if {
	some obj in objects
	obj.kind in {"Deployment", "SonataFlow"}
}

hpas contains obj if {
	some obj in objects
	obj.kind == "HorizontalPodAutoscaler"
}

# The labels of a runtime's pods (a SonataFlow's operator labels them with its name).
pod_labels(obj) := object.get(obj, ["spec", "template", "metadata", "labels"], {}) if obj.kind == "Deployment"

pod_labels(obj) := {"sonataflow.org/workflow-app": obj.metadata.name} if obj.kind == "SonataFlow"

# Whether a label selector (matchLabels and matchExpressions) selects these labels; an empty
# selector is not taken to select a workload.
selects(selector, labels) if {
	count(object.get(selector, "matchLabels", {})) + count(object.get(selector, "matchExpressions", [])) > 0
	every key, value in object.get(selector, "matchLabels", {}) {
		labels[key] == value
	}
	every expression in object.get(selector, "matchExpressions", []) {
		matches(expression, labels)
	}
}

matches(e, labels) if {
	e.operator == "In"
	labels[e.key] in e.values
}

matches(e, labels) if {
	e.operator == "NotIn"
	not labels[e.key] in e.values
}

matches(e, labels) if {
	e.operator == "Exists"
	labels[e.key]
}

matches(e, labels) if {
	e.operator == "DoesNotExist"
	not labels[e.key]
}

# Exceptions: the annotation chartgen.io/allow holds one "<rule-id>: <reason>" per line, on the
# object or on its pod template (what a chart's podAnnotations value sets).
allow_texts(obj) := [text |
	some path in [["metadata", "annotations"], ["spec", "template", "metadata", "annotations"]]
	text := object.get(obj, array.concat(path, ["chartgen.io/allow"]), "")
]

allowances(obj) := {[id, reason] |
	some text in allow_texts(obj)
	some line in split(text, "\n")
	i := indexof(line, ":")
	i > 0
	id := trim_space(substring(line, 0, i))
	reason := trim_space(substring(line, i + 1, -1))
	reason != ""
}

# A violation's message, "<rule-id> <Kind>/<name>: <what>"; undefined where an exception allows it.
denial(id, obj, what) := sprintf("%s %s: %s", [id, label(obj), what]) if {
	not allowed(obj, id)
}

allowed(obj, id) if {
	some [allowed_id, _] in allowances(obj)
	allowed_id == id
}

# Every exception is listed, never silent.
warn contains msg if {
	some obj in objects
	some [id, reason] in allowances(obj)
	msg := sprintf("allowed %s %s: %s", [id, label(obj), reason])
}
