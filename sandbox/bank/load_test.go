package bank_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/internal/ledger"
	"github.com/jr0185/harness/sandbox/internal/store"
	"github.com/jr0185/harness/sandbox/sdk"
)

// Load and crash tests of the money core: many single-use payment consents obtained
// through the bank pages, then payments fired concurrently with duplicated, replayed
// and reused idempotency keys; afterwards the database is checked offline.

// ldAccount is one seeded account that may pay or be paid.
type ldAccount struct {
	user, name, number string
}

// ldPayment is one payment to send: a single-use payment token and its body.
type ldPayment struct {
	key, amount     string
	payer, payee    ldAccount
	payer0          *sdk.UserSession
	body, otherBody []byte
}

// ldParticipants picks payers among the seeded customers: zhangsan's active accounts
// and the first account of each later customer whose first account is an active debit
// account holding at least 100.00; payees are every active account of every customer.
func ldParticipants(t *testing.T, tb *testBank, nPayers int) (payers, payees []ldAccount) {
	t.Helper()
	ds := fakedata.Generate(tb.cfg.Seed, fakedata.Size{Customers: tb.cfg.Customers, Products: tb.cfg.Products})
	for i := range ds.Customers {
		cu := &ds.Customers[i]
		for j, a := range cu.Accounts {
			if a.Status != fakedata.StatusActive {
				continue
			}
			acc := ldAccount{user: cu.Username, name: cu.Name, number: a.Number}
			payees = append(payees, acc)
			switch {
			case cu.Username == "zhangsan":
				payers = append(payers, acc)
			case j == 0 && i >= 3 && a.Kind == fakedata.KindDebit && a.BalanceFen >= 10000 && countUsers(payers) < nPayers:
				payers = append(payers, acc)
			}
		}
	}
	if countUsers(payers) < nPayers {
		t.Fatalf("only %d seeded payers with an active funded first account, want %d", countUsers(payers), nPayers)
	}
	return payers, payees
}

func countUsers(accts []ldAccount) int {
	seen := map[string]bool{}
	for _, a := range accts {
		seen[a.user] = true
	}
	return len(seen)
}

// ldReadOnly opens a second, read-only connection on the bank's SQLite file (WAL lets
// it read while the bank writes).
func ldReadOnly(t *testing.T, dataDir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "bank.db")+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// ldBalances reads every account's balance.
func ldBalances(t testing.TB, db *sql.DB) map[string]int64 {
	t.Helper()
	rows, err := db.Query(`SELECT account_no, balance_fen FROM accounts`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var no string
		var bal int64
		if err := rows.Scan(&no, &bal); err != nil {
			t.Fatal(err)
		}
		out[no] = bal
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func ldAccountID(t *testing.T, db *sql.DB, number string) string {
	t.Helper()
	var id string
	if err := db.QueryRow(`SELECT account_id FROM accounts WHERE account_no = ?`, number).Scan(&id); err != nil || id == "" {
		t.Fatalf("account id of %s…: %q %v", number[:4], id, err)
	}
	return id
}

// ldPreparePayments obtains n single-use payment tokens through the bank pages (one
// logged-in browser per payer) and builds each payment's body.
func ldPreparePayments(t *testing.T, tb *testBank, client *sdk.Client, ro *sql.DB, rng *rand.Rand, n int, keyPrefix string,
	payers, payees []ldAccount, browsers map[string]*pgBrowser) []*ldPayment {
	t.Helper()
	ctx := context.Background()
	var out []*ldPayment
	for i := range n {
		payer := payers[i%len(payers)]
		var payee ldAccount
		if i == 0 {
			for _, p := range payees {
				if p.user == "lisi" {
					payee = p
					break
				}
			}
		}
		for payee.number == "" || payee.number == payer.number {
			payee = payees[rng.IntN(len(payees))]
		}
		fen := 1 + rng.IntN(5000)
		if i == 1 {
			fen = 13 // 0.13: the sandbox's magic amount that fails with INSUFFICIENT_FUNDS
		}
		amount := fmt.Sprintf("%d.%02d", fen/100, fen%100)
		auth, err := client.AuthorizationURL(sdk.AuthRequest{RedirectURI: pgRedirect, Scopes: []string{"payments:write"}, ConsentType: "payment",
			Amount: amount, Currency: "CNY", PayeeAccount: payee.number, PayeeName: payee.name, DebitAccount: payer.number})
		if err != nil {
			t.Fatal(err)
		}
		b := browsers[payer.user]
		if b == nil {
			b = pgNewBrowser(t, tb)
			browsers[payer.user] = b
		}
		debitID := ldAccountID(t, ro, payer.number)
		tok, err := client.ExchangeCode(ctx, ldConsentPayment(t, b, auth.URL, payer.user, debitID), auth.Verifier, pgRedirect)
		if err != nil {
			t.Fatalf("payment token %d: %v", i, err)
		}
		out = append(out, &ldPayment{key: fmt.Sprintf("%s-%03d", keyPrefix, i), amount: amount, payer: payer, payee: payee,
			payer0:    client.ForUser(tok),
			body:      paymentBody(t, tb, debitID, amount, payee.number, payee.name, "load "+keyPrefix),
			otherBody: paymentBody(t, tb, debitID, amount, payee.number, payee.name, "changed "+keyPrefix)})
	}
	return out
}

// ldConsentPayment is consentThroughPages for a payment consent, choosing the debit
// account the consent names (the page offers every account of the user, the named one
// checked) rather than the first one listed.
func ldConsentPayment(t *testing.T, b *pgBrowser, authURL, user, accountID string) string {
	t.Helper()
	u, _ := url.Parse(authURL)
	p := b.get(u.RequestURI())
	if p.Status == 303 && strings.HasPrefix(p.Location, "/login?") {
		next, _ := url.Parse(p.Location)
		b.login(user, next.Query().Get("next"))
		p = b.get(next.Query().Get("next"))
	} else {
		p.expect(t, 303, "/oauth/consent?")
		p = b.get(p.Location)
	}
	p.expect(t, 200, "")
	if !slices.Contains(pgAccounts(p.Body), accountID) || !strings.Contains(p.Body, `value="`+accountID+`" checked`) {
		t.Fatalf("payment consent page does not offer the named debit account %s checked:\n%s", accountID, p.Body)
	}
	csrf, req := pgField(p.Body, "csrf"), pgField(p.Body, "req")
	b.post("/oauth/consent/code", url.Values{"csrf": {csrf}, "req": {req}}).expect(t, 303, "/oauth/consent?")
	q := pgRedirectQuery(t, b.post("/oauth/consent", url.Values{"csrf": {csrf}, "req": {req}, "decision": {"approve"},
		"account": {accountID}, "otp": {b.phoneCode(user)}}))
	if q.Get("code") == "" {
		t.Fatalf("no code in the redirect: %v", q)
	}
	return q.Get("code")
}

// ldAnswer is a payment POST's answer, classified.
type ldAnswer struct {
	status    int
	body      string
	code      string // catalogued error code for 4xx
	paymentID string
	payStatus string // succeeded | failed for a 201
	replayed  bool
	err       error
}

func ldPost(ctx context.Context, p *ldPayment, body []byte) ldAnswer {
	r, err := p.payer0.Do(ctx, "POST", "/a2/v1/payments", body, http.Header{"Idempotency-Key": {p.key}})
	if err != nil {
		return ldAnswer{err: err}
	}
	a := ldAnswer{status: r.Status, body: string(r.Body), replayed: r.Header.Get("Idempotent-Replayed") == "true"}
	if r.Status == 201 || r.Status == 200 { // 200: a replay whose first answer was never stored
		var pay struct {
			ID     string `json:"payment_id"`
			Status string `json:"status"`
		}
		_ = json.Unmarshal(r.Body, &pay)
		a.paymentID, a.payStatus = pay.ID, pay.Status
		return a
	}
	var e *sdk.APIError
	if errors.As(sdk.AsAPIError(r), &e) {
		a.code = e.Code
	}
	return a
}

// ldFinal reports whether a is a 201 with a final status.
func (a ldAnswer) final() bool {
	return a.err == nil && a.status == 201 && a.paymentID != "" && (a.payStatus == "succeeded" || a.payStatus == "failed")
}

func (a ldAnswer) String() string {
	if a.err != nil {
		return "error " + a.err.Error()
	}
	return fmt.Sprintf("HTTP %d %s", a.status, a.body)
}

// ldOfflineCheck opens the stopped bank's database and checks the ledger invariants,
// the constant total, balances within their limits, each balance's change equal to the
// succeeded payments, one payment and at most one posting per idempotency key, and
// every acknowledged payment present with the acknowledged final status.
func ldOfflineCheck(t *testing.T, dataDir, appID string, before map[string]int64, keys []string, acked map[string]ldAnswer) {
	t.Helper()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(dataDir, "bank.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ldCheckDB(t, db.DB, t.Errorf, appID, before, keys, acked)
}

// ldCheckDB is ldOfflineCheck on an open database (read-only will do), reporting each
// violation to errf.
func ldCheckDB(t testing.TB, db *sql.DB, errf func(format string, args ...any), appID string, before map[string]int64, keys []string, acked map[string]ldAnswer) {
	t.Helper()
	ctx := context.Background()
	if err := ledger.CheckInvariants(ctx, db); err != nil {
		errf("ledger invariants: %v", err)
	}
	after := ldBalances(t, db)
	var sumBefore, sumAfter int64
	for _, v := range before {
		sumBefore += v
	}
	for _, v := range after {
		sumAfter += v
	}
	if sumBefore != sumAfter || len(before) != len(after) {
		errf("total of all balances %d fen over %d accounts before, %d fen over %d after", sumBefore, len(before), sumAfter, len(after))
	}
	rows, err := db.Query(`SELECT account_no, kind, balance_fen, credit_limit_fen FROM accounts
		WHERE kind <> 'internal' AND (balance_fen < -credit_limit_fen OR (kind = 'debit' AND balance_fen < 0))`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var no, kind string
		var bal, lim int64
		_ = rows.Scan(&no, &kind, &bal, &lim)
		errf("%s account %s… at %d fen, credit limit %d", kind, no[:4], bal, lim)
	}
	rows.Close()

	// Each key yields exactly one payment; a succeeded one has exactly one posting
	// whose entries move exactly its amount, any other none.
	type payment struct {
		id, status, payer, payee, posting string
		amount                            int64
		postings                          int
	}
	pays := map[string]payment{}
	rows, err = db.Query(`SELECT p.idem_key, p.payment_id, p.status, p.payer_account, p.payee_account, p.amount_fen, p.posting_id,
		(SELECT COUNT(*) FROM postings g WHERE g.reference = 'payment:' || p.payment_id)
		FROM payments p WHERE p.app_id = ?`, appID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var key string
		var p payment
		if err := rows.Scan(&key, &p.id, &p.status, &p.payer, &p.payee, &p.amount, &p.posting, &p.postings); err != nil {
			t.Fatal(err)
		}
		if _, dup := pays[key]; dup {
			errf("idempotency key %s yielded two payments", key)
		}
		pays[key] = p
	}
	rows.Close()
	want := map[string]int64{}
	for _, k := range keys {
		p, ok := pays[k]
		if a, acked := acked[k]; acked {
			switch {
			case !ok:
				errf("key %s: acknowledged payment %s (%s) is not in the database", k, a.paymentID, a.payStatus)
				continue
			case p.id != a.paymentID || p.status != a.payStatus:
				errf("key %s: acknowledged %s %s, database has %s %s", k, a.paymentID, a.payStatus, p.id, p.status)
			}
		}
		if !ok {
			continue
		}
		switch {
		case p.status == "succeeded" && p.postings != 1:
			errf("key %s: succeeded payment %s has %d postings", k, p.id, p.postings)
		case p.status != "succeeded" && p.postings != 0:
			errf("key %s: %s payment %s has %d postings", k, p.status, p.id, p.postings)
		case p.status != "succeeded" && p.status != "failed":
			errf("key %s: payment %s left in status %s", k, p.id, p.status)
		}
		if p.status == "succeeded" {
			want[p.payer] -= p.amount
			want[p.payee] += p.amount
		}
	}
	if len(pays) > len(keys) {
		errf("%d payments for %d idempotency keys", len(pays), len(keys))
	}
	for no, b := range after {
		if got := b - before[no]; got != want[no] {
			errf("account %s… moved %d fen, its succeeded payments move %d", no[:min(4, len(no))], got, want[no])
		}
	}
}

// TestLedgerInvariantsUnderLoad: 24 single-use payment tokens from three payers, fired
// by six goroutines with concurrent duplicates, byte-identical replays and reused keys
// with another body; then, offline, the ledger invariants, the constant total, one
// payment per key, every acknowledged payment as acknowledged, and the audit log.
func TestLedgerInvariantsUnderLoad(t *testing.T) {
	t.Parallel()
	const nPayments, workers = 24, 6
	start := time.Now()
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x185))
	// The load provokes conflicts (422, 409) on purpose: the abnormal-pattern rule
	// (10.2.1/2, its own tests) must not throttle the load's App_ID.
	tb := startBank(t, func(c *bank.Config) { c.AbnormalFailures = 1 << 30 })
	ctx := context.Background()
	notifyURL, _ := notifyReceiver(t, tb)
	client := onboardPartner(t, tb, notifyURL)
	ro := ldReadOnly(t, tb.cfg.DataDir)
	payers, payees := ldParticipants(t, tb, 3)

	// Phase 1: tokens through the pages, sequentially.
	pays := ldPreparePayments(t, tb, client, ro, rng, nPayments, "load", payers, payees, map[string]*pgBrowser{})
	before := ldBalances(t, ro)
	t.Logf("phase 1 (%d payment consents): %v", nPayments, time.Since(start).Round(time.Millisecond))

	// Phase 2: each payment sent by one of the workers: once, or twice at the same time
	// (duplicate), then maybe again with the same body (replay) or another (reuse).
	type plan struct{ duplicate, replay, reuse bool }
	plans := make([]plan, len(pays))
	for i := range plans {
		plans[i] = plan{duplicate: rng.IntN(3) == 0}
		switch rng.IntN(3) {
		case 0:
			plans[i].replay = true
		case 1:
			plans[i].reuse = true
		}
	}
	p2 := time.Now()
	var mu sync.Mutex
	acked := map[string]ldAnswer{}
	var problems []string
	answers := map[string]int{} // outcome class → count
	count := func(class string) { mu.Lock(); answers[class]++; mu.Unlock() }
	report := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				p, pl := pays[i], plans[i]
				first := []ldAnswer{{}}
				if pl.duplicate {
					first = append(first, ldAnswer{})
				}
				var fw sync.WaitGroup
				for j := range first {
					fw.Add(1)
					go func() { defer fw.Done(); first[j] = ldPost(ctx, p, p.body) }()
				}
				fw.Wait()
				var created *ldAnswer
				for j, a := range first {
					switch {
					case a.final():
						count(fmt.Sprintf("first 201 %s replayed=%v", a.payStatus, a.replayed))
						if created != nil && (a.body != created.body || a.paymentID != created.paymentID) {
							report("%s: two different 201 answers:\n%s\n%s", p.key, created.body, a.body)
						}
						if created == nil || created.replayed {
							created = &first[j]
						}
					case a.err == nil && a.status == 409 && a.code == "IDEMPOTENCY_IN_PROGRESS" && pl.duplicate:
						count("first 409 IDEMPOTENCY_IN_PROGRESS")
					default:
						report("%s: first send answered %s", p.key, a)
					}
				}
				if created == nil {
					// Both duplicates met each other in flight: a later retry must complete.
					a := ldPost(ctx, p, p.body)
					if !a.final() {
						report("%s: retry after 409s answered %s", p.key, a)
						continue
					}
					created = &a
				}
				mu.Lock()
				acked[p.key] = *created
				mu.Unlock()
				if pl.replay {
					if a := ldPost(ctx, p, p.body); !a.final() || a.body != created.body || !a.replayed {
						report("%s: replay answered %s (replayed=%v), first %s", p.key, a, a.replayed, created.body)
					}
					count("replay identical")
				}
				if pl.reuse {
					if a := ldPost(ctx, p, p.otherBody); a.err != nil || a.status != 422 || a.code != "IDEMPOTENCY_KEY_REUSED" {
						report("%s: same key with another body answered %s", p.key, a)
					}
					count("reuse 422 IDEMPOTENCY_KEY_REUSED")
				}
			}
		}()
	}
	for i := range pays {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, p := range problems {
		t.Error(p)
	}
	outcomes := map[string]int{}
	for _, a := range acked {
		outcomes[a.payStatus]++
	}
	t.Logf("phase 2 (%d payments, %d workers): %v, outcomes %v", len(pays), workers, time.Since(p2).Round(time.Millisecond), outcomes)
	t.Logf("answers: %v", answers)
	if outcomes["succeeded"] == 0 || outcomes["failed"] == 0 {
		t.Errorf("want both succeeded and failed payments (0.13 always fails): %v", outcomes)
	}

	// Every acknowledged payment reads back with its status while the bank runs.
	for k, a := range acked {
		r, err := client.Do(ctx, "GET", "/a2/v1/payments/"+a.paymentID, nil, nil)
		if err != nil || r.Status != 200 || !strings.Contains(string(r.Body), `"status":"`+a.payStatus+`"`) {
			t.Errorf("%s: GET payment %s: %v %s", k, a.paymentID, err, r.Body)
		}
	}

	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	closing := time.Now()
	if err := tb.b.Close(cctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	t.Logf("close: %v", time.Since(closing).Round(time.Millisecond))
	_ = ro.Close()
	keys := make([]string, len(pays))
	for i, p := range pays {
		keys[i] = p.key
	}
	ldOfflineCheck(t, tb.cfg.DataDir, client.Config().AppID, before, keys, acked)
	rep, err := bank.VerifyAudit(ctx, tb.cfg.DataDir)
	if err != nil || !rep.OK {
		t.Errorf("audit log: %v %s", err, rep.String())
	}
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}
