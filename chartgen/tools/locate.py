"""Where the pinned external programs are: an explicit CHARTGEN_<TOOL>, the set-up's cache, or PATH."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from chartgen.errors import ToolError
from chartgen.shipped import shipped

# Each external program, by the name toolchain.sh builds it under (one build may make several).
BUILT_BY = {
    "helm": "helm",
    "opa": "opa",
    "conftest": "opa",
    "kube-apiserver": "kube",
    "kube-controller-manager": "kube",
    "kube-scheduler": "kube",
    "kubectl": "kube",
    "etcd": "etcd",
    "kwok": "kwok",
    "kwokctl": "kwok",
    "ct": "ct",
    "registry": "registry",
    "actionlint": "actionlint",
}


def cache_dir() -> Path:
    """The set-up's cache folder (scripts/toolchain.sh builds the pinned tools into its bin/)."""
    return Path(os.environ.get("CHARTGEN_CACHE", Path.home() / ".cache" / "chartgen"))


def find_tool(name: str) -> Path:
    """`CHARTGEN_<NAME>` (e.g. CHARTGEN_HELM, CHARTGEN_KUBE_APISERVER), else the cache, else PATH."""
    variable = f"CHARTGEN_{name.upper().replace('-', '_')}"
    explicit = os.environ.get(variable)
    if explicit:
        if not (Path(explicit).is_file() and os.access(explicit, os.X_OK)):
            raise ToolError(f"{variable}={explicit} is not an executable file")
        return Path(explicit)
    cached = cache_dir() / "bin" / name
    if cached.is_file() and os.access(cached, os.X_OK):
        return cached
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ToolError(f"{name} not found: {install_command(name)} builds the pinned one, or set {variable}")


def install_command(name: str) -> str:
    """The command that builds a tool into the cache: the checkout's script, or the wheel's copy."""
    return f"bash {shipped('toolchain.sh')} {BUILT_BY.get(name, name)}"


def find_helm() -> Path:
    return find_tool("helm")
