# rule dev-no-hpa: A dev chart does not autoscale: a second dev pod would serve other workflow files than the first.
# fix: profile `scaling` belongs to production profiles; remove it from the dev profile
package main

import rego.v1

deny contains msg if {
	some hpa in hpas
	msg := denial("dev-no-hpa", hpa, "a dev chart does not autoscale")
}
