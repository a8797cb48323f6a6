"""The wheel tier: chartgen as a user gets it. scripts/package.sh builds the wheel and its
hash-pinned requirements; a fresh virtualenv outside the checkout installs them the way the
pipelines do; every command then runs from that installation, in a folder beside nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from testing.repo import REPO
from tests.e2e.conftest import cluster, registry  # noqa: F401  (the tier's control plane and registry)

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Release:
    dist: Path
    wheel: Path
    requirements: Path


@dataclass(frozen=True)
class Installed:
    venv: Path
    env: dict[str, str]  # PATH starts at the venv; no variable points back into the checkout

    def chartgen(self, cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.venv / "bin" / "chartgen"), *args], cwd=cwd, env=self.env, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip
        assert "Traceback" not in done.stdout + done.stderr
        if check:
            assert done.returncode == 0, f"chartgen {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    dist = tmp_path_factory.mktemp("release") / "dist"
    done = subprocess.run(
        ["scripts/package.sh", str(dist)], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = dist.glob("chartgen-*-py3-none-any.whl")
    return Release(dist, wheel, dist / "chartgen-requirements.txt")


@pytest.fixture(scope="session")
def installed(release: Release, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    venv = tmp_path_factory.mktemp("user") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHARTGEN_", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    if "CHARTGEN_CACHE" in os.environ:  # where the pinned tools were built
        env["CHARTGEN_CACHE"] = os.environ["CHARTGEN_CACHE"]
    install = [
        str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
        "--require-hashes", "--no-deps", "--only-binary", ":all:",
        "--find-links", str(release.dist), "-r", str(release.requirements),
    ]  # fmt: skip
    done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return Installed(venv, env)
