package report

// Suppression reasons: what removed a finding from Report.Findings.
const (
	SuppressedByVEX       = "vex"
	SuppressedByException = "ignore"
	SuppressedByBaseline  = "baseline"
)

// Suppression is a finding removed from the report's findings, with why.
type Suppression struct {
	// VulnerabilityID, PackageName and PackageVersion repeat the
	// finding's, for scripts that only need to know what was suppressed.
	VulnerabilityID string  `json:"vulnerabilityID"`
	PackageName     string  `json:"packageName"`
	PackageVersion  string  `json:"packageVersion"`
	Finding         Finding `json:"finding"`
	// By is "vex", "ignore" (the exceptions file) or "baseline" (already
	// in --baseline or --baseline-image).
	By string `json:"by"`
	// Reason is the exception's reason or the VEX impact statement.
	Reason string `json:"reason,omitempty"`
	// Owner and Expires (YYYY-MM-DD) come from the exception.
	Owner   string `json:"owner,omitempty"`
	Expires string `json:"expires,omitempty"`
	// Status and Justification come from the VEX statement (OpenVEX terms).
	Status        string `json:"status,omitempty"`
	Justification string `json:"justification,omitempty"`
	// Source is the file the exception or statement came from, with a line
	// or statement reference where known.
	Source string `json:"source,omitempty"`
}

// VEXNote records a VEX statement that annotates a finding without
// removing it.
type VEXNote struct {
	Status          string `json:"status"`
	Justification   string `json:"justification,omitempty"`
	Statement       string `json:"statement,omitempty"`
	ActionStatement string `json:"actionStatement,omitempty"`
	Source          string `json:"source,omitempty"`
}

// PolicyResult is the outcome of the gate.
type PolicyResult struct {
	// Failed is true when a fail rule matched a finding the gate counts.
	Failed bool         `json:"failed"`
	Rules  []RuleResult `json:"rules,omitempty"`
	// ExpiredExceptions are exceptions past their expiry date; they no
	// longer suppress anything.
	ExpiredExceptions []ExpiredException `json:"expiredExceptions,omitempty"`
	// Baseline names the baseline report; BaselineKnown counts findings it
	// already had, which cannot fail the gate.
	Baseline      string `json:"baseline,omitempty"`
	BaselineKnown int    `json:"baselineKnown,omitempty"`
}

// RuleResult is one policy rule and the findings it matched.
type RuleResult struct {
	Name   string `json:"rule"`
	Action string `json:"action"`
	// Matched lists the matched findings as "VULN-ID PURL".
	Matched []string `json:"findings"`
}

// ExpiredException is an exception that stopped applying.
type ExpiredException struct {
	ID      string `json:"id"`
	PURL    string `json:"purl,omitempty"`
	Owner   string `json:"owner,omitempty"`
	Expires string `json:"expires"`
	Source  string `json:"source,omitempty"`
}

// Verdict is whether a scan passes its gates, as every front end decides
// it: the CLI exits 1, an admission webhook denies, when Failed is true.
type Verdict struct {
	Failed bool `json:"failed"`
	// Message says which gates failed and why, in one line ("--fail-on
	// high: 3 findings at or above HIGH (worst CRITICAL)"); "" when none did.
	Message string `json:"message,omitempty"`
}
