// Package image audits an image's configuration and file system for risky
// settings: root user, secrets in the config, remote ADD and curl|sh in the
// history, sensitive ports, setuid and world-writable files, caches and
// credential files left behind, a shell in an image that claims to be
// minimal, and (when the Dockerfile is given) the same classes in its
// source plus unpinned base images.
package image

import (
	"fmt"
	"sort"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// Check IDs of the report.Misconfiguration findings, stable across
// releases (policies and exceptions refer to them). "image." checks read the image; "dockerfile." checks read
// the Dockerfile.
const (
	IDRootUser         = "image.root-user"
	IDConfigSecret     = "image.config-secret"
	IDAddRemoteURL     = "image.add-remote-url"
	IDPipeToShell      = "image.pipe-to-shell"
	IDNoHealthcheck    = "image.no-healthcheck"
	IDSensitivePort    = "image.sensitive-port"
	IDSetuidUnexpected = "image.setuid-unexpected"
	IDSetuidKnown      = "image.setuid-known"
	IDWorldWritable    = "image.world-writable"
	IDPackageCache     = "image.package-cache"
	IDCredentialFile   = "image.credential-file"
	IDShellInMinimal   = "image.shell-in-minimal"
	IDPkgMgrInMinimal  = "image.package-manager-in-minimal"
	IDDFLatestBase     = "dockerfile.latest-base"
	IDDFUnpinnedBase   = "dockerfile.unpinned-base"
	IDDFRootUser       = "dockerfile.root-user"
	IDDFAddRemoteURL   = "dockerfile.add-remote-url"
	IDDFPipeToShell    = "dockerfile.pipe-to-shell"
	IDDFSecret         = "dockerfile.secret"
	IDDFSecretBuildArg = "dockerfile.secret-build-arg"
	IDDFSSHPort        = "dockerfile.expose-ssh"
	IDDFNoHealthcheck  = "dockerfile.no-healthcheck"
)

// maxEvidence bounds the evidence lines of one finding.
const maxEvidence = 25

func capEvidence(ev []string) []string {
	if len(ev) <= maxEvidence {
		return ev
	}
	rest := len(ev) - maxEvidence
	return append(ev[:maxEvidence:maxEvidence], fmt.Sprintf("... and %d more", rest))
}

// sortFindings orders by severity (worst first), then ID, then first
// evidence.
func sortFindings(fs []report.Misconfiguration) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		ra, _ := vulndb.SeverityRank(a.Severity)
		rb, _ := vulndb.SeverityRank(b.Severity)
		if ra != rb {
			return ra > rb
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return first(a.Evidence) < first(b.Evidence)
	})
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
