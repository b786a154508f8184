package gateway

import (
	"context"
	"time"

	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/sigdebug"
	"github.com/jr0185/harness/sandbox/protocol"
)

// debugSignature adds the signature debugger's verdict to a refused request's problem in
// sandbox mode only (JR/T 0185-2020 7.1: no debug information in production mode): the
// string the bank verified (raw and escaped), its SM3 digest, the key serial, the valid
// serials, and the diagnosis found by re-trying the common mistakes.
func (g *Gateway) debugSignature(e *problem.Error, app apps.App, creds []apps.Credential, r Request, now time.Time) *problem.Error {
	if !g.opts.Debug {
		return e
	}
	v := sigdebug.Diagnose(sigdebug.Request{Method: r.Method, URI: r.URI, Host: r.Header("Host"),
		Authorization: r.Header("Authorization"), Body: r.Body},
		sigdebug.Keys{AppID: app.ID, Creds: creds}, sigdebug.Options{Now: now, Window: g.opts.TimestampWindow})
	e = e.WithDebug("string_to_sign", v.StringToSign).
		WithDebug("string_to_sign_escaped", v.StringToSignEscaped).
		WithDebug("string_to_sign_sm3", v.StringToSignSM3).
		WithDebug("serial", v.Serial).
		WithDebug("scheme", v.Scheme).
		WithDebug("valid_serials", v.ValidSerials).
		WithDebug("diagnosis", v.Diagnosis)
	if len(v.Tried) > 0 {
		e = e.WithDebug("tried", v.Tried)
	}
	return e
}

// DebugSignature is the signature debugger on demand (the admin endpoint and
// `sandbox debug-signature`): the verdict on a request, with the keys of the App_ID it
// names (or appID when given), at the bank's clock and window. It changes nothing: no
// nonce is used and no failure counted.
func (g *Gateway) DebugSignature(ctx context.Context, r sigdebug.Request, appID, appSecret string) (sigdebug.Verdict, error) {
	claimed := appID
	if c, err := protocol.ParseAuthorization(r.Authorization); err == nil && claimed == "" {
		claimed = c.AppID
	}
	opts := sigdebug.Options{Now: g.clock.Now(), Window: g.opts.TimestampWindow}
	if claimed == "" {
		return sigdebug.Diagnose(r, sigdebug.Keys{}, opts), nil
	}
	app, creds, found, err := g.apps.Authn(ctx, claimed)
	if err != nil {
		return sigdebug.Verdict{}, err
	}
	if !found {
		return sigdebug.UnknownApp(r, claimed), nil
	}
	return sigdebug.Diagnose(r, sigdebug.Keys{AppID: app.ID, Creds: creds, AppSecret: appSecret}, opts), nil
}
