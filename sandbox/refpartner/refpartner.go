// Package refpartner is the reference partner: a partner integration built only on the
// bank's Go SDK (sandbox/sdk) and the published contract, behaving as JR/T 0185-2020
// wants a partner to behave, and driven in test mode through the driver contract
// (steps/driver, features/partner/DRIVER.md). With Options.Mutant it is the same
// partner with exactly one behaviour broken, for the partner-side suite to catch.
//
// What it does, by clause:
//   - verifies every bank answer before use, errors included, and does not act on one
//     that fails (9.3.3/1), refreshing the bank's published signing keys once after a
//     rotation; a bank key counts only while its certificate is valid, and a serial still
//     unknown after that one fetch is refused (the SDK, given the certificates);
//   - talks only to the bank: its TLS certificate must chain to the configured CA and
//     name the configured host (9.2.2/3);
//   - mutual TLS 1.2+ with its own certificate, SM2-signed A2 requests, HMAC-SM3 on A1,
//     separate SM2 signing and encryption keys (7.3.4/1), the payee sealed to the bank;
//   - PKCE S256 and state on every authorization; calls only the APIs an action needs
//     (9.3.5/1) and none for a user who has not linked (9.3.2/1b);
//   - one Idempotency-Key per payment, reused on every retry;
//   - honours Retry-After, and its circuit breaker stops calling a failing bank
//     (10.1.2/2a) — 5 consecutive failures open it for 30 s, then one trial call;
//   - refreshes an expired access token once; a refused refresh or a revoked consent
//     stops it calling for that user (relink_required);
//   - keeps an access log without full numbers, holdings, tokens or secrets (7.3.3/2b,
//     9.3.3/2a), a history of its user's operations (12.3/6) and alarms (10.1.1/3,
//     10.1.2/2b).
package refpartner

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/jr0185/harness/sandbox/sdk"
	"github.com/jr0185/harness/steps/driver"
)

// AnswerTimeout is how long the partner waits for a bank answer before it gives up on
// it (DRIVER.md, "Time": at most 5 s); a retryable call is then tried again with the
// same Idempotency-Key, within Options.Attempts.
const AnswerTimeout = 5 * time.Second

// Options configure a reference partner. Zero values take the defaults.
type Options struct {
	Mutant      string // "" for the reference partner; see Mutants()
	Name        string // default "refpartner"
	RedirectURI string // default https://partner.test/callback (never followed)
	// Attempts is how often a retryable call (a GET, a payment with its key) is tried
	// on 429, 503 or a transport error. Default 3.
	Attempts int
	// MaxRetryAfter is the longest Retry-After the partner waits; a longer one ends the
	// action at once (rate_limited). Default 10 s.
	MaxRetryAfter time.Duration
	// BreakerThreshold consecutive failed calls (5xx, 429, transport errors) open the
	// circuit for BreakerOpenFor, after which one trial call decides. Defaults 5, 30 s.
	BreakerThreshold int
	BreakerOpenFor   time.Duration
}

func (o Options) withDefaults() Options {
	if o.Name == "" {
		o.Name = "refpartner"
	}
	if o.RedirectURI == "" {
		o.RedirectURI = "https://partner.test/callback"
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 10 * time.Second
	}
	if o.BreakerThreshold <= 0 {
		o.BreakerThreshold = 5
	}
	if o.BreakerOpenFor <= 0 {
		o.BreakerOpenFor = 30 * time.Second
	}
	return o
}

// Partner is one partner integration (one App_ID, one user at a time).
type Partner struct {
	opts   Options
	id     *identity
	log    *memLog
	logger *slog.Logger

	notifyLn   net.Listener
	notifySrv  *http.Server
	notifyURL  string
	notifyCert atomic.Pointer[tls.Certificate]

	act sync.Mutex // one action at a time

	mu           sync.Mutex // guards what follows (the notification server runs concurrently)
	conf         *driver.ConfigureParams
	roots        *x509.CertPool              // conf's CA, parsed once
	bankKeys     map[string]*ecdsa.PublicKey // conf's bank signing keys by serial, parsed once
	client       *sdk.Client
	bankEnc      *ecdsa.PublicKey
	bankEncSN    string
	user         *user
	link         *pendingLink
	usedLinks    map[string]*pendingLink    // finished links by state (only accepts-used-state looks here)
	payments     map[string]*pendingPayment // by state
	notes        []driver.PaymentResult
	noteIDs      map[string]bool
	history      []driver.Event
	alarms       []driver.Alarm
	openCircuits map[string]bool // endpoints whose circuit was open at the last call
}

// user is the linked user: their account-information token set.
type user struct {
	access, refresh string
	scopes          []string
	stopped         string // why the partner stopped calling for this user ("" = it may call)
}

type pendingLink struct {
	verifier, state string
}

type pendingPayment struct {
	verifier, state string
	params          driver.PaymentParams
	idemKey         string
	token           string // the payment consent's access token, once exchanged
	body            []byte // the exact request body, reused on every retry
	result          *driver.PaymentResult
}

// New starts a partner: its key material and its notification server (listening on
// 127.0.0.1 over TLS with the certificate configure brings).
func New(o Options) (*Partner, error) {
	if err := checkMutant(o.Mutant); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	id, err := newIdentity(o.Name, o.Mutant == SameKeySignEnc)
	if err != nil {
		return nil, err
	}
	p := &Partner{opts: o, id: id, log: &memLog{}, payments: map[string]*pendingPayment{}, noteIDs: map[string]bool{}}
	p.logger = slog.New(slog.NewTextHandler(p.log, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.notifyLn, p.notifyURL = ln, "https://"+ln.Addr().String()+"/notify"
	p.notifySrv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(p.serveNotification),
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			if c := p.notifyCert.Load(); c != nil {
				return c, nil
			}
			return nil, errors.New("no notification certificate configured yet")
		}}}
	go func() { _ = p.notifySrv.ServeTLS(ln, "", "") }()
	return p, nil
}

// Close stops the notification server.
func (p *Partner) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.notifySrv.Shutdown(ctx)
}

// Handler serves the driver contract's HTTP transport: POST {base}/{action}.
func (p *Partner) Handler() http.Handler { return driver.Handler(p.Do) }

// Serve starts a reference partner and its HTTP driver on addr (default
// 127.0.0.1:0) and returns the driver URL ("http://127.0.0.1:PORT/driver").
func Serve(ctx context.Context, o Options, addr string) (string, func(), error) {
	p, err := New(o)
	if err != nil {
		return "", nil, err
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		_ = p.Close()
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/driver/", p.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(c)
			_ = p.Close()
		})
	}
	return "http://" + ln.Addr().String() + "/driver", stop, nil
}

// Do runs one driver action (the driver.Func of Handler).
func (p *Partner) Do(ctx context.Context, action string, params json.RawMessage) driver.Envelope {
	p.act.Lock()
	defer p.act.Unlock()
	h, ok := p.actions()[action]
	if !ok {
		return driver.Fail(driver.CodeUnsupported, "unknown action %q", action)
	}
	res, err := h(ctx, params)
	if err != nil {
		var de *driver.Error
		if errors.As(err, &de) {
			return driver.Envelope{Error: de}
		}
		return driver.Fail(driver.CodeInternal, "%v", err)
	}
	env, err := driver.OKEnvelope(res)
	if err != nil {
		return driver.Fail(driver.CodeInternal, "%v", err)
	}
	return env
}

type action func(ctx context.Context, params json.RawMessage) (any, error)

func (p *Partner) actions() map[string]action {
	return map[string]action{
		driver.Hello: p.hello, driver.Configure: p.configure, driver.Reset: p.reset,
		driver.ListProducts: p.listProducts, driver.StartLink: p.startLink, driver.FinishLink: p.finishLink,
		driver.Accounts: p.accounts, driver.Balance: p.balance, driver.Transactions: p.transactions, driver.Holdings: p.holdings,
		driver.StartPayment: p.startPayment, driver.FinishPayment: p.finishPayment, driver.PaymentStatus: p.paymentStatus,
		driver.Notifications: p.notifications, driver.Revoke: p.revoke, driver.History: p.historyAction,
		driver.Status: p.status, driver.Log: p.logAction,
	}
}

// fail makes a partner error.
func fail(code, format string, args ...any) error {
	return &driver.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func decodeParams(params json.RawMessage, v any) error {
	if err := json.Unmarshal(params, v); err != nil {
		return fail(driver.CodeInvalid, "parameters: %v", err)
	}
	return nil
}

// alarm raises an alarm (10.1.2/2b) and logs it.
func (p *Partner) alarm(format string, args ...any) {
	if p.is(NoAlarms) {
		return
	}
	msg := fmt.Sprintf(format, args...)
	p.mu.Lock()
	p.alarms = append(p.alarms, driver.Alarm{Time: time.Now().UTC().Format(time.RFC3339Nano), Message: msg})
	p.mu.Unlock()
	p.logger.Warn("alarm", "message", msg)
}

// record adds an operation of the user to the partner's history (12.3/6).
func (p *Partner) record(kind, format string, args ...any) {
	if p.is(NoHistory) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.history = append(p.history, driver.Event{Time: time.Now().UTC().Format(time.RFC3339Nano), Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

// encKey is the partner's decryption key.
func (p *Partner) encKey() *sm2.PrivateKey { return p.id.encKey }
