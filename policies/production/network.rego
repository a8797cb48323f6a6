# rule prod-network-policy: A NetworkPolicy selects every runtime pod for both directions, and each egress rule names its destinations (no open egress, no 0.0.0.0/0), so a runtime reaches only what its workflows call.
# fix: profile `networkPolicy` (ingress and egress with named destinations)
package main

import rego.v1

network_policies contains obj if {
	some obj in objects
	obj.kind == "NetworkPolicy"
}

isolates(np, labels, direction) if {
	direction in object.get(np, ["spec", "policyTypes"], [])
	selects(np.spec.podSelector, labels)
}

deny contains msg if {
	some obj in workloads
	some direction in ["Ingress", "Egress"]
	not some_policy_isolates(obj, direction)
	msg := denial("prod-network-policy", obj, sprintf("no NetworkPolicy restricts its %s", [lower(direction)]))
}

some_policy_isolates(obj, direction) if {
	some np in network_policies
	isolates(np, pod_labels(obj), direction)
}

deny contains msg if {
	some np in network_policies
	some rule in object.get(np, ["spec", "egress"], [])
	count(object.get(rule, "to", [])) == 0
	msg := denial("prod-network-policy", np, "an egress rule allows every destination")
}

deny contains msg if {
	some np in network_policies
	some rule in object.get(np, ["spec", "egress"], [])
	some peer in rule.to
	peer.ipBlock.cidr in {"0.0.0.0/0", "::/0"}
	msg := denial("prod-network-policy", np, sprintf("an egress rule allows %s", [peer.ipBlock.cidr]))
}
