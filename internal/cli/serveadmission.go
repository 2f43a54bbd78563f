package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/pflag"

	"github.com/customs-scanner/customs/internal/admission"
	"github.com/customs-scanner/customs/internal/service"
)

// AdmissionConfig is the config file's admission: key (docs/admission.md;
// flags win).
type AdmissionConfig struct {
	// Unknown is allow, warn or deny: what happens to an image the store
	// holds no report of.
	Unknown string `yaml:"unknown"`
	// PSS are PROFILE=MODE settings, as --admission-pss.
	PSS []string `yaml:"pss"`
	// ClientCerts are client certificate names that may call the
	// admission endpoints without a token, as --admission-client-cert.
	ClientCerts []string `yaml:"clientCerts"`
}

// admissionFlags are customs serve's admission flags.
type admissionFlags struct {
	unknown     string
	pss         []string
	clientCerts []string
}

func (f *admissionFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.unknown, "admission-unknown", string(admission.UnknownWarn), "admission of an image the store holds no report of: allow, warn (allow with a warning) or deny; a scan is requested in every mode (config admission.unknown)")
	fl.StringArrayVar(&f.clientCerts, "admission-client-cert", nil, "a client certificate `NAME` (common name or DNS name, verified by --tls-client-ca) that may call the admission endpoints without a token, as scope scan: Gatekeeper presents one and sends no token (repeatable; config admission.clientCerts)")
	fl.StringArrayVar(&f.pss, "admission-pss", nil, "a Pod Security Standards profile's mode at admission, PROFILE=MODE: baseline or restricted, enforce, warn or off (repeatable; default baseline=enforce, restricted=warn; config admission.pss)")
}

// resolve applies the config file to the flags the command line left
// unset and checks them.
func (f *admissionFlags) resolve(fl *pflag.FlagSet, cfg AdmissionConfig) (admission.Unknown, map[string]admission.Mode, error) {
	if !fl.Changed("admission-unknown") && cfg.Unknown != "" {
		f.unknown = cfg.Unknown
	}
	if !fl.Changed("admission-pss") && len(cfg.PSS) > 0 {
		f.pss = cfg.PSS
	}
	if !fl.Changed("admission-client-cert") && len(cfg.ClientCerts) > 0 {
		f.clientCerts = cfg.ClientCerts
	}
	u, err := admission.ParseUnknown(f.unknown)
	if err != nil {
		return "", nil, err
	}
	pss, err := admission.ParsePSS(f.pss)
	if err != nil {
		return "", nil, err
	}
	return u, pss, nil
}

// gateHash identifies the server's gate for admission's verdict cache:
// the settings and the contents of the documents the gate was loaded
// from.
func gateHash(f *serveFlags) string {
	h := sha256.New()
	fmt.Fprintf(h, "fail-on=%s\x00unknown=%t\x00unfixed=%t\x00uncovered=%t\x00", f.failOn, f.failOnUnknown, f.ignoreUnfixed, f.gate.failOnUncovered)
	for _, p := range slices.Concat([]string{f.gate.policyFile, f.gate.ignoreFile, f.gate.baseline}, f.gate.vexFiles) {
		b, _ := os.ReadFile(p)
		sum := sha256.Sum256(b)
		fmt.Fprintf(h, "%s=%x\x00", p, sum)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// newAdmission builds the admission webhook over the service: stored
// reports judged with the server's gate, unknown images queued for a scan
// through the service (deduplicated there), registry HEADs through the
// SSRF guard's transport.
func newAdmission(svc *service.Service, f *serveFlags, unknown admission.Unknown, pss map[string]admission.Mode,
	transport http.RoundTripper, log *slog.Logger) (*admission.Handler, error) {
	cfg := admission.Config{
		Gate:       svc.Gate(),
		PolicyHash: gateHash(f),
		DBBuilt: func(ctx context.Context) (time.Time, error) {
			d, err := svc.DB(ctx)
			return d.Built, err
		},
		Unknown: unknown,
		PSS:     pss,
		Logger:  log,
	}
	if transport != nil {
		cfg.Remote = []remote.Option{remote.WithTransport(transport)}
	}
	enqueue := admission.EnqueueFunc(func(ctx context.Context, ref string) error {
		_, err := svc.Submit(ctx, service.Request{Target: ref, Origin: service.OriginAdmission})
		return err
	})
	return admission.New(cfg, svc.Store(), enqueue)
}

// admissionLog is what customs serve logs about admission at start.
func admissionLog(u admission.Unknown, pss map[string]admission.Mode) []any {
	return []any{"admissionUnknown", string(u), "admissionPSS",
		admission.Baseline + "=" + string(pss[admission.Baseline]) + "," + admission.Restricted + "=" + string(pss[admission.Restricted])}
}
