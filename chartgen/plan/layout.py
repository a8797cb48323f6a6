"""Where a generated chart keeps what: its files and its Chart.yaml annotations, named once.
`emit` writes this layout and `chartgen.charts` reads it back; nothing else spells it."""

from __future__ import annotations

import re

CHART_FILE = "Chart.yaml"
VALUES_FILE = "values.yaml"  # what every environment shares (a dev chart: its one environment)
DATA_FILE = "files/chartgen-data.yaml"  # ChartData: what chartgen decided, read by the templates
# values.yaml's data again, where templates can read it (Helm's .Files leaves values.yaml out):
# what a user gave is what differs from it (a chart installed with --set environment=ENV).
DEFAULTS_FILE = "files/chartgen-defaults.yaml"

# Chart.yaml annotations
GENERATED_KEY = "chartgen/generated"  # "true": chartgen owns the folder (rewrites and prunes it)
MODE_KEY = "chartgen/mode"  # production (workflow and platform charts) | dev
ENVIRONMENT_KEY = "chartgen/environment"  # a dev chart's one environment
DIGEST_KEY = "chartgen/digest"  # the content digest (version/digest.py)
CHANGES_KEY = "artifacthub.io/changes"  # the change log `version bump` writes

# How emit writes the two annotations every command asks about: found without parsing YAML.
GENERATED_LINE = re.compile(rb"^  chartgen/generated: ['\"]true['\"]$", re.MULTILINE)
_MODE_LINE = re.compile(rb"^  chartgen/mode: (production|dev)$", re.MULTILINE)

# The folders of chartgen/templates/ each kind of chart is made of, in order (a later file of
# one name would win; none repeats).
TEMPLATE_GROUPS = {
    "production": ("base", "workflow", "credentials", "rbac", "production"),
    "dev": ("base", "workflow", "dev"),
    "platform": ("base", "credentials", "rbac", "platform"),
}

_VALUES_FILE = re.compile(r"values-([^/]+)\.yaml")


def values_file(env: str) -> str:
    """An environment's values, over values.yaml, at the chart's root."""
    return f"values-{env}.yaml"


def ci_values_file(env: str) -> str:
    """The copy chart-testing installs the chart with (once per file of ci/)."""
    return f"ci/{env}-values.yaml"


def values_file_env(rel: str) -> str | None:
    """The environment a chart file is the values of (`values-prod.yaml` -> prod), else None."""
    found = _VALUES_FILE.fullmatch(rel)
    return found.group(1) if found else None


def chart_mode(chart_yaml: bytes) -> str:
    """The `chartgen/mode` annotation ("production" or "dev") as emit writes it, else ""."""
    mode = _MODE_LINE.search(chart_yaml)
    return mode.group(1).decode() if mode else ""


def is_generated(chart_yaml: bytes) -> bool:
    return GENERATED_LINE.search(chart_yaml) is not None
