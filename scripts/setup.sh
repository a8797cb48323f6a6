#!/usr/bin/env bash
# Set up this checkout for the main job: a virtualenv with chartgen, and the two tools that job
# runs, helm and opa (built once from the Go module proxy, then cached; one line per tool).
#   scripts/setup.sh          chartgen, helm, opa
#   scripts/setup.sh --dev    also the test tools (pytest, ruff, mypy, OpenBao, ...): scripts/test.sh
# The test tiers build the other tools they use on first use (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"
start=$SECONDS
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".$extras"
echo "chartgen $(.venv/bin/python -c 'import chartgen; print(chartgen.__version__)') in .venv: $((SECONDS - start))s"
scripts/toolchain.sh helm opa
