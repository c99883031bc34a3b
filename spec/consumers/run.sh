#!/usr/bin/env bash
# Consumer checks for the packed package (called by .ci/run; runnable by hand after `npm run build`).
#
#   spec/consumers/run.sh [TARBALL] [NODE_BINARY ...]
#
# TARBALL: output of `npm pack` (default: packs the repo into a temp dir, without re-running the build).
# NODE_BINARY: node executables to run the runtime consumers with (default: `node` on PATH).
# In a scratch project outside the repo it installs the tarball plus the repo's fastify and
# @types/node versions (from the npm cache when possible), then:
#   - runs cjs.cjs and esm.mjs under each node binary (plugin + one MethodView + one request);
#   - type-checks ts-nodenext/ (module nodenext, "type": "module", ESM .ts + CJS .cts) and
#     ts-bundler/ (moduleResolution bundler) with the repo's own tsc.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TMP_ROOT=${TMPDIR:-/tmp}
SCRATCH=$(mktemp -d "$TMP_ROOT/fcv-consumers.XXXXXX")
cleanup() { if [[ -z ${FCV_KEEP_SCRATCH:-} ]]; then rm -rf "$SCRATCH"; else echo "scratch kept: $SCRATCH"; fi; }
trap cleanup EXIT

TARBALL=${1:-}
if [[ $# -gt 0 ]]; then shift; fi
NODES=("$@")
if [[ ${#NODES[@]} -eq 0 ]]; then NODES=("$(command -v node)"); fi

if [[ -z $TARBALL ]]; then
  [[ -f $REPO/dist/index.js ]] || { echo "dist/ missing: run 'npm run build' first" >&2; exit 1; }
  TARBALL=$(cd "$REPO" && npm pack --ignore-scripts --silent --pack-destination "$SCRATCH" | tail -n 1)
  TARBALL=$SCRATCH/$TARBALL
fi
TARBALL=$(cd "$(dirname "$TARBALL")" && pwd)/$(basename "$TARBALL")
[[ -f $TARBALL ]] || { echo "no such tarball: $TARBALL" >&2; exit 1; }

pkg_version() { node -p "require('$REPO/node_modules/$1/package.json').version"; }
FASTIFY_VERSION=$(pkg_version fastify)
TYPES_NODE_VERSION=$(pkg_version @types/node)
TSC=$REPO/node_modules/typescript/bin/tsc

PROJECT=$SCRATCH/project
mkdir -p "$PROJECT"
cat > "$PROJECT/package.json" <<JSON
{ "name": "fcv-consumer", "version": "0.0.0", "private": true, "type": "module" }
JSON
echo "installing $(basename "$TARBALL") + fastify@$FASTIFY_VERSION + @types/node@$TYPES_NODE_VERSION into $PROJECT"
(cd "$PROJECT" && npm install --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error \
  "$TARBALL" "fastify@$FASTIFY_VERSION" "@types/node@$TYPES_NODE_VERSION")
cp "$HERE/cjs.cjs" "$HERE/esm.mjs" "$PROJECT/"
cp -r "$HERE/ts-nodenext" "$HERE/ts-bundler" "$PROJECT/"

PASSED=()
FAILED=()
check() {
  local name=$1; shift
  echo "--- $name"
  if (cd "$PROJECT" && "$@"); then PASSED+=("$name"); else FAILED+=("$name"); echo "FAILED: $name"; fi
}

for nodebin in "${NODES[@]}"; do
  v=$("$nodebin" --version)
  check "cjs consumer ($v)" timeout 60 "$nodebin" cjs.cjs
  check "esm consumer ($v)" timeout 60 "$nodebin" esm.mjs
done
check "ts consumer (module nodenext: ESM + CJS)" node "$TSC" -p ts-nodenext/tsconfig.json
check "ts consumer (moduleResolution bundler)" node "$TSC" -p ts-bundler/tsconfig.json

echo "consumer checks: ${#PASSED[@]} ok, ${#FAILED[@]} failed"
for f in "${FAILED[@]}"; do echo "  failed: $f"; done
[[ ${#FAILED[@]} -eq 0 ]]
