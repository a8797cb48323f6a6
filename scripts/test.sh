#!/usr/bin/env bash
# Everything CI checks, fastest tier first: lint/types, unit, real helm + corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check chartgen tests testing benchmarks
.venv/bin/ruff format --check chartgen tests testing benchmarks
.venv/bin/mypy
.venv/bin/pytest -q tests/unit
.venv/bin/pytest -q tests/helm "$@"
