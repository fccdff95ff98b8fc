#!/usr/bin/env bash
# Fetches the playground's browser bundles from the npm registry into
# playground/assets/, checks each package tarball against the integrity
# pinned below (which must also be what the registry publishes), and writes
# playground/assets/VERSIONS: the packages with their integrity, and the
# sha256 of every file in sha256sum's format. The files are committed, so
# building the server needs no npm: run this only to change a version.
#
# GraphiQL 5 and React 19 publish no browser bundle, hence these versions;
# graphiql.min.js bundles graphql-ws for subscriptions.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=playground/assets
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/assets"
versions="# Written by scripts/fetch-playground.sh; do not edit.
# Check with: (cd playground/assets && sha256sum -c VERSIONS)
#
# package@version npm dist.integrity of its tarball"
sums=""

# fetch SPEC INTEGRITY FILE:NAME... downloads the package SPEC, checks its
# tarball, and stages each FILE of the package as NAME.
fetch() {
  local spec=$1 integrity=$2 published tarball got f
  shift 2
  published=$(npm view "$spec" dist.integrity)
  if [[ $published != "$integrity" ]]; then
    echo "$spec: the registry publishes $published, pinned $integrity" >&2
    exit 1
  fi
  tarball=$(cd "$tmp" && npm pack --silent "$spec")
  got=sha512-$(openssl dgst -sha512 -binary "$tmp/$tarball" | base64 -w0)
  if [[ $got != "$integrity" ]]; then
    echo "$spec: $tarball is $got, pinned $integrity" >&2
    exit 1
  fi
  mkdir "$tmp/$spec"
  tar -xzf "$tmp/$tarball" -C "$tmp/$spec"
  versions+=$'\n'"# $spec $integrity"
  for f in "$@"; do
    cp "$tmp/$spec/package/${f%%:*}" "$tmp/assets/${f#*:}"
    sums+=$(cd "$tmp/assets" && sha256sum "${f#*:}")$'\n'
  done
}

fetch graphiql@4.1.2 sha512-rNlzQIAzm6i2KBXmVQWBgLvt0TloxFVB2d18bukvdsvjEuFDHsKx5IVOomL1W1o5WW+tE54+ioHb2AEKzO2cUg== \
  graphiql.min.js:graphiql.min.js graphiql.min.css:graphiql.min.css LICENSE:LICENSE.graphiql
fetch react@18.3.1 sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ== \
  umd/react.production.min.js:react.production.min.js LICENSE:LICENSE.react
fetch react-dom@18.3.1 sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw== \
  umd/react-dom.production.min.js:react-dom.production.min.js LICENSE:LICENSE.react-dom

printf '%s\n\n%s' "$versions" "$sums" >"$tmp/assets/VERSIONS"
(cd "$tmp/assets" && sha256sum --quiet -c VERSIONS)
mkdir -p "$dest" && rm -f "$dest"/* && cp "$tmp/assets"/* "$dest"/
echo "fetched into $dest:" && ls "$dest"
