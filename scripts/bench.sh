#!/usr/bin/env bash
# Time the default scan, `customs scan IMAGE` (scanners vuln,secret,config, matching against
# a DB built from the shared advisory feeds), on two real Debian bookworm images, against
# the cost of merely reading them; with --peers, also against Trivy. See docs/benchmarks.md.
#
#   scripts/bench.sh [--work DIR] [--runs N] [--quick] [--prepare] [--peers] [--drift]
#
# --prepare builds the root file systems and images the tests read (bench/rootfs/full, and
# both images: the full one and the 1.2 GB large one) and
# stops; CI runs it. --quick measures a 200 MB minbase image only. --peers builds Trivy
# v0.74.0 and times it and customs alternately on the same archives, cold and warm.
# --drift times `customs drift` of a container of the full image (loaded into the Docker
# Engine, changed with docker exec) against `docker export` of it to /dev/null, instead of
# the scans (docs/drift.md).
# Needs root, apt and network access to the Go module proxy and Debian's archive.
# The root file systems, images and Trivy are cached under the work dir.
set -euo pipefail

usage() {
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}

work=./bench
runs=3
quick=0
prepare=0
peers=0
drift=0
while (($#)); do
	case $1 in
	--work) work=${2:?--work needs a directory}; shift 2 ;;
	--work=*) work=${1#*=}; shift ;;
	--runs) runs=${2:?--runs needs a number}; shift 2 ;;
	--runs=*) runs=${1#*=}; shift ;;
	--quick) quick=1; shift ;;
	--prepare) prepare=1; shift ;;
	--peers) peers=1; shift ;;
	--drift) drift=1; shift ;;
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

# The full image's layer 2: a real mix of OS packages, language runtimes and
# jars, about 1 GB. age is a Go program Debian builds; the layer also copies
# its binary to /usr/local/bin, as an image that vendors a tool would, so the
# image has Go binaries both owned by a dpkg package and not.
full_packages=(openssl ca-certificates curl python3 python3-requests liblog4j2-java nodejs restic
	openjdk-17-jre-headless gcc g++ perl git vim age)
# The large image's layer 2: a JDK, a compiler toolchain, Node with npm (npm
# alone is some 350 node-* packages), Python with pip, git, and Go programs
# Debian builds (restic, age, fzf, shfmt, direnv): about 1.2 GB and 570
# packages with the base.
large_packages=(openjdk-17-jdk-headless build-essential nodejs npm python3-pip python3-venv git
	ca-certificates curl restic age fzf shfmt direnv)
trivy_version=v0.74.0
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
# Each run builds its own binaries into its results dir: others may share the
# work dir and rebuild $work/bin at any time.
res=$(mktemp -d "$work/results/run-XXXXXX")
log "build benchimage and customs into $res"
(cd "$repo" && CGO_ENABLED=0 go build -o "$res/benchimage" ./scripts/benchimage) || die "build benchimage"
# -buildvcs=auto, whatever GOFLAGS says: a release build names its code in
# its build information, so its first scan does not hash the executable for
# the cache keys (scan.buildID); from a clean checkout, so does this one.
(cd "$repo" && CGO_ENABLED=0 go build -buildvcs=auto -o "$res/customs" ./cmd/customs) || die "build customs"
bi=$res/benchimage
customs=$res/customs
go version -m "$customs" | grep -q 'vcs.modified=false' ||
	log "note: customs is not built from a clean git checkout, so each cold scan also hashes the executable (some 40 ms)"
built_rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)

# 2. Root file systems, cached: base = debootstrap minbase (layer 1); the
# others = base + a command run in a chroot (layer 2).
base=$work/rootfs/base
if [[ ! -e $base.ok ]]; then
	log "debootstrap --variant=minbase bookworm (about a minute)"
	rm -rf "$base"
	debootstrap --variant=minbase bookworm "$base" ${mirror:+"$mirror"} >"$work/rootfs/base.log" 2>&1 ||
		die "debootstrap failed, see $work/rootfs/base.log"
	touch "$base.ok"
fi

mounted=
unmount_top() {
	[[ -n $mounted ]] || return 0
	for m in "$mounted/dev/pts" "$mounted/proc"; do
		mountpoint -q "$m" 2>/dev/null && umount "$m" || true
	done
	mounted=
}
trap unmount_top EXIT

# make_rootfs NAME CMD: $work/rootfs/NAME is base + CMD run in a chroot, after
# apt-get update; rebuilt when CMD changes.
make_rootfs() {
	local name=$1 cmd=$2 top=$work/rootfs/$1 stamp="$1: $2"
	if [[ -e $top.ok && $(cat "$top.ok") == "$stamp" ]]; then
		return 0
	fi
	log "build $top"
	rm -rf "$top" "$top.ok"
	cp -a "$base" "$top"
	mounted=$top
	mount -t proc proc "$top/proc"
	mount --bind /dev/pts "$top/dev/pts"
	chroot "$top" /usr/bin/env -i DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/sh -c "apt-get update && $cmd" >"$top.log" 2>&1 ||
		{ unmount_top; die "$cmd in $top failed, see $top.log"; }
	unmount_top
	echo "$stamp" >"$top.ok"
}

# make_images NAME TOP CREATED_BY STAMP: the plain and gzip docker-archives
# $work/images/NAME-{plain,gzip}.tar of base + TOP, rebuilt when STAMP changes.
make_images() {
	local name=$1 top=$2 created_by=$3 stamp=$4
	local plain=$work/images/$name-plain.tar gzipped=$work/images/$name-gzip.tar
	if [[ -e $plain.ok && $(cat "$plain.ok") == "$stamp" ]]; then
		return 0
	fi
	log "write $plain and $gzipped"
	rm -f "$plain" "$gzipped" "$plain.ok"
	"$bi" build -base "$base" -top "$top" -tar "$plain" -gzip "$gzipped" \
		-created-by1 "debootstrap --variant=minbase bookworm" -created-by2 "$created_by" || die "build images"
	echo "$stamp" >"$plain.ok"
}

images=()
if ((quick)); then
	cmd='rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb'
	make_rootfs quick "$cmd"
	make_images debian-bookworm-quick "$work/rootfs/quick" "$cmd" "quick: $cmd"
	images+=(debian-bookworm-quick)
else
	cmd="apt-get install -y --no-install-recommends ${full_packages[*]} && apt-get clean && rm -rf /var/lib/apt/lists/* && cp /usr/bin/age /usr/local/bin/age"
	make_rootfs full "$cmd"
	top=$work/rootfs/full
	# The full image also carries an application: a real npm lockfile of
	# 1,410 entries (generated against the npm registry, in the shared data
	# set) and the node_modules tree it describes, one package.json per
	# package (the registry is not reachable here, so the packages' code is not).
	lock=$repo/../shared/data/pkgdb/npm/generated-here/large-sample.package-lock.json
	if [[ -f $lock && ! -e $top/srv/app/.customs-bench-npm ]]; then
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
	stamp="full: $cmd"
	if [[ -e $top/srv/app/.customs-bench-npm ]]; then stamp="$stamp + npm app"; fi
	make_images debian-bookworm "$top" "$cmd" "$stamp"
	images+=(debian-bookworm)
	if ((!drift)); then # --drift reads the full image only
		cmd="apt-get install -y --no-install-recommends ${large_packages[*]} && apt-get clean && rm -rf /var/lib/apt/lists/*"
		make_rootfs large "$cmd"
		make_images debian-bookworm-large "$work/rootfs/large" "$cmd" "large: $cmd"
		images+=(debian-bookworm-large)
	fi
fi

if ((prepare)); then
	log "prepared ${images[*]} in $work"
	rm -rf "$res"
	exit 0
fi

# 3. The vulnerability DB, built once per run from every advisory feed of the
# shared data set (the list scripts/dbbench.sh measures).
data=$repo/../shared/data/advisories
[[ -d $data ]] || die "no $data: run this beside the shared data set"
. "$repo/scripts/dbsources.sh"
db_sources "$data" 2>>"$res/db-build.log"
db=$res/customs.db
log "build the DB from $((${#db_source_args[@]} / 2)) shared feeds"
t0=$(date +%s%N)
"$customs" --db "$db" db build "${db_source_args[@]}" >>"$res/db-build.log" 2>&1 ||
	{ tail -5 "$res/db-build.log" >&2; die "db build failed"; }
db_build_ms=$((($(date +%s%N) - t0) / 1000000))

# Trivy, for --peers: built from the Go module proxy into the work dir, with
# empty offline DBs of the schemas it expects (scripts/benchpeers).
trivy=$work/bin/trivy-$trivy_version
tcache=$res/trivy-cache
if ((peers)); then
	if [[ ! -x $trivy ]]; then
		log "go install trivy@$trivy_version (several minutes)"
		gobin=$(mktemp -d "$work/bin/trivy-build-XXXXXX")
		(cd "$gobin" && GOBIN=$gobin GOEXPERIMENT=jsonv2 GOFLAGS=-mod=mod \
			go install "github.com/aquasecurity/trivy/cmd/trivy@$trivy_version") >"$res/trivy-build.log" 2>&1 ||
			{ tail -5 "$res/trivy-build.log" >&2; die "build trivy"; }
		mv "$gobin/trivy" "$trivy"
		rm -rf "$gobin"
	fi
	(cd "$repo/scripts/benchpeers" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$res/benchpeers" .) ||
		die "build benchpeers"
	"$res/benchpeers" trivy-cache "$tcache" >&2 || die "benchpeers"
fi

# 4. Measurements. Each command runs $runs times (second scans 3 x $runs); we
# keep the median wall time (date, in ms), the median CPU time (user+sys) and
# the largest peak RSS (/usr/bin/time -v, in KB). CPU time shows how noisy a
# shared machine was.
declare -A ms cpu rss
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# once KEY PREP CMD...: run CMD once and record it under KEY; PREP is a shell
# command run first (or ""). Baseline, customs and Trivy runs alternate, so a
# busy shared machine slows them alike.
once() {
	local key=$1 prep=$2 t0 t1
	shift 2
	[[ -n $prep ]] && eval "$prep"
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

# --drift: `customs drift docker:C` (its default scanners vuln,secret and table output) of a
# container of the first image against `docker export C >/dev/null`, alternately. The image
# is loaded into the engine; the container runs `sleep` and is changed as an attacker or a
# run-time install would: a package file patched, a binary dropped, an account added, a
# package file deleted, a 20 MB file written. The first drift reads the image too (cold);
# the others find it in the layer cache (warm), which is what the target is about.
if ((drift)); then
	command -v docker >/dev/null || die "--drift needs the docker CLI and a Docker Engine"
	name=${images[0]}
	plain=$work/images/$name-plain.tar
	tag=$(tar -xOf "$plain" manifest.json | jq -r '.[0].RepoTags[0]')
	log "docker load $plain ($tag)"
	docker load -i "$plain" >/dev/null || die "docker load $plain"
	ctr=customs-bench-drift-$$
	docker run -d --name "$ctr" "$tag" sleep 86400 >/dev/null || die "docker run $tag"
	trap 'docker rm -f "$ctr" >/dev/null 2>&1 || true; unmount_top' EXIT
	docker exec "$ctr" sh -c 'echo tampered >> /usr/bin/ls && cp /usr/bin/true /usr/local/bin/dropper &&
		echo "drift:x:0:0::/root:/bin/sh" >> /etc/passwd && rm /usr/bin/tail &&
		head -c 20000000 /dev/urandom > /srv/blob' || die "change $ctr"
	driver=$(docker info --format '{{.Driver}}')
	sock=${DOCKER_HOST:-unix:///var/run/docker.sock}
	sock=${sock#unix://}
	dc=("$customs" --db "$db" --cache-dir "$res/cache-drift")
	once drift.cold "" "${dc[@]}" drift "docker:$ctr"
	for ((i = 1; i <= runs; i++)); do
		once drift.export "" sh -c "docker export $ctr >/dev/null"
		once drift.changes "" curl -sf --unix-socket "$sock" -o /dev/null "http://docker/containers/$ctr/changes"
		once drift.warm "" "${dc[@]}" drift "docker:$ctr"
	done
	"${dc[@]}" drift "docker:$ctr" -o json --output "$res/drift.json" 2>"$res/drift.json.log" || true
	summarize drift.cold drift.export drift.changes drift.warm
	out=$work/results/bench-drift-$(date -u +%Y%m%dT%H%M%SZ).txt
	{
		echo "customs drift benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, customs $built_rev"
		echo "load: $(uptime | sed 's/.*load average: //') (1, 5, 15 min); Docker Engine $(docker version --format '{{.Server.Version}}'), storage driver $driver"
		echo "container of $tag ($(stat -c %s "$plain" | awk '{printf "%.0f MB", $1/1e6}')), changed; medians of $runs runs, alternated"
		echo "drift report: $(jq -c '.reports[0].summary.byKind' "$res/drift.json")"
		echo "runs (ms): export $(tr '\n' ' ' <"$res/drift.export.ms")| drift warm $(tr '\n' ' ' <"$res/drift.warm.ms")| changes $(tr '\n' ' ' <"$res/drift.changes.ms")"
		awk -v e="${ms[drift.export]}" -v ue="${cpu[drift.export]}" -v c="${ms[drift.changes]}" \
			-v w="${ms[drift.warm]}" -v uw="${cpu[drift.warm]}" -v rw="${rss[drift.warm]}" \
			-v k="${ms[drift.cold]}" -v uk="${cpu[drift.cold]}" -v rk="${rss[drift.cold]}" '
		function ok(x) { if (x) return "ok"; missed++; return "MISSED" }
		BEGIN {
			printf "%-44s %9.3f s   cpu %8.3f s\n", "docker export C >/dev/null (E)", e/1000, ue/1000
			printf "%-44s %9.3f s\n", "GET /containers/C/changes alone", c/1000
			printf "%-44s %9.3f s   cpu %8.3f s   %.2fx E   RSS %4.0f MB\n", "customs drift docker:C, image read (cold)", k/1000, uk/1000, k/e, rk/1024
			printf "%-44s %9.3f s   cpu %8.3f s   %.2fx E   RSS %4.0f MB   target <= 1.5x E: %s\n", "customs drift docker:C, image cached (warm)", w/1000, uw/1000, w/e, rw/1024, ok(w <= 1.5*e)
			exit missed > 0
		}' && echo "target met" || echo "TARGET MISSED"
		echo "raw times (ms), CPU (ms) and peak RSS (KB) per run: $res"
	} | tee "$out"
	log "results saved to $out"
	exit 0
fi

# The default command: `customs scan IMAGE`, table on stdout; only --db (the
# DB of this run) and --cache-dir (to start cold) are added: "${c[@]}" DIR
# scan ... (/usr/bin/time runs programs, not shell functions).
c=("$customs" --db "$db" --cache-dir)
t=("$trivy" image --cache-dir "$tcache" --skip-db-update --skip-java-db-update
	--offline-scan --skip-version-check --disable-telemetry --quiet --input)

load_before=$(uptime)
start=$(date -u '+%Y-%m-%d %H:%M UTC')
for name in "${images[@]}"; do
	plain=$work/images/$name-plain.tar
	gzipped=$work/images/$name-gzip.tar
	log "$name: warm the page cache"
	cat "$plain" "$gzipped" >/dev/null
	"$bi" readtar "$plain" >/dev/null
	"$bi" gunzip "$gzipped" >/dev/null
	for kind in plain gzip; do
		img=$plain k=$name.$kind
		[[ $kind == gzip ]] && img=$gzipped
		for ((i = 1; i <= runs; i++)); do
			if [[ $kind == plain ]]; then
				once "$name.read" "" "$bi" readtar "$img"
				once "$name.readsha" "" "$bi" readtar-sha256 "$img"
			else
				once "$name.gunzip" "" "$bi" gunzip "$img"
			fi
			once "$k.cold" "rm -rf $res/cache-$k" "${c[@]}" "$res/cache-$k" scan "docker-archive:$img"
		done
		# Second scans reuse the cache the last cold scan wrote; with
		# --skip-db they show what matching adds.
		for ((i = 1; i <= 3 * runs; i++)); do
			once "$k.second" "" "${c[@]}" "$res/cache-$k" scan "docker-archive:$img"
			once "$k.second-skipdb" "" "${c[@]}" "$res/cache-$k" scan --skip-db "docker-archive:$img"
		done
		summarize "$k.cold" "$k.second" "$k.second-skipdb"
	done
	summarize "$name.read" "$name.readsha" "$name.gunzip"
	# What the scans found: one more cold scan of the plain archive, as JSON.
	"$customs" --db "$db" --cache-dir "$res/cache-$name.json" scan -o json --output "$res/$name.json" \
		"docker-archive:$plain" >"$res/$name.json.log" 2>&1 || die "JSON scan of $plain failed"

	((peers)) || continue
	for kind in plain gzip; do
		img=$plain k=$name.$kind
		[[ $kind == gzip ]] && img=$gzipped
		for ((i = 1; i <= runs; i++)); do
			once "$k.trivy-cold" "rm -rf $tcache/fanal" "${t[@]}" "$img"
			once "$k.peer-cold" "rm -rf $res/peer-cache-$k" "${c[@]}" "$res/peer-cache-$k" scan "docker-archive:$img"
		done
		for ((i = 1; i <= runs; i++)); do
			once "$k.trivy-warm" "" "${t[@]}" "$img"
			once "$k.peer-warm" "" "${c[@]}" "$res/peer-cache-$k" scan "docker-archive:$img"
		done
		summarize "$k.trivy-cold" "$k.peer-cold" "$k.trivy-warm" "$k.peer-warm"
		# The same with --scanners vuln on both: how much of each is the
		# secret scan (no targets).
		for ((i = 1; i <= runs; i++)); do
			once "$k.trivy-vcold" "rm -rf $tcache/fanal" "${t[@]}" "$img" --scanners vuln
			once "$k.peer-vcold" "rm -rf $res/peer-cache-$k" "${c[@]}" "$res/peer-cache-$k" scan --scanners vuln "docker-archive:$img"
		done
		for ((i = 1; i <= runs; i++)); do
			once "$k.trivy-vwarm" "" "${t[@]}" "$img" --scanners vuln
			once "$k.peer-vwarm" "" "${c[@]}" "$res/peer-cache-$k" scan --scanners vuln "docker-archive:$img"
		done
		summarize "$k.trivy-vcold" "$k.peer-vcold" "$k.trivy-vwarm" "$k.peer-vwarm"
	done
	# What Trivy found, from its warm cache: that it did the work.
	"${t[@]}" "$plain" --format json --list-all-pkgs --output "$res/$name-trivy.json" \
		>"$res/$name-trivy.json.log" 2>&1 || die "Trivy JSON scan of $plain failed"
done
load_after=$(uptime)

# 5. Report.
rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
out=$work/results/bench-$(date -u +%Y%m%dT%H%M%SZ).txt
missed=0
{
	echo "customs benchmark, $start, $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), customs $rev"
	echo "load before: ${load_before#*load average: }; after: ${load_after#*load average: } (1, 5, 15 min)"
	echo "command: customs --db DB --cache-dir DIR scan docker-archive:ARCHIVE (default scanners vuln,secret,config; table on stdout)"
	echo "DB: $(stat -c %s "$db" | awk '{printf "%.1f MB", $1/1e6}'), $("$customs" --db "$db" db status | awk -F': *' '/^Advisories:/ {a=$2} /^Affected:/ {f=$2} END {print a " advisories, " f}'), built in $((db_build_ms / 1000)) s from $((${#db_source_args[@]} / 2)) shared feeds (the Debian bookworm tracker first; list in scripts/dbsources.sh)"
	echo "medians of $runs runs ($((3 * runs)) for second scans), page cache warm; wall time, user+sys CPU, largest peak RSS"
	for name in "${images[@]}"; do
		plain=$work/images/$name-plain.tar
		gzipped=$work/images/$name-gzip.tar
		top=$work/rootfs/${name#debian-bookworm-}
		[[ $name == debian-bookworm ]] && top=$work/rootfs/full
		echo
		echo "== $name: $(stat -c %s "$plain" | awk '{printf "%.0f MB", $1/1e6}') plain, $(stat -c %s "$gzipped" | awk '{printf "%.0f MB", $1/1e6}') gzip; $("$bi" dpkgcount "$top") dpkg packages installed"
		awk -v n="$name" \
			-v r="${ms[$name.read]}" -v ur="${cpu[$name.read]}" \
			-v h="${ms[$name.readsha]}" -v uh="${cpu[$name.readsha]}" \
			-v g="${ms[$name.gunzip]}" -v ug="${cpu[$name.gunzip]}" \
			-v cp="${ms[$name.plain.cold]}" -v ucp="${cpu[$name.plain.cold]}" -v rcp="${rss[$name.plain.cold]}" \
			-v cg="${ms[$name.gzip.cold]}" -v ucg="${cpu[$name.gzip.cold]}" -v rcg="${rss[$name.gzip.cold]}" \
			-v sp="${ms[$name.plain.second]}" -v usp="${cpu[$name.plain.second]}" -v rsp="${rss[$name.plain.second]}" \
			-v sg="${ms[$name.gzip.second]}" -v usg="${cpu[$name.gzip.second]}" -v rsg="${rss[$name.gzip.second]}" \
			-v np="${ms[$name.plain.second-skipdb]}" -v unp="${cpu[$name.plain.second-skipdb]}" \
			-v ng="${ms[$name.gzip.second-skipdb]}" -v ung="${cpu[$name.gzip.second-skipdb]}" '
		function ok(c) { if (c) return "ok"; missed++; return "MISSED" }
		function row(what, w, u, ratio, rssk, target, pass) {
			printf "%-40s %8.3f s %8.3f s %9s %7s   %-14s %s\n", what, w/1000, u/1000, ratio,
				(rssk == "" ? "" : sprintf("%.0f MB", rssk/1024)), target, pass
		}
		BEGIN {
			printf "%-40s %10s %10s %9s %7s   %-14s\n", "", "wall", "cpu", "ratio", "RSS", "target"
			row("read tar entries", r, ur, "", "", "", "")
			row("read + SHA-256 of every layer byte (H)", h, uh, "", "", "", "")
			row("gunzip every layer (G)", g, ug, "", "", "", "")
			row("cold scan, plain layers", cp, ucp, sprintf("%.2fx H", cp/h), rcp, "<= 1.3x H", ok(cp <= 1.3*h))
			row("cold scan, gzip layers", cg, ucg, sprintf("%.2fx G", cg/g), rcg, "<= 1.1x G", ok(cg <= 1.1*g))
			row("second scan, plain layers", sp, usp, "", rsp, "<= 150 ms", ok(sp <= 150))
			row("second scan, gzip layers", sg, usg, "", rsg, "<= 150 ms", ok(sg <= 150))
			row("second scan --skip-db, plain layers", np, unp, "", "", "", "")
			row("second scan --skip-db, gzip layers", ng, ung, "", "", "", "")
			m = rcp; if (rcg > m) m = rcg; if (rsp > m) m = rsp; if (rsg > m) m = rsg
			printf "%-40s %10s %10s %9s %4.0f MB   %-14s %s\n", "peak RSS, every default scan", "", "", "", m/1024, "<= 150 MB", ok(m <= 150*1024)
			printf "ratios: cold plain %.2fx read+SHA-256 (CPU %.2fx), cold gzip %.2fx gunzip (CPU %.2fx); second scan %d / %d ms (plain / gzip), %d / %d ms with --skip-db\n", cp/h, ucp/uh, cg/g, ucg/ug, sp, sg, np, ng
			exit missed > 0
		}' || missed=$((missed + 1))
		j=$res/$name.json
		echo "report (cold scan, -o json): $(jq '.packages | length' "$j") packages ($(jq -r '[.packages[].type] | group_by(.) | map("\(.[0])=\(length)") | join(" ")' "$j")), $(jq '[.findings[]?] | length' "$j") findings, secretStats $(jq -c '.secretStats' "$j"), $(jq '.secrets | length' "$j") secrets, $(jq '.misconfigurations | length' "$j") misconfigurations, $(jq '.warnings | length' "$j") warnings"
		((peers)) || continue
		echo
		echo "-- $name against Trivy $trivy_version (empty offline DBs; its default scanners vuln,secret), runs alternated"
		echo "Trivy's report: $(jq '[.Results[]?.Packages[]?] | length' "$res/$name-trivy.json") packages ($(jq -r '[.Results[]? | select(.Packages) | {t: .Type, n: (.Packages | length)}] | group_by(.t) | map("\(.[0].t)=\(map(.n) | add)") | join(" ")' "$res/$name-trivy.json")), $(jq '[.Results[]?.Secrets[]?] | length' "$res/$name-trivy.json") secrets"
		for kind in plain gzip; do
			k=$name.$kind
			awk -v kind="$kind" \
				-v tc="${ms[$k.trivy-cold]}" -v cc="${ms[$k.peer-cold]}" -v tw="${ms[$k.trivy-warm]}" -v cw="${ms[$k.peer-warm]}" \
				-v utc="${cpu[$k.trivy-cold]}" -v ucc="${cpu[$k.peer-cold]}" -v utw="${cpu[$k.trivy-warm]}" -v ucw="${cpu[$k.peer-warm]}" \
				-v rtc="${rss[$k.trivy-cold]}" -v rcc="${rss[$k.peer-cold]}" -v rtw="${rss[$k.trivy-warm]}" -v rcw="${rss[$k.peer-warm]}" '
			function ok(c) { if (c) return "ok"; missed++; return "MISSED" }
			BEGIN {
				rt = rtc; if (rtw > rt) rt = rtw; rc = rcc; if (rcw > rc) rc = rcw
				printf "%-5s cold: customs %.3f s vs Trivy %.3f s = %.2fx (target <= 0.5x: %s; CPU %.2fx)\n", kind, cc/1000, tc/1000, cc/tc, ok(cc <= 0.5*tc), ucc/utc
				printf "%-5s warm: customs %.3f s vs Trivy %.3f s = %.2fx (target <= 0.15x: %s; CPU %.2fx)\n", kind, cw/1000, tw/1000, cw/tw, ok(cw <= 0.15*tw), ucw/utw
				printf "%-5s peak RSS: customs %.0f MB vs Trivy %.0f MB = %.2fx (target <= 0.5x: %s)\n", kind, rc/1024, rt/1024, rc/rt, ok(rc <= 0.5*rt)
				exit missed > 0
			}' || missed=$((missed + 1))
		done
		for kind in plain gzip; do
			k=$name.$kind
			awk -v kind="$kind" \
				-v tc="${ms[$k.trivy-vcold]}" -v cc="${ms[$k.peer-vcold]}" -v tw="${ms[$k.trivy-vwarm]}" -v cw="${ms[$k.peer-vwarm]}" \
				-v utc="${cpu[$k.trivy-vcold]}" -v ucc="${cpu[$k.peer-vcold]}" \
				-v rtc="${rss[$k.trivy-vcold]}" -v rcc="${rss[$k.peer-vcold]}" 'BEGIN {
				printf "%-5s --scanners vuln on both: cold %.3f s vs %.3f s = %.2fx (CPU %.2fx), warm %.3f s vs %.3f s = %.2fx, peak RSS %.0f vs %.0f MB\n",
					kind, cc/1000, tc/1000, cc/tc, ucc/utc, cw/1000, tw/1000, cw/tw, rcc/1024, rtc/1024
			}'
		done
	done
	echo
	if ((missed)); then echo "TARGETS MISSED on $missed table(s) above (wall-time medians)"; else echo "all targets met"; fi
	echo "raw times (ms), CPU (ms) and peak RSS (KB) per run: $res"
} | tee "$out"
log "results saved to $out"
