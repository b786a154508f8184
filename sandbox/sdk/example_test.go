package sdk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"

	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
)

// Example is the A2 journey a partner's backend makes with the SDK. The user's part —
// logging in at the bank with password and one-time code, and consenting — happens in
// the user's browser at the URL from AuthorizationURL; the bank then redirects to your
// redirect URI with ?code=...&state=....
func Example() {
	ctx := context.Background()
	cfg, _, err := sdk.LoadDir("data/demo-partner") // credentials.json, client.crt/key, sign.key, ...
	if err != nil {
		log.Fatal(err)
	}
	client, err := sdk.New(cfg) // mutual TLS, SM2 request signing, response verification
	if err != nil {
		log.Fatal(err)
	}

	// 1. Send the user to the bank to consent (PKCE S256 is built in).
	auth, _ := client.AuthorizationURL(sdk.AuthRequest{
		RedirectURI: "https://partner.example/callback",
		Scopes:      []string{"accounts:read", "balances:read"},
		ValidDays:   30,
	})
	fmt.Println("open:", auth.URL)

	// 2. Your redirect URI receives the code; exchange it (an mTLS + SM2-signed call).
	code := "the code from the redirect"
	tok, err := client.ExchangeCode(ctx, code, auth.Verifier, "https://partner.example/callback")
	if err != nil {
		log.Fatal(err) // *sdk.APIError carries the catalogued code, e.g. AUTH_CODE_EXPIRED
	}

	// 3. Call A2 APIs for the user; every response's SM2 signature is verified first.
	user := client.ForUser(tok)
	r, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
	if err != nil {
		log.Fatal(err) // sdk.ErrIntegrity: do not act on the response
	}
	fmt.Println(string(r.Body))

	// 4. A payment: a payment consent (ConsentType "payment", confirmed by the user at
	// the bank with a one-time code), then the payment with an idempotency key and the
	// payee encrypted to the bank's encryption certificate.
	_, bankEnc, _ := sdk.LoadSM2Cert("data/demo-partner/bank-enc.crt")
	payee, _ := json.Marshal(map[string]string{"account": "6217000011112222333", "name": "王小二"})
	env, _ := protocol.Seal(bankEnc, "", payee, []byte("payee"))
	body, _ := json.Marshal(map[string]any{"debit_account_id": "ac_...", "amount": "10.00", "currency": "CNY",
		"payee": map[string]any{"encrypted": env}, "memo": "order 42"})
	paymentToken := tok // in reality: the token from the payment consent
	r, err = client.ForUser(paymentToken).Do(ctx, "POST", "/a2/v1/payments", body,
		http.Header{"Idempotency-Key": {"order-42"}}) // retry with the same key: never pays twice
	if err == nil {
		fmt.Println(r.Status, string(r.Body))
	}
}
