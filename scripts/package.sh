#!/usr/bin/env bash
# chartgen's release: everything a team needs to run chartgen pinned in its pipelines, in dist/:
#   chartgen-X.Y.Z-py3-none-any.whl, chartgen-X.Y.Z.tar.gz   the package (python -m build)
#   chartgen-requirements.txt   chartgen and its dependencies pinned by sha256 (scripts/lock.py):
#                               the file `chartgen init --ci` puts into a workflows repository
#   Containerfile, toolchain.sh the CI image recipe (Python, chartgen from the file above, and
#                               the tools scripts/toolchain.sh builds); `podman build dist/`
#   SHA256SUMS                  of the files above
#   scripts/package.sh [OUT]    (default: dist)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
rm -rf "$out" && mkdir -p "$out"
.venv/bin/python -m build --quiet --outdir "$out" . >/dev/null
wheel=$(ls "$out"/chartgen-*-py3-none-any.whl)
.venv/bin/python scripts/lock.py "$wheel" > "$out/chartgen-requirements.txt"
cp packaging/Containerfile scripts/toolchain.sh "$out/"
(cd "$out" && sha256sum -- * > SHA256SUMS)
echo "chartgen $(basename "$wheel"): $(ls "$out" | tr '\n' ' ')"
