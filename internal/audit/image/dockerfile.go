package image

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/customs-scanner/customs/internal/audit/secrets"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// maxDockerfile bounds the Dockerfile text linted; the rest is ignored.
const maxDockerfile = 1 << 20

// instruction is one logical Dockerfile instruction.
type instruction struct {
	line int    // first physical line, 1-based
	cmd  string // upper case
	args string // continuation lines joined, heredoc bodies appended
}

var (
	heredoc         = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`<<(-?)["']?([A-Za-z_][A-Za-z0-9_]*)["']?`) })
	argRef          = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}?`) })
	escapeDirective = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^#\s*escape\s*=\s*([\\` + "`" + `])\s*$`) })
	secretArg       = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)(password|passwd|secret|token|api_?key|access_?key|private_?key|credential)`)
	})
)

// parseDockerfile splits a Dockerfile into instructions: comments and
// parser directives dropped, line continuations (the escape character,
// default backslash) joined, heredoc bodies kept with their instruction.
func parseDockerfile(src []byte) []instruction {
	if len(src) > maxDockerfile {
		src = src[:maxDockerfile]
	}
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	escape := "\\"
	var out []instruction
	directives := true
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if directives {
			if m := escapeDirective().FindStringSubmatch(line); m != nil {
				escape = m[1]
				continue
			}
			if !strings.HasPrefix(line, "#") || line == "" {
				directives = false
			}
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		start := i
		text := line
		for strings.HasSuffix(text, escape) && i+1 < len(lines) {
			text = strings.TrimSuffix(text, escape)
			i++
			next := strings.TrimSpace(lines[i])
			for strings.HasPrefix(next, "#") && i+1 < len(lines) { // comments inside a continuation
				i++
				next = strings.TrimSpace(lines[i])
			}
			text += " " + next
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := instruction{line: start + 1, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		for _, m := range heredoc().FindAllStringSubmatch(in.args, 4) {
			var body []string
			for i+1 < len(lines) {
				i++
				l := lines[i]
				if m[1] == "-" {
					l = strings.TrimLeft(l, "\t")
				}
				if strings.TrimRight(l, " \r") == m[2] {
					break
				}
				body = append(body, l)
			}
			in.args += "\n" + strings.Join(body, "\n")
		}
		out = append(out, in)
	}
	return out
}

// stage is one FROM ... section.
type stage struct {
	name        string
	user        string
	userLine    int
	healthcheck bool
	exposes     []instruction
	fromLine    int
}

// LintDockerfile checks a Dockerfile for the classes Check finds in images:
// unpinned or latest base images, a final stage running as root, ADD of a
// remote URL, downloads piped into a shell, secrets in ENV/ARG/RUN, build
// arguments named like secrets, EXPOSE 22 and a missing HEALTHCHECK.
func LintDockerfile(src []byte) []report.Misconfiguration {
	ins := parseDockerfile(src)
	globalArgs := map[string]string{}
	stageNames := map[string]bool{}
	var stages []*stage
	var out []report.Misconfiguration
	add := func(id, title, sev string, in instruction, ev, fix string) {
		out = append(out, report.Misconfiguration{ID: id, Title: title, Severity: sev, Target: "Dockerfile", Evidence: []string{fmt.Sprintf("line %d: %s", in.line, clip(ev))}, Remediation: fix})
	}
	for _, in := range ins {
		var cur *stage
		if len(stages) > 0 {
			cur = stages[len(stages)-1]
		}
		switch in.cmd {
		case "ARG":
			name, def, hasDef := strings.Cut(in.args, "=")
			name = strings.TrimSpace(name)
			if cur == nil && hasDef {
				globalArgs[name] = strings.Trim(strings.TrimSpace(def), `"'`)
			} else if cur == nil {
				globalArgs[name] = ""
			}
			if secretArg().MatchString(name) && !hasDef {
				add(IDDFSecretBuildArg, "Secret passed as a build argument", secrets.SeverityLow, in, "ARG "+name,
					"Build argument values are recorded in the image history (docker history shows them); use RUN --mount=type=secret instead.")
			}
			lintSecrets(&out, in, "ARG "+in.args)
		case "ENV":
			lintSecrets(&out, in, envText(in.args))
		case "FROM":
			st, f := lintFrom(in, globalArgs, stageNames)
			stages = append(stages, st)
			if st.name != "" {
				stageNames[st.name] = true
			}
			out = append(out, f...)
		case "USER":
			if cur != nil {
				cur.user, cur.userLine = in.args, in.line
			}
		case "HEALTHCHECK":
			if cur != nil {
				cur.healthcheck = !strings.EqualFold(strings.TrimSpace(in.args), "NONE")
			}
		case "EXPOSE":
			if cur != nil {
				cur.exposes = append(cur.exposes, in)
			}
		case "ADD":
			if m := addURL().FindStringSubmatch("ADD " + in.args); m != nil && !strings.Contains(in.args, "--checksum=") {
				add(IDDFAddRemoteURL, "ADD fetches a remote URL without a checksum", vulndb.SeverityMedium, in, "ADD "+in.args,
					"Use ADD --checksum=sha256:<digest> <url> <dest>, or download and verify in a RUN step.")
			}
		case "RUN":
			if m := pipeShell().FindString(in.args); m != "" {
				add(IDDFPipeToShell, "Downloaded script piped into a shell", vulndb.SeverityMedium, in, m,
					"Download the script, verify its checksum or signature, then run it; or install from a package repository.")
			}
			lintSecrets(&out, in, in.args)
		}
	}
	if len(stages) == 0 {
		sortFindings(out)
		return out
	}
	final := stages[len(stages)-1]
	last := instruction{line: final.fromLine}
	switch {
	case final.userLine == 0:
		add(IDDFRootUser, "Final stage sets no USER", vulndb.SeverityLow, last, "no USER instruction after this FROM (the base image's user, often root, applies)",
			"Add USER <uid> near the end of the final stage.")
	case isRoot(final.user):
		add(IDDFRootUser, "Final stage runs as root", vulndb.SeverityMedium, instruction{line: final.userLine}, "USER "+final.user,
			"Switch to a non-root user: USER <uid> (numeric, so runAsNonRoot can be verified).")
	}
	for _, e := range final.exposes {
		for _, p := range strings.Fields(e.args) {
			num, proto, _ := strings.Cut(p, "/")
			if num == "22" && (proto == "" || strings.EqualFold(proto, "tcp")) {
				add(IDDFSSHPort, "Exposes SSH port 22", vulndb.SeverityMedium, e, "EXPOSE "+e.args,
					"Do not run sshd in containers; use docker exec / kubectl exec for access.")
			}
		}
	}
	if !final.healthcheck {
		add(IDDFNoHealthcheck, "Final stage has no HEALTHCHECK", vulndb.SeverityLow, last, "no HEALTHCHECK instruction in the final stage",
			"Add a HEALTHCHECK, or rely on orchestrator probes (Kubernetes liveness/readiness).")
	}
	sortFindings(out)
	return out
}

func lintFrom(in instruction, args map[string]string, stageNames map[string]bool) (*stage, []report.Misconfiguration) {
	st := &stage{fromLine: in.line}
	var fields []string
	for _, f := range strings.Fields(in.args) {
		if !strings.HasPrefix(f, "--") {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 {
		return st, nil
	}
	if len(fields) >= 3 && strings.EqualFold(fields[1], "AS") {
		st.name = strings.ToLower(fields[2])
	}
	ref := argRef().ReplaceAllStringFunc(fields[0], func(m string) string {
		sm := argRef().FindStringSubmatch(m)
		if v := args[sm[1]]; v != "" {
			return v
		}
		if sm[2] != "" {
			return sm[2]
		}
		return m
	})
	lower := strings.ToLower(ref)
	if lower == "scratch" || stageNames[lower] {
		return st, nil
	}
	ev := []string{fmt.Sprintf("line %d: FROM %s", in.line, clip(in.args))}
	if ref != fields[0] {
		ev = append(ev, "resolves to "+ref)
	}
	if strings.Contains(ref, "$") {
		return st, []report.Misconfiguration{{ID: IDDFUnpinnedBase, Title: "Base image comes from an unresolved build argument", Severity: vulndb.SeverityLow, Target: "Dockerfile", Evidence: ev,
			Remediation: "Give the ARG a default pinned by digest (image:tag@sha256:...)."}}
	}
	if strings.Contains(ref, "@sha256:") {
		return st, nil
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	_, tag, hasTag := strings.Cut(name, ":")
	if !hasTag || tag == "latest" {
		return st, []report.Misconfiguration{{ID: IDDFLatestBase, Title: "Base image uses the latest tag", Severity: vulndb.SeverityMedium, Target: "Dockerfile", Evidence: ev,
			Remediation: "Pin the base image to a version tag and a digest (FROM image:1.2.3@sha256:...) so builds are reproducible and reviewed."}}
	}
	return st, []report.Misconfiguration{{ID: IDDFUnpinnedBase, Title: "Base image not pinned by digest", Severity: vulndb.SeverityLow, Target: "Dockerfile", Evidence: ev,
		Remediation: "Add the digest (FROM image:tag@sha256:...) and let a bot such as Renovate or Dependabot update it."}}
}

// envText rewrites the legacy "ENV KEY value" form as KEY=value.
func envText(args string) string {
	k, v, ok := strings.Cut(args, " ")
	if ok && !strings.Contains(k, "=") {
		return k + "=" + strings.TrimSpace(v)
	}
	return args
}

func lintSecrets(out *[]report.Misconfiguration, in instruction, text string) {
	for _, m := range secrets.ScanText("Dockerfile", []byte(text)) {
		*out = append(*out, report.Misconfiguration{
			ID: IDDFSecret, Title: fmt.Sprintf("Secret in %s (%s)", in.cmd, m.Rule), Severity: m.Severity, Target: "Dockerfile",
			Evidence:    []string{fmt.Sprintf("line %d: %s", in.line+m.Line-1, m.Snippet)},
			Remediation: "Remove the secret from the Dockerfile and rotate it; pass it with RUN --mount=type=secret at build time or inject it at run time.",
		})
	}
}
