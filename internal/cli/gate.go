package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/customs-scanner/customs/internal/policy"
	jsonreport "github.com/customs-scanner/customs/internal/report/json"
	"github.com/customs-scanner/customs/internal/scan"
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

// loadGate reads the files the gate flags name into the pipeline's gate;
// scan.Judge applies it.
func loadGate(o gateOptions) (*scan.Gate, error) {
	g := &scan.Gate{VEXReferrers: o.vexReferrers, FailOnUncovered: o.failOnUncovered}
	if o.ignoreFile == "" {
		// The default exceptions file, when the working directory has one.
		if _, err := os.Stat(defaultIgnoreFile); err == nil {
			o.ignoreFile = defaultIgnoreFile
		}
	}
	if o.ignoreFile != "" {
		data, err := readDoc(o.ignoreFile)
		if err == nil {
			g.Exceptions, err = policy.ParseExceptions(o.ignoreFile, data)
		}
		if err != nil {
			return nil, fmt.Errorf("--ignore-file: %w", err)
		}
	}
	if o.policyFile != "" {
		data, err := readDoc(o.policyFile)
		if err == nil {
			g.Policy, err = policy.ParsePolicy(o.policyFile, data)
		}
		if err != nil {
			return nil, fmt.Errorf("--policy: %w", err)
		}
	}
	for _, f := range o.vexFiles {
		data, err := readDoc(f)
		var d *vex.Document
		if err == nil {
			d, err = vex.Parse(f, data)
		}
		if err != nil {
			return nil, fmt.Errorf("--vex: %w", err)
		}
		g.VEX = append(g.VEX, d)
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
		g.Baseline, g.BaselineName = prev, o.baseline
	}
	if o.baselineImage != "" {
		t := target.Parse(o.baselineImage)
		g.BaselineImage = &t
	}
	if o.baseImageLayers < 0 {
		return nil, fmt.Errorf("--base-image-layers %d: want 0 or more", o.baseImageLayers)
	}
	g.BaseImageLayers = o.baseImageLayers
	return g, nil
}

// maxDocSize bounds a gate document read into memory.
const maxDocSize = 64 << 20

// readDoc reads a document a flag names, up to maxDocSize bytes: the
// pipeline takes its contents (policy and vex parse bytes), not its path.
func readDoc(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDocSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxDocSize {
		return nil, fmt.Errorf("%s: file is larger than %d bytes", path, maxDocSize)
	}
	return data, nil
}

// defaultIgnoreFile is read when --ignore-file is not given and the working
// directory has it.
const defaultIgnoreFile = ".customsignore.yaml"
