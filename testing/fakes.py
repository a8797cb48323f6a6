"""Hand-written fakes of helm and kubectl for the fast tests of lint, test and dev sync logic.

They implement the narrow Protocols the library declares where it uses the tools
(verify/lifecycle.py, deploy/devsync.py) and record every call; the real programs run in
the helm and e2e tiers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chartgen.tools.runner import Completed


def completed(code: int = 0, stdout: str = "", stderr: str = "") -> Completed:
    return Completed(("fake",), code, stdout, stderr)


@dataclass
class FakeHelm:
    """helm: release commands succeed unless their verb is in `failing`; `rendered` is what
    `template` prints."""

    failing: dict[str, str] = field(default_factory=dict)  # verb -> stderr
    rendered: str = ""
    calls: list[list[str]] = field(default_factory=list)
    timeouts: list[float] = field(default_factory=list)

    def release(self, args: Sequence[str | Path], timeout: float) -> Completed:
        argv = [str(a) for a in args]
        self.calls.append(argv)
        self.timeouts.append(timeout)
        if argv[0] in self.failing:
            return completed(1, stderr=self.failing[argv[0]])
        return completed()

    def lint(self, chart: Path, values: Sequence[Path], kube_version: str) -> Completed:
        self.calls.append(["lint", str(chart), *map(str, values)])
        return completed(1, stdout=self.failing["lint"]) if "lint" in self.failing else completed()

    def template(
        self, release: str, chart: Path, values: list[Path], kube_version: str, namespace: str
    ) -> Completed:
        self.calls.append(["template", release, str(chart), namespace])
        return completed(stdout=self.rendered)


@dataclass
class FakeKubectl:
    """kubectl: `get` answers from `objects` (by the resource argument), everything else succeeds."""

    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[list[str]] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)

    def run(self, args: Sequence[str | Path], input_text: str | None = None, check: bool = True) -> Completed:
        self.calls.append([str(a) for a in args])
        return completed()

    def get_json(self, *args: str) -> Any:
        self.calls.append(["get", *args])
        return {"items": self.objects.get(args[0], [])}

    def apply_server_side(self, manifest: str, namespace: str, manager: str) -> Completed:
        self.applied.append(manifest)
        return completed()
