"""values.schema.json, generated from the values model: only the sections a chart uses."""

from __future__ import annotations

from functools import cache
from typing import Any

from chartgen.schema.json_schema import document, model_schema
from chartgen.values.model import DevValues, PlatformValues, ProductionValues

# Sections present only where an environment needs them (None in the model otherwise).
_OPTIONAL_SECTIONS = ("replicaCount", "autoscaling", "persistence", "eventing", "vault")


def production_schema(environments: list[ProductionValues], every_section: bool = False) -> dict[str, Any]:
    """The schema of a chart's values: the sections no environment uses are left out.
    Charts with the same sections share one schema (read-only: it is written as it is)."""
    unused = frozenset(
        key
        for key in _OPTIONAL_SECTIONS
        if not every_section and all(getattr(v, key) is None for v in environments)
    )
    return _production_schema(unused)


@cache
def _production_schema(unused: frozenset[str]) -> dict[str, Any]:
    body = model_schema(ProductionValues, omit=unused, required=("image", "serviceAccount"))
    return document("Values of a chartgen production workflow chart", body)


def dev_schema() -> dict[str, Any]:
    return document(
        "Values of a chartgen dev-mode chart", model_schema(DevValues, required=("image", "serviceAccount"))
    )


def platform_schema(environments: list[PlatformValues]) -> dict[str, Any]:
    """The platform chart's: the service sections no environment runs are left out."""
    unused = frozenset(
        key
        for key in ("jobService", "dataIndex", "vault")
        if all(getattr(v, key) is None for v in environments)
    )
    return _platform_schema(unused)


@cache
def _platform_schema(unused: frozenset[str]) -> dict[str, Any]:
    body = model_schema(PlatformValues, omit=unused, required=("database", "serviceAccount"))
    return document("Values of a chartgen platform chart (Jobs Service, Data Index)", body)
