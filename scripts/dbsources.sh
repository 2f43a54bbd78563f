# Sourced by scripts/dbbench.sh and scripts/bench.sh: the advisory feeds of
# ../shared/data as `customs db build` arguments.
#
#   db_sources DATA   # DATA: the shared data set's advisories directory
#
# sets the array db_source_args to --source KIND=PATH pairs, leaving out (with
# a note on stderr) the paths this copy of the data set does not have.
db_sources() {
  local data=$1 i p
  local all=(
    --source "debian-tracker=$data/debian-bookworm-changelog-derived/tracker.json"
    --source "debian-lists=$data/debian-security-tracker-2023-04/data"
    --source "ubuntu-tracker=$data/ubuntu-cve-tracker-2020"
    --source "redhat-csaf=$data/vunnel-fixtures/tests/unit/providers/rhel/test-fixtures/csaf"
    --source "osv=$data/golang-vulndb/data"
    --source "osv=$data/rustsec-osv/crates"
    --source "osv=$data/pypa-advisory-database/vulns"
    --source "osv=$data/ghsa-sample"
    --source "nvd=$data/vunnel-fixtures/tests/unit/providers/nvd/test-fixtures/full-page.json"
    --source "nvd=$data/osv.dev-vulnfeeds-testdata/vulnfeeds/test_data/nvdcve-2.0"
    --source "kev=$data/cisa-kev/known_exploited_vulnerabilities.json"
    --source "epss=$data/vunnel-fixtures/tests/unit/providers/epss/test-fixtures/example-1.csv"
    --source "rubysec=$data/rubysec"
    --source "friendsofphp=$data/friendsofphp"
    --source "rustsec=$data/rustsec-native"
  )
  for p in "$data"/alpine-secdb-legacy/v3.*; do all+=(--source "alpine-secdb=$p"); done
  db_source_args=()
  for ((i = 0; i < ${#all[@]}; i += 2)); do
    p=${all[i+1]#*=}
    if [ -e "$p" ]; then db_source_args+=("${all[i]}" "${all[i+1]}"); else echo "skipping missing source $p" >&2; fi
  done
}
