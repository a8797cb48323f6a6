# rule dev-resources: The dev pod sets CPU and memory requests and limits: dev mode compiles at start and must not starve a shared dev cluster.
# fix: profile `resources` (requests and limits for cpu and memory)
package main

import rego.v1

deny contains msg if {
	some [obj, what] in resource_gaps
	msg := denial("dev-resources", obj, what)
}
