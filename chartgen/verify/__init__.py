"""verify: helm lint/template and schema checks of generated charts."""
