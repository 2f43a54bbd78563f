package cli

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/pflag"

	"github.com/customs-scanner/customs/internal/match"
	"github.com/customs-scanner/customs/internal/policy"
	"github.com/customs-scanner/customs/internal/report"
	jsonreport "github.com/customs-scanner/customs/internal/report/json"
	"github.com/customs-scanner/customs/internal/target"
	"github.com/customs-scanner/customs/internal/vex"
)

// gateOptions are the flags of the gate: what may suppress a finding and
// what fails the scan (docs/policy.md).
type gateOptions struct {
	ignoreFile      string
	policyFile      string
	vexFiles        []string
	baseline        string
	baselineImage   string
	baseImageLayers int
	vexReferrers    bool
	// failOnUncovered fails the gate when the DB holds no advisories for
	// an ecosystem of the inventory (policy.FailUncovered).
	failOnUncovered bool
	// insecure allows plain-HTTP registries for --vex-referrers (scan's --insecure).
	insecure bool

	// scanBaseline scans --baseline-image; the scan command sets it to a
	// scan with the same options. Nil means --baseline-image is refused.
	scanBaseline func(ctx context.Context, ref string) (*report.Report, error)
}

// addGateFlags registers the gate flags on fs.
func addGateFlags(fs *pflag.FlagSet, o *gateOptions) {
	fs.StringVar(&o.ignoreFile, "ignore-file", "", "YAML exceptions file: findings it lists (until their expiry date) are suppressed; see docs/policy.md (default .customsignore.yaml in the working directory, when present)")
	fs.StringVar(&o.policyFile, "policy", "", "YAML policy file of CEL rules; a matching fail rule exits 1, a warn rule prints a warning; see docs/policy.md")
	fs.StringArrayVar(&o.vexFiles, "vex", nil, "VEX document (OpenVEX, CycloneDX VEX or CSAF); not_affected and fixed statements suppress findings (repeatable)")
	fs.StringVar(&o.baseline, "baseline", "", "previous customs JSON report: findings already in it cannot fail the gate")
	fs.StringVar(&o.baselineImage, "baseline-image", "", "image whose findings cannot fail the gate (typically the base image), scanned with the same options")
	fs.BoolVar(&o.vexReferrers, "vex-referrers", false, "also use VEX documents attached to the image in its registry as OCI referrers (OpenVEX, or cosign/in-toto OpenVEX attestations; signatures are not verified)")
	fs.BoolVar(&o.failOnUncovered, "fail-on-uncovered", false, "exit 1 when the DB holds no advisories for an ecosystem of the image's packages (a distribution release, npm, Go...), so they could not be checked")
	fs.IntVar(&o.baseImageLayers, "base-image-layers", 0, "the first N layers of the image are the base image (policy field finding.baseImage)")
}

// gateResult is the outcome of applyGate.
type gateResult struct {
	// Failed is true when a fail rule of --policy matched an eligible finding.
	Failed bool
	// Message summarises a failure, for the exit-1 error.
	Message string
	// Lines are for stderr, one message each, without a trailing newline.
	Lines []string
	// Eligible are the findings that can fail a gate: not suppressed,
	// affecting the image, and not in the baseline. --fail-on counts these.
	Eligible []report.Finding
}

// loadedGate holds the parsed gate inputs.
type loadedGate struct {
	exceptions []policy.Exception
	policy     *policy.Policy
	vex        []*vex.Document
	baseline   *policy.Baseline
}

// checkGate loads every gate file so that a bad one fails before the scan.
func checkGate(o gateOptions) error {
	_, err := loadGate(o)
	return err
}

func loadGate(o gateOptions) (*loadedGate, error) {
	g := &loadedGate{}
	var err error
	if o.ignoreFile == "" {
		// The default exceptions file, when the working directory has one.
		if _, err := os.Stat(defaultIgnoreFile); err == nil {
			o.ignoreFile = defaultIgnoreFile
		}
	}
	if o.ignoreFile != "" {
		if g.exceptions, err = policy.LoadExceptions(o.ignoreFile); err != nil {
			return nil, fmt.Errorf("--ignore-file: %w", err)
		}
	}
	if o.policyFile != "" {
		if g.policy, err = policy.LoadPolicy(o.policyFile); err != nil {
			return nil, fmt.Errorf("--policy: %w", err)
		}
	}
	for _, f := range o.vexFiles {
		d, err := vex.Load(f)
		if err != nil {
			return nil, fmt.Errorf("--vex: %w", err)
		}
		g.vex = append(g.vex, d)
	}
	if o.baseline != "" {
		f, err := os.Open(o.baseline)
		if err != nil {
			return nil, fmt.Errorf("--baseline: %w", err)
		}
		prev, err := jsonreport.Decode(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--baseline %s: %w", o.baseline, err)
		}
		g.baseline = policy.NewBaseline(prev)
	}
	if o.baseImageLayers < 0 {
		return nil, fmt.Errorf("--base-image-layers %d: want 0 or more", o.baseImageLayers)
	}
	return g, nil
}

// defaultIgnoreFile is read when --ignore-file is not given and the working
// directory has it.
const defaultIgnoreFile = ".customsignore.yaml"

// maxRuleLines bounds the findings listed per rule on stderr.
const maxRuleLines = 20

// applyGate applies VEX documents, then exceptions, to r (moving the
// findings they cover to r.Suppressed), then evaluates the policy rules on
// the findings that remain, affect the image and are not in the baseline.
// It fills r.Policy and r.Summary. now is the clock for expiry and ageDays.
func applyGate(ctx context.Context, r *report.Report, o gateOptions, now time.Time) (gateResult, error) {
	var res gateResult
	g, err := loadGate(o)
	if err != nil {
		return res, err
	}
	pr := &report.PolicyResult{}
	if o.vexReferrers {
		docs, err := referrerVEX(ctx, r.Target, o.insecure)
		if err != nil {
			return res, fmt.Errorf("--vex-referrers: %w", err)
		}
		res.Lines = append(res.Lines, fmt.Sprintf("vex: %d documents attached to the image", len(docs)))
		g.vex = append(g.vex, docs...)
	}
	if len(g.vex) > 0 {
		sup, ann := vex.Apply(r, g.vex)
		res.Lines = append(res.Lines, fmt.Sprintf("vex: %d findings suppressed as not_affected or fixed, %d annotated", sup, ann))
	}
	if len(g.exceptions) > 0 {
		before := len(r.Suppressed)
		pr.ExpiredExceptions = policy.ApplyExceptions(r, g.exceptions, now)
		res.Lines = append(res.Lines, fmt.Sprintf("exceptions: %d findings suppressed", len(r.Suppressed)-before))
		for _, e := range pr.ExpiredExceptions {
			who := ""
			if e.Owner != "" {
				who = ", owner " + e.Owner
			}
			res.Lines = append(res.Lines, fmt.Sprintf("warning: exception %s (%s%s) expired on %s and no longer applies", e.ID, e.Source, who, e.Expires))
		}
	}
	if o.baselineImage != "" {
		// Checked here, not in loadGate: the scan command sets the hook
		// only once its scan options are complete, after checkGate ran.
		if o.scanBaseline == nil {
			return res, fmt.Errorf("--baseline-image is not supported by this command")
		}
		base, err := o.scanBaseline(ctx, o.baselineImage)
		if err != nil {
			return res, fmt.Errorf("--baseline-image %s: %w", o.baselineImage, err)
		}
		b := policy.NewBaseline(base)
		if g.baseline != nil {
			b = policy.MergeBaselines(g.baseline, b)
		}
		g.baseline = b
	}
	kept := r.Findings[:0]
	for _, f := range r.Findings {
		if g.baseline.Contains(f) {
			pr.BaselineKnown++
			r.Suppressed = append(r.Suppressed, report.Suppression{Finding: f, By: report.SuppressedByBaseline,
				Reason: "already in the baseline " + strings.TrimSpace(o.baseline+" "+o.baselineImage)})
			continue
		}
		kept = append(kept, f)
		if match.Affects(f.Status) {
			res.Eligible = append(res.Eligible, f)
		}
	}
	r.Findings = kept
	for i := range r.Suppressed {
		s := &r.Suppressed[i]
		s.VulnerabilityID, s.PackageName, s.PackageVersion = s.Finding.VulnerabilityID, s.Finding.PackageName, s.Finding.PackageVersion
	}
	if g.baseline != nil {
		pr.Baseline = strings.TrimSpace(o.baseline + " " + o.baselineImage)
		res.Lines = append(res.Lines, fmt.Sprintf("baseline: %d findings already in %s cannot fail the gate", pr.BaselineKnown, pr.Baseline))
	}
	if g.policy != nil {
		// Secrets and configuration findings obey the policy too, as
		// findings of packageType "secret" and "config".
		input := append(slices.Clone(res.Eligible), auditAsFindings(r)...)
		matched, err := g.policy.Eval(ctx, input, policy.Context{Now: now, BaseImageLayers: o.baseImageLayers, Layers: r.Target.Layers})
		if err != nil {
			return res, fmt.Errorf("--policy: %w", err)
		}
		var failed []string
		for i, rule := range g.policy.Rules {
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
					res.Lines = append(res.Lines, fmt.Sprintf("policy: %s: rule %q: ... and %d more (see the report's policy section)", kind, rule.Name, len(rr.Matched)-maxRuleLines))
					break
				}
				f := input[matched[i][j]]
				res.Lines = append(res.Lines, fmt.Sprintf("policy: %s: rule %q matched %s in %s %s (%s)", kind, rule.Name, f.VulnerabilityID, f.PackageName, f.PackageVersion, f.PURL))
			}
		}
		if len(failed) > 0 {
			pr.Failed, res.Failed = true, true
			res.Message = "--policy: fail rules matched: " + strings.Join(failed, ", ")
		}
	}
	if o.failOnUncovered {
		if msg, failed := policy.FailUncovered(r); failed {
			pr.Failed, res.Failed = true, true
			res.Message = strings.TrimPrefix(res.Message+"; "+msg, "; ")
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
	r.Summarize()
	return res, nil
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
