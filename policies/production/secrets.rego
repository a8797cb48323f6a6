# rule prod-no-inline-secrets: No Secret carries data and no environment variable named like a credential has a literal value: credentials come from Vault, never from the chart or its values.
# fix: profile `secrets` (credentials from Vault), not `env` or `properties`
package main

import rego.v1

credential_name := `(?i)(password|passwd|passphrase|secret|token|credentials?|api_?key|access_?key|private_?key|pwd)$`

deny contains msg if {
	some obj in objects
	obj.kind == "Secret"
	some field in ["data", "stringData"]
	count(object.get(obj, field, {})) > 0
	msg := denial("prod-no-inline-secrets", obj, sprintf("a Secret with inline %s", [field]))
}

deny contains msg if {
	some [obj, spec] in pod_specs
	some c in containers(spec)
	some env in object.get(c, "env", [])
	regex.match(credential_name, env.name)
	object.get(env, "value", "") != ""
	msg := denial("prod-no-inline-secrets", obj, sprintf("container %s sets %s to a literal value", [c.name, env.name]))
}
