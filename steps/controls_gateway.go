package steps

// Probes of the gateway's controls (features/bank/controls.yaml, issue 13): the
// authentication scheme and level, the App_ID's credentials and their validity, the
// timestamp window and the nonce memory at their published edges, the client certificate,
// the user's token and its bindings, the App_ID's grants and its flow-control limit — each
// judged on every interface its selector picks, the spoilt request refused with its
// catalogued code and a signed answer, the correct one admitted.

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"time"
)

func init() {
	controlProbes["AUTH-SCHEME"] = probeAuthScheme
	controlProbes["LEVEL-A2"] = probeLevelA2
	controlProbes["CREDENTIALS-KNOWN"] = probeCredentialsKnown
	controlProbes["CREDENTIALS-VALID"] = probeCredentialsValid
	controlProbes["TIMESTAMP-WINDOW"] = probeTimestampWindow
	controlProbes["NONCE-SINGLE-USE"] = probeNonceSingleUse
	controlProbes["CLIENT-CERT"] = probeClientCert
	controlProbes["TOKEN-BOUND"] = probeTokenBound
	controlProbes["APP-GRANTS"] = probeAppGrants
	controlProbes["FLOW-CONTROL"] = probeFlowControl
	controlProbes["AUTH-PARAMS"] = probeAuthParams
}

// ---- what the bank publishes of its gateway, and small helpers

// gatewayLimits is the "gateway" section of the bank's /docs/limits.json: the windows the
// probes go just inside and just outside of (a target bank publishes the same document).
type gatewayLimits struct {
	TimestampWindow int `json:"timestamp_window_seconds"`
	NonceMemory     int `json:"nonce_memory_seconds"`
	NonceMin        int `json:"nonce_min_length"`
	NonceMax        int `json:"nonce_max_length"`
}

// margin is how far inside and outside a published window the probes go: wider than
// the clock skew between the harness and a bank, narrower than any window worth having.
const margin = 30 * time.Second

// limits reads the bank's published gateway limits once per prober.
func (p *prober) limits(ctx context.Context) (gatewayLimits, error) {
	if p.gw != nil {
		return *p.gw, nil
	}
	x, err := p.w.Env.get(ctx, "/docs/limits.json")
	if err != nil {
		return gatewayLimits{}, err
	}
	var doc struct {
		Gateway gatewayLimits `json:"gateway"`
	}
	if x.Status != 200 || json.Unmarshal(x.Body, &doc) != nil {
		return gatewayLimits{}, fmt.Errorf("GET /docs/limits.json: HTTP %d %s", x.Status, clip(string(x.Body), 200))
	}
	g := doc.Gateway
	if time.Duration(g.TimestampWindow)*time.Second <= 2*margin || g.NonceMemory < g.TimestampWindow {
		return g, fmt.Errorf("/docs/limits.json publishes gateway.timestamp_window_seconds %d and nonce_memory_seconds %d: "+
			"the window must exceed %s and the nonce memory cover it", g.TimestampWindow, g.NonceMemory, 2*margin)
	}
	p.gw = &g
	p.w.Note("the bank publishes a timestamp window of ±%ds and a nonce memory of %ds", g.TimestampWindow, g.NonceMemory)
	return g, nil
}

// refuses sends c and insists the bank refused it with this status and code, in an
// answer signed by the bank.
func (p *prober) refuses(ctx context.Context, what string, c Call, status int, codes ...string) error {
	x, err := p.send(ctx, c)
	if err != nil {
		return err
	}
	if err := refusedWith(x, status, codes...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := p.w.Env.VerifyAnswer(ctx, nil, x); err != nil {
		return fmt.Errorf("%s: the refusal %s: %w", what, x.Evidence(), err)
	}
	return nil
}

// admits sends c and insists the bank admitted it.
func (p *prober) admits(ctx context.Context, what string, c Call) (*Exchange, error) {
	x, err := p.send(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := admitted(x); err != nil {
		return x, fmt.Errorf("%s: %w", what, err)
	}
	return x, nil
}

// baseline is app a of s's level (fresh: a new one, so that the spoilt requests of a
// probe cannot pause a shared App_ID) and a request for s the bank must admit from it.
func (p *prober) baseline(ctx context.Context, s surface, fresh bool) (*App, Call, error) {
	a, err := p.appFor(ctx, s, fresh)
	if err != nil {
		return nil, Call{}, err
	}
	c, err := p.valid(ctx, a, s)
	return a, c, err
}

// refusesFault sends c spoilt by fault f and insists on the refusal.
func (p *prober) refusesFault(ctx context.Context, c Call, f Fault, status int, code string) error {
	c.Fault = f
	return p.refuses(ctx, string(f), c, status, code)
}

// named is a dedicated app of the prober for one purpose (its grants, limits or tokens
// are changed by a probe, so no other probe may share it).
func (p *prober) named(ctx context.Context, key, level string) (*App, error) {
	if a, ok := p.apps[key]; ok {
		return a, nil
	}
	a, err := p.app(ctx, level, true)
	if err != nil {
		return nil, err
	}
	p.apps[key] = a
	return a, nil
}

func levelOf(s surface) string {
	if s.API != nil && s.API.Level == "A1" {
		return "A1"
	}
	return "A2"
}

// withToken is c with another access token.
func withToken(c Call, token string) Call {
	c.Header = c.Header.Clone()
	c.Header.Set("X-JR-Access-Token", token)
	return c
}

// freshValid is a valid request for s as app a built without the prober's cached token
// (a token obtained now, e.g. with the sandbox clock advanced).
func (p *prober) freshValid(ctx context.Context, a *App, s surface) (Call, error) {
	delete(p.tokens, a)
	return p.valid(ctx, a, s)
}

// ---- the authentication scheme and the level (6.2, 7.2.1 a) 2), 9.2.1 b) 2))

// probeAuthScheme: on an A2 interface, the valid request authenticated with the app's
// App_Secret MAC (the A1 scheme) is refused 401 AUTH_SCHEME_NOT_ALLOWED; signed with
// SM2 it is admitted.
func probeAuthScheme(ctx context.Context, p *prober, s surface) error {
	_, c, err := p.baseline(ctx, s, true)
	if err != nil {
		return err
	}
	if err := p.refusesFault(ctx, c, FaultMACOnA2, 401, "AUTH_SCHEME_NOT_ALLOWED"); err != nil {
		return err
	}
	_, err = p.admits(ctx, "signed with SM2", c)
	return err
}

// a1WithA2Credentials is an A1 App_ID granted every scope and holding everything an A2
// call needs — a registered client certificate and SM2 signing key — so that only the
// level check can refuse it.
func (p *prober) a1WithA2Credentials(ctx context.Context) (*App, error) {
	const key = "A1 with A2 credentials"
	if a, ok := p.apps[key]; ok {
		return a, nil
	}
	p.n++
	scopes := append(append([]string(nil), A2Scopes...), A1Scopes...)
	a, err := p.w.Env.RegisterApp(ctx, fmt.Sprintf("Conformance probe A1 holding A2 credentials %d %s", p.n, randomNonce()[:6]),
		AppSpec{Level: "A1", Scopes: scopes})
	if err != nil {
		return nil, err
	}
	if err := p.w.Env.equipA2(ctx, a, AppSpec{}); err != nil {
		return nil, err
	}
	a.Level = "A2" // the harness signs its calls with SM2 over mutual TLS, as an A2 app does
	p.apps[key] = a
	return a, nil
}

// probeLevelA2: the valid request of an A2 app, sent by an A1 App_ID that holds A2
// credentials and every scope, is refused 403 SCOPE_NOT_GRANTED: an A1 App_ID reaches no
// A2 interface (6.2).
func probeLevelA2(ctx context.Context, p *prober, s surface) error {
	a1, err := p.a1WithA2Credentials(ctx)
	if err != nil {
		return err
	}
	a2, err := p.app(ctx, "A2", false)
	if err != nil {
		return err
	}
	c, err := p.valid(ctx, a2, s)
	if err != nil {
		return err
	}
	c.App = a1
	return p.refuses(ctx, "sent by an A1 App_ID holding A2 credentials", c, 403, "SCOPE_NOT_GRANTED")
}

// ---- the App_ID's credentials (9.2.1 a) 1)-2), 7.3.4/3, 9.2.1 b) 4))

// probeCredentialsKnown: the valid request naming an unknown App_ID is refused 401
// APP_UNKNOWN, naming a key serial the App_ID does not hold 401 KEY_SERIAL_UNKNOWN (and
// not verified with another of its keys); the correct one is admitted.
func probeCredentialsKnown(ctx context.Context, p *prober, s surface) error {
	_, c, err := p.baseline(ctx, s, true)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		fault Fault
		code  string
	}{{FaultUnknownApp, "APP_UNKNOWN"}, {FaultUnknownSerial, "KEY_SERIAL_UNKNOWN"}} {
		if err := p.refusesFault(ctx, c, f.fault, 401, f.code); err != nil {
			return err
		}
	}
	_, err = p.admits(ctx, "with the app's own credentials", c)
	return err
}

// probeCredentialsValid: the valid request authenticated with a key or App_Secret the
// App_ID holds but whose validity has ended is refused 401 KEY_EXPIRED, with one the
// operator revoked 401 KEY_SERIAL_UNKNOWN; with the current one it is admitted. A1: the
// App_Secret rotated without overlap (revoked) and rotated with a one-second overlap
// (expired a moment later); A2: an extra SM2 signing key revoked, one whose certificate
// has expired.
func probeCredentialsValid(ctx context.Context, p *prober, s surface) error {
	a, err := p.appFor(ctx, s, true)
	if err != nil {
		return err
	}
	var expired, revoked *App
	if s.API.Level == "A1" {
		if revoked, err = rotateSecret(ctx, p.w.Env, a, 0); err != nil {
			return err
		}
		if expired, err = rotateSecret(ctx, p.w.Env, a, 1); err != nil {
			return err
		}
		time.Sleep(1500 * time.Millisecond) // the one-second overlap passes
	} else {
		if revoked, err = p.extraSigningKey(ctx, a, false); err != nil {
			return err
		}
		if _, err := p.w.Env.adminOK(ctx, "DELETE", "/admin/v1/apps/"+a.ID+"/credentials/"+revoked.SignSerial, nil, 200); err != nil {
			return err
		}
		if expired, err = p.extraSigningKey(ctx, a, true); err != nil {
			return err
		}
	}
	c, err := p.valid(ctx, a, s)
	if err != nil {
		return err
	}
	bad := c
	bad.App = expired
	if err := p.refuses(ctx, "authenticated with an expired key", bad, 401, "KEY_EXPIRED"); err != nil {
		return err
	}
	bad.App = revoked
	if err := p.refuses(ctx, "authenticated with a revoked key", bad, 401, "KEY_SERIAL_UNKNOWN"); err != nil {
		return err
	}
	_, err = p.admits(ctx, "authenticated with the current key", c)
	return err
}

// extraSigningKey registers another SM2 signing key for a (an expired one: its
// certificate's validity has ended) and returns a copy of a that signs with it.
func (p *prober) extraSigningKey(ctx context.Context, a *App, expired bool) (*App, error) {
	priv, serial, err := registerSigningKey(ctx, p.w.Env, a, expired)
	if err != nil {
		return nil, err
	}
	k := *a
	k.SignKey, k.SignSerial = priv, serial
	return &k, nil
}

// rotateSecret has the operator issue app a a new App_Secret, the previous ones staying
// valid for overlap seconds (0: revoked at once); a signs with the new one from now on,
// and the copy returned with the one it had.
func rotateSecret(ctx context.Context, e *Env, a *App, overlap int) (*App, error) {
	out, err := e.adminOK(ctx, "POST", "/admin/v1/apps/"+a.ID+"/secrets", map[string]any{"overlap_seconds": overlap}, 201)
	if err != nil {
		return nil, err
	}
	secret, _ := dig(out, "credentials", "app_secret").(string)
	serial, _ := dig(out, "credentials", "serial").(string)
	if secret == "" || serial == "" || serial == a.SecretSerial {
		return nil, fmt.Errorf("secret rotation did not issue a new App_Secret under a new serial: %v", out)
	}
	prev := *a
	a.Secret, a.SecretSerial, a.MACKey = secret, serial, macKey(secret, a.ID)
	return &prev, nil
}

// ---- replay: the timestamp window and the nonce memory (7.2.2/2, 7.3.2/1)

// probeTimestampWindow: the valid request signed window − 30 s in the past and in the
// future is admitted; signed window + 30 s in the past and in the future it is refused
// 401 TIMESTAMP_OUT_OF_WINDOW (the window the bank publishes in /docs/limits.json).
func probeTimestampWindow(ctx context.Context, p *prober, s surface) error {
	lim, err := p.limits(ctx)
	if err != nil {
		return err
	}
	a, first, err := p.baseline(ctx, s, true)
	if err != nil {
		return err
	}
	second, err := p.valid(ctx, a, s) // a payment or a code is admitted once: one request per admission
	if err != nil {
		return err
	}
	window := time.Duration(lim.TimestampWindow) * time.Second
	for i, off := range []time.Duration{-(window - margin), window - margin} {
		c := []Call{first, second}[i]
		c.Now = time.Now().Add(off)
		if _, err := p.admits(ctx, fmt.Sprintf("signed %s from now, inside the ±%s window", off, window), c); err != nil {
			return err
		}
	}
	for _, off := range []time.Duration{-(window + margin), window + margin} {
		bad := first
		bad.Now = time.Now().Add(off)
		if err := p.refuses(ctx, fmt.Sprintf("signed %s from now, outside the ±%s window", off, window), bad, 401, "TIMESTAMP_OUT_OF_WINDOW"); err != nil {
			return err
		}
	}
	return nil
}

// probeNonceSingleUse: the valid request, admitted once, is refused 401 NONCE_REPLAYED
// when sent again at once; another App_ID's request with the same nonce is admitted (a
// nonce is single-use per App_ID); and with the bank's clock advanced to 30 s before
// the end of its published nonce memory, a new request of the first app reusing the
// nonce, signed at the bank's current time, is refused NONCE_REPLAYED.
func probeNonceSingleUse(ctx context.Context, p *prober, s surface) error {
	lim, err := p.limits(ctx)
	if err != nil {
		return err
	}
	a, err := p.appFor(ctx, s, true)
	if err != nil {
		return err
	}
	other, err := p.appFor(ctx, s, false)
	if err != nil {
		return err
	}
	c, err := p.valid(ctx, a, s)
	if err != nil {
		return err
	}
	c.Nonce = randomNonce()
	x, err := p.admits(ctx, "the first use of the nonce", c)
	if err != nil {
		return err
	}
	again := p.w.Env.Replay(ctx, a, x)
	p.w.Note("probe %s", again.Evidence())
	if err := refusedWith(again, 401, "NONCE_REPLAYED"); err != nil {
		return fmt.Errorf("the same request sent again: %w", err)
	}
	if err := p.w.Env.VerifyAnswer(ctx, nil, again); err != nil {
		return fmt.Errorf("the refused replay %s: %w", again.Evidence(), err)
	}
	oc, err := p.valid(ctx, other, s)
	if err != nil {
		return err
	}
	oc.Nonce = c.Nonce
	if _, err := p.admits(ctx, "another App_ID's request with the same nonce", oc); err != nil {
		return err
	}
	late := time.Duration(lim.NonceMemory)*time.Second - margin
	// The request is built with the clock advanced (a token of then): zhangsan's lock
	// first, then the clock (withUser).
	return p.w.Env.withUser(ctx, proberUser, func(ctx context.Context) error {
		return p.w.Env.withClockAdvanced(ctx, late, func(ctx context.Context) error {
			lc, err := p.freshValid(ctx, a, s)
			if err != nil {
				return fmt.Errorf("with the bank's clock advanced %s: %w", late, err)
			}
			lc.Nonce = c.Nonce
			return p.refuses(ctx, fmt.Sprintf("a new request reusing the nonce %s later, within the %ds nonce memory", late, lim.NonceMemory),
				lc, 401, "NONCE_REPLAYED")
		})
	})
}

// withClockAdvanced runs f with the bank's sandbox clock advanced by d and the harness
// signing at the bank's time, every other exchange of the run held back meanwhile
// (Env.Exclusive); the clock is back to real time before any resumes.
func (e *Env) withClockAdvanced(ctx context.Context, d time.Duration, f func(ctx context.Context) error) error {
	return e.Exclusive(ctx, func(ctx context.Context) (err error) {
		if _, err := e.adminOK(ctx, "POST", "/admin/v1/clock/advance", map[string]any{"seconds": int(d.Seconds())}, 200); err != nil {
			return err
		}
		defer func() {
			if _, rerr := e.adminOK(ctx, "POST", "/admin/v1/clock/reset", nil, 200); rerr != nil && err == nil {
				err = rerr
			}
		}()
		return f(context.WithValue(ctx, advancedKey{}, d))
	})
}

// ---- the client certificate (7.2.1 a) 2), 9.2.1 b) 2), 6.2 A2)

// probeClientCert: the valid A2 request sent without a client certificate is refused 401
// CLIENT_CERT_REQUIRED; over a self-signed certificate naming the App_ID that neither
// chains to the bank's CA nor is registered, over the app's own registered certificate
// once expired, and over one the operator revoked, 401 CLIENT_CERT_INVALID; over another
// App_ID's registered certificate 403 CLIENT_CERT_APP_MISMATCH; over its own it is admitted.
func probeClientCert(ctx context.Context, p *prober, s surface) error {
	a, err := p.appFor(ctx, s, true)
	if err != nil {
		return err
	}
	other, err := p.app(ctx, "A2", false)
	if err != nil {
		return err
	}
	selfSigned, _, _, err := selfSignedClientCert(a.ID, [2]time.Time{})
	if err != nil {
		return err
	}
	past := [2]time.Time{time.Now().Add(-400 * 24 * time.Hour), time.Now().Add(-24 * time.Hour)}
	expired, _, err := p.registerClientCert(ctx, a, past)
	if err != nil {
		return err
	}
	revoked, serial, err := p.registerClientCert(ctx, a, [2]time.Time{})
	if err != nil {
		return err
	}
	if _, err := p.w.Env.adminOK(ctx, "DELETE", "/admin/v1/apps/"+a.ID+"/credentials/"+serial, nil, 200); err != nil {
		return err
	}
	c, err := p.valid(ctx, a, s)
	if err != nil {
		return err
	}
	if err := p.refusesFault(ctx, c, FaultNoClientCert, 401, "CLIENT_CERT_REQUIRED"); err != nil {
		return err
	}
	for _, t := range []struct {
		what   string
		cert   *tls.Certificate
		status int
		code   string
	}{
		{"over a self-signed certificate naming the App_ID, not issued by the bank's CA nor registered", selfSigned, 401, "CLIENT_CERT_INVALID"},
		{"over the app's registered certificate that has expired", expired, 401, "CLIENT_CERT_INVALID"},
		{"over the app's registered certificate the operator revoked", revoked, 401, "CLIENT_CERT_INVALID"},
		{"over another App_ID's registered certificate", other.TLSCert, 403, "CLIENT_CERT_APP_MISMATCH"},
	} {
		bad := c
		bad.Cert = t.cert
		if err := p.refuses(ctx, t.what, bad, t.status, t.code); err != nil {
			return err
		}
	}
	_, err = p.admits(ctx, "over the app's own certificate", c)
	return err
}

// registerClientCert registers another client certificate for a (valid as given; zero:
// a year from now) and returns it with the serial the bank registered it under.
func (p *prober) registerClientCert(ctx context.Context, a *App, valid [2]time.Time) (*tls.Certificate, string, error) {
	cert, certPEM, _, err := selfSignedClientCert(a.ID, valid)
	if err != nil {
		return nil, "", err
	}
	out, err := p.w.Env.adminOK(ctx, "POST", "/admin/v1/apps/"+a.ID+"/credentials", map[string]any{"kind": "client_cert", "pem": certPEM}, 201)
	if err != nil {
		return nil, "", err
	}
	serial, _ := dig(out, "credential", "serial").(string)
	if serial == "" {
		return nil, "", fmt.Errorf("the bank registered the client certificate under no serial: %v", out)
	}
	return cert, serial, nil
}

// ---- the user's access token (9.2.1 b) 3)-4), 9.3.2/1a-1b)

// probeTokenBound: the valid request for a user with the access token replaced by one
// issued to another App_ID is refused 403 TOKEN_APP_MISMATCH; sent over another client
// certificate registered to the same App_ID 401 TOKEN_CERT_MISMATCH (tokens are bound to
// the certificate they were issued over); with a token whose consent lacks the
// interface's scope 403 SCOPE_NOT_CONSENTED; with an expired token 401 TOKEN_EXPIRED;
// with a token the partner revoked 401 TOKEN_REVOKED; as built it is admitted.
func probeTokenBound(ctx context.Context, p *prober, s surface) error {
	a, err := p.app(ctx, "A2", false)
	if err != nil {
		return err
	}
	other, err := p.named(ctx, "A2 other app", "A2")
	if err != nil {
		return err
	}
	c, err := p.valid(ctx, a, s)
	if err != nil {
		return err
	}
	foreign, err := p.token(ctx, other)
	if err != nil {
		return err
	}
	if err := p.refuses(ctx, "with a token issued to another App_ID", withToken(c, foreign.Access), 403, "TOKEN_APP_MISMATCH"); err != nil {
		return err
	}
	second, err := p.secondCert(ctx, a)
	if err != nil {
		return err
	}
	bad := c
	bad.Cert = second
	if err := p.refuses(ctx, "over another client certificate of the same App_ID", bad, 401, "TOKEN_CERT_MISMATCH"); err != nil {
		return err
	}
	narrow, err := p.tokenWithout(ctx, a, s.API.Scope)
	if err != nil {
		return err
	}
	if err := p.refuses(ctx, "with a token whose consent lacks "+s.API.Scope, withToken(c, narrow.Access), 403, "SCOPE_NOT_CONSENTED"); err != nil {
		return err
	}
	exp, err := p.expiredToken(ctx, s)
	if err != nil {
		return err
	}
	if err := p.refuses(ctx, "with an expired token", exp, 401, "TOKEN_EXPIRED"); err != nil {
		return err
	}
	rev, _, err := obtainToken(ctx, a, proberUser, ConsentRequest{Scopes: proberScopes, ValidDays: 1})
	if err != nil {
		return err
	}
	if _, err := p.admits(ctx, "the partner revokes its token", Call{App: a, Method: "POST", URI: "/a2/v1/oauth/revoke",
		Body: []byte("token=" + url.QueryEscape(rev.Access)), ContentType: formContentType}); err != nil {
		return err
	}
	if err := p.refuses(ctx, "with a token the partner revoked", withToken(c, rev.Access), 401, "TOKEN_REVOKED"); err != nil {
		return err
	}
	_, err = p.admits(ctx, "with the app's own token over its own certificate", c)
	return err
}

// secondCert registers a second client certificate for a, once.
func (p *prober) secondCert(ctx context.Context, a *App) (*tls.Certificate, error) {
	if c, ok := p.certs[a]; ok {
		return c, nil
	}
	c, _, err := p.registerClientCert(ctx, a, [2]time.Time{})
	if err != nil {
		return nil, err
	}
	p.certs[a] = c
	return c, nil
}

// tokenWithout is zhangsan's token for a whose consent has the prober's scopes less this
// one (payments:write is never among them).
func (p *prober) tokenWithout(ctx context.Context, a *App, scope string) (*Token, error) {
	if !slices.Contains(proberScopes, scope) {
		return p.token(ctx, a)
	}
	key := a.ID + " without " + scope
	if t, ok := p.narrow[key]; ok {
		return t, nil
	}
	var scopes []string
	for _, sc := range proberScopes {
		if sc != scope {
			scopes = append(scopes, sc)
		}
	}
	t, _, err := obtainToken(ctx, a, proberUser, ConsentRequest{Scopes: scopes, ValidDays: 1})
	if err != nil {
		return nil, err
	}
	p.narrow[key] = t
	return t, nil
}

// expiredToken is a valid request for s by a dedicated app whose tokens — the one it
// carries among them — the operator has just expired (a sandbox test control).
func (p *prober) expiredToken(ctx context.Context, s surface) (Call, error) {
	d, err := p.named(ctx, "A2 expiring tokens", "A2")
	if err != nil {
		return Call{}, err
	}
	c, err := p.freshValid(ctx, d, s)
	if err != nil {
		return Call{}, err
	}
	if _, err := p.w.Env.adminOK(ctx, "POST", "/admin/v1/apps/"+d.ID+"/tokens/expire", map[string]any{}, 200); err != nil {
		return Call{}, err
	}
	return c, nil
}

// ---- the App_ID's grants (7.3.1/1, 9.3.2/1a, 9.2.1 a) 2))

// probeAppGrants: the valid request of an App_ID granted every scope of its level but
// the interface's is refused 403 SCOPE_NOT_GRANTED; once the operator grants that scope
// again, the same request is admitted on the next call.
func probeAppGrants(ctx context.Context, p *prober, s surface) error {
	level := levelOf(s)
	g, err := p.named(ctx, level+" grants", level)
	if err != nil {
		return err
	}
	all := append([]string(nil), A1Scopes...)
	if level == "A2" {
		all = append(append([]string(nil), A2Scopes...), A1Scopes...)
	}
	c, err := p.valid(ctx, g, s)
	if err != nil {
		return err
	}
	var less []string
	for _, sc := range all {
		if sc != s.API.Scope {
			less = append(less, sc)
		}
	}
	grant := func(scopes []string) error {
		_, err := p.w.Env.adminOK(ctx, "PUT", "/admin/v1/apps/"+g.ID+"/scopes", map[string]any{"scopes": scopes}, 200)
		return err
	}
	if err := grant(less); err != nil {
		return err
	}
	if err := p.refuses(ctx, "by an App_ID granted every scope but "+s.API.Scope, c, 403, "SCOPE_NOT_GRANTED"); err != nil {
		return err
	}
	if err := grant(all); err != nil {
		return err
	}
	_, err = p.admits(ctx, "once "+s.API.Scope+" is granted again", c)
	return err
}

// ---- flow control (10.1.2/1a)

// Flow-control probe: the App_ID's limit set with the admin API — a burst of 3 and a
// refill slow enough that no token comes back while the calls are sent.
const (
	probeBurst = 3
	probeRPS   = 0.05
)

// probeFlowControl: with the App_ID's limit set to a burst of 3 calls (one refilled every
// 20 s, so that none comes back while the calls are sent), 3 valid calls in a row are
// admitted and the fourth is refused 429 RATE_LIMITED with a Retry-After of whole
// seconds, at least the time until a call is refilled and at most the refill time of one
// call. Then, with a fresh bucket and a limit of one concurrent call, the next call is
// admitted: neither the admitted calls nor the refused one still hold a concurrency slot
// (10.1.2/1a limits calls in flight, not calls made). The calls are built first:
// building them calls the bank too.
func probeFlowControl(ctx context.Context, p *prober, s surface) error {
	a, err := p.appFor(ctx, s, true)
	if err != nil {
		return err
	}
	calls := make([]Call, probeBurst+2)
	for i := range calls {
		if calls[i], err = p.valid(ctx, a, s); err != nil {
			return err
		}
	}
	if _, err := p.w.Env.adminOK(ctx, "PUT", "/admin/v1/apps/"+a.ID+"/limits",
		map[string]any{"rate_rps": probeRPS, "rate_burst": probeBurst, "max_concurrent": 8}, 200); err != nil {
		return err
	}
	start := time.Now()
	for i, c := range calls[:probeBurst] {
		if _, err := p.admits(ctx, fmt.Sprintf("call %d of a burst of %d", i+1, probeBurst), c); err != nil {
			return err
		}
	}
	x, err := p.send(ctx, calls[probeBurst])
	if err != nil {
		return err
	}
	if err := refusedWith(x, 429, "RATE_LIMITED"); err != nil {
		return fmt.Errorf("call %d, one over the burst of %d: %w", probeBurst+1, probeBurst, err)
	}
	most := int(math.Ceil(1 / probeRPS))
	least := int(math.Floor(1/probeRPS - time.Since(start).Seconds()))
	if ra, err := strconv.Atoi(x.Header.Get("Retry-After")); err != nil || ra < max(least, 1) || ra > most {
		return fmt.Errorf("%s: Retry-After %q, want whole seconds from %d (no call comes back sooner) to %d (one call refills in %gs)",
			x.Evidence(), x.Header.Get("Retry-After"), max(least, 1), most, 1/probeRPS)
	}
	if err := p.w.Env.VerifyAnswer(ctx, nil, x); err != nil {
		return err
	}
	if _, err := p.w.Env.adminOK(ctx, "PUT", "/admin/v1/apps/"+a.ID+"/limits",
		map[string]any{"rate_rps": probeRPS, "rate_burst": probeBurst, "max_concurrent": 1}, 200); err != nil {
		return err
	}
	_, err = p.admits(ctx, fmt.Sprintf("a call after %d admitted and 1 refused, under a fresh burst and a limit of 1 call in flight", probeBurst),
		calls[probeBurst+1])
	return err
}

// probeAuthParams: the valid request signed with a nonce one character short of the
// published minimum, one over the maximum, and with a character outside 0-9 A-Z a-z - _
// ('.', '/', '+') is refused 401 AUTH_MALFORMED; signed with a nonce of exactly the
// minimum and of exactly the maximum, made of the alphabet's edges, it is admitted
// (JR/T 0185-2020 9.2.1 b) 1), 7.2.2/2: the nonce is part of what is signed).
func probeAuthParams(ctx context.Context, p *prober, s surface) error {
	lim, err := p.limits(ctx)
	if err != nil {
		return err
	}
	if lim.NonceMin < 1 || lim.NonceMax < lim.NonceMin {
		return fmt.Errorf("/docs/limits.json publishes gateway.nonce_min_length %d and nonce_max_length %d: the bank must publish the nonce's bounds", lim.NonceMin, lim.NonceMax)
	}
	a, first, err := p.baseline(ctx, s, true)
	if err != nil {
		return err
	}
	second, err := p.valid(ctx, a, s) // a payment or a code is admitted once: one request per admission
	if err != nil {
		return err
	}
	nonce := func(n int, edge string) string {
		r := edge + randomNonce() + randomNonce() + randomNonce() + randomNonce() + randomNonce()
		for len(r) < n {
			r += randomNonce()
		}
		return r[:n]
	}
	for _, bad := range []struct{ what, nonce string }{
		{"a nonce one character short of the published minimum", nonce(lim.NonceMin-1, "")},
		{"a nonce one character over the published maximum", nonce(lim.NonceMax+1, "")},
		{"a nonce with a '.'", nonce(lim.NonceMin, "n.")},
		{"a nonce with a '/'", nonce(lim.NonceMin, "n/")},
		{"a nonce with a '+'", nonce(lim.NonceMin, "n+")},
	} {
		c := first
		c.Nonce = bad.nonce
		if err := p.refuses(ctx, bad.what, c, 401, "AUTH_MALFORMED"); err != nil {
			return err
		}
	}
	for i, good := range []struct{ what, nonce string }{
		{"a nonce of the published minimum length, with the alphabet's edges", nonce(lim.NonceMin, "aZ9_")},
		{"a nonce of the published maximum length, of the alphabet's edges", nonce(lim.NonceMax, "_-90ZzAa")},
	} {
		c := []Call{first, second}[i]
		c.Nonce = good.nonce
		if _, err := p.admits(ctx, good.what, c); err != nil {
			return err
		}
	}
	return nil
}
