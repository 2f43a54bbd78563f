// Package template renders a report through a user's Go text/template
// (https://pkg.go.dev/text/template). The template sees the *report.Report
// (fields as in docs/report-schema.md, Go names: .Target.Ref, .Findings,
// .Packages, ...) and these functions besides the built-ins:
//
//	join LIST SEP         strings.Join
//	upper, lower, trim    strings.ToUpper, ToLower, TrimSpace
//	severity S            a severity normalised to upper case (UNKNOWN when empty)
//	atLeast SEV FINDINGS  the findings at or above a severity ("high")
//	fixable FINDINGS      the findings with a fixed version
//	bySeverity FINDINGS   a copy sorted worst first
//	short DIGEST          the first 12 hex digits of a digest
//	json VALUE            VALUE as compact JSON
//	default DEF VALUE     VALUE, or DEF when VALUE is empty
package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"text/template"

	"github.com/customs-scanner/customs/internal/report"
)

// maxTemplate bounds a template file.
const maxTemplate = 1 << 20

// Encoder executes a parsed template.
type Encoder struct {
	tmpl *template.Template
}

// Parse parses template text.
func Parse(text string) (*Encoder, error) {
	t, err := template.New("report").Option("missingkey=error").Funcs(Funcs()).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	return &Encoder{tmpl: t}, nil
}

// Load reads --template's value: the contents of the file it names when
// there is one, else the value itself as template text. A value starting
// with "@" always names a file.
func Load(spec string) (*Encoder, error) {
	if spec == "" {
		return nil, errors.New("template: empty; give --template FILE or --template TEXT")
	}
	path, forced := strings.CutPrefix(spec, "@")
	if !forced && (strings.Contains(spec, "{{") || strings.Contains(spec, "\n")) {
		return Parse(spec)
	}
	f, err := os.Open(path)
	if err != nil {
		if !forced && errors.Is(err, fs.ErrNotExist) {
			return Parse(spec)
		}
		return nil, fmt.Errorf("read template %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTemplate+1))
	if err != nil {
		return nil, fmt.Errorf("read template %s: %w", path, err)
	}
	if len(data) > maxTemplate {
		return nil, fmt.Errorf("read template %s: larger than %d bytes", path, maxTemplate)
	}
	e, err := Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// Encode executes the template on r and writes the result to w only when
// execution succeeds.
func (e *Encoder) Encode(w io.Writer, r *report.Report) error {
	if e == nil || e.tmpl == nil {
		return errors.New("template: none given; use --template FILE|TEXT")
	}
	var b bytes.Buffer
	if err := e.tmpl.Execute(&b, r); err != nil {
		return fmt.Errorf("execute template: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

var severities = []string{"UNKNOWN", "NEGLIGIBLE", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

func rank(s string) int { return slices.Index(severities, severity(s)) }

func severity(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if !slices.Contains(severities, s) {
		return "UNKNOWN"
	}
	return s
}

// Funcs returns the functions templates may call (see the package doc).
func Funcs() template.FuncMap {
	return template.FuncMap{
		"join":     strings.Join,
		"upper":    strings.ToUpper,
		"lower":    strings.ToLower,
		"trim":     strings.TrimSpace,
		"severity": severity,
		"atLeast": func(min string, fs []report.Finding) ([]report.Finding, error) {
			m := strings.ToUpper(strings.TrimSpace(min))
			if !slices.Contains(severities, m) {
				return nil, fmt.Errorf("atLeast %q: want one of %s", min, strings.ToLower(strings.Join(severities, ", ")))
			}
			var out []report.Finding
			for _, f := range fs {
				if rank(f.Severity) >= rank(m) {
					out = append(out, f)
				}
			}
			return out, nil
		},
		"fixable": func(fs []report.Finding) []report.Finding {
			var out []report.Finding
			for _, f := range fs {
				if f.FixedVersion != "" && f.Status != report.StatusNotAffected {
					out = append(out, f)
				}
			}
			return out
		},
		"bySeverity": func(fs []report.Finding) []report.Finding {
			out := slices.Clone(fs)
			slices.SortStableFunc(out, func(a, b report.Finding) int {
				if c := rank(b.Severity) - rank(a.Severity); c != 0 {
					return c
				}
				return strings.Compare(a.VulnerabilityID, b.VulnerabilityID)
			})
			return out
		},
		"short": report.ShortDigest,
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"default": func(def string, v any) any {
			switch x := v.(type) {
			case nil:
				return def
			case string:
				if x == "" {
					return def
				}
			}
			return v
		},
	}
}
