package debian

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// trackerRecord is one (source package, CVE) record of the tracker JSON, as
// bin/tracker_service.py writes it. Fields the importer does not use
// (scope, debianbug, repositories, next_point_update) are not decoded, so a
// change of their type does not reject the record.
type trackerRecord struct {
	Description string `json:"description"`
	// Releases is an object keyed by codename; the tracker writes an empty
	// array for a record with no release.
	Releases json.RawMessage `json:"releases"`
}

// trackerRelease is what a record says about one release.
type trackerRelease struct {
	Status       string `json:"status"`
	FixedVersion string `json:"fixed_version"`
	Urgency      string `json:"urgency"`
	// NoDSA is the free-text comment of a <no-dsa>, <ignored> or <postponed>
	// note; NoDSAReason is "ignored", "postponed" or empty (plain no-dsa).
	NoDSA       string `json:"nodsa"`
	NoDSAReason string `json:"nodsa_reason"`
}

// ImportTrackerJSON reads the Debian Security Tracker's JSON export (the
// document served at /tracker/data/json) from path and adds one advisory per
// (source package, CVE) to sink, with one Affected per release it names. It
// streams the document: memory holds one record at a time, not the ~70 MB
// file.
//
// It returns the number of advisories passed to sink.Add. Records it cannot
// use (wrong field types, unknown release or status) are skipped and reported
// together in the returned error, errors.Join'ed, beside the count of the
// good ones. A broken document (invalid JSON), a sink error or a cancelled
// ctx stop the import.
func ImportTrackerJSON(ctx context.Context, path string, sink vulndb.Sink) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open debian tracker json: %w", err)
	}
	defer f.Close()
	n, err := importTracker(ctx, bufio.NewReaderSize(f, 1<<16), sink)
	if err != nil {
		return n, fmt.Errorf("import %s: %w", path, err)
	}
	return n, nil
}

// importTracker is ImportTrackerJSON on a reader.
func importTracker(ctx context.Context, r io.Reader, sink vulndb.Sink) (int, error) {
	dec := json.NewDecoder(r)
	warn := newWarnings()
	added := 0

	if err := expectDelim(dec, '{'); err != nil {
		return 0, fmt.Errorf("document: %w", err)
	}
	for dec.More() {
		if err := ctx.Err(); err != nil {
			return added, err
		}
		pkg, err := stringToken(dec)
		if err != nil {
			return added, fmt.Errorf("package name: %w", err)
		}
		tok, err := dec.Token()
		if err != nil {
			return added, fmt.Errorf("package %q: %w", pkg, err)
		}
		if tok != json.Delim('{') {
			// Not an object: skip the value (a scalar is already read).
			if _, ok := tok.(json.Delim); ok {
				if err := skipRest(dec); err != nil {
					return added, fmt.Errorf("package %q: %w", pkg, err)
				}
			}
			warn.Add(fmt.Errorf("package %q: want an object of CVE records, got %v", pkg, tok))
			continue
		}
		for dec.More() {
			if err := ctx.Err(); err != nil {
				return added, err
			}
			id, err := stringToken(dec)
			if err != nil {
				return added, fmt.Errorf("package %q: CVE id: %w", pkg, err)
			}
			var rec trackerRecord
			if err := dec.Decode(&rec); err != nil {
				var typeErr *json.UnmarshalTypeError
				if errors.As(err, &typeErr) {
					// The decoder has consumed the whole value: go on.
					warn.Add(fmt.Errorf("%s/%s: %w", pkg, id, err))
					continue
				}
				return added, fmt.Errorf("%s/%s: %w", pkg, id, err)
			}
			adv, ok := trackerAdvisory(pkg, id, &rec, warn)
			if !ok {
				continue
			}
			if err := sink.Add(ctx, adv); err != nil {
				return added, fmt.Errorf("add %s/%s: %w", pkg, id, err)
			}
			added++
		}
		if err := expectDelim(dec, '}'); err != nil {
			return added, fmt.Errorf("package %q: %w", pkg, err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return added, fmt.Errorf("document: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return added, errors.New("document: data after the top-level object")
	}
	return added, warn.Err()
}

// trackerAdvisory converts one record. It returns false (after adding a
// warning where the record is faulty) when there is nothing to add.
func trackerAdvisory(pkg, id string, rec *trackerRecord, warn *warnings) (*vulndb.Advisory, bool) {
	if pkg == "" || id == "" {
		warn.Add(fmt.Errorf("%s/%s: empty package name or id", pkg, id))
		return nil, false
	}
	rels, err := decodeReleases(rec.Releases)
	if err != nil {
		warn.Add(fmt.Errorf("%s/%s: releases: %w", pkg, id, err))
		return nil, false
	}
	adv := &vulndb.Advisory{
		ID:      id,
		Source:  sourceTracker,
		Summary: rec.Description,
	}
	// Codenames in a stable order (the map's is random), so warnings are
	// deterministic too.
	for _, codename := range slices.Sorted(maps.Keys(rels)) {
		aff, ok, err := trackerAffected(pkg, codename, rels[codename])
		if err != nil {
			warn.Add(fmt.Errorf("%s/%s: release %q: %w", pkg, id, codename, err))
		}
		if ok {
			adv.Affected = append(adv.Affected, aff)
		}
	}
	if len(adv.Affected) == 0 {
		return nil, false
	}
	slices.SortStableFunc(adv.Affected, compareAffected)
	return adv, true
}

// decodeReleases decodes a record's releases: an object, or the empty array
// (or null, or nothing) the tracker writes when there is none.
func decodeReleases(raw json.RawMessage) (map[string]trackerRelease, error) {
	var rels map[string]trackerRelease
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		if len(list) != 0 {
			return nil, fmt.Errorf("want an object, got an array of %d", len(list))
		}
		return nil, nil
	}
	if err := json.Unmarshal(raw, &rels); err != nil {
		return nil, err
	}
	return rels, nil
}

// trackerAffected maps one release entry to an Affected record:
//
//	resolved, fixed_version "0"     -> not-affected
//	resolved, fixed_version v       -> ranges, fixed at v
//	open/undetermined, end-of-life  -> end-of-life (urgency "end-of-life")
//	open with nodsa                 -> will-not-fix, detail nodsa_reason or "no-dsa"
//	open                            -> affected
//	undetermined                    -> affected, detail "undetermined"
//
// A resolved entry keeps its fix even when the release is end-of-life: the
// fixed version is still a fact.
//
// The second result is false when the entry is unusable (unknown release or
// status, resolved without a version); the error says why. An unknown
// urgency gives the record without severity, and an error to warn about.
func trackerAffected(pkg, codename string, rel trackerRelease) (vulndb.Affected, bool, error) {
	eco, ok := ecosystemOf(codename)
	if !ok {
		return vulndb.Affected{}, false, errors.New("unknown release")
	}
	var warn error
	sev, ok := severityOf(rel.Urgency)
	if !ok {
		warn = fmt.Errorf("unknown urgency %q, severity left empty", rel.Urgency)
	}
	aff := vulndb.Affected{Ecosystem: eco, Package: pkg, Severity: sev}
	eol := rel.Urgency == "end-of-life"
	switch rel.Status {
	case "resolved":
		switch rel.FixedVersion {
		case "":
			return vulndb.Affected{}, false, errors.New("resolved without fixed_version")
		case "0":
			aff.Status = vulndb.StatusNotAffected
		default:
			aff.Status = vulndb.StatusRanges
			aff.Ranges = []vulndb.Range{{Fixed: rel.FixedVersion}}
		}
	case "open":
		switch {
		case eol:
			aff.Status = vulndb.StatusEndOfLife
		case rel.NoDSA != "" || rel.NoDSAReason != "":
			aff.Status = vulndb.StatusWontFix
			aff.StatusDetail = "no-dsa"
			if rel.NoDSAReason != "" {
				aff.StatusDetail = rel.NoDSAReason
			}
		default:
			aff.Status = vulndb.StatusAffected
		}
	case "undetermined":
		if eol {
			aff.Status = vulndb.StatusEndOfLife
		} else {
			aff.Status = vulndb.StatusAffected
			aff.StatusDetail = "undetermined"
		}
	default:
		return vulndb.Affected{}, false, fmt.Errorf("unknown status %q", rel.Status)
	}
	return aff, true, warn
}

// expectDelim reads one token and checks it is the delimiter want.
func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("want %v, got %v", want, tok)
	}
	return nil
}

// stringToken reads an object key.
func stringToken(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %v", tok)
	}
	return s, nil
}

// skipRest skips the tokens of an object or array whose opening delimiter
// has been read, without holding the value.
func skipRest(dec *json.Decoder) error {
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}
