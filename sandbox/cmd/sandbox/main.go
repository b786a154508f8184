// Command sandbox is the JR/T 0185-2020 sandbox bank: one binary to serve the bank,
// manage its PKI, call it as a partner and verify its audit log.
package main

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/spf13/cobra"
)

// errSilent exits non-zero after output that already explains the failure.
var errSilent = errors.New("")

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "sandbox",
		Short:         "JR/T 0185-2020 sandbox bank and conformance harness",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), certsCmd(), callCmd(), authorizeCmd(), tokenCmd(), verifyAuditCmd(), healthCmd(),
		conformCmd(), verifyReportCmd(), partnerCmd(), demoCmd(), debugSignatureCmd(), payCmd())
	return root
}

func main() {
	if err := newRoot().Execute(); err != nil {
		if err != errSilent {
			fmt.Fprintln(os.Stderr, "error:", err)
		}
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func sortStrings(s []string) { sort.Strings(s) }
