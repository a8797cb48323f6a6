#!/usr/bin/env bash
# Build the pinned external tools chartgen runs (and its tests use) into one cache folder.
#   scripts/toolchain.sh [helm ...]     (default: every Go tool: helm kube etcd kwok ct registry opa actionlint;
#                                        checkov (Python) and mermaid (Node) only when named)
# Idempotent: a tool already built at the pinned version is reused. Prints one line per tool
# (name, version, seconds); the Go output goes to $CACHE/logs/<tool>.log, shown when a build fails.
# Cache: $CHARTGEN_CACHE (default ~/.cache/chartgen); binaries in $CHARTGEN_CACHE/bin.
set -euo pipefail

HELM_VERSION=v4.3.1
K8S_VERSION=v1.34.4       # kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
ETCD_VERSION=v3.6.14
KWOK_VERSION=v0.8.0       # kwok, kwokctl
CT_VERSION=v3.14.0        # chart-testing
REGISTRY_VERSION=v3.1.2   # CNCF distribution registry (release tests: a real OCI registry on 127.0.0.1)
OPA_VERSION=v1.22.3       # Open Policy Agent: evaluates policies/ (chartgen policy check)
CONFTEST_VERSION=v0.71.0  # conftest: the same policies, as organisations run them (parity test)
ACTIONLINT_VERSION=v1.7.12 # actionlint: checks the GitHub Actions workflows in pipelines/github
CHECKOV_VERSION=3.3.30    # Checkov (PyPI): an independent scan of the rendered charts (helm tier)
MERMAID_VERSION=11.12.2   # Mermaid (npm): its own parser checks every graph chartgen draws (helm tier)
JSDOM_VERSION=26.1.0      # the DOM Mermaid's sanitizer needs under Node

CACHE=${CHARTGEN_CACHE:-$HOME/.cache/chartgen}
BIN=$CACHE/bin
mkdir -p "$BIN"
# Go's module and build caches live in the cache folder too, so rebuilds are fast.
export GOPATH=$CACHE/go GOMODCACHE=$CACHE/go/pkg/mod GOCACHE=$CACHE/go/build GOFLAGS=-modcacherw


stamp_ok() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/.$1-version" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" > "$BIN/.$1-version"; }
say() { echo "$*" >&3; }  # the one line a tool prints: the Go output goes to its log

install_helm() {
  if stamp_ok helm "$HELM_VERSION" && stamp_ok helm-batch "$HELM_VERSION"; then
    say "helm $HELM_VERSION: cached"; return
  fi
  need_go helm
  local start=$SECONDS
  GOBIN=$BIN go install "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
  stamp helm "$HELM_VERSION"
  install_helm_batch
  say "helm $HELM_VERSION: built in $((SECONDS - start))s"
}

# helm-batch: Helm's own command tree, in one long-lived process that runs `helm template` for
# each request line (a JSON list of helm's arguments) and answers one JSON line {code, stdout,
# stderr}. A render then costs ~15 ms instead of a process's ~45 (most of it Go's start-up):
# `chartgen diff` renders hundreds. Only `template` is served; chartgen uses it only beside the
# helm of the same version (the stamps).
install_helm_batch() {
  local dir=$CACHE/build/helm-batch-$HELM_VERSION
  mkdir -p "$dir"
  cat > "$dir/main.go" <<'GO'
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"

	helmcmd "helm.sh/helm/v4/pkg/cmd"
)

type answer struct {
	Code   int    `json:"code"`
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
}

// render runs one `helm template`, its output and its error text captured as helm prints them.
func render(args []string) answer {
	if len(args) == 0 || args[0] != "template" {
		return answer{2, "", "Error: helm-batch serves helm template only\n"}
	}
	var out, errOut bytes.Buffer
	cmd, err := helmcmd.NewRootCmd(&out, args, func(bool) {})
	if err != nil {
		return answer{1, "", "Error: " + err.Error() + "\n"}
	}
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		code := 1
		if cerr, ok := errors.AsType[helmcmd.CommandError](err); ok {
			code = cerr.ExitCode
		}
		return answer{code, out.String(), errOut.String()}
	}
	return answer{0, out.String(), errOut.String()}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	answers := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var args []string
		if err := json.Unmarshal(in.Bytes(), &args); err != nil {
			_ = answers.Encode(answer{2, "", "Error: a request is a JSON list of helm's arguments\n"})
			continue
		}
		_ = answers.Encode(render(args))
	}
}
GO
  (
    cd "$dir"
    [ -f go.mod ] || go mod init chartgen.local/helm-batch >/dev/null 2>&1
    go get "helm.sh/helm/v4/pkg/cmd@$HELM_VERSION"
    # The flags helm was built with: its compiled packages come from the build cache.
    go build -ldflags "-s -w" -o "$BIN/helm-batch" .
  )
  stamp helm-batch "$HELM_VERSION"
}

# One string field of `go mod download -json` (one field per line): no python3 needed, so the
# script also runs in a plain Go image (packaging/Containerfile).
json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p"; }

need_go() { command -v go >/dev/null || { echo "go is required to build $1" >&2; exit 1; }; }

# The Kubernetes control plane: k8s.io/kubernetes requires its staging modules at v0.0.0
# (replaced locally upstream), so a scratch module replaces each with its published
# v0.Y.Z, then builds with the version stamped in (Helm's kubeVersion checks read it).
install_kube() {
  local tools=(kube-apiserver kube-controller-manager kube-scheduler kubectl) missing=0
  for t in "${tools[@]}"; do stamp_ok "$t" "$K8S_VERSION" || missing=1; done
  if [ $missing = 0 ]; then say "kubernetes $K8S_VERSION: cached"; return; fi
  need_go kubernetes
  local start=$SECONDS dir=$CACHE/build/k8s-$K8S_VERSION staging=v0.${K8S_VERSION#v1.}
  mkdir -p "$dir"
  (
    cd "$dir"
    [ -f go.mod ] || go mod init local/k8sbuild >/dev/null 2>&1
    local kmod
    kmod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | json_field GoMod)
    for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) v0\.0\.0$#\1#p' "$kmod"); do
      go mod edit -replace "$m=$m@$staging"
    done
    go mod edit -require "k8s.io/kubernetes@$K8S_VERSION"
    go get -tool $(printf "k8s.io/kubernetes/cmd/%s@$K8S_VERSION " "${tools[@]}")
    local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
    local ldflags="-s -w"
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags="$ldflags -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    done
    CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$BIN/" $(printf "k8s.io/kubernetes/cmd/%s " "${tools[@]}")
  )
  for t in "${tools[@]}"; do stamp "$t" "$K8S_VERSION"; done
  say "kubernetes $K8S_VERSION: built in $((SECONDS - start))s"
}

# etcd >= 3.5 (Debian ships 3.4): its server module has replace directives, so a scratch module.
install_etcd() {
  if stamp_ok etcd "$ETCD_VERSION"; then say "etcd $ETCD_VERSION: cached"; return; fi
  need_go etcd
  local start=$SECONDS dir=$CACHE/build/etcd-$ETCD_VERSION
  mkdir -p "$dir"
  (
    cd "$dir"
    [ -f go.mod ] || go mod init local/etcdbuild >/dev/null 2>&1
    go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    CGO_ENABLED=0 go build -trimpath -o "$BIN/etcd" go.etcd.io/etcd/server/v3
  )
  stamp etcd "$ETCD_VERSION"
  say "etcd $ETCD_VERSION: built in $((SECONDS - start))s"
}

# kwok and kwokctl, and kwok's default node/pod stages (used as they are, from the module).
install_kwok() {
  if stamp_ok kwok "$KWOK_VERSION" && stamp_ok kwokctl "$KWOK_VERSION" && [ -f "$CACHE/kwok-stages/pod-ready.yaml" ]; then
    say "kwok $KWOK_VERSION: cached"; return
  fi
  need_go kwok
  local start=$SECONDS
  GOBIN=$BIN go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
  local stages=$GOMODCACHE/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage
  mkdir -p "$CACHE/kwok-stages"
  cp "$stages/node/fast/node-initialize.yaml" "$stages/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
     "$stages/pod/fast/pod-ready.yaml" "$stages/pod/fast/pod-complete.yaml" "$stages/pod/fast/pod-delete.yaml" \
     "$CACHE/kwok-stages/"
  stamp kwok "$KWOK_VERSION"; stamp kwokctl "$KWOK_VERSION"
  say "kwok $KWOK_VERSION: built in $((SECONDS - start))s"
}

# chart-testing. `go install ct@version` trips over the proxy refusing the module's version
# list (a deprecation check), so the module is downloaded and built in a scratch copy. Its
# lint configuration (chart_schema.yaml, lintconf.yaml) goes to $CACHE/ct: CT_CONFIG_DIR.
install_ct() {
  if stamp_ok ct "$CT_VERSION" && [ -f "$CACHE/ct/lintconf.yaml" ]; then say "ct $CT_VERSION: cached"; return; fi
  need_go ct
  local start=$SECONDS src dir=$CACHE/build/ct-$CT_VERSION
  src=$(go mod download -json "github.com/helm/chart-testing/v3@$CT_VERSION" | json_field Dir)
  rm -rf "$dir" && mkdir -p "$dir" && cp -R "$src/." "$dir/" && chmod -R u+w "$dir"
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -o "$BIN/ct" ./ct)
  mkdir -p "$CACHE/ct"
  cp "$dir/etc/"*.yaml "$CACHE/ct/"
  stamp ct "$CT_VERSION"
  say "ct $CT_VERSION: built in $((SECONDS - start))s"
}

# A tool one `go install` builds: go_install NAME VERSION PACKAGE (no cgo).
go_install() {
  local name=$1 version=$2 package=$3
  if stamp_ok "$name" "$version"; then say "$name $version: cached"; return; fi
  need_go "$name"
  local start=$SECONDS
  GOBIN=$BIN CGO_ENABLED=0 go install "$package@$version"
  stamp "$name" "$version"
  say "$name $version: built in $((SECONDS - start))s"
}

# The CNCF distribution registry: `chartgen release` tests push charts to it on loopback.
install_registry() {
  go_install registry "$REGISTRY_VERSION" github.com/distribution/distribution/v3/cmd/registry
}

# OPA and conftest (policies/): one scratch module builds both, so OPA's packages compile
# once (conftest's own requirement, OPA v1.21, is raised to the pinned one). No cgo: OPA's
# Wasm engine is left out.
install_policy_tools() {
  if stamp_ok opa "$OPA_VERSION" && stamp_ok conftest "$CONFTEST_VERSION"; then
    say "opa $OPA_VERSION, conftest $CONFTEST_VERSION: cached"; return
  fi
  need_go opa
  local start=$SECONDS dir=$CACHE/build/policy-$OPA_VERSION-$CONFTEST_VERSION
  mkdir -p "$dir"
  (
    cd "$dir"
    [ -f go.mod ] || go mod init local/policybuild >/dev/null 2>&1
    go get -tool "github.com/open-policy-agent/opa@$OPA_VERSION" "github.com/open-policy-agent/conftest@$CONFTEST_VERSION"
    CGO_ENABLED=0 go build -trimpath -o "$BIN/" github.com/open-policy-agent/opa github.com/open-policy-agent/conftest
  )
  stamp opa "$OPA_VERSION"; stamp conftest "$CONFTEST_VERSION"
  say "opa $OPA_VERSION, conftest $CONFTEST_VERSION: built in $((SECONDS - start))s"
}

# actionlint (pipelines/github). It runs shellcheck on `run:` scripts when shellcheck is on
# PATH (scripts/setup.sh installs the Debian package).
install_actionlint() {
  go_install actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint
}

# Checkov is Python: its own virtualenv in the cache (its many pins stay out of chartgen's).
install_checkov() {
  if stamp_ok checkov "$CHECKOV_VERSION"; then say "checkov $CHECKOV_VERSION: cached"; return; fi
  command -v python3 >/dev/null || { echo "python3 is required to install checkov" >&2; exit 1; }
  local start=$SECONDS venv=$CACHE/checkov-$CHECKOV_VERSION
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
  ln -sfn "$venv/bin/checkov" "$BIN/checkov"
  stamp checkov "$CHECKOV_VERSION"
  say "checkov $CHECKOV_VERSION: installed in $((SECONDS - start))s"
}

# Mermaid is JavaScript: its npm package and jsdom in a folder of the cache, run with Node.
install_mermaid() {
  local version="$MERMAID_VERSION+jsdom-$JSDOM_VERSION" dir=$CACHE/mermaid
  if [ -f "$dir/.version" ] && [ "$(cat "$dir/.version")" = "$version" ]; then
    say "mermaid $MERMAID_VERSION: cached"; return
  fi
  command -v npm >/dev/null || { echo "npm (Debian package npm) is required to install mermaid" >&2; exit 1; }
  local start=$SECONDS
  rm -rf "$dir" && mkdir -p "$dir"
  echo '{"private": true, "type": "module"}' > "$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --save-exact --ignore-scripts \
    "mermaid@$MERMAID_VERSION" "jsdom@$JSDOM_VERSION"
  echo "$version" > "$dir/.version"
  say "mermaid $MERMAID_VERSION: installed in $((SECONDS - start))s"
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(helm kube etcd kwok ct registry opa actionlint)
# One process builds at a time (a test tier and a command may both find a tool missing).
if command -v flock >/dev/null; then exec 9>"$CACHE/.toolchain.lock"; flock 9; fi
exec 3>&1
mkdir -p "$CACHE/logs"
for tool in "${tools[@]}"; do
  case $tool in
    helm|kube|etcd|kwok|ct|registry|actionlint|checkov|mermaid) install=install_$tool ;;
    opa|conftest) install=install_policy_tools ;;
    *) echo "unknown tool: $tool (one of: helm kube etcd kwok ct registry opa actionlint checkov mermaid)" >&2; exit 2 ;;
  esac
  log=$CACHE/logs/$tool.log
  set +e
  ( set -e; "$install" ) >"$log" 2>&1
  status=$?
  set -e
  if [ $status != 0 ]; then
    cat "$log" >&2
    echo "$tool: build failed (exit $status; the output above is kept in $log)" >&2
    exit $status
  fi
done
