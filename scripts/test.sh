#!/usr/bin/env bash
# Everything CI checks, fastest tier first:
#   scripts/test.sh            every tier (what .ci/run runs)
#   scripts/test.sh TIER ...   only these: static (ruff, mypy, import layers), unit, helm,
#                              vault (a real OpenBao server), e2e,
#                              runtime (Maven builds and runs the workflow runtimes),
#                              bench (the pull-request benchmark: figures printed, not asserted)
# The e2e tier starts a real control plane and always tears it down.
set -euo pipefail
cd "$(dirname "$0")/.."
tiers=("$@")
[ ${#tiers[@]} -gt 0 ] || tiers=(static unit helm vault e2e runtime bench)
scripts/setup.sh
for tier in "${tiers[@]}"; do
  case $tier in
    static)
      .venv/bin/ruff check chartgen tests testing benchmarks
      .venv/bin/ruff format --check chartgen tests testing benchmarks
      .venv/bin/mypy
      .venv/bin/lint-imports --no-logo --no-cache ;;
    unit) .venv/bin/pytest -q tests/unit ;;
    helm) .venv/bin/pytest -q tests/helm ;;
    vault) .venv/bin/pytest -q tests/vault ;;
    e2e) .venv/bin/pytest -q -s tests/e2e ;;
    runtime) .venv/bin/pytest -q -s tests/runtime ;;
    bench) .venv/bin/python benchmarks/pr.py --size 1000 --repeat 1 ;;
    *) echo "unknown tier: $tier (static, unit, helm, vault, e2e, runtime, bench)" >&2; exit 2 ;;
  esac
done
