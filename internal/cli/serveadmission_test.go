package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/customs-scanner/customs/internal/admission"
)

// TestAdmissionConfig: admission.unknown and admission.pss fill the flags
// left unset; a flag wins; bad values are errors.
func TestAdmissionConfig(t *testing.T) {
	for _, tt := range []struct {
		name    string
		args    []string
		cfg     AdmissionConfig
		unknown admission.Unknown
		pss     map[string]admission.Mode
		err     bool
	}{
		{name: "defaults", unknown: admission.UnknownWarn, pss: admission.DefaultPSS()},
		{name: "config", cfg: AdmissionConfig{Unknown: "deny", PSS: []string{"restricted=off"}}, unknown: admission.UnknownDeny,
			pss: map[string]admission.Mode{admission.Baseline: admission.Enforce, admission.Restricted: admission.Off}},
		{name: "flag wins", args: []string{"--admission-unknown", "allow"}, cfg: AdmissionConfig{Unknown: "deny"}, unknown: admission.UnknownAllow,
			pss: admission.DefaultPSS()},
		{name: "bad unknown", cfg: AdmissionConfig{Unknown: "maybe"}, err: true},
		{name: "bad profile", args: []string{"--admission-pss", "strict=enforce"}, err: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var f admissionFlags
			fl := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			f.add(fl)
			if err := fl.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			u, pss, err := f.resolve(fl, tt.cfg)
			if (err != nil) != tt.err {
				t.Fatalf("err %v, want an error: %t", err, tt.err)
			}
			if tt.err {
				return
			}
			if u != tt.unknown {
				t.Errorf("unknown %q, want %q", u, tt.unknown)
			}
			if diff := cmp.Diff(tt.pss, pss); diff != "" {
				t.Errorf("pss (-want +got):\n%s", diff)
			}
		})
	}
}
