package steps

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cucumber/godog"
)

// A payment's fields at their edges, and the payees a bank must tell apart (JR/T
// 0185-2020 7.2.2/1 参数格式, 10.2.2/2, 9.3.1/2 — issue 13 item 4: the mutation survivors
// of payments.checkShape, checkAccounts and ValidIdempotencyKey). Each payment is one
// zhangsan consented to at the bank; a refused one leaves its consent unspent, so the
// same consent is then paid with the correct request.

func init() { registrars = append(registrars, registerPaymentEdges) }

func registerPaymentEdges(sc *godog.ScenarioContext) {
	sc.Step(`^an Idempotency-Key outside 1 to 64 of A-Z a-z 0-9 - _ \. : is refused 400 "IDEMPOTENCY_KEY_INVALID" and one of 64 at the alphabet's edges is paid$`, idempotencyKeyEdges)
	sc.Step(`^a payment to a payee name of 100 bytes, the most a consent takes, is paid$`, payeeNameEdge)
	sc.Step(`^a payment to the debit account itself is refused 400 "PARAMETER_INVALID" and one to another customer's account at the bank is paid$`, payeeInTheBank)
	sc.Step(`^(\d+) payments under one payment consent sent together, each with its own Idempotency-Key: exactly one is paid, every other refused 403 "CONSENT_USED", and the debit account's history holds it once$`, raceConsent)
	sc.Step(`^the bank records the notification that the payment is "([a-z_]+)" as delivered$`, notificationDelivered)
}

// edgePay has zhangsan consent to app a paying t, then sends the payment once per key
// of refuse (each must be refused with status and code) and finally with ok, which
// must be paid on exactly t.
func edgePay(ctx context.Context, t payTerms, variants []payVariant, okKey string) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	m, err := moneyOf(ctx)
	if err != nil {
		return err
	}
	tok, err := payConsent(ctx, a, t)
	if err != nil {
		return err
	}
	for _, v := range variants {
		vt := t
		if v.set != nil {
			v.set(&vt)
		}
		body, err := payBody(ctx, w.Env, vt)
		if err != nil {
			return err
		}
		x, err := w.Env.Do(ctx, payCall(a, tok, body, v.key), nil)
		if err != nil {
			return err
		}
		w.record(x)
		if err := refusedWith(x, v.status, v.code); err != nil {
			return fmt.Errorf("a payment with %s: %w", v.what, err)
		}
	}
	if okKey == "" {
		return nil
	}
	body, err := payBody(ctx, w.Env, t)
	if err != nil {
		return err
	}
	x, err := w.Env.Do(ctx, payCall(a, tok, body, okKey), nil)
	if err != nil {
		return err
	}
	w.record(x)
	_, err = paid(x, t, m.masks)
	return err
}

// payVariant is one refused payment: the key it is sent with, a change of its terms.
type payVariant struct {
	what   string
	key    string
	set    func(*payTerms)
	status int
	code   string
}

func idempotencyKeyEdges(ctx context.Context) error {
	m, err := moneyOf(ctx)
	if err != nil {
		return err
	}
	t := probeTerms(m.zhangsan.Accounts[0].ID)
	bad := func(what, key string) payVariant {
		return payVariant{what: "an Idempotency-Key " + what, key: key, status: 400, code: "IDEMPOTENCY_KEY_INVALID"}
	}
	edge := "aAzZ09-_.:"
	key := edge + randomNonce() + randomNonce()
	return edgePay(ctx, t, []payVariant{
		bad("with a space", "edge key "+randomNonce()),
		bad("with a slash", "edge/"+randomNonce()),
		bad("with a non-ASCII letter", "édge-"+randomNonce()),
		bad("with a comma", "edge,"+randomNonce()),
		bad("of 65 characters", key[:64]+"x"),
	}, key[:64])
}

func payeeNameEdge(ctx context.Context) error {
	m, err := moneyOf(ctx)
	if err != nil {
		return err
	}
	t := probeTerms(m.zhangsan.Accounts[0].ID)
	t.name = strings.Repeat("赵", 33) + "A" // 100 bytes of UTF-8
	if err := edgePay(ctx, t, nil, "name-"+randomNonce()); err != nil {
		return fmt.Errorf("a payee name of 100 bytes: %w", err)
	}
	return nil
}

func payeeInTheBank(ctx context.Context) error {
	m, err := moneyOf(ctx)
	if err != nil {
		return err
	}
	own := m.zhangsan.Accounts[0]
	t := probeTerms(own.ID)
	t.payee, t.name = own.Number, m.zhangsan.Name
	if err := edgePay(ctx, t, []payVariant{{what: "the debit account as payee", key: "self-" + randomNonce(),
		status: 400, code: "PARAMETER_INVALID"}}, ""); err != nil {
		return err
	}
	lisi, err := seededUser(ctx, "lisi")
	if err != nil {
		return err
	}
	t = probeTerms(own.ID)
	t.payee, t.name = "", lisi.Name
	for _, acc := range lisi.Accounts {
		if acc.Status == "active" {
			t.payee = acc.Number
			break
		}
	}
	if t.payee == "" {
		return fmt.Errorf("lisi holds no active account to pay")
	}
	if err := edgePay(ctx, t, nil, "inbank-"+randomNonce()); err != nil {
		return fmt.Errorf("a payment to another customer's account at the bank, named as its holder: %w", err)
	}
	return nil
}

// notificationDelivered: once the app's receiver acknowledged the notification that
// the payment is status, the bank's record of it says delivered — else the bank would
// send it again on every pass (10.2.3/4).
func notificationDelivered(ctx context.Context, status string) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	id := w.Vars["payment.id"]
	if err := signedNotification(ctx, status); err != nil {
		return err
	}
	return eventually(ctx, notifyWithin, func() error {
		out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/apps/"+url.PathEscape(a.ID)+"/notifications", nil, http.StatusOK)
		if err != nil {
			return err
		}
		for _, n := range asList(out["notifications"]) {
			if n["payment_id"] != id || n["status"] != status {
				continue
			}
			at, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(n["delivered_at"]))
			if at.IsZero() {
				return fmt.Errorf("the bank's record of the notification that payment %s is %s says it is not delivered: %v", id, status, n)
			}
			return nil
		}
		return fmt.Errorf("the bank holds no notification that payment %s is %s", id, status)
	})
}

// raceConsent sends n payments of one single-use consent at once, each a new payment
// (its own Idempotency-Key): exactly one is executed, whatever order the bank sees them
// in (JR/T 0185-2020 9.3.2/1c 单次有效, 10.2.2/2).
func raceConsent(ctx context.Context, n int) error {
	w := W(ctx)
	if n < 2 || n > 16 {
		return fmt.Errorf("send 2 to 16 payments together, not %d", n)
	}
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	m, err := moneyOf(ctx)
	if err != nil {
		return err
	}
	t := probeTerms(m.zhangsan.Accounts[0].ID)
	tok, err := payConsent(ctx, a, t)
	if err != nil {
		return err
	}
	body, err := payBody(ctx, w.Env, t)
	if err != nil {
		return err
	}
	xs, err := together(n, func(i int) (*Exchange, error) {
		return w.Env.Do(ctx, payCall(a, tok, body, fmt.Sprintf("race-%d-%s", i, randomNonce())), nil)
	})
	if err != nil {
		return err
	}
	paidN := 0
	for _, x := range xs {
		w.record(x)
		if x.Status == 201 {
			if _, err := paid(x, t, m.masks); err != nil {
				return err
			}
			paidN++
			continue
		}
		if err := refusedWith(x, 403, "CONSENT_USED"); err != nil {
			return fmt.Errorf("a payment that lost the race for one consent: %w", err)
		}
	}
	if paidN != 1 {
		return fmt.Errorf("%d payments under one single-use consent sent together: %d paid, want exactly 1", n, paidN)
	}
	info, _, err := obtainToken(ctx, a, proberUser, ConsentRequest{Scopes: []string{"transactions:read"}, ValidDays: 1})
	if err != nil {
		return err
	}
	x, err := w.Env.Do(ctx, Call{App: a, Method: "GET", URI: "/a2/v1/accounts/" + t.from + "/transactions?page_size=100",
		Header: http.Header{"X-Jr-Access-Token": {info.Access}}}, nil)
	if err != nil {
		return err
	}
	if got := strings.Count(string(x.Body), t.memo); x.Status != 200 || got != 1 {
		return fmt.Errorf("the debit account's history holds the raced payment (memo %q) %d times (HTTP %d), want once", t.memo, got, x.Status)
	}
	return nil
}
