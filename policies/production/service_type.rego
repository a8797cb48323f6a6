# rule prod-service-type: Services are ClusterIP unless the organisation allows another type (data.chartgen.allowedServiceTypes): a runtime is not exposed outside the cluster by accident.
# fix: profile `service.type` (ClusterIP, or a type of data.chartgen.allowedServiceTypes)
package main

import rego.v1

default allowed_service_types := []

allowed_service_types := data.chartgen.allowedServiceTypes

deny contains msg if {
	some obj in objects
	obj.kind == "Service"
	type := object.get(obj, ["spec", "type"], "ClusterIP")
	type != "ClusterIP"
	not type in allowed_service_types
	msg := denial("prod-service-type", obj, sprintf("is of type %s", [type]))
}
