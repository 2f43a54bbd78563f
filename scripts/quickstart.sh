#!/usr/bin/env bash
# Build customs, build a DB from the Alpine 3.10 secdb shipped in testdata, and scan
# the Alpine 3.10 image shipped in testdata. Works offline after the Go modules are fetched.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/customs" ./cmd/customs
"$work/customs" --cache-dir "$work/cache" db build --source alpine-secdb=testdata/feeds/alpine-secdb/v3.10
"$work/customs" --cache-dir "$work/cache" db status
"$work/customs" --cache-dir "$work/cache" scan docker-archive:testdata/images/alpine-310.tar.gz
