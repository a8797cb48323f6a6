# rule prod-image-tag: Every image names a version (a tag other than latest, or a digest), so what runs is what was tested and a restart cannot change it.
# fix: profile `image.tag` (a version), or deploy --image-digests
package main

import rego.v1

image_refs contains [obj, c.name, c.image] if {
	some [obj, spec] in pod_specs
	some c in containers(spec)
}

# "host:port/repo/name:tag@sha256:..." -> the tag ("" when none).
image_tag(image) := tag if {
	name := split(image, "@")[0]
	segments := split(name, "/")
	parts := split(segments[count(segments) - 1], ":")
	tag := concat("", array.slice(parts, 1, 2))
}

deny contains msg if {
	some [obj, name, image] in image_refs
	not contains(image, "@")
	image_tag(image) in {"", "latest"}
	msg := denial("prod-image-tag", obj, sprintf("container %s runs %s, with no version (a tag other than latest, or a digest)", [name, image]))
}
