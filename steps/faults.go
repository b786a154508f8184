package steps

// Issue 15 — faults without silent damage — judged over the wire: a payment's change is
// in the bank's audit log as a record of its own (written in the payment's transaction,
// so the log holds every business change, 7.3.3/1 and 12.3/1), the log's verification
// finds it complete, and the payment's notification names the partner's Idempotency-Key
// and the consent it was made under, so the outcome can be matched to its request
// whenever it arrives (10.2.3/4) (features/bank/faults.feature).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cucumber/godog"
)

func init() {
	registrars = append(registrars, registerFaults)
}

func registerFaults(sc *godog.ScenarioContext) {
	sc.Step(`^the bank's audit log holds a record of the payment's change to "([a-z_]+)", apart from the call's access record$`, paymentChangeRecorded)
	sc.Step(`^the bank's audit verification finds every payment recorded$`, auditComplete)
	sc.Step(`^the app's notification of the payment names its Idempotency-Key and the consent it was paid under$`, notificationNamesRequest)
}

// paymentChangeRecorded finds, among the app's audit records, the business record of the
// payment ({payment.id}): method COMMIT, path payment:<id>, its status and the request id
// of the call that paid in its excerpt — a record of its own, besides the access record.
func paymentChangeRecorded(ctx context.Context, status string) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	id := w.Vars["payment.id"]
	first, err := w.firstPayment()
	if err != nil {
		return err
	}
	rid := first.RequestID()
	return eventually(ctx, asyncWithin, func() error {
		out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/audit?limit=1000&app_id="+a.ID, nil, 200)
		if err != nil {
			return err
		}
		recs, _ := out["records"].([]any)
		access := false
		for _, it := range recs {
			m, _ := it.(map[string]any)
			if m["request_id"] == rid && m["method"] == "POST" {
				access = true
			}
		}
		for _, it := range recs {
			m, _ := it.(map[string]any)
			if m["method"] != "COMMIT" || m["path"] != "payment:"+id {
				continue
			}
			var ex struct {
				Status    string `json:"status"`
				ByRequest string `json:"by_request"`
			}
			raw, _ := m["excerpt"].(string)
			if json.Unmarshal([]byte(raw), &ex) != nil || ex.Status != status {
				continue
			}
			if ex.ByRequest != rid {
				return fmt.Errorf("the record of payment %s's change to %s names request %q, not the call that paid (%s)", id, status, ex.ByRequest, rid)
			}
			if !access {
				return fmt.Errorf("the paying call %s has no access record of its own", rid)
			}
			w.Note("business record: %v", m)
			return nil
		}
		return fmt.Errorf("none of the app's %d audit records is the change of payment %s to %s (method COMMIT, path payment:%s)", len(recs), id, status, id)
	})
}

// auditComplete reads the live audit verification: the chain intact and no payment
// without its record.
func auditComplete(ctx context.Context) error {
	w := W(ctx)
	return eventually(ctx, asyncWithin, func() error {
		out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/audit/verify", nil, 200)
		if err != nil {
			return err
		}
		rep, _ := out["report"].(map[string]any)
		if rep["ok"] != true || rep["complete"] != true || toFloat(rep["gaps"]) != 0 {
			return fmt.Errorf("the audit log is not intact and complete: %v", clip(fmt.Sprint(rep), 600))
		}
		w.Note("audit verification: %d records, complete, %v pending", int(toFloat(rep["records"])), rep["pending"])
		return nil
	})
}

// notificationNamesRequest finds the app's notification of {payment.id} and checks that
// it names the Idempotency-Key the payment was sent with and the consent id the token
// endpoint gave with the payment token.
func notificationNamesRequest(ctx context.Context) error {
	w := W(ctx)
	r := receiverOf(w).r
	if r == nil {
		return errors.New("the app has no notification receiver (use \"an A2 app with a notification receiver\")")
	}
	id, key := w.Vars["payment.id"], w.Vars["idempotency.key"]
	consent := ""
	for name, tok := range w.Tokens {
		if strings.HasPrefix(name, "pay:") {
			consent = tok.Consent
		}
	}
	if key == "" || consent == "" {
		return fmt.Errorf("no payment with an Idempotency-Key (%q) under a known consent (%q) in this scenario", key, consent)
	}
	return eventually(ctx, notifyWithin, func() error {
		r.mu.Lock()
		got := append([]notification(nil), r.got...)
		r.mu.Unlock()
		for _, n := range got {
			var m struct {
				Payment struct {
					ID string `json:"payment_id"`
				} `json:"payment"`
				Key     *string `json:"idempotency_key"`
				Consent *string `json:"consent_id"`
			}
			if json.Unmarshal(n.Body, &m) != nil || m.Payment.ID != id {
				continue
			}
			switch {
			case m.Key == nil || *m.Key != key:
				return fmt.Errorf("the notification of payment %s names Idempotency-Key %v, want %q: %s", id, deref(m.Key), key, clip(string(n.Body), 300))
			case m.Consent == nil || *m.Consent != consent:
				return fmt.Errorf("the notification of payment %s names consent %v, want %q: %s", id, deref(m.Consent), consent, clip(string(n.Body), 300))
			}
			if _, err := w.Env.verifyBankSigned(ctx, n.Header, n.Body); err != nil {
				return fmt.Errorf("the notification of payment %s: %w", id, err)
			}
			w.Note("notification: %s", clip(string(n.Body), 300))
			return nil
		}
		return fmt.Errorf("no notification of payment %s (%d others)", id, len(got))
	})
}

func deref(s *string) any {
	if s == nil {
		return "none"
	}
	return *s
}
