"""Chart values a profile sets the same way for both chart kinds, and `{placeholder}` filling."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from chartgen.errors import Diagnostics
from chartgen.profile.model import Profile, ProfileSettings
from chartgen.schema.check import Checker
from chartgen.values.model import Service
from chartgen.values.types import ResourceList, Resources

PLACEHOLDER = re.compile(r"\{(workflow|version|env|git_sha)\}")
_COPIED = (
    "env",
    "podAnnotations",
    "podLabels",
    "commonLabels",
    "commonAnnotations",
    "policyExceptions",
    "nodeSelector",
    "tolerations",
    "affinity",
    "priorityClassName",
)


def pod_settings(s: ProfileSettings) -> dict[str, Any]:
    """Keyword arguments for a values model: what the profile sets for the pods."""
    out: dict[str, Any] = {key: copy.deepcopy(getattr(s, key)) for key in _COPIED if getattr(s, key)}
    if s.service is not None:
        default = Service()
        out["service"] = Service(type=s.service.type or default.type, port=s.service.port or default.port)
    if s.properties:
        out["properties"] = {k: property_text(v) for k, v in s.properties.items()}
    return out


def property_text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def merge_resources(default: Resources, override: Resources | None) -> Resources:
    """The profile's requests and limits over the defaults, quantity by quantity."""
    if override is None:
        return default
    return Resources(
        requests=_merge_list(default.requests, override.requests),
        limits=_merge_list(default.limits, override.limits),
    )


def _merge_list(default: ResourceList | None, override: ResourceList | None) -> ResourceList | None:
    if override is None:
        return default
    base = default or ResourceList()
    return ResourceList(
        cpu=override.cpu if override.cpu is not None else base.cpu,
        memory=override.memory if override.memory is not None else base.memory,
        ephemeral_storage=override.ephemeral_storage
        if override.ephemeral_storage is not None
        else base.ephemeral_storage,
    )


def fill_placeholders(text: str, known: dict[str, str], git_sha: Callable[[], str]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        return git_sha() if name == "git_sha" else known[name]

    return PLACEHOLDER.sub(one, text)


def check_values(
    values: Any,
    profile: Profile,
    diag: Diagnostics,
    moved: dict[str, tuple[str, ...]] | None = None,
) -> None:
    """The values as planned (placeholders filled, images split) meet the chart's own
    values.schema.json, or helm refuses the chart: e.g. a repository the profile allows but an
    image name does not. Located at the profile's setting (`moved`: value key -> profile path)."""
    checker = Checker("values")
    checker.check_instance(values)
    for problem in checker.problems:
        at = [str(part) for part in problem.at]
        if at and moved and at[0] in moved:
            at = [*moved[at[0]]]
        diag.error(
            f"profile '{profile.env}' gives the chart a value it refuses: {problem.message}",
            profile.location(*at),
        )
