# rule prod-configmap-size: Every ConfigMap stays under 1 MiB, the most the API server stores in one object.
# fix: the project's files: split a large spec or schema (every ConfigMap under 1 MiB)
package main

import rego.v1

deny contains msg if {
	some obj in objects
	obj.kind == "ConfigMap"
	size := count(json.marshal(obj))
	size >= 1048576
	msg := denial("prod-configmap-size", obj, sprintf("is %d bytes, over the 1 MiB an object may hold", [size]))
}
