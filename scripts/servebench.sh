#!/bin/sh
# servebench.sh: customs serve's speed (docs/serve.md): images per minute
# with one and two workers on the test images (a loopback registry), a
# worker process's peak memory, the admission decision's latency for a
# known digest at 200 requests/s, and the report endpoint's latency with
# 10,000 stored images.
#   CUSTOMS_TEST_POSTGRES=DSN   workers are customs worker processes beside
#                               an API-only customs serve on PostgreSQL
#                               (else one customs serve on SQLite)
#   CUSTOMS_SERVEBENCH_IMAGES=N stored images for the report latency
#   CUSTOMS_SERVEBENCH_FLEET=DSN time reports on that store instead
#   CUSTOMS_SERVEBENCH_FLEET_ONLY=1  and only that
set -eu
cd "$(dirname "$0")/.."
CUSTOMS_SERVEBENCH=1 exec go test -run 'TestServeBench$' -v -count 1 -timeout 60m ./internal/server
