package notify

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/faults"
	"github.com/jr0185/harness/sandbox/internal/payments"
	"github.com/jr0185/harness/sandbox/internal/signing"
	"github.com/jr0185/harness/sandbox/protocol"
)

// oneDue is an outbox with one due notification of one payment, recording the outcome.
type oneDue struct {
	Outbox
	failed, delivered int
}

func (o *oneDue) DueNotifications(context.Context, time.Time) ([]payments.Notification, error) {
	return []payments.Notification{{ID: "NTF1", PaymentID: "PAY1", AppID: "A"}}, nil
}
func (o *oneDue) Get(context.Context, string, string) (payments.Payment, error) {
	return payments.Payment{ID: "PAY1", AppID: "A", Status: payments.StatusSucceeded}, nil
}
func (o *oneDue) MarkDelivered(context.Context, ...string) error { o.delivered++; return nil }
func (o *oneDue) MarkFailed(context.Context, string, string) (time.Time, error) {
	o.failed++
	return time.Now(), nil
}

// TestRealDeliveriesAreSpoiledByNotificationFaults: a spoiling fault scoped to
// faults.NotificationAPI spoils the next real delivery exactly as it spoils an answer,
// and the attempt names it; an app-wide fault meant for answers leaves deliveries alone.
func TestRealDeliveriesAreSpoiledByNotificationFaults(t *testing.T) {
	current, _ := sm2.GenerateKey(rand.Reader)
	retired, _ := sm2.GenerateKey(rand.Reader)
	got := make(chan received, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- received{r.Header.Clone(), b}
		w.WriteHeader(401) // the partner refuses: the delivery stays due
	}))
	defer srv.Close()
	reg := faults.New(time.Now)
	var seen []Attempt
	out := &oneDue{}
	n := &Notifier{Outbox: out, Apps: fakeApps{"A": apps.App{ID: "A", NotifyURL: srv.URL + "/n"}},
		Signer: signing.New(current, "5a1"), Clock: clock.New(), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Render: func(p payments.Payment) any { return map[string]string{"payment_id": p.ID, "status": string(p.Status)} },
		HTTP:   srv.Client(), Observe: func(a Attempt) { seen = append(seen, a) },
		Faults: reg, Spoiler: faults.Spoiler{Retired: &signing.Key{Priv: retired, Serial: "7e7"}}}
	if _, err := reg.Inject(faults.Spec{Kind: faults.TamperSignature, AppID: "A", Count: 5}); err != nil { // answers only
		t.Fatal(err)
	}
	verifies := func(k *sm2.PrivateKey, r received) bool {
		return protocol.VerifySM2(&k.PublicKey, protocol.ResponseStringToSign(r.header.Get(protocol.HeaderTimestamp), r.header.Get(protocol.HeaderNonce), r.body),
			r.header.Get(protocol.HeaderSignature))
	}
	cases := []struct {
		kind  faults.Kind
		check func(received) bool
	}{
		{"", func(r received) bool { return verifies(current, r) && r.header.Get(protocol.HeaderSerial) == "5a1" }},
		{faults.TamperBody, func(r received) bool { return !verifies(current, r) && r.header.Get(protocol.HeaderSerial) == "5a1" }},
		{faults.StripSignature, func(r received) bool {
			return r.header.Get(protocol.HeaderSignature) == "" && r.header.Get(protocol.HeaderSerial) == ""
		}},
		{faults.UnknownSerial, func(r received) bool { return verifies(current, r) && r.header.Get(protocol.HeaderSerial)[:2] == "0f" }},
		{faults.RetiredKey, func(r received) bool { return verifies(retired, r) && r.header.Get(protocol.HeaderSerial) == "7e7" }},
	}
	for i, c := range cases {
		if c.kind != "" {
			if _, err := reg.Inject(faults.Spec{Kind: c.kind, AppID: "A", APIID: faults.NotificationAPI, Count: 1}); err != nil {
				t.Fatal(err)
			}
		}
		n.DeliverDue(context.Background())
		n.Wait()
		r := <-got
		if !c.check(r) {
			t.Fatalf("delivery %d (%q): headers %v body %s", i, c.kind, r.header, r.body)
		}
		if a := seen[len(seen)-1]; a.Fault != string(c.kind) || a.Probe != "" || a.AnswerStatus != 401 {
			t.Fatalf("delivery %d: attempt %+v, want fault %q", i, a, c.kind)
		}
	}
	if out.failed != len(cases) || out.delivered != 0 {
		t.Fatalf("outbox: %d failed, %d delivered", out.failed, out.delivered)
	}
	if f := reg.List(); len(f) != 1 || f[0].Hits != 0 {
		t.Fatalf("the app-wide answer fault was spent on deliveries: %+v", f)
	}
}
