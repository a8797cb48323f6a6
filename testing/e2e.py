"""Steps the e2e tests share: helm on the tier's cluster, and examples/ in a fresh git
repository (charts get committed there, as users do)."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import yaml

from chartgen.tools.helm import Helm
from chartgen.tools.kwok import Cluster
from chartgen.tools.locate import find_helm
from testing.repo import REPO


def helm(cluster: Cluster, *args: str) -> str:
    done = Helm(find_helm(), kubeconfig=cluster.kubeconfig).release(list(args))
    assert done.ok, done.stderr
    return done.stdout + done.stderr


def git_repo(tmp: Path) -> Path:
    """examples/ in a fresh git repository (charts get committed there, as users do)."""
    repo = tmp / "repo"
    shutil.copytree(REPO / "examples", repo, ignore=shutil.ignore_patterns("charts"))
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.email", "e2e@example.invalid"],
        ["config", "user.name", "e2e"],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True)
    return repo


def commit(repo: Path, message: str) -> None:
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo, check=True)


def api_server(kubeconfig: Path) -> tuple[str, str]:
    """(address, CA PEM) of the kubeconfig's current cluster."""
    config = yaml.safe_load(kubeconfig.read_text())
    context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    if "certificate-authority-data" in cluster:
        return cluster["server"], base64.b64decode(cluster["certificate-authority-data"]).decode()
    return cluster["server"], Path(cluster["certificate-authority"]).read_text()
