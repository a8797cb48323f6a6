"""The pipelines' image stage run here: GitLab's `images` job script, as the file ships it, runs
buildah on a build context `chartgen build` wrote (as the `build-contexts` job does), builds it
from scratch (buildah's default: no layer cache) and pushes it to a real registry (TLS, on
127.0.0.1); the pushed image, pulled by the digest the job wrote, then runs as the chart's pod
(`start_runtime` with podman). Tekton's task runs the same build and push lines (checked below).

What differs from a runner, each given as the runner's environment, never by editing the script:
- podman's storage driver (overlay), where the base images were made, not the job's vfs;
- a containers.conf with the open-files limit this machine allows (buildah asks for more,
  which this kernel refuses, and falls back to 1024: too few for Quarkus' build) and this
  machine's Maven repository as a volume of every RUN, as a runner's Maven cache would be
  (without it the job downloads Quarkus each time: 274 s against 40 s, measured under load);
- SSL_CERT_FILE trusting the test registry's self-signed certificate.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.runtime.images import maven_repository
from chartgen.runtime.local import start_runtime
from chartgen.tools.locate import find_tool
from chartgen.tools.podman import Podman
from testing.gitlab import gitlab_jobs
from testing.registry import running_registry, self_signed
from testing.repo import REPO, require, run_cli
from tests.runtime.fixtures_events import render_with
from tests.runtime.helpers import call

pytestmark = pytest.mark.container

CHART = "shipment-tracker"  # one chart: the job builds those `--base` finds changed
SYSTEM_CAS = Path("/etc/ssl/certs/ca-certificates.crt")
TEKTON_TASK = REPO / "pipelines" / "tekton" / "task-build-image.yaml"


def _build_and_push(script: str) -> list[str]:
    return [line.strip() for line in script.splitlines() if re.match(r"\s*buildah (build|push) ", line)]


def test_tekton_s_task_builds_and_pushes_as_the_gitlab_job_does() -> None:
    task = yaml.safe_load(TEKTON_TASK.read_text())
    (step,) = task["spec"]["steps"]
    gitlab = "\n".join(gitlab_jobs()["images"]["script"])
    assert _build_and_push(step["script"]) == _build_and_push(gitlab)
    assert len(_build_and_push(gitlab)) == 2


def _runner_env(tmp_path: Path, job: dict[str, Any], bundle: Path) -> dict[str, str]:
    conf = tmp_path / "containers.conf"
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    files = min(hard if hard != resource.RLIM_INFINITY else 1048576, 1048576)
    repository = maven_repository()
    repository.mkdir(parents=True, exist_ok=True)
    conf.write_text(
        f'[containers]\ndefault_ulimits = ["nofile={files}:{files}"]\n'
        f'volumes = ["{repository}:/root/.m2/repository"]\n'
    )
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update({k: str(v) for k, v in job.get("variables", {}).items()})
    env.update(
        STORAGE_DRIVER="overlay",
        CONTAINERS_CONF=str(conf),
        SSL_CERT_FILE=str(bundle),
        REGISTRY_USER="pipeline",
        REGISTRY_PASSWORD="not-checked-by-the-test-registry",
    )
    return env


def test_the_gitlab_image_job_pushes_an_image_that_runs_as_the_pod(
    built: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    for program in ("buildah", "openssl"):
        require(program, shutil.which(program) is not None)
    repo, _ = built
    project = tmp_path / "repo"
    shutil.copytree(repo, project, ignore=shutil.ignore_patterns("build", "target"))
    certificate, key = self_signed(tmp_path / "tls")
    bundle = tmp_path / "ca-bundle.crt"
    bundle.write_bytes(SYSTEM_CAS.read_bytes() + certificate.read_bytes())
    with running_registry(find_tool("registry"), tmp_path / "registry", tls=(certificate, key)) as registry:
        # the repository's images go to this registry; `build-contexts` writes the contexts
        base = project / "profiles/base.yaml"
        base.write_text(base.read_text().replace("registry.example.com/acme", f"{registry.host}/acme"))
        assert run_cli("-C", str(project), "generate").code == 0
        job_dir = tmp_path / "job"
        contexts = run_cli(
            "-C", str(project), "build", "--chart", CHART, "--no-package", "--out", str(job_dir / "build")
        )
        assert contexts.code == 0, contexts.err
        image = (job_dir / "build" / CHART / "image.txt").read_text().strip()
        assert image.startswith(f"{registry.host}/acme/{CHART}:")

        job = gitlab_jobs()["images"]
        assert job["variables"]["BUILDAH_ISOLATION"] == "chroot"
        start = time.monotonic()
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", "\n".join(job["script"])],
            cwd=job_dir,
            env=_runner_env(tmp_path, job, bundle),
            capture_output=True,
            text=True,
            timeout=1800,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, output[-5000:]
        print(f"\n[container] GitLab's images job (buildah, no layer cache): {time.monotonic() - start:.0f}s")
        digest = (job_dir / "digests" / f"{CHART}.digest").read_text().strip()
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), digest
        assert f"{CHART}: {image}@{digest}" in output

        # the pushed image, pulled by digest as the cluster would after `deploy --image-digests`
        pushed = f"{registry.host}/acme/{CHART}@{digest}"
        podman = Podman.find()
        pulled = subprocess.run(
            [*map(str, podman.argv("pull", "--quiet", pushed))],
            env={**podman.environment(), "SSL_CERT_FILE": str(bundle)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert pulled.returncode == 0, pulled.stderr
    try:
        running = start_runtime(
            render_with(project / "charts" / CHART, "prod"), Path("unused.jar"), prefer=CHART, image=pushed
        )
        try:
            assert call(running.url + "/q/health/ready")[0] == 200, running.logs(30)
            assert call(running.url + f"/{CHART}")[0] == 200, running.logs(30)
            names = podman.checked(
                "ps", "--format", "{{.Names}}", "--filter", f"name=chartgen-{CHART}-"
            ).split()
            assert len(names) == 1 and podman.checked("exec", names[0], "id", "-u").strip() == "10001"
        finally:
            running.stop()
    finally:
        podman("rmi", "--force", pushed)
