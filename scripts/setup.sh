#!/usr/bin/env bash
# Set up this checkout: a virtualenv with chartgen (and its dev tools), and the pinned tools:
# helm, the Kubernetes control plane, etcd, kwok and chart-testing (built once, then cached).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
scripts/toolchain.sh
