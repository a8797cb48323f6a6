"""The built wheel is the product: it holds every file chartgen reads at run time, installs
from its hash-pinned requirements as the pipelines do, and does the user's whole journey from
outside the checkout: init --ci, generate, lint, policy check, diff, version bump, release to a
real registry, deploy to the local control plane."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

from chartgen import __version__
from chartgen.shipped import CHECKOUT
from chartgen.tools.kwok import Cluster
from testing.registry import Registry
from testing.repo import REPO, replace_placeholders
from tests.wheel.conftest import Installed, Release

pytestmark = pytest.mark.e2e


def tracked(folder: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", folder], cwd=REPO, capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if (REPO / line).is_file()]


def test_the_wheel_holds_every_file_the_package_reads(release: Release) -> None:
    names = set(zipfile.ZipFile(release.wheel).namelist())
    wanted = set(tracked("chartgen"))  # code, templates (chart and init files)
    for shipped, source in CHECKOUT.items():
        wanted |= {f"chartgen/_shipped/{shipped}{path.removeprefix(source)}" for path in tracked(source)}
    assert sorted(wanted - names) == []
    # Nothing of the checkout beyond the package: no tests, examples or test data.
    assert not [n for n in names if n.startswith(("tests/", "examples/", "testing/"))]


def test_the_installed_chartgen_is_the_wheel_and_says_its_version(
    installed: Installed, tmp_path: Path
) -> None:
    where = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", "import chartgen; print(chartgen.__file__)"],
        cwd=tmp_path, env=installed.env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert Path(where).is_relative_to(installed.venv), where
    assert installed.chartgen(tmp_path, "--version").stdout.strip() == f"chartgen {__version__}"
    doctor = json.loads(installed.chartgen(tmp_path, "--output", "json", "doctor", check=False).stdout)
    helm = next(t for t in doctor["result"]["tools"] if t["name"] == "helm")
    assert helm["path"] and helm["version"] == "v4.3.1"


def test_the_user_journey_from_the_installed_wheel(
    installed: Installed, release: Release, registry: Registry, cluster: Cluster, tmp_path: Path
) -> None:
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    repo = tmp_path / "flows"
    run = installed.chartgen

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    run(tmp_path, "init", "flows", "--ci", "github", "--requirements", str(release.requirements))
    replace_placeholders(tmp_path / "flows")
    assert (repo / ".github/workflows/chartgen-pr.yaml").read_bytes() == (
        REPO / "pipelines/github/chartgen-pr.yaml"
    ).read_bytes()
    assert (repo / "chartgen-requirements.txt").read_bytes() == release.requirements.read_bytes()
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.email", "wheel@example.invalid"],
        ["config", "user.name", "wheel"],
        ["remote", "add", "origin", str(origin)],
    ):
        git(*args)

    run(repo, "generate")
    linted = run(repo, "lint").stdout
    assert "✖" not in linted and "0 violations" in linted, linted  # the wheel's own policies ran
    run(repo, "policy", "check")
    git("add", "-A")
    git("commit", "-q", "-m", "start")
    git("push", "-q", "origin", "main")
    charts = registry.oci("charts")
    run(repo, "release", "--to", charts)

    git("checkout", "-q", "-b", "greet")
    hello = repo / "workflows/hello-world/hello-world.sw.yaml"
    hello.write_text(hello.read_text().replace("Hello, world!", "Hello, wheel!"))
    run(repo, "generate")
    run(repo, "version", "bump", "--base", "main")
    new = yaml.safe_load((repo / "charts/hello-world/Chart.yaml").read_text())["version"]
    assert new != "0.1.0"
    git("add", "-A")
    git("commit", "-q", "-m", "greet the wheel")
    diff = run(repo, "diff", "--base", "main", "--format", "markdown").stdout
    assert "hello-world" in diff and "Hello, wheel!" in diff, diff
    git("checkout", "-q", "main")
    git("merge", "-q", "--ff-only", "greet")
    git("push", "-q", "origin", "main")
    run(repo, "release", "--to", charts)

    kubectl = cluster.kubectl()
    kubectl.run(["create", "namespace", "workflows-staging"])
    try:
        out = run(
            repo,
            "deploy",
            "--env",
            "staging",
            "--version-from",
            charts,
            "--kubeconfig",
            str(cluster.kubeconfig),
        ).stdout
        assert "1 installed" in out, out
        listed = json.loads(
            kubectl.run(["get", "deployments", "-n", "workflows-staging", "-o", "json"]).stdout
        )["items"]
        assert [d["metadata"]["labels"]["helm.sh/chart"] for d in listed] == [f"hello-world-{new}"]
    finally:
        kubectl.run(["delete", "namespace", "workflows-staging", "--wait=false"], check=False)
