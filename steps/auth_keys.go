package steps

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/cucumber/godog"
	"github.com/tjfoc/gmsm/sm2"
	tjx509 "github.com/tjfoc/gmsm/x509"
)

// Steps of the auth area about keys: the partner's registered keys, their validity and
// rotation, and the bank's own published keys (JR/T 0185-2020 7.1/1, 7.3.4, 9.2.1 a)).

func init() { registrars = append(registrars, registerAuthKeys) }

func registerAuthKeys(sc *godog.ScenarioContext) {
	sc.Step(`^the app registers a new signing key$`, func(ctx context.Context) error {
		return newSigningKey(ctx)
	})
	sc.Step(`^the bank's published signing and encryption certificates hold distinct SM2 keys$`, bankCertsDistinct)
	sc.Step(`^the operator rotates the bank's signing key$`, func(ctx context.Context) error {
		w := W(ctx)
		out, err := w.Env.adminOK(ctx, "POST", "/admin/v1/bank-keys/rotate", nil, 200)
		if err != nil {
			return err
		}
		prev, _ := out["previous_serial"].(string)
		cur, _ := out["serial"].(string)
		if cur == "" || cur == prev {
			return fmt.Errorf("rotation answered serial %q after %q", cur, prev)
		}
		w.Vars["bank.serial"], w.Vars["bank.previous_serial"] = cur, prev
		return nil
	})
	sc.Step(`^the answer is signed by the bank's new key$`, func(ctx context.Context) error {
		w := W(ctx)
		x, err := w.last()
		if err != nil {
			return err
		}
		if got, want := x.Header.Get("X-JR-Serial"), w.Vars["bank.serial"]; got != want {
			return fmt.Errorf("the answer is signed with key serial %q, want the new %q", got, want)
		}
		return w.Env.VerifyAnswer(ctx, nil, x)
	})
	sc.Step(`^the first answer still verifies against the published signing certificates$`, firstAnswerStillVerifies)
	sc.Step(`^App_Secrets issued to A2 apps expire sooner than those issued to A1 apps$`, secretValidityByLevel)
	sc.Step(`^each of these APIs is published as interface type 02 and refuses an App_Secret MAC:$`, a2APIsRefuseMAC)
}

// newSigningKey registers a fresh SM2 signing credential for the app and signs with it
// from now on; the app's earlier credentials stay available as its previous ones.
func newSigningKey(ctx context.Context) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	priv, serial, err := registerSigningKey(ctx, w.Env, a, false)
	if err != nil {
		return err
	}
	prev := *a
	w.Apps[previousRole] = &prev
	a.SignKey, a.SignSerial = priv, serial
	return nil
}

// registerSigningKey registers a fresh SM2 signing credential for app a (an expired one:
// a self-signed SM2 certificate whose validity ended yesterday) and returns its private
// key and the serial the bank registered it under.
func registerSigningKey(ctx context.Context, e *Env, a *App, expired bool) (*sm2.PrivateKey, string, error) {
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	body := map[string]any{"kind": "sm2_sign", "valid_days": 365}
	if expired {
		sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 100))
		if err != nil {
			return nil, "", err
		}
		tmpl := &tjx509.Certificate{SerialNumber: sn, SignatureAlgorithm: tjx509.SM2WithSM3,
			NotBefore: time.Now().Add(-400 * 24 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour),
			KeyUsage: tjx509.KeyUsageDigitalSignature}
		tmpl.Subject.CommonName = a.ID + " signing"
		der, err := tjx509.CreateCertificate(tmpl, tmpl, &priv.PublicKey, priv)
		if err != nil {
			return nil, "", err
		}
		body = map[string]any{"kind": "sm2_sign", "pem": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
	} else {
		p, err := tjx509.WritePublicKeyToPem(&priv.PublicKey)
		if err != nil {
			return nil, "", err
		}
		body["pem"] = string(p)
	}
	out, err := e.adminOK(ctx, "POST", "/admin/v1/apps/"+a.ID+"/credentials", body, 201)
	if err != nil {
		return nil, "", err
	}
	serial, _ := dig(out, "credential", "serial").(string)
	if serial == "" || serial == a.SignSerial {
		return nil, "", fmt.Errorf("the new signing key got serial %q (previous %q)", serial, a.SignSerial)
	}
	return priv, serial, nil
}

// publishedCerts fetches a PEM file of certificates from the bank's public paths, fresh.
func publishedCerts(ctx context.Context, e *Env, path string) ([]*tjx509.Certificate, error) {
	x, err := e.get(ctx, path)
	if err != nil {
		return nil, err
	}
	if x.Status != 200 {
		return nil, fmt.Errorf("GET %s: HTTP %d", path, x.Status)
	}
	var out []*tjx509.Certificate
	rest := x.Body
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		c, err := tjx509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no certificate", path)
	}
	return out, nil
}

// sm2Key insists a certificate carries a key on the SM2 curve (GB/T 32918).
func sm2Key(c *tjx509.Certificate, what string) (*ecdsa.PublicKey, error) {
	k, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the %s certificate holds a %T key, not SM2", what, c.PublicKey)
	}
	p, want := k.Curve.Params(), sm2.P256Sm2().Params()
	//lint:ignore SA1019 tjfoc's SM2 curve has no crypto/ecdh form; the point is only read, to check it is on the curve
	if p.P.Cmp(want.P) != 0 || p.N.Cmp(want.N) != 0 || p.B.Cmp(want.B) != 0 || !sm2.P256Sm2().IsOnCurve(k.X, k.Y) {
		return nil, fmt.Errorf("the %s certificate's key is on curve %s, not SM2", what, p.Name)
	}
	if c.SignatureAlgorithm != tjx509.SM2WithSM3 {
		return nil, fmt.Errorf("the %s certificate is signed with %v, not SM2-with-SM3", what, c.SignatureAlgorithm)
	}
	return k, nil
}

// bankCertsDistinct: 7.1/1 and 7.3.4/1 — the bank's published signing certificates
// (current and earlier) and its encryption certificate are SM2-with-SM3 certificates, and
// the encryption key is none of the signing keys.
func bankCertsDistinct(ctx context.Context) error {
	w := W(ctx)
	current, err := publishedCerts(ctx, w.Env, "/pki/bank-sign.crt")
	if err != nil {
		return err
	}
	all, err := publishedCerts(ctx, w.Env, "/pki/bank-sign-certs.pem")
	if err != nil {
		return err
	}
	enc, err := publishedCerts(ctx, w.Env, "/pki/bank-enc.crt")
	if err != nil {
		return err
	}
	if _, err := sm2Key(enc[0], "encryption"); err != nil {
		return err
	}
	for _, c := range append(current, all...) {
		if _, err := sm2Key(c, "signing"); err != nil {
			return err
		}
		if bytes.Equal(c.RawSubjectPublicKeyInfo, enc[0].RawSubjectPublicKeyInfo) {
			return fmt.Errorf("the bank's encryption certificate carries the key of its signing certificate %s", serialHex(c.SerialNumber.Bytes()))
		}
		if c.SerialNumber.Cmp(enc[0].SerialNumber) == 0 {
			return fmt.Errorf("the bank's signing and encryption certificates share the serial %s", serialHex(c.SerialNumber.Bytes()))
		}
	}
	w.Note("bank encryption certificate %s holds an SM2 key distinct from all %d published signing certificates",
		serialHex(enc[0].SerialNumber.Bytes()), len(all))
	return nil
}

// firstAnswerStillVerifies: after a rotation, the scenario's first answer (signed with
// the earlier key) still verifies against a fresh copy of the published certificates,
// and the current key is published first.
func firstAnswerStillVerifies(ctx context.Context) error {
	w := W(ctx)
	if len(w.History) == 0 {
		return fmt.Errorf("no answer yet")
	}
	first := w.History[0]
	certs, err := publishedCerts(ctx, w.Env, "/pki/bank-sign-certs.pem")
	if err != nil {
		return err
	}
	if got := serialHex(certs[0].SerialNumber.Bytes()); got != w.Vars["bank.serial"] {
		return fmt.Errorf("the first published signing certificate is %s, want the current %s", got, w.Vars["bank.serial"])
	}
	serial := first.Header.Get("X-JR-Serial")
	if serial != w.Vars["bank.previous_serial"] {
		return fmt.Errorf("the first answer was signed with %q, not the key before the rotation %q", serial, w.Vars["bank.previous_serial"])
	}
	for _, c := range certs {
		if serialHex(c.SerialNumber.Bytes()) != serial {
			continue
		}
		k, err := sm2Key(c, "earlier signing")
		if err != nil {
			return err
		}
		s, err := bankSignatureOf(first.Header, first.Body)
		if err != nil {
			return fmt.Errorf("the first answer: %w", err)
		}
		if err := s.verify(tjPub(k)); err != nil {
			return fmt.Errorf("the first answer does not verify with the published certificate %s: %w", serial, err)
		}
		w.Note("answer signed before the rotation (serial %s) verifies against /pki/bank-sign-certs.pem (%d certificates)", serial, len(certs))
		return nil
	}
	return fmt.Errorf("the signing certificate %s of the first answer is no longer published (%d certificates)", serial, len(certs))
}

// secretValidityByLevel registers an A1 and an A2 app and compares the validity of the
// App_Secrets issued to them (7.3.4/3: 依据接口等级设置不同的密钥有效期).
func secretValidityByLevel(ctx context.Context) error {
	w := W(ctx)
	until := map[string]time.Time{}
	for _, level := range []string{"A1", "A2"} {
		scopes := A1Scopes
		if level == "A2" {
			scopes = A2Scopes
		}
		before := time.Now()
		out, err := w.Env.adminOK(ctx, "POST", "/admin/v1/apps", map[string]any{"name": "Conformance validity " + level + " " + randomNonce()[:6],
			"level": level, "scopes": scopes, "redirect_uris": []string{w.Env.T.RedirectURI}}, 201)
		if err != nil {
			return err
		}
		s, _ := dig(out, "credentials", "not_after").(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("%s registration: credentials.not_after %q: %v", level, s, err)
		}
		if !t.After(before) {
			return fmt.Errorf("%s App_Secret is issued already expired (%s)", level, s)
		}
		until[level] = t
		w.Note("%s App_Secret valid for %s", level, t.Sub(before).Round(time.Hour))
	}
	if !until["A2"].Before(until["A1"].Add(-24 * time.Hour)) {
		return fmt.Errorf("the A2 App_Secret is valid until %s, not sooner than the A1 one (%s)", until["A2"].Format(time.RFC3339), until["A1"].Format(time.RFC3339))
	}
	return nil
}

// a2APIsRefuseMAC: 6.2/A2 — each listed account-information or fund-transaction API is
// published with interface type 02 (annex B: U_API_ID characters 9–10) and refuses an
// A1-style call (App_Secret MAC), whatever the rest of the request.
func a2APIsRefuseMAC(ctx context.Context, table *godog.Table) error {
	w := W(ctx)
	cat, err := catalogue(ctx)
	if err != nil {
		return err
	}
	published := map[string]pubAPI{} // "METHOD /path/{param}" → the interface
	for _, a := range cat.APIs {
		parts := strings.Split(a.Path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, ":") {
				parts[i] = "{" + p[1:] + "}"
			}
		}
		published[a.Method+" "+strings.Join(parts, "/")] = a
	}
	if len(table.Rows) < 2 {
		return fmt.Errorf("the table lists no API")
	}
	for _, row := range table.Rows[1:] {
		api, example := row.Cells[0].Value, row.Cells[1].Value
		a, ok := published[api]
		if !ok {
			return fmt.Errorf("%s is not in the published catalogue /docs/apis.json", api)
		}
		if len(a.UAPIID) != 24 || typeOf(a) != "02" {
			return fmt.Errorf("%s is published as %s, not interface type 02 (A2)", api, a.UAPIID)
		}
		method, uri, _ := strings.Cut(example, " ")
		var body []byte
		if method == "POST" {
			body = []byte(`{}`)
		}
		if err := call(ctx, "the app", method, uri, body, FaultMACOnA2, ""); err != nil {
			return err
		}
		if err := expectStatus(w.Last, 401, "AUTH_SCHEME_NOT_ALLOWED"); err != nil {
			return fmt.Errorf("%s called with an App_Secret MAC: %w", example, err)
		}
		if err := w.Env.VerifyAnswer(ctx, nil, w.Last); err != nil {
			return fmt.Errorf("%s: %w", example, err)
		}
	}
	return nil
}
