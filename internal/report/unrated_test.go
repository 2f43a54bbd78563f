package report

import (
	"testing"

	"github.com/customs-scanner/customs/internal/vulndb"
)

func TestUnratedNote(t *testing.T) {
	f := func(sev, status string) Finding { return Finding{Severity: sev, Status: status} }
	unknown, high := f(vulndb.SeverityUnknown, StatusFixAvailable), f(vulndb.SeverityHigh, StatusAffected)
	noNVD := &DB{Sources: []vulndb.SourceInfo{{Kind: "debian-tracker"}}}
	withNVD := &DB{Sources: []vulndb.SourceInfo{{Kind: "debian-tracker"}, {Kind: "nvd"}}}
	tests := []struct {
		name     string
		db       *DB
		findings []Finding
		want     string
	}{
		{"no DB", nil, []Finding{unknown}, ""},
		{"no findings", noNVD, nil, ""},
		{"half unrated is not most", noNVD, []Finding{unknown, high}, ""},
		{"not-affected findings not counted", noNVD, []Finding{unknown, high, f(vulndb.SeverityUnknown, StatusNotAffected)}, ""},
		{"most unrated, no NVD", noNVD, []Finding{unknown, unknown, high},
			"2 of 3 findings have no severity (UNKNOWN): the DB has no NVD data, which rates most CVEs; add it with `customs db update --feeds default,nvd`, or `customs db build --source nvd=PATH` with the other sources; --fail-on-unknown fails the scan on them"},
		{"most unrated, NVD there", withNVD, []Finding{unknown},
			"1 of 1 findings have no severity (UNKNOWN): no source in the DB rates them, NVD included; --fail-on-unknown fails the scan on them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{DB: tt.db, Findings: tt.findings}
			if got := r.UnratedNote(); got != tt.want {
				t.Errorf("UnratedNote() = %q, want %q", got, tt.want)
			}
		})
	}
}
