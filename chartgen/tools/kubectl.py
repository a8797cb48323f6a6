"""kubectl: argv lists only, against an explicit kubeconfig when one is given."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chartgen.errors import ToolError
from chartgen.tools.runner import Completed, run


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
