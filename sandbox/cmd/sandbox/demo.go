package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/jr0185/harness/sandbox/demo"
)

// demoCmd narrates a whole integration for a room (sandbox/demo).
func demoCmd() *cobra.Command {
	var o demo.Options
	var noColor bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Narrate a full A1 + A2 flow step by step: onboarding, MAC, two-factor consent, token over mTLS, balance, payment, notification, tampered answer, revocation",
		Example: `  sandbox demo                       # starts an embedded sandbox in a temporary folder
  sandbox demo --pause               # waits for Enter between steps
  sandbox demo --url https://127.0.0.1:8443 --data-dir data   # against a running sandbox (its admin token and PKI)`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Out, o.In = cmd.OutOrStdout(), cmd.InOrStdin()
			o.Color = !noColor && os.Getenv("NO_COLOR") == ""
			return demo.Run(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.URL, "url", "", "base URL of a running sandbox (default: start an embedded one)")
	cmd.Flags().StringVar(&o.DataDir, "data-dir", "", "the running sandbox's data folder (with --url)")
	cmd.Flags().BoolVar(&o.Pause, "pause", false, "wait for Enter between steps")
	cmd.Flags().BoolVar(&noColor, "no-color", false, "plain output (also when NO_COLOR is set)")
	cmd.Flags().StringVar(&o.User, "user", "zhangsan", "the test user who logs in and consents")
	return cmd
}
