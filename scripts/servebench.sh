#!/bin/sh
# servebench.sh: customs serve's speed (docs/serve.md): images per minute
# with one and two workers on the test images (a loopback registry), the
# serving process's peak memory, and the report endpoint's latency with
# 10,000 images in a SQLite store. CUSTOMS_SERVEBENCH_IMAGES=N changes
# the number of stored images.
set -eu
cd "$(dirname "$0")/.."
CUSTOMS_SERVEBENCH=1 exec go test -run 'TestServeBench$' -v -count 1 -timeout 60m ./internal/server
