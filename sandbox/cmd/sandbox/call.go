package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
)

// callCmd is a signing client for people: it signs a request with a partner's
// credentials, sends it, prints the response and whether its integrity verified.
func callCmd() *cobra.Command {
	var credDir, dataDir, body, baseURL string
	var headers []string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "call METHOD PATH",
		Short: "Sign and send one API request with the demo partner's (or given) credentials",
		Long: `Sign and send one API request, then print the response and whether the bank's
integrity protection on it (SM2 signature, and the HMAC-SM3 MAC for A1) verified.

Paths under /a1/ are signed with HMAC-SM3 (App_Secret), paths under /a2/ with SM2 and
sent over mutual TLS.`,
		Example: `  sandbox call GET /a1/v1/products
  sandbox call GET '/a1/v1/products?category=deposit&page_size=5'
  sandbox call GET /a1/v1/products/DEP0001 -v`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			method, path := strings.ToUpper(args[0]), args[1]
			if !strings.HasPrefix(path, "/") {
				return fmt.Errorf("PATH must start with '/', e.g. /a1/v1/products")
			}
			if credDir == "" {
				credDir = filepath.Join(dataDir, "demo-partner")
			}
			cfg, _, err := sdk.LoadDir(credDir)
			if err != nil {
				return fmt.Errorf("reading credentials in %s: %w (has the sandbox been started once with `make run`?)", credDir, err)
			}
			if baseURL != "" {
				cfg.BaseURL = baseURL
			}
			client, err := sdk.New(cfg)
			if err != nil {
				return err
			}
			var payload []byte
			if body == "-" {
				payload, err = io.ReadAll(os.Stdin)
			} else if strings.HasPrefix(body, "@") {
				payload, err = os.ReadFile(body[1:])
			} else {
				payload = []byte(body)
			}
			if err != nil {
				return err
			}
			h := http.Header{}
			for _, kv := range headers {
				k, v, ok := strings.Cut(kv, ":")
				if !ok {
					return fmt.Errorf("header %q: want Name: value", kv)
				}
				h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
			if strings.HasPrefix(path, "/a2/") && h.Get(sdk.HeaderAccessToken) == "" {
				if tok := savedToken(credDir); tok != "" { // from `sandbox token`
					h.Set(sdk.HeaderAccessToken, tok)
				}
			}
			out := cmd.OutOrStdout()
			if verbose {
				auth, _ := client.Authorization(method, path, payload)
				fmt.Fprintf(out, "> %s %s%s\n> Authorization: %s\n\n", method, cfg.BaseURL, path, auth)
			}
			return sendAndShow(out, client, method, path, payload, h, verbose)
		},
	}
	cmd.Flags().StringVar(&credDir, "credentials", "", "partner credential folder (default <data-dir>/demo-partner)")
	cmd.Flags().StringVar(&dataDir, "data-dir", envOr("SANDBOX_DATA_DIR", "data"), "sandbox data folder")
	cmd.Flags().StringVar(&baseURL, "url", "", "bank base URL (default: from the credentials)")
	cmd.Flags().StringVarP(&body, "data", "d", "", "request body, @file or - for stdin")
	cmd.Flags().StringArrayVarP(&headers, "header", "H", nil, "extra header 'Name: value' (repeatable)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show the request, all response headers and the verified string")
	return cmd
}

// sendAndShow sends a signed request, prints the answer and whether its integrity
// protection verified; a failed check or an error status exits non-zero.
func sendAndShow(out io.Writer, client *sdk.Client, method, path string, payload []byte, h http.Header, verbose bool) error {
	resp, err := client.Do(context.Background(), method, path, payload, h)
	if resp == nil {
		return err
	}
	printResponse(out, resp, verbose)
	switch {
	case errors.Is(err, sdk.ErrIntegrity):
		fmt.Fprintf(out, "\nintegrity: FAILED — %v\n  do not act on this response (JR/T 0185-2020 9.3.3)\n", err)
		return errSilent
	case err != nil:
		return err
	}
	fmt.Fprintf(out, "\nintegrity: verified — SM2 signature by bank key serial %s", resp.Integrity.Serial)
	if resp.Integrity.MACChecked {
		fmt.Fprint(out, "; HMAC-SM3 MAC verified")
	}
	fmt.Fprintln(out)
	if resp.Status >= 400 {
		return errSilent
	}
	return nil
}

func printResponse(out io.Writer, r *sdk.Response, verbose bool) {
	fmt.Fprintf(out, "HTTP %d %s\n", r.Status, http.StatusText(r.Status))
	keys := []string{protocol.HeaderRequestID, protocol.HeaderUAPIID, "Content-Type", "Idempotent-Replayed", "Retry-After", "Deprecation", "Sunset"}
	if verbose {
		keys = keys[:0]
		for k := range r.Header {
			keys = append(keys, k)
		}
		sortStrings(keys)
	}
	for _, k := range keys {
		if v := r.Header.Get(k); v != "" {
			fmt.Fprintf(out, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintln(out)
	var pretty bytes.Buffer
	if json.Indent(&pretty, r.Body, "", "  ") == nil {
		fmt.Fprintln(out, pretty.String())
	} else {
		fmt.Fprintln(out, string(r.Body))
	}
	if verbose && r.Integrity.StringToVerify != "" {
		fmt.Fprintf(out, "\nstring the signature covers (timestamp\\nnonce\\nbody\\n):\n%q\n", r.Integrity.StringToVerify)
	}
}
