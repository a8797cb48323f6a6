# rule prod-image-registry: Images come only from the registries the organisation allows (data.chartgen.allowedRegistries), so nothing unvetted is pulled into production.
# fix: profile `image.repository` (a registry of data.chartgen.allowedRegistries)
package main

import rego.v1

default allowed_registries := []

allowed_registries := data.chartgen.allowedRegistries

deny contains msg if {
	allowed := allowed_registries
	count(allowed) > 0
	some [obj, name, image] in image_refs
	not registry_allowed(image, allowed)
	msg := denial("prod-image-registry", obj, sprintf("container %s runs %s, from a registry not in allowedRegistries", [name, image]))
}

registry_allowed(image, allowed) if {
	some prefix in allowed
	startswith(image, sprintf("%s/", [trim_suffix(prefix, "/")]))
}
