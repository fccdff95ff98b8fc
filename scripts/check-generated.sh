#!/usr/bin/env bash
# Fails when running the generators would change their output, so that the
# committed code and schema.graphql (the export of schema/*.graphqls)
# always match the schema's parts and gqlgen.yml, or when the
# embedded list of common passwords no longer matches its source.
set -euo pipefail
cd "$(dirname "$0")/.."
files="schema.graphql graph/generated.go graph/model/models_gen.go graph/*.resolvers.go chat/common_passwords.txt"
before=$(sha256sum $files)
go generate ./graph ./chat
after=$(sha256sum $files)
if [ "$before" != "$after" ]; then
  diff <(echo "$before") <(echo "$after") || true
  echo "generated code is stale: run 'make generate' and commit the result" >&2
  exit 1
fi
echo "generated code is fresh"
