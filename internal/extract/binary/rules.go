package binary

import (
	"bytes"
	"strings"
)

// Each rule looks for one product's own version marker and, where the
// marker alone could be text another program wrote, a second marker that
// only the product's own code contains. The comments name the source of
// each marker; the README in testdata says where each was observed.

// openssl finds OPENSSL_VERSION_TEXT ("OpenSSL 3.0.11 19 Sep 2023",
// "OpenSSL 1.1.1w  11 Sep 2023", "OpenSSL 1.0.2k-fips  26 Jan 2017") as a
// whole C string, confirmed by the OPENSSLDIR text that crypto/cversion.c
// (OpenSSL_version(OPENSSL_DIR)) compiles in beside it from 0.9.8 to 3.x.
// libssl has neither; a program that only links libcrypto has neither.
func openssl(b []byte) []Finding {
	if !has(b, `OPENSSLDIR: "`) {
		return nil
	}
	return collect(b, "OpenSSL ", func(i int) (Finding, bool) {
		if i > 0 && b[i-1] != 0 {
			return Finding{}, false
		}
		v := i + len("OpenSSL ")
		e, ok := dotted(b, v, 3)
		if !ok {
			return Finding{}, false
		}
		e = letters(b, e, 2)
		ver := string(b[v:e])
		if e < len(b) && b[e] == '-' {
			s := e + 1
			t := s
			for t < len(b) && t-s < 16 && (isLetter(b[t]) || isDigit(b[t])) {
				t++
			}
			if t == s {
				return Finding{}, false
			}
			if suf := string(b[s:t]); suf != "fips" {
				ver += "-" + suf
			}
			e = t
		}
		d, ok := releaseDate(b, e)
		if !ok || !endsAt(b, d) {
			return Finding{}, false
		}
		return Finding{Product: "openssl", Version: ver, Match: string(b[i:d])}, true
	})
}

// releaseDate reads " 19 Sep 2023" or "  11 Sep 2023" at b[i:] and returns
// its end.
func releaseDate(b []byte, i int) (int, bool) {
	j := i
	for j < len(b) && j-i < 2 && b[j] == ' ' {
		j++
	}
	if j == i {
		return 0, false
	}
	k := j
	for k < len(b) && k-j < 2 && isDigit(b[k]) {
		k++
	}
	if k == j || k+1+3+1+4 > len(b) || b[k] != ' ' {
		return 0, false
	}
	m := b[k+1 : k+4]
	if !isUpper(m[0]) || !isLower(m[1]) || !isLower(m[2]) || b[k+4] != ' ' {
		return 0, false
	}
	y := b[k+5 : k+9]
	for _, c := range y {
		if !isDigit(c) {
			return 0, false
		}
	}
	return k + 9, true
}

// zlib finds deflate_copyright (deflate.c, " deflate 1.2.13 Copyright
// 1995-2022 Jean-loup Gailly and Mark Adler ") or inflate_copyright
// (inftrees.c, " inflate 1.2.13 Copyright 1995-2022 Mark Adler "): both are
// compiled into every copy of zlib, shared or static. Forks that rename the
// version (zlib-ng's "1.3.0.zlib-ng") are not zlib's numbering and are
// skipped.
func zlib(b []byte) []Finding {
	return collect(b, " Copyright 1995-", func(i int) (Finding, bool) {
		s := i
		for s > 0 && i-s < 16 && (isDigit(b[s-1]) || b[s-1] == '.') {
			s--
		}
		if s == i || !isDigit(b[s]) || b[i-1] == '.' {
			return Finding{}, false
		}
		var tail string
		switch {
		case s >= 8 && string(b[s-8:s]) == "deflate ":
			tail = " Jean-loup Gailly and Mark Adler"
		case s >= 8 && string(b[s-8:s]) == "inflate ":
			tail = " Mark Adler"
		default:
			return Finding{}, false
		}
		y := i + len(" Copyright 1995-")
		if y+4 > len(b) {
			return Finding{}, false
		}
		for _, c := range b[y : y+4] {
			if !isDigit(c) {
				return Finding{}, false
			}
		}
		if !bytes.HasPrefix(b[y+4:], []byte(tail)) {
			return Finding{}, false
		}
		return Finding{Product: "zlib", Version: string(b[s:i]), Match: string(b[s-8 : y+4+len(tail)])}, true
	})
}

// libcurl finds the "libcurl/8.5.0" that curl_version() (lib/version.c)
// starts its text with, as a whole C string, confirmed by the
// curl_easy_strerror text "A libcurl function was given a bad argument"
// (lib/strerror.c): a program that merely sends a libcurl-like User-Agent
// has the first, never the second.
func libcurl(b []byte) []Finding {
	if !has(b, "A libcurl function was given a bad argument") {
		return nil
	}
	return collect(b, "libcurl/", func(i int) (Finding, bool) {
		if i > 0 && b[i-1] != 0 {
			return Finding{}, false
		}
		v := i + len("libcurl/")
		e, ok := curlVersion(b, v)
		if !ok {
			return Finding{}, false
		}
		ver := string(b[v:e])
		if !endsAt(b, e) {
			return Finding{}, false
		}
		return Finding{Product: "libcurl", Version: ver, Match: string(b[i:e])}, true
	})
}

// curlVersion reads a curl release ("8.5.0") or development build
// ("8.6.0-DEV") at b[i:] and returns its end.
func curlVersion(b []byte, i int) (end int, ok bool) {
	e, ok := dotted(b, i, 3)
	if ok && bytes.HasPrefix(b[e:], []byte("-DEV")) {
		e += len("-DEV")
	}
	return e, ok
}

// curlTool finds the curl command-line tool's --version format
// (src/tool_help.c: "curl " CURL_VERSION " (" OS ") %s"), e.g.
// "curl 8.5.0 (x86_64-pc-linux-gnu) %s".
func curlTool(b []byte) []Finding {
	return collect(b, "curl ", func(i int) (Finding, bool) {
		if i > 0 && b[i-1] != 0 {
			return Finding{}, false
		}
		v := i + len("curl ")
		e, ok := curlVersion(b, v)
		if !ok {
			return Finding{}, false
		}
		ver := string(b[v:e])
		if !bytes.HasPrefix(b[e:], []byte(" (")) {
			return Finding{}, false
		}
		t := e + 2
		for t < len(b) && t-e < 80 && b[t] != ')' && b[t] > ' ' && b[t] < 0x7f {
			t++
		}
		if t == e+2 || !bytes.HasPrefix(b[t:], []byte(") %s")) || !endsAt(b, t+4) {
			return Finding{}, false
		}
		return Finding{Product: "curl", Version: ver, Match: string(b[i : t+4])}, true
	})
}

// busybox finds the banner (libbb/messages.c bb_banner, "BusyBox v1.36.1
// (2023-11-07 ...)"), confirmed by the multi-call usage text of
// libbb/appletlib.c.
func busybox(b []byte) []Finding {
	if !has(b, "BusyBox is copyrighted by many authors") && !has(b, "Usage: busybox [function") {
		return nil
	}
	return collect(b, "BusyBox v", func(i int) (Finding, bool) {
		v := i + len("BusyBox v")
		e, ok := dotted(b, v, 3)
		if !ok {
			return Finding{}, false
		}
		ver := string(b[v:e])
		if !bytes.HasPrefix(b[e:], []byte(" (")) && !bytes.HasPrefix(b[e:], []byte(".git (")) {
			return Finding{}, false
		}
		return Finding{Product: "busybox", Version: ver, Match: string(b[i:e])}, true
	})
}

// nginx finds the -v output (src/core/nginx.c, "nginx version: "
// NGINX_VER_BUILD), confirmed by the NGINX inherited-sockets variable text
// of src/core/ngx_connection.c ("... NGINX environment variable ...").
// Forks that rename themselves (openresty/, freenginx/) do not match.
func nginx(b []byte) []Finding {
	if !has(b, "NGINX environment variable") {
		return nil
	}
	return collect(b, "nginx version: nginx/", func(i int) (Finding, bool) {
		v := i + len("nginx version: nginx/")
		e, ok := dotted(b, v, 3)
		if !ok || !(endsAt(b, e) || b[e] == ' ') {
			return Finding{}, false
		}
		return Finding{Product: "nginx", Version: string(b[v:e]), Match: string(b[i:e])}, true
	})
}

// httpd finds AP_SERVER_BASEVERSION ("Apache/2.4.58", include/ap_release.h)
// as a whole C string or followed by " (", confirmed by the default
// scoreboard name "apache_runtime_status" (include/scoreboard.h) that only
// the server core has; modules and clients naming "Apache/2.4" are not httpd.
func httpd(b []byte) []Finding {
	if !has(b, "apache_runtime_status") {
		return nil
	}
	return collect(b, "Apache/", func(i int) (Finding, bool) {
		if i > 0 && b[i-1] != 0 {
			return Finding{}, false
		}
		v := i + len("Apache/")
		e, ok := dotted(b, v, 3)
		if !ok || !(endsAt(b, e) || bytes.HasPrefix(b[e:], []byte(" ("))) {
			return Finding{}, false
		}
		return Finding{Product: "httpd", Version: string(b[v:e]), Match: string(b[i:e])}, true
	})
}

// node finds the inspector's "Browser" field ("node.js/v18.20.4",
// src/inspector_socket_server.cc) confirmed by process.release.sourceUrl
// for the same version ("https://nodejs.org/download/release/v18.20.4/",
// src/node_metadata.cc), both compiled into node or libnode.
func node(b []byte) []Finding {
	return collect(b, "node.js/v", func(i int) (Finding, bool) {
		v := i + len("node.js/v")
		e, ok := dotted(b, v, 3)
		if !ok || !endsAt(b, e) {
			return Finding{}, false
		}
		ver := string(b[v:e])
		if !has(b, "nodejs.org/download/release/v"+ver+"/") {
			return Finding{}, false
		}
		return Finding{Product: "node", Version: ver, Match: string(b[i:e])}, true
	})
}

// python finds PY_VERSION ("3.11.2", Include/patchlevel.h), which the
// interpreter core (python3.X or libpython3.X.so) keeps as a bare C string,
// so it needs strong context: the Py_GetVersion format "%.80s (%.80s)
// %.80s" (Python/getversion.c) and "Fatal Python error: "
// (Python/pylifecycle.c). Among the bare "2.x.y"/"3.x.y" C strings, the
// one whose major and minor match the file's SOABI ("cpython-311-x86_64-
// linux-gnu", Python/dynload_shlib.c) or libpython name wins; if that does
// not single one out, nothing is reported (unicodedata's "3.2.0" is such a
// bare string too).
func python(b []byte) []Finding {
	if !has(b, "%.80s (%.80s) %.80s") || !has(b, "Fatal Python error: ") {
		return nil
	}
	cands := map[string]bool{}
	for i := 0; i+6 < len(b) && len(cands) < 64; i++ {
		if b[i] != 0 || (b[i+1] != '2' && b[i+1] != '3') || b[i+2] != '.' {
			continue
		}
		e, ok := dotted(b, i+1, 3)
		if !ok {
			continue
		}
		for _, pre := range []string{"rc", "a", "b"} {
			if bytes.HasPrefix(b[e:], []byte(pre)) && e+len(pre) < len(b) && isDigit(b[e+len(pre)]) {
				e += len(pre)
				for e < len(b) && isDigit(b[e]) {
					e++
				}
				break
			}
		}
		if e < len(b) && b[e] == '+' {
			e++
		}
		if e < len(b) && b[e] == 0 {
			cands[string(b[i+1:e])] = true
		}
	}
	var pick []string
	for c := range cands {
		soabi := "cpython-" + strings.Replace(majorMinor(c), ".", "", 1)
		if has(b, soabi+"-") || has(b, soabi+"\x00") || has(b, "libpython"+majorMinor(c)+".so") {
			pick = append(pick, c)
		}
	}
	if len(pick) != 1 {
		return nil
	}
	return []Finding{{Product: "python", Version: pick[0], Match: pick[0]}}
}

func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

// redis finds REDIS_VERSION (src/version.h) in redis-server, which keeps it
// as a bare C string beside the "since" versions of its command table
// ("1.2.0", "7.0.0"), all of which are at most the server's own version:
// the highest bare "x.y.z" C string is the version. Both the INFO field
// "redis_version:" and the log banner "Redis server v=%s sha=%s" (src/
// server.c) must be present, so redis-cli and other clients are skipped.
func redis(b []byte) []Finding {
	if !has(b, "Redis server v=%s sha=%s") || !has(b, "redis_version:") {
		return nil
	}
	best := ""
	var bestV []int
	for i, n := 0, 0; i+6 < len(b) && n < 4096; i++ {
		if b[i] != 0 || !isDigit(b[i+1]) {
			continue
		}
		e, ok := dotted(b, i+1, 3)
		if !ok || e >= len(b) || b[e] != 0 {
			continue
		}
		n++
		s := string(b[i+1 : e])
		v := numbers(s)
		if len(v) != 3 || v[0] == 0 || v[0] > 99 {
			continue
		}
		if bestV == nil || lessInts(bestV, v) {
			best, bestV = s, v
		}
	}
	if best == "" {
		return nil
	}
	return []Finding{{Product: "redis", Version: best, Match: best}}
}

func numbers(s string) []int {
	var out []int
	for _, p := range strings.Split(s, ".") {
		n := 0
		for _, c := range []byte(p) {
			n = n*10 + int(c-'0')
		}
		out = append(out, n)
	}
	return out
}

func lessInts(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// postgresql finds PG_VERSION_STR ("PostgreSQL 16.1 on x86_64-pc-linux-gnu,
// compiled by ...", the server's version()) or a program's --version text
// ("postgres (PostgreSQL) 16.1", "psql (PostgreSQL) 16.1"), both built from
// PG_VERSION by configure.
func postgresql(b []byte) []Finding {
	out := collect(b, "PostgreSQL ", func(i int) (Finding, bool) {
		v := i + len("PostgreSQL ")
		if i == 0 || b[i-1] != 0 {
			return Finding{}, false
		}
		e, ok := pgVersion(b, v)
		if !ok {
			return Finding{}, false
		}
		if !bytes.HasPrefix(b[e:], []byte(" on ")) && !bytes.HasPrefix(b[e:], []byte(" (")) {
			return Finding{}, false
		}
		if bytes.HasPrefix(b[e:], []byte(" (")) {
			// Distributions add " (Debian 15.20-0+deb12u1) on ...".
			c := bytes.IndexByte(b[e:min(len(b), e+128)], ')')
			if c < 0 || !bytes.HasPrefix(b[e+c+1:], []byte(" on ")) {
				return Finding{}, false
			}
		}
		return Finding{Product: "postgresql", Version: string(b[v:e]), Match: string(b[i:e])}, true
	})
	if len(out) > 0 {
		return out
	}
	return collect(b, " (PostgreSQL) ", func(i int) (Finding, bool) {
		s := i
		for s > 0 && i-s < 32 && (isLetter(b[s-1]) || isDigit(b[s-1]) || b[s-1] == '_') {
			s--
		}
		if s == i || (s > 0 && b[s-1] != 0) {
			return Finding{}, false
		}
		v := i + len(" (PostgreSQL) ")
		e, ok := pgVersion(b, v)
		if !ok || !(endsAt(b, e) || b[e] == ' ') {
			return Finding{}, false
		}
		return Finding{Product: "postgresql", Version: string(b[v:e]), Match: string(b[s:e])}, true
	})
}

// pgVersion reads "16.1", "9.6.24", "16beta1", "15rc2", "16devel".
func pgVersion(b []byte, i int) (int, bool) {
	e, ok := dotted(b, i, 1)
	if !ok {
		return 0, false
	}
	for _, pre := range []string{"alpha", "beta", "rc"} {
		if bytes.HasPrefix(b[e:], []byte(pre)) {
			t := e + len(pre)
			u := t
			for u < len(b) && u-t < 3 && isDigit(b[u]) {
				u++
			}
			if u == t {
				return 0, false
			}
			return u, true
		}
	}
	if bytes.HasPrefix(b[e:], []byte("devel")) {
		return e + len("devel"), true
	}
	if e-i < 2 || !bytes.Contains(b[i:e], []byte(".")) {
		// A bare "16" is only a version with a pre-release suffix.
		return 0, false
	}
	return e, true
}

// rust finds the compiler's metadata version ("rustc 1.63.0", or upstream
// "rustc 1.75.0 (82e1608df 2023-12-21)", compiler/rustc_metadata's
// rustc_version) in librustc_driver-*.so or a rustc built statically,
// confirmed by rustc_metadata's own source paths. Every Rust program's
// .comment says "rustc version 1.75.0 (...)": "version" is not a digit, so
// programs compiled by rustc are not rustc.
func rust(b []byte) []Finding {
	if !has(b, "rustc_metadata") {
		return nil
	}
	return collect(b, "rustc ", func(i int) (Finding, bool) {
		v := i + len("rustc ")
		e, ok := dotted(b, v, 3)
		if !ok {
			return Finding{}, false
		}
		ver := string(b[v:e])
		end := e
		for _, suf := range []string{"-nightly", "-beta"} {
			if bytes.HasPrefix(b[e:], []byte(suf)) {
				// Pre-releases are not versions NVD names; skip.
				return Finding{}, false
			}
		}
		if bytes.HasPrefix(b[e:], []byte(" (")) {
			c := bytes.IndexByte(b[e:min(len(b), e+40)], ')')
			if c > 0 {
				end = e + c + 1
			}
		} else if e < len(b) && (isDigit(b[e]) || b[e] == '.') {
			return Finding{}, false
		}
		return Finding{Product: "rust", Version: ver, Match: string(b[i:end])}, true
	})
}
