// Package cvss parses CVSS vector strings (v2.0, v3.0, v3.1, v4.0) and
// computes their base scores and qualitative severities, following FIRST's
// specifications:
//
//   - v2.0: https://www.first.org/cvss/v2/guide (section 3.2.1)
//   - v3.0: https://www.first.org/cvss/v3.0/specification-document (section 8.1)
//   - v3.1: https://www.first.org/cvss/v3.1/specification-document (section 7.1, Appendix A)
//   - v4.0: https://www.first.org/cvss/v4.0/specification-document (section 8)
//
// Parsing is strict: an unknown metric, a metric given twice, a value the
// version does not define, or a missing base metric is an error that names
// it. Metrics may appear in any order; String gives the canonical order.
//
// What is scored: for v2 and v3 BaseScore uses the base metrics only;
// temporal and environmental metrics are parsed and validated but their
// equations are not implemented. For v4.0 BaseScore is CVSS-B (base metrics
// only, as if every threat and environmental metric were X) and Score is
// the score the specification gives for the whole vector (CVSS-BT, -BE or
// -BTE as Nomenclature says). Supplemental metrics never change a score.
package cvss

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrInvalid is wrapped by every error Parse returns, so callers can tell a
// bad vector from other failures with errors.Is.
var ErrInvalid = errors.New("invalid cvss vector")

// maxVectorLen bounds the input Parse looks at: the longest valid vector
// (v4.0 with every metric, the longest values) is well under 300 bytes.
const maxVectorLen = 512

// maxMetrics is the number of metrics of the largest version (v4.0: 11 base,
// 1 threat, 14 environmental, 6 supplemental).
const maxMetrics = 32

// Vector is a parsed CVSS vector. The zero Vector is not valid: get one
// from Parse. Vectors are comparable values; two vectors that differ only in
// metric order or in the v2 prefix compare equal.
type Vector struct {
	ver version
	// vals[i] is 1 + the index of metric i's value in the version's table;
	// 0 means the metric is absent.
	vals [maxMetrics]uint8
}

type version uint8

const (
	v20 version = iota + 1
	v30
	v31
	v40
)

// metric is one metric of a version's table: its abbreviation, the values
// the specification defines for it (in the specification's order), and
// whether a vector must carry it.
type metric struct {
	name      string
	values    []string
	mandatory bool
}

func (v version) String() string {
	switch v {
	case v20:
		return "2.0"
	case v30:
		return "3.0"
	case v31:
		return "3.1"
	case v40:
		return "4.0"
	}
	return ""
}

func (v version) metrics() []metric {
	switch v {
	case v20:
		return v2Metrics
	case v30, v31:
		return v3Metrics
	case v40:
		return v4Metrics
	}
	return nil
}

// Parse parses a CVSS vector string:
//
//	CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
//	CVSS:3.0/...   CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N
//	AV:N/AC:L/Au:N/C:P/I:P/A:P   (v2; "(...)" around it and a "CVSS:2.0/" prefix are tolerated)
//
// Leading and trailing white space is ignored. Metric names and values are
// case-sensitive, as the specifications define them. Errors wrap ErrInvalid
// and name the offending metric or value.
func Parse(s string) (Vector, error) {
	v, err := parse(s)
	if err != nil {
		return Vector{}, fmt.Errorf("parse cvss vector %q: %w", clip(s), err)
	}
	return v, nil
}

func parse(s string) (Vector, error) {
	if len(s) > maxVectorLen {
		return Vector{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalid, maxVectorLen)
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		s = s[1 : len(s)-1]
	}
	var ver version
	if rest, ok := strings.CutPrefix(s, "CVSS:"); ok {
		num, body, _ := strings.Cut(rest, "/")
		switch num {
		case "2.0":
			ver = v20
		case "3.0":
			ver = v30
		case "3.1":
			ver = v31
		case "4.0":
			ver = v40
		default:
			return Vector{}, fmt.Errorf("%w: unsupported version %q", ErrInvalid, clip(num))
		}
		s = body
	} else {
		// Only v2 vectors come without a prefix.
		ver = v20
	}
	if s == "" {
		return Vector{}, fmt.Errorf("%w: no metrics", ErrInvalid)
	}
	table := ver.metrics()
	out := Vector{ver: ver}
	for part := range strings.SplitSeq(s, "/") {
		name, val, ok := strings.Cut(part, ":")
		if !ok || name == "" {
			return Vector{}, fmt.Errorf("%w: malformed metric %q (want NAME:VALUE)", ErrInvalid, clip(part))
		}
		i := metricIndex(table, name)
		if i < 0 {
			return Vector{}, fmt.Errorf("%w: unknown CVSS %s metric %q", ErrInvalid, ver, clip(name))
		}
		if out.vals[i] != 0 {
			return Vector{}, fmt.Errorf("%w: metric %s given more than once", ErrInvalid, name)
		}
		j := valueIndex(table[i].values, val)
		if j < 0 {
			return Vector{}, fmt.Errorf("%w: metric %s: bad value %q (want one of %s)",
				ErrInvalid, name, clip(val), strings.Join(table[i].values, ", "))
		}
		out.vals[i] = uint8(j + 1)
	}
	var missing []string
	for i, m := range table {
		if m.mandatory && out.vals[i] == 0 {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return Vector{}, fmt.Errorf("%w: missing base metric %s", ErrInvalid, strings.Join(missing, ", "))
	}
	return out, nil
}

func metricIndex(table []metric, name string) int {
	for i := range table {
		if table[i].name == name {
			return i
		}
	}
	return -1
}

func valueIndex(values []string, val string) int {
	for i, v := range values {
		if v == val {
			return i
		}
	}
	return -1
}

// clip shortens untrusted text quoted in an error message.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Version returns the CVSS version of the vector: "2.0", "3.0", "3.1" or
// "4.0"; "" for the zero Vector.
func (v Vector) Version() string { return v.ver.String() }

// Metric returns the value of the metric with the given abbreviation ("AV",
// "MSI", "Au"), and whether the vector carries it.
func (v Vector) Metric(name string) (string, bool) {
	table := v.ver.metrics()
	i := metricIndex(table, name)
	if i < 0 || v.vals[i] == 0 {
		return "", false
	}
	return table[i].values[v.vals[i]-1], true
}

// String returns the normalised vector: the version prefix ("CVSS:3.1/";
// none for v2, the form NVD publishes), then the metrics the vector carries
// in the specification's order. Metrics given as X (Not Defined) are kept,
// so String reproduces what was parsed.
func (v Vector) String() string {
	table := v.ver.metrics()
	if table == nil {
		return ""
	}
	var b strings.Builder
	if v.ver != v20 {
		b.WriteString("CVSS:")
		b.WriteString(v.ver.String())
	}
	for i, m := range table {
		if v.vals[i] == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(m.name)
		b.WriteByte(':')
		b.WriteString(m.values[v.vals[i]-1])
	}
	return b.String()
}

// BaseScore returns the base score, 0.0 to 10.0, rounded as the version's
// specification says: v2 to one decimal (half up), v3.0 up to one decimal,
// v3.1 with Roundup (Appendix A: the integer trick against float error),
// v4.0 to one decimal. For v4.0 it is CVSS-B, from the base metrics alone;
// see Score for the whole vector. It returns 0 for the zero Vector.
func (v Vector) BaseScore() float64 {
	switch v.ver {
	case v20:
		return v.v2Base()
	case v30, v31:
		return v.v3Base()
	case v40:
		return v.v4Score(true)
	}
	return 0
}

// Score returns the score of the whole vector. For v4.0 that is the score
// the specification gives with the threat and environmental metrics the
// vector carries (CVSS-BT, -BE, -BTE; see Nomenclature), which is BaseScore
// when it carries none or only X values. For v2 and v3 it is BaseScore:
// temporal and environmental equations are not implemented.
func (v Vector) Score() float64 {
	if v.ver == v40 {
		return v.v4Score(false)
	}
	return v.BaseScore()
}

// Severity returns the qualitative rating of BaseScore: see SeverityOf.
func (v Vector) Severity() string { return SeverityOf(v.Version(), v.BaseScore()) }

// Severity ratings. v2 has no official rating scale; NVD's (LOW, MEDIUM,
// HIGH) is used.
const (
	SeverityNone     = "NONE"
	SeverityLow      = "LOW"
	SeverityMedium   = "MEDIUM"
	SeverityHigh     = "HIGH"
	SeverityCritical = "CRITICAL"
)

// SeverityOf maps a score of the given CVSS version to its qualitative
// rating. v3.x and v4.0 use the specification's scale: 0.0 NONE, 0.1-3.9
// LOW, 4.0-6.9 MEDIUM, 7.0-8.9 HIGH, 9.0-10.0 CRITICAL. "2.0" (and "2")
// uses NVD's: 0.0-3.9 LOW, 4.0-6.9 MEDIUM, 7.0-10.0 HIGH. The score is
// rounded to one decimal first; an unknown version, a negative score, a
// score above 10 or NaN gives "".
func SeverityOf(version string, score float64) string {
	if math.IsNaN(score) || score < 0 || score > 10 {
		return ""
	}
	tenths := int(math.Round(score * 10))
	switch version {
	case "2.0", "2":
		switch {
		case tenths < 40:
			return SeverityLow
		case tenths < 70:
			return SeverityMedium
		default:
			return SeverityHigh
		}
	case "3.0", "3.1", "4.0":
		switch {
		case tenths == 0:
			return SeverityNone
		case tenths < 40:
			return SeverityLow
		case tenths < 70:
			return SeverityMedium
		case tenths < 90:
			return SeverityHigh
		default:
			return SeverityCritical
		}
	}
	return ""
}
