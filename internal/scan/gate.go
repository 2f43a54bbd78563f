package scan

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/customs-scanner/customs/internal/policy"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/target"
	"github.com/customs-scanner/customs/internal/vex"
)

// Gate is what a report keeps, what may suppress a finding and what fails
// the scan (docs/policy.md). It holds loaded data, not file names, so a
// server can keep one in memory for many scans.
type Gate struct {
	// IgnoreUnfixed keeps only the findings that have a fixed version.
	IgnoreUnfixed bool
	// Severities, if set, are the severities (upper case) the report
	// keeps, of findings, secrets and misconfigurations alike; the gate
	// sees only these.
	Severities []string

	// VEX documents suppress the findings their not_affected and fixed
	// statements cover, and annotate others.
	VEX []*vex.Document
	// VEXReferrers also applies the VEX documents attached to the image
	// in its registry (image.Options.Insecure allows plain HTTP).
	VEXReferrers bool
	// Exceptions suppress the findings they list until they expire.
	Exceptions []policy.Exception
	// Baseline is a previous report, BaselineName what to call it; its
	// findings cannot fail the gate.
	Baseline     *report.Report
	BaselineName string
	// BaselineImage, if set, is scanned with the same options, and its
	// findings cannot fail the gate either.
	BaselineImage *target.Ref
	// Policy's fail rules fail the scan; its warn rules are reported.
	Policy *policy.Policy
	// BaseImageLayers is how many of the first layers are the base image
	// (the policy's finding.baseImage).
	BaseImageLayers int

	// FailOn is a severity: a finding, secret or misconfiguration at or
	// above it fails the scan (policy.FailOn); "" sets no threshold.
	// FailOnUnknown also fails on an affecting vulnerability without a
	// severity.
	FailOn        string
	FailOnUnknown bool
	// FailOnUncovered fails the scan when the DB holds no advisories for
	// an ecosystem of the inventory (policy.FailUncovered).
	FailOnUncovered bool
}

// fails reports whether the gate can fail a scan at all.
func (g *Gate) fails() bool {
	return g.Policy != nil || g.FailOn != "" || g.FailOnUnknown || g.FailOnUncovered
}

// maxRuleLines bounds the findings told per policy rule.
const maxRuleLines = 20

// Judge applies the gate of opts to r, a report of this scan or a stored
// one: it keeps what Gate.IgnoreUnfixed and Gate.Severities keep, applies
// VEX documents, then exceptions (moving the findings they cover to
// r.Suppressed) and the baselines, evaluates the policy on the findings
// that remain, affect the image and are not in a baseline, and counts
// --fail-on among them. It fills r.Policy, r.Verdict (when the gate can
// fail) and r.Summary, and tells each step to opts.Handler. A nil
// opts.Gate leaves r alone.
func Judge(ctx context.Context, r *report.Report, opts Options) error {
	g := opts.Gate
	if g == nil {
		return nil
	}
	h, now := opts.handler(), opts.now()
	note := func(format string, a ...any) { h.Gate(GateNote{Text: fmt.Sprintf(format, a...)}) }
	keep(r, g)
	pr := &report.PolicyResult{}
	docs := g.VEX
	if g.VEXReferrers {
		attached, err := referrerVEX(ctx, r.Target, opts.Image.Insecure)
		if err != nil {
			return fmt.Errorf("--vex-referrers: %w", err)
		}
		note("vex: %d documents attached to the image", len(attached))
		docs = append(slices.Clip(docs), attached...)
	}
	if len(docs) > 0 {
		sup, ann := vex.Apply(r, docs)
		note("vex: %d findings suppressed as not_affected or fixed, %d annotated", sup, ann)
	}
	if len(g.Exceptions) > 0 {
		before := len(r.Suppressed)
		pr.ExpiredExceptions = policy.ApplyExceptions(r, g.Exceptions, now())
		note("exceptions: %d findings suppressed", len(r.Suppressed)-before)
		for _, e := range pr.ExpiredExceptions {
			who := ""
			if e.Owner != "" {
				who = ", owner " + e.Owner
			}
			note("warning: exception %s (%s%s) expired on %s and no longer applies", e.ID, e.Source, who, e.Expires)
		}
	}
	var baseline *policy.Baseline
	var baseNames []string
	if g.Baseline != nil {
		baseline = policy.NewBaseline(g.Baseline)
		baseNames = append(baseNames, g.BaselineName)
	}
	if g.BaselineImage != nil {
		bopts := opts
		bopts.Gate, bopts.Handler = nil, nil // no gate and no progress for the baseline
		base, err := Run(ctx, *g.BaselineImage, bopts)
		if err != nil {
			return fmt.Errorf("--baseline-image %s: %w", g.BaselineImage, err)
		}
		b := policy.NewBaseline(base)
		if baseline != nil {
			b = policy.MergeBaselines(baseline, b)
		}
		baseline = b
		baseNames = append(baseNames, g.BaselineImage.String())
	}
	baseName := strings.TrimSpace(strings.Join(baseNames, " "))
	kept := r.Findings[:0]
	// The findings that can fail the gate, copied only for a gate that
	// counts them (a report of thousands is megabytes of copies).
	counts := g.Policy != nil || g.FailOn != "" || g.FailOnUnknown
	var eligible []report.Finding
	if counts {
		eligible = make([]report.Finding, 0, len(r.Findings))
	}
	for _, f := range r.Findings {
		if baseline.Contains(f) {
			pr.BaselineKnown++
			r.Suppressed = append(r.Suppressed, report.Suppression{Finding: f, By: report.SuppressedByBaseline,
				Reason: "already in the baseline " + baseName})
			continue
		}
		kept = append(kept, f)
		if counts && report.Affects(f.Status) {
			eligible = append(eligible, f)
		}
	}
	r.Findings = kept
	for i := range r.Suppressed {
		s := &r.Suppressed[i]
		s.VulnerabilityID, s.PackageName, s.PackageVersion = s.Finding.VulnerabilityID, s.Finding.PackageName, s.Finding.PackageVersion
	}
	if baseline != nil {
		pr.Baseline = baseName
		note("baseline: %d findings already in %s cannot fail the gate", pr.BaselineKnown, pr.Baseline)
	}
	var failures []string
	if g.Policy != nil {
		failed, err := evalPolicy(ctx, r, g, eligible, pr, now, note)
		if err != nil {
			return err
		}
		if len(failed) > 0 {
			failures = append(failures, "--policy: fail rules matched: "+strings.Join(failed, ", "))
		}
	}
	if g.FailOnUncovered {
		if msg, failed := policy.FailUncovered(r); failed {
			failures = append(failures, msg)
		}
	}
	pr.Failed = len(failures) > 0
	if !pr.Failed && (g.FailOn != "" || g.FailOnUnknown) {
		// --fail-on counts only when no policy or coverage gate failed,
		// as the exit-1 message names one kind of failure.
		n, worst := policy.FailOn(&report.Report{Findings: eligible, Secrets: r.Secrets, Misconfigurations: r.Misconfigurations}, g.FailOn, g.FailOnUnknown)
		if n > 0 {
			failures = append(failures, policy.FailOnMessage(g.FailOn, g.FailOnUnknown, n, worst))
		}
	}
	sort.SliceStable(r.Suppressed, func(i, j int) bool {
		a, b := r.Suppressed[i].Finding, r.Suppressed[j].Finding
		if a.VulnerabilityID != b.VulnerabilityID {
			return a.VulnerabilityID < b.VulnerabilityID
		}
		return a.PURL < b.PURL
	})
	r.Policy = pr
	if g.fails() {
		r.Verdict = &report.Verdict{Failed: len(failures) > 0, Message: strings.Join(failures, "; ")}
	}
	r.Summarize()
	return nil
}

// keep drops from r what IgnoreUnfixed and Severities do not keep.
func keep(r *report.Report, g *Gate) {
	if g.IgnoreUnfixed {
		r.Findings = slices.DeleteFunc(r.Findings, func(f report.Finding) bool { return f.Status != report.StatusFixAvailable })
		r.Summarize()
	}
	if len(g.Severities) == 0 {
		return
	}
	drop := func(sev string) bool { return !slices.Contains(g.Severities, strings.ToUpper(sev)) }
	r.Findings = slices.DeleteFunc(r.Findings, func(f report.Finding) bool { return drop(f.Severity) })
	if r.Secrets != nil {
		r.Secrets = slices.DeleteFunc(r.Secrets, func(x report.Secret) bool { return drop(x.Severity) })
	}
	if r.Misconfigurations != nil {
		r.Misconfigurations = slices.DeleteFunc(r.Misconfigurations, func(m report.Misconfiguration) bool { return drop(m.Severity) })
	}
	r.Summarize()
}

// evalPolicy evaluates the policy on the eligible findings and on secrets
// and configuration findings, records the rules in pr and returns the
// fail rules that matched, as "name (count)".
func evalPolicy(ctx context.Context, r *report.Report, g *Gate, eligible []report.Finding, pr *report.PolicyResult, now func() time.Time, note func(string, ...any)) ([]string, error) {
	// Secrets and configuration findings obey the policy too, as
	// findings of packageType "secret" and "config".
	input := append(slices.Clone(eligible), auditAsFindings(r)...)
	matched, err := g.Policy.Eval(ctx, input, policy.Context{Now: now(), BaseImageLayers: g.BaseImageLayers, Layers: r.Target.Layers})
	if err != nil {
		return nil, fmt.Errorf("--policy: %w", err)
	}
	var failed []string
	for i, rule := range g.Policy.Rules {
		rr := report.RuleResult{Name: rule.Name, Action: rule.Action}
		for _, fi := range matched[i] {
			f := input[fi]
			rr.Matched = append(rr.Matched, f.VulnerabilityID+" "+f.PURL)
		}
		pr.Rules = append(pr.Rules, rr)
		if len(rr.Matched) == 0 {
			continue
		}
		kind := "warning"
		if rule.Action == policy.ActionFail {
			kind = "FAIL"
			failed = append(failed, fmt.Sprintf("%s (%d)", rule.Name, len(rr.Matched)))
		}
		for j := range rr.Matched {
			if j == maxRuleLines {
				note("policy: %s: rule %q: ... and %d more (see the report's policy section)", kind, rule.Name, len(rr.Matched)-maxRuleLines)
				break
			}
			f := input[matched[i][j]]
			note("policy: %s: rule %q matched %s in %s %s (%s)", kind, rule.Name, f.VulnerabilityID, f.PackageName, f.PackageVersion, f.PURL)
		}
	}
	return failed, nil
}

// referrerVEX fetches the VEX documents attached to the scanned image: to
// its manifest digest and, for a multi-platform image, to its index digest.
func referrerVEX(ctx context.Context, t report.Target, insecure bool) ([]*vex.Document, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	ropts := []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	var digests []name.Digest
	if t.Kind == "registry" && t.ManifestDigest != "" {
		ref, err := name.ParseReference(target.Parse(t.Ref).Name, opts...)
		if err != nil {
			return nil, err
		}
		digests = append(digests, ref.Context().Digest(t.ManifestDigest))
		if desc, err := remote.Head(ref, append(ropts, remote.WithContext(ctx))...); err == nil && desc.Digest.String() != t.ManifestDigest {
			digests = append(digests, ref.Context().Digest(desc.Digest.String()))
		}
	}
	for _, rd := range t.RepoDigests {
		d, err := name.NewDigest(rd, opts...)
		if err == nil {
			digests = append(digests, d)
		}
	}
	if len(digests) == 0 {
		return nil, fmt.Errorf("the image %s has no registry digest to look referrers up for", t.Ref)
	}
	var docs []*vex.Document
	seen := map[string]bool{}
	for _, d := range digests {
		if seen[d.String()] {
			continue
		}
		seen[d.String()] = true
		ds, err := vex.Referrers(ctx, d, ropts...)
		if err != nil {
			return nil, err
		}
		docs = append(docs, ds...)
	}
	return docs, nil
}

// auditAsFindings presents secrets and configuration findings to the
// policy: the rule or check ID as the finding's ID, its severity, and
// packageType "secret" or "config".
func auditAsFindings(r *report.Report) []report.Finding {
	var out []report.Finding
	for _, s := range r.Secrets {
		out = append(out, s.Finding())
	}
	for _, m := range r.Misconfigurations {
		out = append(out, m.Finding())
	}
	return out
}
