package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/jr0185/harness/sandbox/internal/payments"
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
(<credentials>/bank-enc.crt). The request is kept under its Idempotency-Key in
<credentials>/payments/: run it again with the same --idempotency-key and the same request
is sent, and the bank replays its stored answer byte for byte (the payment is made once).`,
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
			out := cmd.OutOrStdout()
			if key == "" {
				b := make([]byte, 8)
				if _, err := rand.Read(b); err != nil {
					return err
				}
				key = "cli-" + hex.EncodeToString(b)
			}
			// A retry must send the very request the key was first used with (the sealed
			// payee is random each time): it is kept under the key.
			if !payments.ValidIdempotencyKey(key) {
				return fmt.Errorf("--idempotency-key: use 1 to %d letters, digits, '-', '_', '.' or ':' (what the bank accepts)", payments.MaxIdempotencyKeyLen)
			}
			kept := filepath.Join(dir, "payments", key+".json")
			body, err := os.ReadFile(kept) // #nosec G304 -- the partner's own folder; key is checked above
			switch {
			case err == nil:
				fmt.Fprintf(out, "Idempotency-Key: %s (a retry: the request first sent with this key, from %s)\n", key, kept)
			default:
				if body, err = sealedPayment(dir, amount, payee, name, from, memo); err != nil {
					return err
				}
				if err := os.MkdirAll(filepath.Dir(kept), 0o700); err != nil {
					return err
				}
				if err := os.WriteFile(kept, body, 0o600); err != nil {
					return err
				}
				fmt.Fprintf(out, "Idempotency-Key: %s (retry safely with --idempotency-key %s)\n", key, key)
			}
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

// sealedPayment builds the payment body with the payee sealed to the bank's encryption
// certificate kept in the credential folder.
func sealedPayment(dir, amount, payee, name, from, memo string) ([]byte, error) {
	serial, bankEnc, err := sdk.LoadSM2Cert(filepath.Join(dir, "bank-enc.crt"))
	if err != nil {
		return nil, fmt.Errorf("the bank's encryption certificate: %w", err)
	}
	body, _, err := sdk.SealedPaymentBody(bankEnc, serial, sdk.PaymentOrder{DebitAccountID: from, Amount: amount, PayeeAccount: payee, PayeeName: name, Memo: memo})
	return body, err
}
