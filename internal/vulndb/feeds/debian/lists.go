package debian

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// listFiles are the lists ImportLists reads, relative to the data/ folder,
// with the kind of header their entries start with.
var listFiles = []struct {
	path   string
	header lineKind
}{
	{"CVE/list", lineCVEHeader},
	{"DSA/list", lineAdvHeader},
	{"DLA/list", lineAdvHeader},
}

// maxLine bounds one line of a list; the longest real ones are a few KB.
const maxLine = 1 << 20

// ImportLists reads the native lists of a Debian Security Tracker checkout:
// dir is its data/ folder, holding CVE/list, DSA/list and DLA/list. A list
// that is absent is skipped; it is an error when all are.
//
// CVE/list gives one advisory per CVE entry (ID the CVE id, or the tracker's
// TEMP-nnnnnnn-XXXXXX name for a CVE-YYYY-XXXX entry; Summary its
// description; References the DSA/DLA it names). NOT-FOR-US and REJECTED
// entries and entries without package lines (RESERVED, TODO) are skipped.
// DSA/list and DLA/list give one advisory per entry (ID DSA-5380-1, Aliases
// the CVEs in braces, Published its date); an entry without package lines
// (key change notices, end-of-life announcements) is skipped.
//
// Each package line is one Affected: "[bookworm] - pkg v" is debian:12
// fixed at v, a line without [release] is debian:unstable. <unfixed> is
// affected; <no-dsa>, <ignored>, <postponed> will-not-fix with that word as
// detail; <end-of-life> end-of-life; <not-affected> not-affected;
// <undetermined> affected with detail "undetermined"; <removed>, <itp> and
// [experimental] lines are skipped. An urgency in the parenthesis
// ("(low; bug #123)") is the severity; a release line without one takes
// the urgency of the package's unstable line.
//
// The lists describe releases other than unstable only where they differ
// from it; the tracker resolves the rest against each release's Sources.
// This importer does not, so a release the list does not name has no record:
// the tracker JSON (ImportTrackerJSON) is the complete source.
//
// It returns the number of advisories passed to sink.Add. A line it cannot
// read is skipped and reported in the returned error (errors.Join'ed, at
// most 100 shown) beside the count of good advisories. An unreadable file, a
// sink error or a cancelled ctx stop the import.
func ImportLists(ctx context.Context, dir string, sink vulndb.Sink) (int, error) {
	warn := newWarnings()
	added, found := 0, 0
	for _, lf := range listFiles {
		path := filepath.Join(dir, filepath.FromSlash(lf.path))
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return added, fmt.Errorf("open debian list: %w", err)
		}
		found++
		n, err := importList(ctx, f, lf.path, lf.header, sink, warn)
		f.Close()
		added += n
		if err != nil {
			return added, fmt.Errorf("import %s: %w", path, err)
		}
	}
	if found == 0 {
		return 0, fmt.Errorf("import debian lists: none of CVE/list, DSA/list, DLA/list in %s", dir)
	}
	return added, warn.Err()
}

// entry is one record of a list: a header line and its indented lines.
type entry struct {
	header   listLine
	xrefs    []string
	notes    []numberedNote
	notForUs bool
	rejected bool
}

type numberedNote struct {
	lineno int
	pkgNote
}

// importList reads one list. name is its path in data/ for messages;
// header is the kind of header its entries start with. Line problems go to
// warn; the error is for what stops the import.
func importList(ctx context.Context, r io.Reader, name string, header lineKind, sink vulndb.Sink, warn *warnings) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	added := 0
	var cur *entry
	flush := func() error {
		if cur == nil {
			return nil
		}
		e := cur
		cur = nil
		adv := e.advisory(name, header, warn)
		if adv == nil {
			return nil
		}
		if err := sink.Add(ctx, adv); err != nil {
			return fmt.Errorf("add %s: %w", adv.ID, err)
		}
		added++
		return nil
	}
	lineno := 0
	orphan := false // body lines of a bad header are not warned about again
	for sc.Scan() {
		lineno++
		l, err := parseLine(sc.Text())
		if err != nil {
			warn.Add(fmt.Errorf("%s:%d: %w", name, lineno, err))
			if !strings.HasPrefix(sc.Text(), " ") && !strings.HasPrefix(sc.Text(), "\t") {
				// A bad header: its entry is lost.
				if err := flush(); err != nil {
					return added, err
				}
				orphan = true
			}
			continue
		}
		if !l.indented {
			switch l.kind {
			case lineSkip:
				continue
			case header:
				if err := ctx.Err(); err != nil {
					return added, err
				}
				if err := flush(); err != nil {
					return added, err
				}
				cur = &entry{header: l}
				orphan = false
			default:
				warn.Add(fmt.Errorf("%s:%d: header of another list: %s", name, lineno, l.id))
				if err := flush(); err != nil {
					return added, err
				}
				orphan = true
			}
			continue
		}
		if l.kind == lineSkip {
			continue
		}
		if cur == nil {
			if !orphan {
				warn.Add(fmt.Errorf("%s:%d: line outside an entry", name, lineno))
			}
			continue
		}
		switch l.kind {
		case lineXref:
			cur.xrefs = append(cur.xrefs, l.xrefs...)
		case linePackage:
			cur.notes = append(cur.notes, numberedNote{lineno, l.note})
		case lineNotForUs:
			cur.notForUs = true
		case lineRejected:
			cur.rejected = true
		case lineReserved:
			// A reserved CVE with package lines is still imported, as the
			// tracker does; without them it has nothing to import.
		}
	}
	if err := sc.Err(); err != nil {
		return added, fmt.Errorf("%s:%d: %w", name, lineno+1, err)
	}
	if err := flush(); err != nil {
		return added, err
	}
	return added, nil
}

// advisory converts an entry; nil when it has nothing to import.
func (e *entry) advisory(name string, header lineKind, warn *warnings) *vulndb.Advisory {
	if e.notForUs || e.rejected || len(e.notes) == 0 {
		return nil
	}
	adv := &vulndb.Advisory{
		ID:      e.header.id,
		Source:  sourceLists,
		Summary: e.header.description,
	}
	if header == lineCVEHeader {
		if strings.HasSuffix(adv.ID, "-XXXX") {
			adv.ID = tempName(e.firstBug(), e.header.description)
		}
		for _, x := range e.xrefs {
			if strings.HasPrefix(x, "DSA-") || strings.HasPrefix(x, "DLA-") || strings.HasPrefix(x, "DTSA-") {
				adv.References = append(adv.References, vulndb.Reference{
					Type: "ADVISORY",
					URL:  "https://security-tracker.debian.org/tracker/" + x,
				})
			}
		}
	} else {
		adv.Published = e.header.date
		for _, x := range e.xrefs {
			if strings.HasPrefix(x, "CVE-") && !slices.Contains(adv.Aliases, x) {
				adv.Aliases = append(adv.Aliases, x)
			}
		}
		if adv.Summary == "" {
			adv.Summary = e.header.pkg
		}
	}

	// Urgency of each package's unstable line, inherited by release lines
	// that give none.
	sidUrgency := map[string]string{}
	for _, n := range e.notes {
		if n.release == "" && n.urgency != "" {
			sidUrgency[n.pkg] = n.urgency
		}
	}
	for _, n := range e.notes {
		if n.urgency == "" {
			n.urgency = sidUrgency[n.pkg]
		}
		aff, ok, err := noteAffected(n.pkgNote)
		if err != nil {
			warn.Add(fmt.Errorf("%s:%d: %s: %w", name, n.lineno, adv.ID, err))
			continue
		}
		if ok {
			adv.Affected = append(adv.Affected, aff)
		}
	}
	if len(adv.Affected) == 0 {
		return nil
	}
	slices.SortStableFunc(adv.Affected, compareAffected)
	return adv
}

// firstBug is the first Debian bug number of the entry's package lines, 0
// when there is none.
func (e *entry) firstBug() int {
	for _, n := range e.notes {
		if len(n.bugs) > 0 {
			return n.bugs[0]
		}
	}
	return 0
}

// tempName is the tracker's name for a CVE-YYYY-XXXX entry (temp_bug_name in
// lib/python/bugs.py): the first bug number and the first six hex digits of
// the MD5 of the description.
func tempName(bug int, description string) string {
	sum := md5.Sum([]byte(description))
	return fmt.Sprintf("TEMP-%07d-%s", bug, strings.ToUpper(hex.EncodeToString(sum[:])[:6]))
}

// noteAffected maps a package line to an Affected record. The second result
// is false for lines that say nothing about an installed package (<removed>,
// <itp>, [experimental]).
func noteAffected(n pkgNote) (vulndb.Affected, bool, error) {
	eco := ecosystemUnstable
	if n.release != "" {
		if n.release == "experimental" {
			return vulndb.Affected{}, false, nil
		}
		var ok bool
		if eco, ok = ecosystemOf(n.release); !ok {
			return vulndb.Affected{}, false, fmt.Errorf("unknown release %q", n.release)
		}
	}
	sev, _ := severityOf(n.urgency) // the line parser only keeps known urgencies
	aff := vulndb.Affected{Ecosystem: eco, Package: n.pkg, Severity: sev}
	switch n.status {
	case "":
		if n.version == "0" {
			aff.Status = vulndb.StatusNotAffected
			break
		}
		aff.Status = vulndb.StatusRanges
		aff.Ranges = []vulndb.Range{{Fixed: n.version}}
	case "unfixed":
		aff.Status = vulndb.StatusAffected
	case "no-dsa", "ignored", "postponed":
		aff.Status = vulndb.StatusWontFix
		aff.StatusDetail = n.status
	case "end-of-life":
		// As in the tracker JSON, whose urgency is then "end-of-life":
		// an unsupported release has no rating.
		aff.Status = vulndb.StatusEndOfLife
		aff.Severity = ""
	case "not-affected":
		aff.Status = vulndb.StatusNotAffected
	case "undetermined":
		aff.Status = vulndb.StatusAffected
		aff.StatusDetail = "undetermined"
	case "removed", "itp":
		return vulndb.Affected{}, false, nil
	default:
		return vulndb.Affected{}, false, fmt.Errorf("unknown status <%s>", n.status)
	}
	return aff, true, nil
}
