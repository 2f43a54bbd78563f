package ubuntu

import "strings"

// releaseVersions maps Ubuntu codenames to version numbers.
var releaseVersions = map[string]string{
	"warty": "4.10", "hoary": "5.04", "breezy": "5.10",
	"dapper": "6.06", "edgy": "6.10", "feisty": "7.04", "gutsy": "7.10",
	"hardy": "8.04", "intrepid": "8.10", "jaunty": "9.04", "karmic": "9.10",
	"lucid": "10.04", "maverick": "10.10", "natty": "11.04", "oneiric": "11.10",
	"precise": "12.04", "quantal": "12.10", "raring": "13.04", "saucy": "13.10",
	"trusty": "14.04", "utopic": "14.10", "vivid": "15.04", "wily": "15.10",
	"xenial": "16.04", "yakkety": "16.10", "zesty": "17.04", "artful": "17.10",
	"bionic": "18.04", "cosmic": "18.10", "disco": "19.04", "eoan": "19.10",
	"focal": "20.04", "groovy": "20.10", "hirsute": "21.04", "impish": "21.10",
	"jammy": "22.04", "kinetic": "22.10", "lunar": "23.04", "mantic": "23.10",
	"noble": "24.04", "oracular": "24.10", "plucky": "25.04", "questing": "25.10",
}

// EcosystemOf maps a tracker release name to an ecosystem, and reports
// whether the release is one this importer keeps:
//
//	jammy, focal, trusty ...                        -> "ubuntu:22.04", ...
//	trusty/esm, xenial/esm, esm-infra/xenial,
//	esm-apps/jammy, esm-infra-legacy/trusty         -> "ubuntu-pro:14.04", ...
//
// Expanded Security Maintenance (Ubuntu Pro) lines get their own ecosystem
// rather than being folded into the release: an ESM fix is only installable
// with Pro enabled, and the tracker often says "ignored (out of standard
// support)" for the release and "released (...)" for its ESM variant, two
// statements that would contradict each other under one key. Vunnel/Grype
// keep the same split ("ubuntu-pro-14.04-lts"). A matcher that knows an image
// uses ESM packages (a version ending in "+esmN") asks for "ubuntu-pro:V".
//
// Skipped (false): upstream, devel (its codename changes every six months),
// snap, product, FIPS variants (fips/..., fips-updates/..., fips-preview/...),
// ROS ESM, realtime/... kernels, phone and core overlays
// (vivid/stable-phone-overlay, vivid/ubuntu-core), and unknown codenames.
func EcosystemOf(release string) (string, bool) {
	if v, ok := releaseVersions[release]; ok {
		return "ubuntu:" + v, true
	}
	prefix, rest, ok := strings.Cut(release, "/")
	if !ok {
		return "", false
	}
	switch {
	case rest == "esm":
		// precise/esm, trusty/esm, xenial/esm
		if v, ok := releaseVersions[prefix]; ok {
			return "ubuntu-pro:" + v, true
		}
	case prefix == "esm-infra" || prefix == "esm-apps" || prefix == "esm-infra-legacy":
		if v, ok := releaseVersions[rest]; ok {
			return "ubuntu-pro:" + v, true
		}
	}
	return "", false
}
