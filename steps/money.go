package steps

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"
	"github.com/tjfoc/gmsm/sm2"
)

// Steps of area A2 account data and payments: payment consents, payments with the payee
// sealed to the bank's encryption certificate, idempotent retries, the operator's limits
// and risk decisions, and a notification receiver. Everything goes over the wire, as the
// README documents it.

func init() { registrars = append(registrars, registerMoney) }

// Published constants of the wire contract (README "The wire contract").
const (
	payeeAAD    = "payee"            // aad of the payee envelope
	holdingsAAD = "a2.holdings.list" // aad of the holdings envelope
	paymentsURI = "/a2/v1/payments"
)

// moneyFullNumberRE finds a 13- to 19-digit run standing alone (not inside an id such as
// ac_0123...): a full card or account number.
var moneyFullNumberRE = regexp.MustCompile(`(?:^|[^0-9A-Za-z_])(\d{13,19})(?:[^0-9A-Za-z_]|$)`)

func registerMoney(sc *godog.ScenarioContext) {
	sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
		if r := receiverOf(W(ctx)).r; r != nil {
			_ = r.srv.Close()
		}
		return ctx, err
	})
	sc.Step(`^an A2 app with a notification receiver$`, anAppWithReceiver)
	sc.Step(`^"(\w+)" has consented to pay "([^"]+)" to "([^"]+)" named "([^"]+)" from "([^"]+)"$`, consentToPay)
	sc.Step(`^the app pays "([^"]+)" to "([^"]+)" named "([^"]+)" from "([^"]+)" for "(\w+)"$`,
		func(ctx context.Context, amount, payee, name, from, user string) error {
			return pay(ctx, amount, payee, name, from, user, true)
		})
	sc.Step(`^the app pays "([^"]+)" to "([^"]+)" named "([^"]+)" from "([^"]+)" for "(\w+)" with the payee in clear$`,
		func(ctx context.Context, amount, payee, name, from, user string) error {
			return pay(ctx, amount, payee, name, from, user, false)
		})
	sc.Step(`^the app retries the payment with the same Idempotency-Key$`, func(ctx context.Context) error {
		return retryPayment(ctx, nil)
	})
	sc.Step(`^the app retries the payment with the same Idempotency-Key and memo "([^"]*)"$`, func(ctx context.Context, memo string) error {
		return retryPayment(ctx, &memo)
	})
	sc.Step(`^the answer is the first payment answer byte for byte$`, sameAsFirstPayment)
	sc.Step(`^the app queries the payment$`, func(ctx context.Context) error {
		return call(ctx, "the app", "GET", paymentsURI+"/{payment.id}", nil, FaultNone, "")
	})
	sc.Step(`^the answer shows no full account number$`, func(ctx context.Context) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		if m := moneyFullNumberRE.FindSubmatch(x.Body); m != nil {
			return fmt.Errorf("the answer carries a full account number %s…: %s", m[1][:6], clip(string(x.Body), 300))
		}
		return nil
	})
	sc.Step(`^the answer decrypts with the app's encryption key to the holdings of "(\w+)"'s consented accounts$`, holdingsDecrypt)
	sc.Step(`^the operator sets the app's payment limits:$`, func(ctx context.Context, body *godog.DocString) error {
		w := W(ctx)
		a, err := w.App("the app")
		if err != nil {
			return err
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(body.Content), &v); err != nil {
			return fmt.Errorf("payment limits: %w", err)
		}
		out, err := w.Env.adminOK(ctx, "PUT", "/admin/v1/apps/"+a.ID+"/payment-limits", v, 200)
		w.Note("payment limits of %s: %v", a.ID, out)
		return err
	})
	sc.Step(`^the operator (approves|rejects) the payment$`, func(ctx context.Context, decision string) error {
		w := W(ctx)
		id, ok := w.Vars["payment.id"]
		if !ok {
			return errors.New("no payment was created in this scenario")
		}
		verb := map[string]string{"approves": "approve", "rejects": "reject"}[decision]
		out, err := w.Env.adminOK(ctx, "POST", "/admin/v1/payments/"+id+"/"+verb,
			map[string]any{"reviewer": "conformance suite", "note": "risk decision by the conformance suite"}, 200)
		w.Note("operator %s %s: %v", verb, id, out)
		return err
	})
	sc.Step(`^the bank raised an? "([a-z_]+)" alarm naming the payment$`, alarmNamesPayment)
	sc.Step(`^the bank's audit log records the operator's decision to (approve|reject) the payment$`, auditedDecision)
	sc.Step(`^the app receives a signed notification that the payment is "([a-z_]+)"$`, signedNotification)
	sc.Step(`^the published catalogue offers one interface that moves funds, acting for the consenting user$`, catalogueMovesFundsOnce)
}

// ---- payment consent and payment

// consentToPay plays the user through a payment consent (amount, payee, debit account,
// confirmed with a one-time code) and keeps its token apart from the user's
// account-information token.
func consentToPay(ctx context.Context, user, amount, payee, name, from string) error {
	w := W(ctx)
	from, err := w.Expand(from)
	if err != nil {
		return err
	}
	prev, had := w.Tokens[user]
	err = consentAndToken(ctx, user, ConsentRequest{Scopes: []string{"payments:write"}, Payment: true, Amount: amount,
		PayeeAccount: payee, PayeeName: name, DebitAccount: from})
	if err != nil {
		return err
	}
	w.Tokens["pay:"+user] = w.Tokens[user]
	if had {
		w.Tokens[user] = prev
	} else {
		delete(w.Tokens, user)
	}
	return nil
}

// bankEncKey returns the bank's published encryption key (/pki/bank-enc.crt) and its
// serial, fetched once per run: the encryption certificate is not rotated.
func (e *Env) bankEncKey(ctx context.Context) (*sm2.PublicKey, string, error) {
	e.mu.Lock()
	k, serial := e.encKey, e.encSerial
	e.mu.Unlock()
	if k != nil {
		return k, serial, nil
	}
	certs, err := publishedCerts(ctx, e, "/pki/bank-enc.crt")
	if err != nil {
		return nil, "", err
	}
	ec, ok := certs[0].PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, "", fmt.Errorf("bank encryption certificate holds a %T", certs[0].PublicKey)
	}
	k, serial = tjPub(ec), serialHex(certs[0].SerialNumber.Bytes())
	e.mu.Lock()
	defer e.mu.Unlock()
	e.encKey, e.encSerial = k, serial
	return k, serial, nil
}

// pay sends POST /a2/v1/payments with a new Idempotency-Key, the payee sealed to the
// bank's encryption certificate (or, sealed false, in clear), with the user's payment
// token. A created payment's id becomes {payment.id}.
func pay(ctx context.Context, amount, payee, name, from, user string, sealed bool) error {
	w := W(ctx)
	from, err := w.Expand(from)
	if err != nil {
		return err
	}
	details := map[string]string{"account": payee, "name": name}
	var payeeField any = details
	if sealed {
		pub, serial, err := w.Env.bankEncKey(ctx)
		if err != nil {
			return err
		}
		env, err := seal(pub, serial, jsonBody(details), []byte(payeeAAD))
		if err != nil {
			return err
		}
		payeeField = map[string]any{"encrypted": env}
	}
	body := jsonBody(map[string]any{"debit_account_id": from, "amount": amount, "currency": "CNY", "payee": payeeField,
		"memo": "conformance"})
	key := "conf-" + randomNonce()
	w.Vars["idempotency.key"] = key
	return sendPayment(ctx, user, body, key)
}

func sendPayment(ctx context.Context, user string, body []byte, key string) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	tok, ok := w.Tokens["pay:"+user]
	if !ok {
		return fmt.Errorf("%s has not consented to a payment in this scenario", user)
	}
	x, err := w.Env.Do(ctx, Call{App: a, Method: "POST", URI: paymentsURI, Body: body,
		Header: http.Header{"X-Jr-Access-Token": {tok.Access}, "Idempotency-Key": {key}}}, nil)
	if err != nil {
		return err
	}
	w.record(x)
	if id, _ := x.JSON()["payment_id"].(string); id != "" && x.Status/100 == 2 {
		w.Vars["payment.id"] = id
	}
	return nil
}

// firstPayment is the scenario's first payment request.
func (w *World) firstPayment() (*Exchange, error) {
	for _, x := range w.History {
		if x.Method == "POST" && x.URI == paymentsURI {
			return x, nil
		}
	}
	return nil, errors.New("no payment was sent in this scenario")
}

// retryPayment sends the first payment again — a new signature and nonce, the same
// Idempotency-Key and the same body bytes, or the body with another memo.
func retryPayment(ctx context.Context, memo *string) error {
	w := W(ctx)
	first, err := w.firstPayment()
	if err != nil {
		return err
	}
	body := first.ReqBody
	if memo != nil {
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		v["memo"] = *memo
		body = jsonBody(v)
	}
	user := ""
	for u, t := range w.Tokens {
		if strings.HasPrefix(u, "pay:") && t.Access == first.ReqHeader.Get("X-Jr-Access-Token") {
			user = strings.TrimPrefix(u, "pay:")
		}
	}
	return sendPayment(ctx, user, body, first.ReqHeader.Get("Idempotency-Key"))
}

func sameAsFirstPayment(ctx context.Context) error {
	w := W(ctx)
	first, err := w.firstPayment()
	if err != nil {
		return err
	}
	x, err := w.last()
	if err != nil {
		return err
	}
	if x == first {
		return errors.New("the payment was not retried")
	}
	if x.Status != first.Status || string(x.Body) != string(first.Body) {
		return fmt.Errorf("the retry was answered HTTP %d %s; the first answer was HTTP %d %s", x.Status, clip(string(x.Body), 200),
			first.Status, clip(string(first.Body), 200))
	}
	for _, h := range []string{"X-JR-Signature", "X-JR-Nonce", "X-JR-Timestamp"} {
		if x.Header.Get(h) != first.Header.Get(h) {
			return fmt.Errorf("the retry's %s differs from the first answer's: the answer was not replayed byte for byte", h)
		}
	}
	return nil
}

// ---- holdings

func holdingsDecrypt(ctx context.Context, user string) error {
	w := W(ctx)
	x, a, err := w.lastOfApp()
	if err != nil {
		return err
	}
	var ans struct {
		Encrypted *envelope       `json:"encrypted"`
		Holdings  json.RawMessage `json:"holdings"`
	}
	if err := json.Unmarshal(x.Body, &ans); err != nil || ans.Encrypted == nil {
		return fmt.Errorf("the holdings answer is not an encrypted envelope: %s", clip(string(x.Body), 300))
	}
	if ans.Holdings != nil {
		return fmt.Errorf("the holdings answer also carries holdings in clear: %s", clip(string(x.Body), 300))
	}
	if ans.Encrypted.Serial != a.EncSerial {
		return fmt.Errorf("holdings sealed to key serial %q, not the app's encryption key %q", ans.Encrypted.Serial, a.EncSerial)
	}
	plain, err := open(a.EncKey, *ans.Encrypted, []byte(holdingsAAD))
	if err != nil {
		return fmt.Errorf("the holdings envelope does not open with the app's encryption key and aad %q: %w", holdingsAAD, err)
	}
	var hs struct {
		Holdings []struct {
			AccountID string `json:"account_id"`
			Product   string `json:"product_code"`
			Value     string `json:"market_value"`
		} `json:"holdings"`
	}
	if err := json.Unmarshal(plain, &hs); err != nil || len(hs.Holdings) == 0 {
		return fmt.Errorf("decrypted holdings are not a non-empty {\"holdings\": [...]}: %s", clip(string(plain), 200))
	}
	consented := map[string]bool{}
	for k, v := range w.Vars {
		if strings.HasPrefix(k, user+".account") {
			consented[v] = true
		}
	}
	for _, h := range hs.Holdings {
		if !consented[h.AccountID] || h.Product == "" || h.Value == "" {
			return fmt.Errorf("decrypted holding %+v is not on one of %s's consented accounts or is incomplete", h, user)
		}
	}
	w.Note("decrypted %d holdings of %s", len(hs.Holdings), user)
	return nil
}

// ---- risk: alarms, notifications

func alarmNamesPayment(ctx context.Context, kind string) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	id, ok := w.Vars["payment.id"]
	if !ok {
		return errors.New("no payment was created in this scenario")
	}
	return eventually(ctx, asyncWithin, func() error {
		list, err := appAlarms(ctx, a.ID)
		if err != nil {
			return err
		}
		var kinds []string
		for _, m := range list {
			k, _ := m["kind"].(string)
			d, _ := m["detail"].(string)
			kinds = append(kinds, k)
			if k == kind && strings.Contains(d, id) {
				w.Note("alarm %s: %s", k, d)
				return nil
			}
		}
		return fmt.Errorf("no %q alarm names payment %s; the app's alarms: %v", kind, id, kinds)
	})
}

// auditedDecision reads the bank's audit records for the app (operator API) and looks
// for the risk decision on {payment.id}. The audit writer commits in batches, behind the
// operator's answer: the log gets time to catch up (eventually).
func auditedDecision(ctx context.Context, verb string) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	id := w.Vars["payment.id"]
	return eventually(ctx, asyncWithin, func() error {
		out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/audit?limit=1000&app_id="+a.ID, nil, 200)
		if err != nil {
			return err
		}
		recs, _ := out["records"].([]any)
		for _, it := range recs {
			m, _ := it.(map[string]any)
			api, _ := m["api_id"].(string)
			path, _ := m["path"].(string)
			if api == "admin.payments."+verb && strings.Contains(path, id) {
				w.Note("audit record: %v", m)
				return nil
			}
		}
		return fmt.Errorf("none of the app's %d audit records is the decision to %s payment %s", len(recs), verb, id)
	})
}

// receiver is a partner's notification endpoint: HTTPS on the loopback address with a
// certificate the sandbox's test control issued (the bank's notifier trusts its TLS CA).
type receiver struct {
	srv *http.Server
	url string

	mu  sync.Mutex
	got []notification
}

type notification struct {
	Header http.Header
	Body   []byte
}

// receiverSlot holds the scenario's notification receiver, if it started one.
type receiverSlot struct{ r *receiver }

func receiverOf(w *World) *receiverSlot {
	return areaState(w, func() *receiverSlot { return &receiverSlot{} })
}

func startReceiver(ctx context.Context, e *Env) (*receiver, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "conformance notification receiver"}}, key)
	if err != nil {
		return nil, err
	}
	out, err := e.adminOK(ctx, "POST", "/admin/v1/pki/test-server-certs",
		map[string]any{"csr": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))}, 201)
	if err != nil {
		return nil, fmt.Errorf("a certificate for the notification receiver: %w", err)
	}
	certPEM, _ := out["certificate"].(string)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair([]byte(certPEM), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		return nil, fmt.Errorf("notification receiver certificate: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "https://" + ln.Addr().String() + "/notify"}
	r.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}},
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
			body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
			if err != nil || req.Method != http.MethodPost {
				rw.WriteHeader(http.StatusBadRequest)
				return
			}
			r.mu.Lock()
			r.got = append(r.got, notification{Header: req.Header.Clone(), Body: body})
			r.mu.Unlock()
			rw.WriteHeader(http.StatusNoContent)
		})}
	go func() { _ = r.srv.ServeTLS(ln, "", "") }()
	return r, nil
}

func anAppWithReceiver(ctx context.Context) error {
	w := W(ctx)
	r, err := startReceiver(ctx, w.Env)
	if err != nil {
		return err
	}
	receiverOf(w).r = r
	a, err := w.Env.RegisterApp(ctx, "Conformance A2 "+randomNonce()[:6], AppSpec{Level: "A2", Scopes: A2Scopes, NotifyURL: r.url})
	if err != nil {
		return err
	}
	w.Apps["the app"] = a
	w.Vars["app.id"] = a.ID
	return nil
}

// signedNotification waits for the notification of {payment.id} reaching status and
// checks the bank's SM2 signature over timestamp\nnonce\nbody\n with a published key.
func signedNotification(ctx context.Context, status string) error {
	w := W(ctx)
	r := receiverOf(w).r
	if r == nil {
		return errors.New("the app has no notification receiver (use \"an A2 app with a notification receiver\")")
	}
	id := w.Vars["payment.id"]
	var found *notification
	err := eventually(ctx, notifyWithin, func() error {
		r.mu.Lock()
		got := append([]notification(nil), r.got...)
		r.mu.Unlock()
		for i, n := range got {
			var m struct {
				Payment struct {
					ID     string `json:"payment_id"`
					Status string `json:"status"`
				} `json:"payment"`
			}
			if json.Unmarshal(n.Body, &m) == nil && m.Payment.ID == id && m.Payment.Status == status {
				found = &got[i]
				return nil
			}
		}
		return fmt.Errorf("no notification that payment %s is %q (%d other notifications)", id, status, len(got))
	})
	if err != nil {
		return err
	}
	if _, err := w.Env.verifyBankSigned(ctx, found.Header, found.Body); err != nil {
		return fmt.Errorf("the notification that payment %s is %s: %w", id, status, err)
	}
	if moneyFullNumberRE.Match(found.Body) {
		return fmt.Errorf("the notification carries a full account number: %s", clip(string(found.Body), 300))
	}
	w.Note("signed notification: %s", clip(string(found.Body), 300))
	return nil
}

// ---- 9.1.1/4: no clearing between outside accounts

// catalogueMovesFundsOnce reads the published catalogue: apart from the token service,
// the only interface that changes anything is the payment, which acts for the
// consenting user (who holds the debit account at the bank).
func catalogueMovesFundsOnce(ctx context.Context) error {
	cat, err := catalogue(ctx)
	if err != nil {
		return err
	}
	var writes []string
	for _, a := range cat.APIs {
		if a.Method == "GET" || strings.HasPrefix(a.Path, "/a2/v1/oauth/") {
			continue
		}
		writes = append(writes, a.Method+" "+a.Path)
		if a.Path != paymentsURI || !a.UserToken {
			return fmt.Errorf("the catalogue offers %s %s (%s), an interface that changes state without acting for a consenting user's own payment",
				a.Method, a.Path, a.APIID)
		}
	}
	if len(writes) != 1 {
		return fmt.Errorf("want exactly one fund-moving interface (POST %s), the catalogue offers %v", paymentsURI, writes)
	}
	return nil
}
