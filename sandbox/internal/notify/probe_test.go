package notify

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/payments"
	"github.com/jr0185/harness/sandbox/internal/signing"
	"github.com/jr0185/harness/sandbox/protocol"
)

type fakeApps map[string]apps.App

func (f fakeApps) Get(_ context.Context, id string) (apps.App, error) {
	a, ok := f[id]
	if !ok {
		return apps.App{}, errors.New("no app")
	}
	return a, nil
}

type noPayments struct{ Outbox }

func (noPayments) Get(context.Context, string, string) (payments.Payment, error) {
	return payments.Payment{}, errors.New("not found")
}

type received struct {
	header http.Header
	body   []byte
}

// TestProbeSpoilsOnlyTheSignature: each probe kind is one POST shaped like a real
// notification; the signature is correct, one bit off, or absent, and every attempt is
// reported to Observe.
func TestProbeSpoilsOnlyTheSignature(t *testing.T) {
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan received, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- received{r.Header.Clone(), b}
		w.WriteHeader(204)
	}))
	defer srv.Close()
	var seen []Attempt
	n := &Notifier{Outbox: noPayments{}, Apps: fakeApps{"A": {ID: "A", NotifyURL: srv.URL + "/n"}, "B": {ID: "B"}},
		Signer: signing.New(key, "S1"), Clock: clock.New(), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Render: func(p payments.Payment) any { return map[string]string{"payment_id": p.ID, "status": string(p.Status)} },
		HTTP:   srv.Client(), Observe: func(a Attempt) { seen = append(seen, a) }}
	cases := []struct {
		kind       string
		signed     bool
		wantVerify bool
	}{
		{ProbeValid, true, true},
		{ProbeBadSignature, true, false},
		{ProbeUnsigned, false, false},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			a, err := n.Probe(context.Background(), "A", c.kind, "", payments.StatusFailed)
			if err != nil || a.AnswerStatus != 204 || a.Probe != c.kind || a.PaymentID == "" || a.Error != "" {
				t.Fatalf("probe: %+v %v", a, err)
			}
			r := <-got
			sig := r.header.Get(protocol.HeaderSignature)
			if (sig != "") != c.signed || (r.header.Get(protocol.HeaderSerial) != "") != c.signed {
				t.Fatalf("signature headers: %v", r.header)
			}
			msg := protocol.ResponseStringToSign(r.header.Get(protocol.HeaderTimestamp), r.header.Get(protocol.HeaderNonce), r.body)
			if protocol.VerifySM2(&key.PublicKey, msg, sig) != c.wantVerify {
				t.Fatalf("signature verifies = %v, want %v", !c.wantVerify, c.wantVerify)
			}
			if want := `{"event":"payment.status","notification_id":"` + a.NotificationID + `","payment":{"payment_id":"` + a.PaymentID + `","status":"failed"}}`; string(r.body) != want {
				t.Fatalf("body %s\nwant %s", r.body, want)
			}
		})
	}
	if len(seen) != len(cases) {
		t.Fatalf("%d attempts observed, want %d", len(seen), len(cases))
	}
	if _, err := n.Probe(context.Background(), "B", ProbeValid, "", ""); !errors.Is(err, ErrNoNotifyURL) {
		t.Fatalf("app without URL: %v", err)
	}
	if _, err := n.Probe(context.Background(), "A", "loud", "", ""); err == nil {
		t.Fatal("unknown kind accepted")
	}
}
