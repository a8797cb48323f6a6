# rule prod-selector-labels: Selectors carry no version label (app.kubernetes.io/version, helm.sh/chart, version): selectors are immutable, so one would break every upgrade.
# fix: the chart's templates: selectors never carry a version label
package main

import rego.v1

version_labels := {"app.kubernetes.io/version", "helm.sh/chart", "version"}

selector_of(obj) := object.get(obj, ["spec", "selector", "matchLabels"], {}) if obj.kind in {"Deployment", "StatefulSet", "DaemonSet", "PodDisruptionBudget", "ReplicaSet"}

selector_of(obj) := object.get(obj, ["spec", "selector"], {}) if obj.kind == "Service"

selector_of(obj) := object.get(obj, ["spec", "podSelector", "matchLabels"], {}) if obj.kind == "NetworkPolicy"

deny contains msg if {
	some obj in objects
	some key, _ in selector_of(obj)
	key in version_labels
	msg := denial("prod-selector-labels", obj, sprintf("its selector has the version label %s", [key]))
}
