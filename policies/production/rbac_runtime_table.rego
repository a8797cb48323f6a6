# Generated from chartgen/profile/rbac.py by `python -m chartgen.profile.rbac`: do not edit.
# What a workflow runtime's Role may never grant: resource -> verbs ([]: every verb).
package main

runtime_never := {
	"secrets": [],
	"pods/exec": [],
	"pods/attach": [],
	"pods/portforward": [],
	"pods/proxy": [],
	"pods/ephemeralcontainers": [],
	"services/proxy": [],
	"nodes/proxy": [],
	"serviceaccounts/token": [],
	"pods": ["create", "patch", "update"],
	"deployments": ["create", "patch", "update"],
	"replicasets": ["create", "patch", "update"],
	"statefulsets": ["create", "patch", "update"],
	"daemonsets": ["create", "patch", "update"],
	"jobs": ["create", "patch", "update"],
	"cronjobs": ["create", "patch", "update"],
	"replicationcontrollers": ["create", "patch", "update"],
	"podtemplates": ["create", "patch", "update"],
	"roles": ["bind", "create", "escalate", "patch", "update"],
	"rolebindings": ["bind", "create", "escalate", "patch", "update"],
	"clusterroles": ["bind", "create", "escalate", "patch", "update"],
	"clusterrolebindings": ["bind", "create", "escalate", "patch", "update"],
	"mutatingwebhookconfigurations": ["create", "patch", "update"],
	"validatingwebhookconfigurations": ["create", "patch", "update"],
	"certificatesigningrequests/approval": [],
}

runtime_never_verbs := {"bind", "escalate", "impersonate"}
