package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/jr0185/harness/sandbox/refpartner"
)

// partnerCmd groups the reference partner's commands.
func partnerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "partner",
		Short: "The reference partner (an integration built on the SDK) for the partner-side suite",
	}
	cmd.AddCommand(partnerServeCmd())
	return cmd
}

// partnerServeCmd runs the reference partner's test-mode driver endpoint (the driver
// contract of features/partner/DRIVER.md) until interrupted.
func partnerServeCmd() *cobra.Command {
	var addr, mutant string
	var list bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the reference partner's driver endpoint (HTTP on loopback) and print its URL",
		Long: `Start the reference partner — the bank's SDK used as JR/T 0185-2020 wants a partner to
use it — and serve its test-mode driver endpoint over plain HTTP on a loopback address.
Point the partner-side suite at the printed URL: sandbox conform --partner <URL>.
With --mutant it is the same partner with exactly one behaviour broken (--list-mutants).`,
		Example: `  sandbox partner serve --addr 127.0.0.1:9000
  sandbox partner serve --mutant ignore-signatures
  sandbox partner serve --list-mutants`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			if list {
				for _, m := range refpartner.Mutants() {
					fmt.Fprintf(out, "%-30s %s\n", m.Name, m.Description)
				}
				return nil
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stopSignals()
			url, stop, err := refpartner.Serve(ctx, refpartner.Options{Mutant: mutant}, addr)
			if err != nil {
				return err
			}
			defer stop()
			name := "reference partner"
			if mutant != "" {
				name += " (mutant " + mutant + ")"
			}
			fmt.Fprintf(out, "%s driver: %s\n", name, url)
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:9000", "address of the driver endpoint (loopback; port 0 picks a free one)")
	cmd.Flags().StringVar(&mutant, "mutant", "", "serve this mutant partner instead of the reference (see --list-mutants)")
	cmd.Flags().BoolVar(&list, "list-mutants", false, "list the mutant partners and what each breaks")
	return cmd
}
