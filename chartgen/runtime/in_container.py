"""The runtime's image run with podman the way the chart's pod runs it: the container's env,
every mounted file at its path (read-only), each emptyDir as a tmpfs, the securityContext's
user, read-only root, dropped capabilities and no privilege escalation, and the resource
limits. On a podman network beside its PostgreSQL and platform services (container_platform.py),
reached by name as a Service is, its port published on 127.0.0.1; or on the host's network.

What podman does not do as the kubelet does is said in the README, one line each."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from chartgen.errors import UserError
from chartgen.runtime.container import Resolved, Security
from chartgen.tools.podman import Podman
from chartgen.tools.reaper import REAPER

_MEMORY = re.compile(r"^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_PODMAN_UNITS = {"Ki": "k", "Mi": "m", "Gi": "g", "Ti": "t", "k": "k", "M": "m", "G": "g", "T": "t"}


@dataclass(frozen=True)
class Attachment:
    """A container on a podman network: the name the others reach it by (as a Service's), and
    its port published on 127.0.0.1 for this machine."""

    network: str
    alias: str
    port: int  # the container's
    published: int  # on 127.0.0.1


def container_args(
    image: str,
    name: str,
    resolved: Resolved,
    root: Path,
    env: Mapping[str, str],
    attachment: Attachment | None = None,
) -> list[str]:
    """`podman run` arguments; the files are under `root` at their container paths and the env
    goes through a 0600 file (never the command line, which `ps` shows). Without `attachment`,
    on the host's network."""
    env_file = root / "container.env"
    lines = []
    for key, value in sorted(env.items()):
        if "\n" in value or "\r" in value:
            raise UserError(f"the variable {key} holds a line break: podman's env file cannot carry it")
        lines.append(f"{key}={value}")
    env_file.write_text("".join(f"{line}\n" for line in lines))
    env_file.chmod(0o600)
    args = [
        "run",
        "--rm",
        "--pull=never",  # the image chartgen build --image made, never a registry's
        f"--name={name}",
        *_network(attachment),
        f"--env-file={env_file}",
        "--tmpfs=/tmp:rw,mode=1777",
    ]
    for folder in sorted(set(resolved.dirs) - {"/tmp"}):
        args.append(f"--tmpfs={folder}:rw,mode=1777")
    for mount in sorted(set(resolved.mounts) - set(resolved.dirs)):
        args.append(f"--volume={root / mount.lstrip('/')}:{mount}:ro")
    security = resolved.security
    if security.user is not None:
        args.append(
            f"--user={security.user}:{security.group if security.group is not None else security.user}"
        )
    if security.read_only_root:
        args.append("--read-only")
    if security.drop_all:
        args.append("--cap-drop=ALL")
    if security.no_new_privileges:
        args.append("--security-opt=no-new-privileges")
    args += _limits(resolved.limits)
    return [*args, image]


def _network(attachment: Attachment | None) -> list[str]:
    if attachment is None:
        return ["--network=host"]
    return [
        f"--network={attachment.network}",
        f"--network-alias={attachment.alias}",
        f"--publish=127.0.0.1:{attachment.published}:{attachment.port}",
    ]


def with_image(image: str, chart: str) -> Podman:
    """podman, holding `image` (never pulled: only what chartgen build --image made)."""
    podman = Podman.find()
    if not podman.has_image(image):
        raise UserError(
            f"no image {image} in podman's storage: build it (chartgen build --chart {chart} --image)"
        )
    return podman


def check_non_root(podman: Podman, image: str, security: Security) -> None:
    """runAsNonRoot as the kubelet checks it before starting the container: the UID it will run
    as (the securityContext's, else the image's USER) must be a number other than 0."""
    if not security.non_root:
        return
    if security.user is not None:
        user = str(security.user)
    else:
        user = podman.checked("image", "inspect", "--format", "{{.Config.User}}", image).strip()
        user = user.partition(":")[0] or "0"
    if not user.isdigit():
        raise UserError(
            f"{image}: runAsNonRoot, and the image's user {user!r} is not numeric: "
            "the kubelet cannot verify that it is not root and refuses to start the container"
        )
    if int(user) == 0:
        raise UserError(f"{image}: runAsNonRoot, and the container would run as root: the kubelet refuses it")


def _limits(limits: Mapping[str, str]) -> list[str]:
    args = []
    memory = _MEMORY.match(limits.get("memory", ""))
    if memory:
        args.append(f"--memory={memory[1]}{_PODMAN_UNITS.get(memory[2] or '', 'b')}")
    cpu = limits.get("cpu", "")
    if re.fullmatch(r"\d+(\.\d+)?m?", cpu):
        cores = Decimal(cpu[:-1]) / 1000 if cpu.endswith("m") else Decimal(cpu)
        args.append(f"--cpus={cores.normalize()}")
    return args


def removed_with(
    stack: contextlib.ExitStack,
    podman: Podman,
    name: str,
    kind: Literal["container", "network"] = "container",
) -> None:
    """The container (or `kind` "network": the network and what is on it) `name` removed when
    `stack` closes, whatever became of `podman run` (killed with -9 too), and by the reaper if
    chartgen dies first (a second Ctrl-C during the stop)."""
    args = ("rm", "--force", "--time=0", name) if kind == "container" else ("network", "rm", "--force", name)
    argv = [str(a) for a in podman.argv(*args)]
    REAPER.watch_command(argv)
    stack.callback(REAPER.forget_command, argv)
    stack.callback(podman, *args, timeout=60)
