package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	rtaudit "github.com/customs-scanner/customs/internal/audit/runtime"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
)

// workloadPlacements turns audited workloads into what the store keeps of them:
// each container with the image it runs (by reference; a reference
// @sha256:… also gives the digest, which the store takes from it).
func workloadPlacements(ws []rtaudit.Workload) []store.Placement {
	var out []store.Placement
	for _, w := range ws {
		for _, c := range w.Containers {
			if c.Image == "" {
				continue
			}
			out = append(out, store.Placement{Runtime: string(w.Format), Source: w.Source, Namespace: w.Namespace,
				Kind: w.Kind, Name: w.Name, Container: c.Name, Image: c.Image})
		}
	}
	return out
}

// recordPlacements records where images run in the store dsn, replacing
// what it held for the same sources, and says so on stderr.
func recordPlacements(cmd *cobra.Command, dsn string, ps []store.Placement) error {
	st, err := backend.Open(cmd.Context(), dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Place(cmd.Context(), ps, time.Now()); err != nil {
		return err
	}
	d, _ := store.ParseDSN(dsn)
	fmt.Fprintf(cmd.ErrOrStderr(), "customs: recorded %d container(s) and the images they run in %s\n", len(ps), d)
	return nil
}
