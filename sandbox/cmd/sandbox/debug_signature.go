package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// debugSignatureCmd: paste a raw HTTP request, get the signature debugger's verdict from
// a running sandbox (POST /admin/v1/debug/signature; keys are looked up there).
func debugSignatureCmd() *cobra.Command {
	var baseURL, dataDir, caFile, tokenFile, file, appID, appSecret string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "debug-signature",
		Short: "Explain why the bank refuses a request's signature or MAC (paste or pipe the raw HTTP request)",
		Long: `Send a raw HTTP request (as printed by curl -v or your HTTP log: request line, headers,
empty line, body) to the running sandbox's signature debugger and print its verdict: the
exact string the bank verifies, its SM3 digest, the key serial and, when the signature does
not verify, the mistake found by re-trying the common ones (distinguishing ID, raw r||s,
re-serialized body, path/query encoding, CRLF or missing final newline, another key or
secret, clock skew, unknown or expired serial). Nothing is sent to the API itself.`,
		Example: `  sandbox debug-signature --file request.txt
  pbpaste | sandbox debug-signature
  sandbox debug-signature --file req.txt --app-id APP... --app-secret "$APP_SECRET"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var raw []byte
			var err error
			if file == "" || file == "-" {
				raw, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<20+1))
			} else {
				raw, err = os.ReadFile(file)
			}
			if err != nil {
				return err
			}
			if tokenFile == "" {
				tokenFile = filepath.Join(dataDir, "admin-token")
			}
			if caFile == "" {
				caFile = filepath.Join(dataDir, "pki", "tls-ca.crt")
			}
			tok, err := os.ReadFile(tokenFile)
			if err != nil {
				return fmt.Errorf("reading the admin token: %w (--admin-token-file)", err)
			}
			if appSecret == "" {
				appSecret = os.Getenv("APP_SECRET")
			}
			payload, _ := json.Marshal(map[string]string{"request": string(raw), "app_id": appID, "app_secret": appSecret})
			req, err := http.NewRequest("POST", strings.TrimRight(baseURL, "/")+"/admin/v1/debug/signature", bytes.NewReader(payload))
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
			req.Header.Set("Content-Type", "application/json")
			resp, err := caHTTPClient(caFile, 20*time.Second).Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			out := cmd.OutOrStdout()
			if resp.StatusCode != 200 {
				fmt.Fprintf(out, "HTTP %d\n%s\n", resp.StatusCode, body)
				if resp.StatusCode == 404 {
					fmt.Fprintln(out, "(the debugger exists in sandbox mode only)")
				}
				return errSilent
			}
			if asJSON {
				fmt.Fprintln(out, string(body))
			} else if err := printVerdict(out, body); err != nil {
				return err
			}
			var v struct {
				Verdict struct {
					Valid bool `json:"valid"`
				} `json:"verdict"`
			}
			_ = json.Unmarshal(body, &v)
			if !v.Verdict.Valid {
				return errSilent
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "file holding the raw HTTP request (default: standard input)")
	cmd.Flags().StringVar(&appID, "app-id", "", "App_ID whose keys to use (default: the one the Authorization header names)")
	cmd.Flags().StringVar(&appSecret, "app-secret", "", "App_Secret (A1; optional, default $APP_SECRET): lets the debugger spot a MAC keyed with the secret itself")
	cmd.Flags().StringVar(&baseURL, "url", "https://127.0.0.1:8443", "sandbox base URL")
	cmd.Flags().StringVar(&dataDir, "data-dir", envOr("SANDBOX_DATA_DIR", "data"), "sandbox data folder (admin token and CA)")
	cmd.Flags().StringVar(&caFile, "ca", "", "TLS CA file (default <data-dir>/pki/tls-ca.crt)")
	cmd.Flags().StringVar(&tokenFile, "admin-token-file", "", "admin token file (default <data-dir>/admin-token)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the verdict as JSON")
	return cmd
}

// printVerdict renders the debugger's verdict for people.
func printVerdict(out io.Writer, body []byte) error {
	var r struct {
		Verdict struct {
			Valid               bool     `json:"valid"`
			SignatureValid      bool     `json:"signature_valid"`
			Scheme              string   `json:"scheme"`
			AppID               string   `json:"app_id"`
			Serial              string   `json:"serial"`
			StringToSignEscaped string   `json:"string_to_sign_escaped"`
			StringToSignSM3     string   `json:"string_to_sign_sm3"`
			ValidSerials        []string `json:"valid_serials"`
			Tried               []string `json:"tried"`
			Diagnosis           struct {
				Code, Message, Fix  string
				SignedStringEscaped string `json:"signed_string_escaped"`
			} `json:"diagnosis"`
		} `json:"verdict"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("unexpected answer: %s", body)
	}
	v := r.Verdict
	verdict := "REFUSED"
	if v.Valid {
		verdict = "ACCEPTED"
	}
	fmt.Fprintf(out, "verdict:        %s (%s)\n", verdict, v.Diagnosis.Code)
	fmt.Fprintf(out, "scheme:         %s\napp_id:         %s\nkey serial:     %s (valid: %s)\n", v.Scheme, v.AppID, v.Serial, strings.Join(v.ValidSerials, ", "))
	fmt.Fprintf(out, "string to sign: %s\nits SM3:        %s\n", v.StringToSignEscaped, v.StringToSignSM3)
	if v.Diagnosis.SignedStringEscaped != "" {
		fmt.Fprintf(out, "you signed:     %s\n", v.Diagnosis.SignedStringEscaped)
	}
	fmt.Fprintf(out, "diagnosis:      %s\nfix:            %s\n", v.Diagnosis.Message, v.Diagnosis.Fix)
	if len(v.Tried) > 0 {
		fmt.Fprintf(out, "tried:          %s\n", strings.Join(v.Tried, "; "))
	}
	return nil
}
