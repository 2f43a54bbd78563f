#!/usr/bin/env bash
# Build customs, build a vulnerability DB from feeds shipped in testdata (the Alpine 3.10
# secdb and a bookworm slice in the Debian Security Tracker's JSON layout), and scan two
# images shipped in testdata. Works offline once the Go modules are in the module cache.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/customs" ./cmd/customs
gunzip -c testdata/feeds/debian-tracker/bookworm-changelog-derived.json.gz > "$work/tracker.json"
customs() { "$work/customs" --cache-dir "$work/cache" "$@"; }
customs db build --source alpine-secdb=testdata/feeds/alpine-secdb/v3.10 --source debian-tracker="$work/tracker.json"
customs db status
echo; echo "== alpine:3.10 (a real image)"
customs scan testdata/images/alpine-310.tar.gz
echo; echo "== a bookworm minbase dpkg database"
customs scan testdata/images/debian-bookworm-dpkg.tar.gz
