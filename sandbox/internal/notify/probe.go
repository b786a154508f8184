package notify

import (
	"context"
	"errors"

	"github.com/jr0185/harness/sandbox/internal/ledger"
	"github.com/jr0185/harness/sandbox/internal/payments"
)

// Probe kinds: a notification shaped exactly like a real one, with a correct, a
// tampered or no signature (sandbox test control for the partner-side suite: does the
// partner verify what it is sent? JR/T 0185-2020 9.2.2/2).
const (
	ProbeValid        = "valid"
	ProbeBadSignature = "bad-signature"
	ProbeUnsigned     = "unsigned"
)

// ErrNoNotifyURL: the app registered no notification URL.
var ErrNoNotifyURL = errors.New("the app has no notification URL")

// Probe makes one synchronous notification attempt to appID's notification URL (no
// retry, nothing stored in the outbox). paymentID names one of the app's payments
// (its status replaced by status when given) or, when unknown or empty, a made-up
// payment with that id (a fresh id if empty) and status (default succeeded).
func (n *Notifier) Probe(ctx context.Context, appID, kind, paymentID string, status payments.Status) (Attempt, error) {
	if kind != ProbeValid && kind != ProbeBadSignature && kind != ProbeUnsigned {
		return Attempt{}, errors.New("unknown probe kind")
	}
	app, err := n.Apps.Get(ctx, appID)
	if err != nil {
		return Attempt{}, err
	}
	if app.NotifyURL == "" {
		return Attempt{}, ErrNoNotifyURL
	}
	now := n.Clock.Now()
	p := payments.Payment{ID: paymentID, AppID: appID, Status: payments.StatusSucceeded, AmountFen: 100, Currency: "CNY",
		Memo: "probe", CreatedAt: now, UpdatedAt: now, FinishedAt: now}
	if paymentID != "" {
		if real, err := n.Outbox.Get(ctx, appID, paymentID); err == nil {
			p = real
		}
	} else {
		p.ID = ledger.NewID("PAY")
	}
	if status != "" {
		p.Status = status
	}
	a, _ := n.send(ctx, app, ledger.NewID("NTF"), p, kind)
	return a, nil
}
