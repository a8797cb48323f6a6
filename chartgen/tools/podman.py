"""podman (Debian's), as it runs on a machine without Docker or a registry: as root, with runc
and cgroupfs (crun refuses hybrid cgroups), and a containers.conf without default ulimits
(setting rlimits at run time is refused on such kernels). Base images are made from Debian
packages (mmdebstrap) and imported under the names a Containerfile's FROM lines use."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from chartgen.errors import ToolError
from chartgen.tools.locate import cache_dir
from chartgen.tools.runner import Completed, run

CONF = "[containers]\ndefault_ulimits = []\n"
BUILD_TIMEOUT = 1800  # a cold Maven build inside the container downloads Quarkus


@dataclass(frozen=True)
class Podman:
    program: Path

    @classmethod
    def find(cls) -> Podman:
        found = shutil.which("podman")
        if found is None:
            raise ToolError("podman not found: install the Debian packages podman, runc and mmdebstrap")
        return cls(Path(found))

    def environment(self) -> dict[str, str]:
        conf = cache_dir() / "containers.conf"
        if not conf.is_file() or conf.read_text() != CONF:
            conf.parent.mkdir(parents=True, exist_ok=True)
            conf.write_text(CONF)
        return {**os.environ, "CONTAINERS_CONF": str(conf)}

    def argv(self, *args: str | Path) -> list[str | Path]:
        return [self.program, "--runtime", "runc", "--cgroup-manager", "cgroupfs", *args]

    def __call__(self, *args: str | Path, timeout: float = 300, input_text: str | None = None) -> Completed:
        return run(self.argv(*args), timeout=timeout, env=self.environment(), input_text=input_text)

    def checked(self, *args: str | Path, timeout: float = 300) -> str:
        done = self(*args, timeout=timeout)
        if not done.ok:
            raise ToolError(f"podman {' '.join(str(a) for a in args[:3])}: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def has_image(self, name: str) -> bool:
        return self("image", "exists", name).ok

    def label(self, image: str, key: str) -> str | None:
        """The image's label `key` (None: no such image or label)."""
        done = self("image", "inspect", "--format", "{{json .Labels}}", image)
        labels = json.loads(done.stdout or "null") if done.ok else None
        value = labels.get(key) if isinstance(labels, dict) else None
        return value if isinstance(value, str) else None

    def image_size(self, name: str) -> int:
        return int(self.checked("image", "inspect", "--format", "{{.Size}}", name).strip() or 0)

    def build(
        self, context: Path, tag: str, volumes: Mapping[Path, str], extra: Sequence[str] = ()
    ) -> Completed:
        """`podman build` of context/Containerfile as it is: base images from this machine only
        (--pull=never), the build stage reaching Maven Central through the host's network."""
        mounts = [f"--volume={host}:{inside}" for host, inside in volumes.items()]
        return self(
            "build", "--pull=never", "--network=host", "--ulimit=nofile=20000:20000", *mounts, *extra,
            "--file", context / "Containerfile", "--tag", tag, context,
            timeout=BUILD_TIMEOUT,
        )  # fmt: skip
