package server

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/faults"
	"github.com/jr0185/harness/sandbox/internal/gateway"
	"github.com/jr0185/harness/sandbox/internal/notify"
	"github.com/jr0185/harness/sandbox/internal/observe"
	"github.com/jr0185/harness/sandbox/internal/pii"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/protocol"
)

// observed is what the API pipeline learnt about one call, for the sandbox's
// observation of the App_ID (sandbox mode only; nil otherwise, and every method of a
// nil *observed does nothing).
type observed struct {
	trace gateway.Trace
	fault faults.Kind
	extra [2]observe.Check // service-layer steps after the gateway's
	n     int
}

func (o *observed) traceOf() *gateway.Trace {
	if o == nil {
		return nil
	}
	return &o.trace
}

// service notes the service layer's outcome: the injected fault, or a refusal of its own
// (the abnormal-pattern throttle, 10.2.1/2).
func (o *observed) service(e faults.Effect, perr *problem.Error) {
	if o == nil {
		return
	}
	if e.Fault != nil {
		o.fault = e.Fault.Kind
		return
	}
	if perr != nil {
		o.add("throttle", perr)
	}
}

// business notes that the business layer ran and how it answered.
func (o *observed) business(perr *problem.Error) {
	if o != nil {
		o.add("business", perr)
	}
}

func (o *observed) add(step string, perr *problem.Error) {
	if o.n == len(o.extra) {
		return
	}
	o.extra[o.n] = gateway.StepCheck(step, perr)
	o.n++
}

// observeCall records one API call under the App_ID it came from. A call through the
// gateway is attributed when the gateway found the App_ID registered; a call to a
// fallback route (ob nil) when the App_ID its Authorization header names is registered.
// Anything else is not recorded.
func (s *Server) observeCall(c *fiber.Ctx, apiID, uapiID string, req gateway.Request, code string, start time.Time, d time.Duration, ob *observed) {
	var tr *gateway.Trace
	var fault faults.Kind
	if ob != nil {
		tr, fault = &ob.trace, ob.fault
	} else {
		tr = s.fallbackTrace(c, req)
	}
	if tr == nil || tr.AppID == "" {
		return
	}
	kind := observe.KindAPI
	if strings.HasPrefix(apiID, "a2.oauth.") {
		kind = observe.KindOAuth
	}
	path, _, _ := strings.Cut(req.URI, "?")
	o := observe.Observation{
		Time: start, Kind: kind, Method: req.Method, Path: pii.Redact(clipN(path, 512)), API: apiID, UAPIID: uapiID,
		Remote: c.Context().RemoteAddr().String(), ClientCertBound: tr.CertBound,
		Scheme: tr.Scheme, Serial: tr.Serial, Timestamp: tr.Timestamp, Nonce: tr.Nonce, TimestampSkewMS: tr.Skew.Milliseconds(),
		NonceReused: tr.NonceReused, AccessToken: req.Header(gateway.HeaderAccessToken) != "",
		IdempotencyKey: clipN(req.Header(protocol.HeaderIdempotKey), 128),
		Status:         c.Response().StatusCode(), Code: code, RequestID: requestID(c), Fault: string(fault), DurationMS: d.Milliseconds(),
	}
	if tr.SignatureChecked {
		o.SignatureValid = observe.Bool(tr.SignatureValid)
	}
	if req.TLS != nil {
		o.TLSVersion = tls.VersionName(req.TLS.Version)
		if len(req.TLS.PeerCertificates) > 0 {
			sum := sha256.Sum256(req.TLS.PeerCertificates[0].Raw)
			o.ClientCertSHA256 = hex.EncodeToString(sum[:])
		}
	}
	steps := tr.Checks()
	o.Checks = make([]observe.Check, 0, len(steps)+2)
	o.Checks = append(o.Checks, steps...)
	if ob != nil {
		o.Checks = append(o.Checks, ob.extra[:ob.n]...)
	}
	s.d.Observe.Record(tr.AppID, o)
	s.observeSecrets(tr.AppID, apiID, req, c.Response().StatusCode(), c.Response().Body())
}

// observeSecrets fingerprints the credentials a call carried or was answered with — the
// access token it presented; at the token endpoint the code, PKCE verifier and refresh
// token it presented and the tokens issued; at the revocation endpoint the token — so
// the partner-side suite can look for them in what the partner exposes without the bank
// ever sending a credential again (sandbox test control).
func (s *Server) observeSecrets(appID, apiID string, req gateway.Request, status int, answer []byte) {
	rec := s.d.Observe.RecordSecret
	rec(appID, observe.SecretAccessToken, req.Header(gateway.HeaderAccessToken))
	if apiID != "a2.oauth.token" && apiID != "a2.oauth.revoke" {
		return
	}
	if form, err := url.ParseQuery(string(req.Body)); err == nil {
		rec(appID, observe.SecretCode, form.Get("code"))
		rec(appID, observe.SecretVerifier, form.Get("code_verifier"))
		rec(appID, observe.SecretRefreshToken, form.Get("refresh_token"))
		rec(appID, observe.SecretRefreshToken, form.Get("token"))
	}
	if apiID != "a2.oauth.token" || status != 200 {
		return
	}
	var issued struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	if json.Unmarshal(answer, &issued) == nil {
		rec(appID, observe.SecretAccessToken, issued.Access)
		rec(appID, observe.SecretRefreshToken, issued.Refresh)
	}
}

// fallbackTrace is what can be said about a call no API matched: the credentials it
// sent, attributed when the App_ID is registered. Nothing was verified.
func (s *Server) fallbackTrace(c *fiber.Ctx, req gateway.Request) *gateway.Trace {
	cred, err := protocol.ParseAuthorization(req.Header("Authorization"))
	if err != nil || cred.AppID == "" {
		return nil
	}
	if _, err := s.d.Apps.Get(c.UserContext(), cred.AppID); err != nil {
		return nil
	}
	tr := &gateway.Trace{AppID: cred.AppID}
	tr.SetCredentials(cred, s.d.Clock.Now(), clip64) // clipped with a marker, unlike the gateway's trace
	return tr
}

func clip64(s string) string { return clipN(s, 64) }

// ObserveNotification records a notification attempt (real delivery or probe) under
// the App_ID it went to (set as notify.Notifier.Observe in sandbox mode).
func (s *Server) ObserveNotification(a notify.Attempt) {
	if s.d.Observe == nil {
		return
	}
	path, remote := "", ""
	if u, err := url.Parse(a.URL); err == nil {
		path, remote = u.Path, u.Host
	}
	s.d.Observe.Record(a.AppID, observe.Observation{
		Time: a.Start, Kind: observe.KindNotification, Method: "POST", Path: pii.Redact(clipN(path, 512)),
		Remote: remote, TLSVersion: a.TLSVersion, Checks: []observe.Check{}, Status: a.AnswerStatus,
		RequestID: a.NotificationID, DurationMS: a.Duration.Milliseconds(), Fault: a.Fault,
		Notification: &observe.Notification{URL: clipN(a.URL, 512), Probe: a.Probe, PaymentID: a.PaymentID,
			AnswerStatus: a.AnswerStatus, Error: a.Error},
	})
}

// WatchHandshakes makes cfg record, in obs, every ClientHello whose highest offered
// version is below cfg.MinVersion (the handshake then fails as before): such a client
// cannot be attributed to an App_ID (JR/T 0185-2020 9.2.2/3; sandbox observation).
func WatchHandshakes(cfg *tls.Config, obs *observe.Store) {
	minVersion := cfg.MinVersion
	cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		var best uint16
		for _, v := range h.SupportedVersions {
			if v >= 0x0300 && v <= tls.VersionTLS13 && v > best { // SSL 3.0 to TLS 1.3; GREASE values ignored
				best = v
			}
		}
		if best < minVersion {
			remote := ""
			if h.Conn != nil {
				remote = h.Conn.RemoteAddr().String()
			}
			offered := "none"
			if best != 0 {
				offered = tls.VersionName(best)
			}
			obs.RecordHandshake(observe.Handshake{Remote: remote, Offered: offered,
				Reason: "protocol version below " + tls.VersionName(minVersion)})
		}
		return nil, nil
	}
}
