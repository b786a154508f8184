package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/internal/config"
)

func loadConfig(cmd *cobra.Command) (config.Config, error) {
	file, _ := cmd.Flags().GetString("config")
	return config.Load(file, os.Getenv, cmd.Flags())
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Start the sandbox bank (HTTPS, TLS 1.2+) on its embedded defaults",
		Long: `Start the sandbox bank. On first start it generates its PKI, seeds deterministic
fake data, registers a demo partner and writes its credentials into the data folder;
later starts reuse them. Every setting can come from a YAML file, SANDBOX_* environment
variables or the flags below (see the README's configuration table).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			log := newLogger(cfg, os.Stderr)
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			b, err := bank.Start(ctx, cfg, log)
			if err != nil {
				return err
			}
			printBanner(cmd.OutOrStdout(), cfg, b)
			select {
			case <-ctx.Done():
			case err := <-waitCh(b):
				return err
			}
			log.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return b.Close(sctx)
		},
	}
	config.RegisterFlags(cmd.Flags())
	return cmd
}

func waitCh(b *bank.Bank) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- b.Wait() }()
	return ch
}

func printBanner(w io.Writer, cfg config.Config, b *bank.Bank) {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	first := ""
	if b.FirstStart {
		first = " (first start: PKI generated, data seeded, demo partner registered)"
	}
	lines := []string{
		"",
		"JR/T 0185-2020 sandbox bank is up" + first,
		"",
		"  API base URL      " + b.URL + "          (TLS 1.2+; mode: " + cfg.Mode + ")",
		"  API catalogue     " + b.URL + "/docs/apis",
		"  Error catalogue   " + b.URL + "/docs/errors",
		"  Developer manual  " + b.URL + "/docs/manual  (signing, encryption, test vectors; OpenAPI: /docs/openapi.json)",
		"  Magic values      " + b.URL + "/docs/magic-values  (users, amounts, payees for every unhappy path)",
		"  Metrics           " + b.URL + "/metrics  (Bearer admin token)",
		"  TLS CA            " + abs(b.TLSCAFile),
		dashboardLine(b.URL, cfg.Mode),
		"",
		"  Demo partner      App_ID " + b.DemoAppID,
		"  Its credentials   " + abs(b.DemoDir) + "/  (credentials.json, client.crt/key, sign.crt/key, ...)",
		"  Admin token       " + abs(b.AdminTokenFile),
		"  Audit log         " + abs(b.AuditFile) + "  (check: sandbox verify-audit)",
		"",
		"Try it (another terminal):",
		"  ./bin/sandbox call GET /a1/v1/products",
		"  ./bin/sandbox call GET /a1/v1/products/DEP0001",
		"  ./bin/sandbox demo --pause          (a narrated flow for a room, on its own embedded bank)",
		"",
		"or with curl + openssl: see \"Five-minute tour\" in README.md. Ctrl-C stops the bank.",
		"",
	}
	fmt.Fprintln(w, strings.Join(lines, "\n"))
}

// dashboardLine names the request inspector and trainer dashboard (sandbox mode only).
func dashboardLine(url, mode string) string {
	if mode != "sandbox" {
		return "  Dashboard         (sandbox mode only)"
	}
	return "  Dashboard         " + url + "/dashboard  (log in with the admin token: live calls, verification steps, guided flows)"
}
