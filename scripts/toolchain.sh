#!/usr/bin/env bash
# Install the pinned external tools chartgen's tests use, into one cache folder.
#   scripts/toolchain.sh [helm ...]     (default: everything)
# Idempotent: a tool already built at the pinned version is reused.
# Cache: $CHARTGEN_CACHE (default ~/.cache/chartgen); binaries in $CHARTGEN_CACHE/bin.
set -euo pipefail

HELM_VERSION=v4.3.1

CACHE=${CHARTGEN_CACHE:-$HOME/.cache/chartgen}
BIN=$CACHE/bin
mkdir -p "$BIN"
# Go's module and build caches live in the cache folder too, so rebuilds are fast.
export GOPATH=$CACHE/go GOMODCACHE=$CACHE/go/pkg/mod GOCACHE=$CACHE/go/build GOFLAGS=-modcacherw


stamp_ok() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/.$1-version" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" > "$BIN/.$1-version"; }

install_helm() {
  if stamp_ok helm "$HELM_VERSION"; then echo "helm $HELM_VERSION: cached"; return; fi
  command -v go >/dev/null || { echo "go is required to build helm" >&2; exit 1; }
  local start=$SECONDS
  GOBIN=$BIN go install "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
  stamp helm "$HELM_VERSION"
  echo "helm $HELM_VERSION: built in $((SECONDS - start))s"
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(helm)
for tool in "${tools[@]}"; do
  case $tool in
    helm) install_helm ;;
    *) echo "unknown tool: $tool" >&2; exit 2 ;;
  esac
done
