package report

// Secret is a secret found in a layer's file or in the image config. The
// match is always redacted.
type Secret struct {
	Rule     string `json:"ruleID"`
	Severity string `json:"severity"`
	// Source is "file", "env", "label" or "history".
	Source    string `json:"source"`
	Layer     string `json:"layer,omitempty"`
	CreatedBy string `json:"createdBy,omitempty"`
	// Path is the file, or the config field ("Env[2]").
	Path  string `json:"path"`
	Line  int    `json:"line,omitempty"`
	Match string `json:"match"`
	// StillPresent is false when a later layer deleted or overwrote the
	// file: the secret is then only in the image's history, and still in
	// its layer tarball.
	StillPresent bool `json:"presentInFinalImage"`
}

// Finding presents the secret as a finding of package type "secret" (its
// rule the ID, its file the package), as the gate, the ignore file and
// suppressed[] see it.
func (s Secret) Finding() Finding {
	return Finding{VulnerabilityID: s.Rule, Aliases: []string{}, Severity: s.Severity, PackageType: "secret",
		PackageName: s.Path, Path: s.Path, Layer: s.Layer, CreatedBy: s.CreatedBy, Status: StatusAffected}
}

// SecretStats counts the files the secret scan read and skipped.
type SecretStats struct {
	Scanned         int64 `json:"scanned"`
	SkippedTooLarge int64 `json:"skippedTooLarge"`
	SkippedBinary   int64 `json:"skippedBinary"`
}

// ImageFacts are what the configuration check learned about the image that
// matters to how it is run (customs audit --image joins them with a
// workload's settings).
type ImageFacts struct {
	User              string `json:"user"`
	RunsAsRoot        bool   `json:"runsAsRoot"`
	HasShell          bool   `json:"hasShell"`
	HasPackageManager bool   `json:"hasPackageManager"`
	HasDockerCLI      bool   `json:"hasDockerCLI"`
}
