#!/usr/bin/env bash
# Set up this checkout: a virtualenv with chartgen (and its dev tools), and the pinned tools:
# helm, the Kubernetes control plane, etcd, kwok and chart-testing (built once, then cached).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
scripts/toolchain.sh
# The runtime tier builds and runs SonataFlow apps: a JDK 17, Maven and a PostgreSQL server;
# the helm tier's pipeline check wants shellcheck.
missing=()
command -v mvn >/dev/null || missing+=(maven)
command -v java >/dev/null || missing+=(openjdk-17-jdk-headless)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
# actionlint checks the pipelines' run: scripts with shellcheck when it is on PATH.
command -v shellcheck >/dev/null || missing+=(shellcheck)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  else
    echo "install ${missing[*]} (Debian packages) for the runtime tier" >&2
  fi
fi
