// Package notify tells webhooks what re-evaluation changed: one CloudEvent
// per subject and re-evaluation, signed with the webhook's secret, and
// delivered from the store's outbox with retries (docs/store.md).
package notify

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// EventType is the CloudEvents type of a re-evaluation's changes.
const EventType = "dev.customs.findings.changed"

// Source is the CloudEvents source of customs' events.
const Source = "customs"

// Top is how many entries of each list an event carries, most severe first.
const Top = 5

// Webhook is one notify.webhooks[] entry of the config.
type Webhook struct {
	URL    string `json:"url" yaml:"url"`
	Secret string `json:"-" yaml:"secret"`
	// MinSeverity drops entries below it (on vulndb.SeverityRank's scale).
	MinSeverity string `json:"minSeverity,omitempty" yaml:"minSeverity"`
	// KEVOnly keeps entries listed in CISA's KEV catalog; FixableOnly
	// entries with a fixed version.
	KEVOnly     bool `json:"kevOnly,omitempty" yaml:"kevOnly"`
	FixableOnly bool `json:"fixableOnly,omitempty" yaml:"fixableOnly"`
	// Refs are globs (path.Match) of which one must match the subject's
	// name or one of its references; none matches every subject.
	Refs []string `json:"refs,omitempty" yaml:"refs"`
	// Subscribed marks a webhook stored through the API (FromSubscription):
	// an untrusted target, delivered to through the SSRF guard.
	Subscribed bool `json:"-" yaml:"-"`
}

// FromSubscription is the webhook of a subscription stored through the
// API (store.Subscriptions).
func FromSubscription(s store.Subscription) Webhook {
	return Webhook{URL: s.URL, Secret: s.Secret, MinSeverity: s.MinSeverity, KEVOnly: s.KEVOnly, FixableOnly: s.FixableOnly,
		Refs: slices.Clone(s.Refs), Subscribed: true}
}

// Merge returns the config's webhooks, then the stored subscriptions whose
// URL the config does not have (the config's entry wins: one secret per
// URL, the outbox names deliveries by URL).
func Merge(config []Webhook, subs []store.Subscription) []Webhook {
	out := slices.Clone(config)
	seen := map[string]bool{}
	for _, h := range config {
		seen[h.URL] = true
	}
	for _, s := range subs {
		if !seen[s.URL] {
			seen[s.URL] = true
			out = append(out, FromSubscription(s))
		}
	}
	return out
}

// Check reports a webhook that cannot be used.
func (w Webhook) Check() error {
	if !strings.HasPrefix(w.URL, "http://") && !strings.HasPrefix(w.URL, "https://") {
		return fmt.Errorf("notify webhook %q: the url must start with http:// or https://", w.URL)
	}
	if w.Secret == "" {
		return fmt.Errorf("notify webhook %s: no secret to sign the events with", w.URL)
	}
	if w.MinSeverity != "" {
		if _, ok := vulndb.SeverityRank(strings.ToUpper(w.MinSeverity)); !ok {
			return fmt.Errorf("notify webhook %s: unknown minSeverity %q", w.URL, w.MinSeverity)
		}
	}
	for _, g := range w.Refs {
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("notify webhook %s: refs glob %q: %v", w.URL, g, err)
		}
	}
	return nil
}

// Filter returns the part of c this webhook wants about subject s, and
// whether anything is left.
func (w Webhook) Filter(s store.Subject, c store.Change) (store.Change, bool) {
	if len(w.Refs) > 0 && !w.matchesRefs(s) {
		return store.Change{}, false
	}
	minRank, _ := vulndb.SeverityRank(strings.ToUpper(w.MinSeverity))
	keep := func(f store.Finding) bool {
		if w.MinSeverity != "" {
			if r, _ := vulndb.SeverityRank(f.Severity); r < minRank {
				return false
			}
		}
		if w.KEVOnly && !f.KEV {
			return false
		}
		if w.FixableOnly && f.FixedVersion == "" {
			return false
		}
		return true
	}
	out := store.Change{Added: []store.Finding{}, Resolved: []store.Finding{}, Changed: []store.FindingChange{}}
	for _, f := range c.Added {
		if keep(f) {
			out.Added = append(out.Added, f)
		}
	}
	for _, f := range c.Resolved {
		if keep(f) {
			out.Resolved = append(out.Resolved, f)
		}
	}
	for _, fc := range c.Changed {
		if keep(fc.After) || keep(fc.Before) {
			out.Changed = append(out.Changed, fc)
		}
	}
	return out, !out.Empty()
}

func (w Webhook) matchesRefs(s store.Subject) bool {
	for _, g := range w.Refs {
		for _, name := range append([]string{s.Name, s.Digest}, s.Refs...) {
			if ok, _ := path.Match(g, name); ok {
				return true
			}
		}
	}
	return false
}

// Data is the event's data: what changed for one subject.
type Data struct {
	Subject store.Subject `json:"subject"`
	// DBBuilt is when the DB the new findings came from was built.
	DBBuilt time.Time `json:"dbBuilt,omitzero"`
	Counts  Counts    `json:"counts"`
	// Added, Resolved and Changed are the Top most severe of each list.
	Added    []store.Finding       `json:"added"`
	Resolved []store.Finding       `json:"resolved"`
	Changed  []store.FindingChange `json:"changed"`
	// FullList says how to read every change.
	FullList string `json:"fullList"`
}

// Counts are the lengths of the whole lists.
type Counts struct {
	Added    int `json:"added"`
	Resolved int `json:"resolved"`
	Changed  int `json:"changed"`
}

// NewID returns a fresh event ID (a random UUID).
func NewID() string { return uuid.NewString() }

// Event returns the CloudEvent (1.0, structured JSON) announcing c about
// subject s.
func Event(id string, s store.Subject, c store.Change, db *report.DB, now time.Time) ([]byte, error) {
	d := Data{
		Subject:  s,
		Counts:   Counts{len(c.Added), len(c.Resolved), len(c.Changed)},
		Added:    mostSevere(c.Added),
		Resolved: mostSevere(c.Resolved),
		Changed:  mostSevereChanges(c.Changed),
		FullList: "customs history " + s.Digest + " --store DSN",
	}
	if db != nil {
		d.DBBuilt = db.Built.UTC()
	}
	e := cloudevents.New(cloudevents.CloudEventsVersionV1)
	e.SetID(id)
	e.SetType(EventType)
	e.SetSource(Source)
	e.SetSubject(s.Digest)
	e.SetTime(now.UTC())
	if err := e.SetData("application/json", d); err != nil {
		return nil, err
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(e)
}

func rank(f store.Finding) int {
	r, _ := vulndb.SeverityRank(f.Severity)
	if f.KEV {
		r += 100
	}
	return r
}

func byRank(a, b store.Finding) int {
	return cmp.Or(cmp.Compare(rank(b), rank(a)), cmp.Compare(b.EPSS, a.EPSS), cmp.Compare(a.VulnerabilityID, b.VulnerabilityID), cmp.Compare(a.PackageName, b.PackageName))
}

func mostSevere(fs []store.Finding) []store.Finding {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, byRank)
	if out == nil {
		out = []store.Finding{}
	}
	return out[:min(len(out), Top)]
}

func mostSevereChanges(cs []store.FindingChange) []store.FindingChange {
	out := slices.Clone(cs)
	slices.SortStableFunc(out, func(a, b store.FindingChange) int { return byRank(a.After, b.After) })
	if out == nil {
		out = []store.FindingChange{}
	}
	return out[:min(len(out), Top)]
}

// Sign returns the X-Customs-Signature value of body: "sha256=" and the
// hex HMAC-SHA256 of the body with the secret.
func Sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
