#!/usr/bin/env bash
# Fails when demo/static is not what web/ builds: the client's build output
# is committed (so that `go run .` needs no Node), and this keeps it true to
# its sources and web/package-lock.json. The build is deterministic: no
# timestamps, fixed file names.
set -euo pipefail
cd "$(dirname "$0")/../web"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npm ci --no-audit --no-fund --loglevel=error >/dev/null
node build.mjs "$out"
if ! diff -r "$out" ../demo/static >/dev/null; then
  diff -r --brief "$out" ../demo/static || true
  echo "demo/static is stale: run 'make web' and commit the result" >&2
  exit 1
fi
echo "demo/static is fresh"
