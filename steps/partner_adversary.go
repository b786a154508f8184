package steps

// The bank as the partner's adversary (JR/T 0185-2020 9.3.3/1, 9.2.2/2, 7.3.4/3): for
// one kind of answer the partner receives, the sandbox spoils it in each of the five
// ways in turn — body changed after signing, signature stripped, a signature that does
// not verify, a key serial that is not published, the retired bank key (its certificate
// published but expired) — each time as the partner acts. Every round must end in
// integrity_failure with an alarm, and nothing acted on: no token kept, no payment shown
// as done, no revocation recorded, no user dropped on a forged error, nothing shown.
// One scenario per answer kind walks all five rounds (the partner suite stays fast).

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/jr0185/harness/steps/driver"
)

// adversaryWays are the five ways, in the order each walk takes them (the fault kinds
// of the sandbox's test-control API, POST /admin/v1/faults).
var adversaryWays = []string{"tamper-body", "strip-signature", "tamper-signature", "unknown-serial", "retired-key"}

// notificationAPI scopes a fault to the payment notifications the bank sends (published
// with the fault kinds in the manual).
const notificationAPI = "notify.payment-status"

// adversaryRound is one spoiled answer and what the partner did with it.
type adversaryRound struct {
	way     string
	answer  actionAnswer
	alarms  int    // the partner's alarms after the round
	problem string // what the partner did with it besides refusing, "" if nothing
}

// walkAction is what the partner is asked to do in each round of a walk.
type walkAction struct {
	// prepare runs before the round's fault is injected (a fresh consent, expired tokens).
	prepare func(ctx context.Context) error
	act     func(ctx context.Context) error
	// acted says what the partner did with the spoiled answer, "" if nothing (run after
	// the round, with the bank's observations of the round).
	acted func(ctx context.Context, round []observation) (string, error)
}

func registerPartnerAdversary(sc *godog.ScenarioContext) {
	sc.Step(`^the bank spoils its answer from "([a-z0-9.]+)"(?: as a forged "([A-Z_]+)")? in each of the five ways in turn, each time as the partner (.+)$`, adversaryWalk)
	sc.Step(`^the bank spoils the notification of that payment in each of the five ways in turn, delivering it again each time$`, adversaryNotifications)
	sc.Step(`^the partner refused every spoiled answer with "integrity_failure" and raised an alarm for each$`, adversaryRefusedAll)
	sc.Step(`^the partner acted on none of the spoiled answers$`, adversaryActedOnNone)
	sc.Step(`^the partner refused every spoiled notification, accepted none of them and raised an alarm for each$`, adversaryNotificationsRefused)
	sc.Step(`^the partner is asked for the transactions of the user's first account$`, func(ctx context.Context) error {
		var r driver.TransactionsResult
		return partnerDo(ctx, driver.Transactions, driver.AccountParams{AccountID: W(ctx).Vars["partner.account"]}, &r)
	})
	sc.Step(`^the partner answered with the transactions the bank holds for that account$`, partnerTransactionsMatch)
	sc.Step(`^the partner is asked again to finish that payment$`, func(ctx context.Context) error {
		s := pst(W(ctx))
		if s.paymentRedirect == "" {
			return errors.New("no payment was started")
		}
		return partnerDo(ctx, driver.FinishPayment, driver.RedirectParams{RedirectURL: s.paymentRedirect}, &s.payment)
	})
	sc.Step(`^the user has confirmed a payment of "([\d.]+)" from their first account to "(\d+)" named "([^"]+)" that the partner started$`, partnerPaymentConsented)
}

// walkActions are the actions a walk can ask for, by the words after "as the partner".
func walkActions() map[string]walkAction {
	refusedOnly := func(context.Context, []observation) (string, error) { return "", nil }
	balance := func(ctx context.Context) error { return partnerBalance(ctx, 1) }
	return map[string]walkAction{
		"is asked for the balance of the user's first account": {act: balance, acted: refusedOnly},
		"is asked for the user's accounts": {act: func(ctx context.Context) error {
			var r driver.AccountsResult
			return partnerDo(ctx, driver.Accounts, struct{}{}, &r)
		}, acted: refusedOnly},
		"is asked for the transactions of the user's first account": {act: func(ctx context.Context) error {
			var r driver.TransactionsResult
			return partnerDo(ctx, driver.Transactions, driver.AccountParams{AccountID: W(ctx).Vars["partner.account"]}, &r)
		}, acted: refusedOnly},
		"is asked for the user's holdings": {act: func(ctx context.Context) error {
			var r driver.HoldingsResult
			return partnerDo(ctx, driver.Holdings, struct{}{}, &r)
		}, acted: refusedOnly},
		"is asked for the status of that payment": {act: func(ctx context.Context) error {
			var r driver.PaymentResult
			return partnerDo(ctx, driver.PaymentStatus, driver.PaymentIDParams{PaymentID: pst(W(ctx)).payment.PaymentID}, &r)
		}, acted: refusedOnly},
		// The token answer of a code exchange: after a spoiled one the partner holds no
		// token, so an account action answers not_linked without calling the bank.
		`links "zhangsan"'s accounts`: {prepare: startLinkAtBank, act: func(ctx context.Context) error {
			return partnerDo(ctx, driver.FinishLink, driver.RedirectParams{RedirectURL: pst(W(ctx)).linkRedirect}, &driver.LinkResult{})
		}, acted: notLinkedAfter},
		// The refresh answer: the partner's access token expired; after the spoiled refresh
		// it must not call the account API (with a token from the spoiled answer).
		"refreshes its expired access token to show the balance of the user's first account": {prepare: func(ctx context.Context) error {
			if err := partnerLinks(ctx, "zhangsan", "accounts:read balances:read"); err != nil {
				return err
			}
			return partnerControl(ctx, "tokens/expire", "expired")
		}, act: balance, acted: func(_ context.Context, round []observation) (string, error) {
			return callAfter(round, "a2.oauth.token", accountCall), nil
		}},
		// The revoke answer: no revocation recorded in the partner's history.
		"is asked to revoke the user's authorization": {act: func(ctx context.Context) error {
			return partnerDo(ctx, driver.Revoke, struct{}{}, nil)
		}, acted: func(ctx context.Context, _ []observation) (string, error) { return historyHas(ctx, "revocation") }},
		// The payment answer: the payment is not shown as made (the same redirect is
		// finished again each round: the partner retries with its Idempotency-Key).
		"is asked to finish that payment": {act: func(ctx context.Context) error {
			s := pst(W(ctx))
			return partnerDo(ctx, driver.FinishPayment, driver.RedirectParams{RedirectURL: s.paymentRedirect}, &s.payment)
		}, acted: func(ctx context.Context, _ []observation) (string, error) { return historyHas(ctx, "payment") }},
	}
}

// adversaryWalk runs the five rounds: prepare, inject one spoiling fault for the next
// answer of api (forging the catalogued error problem instead of calling the business
// layer, when given), act, record, clear the fault.
func adversaryWalk(ctx context.Context, api, problem, action string) error {
	w := W(ctx)
	s := pst(w)
	a, ok := walkActions()[action]
	if !ok {
		return fmt.Errorf("no walk action %q", action)
	}
	s.rounds = nil
	var err error
	if s.alarmsAtWalk, err = alarmCount(ctx); err != nil {
		return err
	}
	cursor := s.after
	for _, way := range adversaryWays {
		if a.prepare != nil {
			if err := a.prepare(ctx); err != nil {
				return fmt.Errorf("%s round: %w", way, err)
			}
		}
		before, err := w.Env.observations(ctx, w.Env.partner.appID, cursor)
		if err != nil {
			return err
		}
		extra := map[string]any{}
		if problem != "" {
			extra["problem"] = problem
		}
		if err := injectPartnerFault(ctx, way, api, 1, extra); err != nil {
			return err
		}
		if err := a.act(ctx); err != nil {
			return fmt.Errorf("%s round: %w", way, err)
		}
		r := adversaryRound{way: way}
		r.answer, _ = s.last()
		if err := clearPartnerFaults(ctx); err != nil {
			return err
		}
		obs, err := w.Env.observations(ctx, w.Env.partner.appID, before.last)
		if err != nil {
			return err
		}
		cursor = obs.last
		if !spoiledIn(obs.list, way, api) {
			return fmt.Errorf("%s round: the partner made no call to %s for the bank to spoil (it called: %v)", way, api, obs.list)
		}
		if r.problem, err = a.acted(ctx, obs.list); err != nil {
			return err
		}
		if r.alarms, err = alarmCount(ctx); err != nil {
			return err
		}
		s.rounds = append(s.rounds, r)
		w.Note("%s round: the partner answered %s (%v)", way, orOK(driver.Code(r.answer.Err)), r.answer.Err)
	}
	return nil
}

// spoiledIn reports whether the bank spoiled an answer of api in this way.
func spoiledIn(list []observation, way, api string) bool {
	for _, o := range list {
		if o.Fault == way && (o.API == api || api == notificationAPI && o.Notification != nil) {
			return true
		}
	}
	return false
}

func clearPartnerFaults(ctx context.Context) error {
	w := W(ctx)
	_, err := w.Env.adminOK(ctx, "DELETE", "/admin/v1/faults?app_id="+url.QueryEscape(w.Env.partner.appID), nil, 200)
	return err
}

func alarmCount(ctx context.Context) (int, error) {
	var st driver.StatusResult
	if err := W(ctx).Env.Partner.Do(ctx, driver.Status, struct{}{}, &st); err != nil {
		return 0, fmt.Errorf("status: %w", err)
	}
	return len(st.Alarms), nil
}

// adversaryRefusedAll: every round ended in integrity_failure, each with a new alarm.
func adversaryRefusedAll(ctx context.Context) error {
	s := pst(W(ctx))
	if len(s.rounds) != len(adversaryWays) {
		return fmt.Errorf("%d spoiled answers, want %d", len(s.rounds), len(adversaryWays))
	}
	prev := s.alarmsAtWalk
	var bad []string
	for _, r := range s.rounds {
		if c := driver.Code(r.answer.Err); c != driver.CodeIntegrity {
			bad = append(bad, fmt.Sprintf("%s: answered %s (%v), not integrity_failure", r.way, orOK(c), r.answer.Err))
		} else if r.alarms <= prev {
			bad = append(bad, fmt.Sprintf("%s: refused without raising an alarm", r.way))
		}
		prev = r.alarms
	}
	if len(bad) > 0 {
		return fmt.Errorf("the partner did not refuse every spoiled answer (JR/T 0185-2020 9.3.3/1):\n  %s", strings.Join(bad, "\n  "))
	}
	return nil
}

// adversaryActedOnNone: the action's own check of what the partner did with each
// spoiled answer.
func adversaryActedOnNone(ctx context.Context) error {
	s := pst(W(ctx))
	var bad []string
	for _, r := range s.rounds {
		if r.problem != "" {
			bad = append(bad, r.way+": "+r.problem)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("the partner acted on spoiled answers (JR/T 0185-2020 9.3.3/1):\n  %s", strings.Join(bad, "\n  "))
	}
	return nil
}

// startLinkAtBank starts a link and plays the user's consent: the redirect is kept for
// the round's finish_link.
func startLinkAtBank(ctx context.Context) error {
	s := pst(W(ctx))
	var auth driver.AuthorizationResult
	if err := partnerDoOK(ctx, driver.StartLink, driver.LinkParams{Scopes: []string{"accounts:read", "balances:read"}, ValidDays: 1}, &auth); err != nil {
		return err
	}
	redirect, err := userAtBank(ctx, "zhangsan", auth.AuthorizationURL, false)
	if err != nil {
		return err
	}
	s.linkRedirect, s.user = redirect, "zhangsan"
	return nil
}

// notLinkedAfter: after a spoiled token answer the partner is not linked — asked for
// the accounts it answers not_linked and calls no account API.
func notLinkedAfter(ctx context.Context, _ []observation) (string, error) {
	w := W(ctx)
	before, err := w.Env.observations(ctx, w.Env.partner.appID, pst(w).after) // the whole scenario: its last seq
	if err != nil {
		return "", err
	}
	var r driver.AccountsResult
	answer := w.Env.Partner.Do(ctx, driver.Accounts, struct{}{}, &r)
	if answer != nil && driver.Code(answer) == "" {
		return "", fmt.Errorf("driver accounts: %w", answer)
	}
	after, err := w.Env.observations(ctx, w.Env.partner.appID, before.last)
	if err != nil {
		return "", err
	}
	for _, o := range after.list {
		if accountCall(o) {
			return fmt.Sprintf("it kept the token: asked for the accounts afterwards it called %s", o), nil
		}
	}
	if c := driver.Code(answer); c != driver.CodeNotLinked {
		return fmt.Sprintf("asked for the accounts afterwards it answered %s, not not_linked", orOK(c)), nil
	}
	return "", nil
}

// callAfter names the first call matching is after the first call to api in list.
func callAfter(list []observation, api string, is func(observation) bool) string {
	seen := false
	for _, o := range list {
		if seen && is(o) {
			return fmt.Sprintf("it called %s after the spoiled %s answer", o, api)
		}
		seen = seen || o.API == api
	}
	return ""
}

// historyHas names a history event of kind, "" if there is none.
func historyHas(ctx context.Context, kind string) (string, error) {
	var h driver.HistoryResult
	if err := W(ctx).Env.Partner.Do(ctx, driver.History, struct{}{}, &h); err != nil {
		if driver.Code(err) == driver.CodeUnsupported {
			return "", nil
		}
		return "", fmt.Errorf("history: %w", err)
	}
	for _, e := range h.Events {
		if e.Kind == kind {
			return fmt.Sprintf("its history records a %s: %q", kind, clip(e.Detail, 120)), nil
		}
	}
	return "", nil
}

// partnerPaymentConsented: the partner starts a payment and the user confirms it at the
// bank; the redirect is kept for finish_payment.
func partnerPaymentConsented(ctx context.Context, amount, payee, name string) error {
	w := W(ctx)
	s := pst(w)
	id := w.Vars["partner.account"]
	if id == "" || s.user == "" {
		return errors.New("no account: link the user's accounts first")
	}
	before, err := truthBalance(ctx, s.user, id)
	if err != nil {
		return err
	}
	s.truthBefore = before
	s.handed = append(s.handed, payee)
	var auth driver.AuthorizationResult
	if err := partnerDoOK(ctx, driver.StartPayment, driver.PaymentParams{AccountID: id, Amount: amount, PayeeAccount: payee, PayeeName: name,
		Reference: "conformance " + randomNonce()[:8]}, &auth); err != nil {
		return err
	}
	noteState(ctx, auth.AuthorizationURL)
	s.paymentRedirect, err = userAtBank(ctx, s.user, auth.AuthorizationURL, true)
	return err
}

// partnerTransactionsMatch: the partner's last transactions answer lists the items the
// bank holds for the account (first page), as the bank sent them.
func partnerTransactionsMatch(ctx context.Context) error {
	w := W(ctx)
	a, err := lastOK(ctx, driver.Transactions)
	if err != nil {
		return err
	}
	got := a.Result.(*driver.TransactionsResult).Transactions
	m, _, err := truthGet(ctx, pst(w).user, "/a2/v1/accounts/"+url.PathEscape(w.Vars["partner.account"])+"/transactions")
	if err != nil {
		return err
	}
	want, _ := m["items"].([]any)
	if len(got) != len(want) {
		return fmt.Errorf("the partner shows %d transactions, the bank holds %d", len(got), len(want))
	}
	for i := range want {
		wi, _ := want[i].(map[string]any)
		if fmt.Sprint(got[i]["transaction_id"]) != fmt.Sprint(wi["transaction_id"]) || fmt.Sprint(got[i]["amount"]) != fmt.Sprint(wi["amount"]) {
			return fmt.Errorf("transaction %d: the partner shows %v, the bank holds %v", i, got[i], wi)
		}
	}
	return nil
}

// adversaryNotifications: the bank delivers the notification of the scenario's payment
// again five times, each delivery spoiled in one way (a fault scoped to the payment
// notifications), and records how the partner answered each.
func adversaryNotifications(ctx context.Context) error {
	w := W(ctx)
	s := pst(w)
	if s.payment.PaymentID == "" {
		return errors.New("the partner reported no payment id")
	}
	s.rounds = nil
	var err error
	if s.notesAtWalk, err = acceptedFor(ctx, s.payment.PaymentID); err != nil {
		return err
	}
	if s.alarmsAtWalk, err = alarmCount(ctx); err != nil {
		return err
	}
	start, err := w.Env.observations(ctx, w.Env.partner.appID, s.after)
	if err != nil {
		return err
	}
	s.walkFrom = start.last
	cursor := start.last
	for _, way := range adversaryWays {
		before, err := w.Env.observations(ctx, w.Env.partner.appID, cursor)
		if err != nil {
			return err
		}
		cursor = before.last
		if err := injectPartnerFault(ctx, way, notificationAPI, 1, nil); err != nil {
			return err
		}
		if _, err := w.Env.adminOK(ctx, "POST", "/admin/v1/payments/"+url.PathEscape(s.payment.PaymentID)+"/notify", nil, 202); err != nil {
			return err
		}
		o, err := awaitDelivery(ctx, before.last, way)
		if err != nil {
			return err
		}
		r := adversaryRound{way: way}
		if o.Notification.AnswerStatus >= 200 && o.Notification.AnswerStatus < 300 {
			r.problem = fmt.Sprintf("answered HTTP %d", o.Notification.AnswerStatus)
		}
		if r.alarms, err = alarmCount(ctx); err != nil {
			return err
		}
		if err := clearPartnerFaults(ctx); err != nil {
			return err
		}
		s.rounds = append(s.rounds, r)
		w.Note("%s notification: the partner answered HTTP %d", way, o.Notification.AnswerStatus)
	}
	return nil
}

// awaitDelivery waits (up to 10 s) for the bank's delivery of a notification spoiled
// in this way after seq.
func awaitDelivery(ctx context.Context, after int64, way string) (observation, error) {
	w := W(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		obs, err := w.Env.observations(ctx, w.Env.partner.appID, after)
		if err != nil {
			return observation{}, err
		}
		for _, o := range obs.list {
			if o.Notification != nil && o.Notification.Probe == "" && o.Fault == way {
				if o.Notification.Error != "" {
					return o, fmt.Errorf("the %s notification did not reach the partner: %s", way, o.Notification.Error)
				}
				return o, nil
			}
		}
		if time.Now().After(deadline) {
			return observation{}, fmt.Errorf("after 10 s the bank has delivered no %s notification", way)
		}
		select {
		case <-ctx.Done():
			return observation{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// acceptedFor counts the notifications of a payment the partner accepted.
func acceptedFor(ctx context.Context, paymentID string) (int, error) {
	var r driver.NotificationsResult
	if err := W(ctx).Env.Partner.Do(ctx, driver.Notifications, struct{}{}, &r); err != nil {
		return 0, fmt.Errorf("notifications: %w", err)
	}
	n := 0
	for _, x := range r.Notifications {
		if x.PaymentID == paymentID {
			n++
		}
	}
	return n, nil
}

// adversaryNotificationsRefused: every spoiled delivery was answered with an error
// status, raised an alarm, and the partner's accepted notifications did not grow.
func adversaryNotificationsRefused(ctx context.Context) error {
	s := pst(W(ctx))
	if len(s.rounds) != len(adversaryWays) {
		return fmt.Errorf("%d spoiled notifications, want %d", len(s.rounds), len(adversaryWays))
	}
	n, err := acceptedFor(ctx, s.payment.PaymentID)
	if err != nil {
		return err
	}
	var bad []string
	prev := s.alarmsAtWalk
	for _, r := range s.rounds {
		switch {
		case r.problem != "":
			bad = append(bad, r.way+": "+r.problem)
		case r.alarms <= prev:
			bad = append(bad, r.way+": refused without raising an alarm")
		}
		prev = r.alarms
	}
	// A spoiled delivery the partner refused is retried later, unspoiled (15 s backoff):
	// accepting that one is right. Any other growth is a spoiled one acted upon.
	obs, err := W(ctx).Env.observations(ctx, W(ctx).Env.partner.appID, s.walkFrom)
	if err != nil {
		return err
	}
	allowed := s.notesAtWalk
	for _, o := range obs.list {
		if o.Notification != nil && o.Notification.Probe == "" && o.Fault == "" && o.Notification.PaymentID == s.payment.PaymentID &&
			o.Notification.AnswerStatus >= 200 && o.Notification.AnswerStatus < 300 {
			allowed++
		}
	}
	if n > allowed {
		bad = append(bad, fmt.Sprintf("its accepted notifications of %s went from %d to %d, with %d unspoiled deliveries in between",
			s.payment.PaymentID, s.notesAtWalk, n, allowed-s.notesAtWalk))
	}
	if len(bad) > 0 {
		return fmt.Errorf("the partner did not refuse every spoiled notification (JR/T 0185-2020 9.3.3/1, 9.2.2/2):\n  %s", strings.Join(bad, "\n  "))
	}
	return nil
}
