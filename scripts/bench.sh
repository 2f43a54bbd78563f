#!/usr/bin/env bash
# Measure customs on a real ~1 GB Debian bookworm image (two layers) against the
# cost of merely reading the image. See docs/benchmarks.md.
#
#   scripts/bench.sh [--work DIR] [--runs N] [--quick] [--prepare]
#
# --prepare builds the root file systems and images and stops (CI uses it so
# the tests that read bench/rootfs/full run). Needs root, apt and network access to the Go module proxy and Debian's archive.
# The root file systems and images are cached under the work dir.
set -euo pipefail

usage() {
	sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}

work=./bench
runs=3
quick=0
prepare=0
while (($#)); do
	case $1 in
	--work) work=${2:?--work needs a directory}; shift 2 ;;
	--work=*) work=${1#*=}; shift ;;
	--runs) runs=${2:?--runs needs a number}; shift 2 ;;
	--runs=*) runs=${1#*=}; shift ;;
	--quick) quick=1; shift ;;
	--prepare) prepare=1; shift ;;
	-h | --help) usage 0 ;;
	*) echo "unknown argument: $1" >&2; usage ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "--runs must be a positive number" >&2; exit 2; }

repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work"
# A go.mod of its own keeps `go build/vet/test ./...` out of the Go files
# inside the root filesystems kept here.
[ -e "$work/go.mod" ] || printf 'module customs-bench-workdir\n' > "$work/go.mod"
work=$(cd "$work" && pwd)
log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# Packages of layer 2: a real mix of OS packages, language runtimes and jars,
# chosen so that the image is about 1 GB uncompressed.
# age is a Go program Debian builds; the layer also copies its binary to
# /usr/local/bin, as an image that vendors a tool would, so the image has Go
# binaries both owned by a dpkg package and not.
packages=(openssl ca-certificates curl python3 python3-requests liblog4j2-java nodejs restic
	openjdk-17-jre-headless gcc g++ perl git vim age)
# debootstrap picks its default Debian mirror; BENCH_MIRROR overrides it.
mirror=${BENCH_MIRROR:-}

# 1. Tools.
[[ $(id -u) == 0 ]] || die "run as root (debootstrap and chroot need it)"
command -v go >/dev/null || die "go is not installed"
missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
[[ -x /usr/bin/time ]] || missing+=(time)
command -v jq >/dev/null || missing+=(jq)
if ((${#missing[@]})); then
	log "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y "${missing[@]}" >/dev/null ||
		{ apt-get update -qq && apt-get install -y "${missing[@]}" >/dev/null; } ||
		die "cannot install ${missing[*]}"
fi

mkdir -p "$work/bin" "$work/rootfs" "$work/images" "$work/results"
log "build benchimage and customs"
(cd "$repo" && CGO_ENABLED=0 go build -o "$work/bin/benchimage" ./scripts/benchimage) || die "build benchimage"
(cd "$repo" && CGO_ENABLED=0 go build -o "$work/bin/customs" ./cmd/customs) || die "build customs"
bi=$work/bin/benchimage
customs=$work/bin/customs

# 2. Root file systems, cached: base = debootstrap minbase (layer 1); top =
# base + apt-get install (layer 2), or for --quick base + apt cleanup.
base=$work/rootfs/base
if [[ ! -e $base.ok ]]; then
	log "debootstrap --variant=minbase bookworm (about a minute)"
	rm -rf "$base"
	debootstrap --variant=minbase bookworm "$base" ${mirror:+"$mirror"} >"$work/rootfs/base.log" 2>&1 ||
		die "debootstrap failed, see $work/rootfs/base.log"
	touch "$base.ok"
fi

if ((quick)); then
	name=debian-bookworm-quick
	top=$work/rootfs/quick
	created_by2='rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb'
	stamp="quick: $created_by2"
else
	name=debian-bookworm
	top=$work/rootfs/full
	created_by2="apt-get install -y --no-install-recommends ${packages[*]} && apt-get clean && rm -rf /var/lib/apt/lists/* && cp /usr/bin/age /usr/local/bin/age"
	stamp="full: $created_by2"
fi

unmount_top() {
	for m in "$top/dev/pts" "$top/proc"; do
		mountpoint -q "$m" 2>/dev/null && umount "$m" || true
	done
}
if [[ ! -e $top.ok || $(cat "$top.ok") != "$stamp" ]]; then
	log "build $top"
	rm -rf "$top" "$top.ok"
	cp -a "$base" "$top"
	if ((quick)); then
		rm -rf "$top"/var/lib/apt/lists/* "$top"/var/cache/apt/archives/*.deb
	else
		trap unmount_top EXIT
		mount -t proc proc "$top/proc"
		mount --bind /dev/pts "$top/dev/pts"
		chroot "$top" /usr/bin/env -i DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			/bin/sh -c "apt-get update && $created_by2" >"$top.log" 2>&1 ||
			{ unmount_top; die "apt-get install in $top failed, see $top.log"; }
		unmount_top
		trap - EXIT
	fi
	echo "$stamp" >"$top.ok"
fi

# The full image also carries an application: a real npm lockfile of 1,410
# entries (generated against the npm registry, in the shared data set) and
# the node_modules tree it describes, one package.json per package (the
# registry is not reachable here, so the packages' code is not).
lock=$repo/../shared/data/pkgdb/npm/generated-here/large-sample.package-lock.json
if ((!quick)) && [[ -f $lock && ! -e $top/srv/app/.customs-bench-npm ]]; then
	log "add an npm application to $top"
	mkdir -p "$top/srv/app"
	cp "$lock" "$top/srv/app/package-lock.json"
	python3 - "$top/srv/app" <<'PY' || die "write node_modules"
import json, os, sys
app = sys.argv[1]
lock = json.load(open(os.path.join(app, "package-lock.json")))
for path, p in lock.get("packages", {}).items():
    if not path or "version" not in p:
        continue
    name = path.rsplit("node_modules/", 1)[-1]
    d = os.path.join(app, path)
    os.makedirs(d, exist_ok=True)
    meta = {"name": name, "version": p["version"]}
    if "license" in p:
        meta["license"] = p["license"]
    json.dump(meta, open(os.path.join(d, "package.json"), "w"))
PY
	touch "$top/srv/app/.customs-bench-npm"
fi
if [[ -e $top/srv/app/.customs-bench-npm ]]; then stamp="$stamp + npm app"; fi

plain=$work/images/$name-plain.tar
gzipped=$work/images/$name-gzip.tar
if [[ ! -e $plain.ok || $(cat "$plain.ok") != "$stamp" ]]; then
	log "write $plain and $gzipped"
	rm -f "$plain" "$gzipped" "$plain.ok"
	"$bi" build -base "$base" -top "$top" -tar "$plain" -gzip "$gzipped" \
		-created-by1 "debootstrap --variant=minbase bookworm" -created-by2 "$created_by2" || die "build images"
	echo "$stamp" >"$plain.ok"
fi

if ((prepare)); then
	log "prepared $top, $plain and $gzipped"
	exit 0
fi

# 3. Measurements. Each command runs $runs times (cached scans 3 x $runs); we
# keep the median wall time (date, in ms), the median CPU time (user+sys) and
# the largest peak RSS (/usr/bin/time -v, in KB). CPU time shows how noisy a
# shared machine was.
res=$(mktemp -d "$work/results/run-XXXXXX")
declare -A ms cpu rss
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# once KEY PREP CMD...: run CMD once and record it under KEY; PREP is a shell
# function run first (or ""). Baseline and scan runs alternate, so a busy
# shared machine slows both alike.
once() {
	local key=$1 prep=$2 t0 t1
	shift 2
	[[ -n $prep ]] && "$prep"
	t0=$(date +%s%N)
	if ! /usr/bin/time -v -o "$res/$key.time" "$@" >"$res/$key.out" 2>"$res/$key.err"; then
		tail -5 "$res/$key.err" >&2
		die "$key failed: $*"
	fi
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) >>"$res/$key.ms"
	awk -F': ' '/Maximum resident set size/ {print $2}' "$res/$key.time" >>"$res/$key.rss"
	awk -F': ' '/(User|System) time/ {s += $2} END {printf "%d\n", s * 1000}' "$res/$key.time" >>"$res/$key.cpu"
}
summarize() {
	local key
	for key; do
		ms[$key]=$(median <"$res/$key.ms")
		cpu[$key]=$(median <"$res/$key.cpu")
		rss[$key]=$(sort -n "$res/$key.rss" | tail -1)
		log "$key: wall $(tr '\n' ' ' <"$res/$key.ms")ms, cpu $(tr '\n' ' ' <"$res/$key.cpu")ms, peak RSS ${rss[$key]} KB"
	done
}

cache=$res/cache
fresh_cache() { rm -rf "$cache"; }
c=("$customs" --cache-dir "$cache" scan --skip-db -o json)

log "warm the page cache"
cat "$plain" "$gzipped" >/dev/null
"$bi" readtar "$plain" >/dev/null
"$bi" gunzip "$gzipped" >/dev/null

for kind in plain gzip; do
	img=$plain base_key=baseA base_cmd=readtar
	[[ $kind == gzip ]] && img=$gzipped base_key=baseB base_cmd=gunzip
	for ((i = 1; i <= runs; i++)); do
		once "$base_key" "" "$bi" "$base_cmd" "$img"
		if [[ $kind == plain ]]; then once baseA_sha "" "$bi" readtar-sha256 "$img"; fi
		once "cold_$kind" fresh_cache "${c[@]}" --no-cache --output "$res/$kind.json" "docker-archive:$img"
	done
	fresh_cache
	"${c[@]}" --output "$res/$kind-primed.json" "docker-archive:$img" >"$res/prime.log" 2>&1 ||
		{ tail -5 "$res/prime.log" >&2; die "priming scan of $img failed"; }
	for ((i = 1; i <= 3 * runs; i++)); do # cheap, and the most sensitive to a busy machine
		once "cached_$kind" "" "${c[@]}" --output "$res/$kind-cached.json" "docker-archive:$img"
	done
	summarize "$base_key" "cold_$kind" "cached_$kind"
	if [[ $kind == plain ]]; then summarize baseA_sha; fi
done

# 4. Report.
count() { jq '.packages | length' "$1"; }
dpkg_installed=$("$bi" dpkgcount "$top")
size_plain=$(stat -c %s "$plain")
size_gzip=$(stat -c %s "$gzipped")
out=$work/results/$name-$(date -u +%Y%m%dT%H%M%SZ).txt
{
	echo "customs benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "image $name: $(awk -v b="$size_plain" 'BEGIN{printf "%.0f", b/1e6}') MB plain docker-archive, $(awk -v b="$size_gzip" 'BEGIN{printf "%.0f", b/1e6}') MB with gzip layers; median of $runs runs ($((3 * runs)) for cached scans), page cache warm"
	echo
	awk -v a="${ms[baseA]}" -v cp="${ms[cold_plain]}" -v kp="${ms[cached_plain]}" \
		-v b="${ms[baseB]}" -v cg="${ms[cold_gzip]}" -v kg="${ms[cached_gzip]}" \
		-v ah="${ms[baseA_sha]}" -v uah="${cpu[baseA_sha]}" \
		-v ua="${cpu[baseA]}" -v ucp="${cpu[cold_plain]}" -v ukp="${cpu[cached_plain]}" \
		-v ub="${cpu[baseB]}" -v ucg="${cpu[cold_gzip]}" -v ukg="${cpu[cached_gzip]}" \
		-v rcp="${rss[cold_plain]}" -v rkp="${rss[cached_plain]}" -v rcg="${rss[cold_gzip]}" -v rkg="${rss[cached_gzip]}" '
	function ok(c) { if (c) return "ok"; missed++; return "MISSED" }
	function row(what, w, u, ratio, rssk, target, pass) {
		printf "%-34s %8.3f s %8.3f s %8s %7s   %-10s %s\n", what, w/1000, u/1000, ratio,
			(rssk == "" ? "" : sprintf("%.0f MB", rssk/1024)), target, pass
	}
	BEGIN {
		printf "%-34s %10s %10s %8s %7s   %-10s\n", "", "wall", "cpu", "ratio", "RSS", "target"
		row("baseline A: read tar entries", a, ua, "", "", "", "")
		row("baseline A + sha256 of each layer", ah, uah, sprintf("%.2fx A", ah/a), "", "", "")
		row("customs cold scan, plain layers", cp, ucp, sprintf("%.2fx A", cp/a), rcp, "<= 2.0x A", ok(cp <= 2.0*a))
		row("customs cached scan, plain layers", kp, ukp, "", rkp, "<= 150 ms", ok(kp <= 150))
		row("baseline B: gunzip layers", b, ub, "", "", "", "")
		row("customs cold scan, gzip layers", cg, ucg, sprintf("%.2fx B", cg/b), rcg, "<= 1.2x B", ok(cg <= 1.2*b))
		row("customs cached scan, gzip layers", kg, ukg, "", rkg, "<= 150 ms", ok(kg <= 150))
		m = rcp; if (rkp > m) m = rkp; if (rcg > m) m = rcg; if (rkg > m) m = rkg
		printf "%-34s %10s %10s %8s %4.0f MB   %-10s %s\n", "peak RSS, all customs runs", "", "", "", m/1024, "<= 150 MB", ok(m <= 150*1024)
		printf "\ncached scans: %d ms (plain), %d ms (gzip); cpu ratios: cold plain %.2fx A, cold gzip %.2fx B\n", kp, kg, ucp/ua, ucg/ub
		if (missed) printf "TARGETS MISSED: %d (wall-time medians)\n", missed; else print "all targets met"
	}'
	echo
	echo "packages in report: cold plain $(count "$res/plain.json"), cached plain $(count "$res/plain-cached.json"), cold gzip $(count "$res/gzip.json"), cached gzip $(count "$res/gzip-cached.json")"
	echo "packages by type (cold plain): $(jq -r '[.packages[].type] | group_by(.) | map("\(.[0])=\(length)") | join(" ")' "$res/plain.json")"
	echo "installed packages in dpkg status of the rootfs: $dpkg_installed"
	echo "secret scan (default scanners vuln,secret,config; cold plain): $(jq -c '.secretStats' "$res/plain.json"), $(jq '.secrets | length' "$res/plain.json") secrets, $(jq '.misconfigurations | length' "$res/plain.json") misconfigurations, $(jq '.warnings | length' "$res/plain.json") warnings"
	echo "raw times (ms) and peak RSS (KB) per run: $res"
} | tee "$out"
log "results saved to $out"
