package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
)

// payCmd makes an A2 payment as the demo partner with the payment token saved by
// `sandbox token`: the payee (account number and name) sealed to the bank's encryption
// certificate (JR/T 0185-2020 7.2.2/3), an Idempotency-Key, an SM2-signed request over
// mutual TLS, and the bank's signed answer verified.
func payCmd() *cobra.Command {
	var dataDir, credDir, amount, payee, name, from, key, memo string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "pay",
		Short: "Make an A2 payment as the demo partner (payee sealed to the bank's key, Idempotency-Key, SM2 over mTLS)",
		Long: `Make the payment the user consented to: first 'sandbox authorize --payment' with the same
amount, payee and debit account, the user's approval with a one-time code at the bank, and
'sandbox token <redirect>'. The payee is sealed to the bank's encryption certificate
(<credentials>/bank-enc.crt). Run it again with the same --idempotency-key to see the
stored answer replayed byte for byte (the payment is made once).`,
		Example: `  sandbox pay --amount 10.00 --payee-account 6222000000000000020 --payee-name 赵六 --from ac_…`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, dir, err := demoClient(dataDir, credDir)
			if err != nil {
				return err
			}
			tok := savedToken(dir)
			if tok == "" {
				return fmt.Errorf("no saved token: run `sandbox authorize --payment ...` and `sandbox token <redirect>` first")
			}
			serial, bankEnc, err := sdk.LoadSM2Cert(filepath.Join(dir, "bank-enc.crt"))
			if err != nil {
				return fmt.Errorf("the bank's encryption certificate: %w", err)
			}
			details, err := json.Marshal(map[string]string{"account": payee, "name": name})
			if err != nil {
				return err
			}
			env, err := protocol.Seal(bankEnc, serial, details, []byte("payee"))
			if err != nil {
				return err
			}
			body, err := json.Marshal(map[string]any{"debit_account_id": from, "amount": amount, "currency": "CNY",
				"payee": map[string]any{"encrypted": env}, "memo": memo})
			if err != nil {
				return err
			}
			if key == "" {
				b := make([]byte, 8)
				if _, err := rand.Read(b); err != nil {
					return err
				}
				key = "cli-" + hex.EncodeToString(b)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Idempotency-Key: %s (pass --idempotency-key %s to retry this payment safely)\n", key, key)
			h := http.Header{sdk.HeaderAccessToken: {tok}, "Idempotency-Key": {key}}
			return sendAndShow(out, client, http.MethodPost, "/a2/v1/payments", body, h, verbose)
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data-dir", envOr("SANDBOX_DATA_DIR", "data"), "sandbox data folder")
	f.StringVar(&credDir, "credentials", "", "partner credential folder (default <data-dir>/demo-partner)")
	f.StringVar(&amount, "amount", "", "amount in yuan, e.g. 10.00 (as consented)")
	f.StringVar(&payee, "payee-account", "", "payee account number (as consented)")
	f.StringVar(&name, "payee-name", "", "payee name (as consented)")
	f.StringVar(&from, "from", "", "the payer's account id (account_id from GET /a2/v1/accounts, as consented)")
	f.StringVar(&key, "idempotency-key", "", "Idempotency-Key (default: a new random one)")
	f.StringVar(&memo, "memo", "sandbox pay", "memo")
	f.BoolVarP(&verbose, "verbose", "v", false, "show all response headers and the verified string")
	for _, n := range []string{"amount", "payee-account", "payee-name", "from"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}
