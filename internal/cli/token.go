package cli

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/server/auth"
	"github.com/customs-scanner/customs/internal/store"
)

func newTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage the API tokens of customs serve",
		Long: `Create, list and revoke the API tokens customs serve and its Harbor and admission
endpoints accept (docs/serve.md, "Security"). The store keeps a token's ID, name, scope and
hash, never the token: it is printed once, by token create.`,
	}
	cmd.AddCommand(newTokenCreateCmd(g), newTokenListCmd(g), newTokenRevokeCmd(g))
	return cmd
}

func newTokenCreateCmd(g *globals) *cobra.Command {
	var scope, name string
	cmd := &cobra.Command{
		Use:   "create --scope read|scan|admin [--name NAME] --store DSN",
		Short: "Create a token and print it, once",
		Long: `Create an API token and print it on standard output; it cannot be shown again (the store
keeps only its hash). Scopes: read (results, reports, exposure), scan (also asks for scans
and admission decisions), admin (also subscriptions). Send it as "Authorization: Bearer
TOKEN"; Harbor may send it as its scanner's Bearer, Basic (as the password) or
X-ScannerAdapter-API-Key credential.`,
		Example: `  customs token create --scope scan --name ci --store postgres://customs@db/customs
  customs token create --scope read --name harbor --store customs-store.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sc, err := auth.ParseScope(scope)
			if err != nil {
				return fmt.Errorf("--scope: %w", err)
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			tok, rec, err := auth.Generate(name, sc, time.Now())
			if err != nil {
				return err
			}
			if err := st.CreateToken(cmd.Context(), rec); err != nil {
				return err
			}
			if _, err := fmt.Fprintln(cmd.OutOrStdout(), tok); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "customs: created token %s (%s, scope %s); it is shown once: keep it now\n", rec.ID, dash(rec.Name), rec.Scope)
			return nil
		},
	}
	cmd.Flags().StringVar(&scope, "scope", "", "what the token may do: `read`, scan or admin (required)")
	cmd.Flags().StringVar(&name, "name", "", "a name saying who holds the token, shown in lists and the audit log")
	cmd.MarkFlagRequired("scope")
	return cmd
}

// tokensDoc is customs token list -o json.
type tokensDoc struct {
	SchemaVersion int           `json:"schemaVersion"`
	Tokens        []store.Token `json:"tokens"`
}

func newTokenListCmd(g *globals) *cobra.Command {
	var out *outputFlags
	cmd := &cobra.Command{
		Use:   "list --store DSN",
		Short: "List the tokens: ID, name, scope, creation, last use, revocation",
		Long: `List every API token of the store, revoked ones too, oldest first. The last use is
recorded at most once a minute per serving process.
Output: -o table (default), json or csv.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			outs, err := out.parse()
			if err != nil {
				return err
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			toks, err := st.Tokens(cmd.Context())
			if err != nil {
				return err
			}
			return writeStoreOutputs(cmd.OutOrStdout(), outs, tokensDoc{SchemaVersion: storeSchemaVersion, Tokens: toks},
				func(w io.Writer) error { return tokensCSV(w, toks) },
				func(w io.Writer) error { return tokensTable(w, toks) })
		},
	}
	out = addOutputFlags(cmd.Flags(), "token list", storeFormats)
	return cmd
}

func tokensTable(w io.Writer, toks []store.Token) error {
	if len(toks) == 0 {
		_, err := fmt.Fprintln(w, "no token: create one with customs token create --scope read|scan|admin")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tCREATED\tLAST USED\tREVOKED")
	for _, t := range toks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, dash(t.Name), t.Scope, stamp(t.CreatedAt), stamp(t.LastUsed), stamp(t.RevokedAt))
	}
	return tw.Flush()
}

func tokensCSV(w io.Writer, toks []store.Token) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "name", "scope", "createdAt", "lastUsed", "revokedAt"})
	for _, t := range toks {
		cw.Write([]string{t.ID, t.Name, t.Scope, csvTime(t.CreatedAt), csvTime(t.LastUsed), csvTime(t.RevokedAt)})
	}
	cw.Flush()
	return cw.Error()
}

func newTokenRevokeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID... --store DSN",
		Short: "Revoke tokens by their ID",
		Long: `Revoke the tokens with the given IDs (the ID column of token list, or the part of a
token after "customs_" up to the next "_"). A running server refuses a revoked token
within 10 seconds.`,
		Example: `  customs token revoke 3f9a0c1d2e4b5a67 --store customs-store.db`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			now := time.Now()
			var errs []error
			for _, id := range args {
				if tid, ok := auth.ID(id); ok {
					id = tid // a whole token names its ID
				}
				if err := st.RevokeToken(cmd.Context(), id, now); err != nil {
					if errors.Is(err, store.ErrNoToken) {
						err = fmt.Errorf("token %s: no such token; token list shows the IDs", id)
					}
					errs = append(errs, err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked token %s\n", id)
			}
			return errors.Join(errs...)
		},
	}
}
