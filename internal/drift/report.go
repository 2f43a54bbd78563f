package drift

import (
	"cmp"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
)

// SchemaVersion is the version of the drift report's JSON (docs/drift.md):
// the minor part grows with added fields, the major part with any other
// change.
const SchemaVersion = "1.0"

// Report is what drifted in a container (or a host) from its image (or
// its last snapshot).
type Report struct {
	SchemaVersion string      `json:"schemaVersion"`
	Tool          report.Tool `json:"tool"`
	CreatedAt     time.Time   `json:"createdAt"`
	Target        Target      `json:"target"`
	Against       Against     `json:"against"`
	// Files are the changed paths not ignored, sorted by path.
	Files    []File       `json:"files"`
	Packages PackageDrift `json:"packages"`
	// Findings are the findings of the target's inventory the image does
	// not have; Resolved those of the image the target no longer has.
	Findings []report.Finding `json:"findings"`
	Resolved []report.Finding `json:"resolvedFindings"`
	// Secrets are the secrets in files the target wrote (nil when the
	// secret scan did not run).
	Secrets []report.Secret `json:"secrets,omitzero"`
	// Drift is every change worth a severity, worst first: the files,
	// packages, findings and secrets above, one item each.
	Drift   []Item  `json:"drift"`
	Summary Summary `json:"summary"`
	// Ignore are the ignore patterns in force; Ignored counts the changed
	// paths they matched.
	Ignore   []string              `json:"ignore"`
	Ignored  int                   `json:"ignored"`
	Warnings []inventory.FileError `json:"warnings,omitempty"`
	Verdict  *report.Verdict       `json:"verdict,omitempty"`
}

// Target is what drifted.
type Target struct {
	// Ref is as the user named it: "docker:web", "dir:/".
	Ref string `json:"ref"`
	// Kind is "container" or "host".
	Kind string `json:"kind"`
	// ID, Name and State of a container.
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	State string `json:"state,omitempty"`
	// Image is the image a container was created from, as it named it.
	Image string `json:"image,omitempty"`
}

// Against is what the target was compared with.
type Against struct {
	Ref string `json:"ref"`
	// Kind is "image" or "snapshot" (a host's last one in the store).
	Kind    string `json:"kind"`
	ImageID string `json:"imageID,omitempty"`
	// Snapshot is the store's snapshot number.
	Snapshot int64 `json:"snapshot,omitempty"`
}

// Entry types.
const (
	TypeFile     = "file"
	TypeDir      = "dir"
	TypeSymlink  = "symlink"
	TypeHardlink = "hardlink"
	TypeOther    = "other"
)

// File is one changed path.
type File struct {
	// Path is absolute ("/etc/passwd").
	Path string `json:"path"`
	// Change is "added", "changed" or "deleted".
	Change string `json:"change"`
	// Type, Mode (octal permission and special bits), Size, Digest
	// ("sha256:<hex>" of a regular file's content) and Linkname are the
	// target's; absent for a deleted path.
	Type     string `json:"type,omitempty"`
	Mode     string `json:"mode,omitempty"`
	Size     int64  `json:"size,omitempty"`
	Digest   string `json:"digest,omitempty"`
	Linkname string `json:"linkname,omitempty"`
	// Image is the same path in the image; absent for an added path.
	Image *ImageFile `json:"image,omitempty"`
	// Owner is the package manager's record of the file, when a package
	// installed it; Integrity then says whether the content matches it:
	// "ok", "mismatch", or "missing" for a deleted file.
	Owner     *Owner `json:"owner,omitempty"`
	Integrity string `json:"integrity,omitempty"`
	// Executable says why the file is one: "elf", "script" (a shebang) or
	// "mode" (an executable bit); only for a new or changed executable.
	Executable string `json:"executable,omitempty"`
	// Sensitive says why the path matters ("accounts", "sudo rights").
	Sensitive string `json:"sensitive,omitempty"`
	// Kind and Severity are the file's drift item's.
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
}

// ImageFile is a path as the image has it. Digest is set when the scan
// read the file's content (the files the extractors read); otherwise Size
// and Mode, and a package's record (File.Owner), say what it was.
type ImageFile struct {
	Type     string `json:"type"`
	Mode     string `json:"mode"`
	Size     int64  `json:"size"`
	Digest   string `json:"digest,omitempty"`
	Linkname string `json:"linkname,omitempty"`
}

// Owner is the package that installed a file and the digest its package
// manager recorded.
type Owner struct {
	Package string `json:"package"`
	// Manager is "dpkg", "apk" or "rpm"; Algorithm "md5" (dpkg, old rpm),
	// "sha1" (apk) or "sha256" (rpm); Digest the recorded one, hex.
	Manager   string `json:"manager"`
	Algorithm string `json:"algorithm"`
	Digest    string `json:"digest"`
}

// PackageDrift is the packages installed, removed and changed.
type PackageDrift struct {
	Added   []Package       `json:"added"`
	Removed []Package       `json:"removed"`
	Changed []PackageChange `json:"changed"`
}

// Package is one package of an inventory.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Type    string `json:"type"`
	PURL    string `json:"purl"`
	Path    string `json:"path,omitempty"`
}

// PackageChange is a package whose version changed.
type PackageChange struct {
	Name string `json:"name"`
	Type string `json:"type"`
	From string `json:"from"`
	To   string `json:"to"`
	PURL string `json:"purl"`
	Path string `json:"path,omitempty"`
}

// Item is one change with its kind and severity.
type Item struct {
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	// Subject is what changed: a path, a package (name@version), a
	// vulnerability ID.
	Subject string `json:"subject"`
	Title   string `json:"title"`
	// Evidence are facts behind it ("content sha256:… ≠ md5 recorded by dpkg for coreutils").
	Evidence []string `json:"evidence,omitempty"`
}

// Summary counts the report.
type Summary struct {
	Files      FileCounts     `json:"files"`
	Packages   FileCounts     `json:"packages"`
	Findings   int            `json:"findings"`
	Secrets    int            `json:"secrets"`
	ByKind     map[string]int `json:"byKind"`
	BySeverity map[string]int `json:"bySeverity"`
}

// FileCounts counts additions, changes and deletions.
type FileCounts struct {
	Added   int `json:"added"`
	Changed int `json:"changed"`
	Deleted int `json:"deleted"`
}

// Record is what the store keeps beside the report (store.Drifts).
func (r *Report) Record() store.DriftRecord {
	return store.DriftRecord{
		TargetKind: r.Target.Kind, TargetRef: r.Target.Ref, TargetID: r.Target.ID, TargetName: r.Target.Name,
		AgainstRef: r.Against.Ref, AgainstKind: r.Against.Kind, AgainstImageID: r.Against.ImageID, AgainstSnapshot: r.Against.Snapshot,
		CreatedAt: r.CreatedAt, Tool: strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version),
		Items: len(r.Drift), BySeverity: maps.Clone(r.Summary.BySeverity), ByKind: maps.Clone(r.Summary.ByKind),
	}
}

// Clean reports whether nothing drifted.
func (r *Report) Clean() bool { return len(r.Drift) == 0 }

func (r *Report) summarize() {
	slices.SortStableFunc(r.Drift, func(a, b Item) int {
		return cmp.Or(severityRank(b.Severity)-severityRank(a.Severity), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Subject, b.Subject))
	})
	s := Summary{ByKind: map[string]int{}, BySeverity: map[string]int{}}
	for _, f := range r.Files {
		switch f.Change {
		case Added:
			s.Files.Added++
		case Changed:
			s.Files.Changed++
		case Deleted:
			s.Files.Deleted++
		}
	}
	s.Packages = FileCounts{Added: len(r.Packages.Added), Changed: len(r.Packages.Changed), Deleted: len(r.Packages.Removed)}
	s.Findings, s.Secrets = len(r.Findings), len(r.Secrets)
	for _, it := range r.Drift {
		s.ByKind[it.Kind]++
		s.BySeverity[it.Severity]++
	}
	r.Summary = s
}

// Scan returns the drift as a scan report, for the encoders of scan
// reports (table, sarif), the gate (scan.Judge) and the store: findings
// the drift brought in as findings, its secrets as secrets, and every
// other item as a misconfiguration whose check ID is "drift/KIND".
func (r *Report) Scan() *report.Report {
	out := &report.Report{
		SchemaVersion: report.SchemaVersion, Tool: r.Tool, CreatedAt: r.CreatedAt,
		Target:   report.Target{Ref: r.Target.Ref, Kind: "drift", ImageID: r.Against.ImageID},
		Packages: []inventory.Package{}, Findings: slices.Clone(r.Findings),
		Secrets: slices.Clone(r.Secrets), Misconfigurations: []report.Misconfiguration{},
		Warnings: r.Warnings,
	}
	if out.Findings == nil {
		out.Findings = []report.Finding{}
	}
	for _, it := range r.Drift {
		if it.Kind == KindVulnerability || it.Kind == KindSecret {
			continue
		}
		ev := it.Evidence
		if ev == nil {
			ev = []string{}
		}
		out.Misconfigurations = append(out.Misconfigurations, report.Misconfiguration{
			ID: "drift/" + it.Kind, Title: it.Title, Severity: it.Severity, Evidence: ev,
			Remediation: remediation(it.Kind), Target: it.Subject, Source: r.Target.Ref, Workload: r.Target.Name,
			Impact: impact(it.Kind),
		})
	}
	out.Summarize()
	return out
}

func remediation(kind string) string {
	switch kind {
	case KindPackageAdded, KindPackageRemoved, KindPackageChanged:
		return "Install packages in the image, not in running containers; rebuild the image and redeploy."
	case KindIntegrity:
		return "A file a package installed was changed: find out who changed it; redeploy from the image and reinstall the package."
	case KindExecutable:
		return "An executable that is not in the image was written: find out where it came from; redeploy from the image, and run with a read-only root filesystem."
	case KindSensitive, KindPreload:
		return "A path that controls access or what runs was changed: investigate; redeploy from the image."
	}
	return "Redeploy from the image; write run-time data to volumes, or add the path to the ignore list (docs/drift.md)."
}

func impact(kind string) string {
	switch kind {
	case KindPreload, KindSensitive, KindIntegrity, KindExecutable:
		return report.ImpactPrivilegeEscalation
	}
	return report.ImpactHardening
}

// perm is a file mode's permission and special bits in octal.
func perm(m fs.FileMode) string {
	v := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return fmt.Sprintf("%04o", v)
}

// entryType names a mode's type.
func entryType(m fs.FileMode, hardlink bool) string {
	switch {
	case hardlink:
		return TypeHardlink
	case m.IsRegular():
		return TypeFile
	case m.IsDir():
		return TypeDir
	case m&fs.ModeSymlink != 0:
		return TypeSymlink
	}
	return TypeOther
}

// abs turns a root-relative path into an absolute one.
func abs(p string) string { return "/" + strings.TrimPrefix(p, "/") }

// Document is the output of one customs drift: a report per container (or
// the host), and what could not be read.
type Document struct {
	SchemaVersion string      `json:"schemaVersion"`
	Tool          report.Tool `json:"tool"`
	CreatedAt     time.Time   `json:"createdAt"`
	// Ref is the target as the user named it ("docker:", "docker:web").
	Ref     string    `json:"ref"`
	Reports []*Report `json:"reports"`
	// Errors say which containers could not be read, and why.
	Errors  []string        `json:"errors,omitempty"`
	Verdict *report.Verdict `json:"verdict,omitempty"`
}

// Scan returns the reports as one scan report (see Report.Scan).
func (d *Document) Scan() *report.Report {
	if len(d.Reports) == 1 {
		return d.Reports[0].Scan()
	}
	out := &report.Report{
		SchemaVersion: report.SchemaVersion, Tool: d.Tool, CreatedAt: d.CreatedAt,
		Target:   report.Target{Ref: d.Ref, Kind: "drift"},
		Packages: []inventory.Package{}, Findings: []report.Finding{}, Misconfigurations: []report.Misconfiguration{},
	}
	for _, r := range d.Reports {
		s := r.Scan()
		out.Findings = append(out.Findings, s.Findings...)
		out.Misconfigurations = append(out.Misconfigurations, s.Misconfigurations...)
		if s.Secrets != nil {
			if out.Secrets == nil {
				out.Secrets = []report.Secret{}
			}
			out.Secrets = append(out.Secrets, s.Secrets...)
		}
		out.Warnings = append(out.Warnings, s.Warnings...)
	}
	out.Summarize()
	return out
}
