// Package notify delivers payment results to partners: a POST to the app's registered
// notification URL, signed by the bank exactly like an API response (timestamp, nonce
// and body under the bank's SM2 key; JR/T 0185-2020 7.2.2/2, 9.2.2/2), retried with
// exponential backoff from the payments outbox until the partner answers 2xx.
//
// Partners are isolated from each other (issue 15): each App_ID has its own queue and
// delivers on its own goroutine, one notification after another, while App_IDs deliver
// concurrently; each endpoint has a circuit breaker (breaker.go) that stops trying an
// endpoint that keeps failing, and tries it again after a growing pause. A hanging
// endpoint costs its own partner only. Lag (how long an App_ID's oldest due
// notification has waited) is kept per App_ID for health and metrics.
package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/faults"
	"github.com/jr0185/harness/sandbox/internal/payments"
	"github.com/jr0185/harness/sandbox/internal/signing"
	"github.com/jr0185/harness/sandbox/protocol"
)

// Outbox is the payments side of delivery.
type Outbox interface {
	DueNotifications(ctx context.Context, now time.Time) ([]payments.Notification, error)
	MarkDelivered(ctx context.Context, ids ...string) error
	MarkFailed(ctx context.Context, id, reason string) (time.Time, error)
	Get(ctx context.Context, appID, paymentID string) (payments.Payment, error)
	Backlog(ctx context.Context, now time.Time) (map[string]time.Time, error)
}

// Directory finds an app's notification URL.
type Directory interface {
	Get(ctx context.Context, id string) (apps.App, error)
}

// HeaderNotificationID names the delivery, so a partner can drop duplicates.
const HeaderNotificationID = "X-JR-Notification-Id"

// Notifier delivers notifications.
type Notifier struct {
	Outbox  Outbox
	Apps    Directory
	Signer  *signing.Current
	Clock   clock.Clock
	Log     *slog.Logger
	Render  func(payments.Payment) any // the partner-facing view of a payment
	HTTP    *http.Client
	Every   time.Duration
	Timeout time.Duration
	// Observe, when set, sees every attempt, real or probe (sandbox observation).
	Observe func(Attempt)
	// Faults, when set (sandbox mode), may spoil a real delivery after signing: a
	// spoiling fault scoped to faults.NotificationAPI, applied by Spoiler exactly as to
	// an API answer (JR/T 0185-2020 9.3.3/1: the partner must refuse it).
	Faults  *faults.Registry
	Spoiler faults.Spoiler
	// Parallel bounds the App_IDs delivering at once (default 32).
	Parallel int
	// WithoutRequestIDs is the notify-without-request-ids mutant (sandbox mode only):
	// notifications leave out the payment's Idempotency-Key and consent id.
	WithoutRequestIDs bool

	mu       sync.Mutex
	busy     map[string]bool     // App_IDs delivering now
	breakers map[string]*breaker // by notification URL
	sem      chan struct{}
	wg       sync.WaitGroup
}

// NewHTTPClient trusts the system roots plus extra CAs (the sandbox TLS CA, which
// issues partners' test servers), with TLS 1.2 or later and no redirects.
func NewHTTPClient(extra []*x509.Certificate, timeout time.Duration) *http.Client {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, c := range extra {
		pool.AddCert(c)
	}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Run delivers until ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	every := n.Every
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	defer n.wg.Wait() // the App_IDs' deliveries end with ctx
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.DeliverDue(ctx)
		}
	}
}

func (n *Notifier) init() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.busy != nil {
		return
	}
	n.busy, n.breakers = map[string]bool{}, map[string]*breaker{}
	p := n.Parallel
	if p <= 0 {
		p = 32
	}
	n.sem = make(chan struct{}, p)
}

// DeliverDue makes one pass over the due notifications: each App_ID not already
// delivering gets its due notifications, delivered on a goroutine of its own. It does
// not wait for the deliveries (Wait does).
func (n *Notifier) DeliverDue(ctx context.Context) {
	n.init()
	now := n.Clock.Now()
	due, err := n.Outbox.DueNotifications(ctx, now)
	if err != nil {
		if ctx.Err() == nil {
			n.Log.Warn("notification outbox unavailable", "err", err)
		}
		return
	}
	byApp := map[string][]payments.Notification{}
	var order []string
	for _, d := range due {
		if _, ok := byApp[d.AppID]; !ok {
			order = append(order, d.AppID)
		}
		byApp[d.AppID] = append(byApp[d.AppID], d)
	}
	n.mu.Lock()
	var start []string
	for _, app := range order {
		if !n.busy[app] {
			n.busy[app] = true
			start = append(start, app)
		}
	}
	n.mu.Unlock()
	for _, app := range start {
		n.wg.Add(1)
		go n.deliverApp(ctx, app, byApp[app])
	}
}

// Wait waits for the deliveries DeliverDue started.
func (n *Notifier) Wait() { n.wg.Wait() }

// Lag returns, per App_ID with an undelivered notification (due, or tried and waiting
// for its next attempt), how long the oldest has waited since it was created.
func (n *Notifier) Lag(ctx context.Context) (map[string]time.Duration, error) {
	now := n.Clock.Now()
	oldest, err := n.Outbox.Backlog(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Duration, len(oldest))
	for app, t := range oldest {
		out[app] = max(0, now.Sub(t))
	}
	return out, nil
}

// deliverApp delivers one App_ID's due notifications in order, through its endpoint's
// breaker; the deliveries are marked together, in one transaction, at the end (a crash
// before that only means those are delivered again: at least once).
func (n *Notifier) deliverApp(ctx context.Context, appID string, due []payments.Notification) {
	defer n.wg.Done()
	defer func() {
		n.mu.Lock()
		delete(n.busy, appID)
		n.mu.Unlock()
	}()
	select {
	case n.sem <- struct{}{}:
		defer func() { <-n.sem }()
	case <-ctx.Done():
		return
	}
	var delivered []string
	defer func() {
		if len(delivered) == 0 {
			return
		}
		if err := n.Outbox.MarkDelivered(context.WithoutCancel(ctx), delivered...); err != nil {
			n.Log.Warn("marking notifications delivered failed", "notifications", len(delivered), "err", err)
		}
	}()
	for _, d := range due {
		if ctx.Err() != nil {
			return
		}
		reason, tried := n.deliver(ctx, d)
		if !tried {
			return // the endpoint's breaker is open: the rest stay due, untouched
		}
		if reason != "" {
			next, err := n.Outbox.MarkFailed(ctx, d.ID, reason)
			n.Log.Info("notification not delivered", "notification_id", d.ID, "app_id", d.AppID, "reason", reason, "next_attempt", next, "err", err)
			continue
		}
		delivered = append(delivered, d.ID)
	}
}

// deliver returns "" on success or why it failed; tried is false when the endpoint's
// breaker is open and nothing was sent.
func (n *Notifier) deliver(ctx context.Context, d payments.Notification) (reason string, tried bool) {
	app, err := n.Apps.Get(ctx, d.AppID)
	if err != nil {
		return "app not found", true
	}
	if app.NotifyURL == "" {
		return "the app has no notification URL", true
	}
	p, err := n.Outbox.Get(ctx, d.AppID, d.PaymentID)
	if err != nil {
		return "payment not found", true
	}
	b := n.breaker(app.NotifyURL)
	if !b.allow(time.Now()) {
		return "", false
	}
	a, reason := n.send(ctx, app, d.ID, p, "")
	b.record(time.Now(), reason == "") // the endpoint answered, whatever its status: it is alive
	if reason == "" && (a.AnswerStatus < 200 || a.AnswerStatus > 299) {
		reason = fmt.Sprintf("partner answered HTTP %d", a.AnswerStatus)
	}
	return reason, true
}

func (n *Notifier) breaker(url string) *breaker {
	n.mu.Lock()
	defer n.mu.Unlock()
	b := n.breakers[url]
	if b == nil {
		b = &breaker{}
		n.breakers[url] = b
	}
	return b
}

// message is a notification's body.
type message struct {
	Event          string `json:"event"`
	NotificationID string `json:"notification_id"`
	Payment        any    `json:"payment"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	ConsentID      string `json:"consent_id,omitempty"`
}

// Attempt is one POST of a notification to a partner, as the bank made it.
type Attempt struct {
	AppID, URL, NotificationID, PaymentID string
	Probe                                 string // "" for a real delivery
	Fault                                 string // the spoiling fault applied to a real delivery, if any
	Start                                 time.Time
	Duration                              time.Duration
	TLSVersion                            string // of the connection to the partner; "" if none
	AnswerStatus                          int    // the partner's HTTP status; 0 if it never answered
	Error                                 string // transport error text; "" if the partner answered
}

// send makes one signed POST of p's notification (body and headers exactly as every
// delivery), with the signature spoiled for a probe: ProbeBadSignature, ProbeUnsigned
// or ProbeValid; "" is a real delivery. It reports the attempt to n.Observe. reason is
// "" when the partner answered (whatever its status), else why not.
func (n *Notifier) send(ctx context.Context, app apps.App, notificationID string, p payments.Payment, probe string) (a Attempt, reason string) {
	a = Attempt{AppID: app.ID, URL: app.NotifyURL, NotificationID: notificationID, PaymentID: p.ID, Probe: probe, Start: time.Now()}
	defer func() {
		a.Duration = time.Since(a.Start)
		if n.Observe != nil {
			n.Observe(a)
		}
	}()
	// The payment's Idempotency-Key and consent id let the partner match the outcome to
	// its request whenever it arrives (issue 15; 10.2.3/4: the result is reported).
	msg := message{Event: "payment.status", NotificationID: notificationID, Payment: n.Render(p),
		IdempotencyKey: p.IdempotencyKey, ConsentID: p.ConsentID}
	if n.WithoutRequestIDs {
		msg.IdempotencyKey, msg.ConsentID = "", ""
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return a, "rendering failed"
	}
	ts, nonce := protocol.Timestamp(n.Clock.Now()), protocol.NewNonce()
	key := n.Signer.Get()
	sig, err := protocol.SignSM2(key.Priv, protocol.ResponseStringToSign(ts, nonce, body))
	if err != nil {
		return a, "signing failed"
	}
	m := faults.Signed{Body: body, Timestamp: ts, Nonce: nonce, Signature: sig, Serial: key.Serial}
	switch {
	case probe == ProbeBadSignature:
		m.Signature = faults.FlipSignatureBit(sig) // the same spoiling as the tamper-signature fault
	case probe == ProbeUnsigned:
		m.Signature, m.Serial = "", ""
	case probe == "" && n.Faults != nil:
		if e := n.Faults.Apply(app.ID, faults.NotificationAPI); faults.Spoils(e.Mangle) {
			if m, err = n.Spoiler.Spoil(e.Mangle, m); err != nil {
				return a, "spoiling failed"
			}
			a.Fault = string(e.Mangle)
		}
	}
	timeout := n.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, app.NotifyURL, bytes.NewReader(m.Body))
	if err != nil {
		a.Error = "bad notification URL"
		return a, "bad notification URL"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(protocol.HeaderTimestamp, ts)
	req.Header.Set(protocol.HeaderNonce, nonce)
	if m.Signature != "" {
		req.Header.Set(protocol.HeaderSignature, m.Signature)
	}
	if m.Serial != "" {
		req.Header.Set(protocol.HeaderSerial, m.Serial)
	}
	req.Header.Set(HeaderNotificationID, notificationID)
	resp, err := n.HTTP.Do(req)
	if err != nil {
		a.Error = clip(err.Error(), 300)
		return a, "partner endpoint unreachable"
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	a.AnswerStatus = resp.StatusCode
	if resp.TLS != nil {
		a.TLSVersion = tls.VersionName(resp.TLS.Version)
	}
	return a, ""
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
