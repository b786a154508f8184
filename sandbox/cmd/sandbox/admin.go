package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/internal/pki"
)

func certsCmd() *cobra.Command {
	var dataDir string
	var hosts []string
	cmd := &cobra.Command{
		Use:   "certs",
		Short: "Create (if missing) and describe the sandbox PKI: CAs, server, bank signing and encryption certificates",
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := pki.DefaultOptions(filepath.Join(dataDir, "pki"))
			opts.Hosts = append(append([]string{}, pki.DefaultHosts...), hosts...)
			pk, created, err := pki.LoadOrCreateBank(opts)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if created {
				fmt.Fprintln(w, "generated a new sandbox PKI in", opts.Dir)
			}
			row := func(name, file string, serial string, notAfter time.Time) {
				fmt.Fprintf(w, "  %-22s %-40s serial %-34s valid until %s\n", name, file, serial, notAfter.UTC().Format("2006-01-02"))
			}
			row("TLS CA (ECDSA P-256)", pk.Paths.TLSCACert, pki.SerialHex(pk.TLSCA.SerialNumber), pk.TLSCA.NotAfter)
			row("server (TLS)", pk.Paths.ServerCert, pki.SerialHex(pk.ServerCert.SerialNumber), pk.ServerCert.NotAfter)
			row("SM2 CA", pk.Paths.SM2CACert, pki.SerialHex(pk.SM2CA.SerialNumber), pk.SM2CA.NotAfter)
			row("bank signing (SM2)", pk.Paths.SignCert, pk.SignKeySerial(), pk.SignCert.NotAfter)
			row("bank encryption (SM2)", pk.Paths.EncCert, pk.EncKeySerial(), pk.EncCert.NotAfter)
			fmt.Fprintf(w, "\nserver certificate names: %v\n", pk.ServerCert.DNSNames)
			fmt.Fprintln(w, "check with OpenSSL:")
			fmt.Fprintf(w, "  openssl verify -CAfile %s %s\n", pk.Paths.TLSCACert, pk.Paths.ServerCert)
			fmt.Fprintf(w, "  openssl verify -vfyopt distid:1234567812345678 -CAfile %s %s\n", pk.Paths.SM2CACert, pk.Paths.SignCert)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", envOr("SANDBOX_DATA_DIR", "data"), "sandbox data folder")
	cmd.Flags().StringSliceVar(&hosts, "hosts", nil, "extra server certificate names")
	return cmd
}

func verifyAuditCmd() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "verify-audit",
		Short: "Verify the audit log's SM3 hash chain and SM2-signed checkpoints, and that every payment has its audit record; name any edited, deleted or reordered record and any gap",
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, err := bank.VerifyAudit(context.Background(), dataDir)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), rep.String())
			if !rep.Sound() { // the chain intact and every payment recorded (issue 15)
				return errSilent
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", envOr("SANDBOX_DATA_DIR", "data"), "sandbox data folder")
	return cmd
}

// caHTTPClient is an HTTPS client that trusts the CA certificates in caFile (none when
// it cannot be read: the system roots are not used either).
func caHTTPClient(caFile string, timeout time.Duration) *http.Client {
	pool := x509.NewCertPool()
	if ca, err := os.ReadFile(caFile); err == nil {
		pool.AppendCertsFromPEM(ca)
	}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}}}
}

// healthCmd probes /healthz (used by the container health check).
func healthCmd() *cobra.Command {
	var url, caFile string
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Probe the running sandbox's liveness endpoint",
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, err := caHTTPClient(caFile, 3*time.Second).Get(url + "/healthz")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("health: HTTP %d", resp.StatusCode)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "ok")
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "https://127.0.0.1:8443", "sandbox base URL")
	cmd.Flags().StringVar(&caFile, "ca", filepath.Join(envOr("SANDBOX_DATA_DIR", "data"), "pki", "tls-ca.crt"), "TLS CA file")
	return cmd
}
