#!/usr/bin/env bash
# Measure the vulnerability DB: a full build from every advisory feed in ../shared/data,
# the DB's size against the same inputs gzipped, and package-lookup latency; then the
# same build with a synthetic full-OSV-sized set of records (default 500k).
#
#   scripts/dbbench.sh [--synthetic N] [--work DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=./bench/db
synthetic=500000
while [ $# -gt 0 ]; do
  case "$1" in
    --synthetic) synthetic=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "usage: $0 [--synthetic N] [--work DIR]" >&2; exit 2 ;;
  esac
done
data=../shared/data/advisories
[ -d "$data" ] || { echo "no $data: run this beside the shared data set" >&2; exit 2; }
mkdir -p "$work"
# A go.mod of its own keeps `go build/vet/test ./...` out of the Go files
# inside the root filesystems kept here.
[ -e "$work/go.mod" ] || printf 'module customs-bench-workdir\n' > "$work/go.mod"
bin="$work/customs"
CGO_ENABLED=0 go build -o "$bin" ./cmd/customs

. scripts/dbsources.sh
db_sources "$data"
keep=("${db_source_args[@]}")

db="$work/full.db"
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$work/build.rss" "$bin" --db "$db" db build "${keep[@]}" 2> "$work/build.log"
end=$(date +%s.%N)
build_s=$(echo "$end - $start" | bc)
db_bytes=$(stat -c %s "$db")
inputs=()
for ((i = 1; i < ${#keep[@]}; i += 2)); do inputs+=("${keep[i]#*=}"); done
gz_bytes=$(tar -cf - "${inputs[@]}" 2>/dev/null | gzip -6 | wc -c)

echo "== full build from ../shared/data/advisories ($(( ${#keep[@]} / 2 )) sources)"
"$bin" --db "$db" db status
printf '\nbuild: %.2f s (target < 60 s), peak RSS %d MB\n' "$build_s" $(( $(cat "$work/build.rss") / 1024 ))
printf 'DB: %d MB; the same inputs as tar.gz: %d MB (target: DB smaller)\n' $(( db_bytes / 1048576 )) $(( gz_bytes / 1048576 ))

echo; echo "== lookup latency (target < 50 µs per package)"
echo "random packages of the DB (the tail is distro kernel packages with thousands of records):"
CUSTOMS_BENCH_DB="$(realpath "$db")" go test -run '^$' -bench 'BenchmarkLookup$' -benchtime 2000x ./internal/vulndb/sqlite/ | grep -E '^Benchmark'
echo "the source packages of a real bookworm install, as a scan asks:"
CUSTOMS_BENCH_DB="$(realpath "$db")" CUSTOMS_BENCH_STATUS="$(realpath testdata/pkgdb/debootstrap-bookworm-fat.status)" \
  go test -run '^$' -bench 'BenchmarkLookupImage$' -benchtime 5000x ./internal/vulndb/sqlite/ | grep -E '^Benchmark'
echo; echo "== size against the same data as gzipped JSON"
CUSTOMS_BENCH_DB="$(realpath "$db")" go test -run '^$' -bench 'BenchmarkSizeAgainstGzipJSON$' -benchtime 1x ./internal/vulndb/sqlite/ | grep -E '^Benchmark'

echo; echo "== synthetic full-OSV estimate: $synthetic records shaped like real OSV"
CUSTOMS_BENCH_SYNTHETIC="$synthetic" CUSTOMS_BENCH_DIR="$(realpath "$work")" go test -run '^$' -bench '^BenchmarkSyntheticBuild$' -benchtime 1x -timeout 30m ./internal/vulndb/build/ | grep -E 'synthetic|^Benchmark|FAIL'
