package payments

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestInvariantsUnderConcurrency: 8 workers × 60 random payments between seeded
// accounts (and an external payee), with duplicate retries, conflicting retries
// (same key, other body), confirmations, cancellations and review decisions racing.
// Afterwards the ledger invariants hold, the total is unchanged, nobody is below their
// authorized balance, and no idempotency key produced more than one payment or posting
// (BRIEF 8: ledger invariants under concurrent load).
func TestInvariantsUnderConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{RiskReviewFen: 2_000_000}) // 20,000.00: some reviews
	var users []user
	for _, c := range e.ds.Customers {
		for i := range c.Accounts {
			users = append(users, e.user(c.Username, i))
		}
	}
	users = append(users, user{Account: external, Name: "赵六"}, user{Account: MagicPayeeClosed, Name: "钱七"})
	totalBefore := e.count(`SELECT SUM(balance_fen) FROM accounts`)
	customersBefore := e.count(`SELECT SUM(balance_fen) FROM accounts WHERE kind <> 'internal'`)

	// Every outcome a well-formed random request may legitimately meet.
	allowed := map[string]bool{"": true, "IDEMPOTENCY_IN_PROGRESS": true, "IDEMPOTENCY_KEY_REUSED": true, "LIMIT_EXCEEDED": true,
		"ACCOUNT_FROZEN": true, "PAYEE_ACCOUNT_UNAVAILABLE": true, "STATE_CONFLICT": true}
	const workers, perWorker = 8, 60
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		outcomes = map[string]int{}
		sent     []CreateRequest // shared, so that workers retry each other's keys
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 2020))
			note := func(op string, err error) {
				mu.Lock()
				defer mu.Unlock()
				outcomes[op+" "+code(err)]++
				if !allowed[code(err)] {
					t.Errorf("%s: unexpected %v", op, err)
				}
			}
			for i := 0; i < perWorker; i++ {
				var r CreateRequest
				mu.Lock()
				roll := rng.IntN(10)
				switch {
				case roll < 2 && len(sent) > 0: // duplicate retry
					r = sent[rng.IntN(len(sent))]
				case roll < 3 && len(sent) > 0: // conflicting retry: same key, other body
					r = sent[rng.IntN(len(sent))]
					r.AmountFen++
					r = rehash(r)
				default:
					payer := users[rng.IntN(len(users)-2)] // never the external payees
					payee := users[rng.IntN(len(users))]
					for payee.Account == payer.Account {
						payee = users[rng.IntN(len(users))]
					}
					amount := 1 + rng.Int64N(max(payer.Balance, 0)/4+100_000) // sometimes more than what is left
					if rng.IntN(20) == 0 {
						amount = MagicInsufficientFundsFen
					}
					r = rehash(CreateRequest{AppID: []string{appA, appB}[rng.IntN(2)], IdempotencyKey: fmt.Sprintf("w%d-%d", w, i),
						CustomerID: payer.ID, PayerAccount: payer.Account, PayeeAccount: payee.Account, PayeeName: payee.Name,
						AmountFen: amount, Currency: "CNY"})
					sent = append(sent, r)
				}
				mu.Unlock()

				res, err := e.svc.Create(ctx, r)
				note("create", err)
				if err != nil {
					continue
				}
				if res.Replayed || rng.IntN(3) == 0 {
					_ = e.svc.StoreResponse(ctx, r.AppID, r.IdempotencyKey, 201, nil, []byte(res.Payment.ID))
				}
				p := res.Payment
				switch act := rng.IntN(10); {
				case act == 0:
					_, err = e.svc.Cancel(ctx, r.AppID, p.ID)
					note("cancel", err)
				case act < 9:
					p, err = e.svc.Confirm(ctx, p.ID, r.CustomerID)
					note("confirm", err)
					if err == nil && p.Status == StatusRiskReview {
						if rng.IntN(2) == 0 {
							_, err = e.svc.Approve(ctx, p.ID, "admin", "")
							note("approve", err)
						} else {
							_, err = e.svc.Reject(ctx, p.ID, "admin", "")
							note("reject", err)
						}
					}
				}
			}
		}(w)
	}
	wg.Wait()
	t.Logf("outcomes: %v", outcomes)

	e.invariants()
	if total := e.count(`SELECT SUM(balance_fen) FROM accounts`); total != totalBefore || total != 0 {
		t.Errorf("total balance %d, was %d", total, totalBefore)
	}
	// Money only left the customers for payees outside the bank.
	out := e.count(`SELECT COALESCE(SUM(amount_fen), 0) FROM payments WHERE status = 'succeeded' AND payee_external = 1`)
	if after := e.count(`SELECT SUM(balance_fen) FROM accounts WHERE kind <> 'internal'`); customersBefore-after != out {
		t.Errorf("customers lost %d, external payments succeeded for %d", customersBefore-after, out)
	}
	if n := e.count(`SELECT COUNT(*) FROM accounts WHERE kind <> 'internal' AND balance_fen < -credit_limit_fen`); n != 0 {
		t.Errorf("%d accounts below their authorized balance", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM (SELECT p.app_id, p.idem_key FROM payments p JOIN postings po ON po.reference = 'payment:' || p.payment_id
		GROUP BY p.app_id, p.idem_key HAVING COUNT(*) > 1) x`); n != 0 {
		t.Errorf("%d idempotency keys with more than one posting", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM (SELECT app_id, idem_key FROM payments GROUP BY app_id, idem_key HAVING COUNT(*) > 1) x`); n != 0 {
		t.Errorf("%d idempotency keys with more than one payment", n)
	}
	// Status and money agree: a posting exactly for each succeeded payment.
	if a, b := e.count(`SELECT COUNT(*) FROM payments WHERE status = 'succeeded'`), e.count(`SELECT COUNT(*) FROM postings WHERE kind = 'payment'`); a != b {
		t.Errorf("%d succeeded payments, %d payment postings", a, b)
	}
	if n := e.count(`SELECT COUNT(*) FROM payments WHERE status = 'succeeded' AND (posting_id = '' OR posting_id NOT IN (SELECT posting_id FROM postings))`); n != 0 {
		t.Errorf("%d succeeded payments without their posting", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM payments WHERE status = 'processing'`); n != 0 {
		t.Errorf("%d payments stuck in processing", n)
	}
	// Each final payment has exactly one notification.
	if n := e.count(`SELECT COUNT(*) FROM payments p WHERE p.status IN ('succeeded', 'failed', 'rejected', 'cancelled')
		AND (SELECT COUNT(*) FROM payment_notifications n WHERE n.payment_id = p.payment_id) <> 1`); n != 0 {
		t.Errorf("%d final payments without exactly one notification", n)
	}
	statuses := map[string]int64{}
	for _, st := range []string{"pending_confirmation", "risk_review", "succeeded", "failed", "rejected", "cancelled"} {
		statuses[st] = e.count(`SELECT COUNT(*) FROM payments WHERE status = $1`, st)
	}
	insufficient := e.count(`SELECT COUNT(*) FROM payments WHERE failure_code = 'INSUFFICIENT_FUNDS'`)
	t.Logf("payments: %v, %d for insufficient funds", statuses, insufficient)
	if statuses["succeeded"] == 0 || insufficient == 0 || statuses["rejected"] == 0 {
		t.Errorf("the mix did not reach success, insufficient funds and rejection")
	}
	if outcomes["confirm "] == 0 || outcomes["create IDEMPOTENCY_KEY_REUSED"] == 0 {
		t.Errorf("the mix did not exercise confirmations and conflicting retries: %v", outcomes)
	}
}
