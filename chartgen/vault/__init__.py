"""vault: what each production chart needs from Vault (policy, Kubernetes auth role, secret
keys), written to Vault idempotently and checked before a deploy. hvac stays inside client.py."""
