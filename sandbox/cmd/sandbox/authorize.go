package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jr0185/harness/sandbox/sdk"
)

// Files the demo-partner CLI keeps beside the credentials (git-ignored data folder).
const (
	pendingFile = "pending-authorization.json"
	tokenFile   = "token.json"
)

// demoRedirect is the demo partner's registered redirect URI.
const demoRedirect = "https://partner.example/callback"

type pending struct {
	Verifier    string `json:"verifier"`
	State       string `json:"state"`
	RedirectURI string `json:"redirect_uri"`
}

func demoClient(dataDir, credDir string) (*sdk.Client, string, error) {
	if credDir == "" {
		credDir = filepath.Join(dataDir, "demo-partner")
	}
	cfg, _, err := sdk.LoadDir(credDir)
	if err != nil {
		return nil, "", fmt.Errorf("reading credentials in %s: %w (has the sandbox been started once with `make run`?)", credDir, err)
	}
	c, err := sdk.New(cfg)
	return c, credDir, err
}

// authorizeCmd starts an A2 authorization: it prints the bank URL where the user logs in
// and consents, and keeps the PKCE verifier for `sandbox token`.
func authorizeCmd() *cobra.Command {
	var dataDir, credDir string
	var req sdk.AuthRequest
	var scopes []string
	cmd := &cobra.Command{
		Use:   "authorize",
		Short: "Start an A2 authorization as the demo partner: print the bank's consent URL (PKCE verifier kept for `sandbox token`)",
		Example: `  sandbox authorize --scope accounts:read,balances:read
  sandbox authorize --payment --amount 10.00 --payee-account 6217000011112222333 --payee-name 王小二 --debit-account <your card number>`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, dir, err := demoClient(dataDir, credDir)
			if err != nil {
				return err
			}
			req.RedirectURI, req.Scopes = demoRedirect, scopes
			if req.ConsentType == "payment" && len(scopes) == 0 {
				req.Scopes = []string{"payments:write"}
			}
			auth, err := client.AuthorizationURL(req)
			if err != nil {
				return err
			}
			raw, _ := json.Marshal(pending{Verifier: auth.Verifier, State: auth.State, RedirectURI: demoRedirect})
			if err := os.WriteFile(filepath.Join(dir, pendingFile), raw, 0o600); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintln(w, auth.URL)
			fmt.Fprintln(w, "\nOpen it in a browser, log in (test users: zhangsan / Sandbox#2020; one-time codes at /phone?user=zhangsan),")
			fmt.Fprintf(w, "consent, then copy the code from the address the bank sends you to (%s?code=...)\nand run: sandbox token <code>\n", demoRedirect)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", envOr("SANDBOX_DATA_DIR", "data"), "sandbox data folder")
	cmd.Flags().StringVar(&credDir, "credentials", "", "partner credential folder (default <data-dir>/demo-partner)")
	cmd.Flags().StringSliceVar(&scopes, "scope", []string{"accounts:read", "balances:read", "transactions:read", "limits:read", "holdings:read"}, "scopes to ask for")
	cmd.Flags().IntVar(&req.ValidDays, "valid-days", 30, "validity of an account-information consent")
	payment := cmd.Flags().Bool("payment", false, "ask for a single-use payment consent")
	cmd.Flags().StringVar(&req.Amount, "amount", "", "payment amount in yuan, e.g. 10.00")
	cmd.Flags().StringVar(&req.PayeeAccount, "payee-account", "", "payee account number")
	cmd.Flags().StringVar(&req.PayeeName, "payee-name", "", "payee name")
	cmd.Flags().StringVar(&req.DebitAccount, "debit-account", "", "the payer's account number to preselect")
	cmd.PreRun = func(cmd *cobra.Command, _ []string) {
		if *payment {
			req.ConsentType, req.Currency = "payment", "CNY"
			if !cmd.Flags().Changed("scope") {
				scopes = nil
			}
		}
	}
	return cmd
}

// tokenCmd exchanges the code from the redirect for a certificate-bound token and keeps
// it for `sandbox call` on /a2/ paths.
func tokenCmd() *cobra.Command {
	var dataDir, credDir string
	cmd := &cobra.Command{
		Use:   "token CODE",
		Short: "Exchange the authorization code (from the redirect) for the user's access token, over mTLS with an SM2-signed call",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, dir, err := demoClient(dataDir, credDir)
			if err != nil {
				return err
			}
			raw, err := os.ReadFile(filepath.Join(dir, pendingFile))
			if err != nil {
				return fmt.Errorf("no authorization in progress: run `sandbox authorize` first")
			}
			var p pending
			if err := json.Unmarshal(raw, &p); err != nil {
				return err
			}
			code := strings.TrimSpace(args[0])
			if i := strings.Index(code, "code="); i >= 0 { // the whole redirect URL pasted
				code = strings.SplitN(code[i+5:], "&", 2)[0]
			}
			tok, err := client.ExchangeCode(context.Background(), code, p.Verifier, p.RedirectURI)
			if err != nil {
				return err
			}
			out, _ := json.MarshalIndent(tok, "", "  ") // #nosec G117 -- the demo partner's own token store: a 0600 file in the git-ignored data folder; short-lived, certificate-bound
			if err := os.WriteFile(filepath.Join(dir, tokenFile), out, 0o600); err != nil {
				return err
			}
			_ = os.Remove(filepath.Join(dir, pendingFile))
			next := "sandbox call GET /a2/v1/accounts"
			if strings.Contains(tok.Scope, "payments:write") {
				next = "sandbox pay --amount … --payee-account … --payee-name … --from … (as consented)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token saved (consent %s, scopes %q, expires in %ds); try: %s\n",
				tok.ConsentID, tok.Scope, tok.ExpiresIn, next)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", envOr("SANDBOX_DATA_DIR", "data"), "sandbox data folder")
	cmd.Flags().StringVar(&credDir, "credentials", "", "partner credential folder (default <data-dir>/demo-partner)")
	return cmd
}

// savedToken reads the token kept by `sandbox token`, if any.
func savedToken(dir string) string {
	raw, err := os.ReadFile(filepath.Join(dir, tokenFile))
	if err != nil {
		return ""
	}
	var t sdk.Token
	if json.Unmarshal(raw, &t) != nil {
		return ""
	}
	return t.AccessToken
}
