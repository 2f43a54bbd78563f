package npm

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// The expressions below are node-semver 7.6.1 internal/re.js, token for
// token, in their "safe" form (makeSafeRegex: `\s*` -> `\s{0,1}`, `\d+` ->
// `\d{1,256}`, `[a-zA-Z0-9-]+` -> `[a-zA-Z0-9-]{1,250}`), which is what
// node-semver's classes match with since 7.5.2. RE2 has no backtracking, so
// none of them can blow up.

const (
	maxLength      = 256
	maxSafeBuild   = maxLength - 6
	maxSafeInteger = 1<<53 - 1
)

const letterDashNumber = `[a-zA-Z0-9-]`

func safe(v string) string {
	for _, r := range []struct {
		tok string
		max int
	}{{`\s`, 1}, {`\d`, maxLength}, {letterDashNumber, maxSafeBuild}} {
		m := strconv.Itoa(r.max)
		v = strings.ReplaceAll(v, r.tok+"*", r.tok+"{0,"+m+"}")
		v = strings.ReplaceAll(v, r.tok+"+", r.tok+"{1,"+m+"}")
	}
	return v
}

var (
	srcNumericIdentifier      = `0|[1-9]\d*`
	srcNumericIdentifierLoose = `\d+`
	srcNonNumericIdentifier   = `\d*[a-zA-Z-]` + letterDashNumber + `*`

	srcMainVersion = `(` + srcNumericIdentifier + `)\.(` + srcNumericIdentifier + `)\.(` +
		srcNumericIdentifier + `)`
	srcMainVersionLoose = `(` + srcNumericIdentifierLoose + `)\.(` + srcNumericIdentifierLoose + `)\.(` +
		srcNumericIdentifierLoose + `)`

	srcPrereleaseIdentifier      = `(?:` + srcNumericIdentifier + `|` + srcNonNumericIdentifier + `)`
	srcPrereleaseIdentifierLoose = `(?:` + srcNumericIdentifierLoose + `|` + srcNonNumericIdentifier + `)`

	srcPrerelease      = `(?:-(` + srcPrereleaseIdentifier + `(?:\.` + srcPrereleaseIdentifier + `)*))`
	srcPrereleaseLoose = `(?:-?(` + srcPrereleaseIdentifierLoose + `(?:\.` + srcPrereleaseIdentifierLoose + `)*))`

	srcBuildIdentifier = letterDashNumber + `+`
	srcBuild           = `(?:\+(` + srcBuildIdentifier + `(?:\.` + srcBuildIdentifier + `)*))`

	srcFullPlain  = `v?` + srcMainVersion + srcPrerelease + `?` + srcBuild + `?`
	srcLoosePlain = `[v=\s]*` + srcMainVersionLoose + srcPrereleaseLoose + `?` + srcBuild + `?`

	srcGTLT = `((?:<|>)?=?)`

	srcXRangeIdentifierLoose = srcNumericIdentifierLoose + `|x|X|\*`
	srcXRangeIdentifier      = srcNumericIdentifier + `|x|X|\*`

	srcXRangePlain = `[v=\s]*(` + srcXRangeIdentifier + `)(?:\.(` + srcXRangeIdentifier + `)(?:\.(` +
		srcXRangeIdentifier + `)(?:` + srcPrerelease + `)?` + srcBuild + `?)?)?`
	srcXRangePlainLoose = `[v=\s]*(` + srcXRangeIdentifierLoose + `)(?:\.(` + srcXRangeIdentifierLoose +
		`)(?:\.(` + srcXRangeIdentifierLoose + `)(?:` + srcPrereleaseLoose + `)?` + srcBuild + `?)?)?`

	srcLoneTilde = `(?:~>?)`
	srcLoneCaret = `(?:\^)`
)

// regexps are compiled on first use: the safe forms' counted repetitions
// ({1,256}) make large programs, and compiling them all at start-up cost
// every customs command 25 ms.
type regexps struct {
	reFull             *regexp.Regexp
	reLoose            *regexp.Regexp
	reXRange           *regexp.Regexp
	reXRangeLoose      *regexp.Regexp
	reTildeTrim        *regexp.Regexp
	reTilde            *regexp.Regexp
	reTildeLoose       *regexp.Regexp
	reCaretTrim        *regexp.Regexp
	reCaret            *regexp.Regexp
	reCaretLoose       *regexp.Regexp
	reComparator       *regexp.Regexp
	reComparatorLoose  *regexp.Regexp
	reComparatorTrim   *regexp.Regexp
	reHyphenRange      *regexp.Regexp
	reHyphenRangeLoose *regexp.Regexp
	reStar             *regexp.Regexp
	reGTE0             *regexp.Regexp
	reGTE0Pr           *regexp.Regexp
}

var rx = sync.OnceValue(func() *regexps {
	return &regexps{
		reFull:  regexp.MustCompile(safe(`^` + srcFullPlain + `$`)),
		reLoose: regexp.MustCompile(safe(`^` + srcLoosePlain + `$`)),

		reXRange:      regexp.MustCompile(safe(`^` + srcGTLT + `\s*` + srcXRangePlain + `$`)),
		reXRangeLoose: regexp.MustCompile(safe(`^` + srcGTLT + `\s*` + srcXRangePlainLoose + `$`)),

		reTildeTrim:  regexp.MustCompile(safe(`(\s*)` + srcLoneTilde + `\s+`)),
		reTilde:      regexp.MustCompile(safe(`^` + srcLoneTilde + srcXRangePlain + `$`)),
		reTildeLoose: regexp.MustCompile(safe(`^` + srcLoneTilde + srcXRangePlainLoose + `$`)),

		reCaretTrim:  regexp.MustCompile(safe(`(\s*)` + srcLoneCaret + `\s+`)),
		reCaret:      regexp.MustCompile(safe(`^` + srcLoneCaret + srcXRangePlain + `$`)),
		reCaretLoose: regexp.MustCompile(safe(`^` + srcLoneCaret + srcXRangePlainLoose + `$`)),

		reComparator:      regexp.MustCompile(safe(`^` + srcGTLT + `\s*(` + srcFullPlain + `)$|^$`)),
		reComparatorLoose: regexp.MustCompile(safe(`^` + srcGTLT + `\s*(` + srcLoosePlain + `)$|^$`)),

		reComparatorTrim: regexp.MustCompile(safe(`(\s*)` + srcGTLT + `\s*(` + srcLoosePlain + `|` +
			srcXRangePlain + `)`)),

		reHyphenRange: regexp.MustCompile(safe(`^\s*(` + srcXRangePlain + `)\s+-\s+(` +
			srcXRangePlain + `)\s*$`)),
		reHyphenRangeLoose: regexp.MustCompile(safe(`^\s*(` + srcXRangePlainLoose + `)\s+-\s+(` +
			srcXRangePlainLoose + `)\s*$`)),

		reStar:   regexp.MustCompile(safe(`(<|>)?=?\s*\*`)),
		reGTE0:   regexp.MustCompile(safe(`^\s*>=\s*0\.0\.0\s*$`)),
		reGTE0Pr: regexp.MustCompile(safe(`^\s*>=\s*0\.0\.0-0\s*$`)),
	}
})
