"""Environment names: one rule for a profile's file name, a chart's `values-<env>.yaml` and
`--env`. The name becomes file names, labels, Vault role names and command arguments."""

from __future__ import annotations

import re

MAX_ENV_NAME = 32
_ENV_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
ENV_NAME_RULE = f"lowercase letters, digits and '-', at most {MAX_ENV_NAME} characters"


def is_env_name(name: str) -> bool:
    return len(name) <= MAX_ENV_NAME and _ENV_NAME.fullmatch(name) is not None
