#!/usr/bin/env bash
# Everything CI checks, fastest tier first:
#   scripts/test.sh            every tier (what .ci/run runs)
#   scripts/test.sh TIER ...   only these: static (ruff, mypy, import layers), unit, helm,
#                              vault (a real OpenBao server), e2e,
#                              wheel (the built wheel, installed outside the checkout, does the user journey),
#                              runtime (Maven builds and runs the workflow runtimes),
#                              container (podman builds each Containerfile and runs the image as the pod would;
#                                the pipelines' buildah image stage pushes one to a registry),
#                              bench (the pull-request benchmark: figures printed, not asserted)
# Each tier first builds the pinned tools it uses (scripts/toolchain.sh: cached after the first
# time) and installs the Debian packages it needs when run as root.
# The e2e and wheel tiers start a real control plane and always tear it down.
set -euo pipefail
cd "$(dirname "$0")/.."
tiers=("$@")
[ ${#tiers[@]} -gt 0 ] || tiers=(static unit helm vault e2e wheel runtime container bench)
scripts/setup.sh --dev

debian() {  # the Debian packages a tier needs, installed when missing (root), else named
  local missing=() need
  for need in "$@"; do
    case $need in
      shellcheck) command -v shellcheck >/dev/null || missing+=(shellcheck) ;;
      node) command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm) ;;
      maven) command -v mvn >/dev/null || missing+=(maven) ;;
      java) command -v java >/dev/null || missing+=(openjdk-17-jdk-headless) ;;
      postgresql) compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql) ;;
      podman) command -v podman >/dev/null && command -v mmdebstrap >/dev/null || missing+=(podman runc mmdebstrap) ;;
      buildah) command -v buildah >/dev/null || missing+=(buildah) ;;
      openssl) command -v openssl >/dev/null || missing+=(openssl) ;;
    esac
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  else
    echo "install ${missing[*]} (Debian packages) for this tier" >&2
  fi
}

# From empty caches the runtime and container tiers spend minutes downloading (Maven artifacts,
# Debian packages for the base images): scripts/prefetch.py fetches them in the background while
# the helm, vault, e2e and wheel tiers run (they use neither Maven nor podman); those two wait for
# it. Not during static and unit: the unit tier's fuzz run bounds each case's CPU time, which
# a busy second core stretches.
prefetch="" prefetch_log=""
wanted=()
for tier in runtime container; do [[ " ${tiers[*]} " == *" $tier "* ]] && wanted+=("$tier"); done
start_prefetch() {
  [ ${#wanted[@]} -gt 0 ] && [ -z "$prefetch_log" ] || return 0
  debian maven java
  if [[ " ${wanted[*]} " == *" container "* ]]; then debian podman; fi
  prefetch_log=$(mktemp)
  .venv/bin/python scripts/prefetch.py "${wanted[@]}" > "$prefetch_log" 2>&1 &
  prefetch=$!
}
await_prefetch() {
  [ -n "$prefetch" ] || return 0
  wait "$prefetch" || echo "prefetch incomplete: the tier fetches the rest itself"
  cat "$prefetch_log"
  rm -f "$prefetch_log"  # the name stays set: one prefetch per run
  prefetch=""
}

for tier in "${tiers[@]}"; do
  case $tier in helm | vault | e2e | wheel) start_prefetch ;; esac
  case $tier in
    static)
      .venv/bin/ruff check chartgen tests testing benchmarks scripts setup.py
      .venv/bin/ruff format --check chartgen tests testing benchmarks scripts setup.py
      .venv/bin/mypy
      .venv/bin/mypy --explicit-package-bases tests testing benchmarks scripts
      .venv/bin/lint-imports --no-logo --no-cache
      .venv/bin/python scripts/check_imports.py ;;
    unit) .venv/bin/pytest -q tests/unit ;;
    helm)
      # actionlint checks the pipelines' run: scripts with shellcheck when it is on PATH;
      # Checkov scans the rendered charts; Mermaid's parser reads every graph chartgen draws.
      debian shellcheck node
      scripts/toolchain.sh registry actionlint checkov mermaid
      .venv/bin/pytest -q tests/helm ;;
    vault) .venv/bin/pytest -q tests/vault ;;
    e2e)
      scripts/toolchain.sh kube etcd kwok ct registry
      .venv/bin/pytest -q -s tests/e2e ;;
    wheel)
      scripts/toolchain.sh kube etcd kwok registry
      .venv/bin/pytest -q -s tests/wheel ;;
    runtime)
      await_prefetch
      debian maven java postgresql
      .venv/bin/pytest -q -s tests/runtime ;;
    container)
      # buildah and a registry: the pipelines' image stage, run here and pushed over TLS
      await_prefetch
      debian maven java postgresql podman buildah openssl
      scripts/toolchain.sh registry
      .venv/bin/pytest -q -s tests/container ;;
    bench) .venv/bin/python benchmarks/pr.py --size 1000 --repeat 1 ;;
    *) echo "unknown tier: $tier (static, unit, helm, vault, e2e, wheel, runtime, container, bench)" >&2; exit 2 ;;
  esac
done
