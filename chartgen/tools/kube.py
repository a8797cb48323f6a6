"""kubectl and kwokctl: argv lists only, always against an explicit kubeconfig."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chartgen.errors import ToolError
from chartgen.tools.helm import cache_dir
from chartgen.tools.runner import Completed, run


def find_tool(name: str) -> Path:
    """A pinned tool from the set-up's cache (scripts/toolchain.sh), else PATH."""
    explicit = os.environ.get(f"CHARTGEN_{name.upper().replace('-', '_')}")
    for candidate in (explicit, str(cache_dir() / "bin" / name)):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    from shutil import which

    found = which(name)
    if found:
        return Path(found)
    raise ToolError(
        f"{name} not found: run scripts/toolchain.sh (it builds the pinned {name} into {cache_dir() / 'bin'})"
    )


@dataclass
class Kubectl:
    binary: Path
    kubeconfig: Path | None = None
    context: str | None = None
    timeout: float = 120

    def run(self, args: Sequence[str | Path], input_text: str | None = None, check: bool = True) -> Completed:
        argv: list[str | Path] = [self.binary]
        if self.kubeconfig:
            argv += ["--kubeconfig", self.kubeconfig]
        if self.context:
            argv += ["--context", self.context]
        result = run([*argv, *args], timeout=self.timeout, input_text=input_text)
        if check and not result.ok:
            raise ToolError(f"kubectl {' '.join(map(str, args[:3]))} failed: {result.stderr.strip()}")
        return result

    def get_json(self, *args: str) -> Any:
        return json.loads(self.run(["get", *args, "-o", "json"]).stdout)

    def apply_server_side(self, manifest: str, namespace: str, manager: str, force: bool = True) -> Completed:
        args = ["apply", "--server-side", f"--field-manager={manager}", "-n", namespace, "-f", "-"]
        if force:
            args.append("--force-conflicts")
        return self.run(args, input_text=manifest)

    def can_i(
        self, verb: str, resource: str, namespace: str | None, user: str, groups: Sequence[str] = ()
    ) -> bool:
        args = ["auth", "can-i", verb, resource, f"--as={user}"]
        args += [f"--as-group={g}" for g in groups]
        args += ["-n", namespace] if namespace else ["--all-namespaces"]
        answer = self.run(args, check=False)
        if answer.stdout.strip() not in ("yes", "no"):
            raise ToolError(f"kubectl auth can-i {verb} {resource}: {answer.stderr.strip()}")
        return answer.stdout.strip() == "yes"
