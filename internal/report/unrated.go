package report

import (
	"fmt"
	"slices"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// nvdKind is the DB source kind of NVD's records (customs db build --source nvd=...).
const nvdKind = "nvd"

// UnratedNote says, when most findings have no severity (UNKNOWN), how
// many and which source would supply one: NVD, when the DB lacks it (a
// distribution's tracker often rates nothing itself, as Debian's leaves
// most urgencies unassigned). "" when most findings are rated, there are
// none, or no DB was used. The table summary and customs scan's stderr
// warning show it.
func (r *Report) UnratedNote() string {
	if r.DB == nil {
		return ""
	}
	n, unknown := 0, 0
	for _, f := range r.Findings {
		if f.Status == StatusNotAffected {
			continue
		}
		n++
		if f.Severity == "" || f.Severity == vulndb.SeverityUnknown {
			unknown++
		}
	}
	if n == 0 || 2*unknown <= n {
		return ""
	}
	msg := fmt.Sprintf("%d of %d findings have no severity (UNKNOWN)", unknown, n)
	if !slices.ContainsFunc(r.DB.Sources, func(s vulndb.SourceInfo) bool { return s.Kind == nvdKind }) {
		msg += ": the DB has no NVD data, which rates most CVEs; add it with `customs db update --feeds default,nvd`, or `customs db build --source nvd=PATH` with the other sources"
	} else {
		msg += ": no source in the DB rates them, NVD included"
	}
	return msg + "; --fail-on-unknown fails the scan on them"
}
