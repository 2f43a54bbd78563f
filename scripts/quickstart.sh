#!/usr/bin/env bash
# Build customs, build a vulnerability DB from real advisory records shipped in testdata/feeds,
# and scan testdata/quickstart/app: the root of a small Python and Rust application (installed
# dist-info directories and a real Cargo.lock). The findings carry severities (CVSS vectors
# scored here, NVD), titles, a CISA KEV entry and the evidence of each match. Works offline
# once the Go modules are in the module cache. internal/cli's TestQuickstart runs the same scan.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/customs" ./cmd/customs
gunzip -c testdata/feeds/debian-tracker/bookworm-changelog-derived.json.gz > "$work/tracker.json"
customs() { "$work/customs" --cache-dir "$work/cache" "$@"; }
customs db build \
  --source osv=testdata/feeds/osv-pypi \
  --source osv=testdata/feeds/rustsec-osv \
  --source nvd=testdata/feeds/nvd \
  --source kev=testdata/feeds/kev/known_exploited_vulnerabilities.json \
  --source alpine-secdb=testdata/feeds/alpine-secdb/v3.10 \
  --source debian-tracker="$work/tracker.json"
customs db status
echo; echo "== a Python and Rust application (testdata/quickstart/app)"
customs scan --scanners vuln dir:testdata/quickstart/app || true
echo; echo "== the ones to fix first: known exploited, critical and high, with why each matched"
customs scan --scanners vuln -o template --template @testdata/quickstart/worth-a-look.tmpl dir:testdata/quickstart/app
echo
echo "Next: the README's 30-second tour; customs db update fetches the real feeds (or customs db pull a built DB)."
