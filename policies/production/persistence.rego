# rule prod-persistence: A runtime whose workflows wait (timers, events, callbacks; chartgen marks it chartgen.io/waits) keeps its instances in PostgreSQL, or they are lost on the next restart.
# fix: profile `persistence.postgresql`
package main

import rego.v1

waits(obj) if object.get(obj, ["metadata", "annotations", "chartgen.io/waits"], "") == "true"

persistent(obj) if {
	obj.kind == "Deployment"
	some c in obj.spec.template.spec.containers
	some env in object.get(c, "env", [])
	env.name == "KOGITO_PERSISTENCE_TYPE"
	env.value == "jdbc"
}

persistent(obj) if {
	obj.kind == "SonataFlow"
	obj.spec.persistence.postgresql
}

deny contains msg if {
	some obj in workloads
	waits(obj)
	not persistent(obj)
	msg := denial("prod-persistence", obj, "its workflows wait, and it keeps no state in PostgreSQL")
}
