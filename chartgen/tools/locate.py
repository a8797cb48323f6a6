"""Where the pinned external programs are: an explicit CHARTGEN_<TOOL>, the set-up's cache, or PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from chartgen.errors import ToolError
from chartgen.shipped import shipped


@dataclass(frozen=True)
class PinnedTool:
    build: str  # toolchain.sh's name for the build that makes it (one build may make several)
    version: str  # toolchain.sh's <VERSION>_VERSION variable: the pinned version
    needed_by: str


PINNED_TOOLS = {
    "helm": PinnedTool("helm", "HELM", "generate --check, lint, diff, release, deploy, test"),
    "opa": PinnedTool("opa", "OPA", "policy check, lint"),
    "conftest": PinnedTool("opa", "CONFTEST", "the policy parity test"),
    "kube-apiserver": PinnedTool("kube", "K8S", "cluster up"),
    "kube-controller-manager": PinnedTool("kube", "K8S", "cluster up"),
    "kube-scheduler": PinnedTool("kube", "K8S", "cluster up"),
    "kubectl": PinnedTool("kube", "K8S", "cluster, test, deploy, vault check"),
    "etcd": PinnedTool("etcd", "ETCD", "cluster up"),
    "kwok": PinnedTool("kwok", "KWOK", "cluster up"),
    "kwokctl": PinnedTool("kwok", "KWOK", "cluster up"),
    "ct": PinnedTool("ct", "CT", "chart-testing (the e2e tier)"),
    "registry": PinnedTool("registry", "REGISTRY", "the release tests (a local OCI registry)"),
    "actionlint": PinnedTool("actionlint", "ACTIONLINT", "the GitHub pipeline tests"),
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
    built = build_on_first_use(name)
    if built is not None:
        return built
    raise ToolError(f"{name} not found: {install_command(name)} builds the pinned one, or set {variable}")


def build_on_first_use(name: str) -> Path | None:
    """Build a missing pinned tool with the toolchain script chartgen ships, saying so on stderr
    (the script's one line); None when that cannot be done here: no Go, not a tool the script
    builds, or CHARTGEN_NO_BUILD set (the tests set it: a missing tool is their set-up's fault)."""
    tool = PINNED_TOOLS.get(name)
    script = shipped("toolchain.sh")
    if tool is None or os.environ.get("CHARTGEN_NO_BUILD") or not shutil.which("go") or not script.is_file():
        return None
    print(f"chartgen: {name} is missing: building it ({install_command(name)})", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(["bash", str(script), tool.build], capture_output=True, text=True, timeout=3600)
    except subprocess.TimeoutExpired:
        raise ToolError(f"building {name} took over an hour: run {install_command(name)} yourself") from None
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise ToolError(f"building {name} failed ({install_command(name)}):\n{tail}")
    print(done.stdout.strip(), file=sys.stderr, flush=True)
    cached = cache_dir() / "bin" / name
    if not (cached.is_file() and os.access(cached, os.X_OK)):
        raise ToolError(f"{install_command(name)} did not leave {cached}")
    return cached


def install_command(name: str) -> str:
    """The command that builds a tool into the cache: the checkout's script, or the wheel's copy."""
    tool = PINNED_TOOLS.get(name)
    return f"bash {shipped('toolchain.sh')} {tool.build if tool else name}"


def find_helm() -> Path:
    return find_tool("helm")
