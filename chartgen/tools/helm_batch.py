"""`helm template` without a process per render: helm-batch (scripts/toolchain.sh builds it with
helm, from Helm's own command package at the same version) runs Helm's command for each request
in one long-lived process. A render costs ~15 ms of CPU instead of ~45, most of which is a Go
program's start-up: `chartgen diff` runs hundreds.

Used only beside the helm it was built with (the toolchain's stamps agree); otherwise, and for
everything but template, chartgen runs helm itself. One worker process per concurrent caller;
a worker that dies or takes longer than a render may is killed, its render reported failed,
and the next caller gets a new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from chartgen.tools.helm import Helm, template_args
from chartgen.tools.locate import cache_dir
from chartgen.tools.processes import stop_process
from chartgen.tools.runner import Completed

BATCH = "helm-batch"
MAX_ANSWER = 64 * 1024 * 1024  # one render's answer, at most (helm's own output is unbounded)


def batch_beside(helm: Helm) -> Path | None:
    """helm-batch when it was built with this very helm (both from the toolchain, same stamp)."""
    bin_dir = cache_dir() / "bin"
    batch = bin_dir / BATCH
    try:
        same_helm = helm.binary.resolve() == (bin_dir / "helm").resolve()
        stamps = [(bin_dir / f".{name}-version").read_text() for name in ("helm", BATCH)]
    except OSError:
        return None
    usable = same_helm and stamps[0] == stamps[1] and batch.is_file() and os.access(batch, os.X_OK)
    return batch if usable else None


class _Worker:
    def __init__(self, binary: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        self.pending = b""

    def ask(self, args: list[str], timeout: float) -> Completed | None:
        """helm's answer, or None when the worker died or overran `timeout`."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps(args).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            return None
        deadline = time.monotonic() + timeout
        out = self.process.stdout.fileno()
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or len(self.pending) > MAX_ANSWER or not select.select([out], [], [], left)[0]:
                return None
            chunk = os.read(out, 1 << 20)
            if not chunk:
                return None
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        answer = json.loads(line)
        return Completed((BATCH, *args), int(answer["code"]), answer["stdout"], answer["stderr"])

    def stop(self, kill: bool = False) -> None:
        """End of input ends it after its last answer; `kill`: at once (it overran or died)."""
        if kill:
            self.process.kill()
        with contextlib.suppress(OSError):  # a dead worker's pipe
            if self.process.stdin is not None:
                self.process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        stop_process(self.process)
        if self.process.stdout is not None:
            self.process.stdout.close()


class HelmBatch:
    """A Renderer (verify.chart_env) over helm-batch workers; a context manager that stops them."""

    def __init__(self, binary: Path, helm: Helm) -> None:
        self.binary = binary
        self.helm = helm  # its timeout and environment rules apply to each render
        self.idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self.started: list[_Worker] = []

    def template(
        self, release: str, chart: Path, values: Sequence[Path], kube_version: str, namespace: str
    ) -> Completed:
        args = [str(a) for a in template_args(release, chart, values, kube_version, namespace)]
        try:
            worker = self.idle.get_nowait()
        except queue.Empty:
            worker = _Worker(self.binary, self.helm.environment())
            self.started.append(worker)
        answer = worker.ask(args, self.helm.timeout)
        if answer is None:
            worker.stop(kill=True)
            why = f"it died, took over {self.helm.timeout:.0f}s, or answered over {MAX_ANSWER // 2**20} MiB"
            return Completed((BATCH, *args), 1, "", f"Error: {BATCH} stopped without answering ({why})")
        self.idle.put(worker)
        return answer

    def __enter__(self) -> HelmBatch:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for worker in self.started:
            worker.stop()
