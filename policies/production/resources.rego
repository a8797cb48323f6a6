# rule prod-resources: Every container sets CPU and memory requests and limits, so the scheduler places pods by what they need and no runtime starves its node.
# fix: profile `resources` (requests and limits for cpu and memory)
package main

import rego.v1

deny contains msg if {
	some [obj, what] in resource_gaps
	msg := denial("prod-resources", obj, what)
}
