"""Helm's release records read straight from the cluster: one `kubectl get secrets` for every
release of a namespace, where helm would take three calls per release.

Helm's default storage keeps each revision in a Secret `sh.helm.release.v1.NAME.vN` labelled
`owner=helm,name=NAME`; its `release` key holds the release as gzipped JSON, base64-encoded
once more by helm. Only that storage is read: a HELM_DRIVER other than `secret` is refused.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import json
import os
import zlib
from collections.abc import Sequence
from typing import Any, Protocol

from chartgen.deploy.releases import Release, Revision
from chartgen.errors import ToolError, UserError

MAX_RELEASE_BYTES = 64 * 1024 * 1024  # one revision, unpacked (helm's Secret is at most 1 MiB packed)
HELM_DRIVERS = ("", "secret", "secrets")


class SecretReader(Protocol):
    def get_json(self, *args: str) -> Any: ...


class SecretRecords:
    """`ReleaseRecords` over kubectl."""

    def __init__(self, kubectl: SecretReader) -> None:
        driver = os.environ.get("HELM_DRIVER", "")
        if driver not in HELM_DRIVERS:
            raise UserError(f"HELM_DRIVER={driver}: chartgen reads Helm's release records from Secrets only")
        self.kubectl = kubectl

    def releases(self, namespace: str, names: Sequence[str]) -> dict[str, Release]:
        if not names:
            return {}
        selector = f"owner=helm,name in ({','.join(sorted(set(names)))})"
        found = self.kubectl.get_json("secrets", "-n", namespace, "-l", selector)
        revisions: dict[str, list[Revision]] = {}
        for item in found.get("items", []):
            if item.get("type") != "helm.sh/release.v1":
                continue
            name = str(item.get("metadata", {}).get("labels", {}).get("name", ""))
            revisions.setdefault(name, []).append(decode(item))
        return {
            name: Release(name, namespace, tuple(sorted(kept, key=lambda r: r.number)))
            for name, kept in revisions.items()
        }


def decode(secret: dict[str, Any]) -> Revision:
    """One revision from its Secret; a ToolError naming the Secret when it is not helm's."""
    where = f"Secret {secret.get('metadata', {}).get('name', '?')}"
    try:
        packed = base64.b64decode(base64.b64decode(secret["data"]["release"]))
        raw = _gunzip(packed) if packed[:2] == b"\x1f\x8b" else packed
        release = json.loads(raw)
        info, chart = release.get("info") or {}, release.get("chart") or {}
        metadata = chart.get("metadata") or {}
        annotations = metadata.get("annotations") or {}
        config = release.get("config") or {}
        return Revision(
            int(release["version"]),
            str(info.get("status", "")),
            str(metadata.get("version", "")),
            str(annotations.get("chartgen/digest", "")),
            config if isinstance(config, dict) else {},
            str(info.get("description", "")),
            str(release.get("manifest", "")),
            _chart_files(chart.get("files")),
        )
    except (KeyError, TypeError, ValueError, binascii.Error, zlib.error, EOFError, OSError) as exc:
        raise ToolError(f"{where}: not a Helm release record ({type(exc).__name__})") from None


def _chart_files(files: Any) -> dict[str, bytes]:
    """The chart's files other than templates and values (files/chartgen-data.yaml, the
    workflow files): helm keeps them in the record as {name, data (base64)}."""
    found = {}
    for item in files if isinstance(files, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("data"), str):
            found[item["name"]] = base64.b64decode(item["data"])
    return found


def _gunzip(packed: bytes) -> bytes:
    with gzip.GzipFile(fileobj=io.BytesIO(packed)) as stream:
        raw = stream.read(MAX_RELEASE_BYTES + 1)
    if len(raw) > MAX_RELEASE_BYTES:
        raise ValueError("larger than a release can be")
    return raw
