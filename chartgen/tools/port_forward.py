"""`kubectl port-forward` to a Service, for as long as a block runs: how a laptop or a CI job
reaches an in-cluster address (the platform's Data Index) through the cluster it is allowed
to use, on a port of 127.0.0.1 kubectl chooses."""

from __future__ import annotations

import contextlib
import re
import subprocess
import threading
from collections.abc import Iterator

from chartgen.errors import ToolError
from chartgen.tools.kubectl import Kubectl
from chartgen.tools.processes import stop_process

FORWARDING = re.compile(r"Forwarding from 127\.0\.0\.1:(\d+) ->")
READY_SECONDS = 30


@contextlib.contextmanager
def forwarded(kubectl: Kubectl, namespace: str, service: str, port: int) -> Iterator[int]:
    """The local port forwarded to `service`'s `port` in `namespace`; the forward is stopped
    when the block ends. A ToolError with kubectl's own words when it cannot forward."""
    argv = [str(kubectl.binary)]
    if kubectl.kubeconfig:
        argv += ["--kubeconfig", str(kubectl.kubeconfig)]
    if kubectl.context:
        argv += ["--context", kubectl.context]
    argv += ["port-forward", "-n", namespace, f"service/{service}", f":{port}", "--address", "127.0.0.1"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        found: list[int] = []
        listening = threading.Event()

        def read() -> None:
            """kubectl's output to its end (a full pipe would stop it), the port noted."""
            assert process.stdout is not None
            for line in process.stdout:
                match = FORWARDING.search(line)
                if match and not found:
                    found.append(int(match.group(1)))
                    listening.set()
            listening.set()  # kubectl exited

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            listening.wait(READY_SECONDS)
            if not found:
                stop_process(process)
                said = [ln.strip() for ln in (process.stderr.read() if process.stderr else "").splitlines()]
                reason = next((ln for ln in reversed(said) if ln), f"no forward after {READY_SECONDS}s")
                raise ToolError(f"kubectl port-forward to service/{service} in {namespace}: {reason}")
            yield found[0]
        finally:
            stop_process(process)
            reader.join(10)  # at the end of kubectl's output now: the pipes can close
