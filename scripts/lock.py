#!/usr/bin/env python3
"""Write the hash-pinned requirements a pipeline installs chartgen from.

    scripts/lock.py dist/chartgen-X.Y.Z-py3-none-any.whl > dist/chartgen-requirements.txt

Installs the wheel into a scratch virtualenv to resolve its dependencies, pins each at the
version resolved, and lists the sha256 of every wheel the index holds for that version (so the
file works on any platform and Python the index has wheels for: a pipeline installs with
`--require-hashes --no-deps --only-binary :all:`). chartgen itself is pinned to the wheel given.
The index is PIP_INDEX_URL's, else PyPI; it must answer the JSON simple API (PEP 691).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from chartgen.formats.requirements import normalized  # the name rule init checks the file with

INDEX = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")


def resolved(wheel: Path) -> list[tuple[str, str]]:
    """(name, version) of every package the wheel's installation pulls in, chartgen left out."""
    with tempfile.TemporaryDirectory() as scratch:
        venv = Path(scratch) / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        python = str(venv / "bin" / "python")
        pip = [sys.executable, "-m", "pip", "--python", python, "--disable-pip-version-check"]
        subprocess.run([*pip, "install", "--quiet", "--only-binary", ":all:", str(wheel)], check=True)
        frozen = subprocess.run([*pip, "freeze", "--all"], check=True, capture_output=True, text=True).stdout
    pins = [tuple(line.split("==", 1)) for line in frozen.splitlines() if "==" in line]
    return sorted((n, v) for n, v in pins if normalized(n) not in ("chartgen", "pip", "setuptools", "wheel"))


def wheel_hashes(name: str, version: str) -> list[str]:
    """sha256 of each wheel file of `name==version` on the index."""
    request = urllib.request.Request(
        f"{INDEX}/{normalized(name)}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        files = json.load(answer)["files"]
    wanted = (normalized(name), version)
    hashes = sorted(
        f["hashes"]["sha256"]
        for f in files
        if f["filename"].endswith(".whl")
        and (normalized(f["filename"].split("-")[0]), f["filename"].split("-")[1]) == wanted
        and not f.get("yanked")
    )
    if not hashes:
        raise SystemExit(f"{name}=={version}: the index has no wheel of it")
    return hashes


def requirement(name: str, version: str, hashes: list[str]) -> str:
    return " \\\n    ".join([f"{name}=={version}", *(f"--hash=sha256:{h}" for h in hashes)])


def main() -> None:
    wheel = Path(sys.argv[1])
    version = wheel.name.split("-")[1]
    own = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lines = [
        f"# chartgen {version} and what it runs on, pinned by hash (scripts/lock.py).",
        "# pip install --require-hashes --no-deps --only-binary :all: -r chartgen-requirements.txt",
        requirement("chartgen", version, [own]),
    ]
    lines += [requirement(n, v, wheel_hashes(n, v)) for n, v in resolved(wheel)]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
