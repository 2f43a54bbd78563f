package admission

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/customs-scanner/customs/internal/policy"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// maxNamed bounds the findings a verdict names.
const maxNamed = 5

// verdict is the gate's answer for one stored report.
type verdict struct {
	known  bool
	failed bool
	// message is the gate's verdict message ("--fail-on high: 3 findings
	// at or above HIGH (worst CRITICAL)").
	message string
	// named are the findings that decided a failure, worst first, and
	// the policy's fail rules with their first finding.
	named []string
	// warnings are the policy's warn rules that matched.
	warnings []string
}

// loads runs one store load per key at a time.
var loads singleflight.Group

// verdictOf returns the verdict of digest under the handler's gate, from
// memory when a verdict of (digest, policy hash) is younger than the
// cache's TTL. A verdict is only kept for a stored report: an unknown
// digest asks the store again, so a finished scan counts at once.
func (h *Handler) verdictOf(ctx context.Context, digest string) (verdict, error) {
	key := digest + "\x00" + h.cfg.PolicyHash
	if h.cfg.DBBuilt != nil {
		built, err := h.cfg.DBBuilt(ctx)
		if err != nil {
			h.log.Warn("admission: the DB's build time", "err", err)
		}
		key += "\x00" + built.UTC().Format(time.RFC3339Nano)
	}
	if v, ok := h.verdicts.get(key); ok {
		return v, nil
	}
	// The key names the handler so that two handlers (tests, a reload)
	// never share a load.
	res, err, _ := loads.Do(fmt.Sprintf("%p\x00%s", h, key), func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultStoreTimeout)
		defer cancel()
		sr, err := h.store.Report(ctx, digest)
		if errors.Is(err, store.ErrNotFound) {
			return verdict{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load the report of %s: %w", digest, err)
		}
		v, err := h.judge(ctx, sr.Report)
		if err != nil {
			return nil, fmt.Errorf("judge the report of %s: %w", digest, err)
		}
		h.verdicts.put(key, v)
		return v, nil
	})
	if err != nil {
		return verdict{}, err
	}
	return res.(verdict), nil
}

// judge applies the gate to a stored report with scan.Judge, the function
// the CLI's scan runs, and keeps what admission tells.
func (h *Handler) judge(ctx context.Context, r *report.Report) (verdict, error) {
	if err := scan.Judge(ctx, r, scan.Options{Gate: h.cfg.Gate, Now: h.cfg.Now}); err != nil {
		return verdict{}, err
	}
	v := verdict{known: true}
	if r.Verdict != nil && r.Verdict.Failed {
		v.failed, v.message = true, r.Verdict.Message
		v.named = named(r, h.cfg.Gate)
	}
	if r.Policy != nil {
		for _, rule := range r.Policy.Rules {
			if rule.Action == "warn" && len(rule.Matched) > 0 {
				v.warnings = append(v.warnings, fmt.Sprintf("policy rule %s: %d findings (%s)", rule.Name, len(rule.Matched), rule.Matched[0]))
			}
		}
	}
	return v, nil
}

// named lists what failed a judged report: the matches of the policy's
// fail rules, then the findings, secrets and misconfigurations at or above
// the gate's --fail-on threshold, worst first.
func named(r *report.Report, g *scan.Gate) []string {
	var out []string
	if r.Policy != nil {
		for _, rule := range r.Policy.Rules {
			if rule.Action == "fail" && len(rule.Matched) > 0 {
				out = append(out, fmt.Sprintf("rule %s: %s", rule.Name, rule.Matched[0]))
			}
		}
	}
	if g == nil {
		return out
	}
	threshold := -1
	if s, ok := policy.Severity(g.FailOn); ok && g.FailOn != "" {
		threshold, _ = vulndb.SeverityRank(s)
	}
	type item struct {
		rank int
		text string
	}
	var items []item
	add := func(sev, text string, unrated bool) {
		rank, _ := vulndb.SeverityRank(sev)
		if (threshold >= 0 && rank >= threshold) || unrated {
			items = append(items, item{rank, text})
		}
	}
	for _, f := range r.Findings {
		if report.Affects(f.Status) {
			unrated := g.FailOnUnknown && (f.Severity == "" || f.Severity == vulndb.SeverityUnknown)
			add(f.Severity, fmt.Sprintf("%s %s %s (%s)", f.VulnerabilityID, f.PackageName, f.PackageVersion, cmp.Or(f.Severity, vulndb.SeverityUnknown)), unrated)
		}
	}
	for _, s := range r.Secrets {
		add(s.Severity, fmt.Sprintf("secret %s (%s)", s.Rule, s.Severity), false)
	}
	for _, m := range r.Misconfigurations {
		add(m.Severity, fmt.Sprintf("%s (%s)", m.ID, m.Severity), false)
	}
	slices.SortStableFunc(items, func(a, b item) int {
		if c := cmp.Compare(b.rank, a.rank); c != 0 {
			return c
		}
		return strings.Compare(a.text, b.text)
	})
	for _, it := range items {
		if len(out) == maxNamed {
			break
		}
		if !slices.Contains(out, it.text) {
			out = append(out, it.text)
		}
	}
	return out
}
