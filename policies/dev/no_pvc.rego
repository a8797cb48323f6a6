# rule dev-no-pvc: A dev chart keeps nothing: no PersistentVolumeClaim and no volume that claims one (instance data may be lost, and no storage is left behind).
# fix: values: remove the volume that claims storage
package main

import rego.v1

deny contains msg if {
	some obj in objects
	obj.kind == "PersistentVolumeClaim"
	msg := denial("dev-no-pvc", obj, "a dev chart claims no storage")
}

deny contains msg if {
	some [obj, spec] in pod_specs
	some v in object.get(spec, "volumes", [])
	v.persistentVolumeClaim
	msg := denial("dev-no-pvc", obj, sprintf("volume %s claims storage", [v.name]))
}
