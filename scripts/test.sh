#!/usr/bin/env bash
# Everything CI checks, fastest tier first: lint/types, unit, real helm + corpus, then the
# e2e tier on a real control plane (started and torn down by the tests themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check chartgen tests testing benchmarks
.venv/bin/ruff format --check chartgen tests testing benchmarks
.venv/bin/mypy
.venv/bin/lint-imports --no-logo --no-cache
.venv/bin/pytest -q tests/unit
.venv/bin/pytest -q tests/helm
.venv/bin/pytest -q -s tests/e2e "$@"
