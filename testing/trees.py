"""Write input trees inline: {"path/in/tree": "content"} -> files under a folder."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

PROFILES_BASIC = {
    "profiles/base.yaml": """
        image:
          repository: registry.example.com/wf/{workflow}
          tag: "{version}"
        secrets:
          vault: {address: "https://vault.example.com:8200"}
        networkPolicy:
          ingress: [{namespace: clients}]
    """,
    "profiles/dev.yaml": """
        extends: base
        mode: dev
        namespace: wf-dev
    """,
    "profiles/staging.yaml": """
        extends: base
        mode: production
        namespace: wf-staging
        scaling: {minReplicas: 2, maxReplicas: 4}
    """,
    "profiles/prod.yaml": """
        extends: base
        mode: production
        namespace: wf-prod
        scaling: {minReplicas: 3, maxReplicas: 8}
        resources:
          requests: {cpu: 500m, memory: 1Gi}
    """,
}

GREETING = """
    id: greeting
    version: "1.0"
    specVersion: "0.8"
    name: Greeting
    start: Greet
    functions:
      - name: log
        type: custom
        operation: sysout
    states:
      - name: Greet
        type: operation
        actions:
          - functionRef:
              refName: log
              arguments:
                message: "${ .name }"
        end: true
"""


def build_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Create every file (dedenting text); returns `root`."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"))
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` by relative path: compare whole trees in one assert."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
