package bank_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/bank"
)

// TestSoak is the repeatable crash campaign (issue 15; `make soak CYCLES=n`, 5 cycles in
// `make test`): the sandbox binary as a process, 32 concurrent payment clients, and in
// every cycle a kill -9 at a random moment of the burst, a restart, then
//   - every payment whose answer was lost retried with its key until it is final;
//   - every payment acknowledged in the cycle replayed: the same bytes, marked replayed;
//   - the ledger invariants (every posting balanced, entries on existing accounts,
//     balances equal to their entries, no unauthorized negative balance, the total
//     constant, each balance moved exactly by its succeeded payments) and at most one
//     payment and one posting per idempotency key, every acknowledged payment present with
//     its acknowledged status and its stored answer byte for byte the acknowledged one;
//   - `sandbox verify-audit`: the chain and signed checkpoints intact, and complete (every
//     payment has its business audit record, or it is still pending in the outbox).
//
// It prints cycles, payments acknowledged and violations. JR0185_SOAK_CYCLES (default 5)
// and JR0185_SOAK_CLIENTS (default 32) size it.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the sandbox binary")
	}
	cycles := envInt(t, "JR0185_SOAK_CYCLES", 5)
	clients := envInt(t, "JR0185_SOAK_CLIENTS", 32)
	started := time.Now()
	p, tb := startProcessBank(t, []string{"SANDBOX_OTP_PAYMENT_CODES_PER_HOUR=1000000", // thousands of payment consents
		"SANDBOX_MAX_CONCURRENT=256", "SANDBOX_RATE_RPS=100000", "SANDBOX_RATE_BURST=100000"}) // 32 clients at once, unthrottled
	bin := p.bin
	notifyURL, _ := notifyReceiver(t, tb)
	client := onboardPartner(t, tb, notifyURL)
	appID := client.Config().AppID
	payers, payees := ldParticipants(t, tb, 6)
	ro := ldReadOnly(t, p.data)
	before := ldBalances(t, ro)
	_ = ro.Close()

	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x185))
	ctx := context.Background()
	acked := map[string]ldAnswer{}
	var keys []string
	var violations []string
	violate := func(format string, args ...any) { violations = append(violations, fmt.Sprintf(format, args...)) }
	outcomes := map[string]int{}
	for cycle := range cycles {
		ro := ldReadOnly(t, p.data)
		pays := ldPreparePayments(t, tb, client, ro, rng, clients, "soak"+strconv.Itoa(cycle), payers, payees, map[string]*pgBrowser{})
		_ = ro.Close()
		for _, py := range pays {
			keys = append(keys, py.key)
		}

		// The burst: one payment per client, all at once; SIGKILL when a random number of
		// them (0 to all) have answered.
		killAt := int32(rng.IntN(clients + 1))
		answers := make([]ldAnswer, len(pays))
		var answered atomic.Int32
		var once sync.Once
		kill := func() { once.Do(func() { _ = p.cmd.Process.Kill() }) }
		if killAt == 0 {
			go func() { time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond); kill() }()
		}
		var wg sync.WaitGroup
		for i := range pays {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i] = ldPost(ctx, pays[i], pays[i].body)
				if answered.Add(1) >= killAt {
					kill()
				}
			}()
		}
		wg.Wait()
		kill()
		<-p.exited
		var lost []int
		cycleAcked := map[string]ldAnswer{}
		for i, a := range answers {
			switch {
			case a.final():
				cycleAcked[pays[i].key] = a
				outcomes["acknowledged "+a.payStatus]++
			case a.err != nil:
				lost = append(lost, i)
				outcomes["no answer (killed)"]++
			case a.status == 503 && a.code == "SERVICE_UNAVAILABLE" && pays[i].amount == "5.03":
				outcomes["magic 5.03: 503, nothing made"]++
			default:
				violate("cycle %d %s: answered %s", cycle, pays[i].key, a)
			}
		}

		p.start()
		// Lost answers: the retry with the same key brings the payment to a final status;
		// a reservation still leased to the killed process (409) is taken over once the
		// 30 s lease has passed on the bank's clock.
		advanced := false
		for _, i := range lost {
			r := ldPost(ctx, pays[i], pays[i].body)
			if r.err == nil && r.status == 409 && r.code == "IDEMPOTENCY_IN_PROGRESS" {
				if !advanced {
					if st, out := tb.admin("POST", "/admin/v1/clock/advance", map[string]any{"seconds": 35}); st != 200 {
						t.Fatalf("advance clock: %d %v", st, out)
					}
					advanced = true
				}
				outcomes["retried after restart: 409, then after the lease"]++
				r = ldPost(ctx, pays[i], pays[i].body)
			}
			switch {
			case r.final():
				cycleAcked[pays[i].key] = r
				outcomes[fmt.Sprintf("retried after restart: %d %s replayed=%v", r.status, r.payStatus, r.replayed)]++
			case r.err == nil && r.status == 503 && pays[i].amount == "5.03":
				outcomes["magic 5.03: 503, nothing made"]++
			default:
				violate("cycle %d after restart, retry of %s answered %s", cycle, pays[i].key, r)
			}
		}
		if advanced {
			if st, out := tb.admin("POST", "/admin/v1/clock/reset", nil); st != 200 {
				t.Fatalf("reset clock: %d %v", st, out)
			}
		}
		// Every payment acknowledged in the cycle, replayed: the same bytes.
		for _, i := range rng.Perm(len(pays)) {
			a, ok := cycleAcked[pays[i].key]
			if !ok {
				continue
			}
			r := ldPost(ctx, pays[i], pays[i].body)
			if r.err != nil || r.status != a.status || r.body != a.body || !r.replayed {
				violate("cycle %d: replay of %s answered %s (replayed=%v), first %s", cycle, pays[i].key, r, r.replayed, a.body)
			}
		}
		for k, a := range cycleAcked {
			acked[k] = a
		}
		// The invariants, on the running bank (every answer is in: nothing moves).
		ro = ldReadOnly(t, p.data)
		ldCheckDB(t, ro, func(format string, args ...any) { violate("cycle %d: "+format, append([]any{cycle}, args...)...) },
			appID, before, keys, acked)
		checkStoredAnswers(t, ro, appID, acked, func(format string, args ...any) {
			violate("cycle %d: "+format, append([]any{cycle}, args...)...)
		})
		_ = ro.Close()
		out, err := exec.Command(bin, "verify-audit", "--data-dir", p.data).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "audit log intact") {
			violate("cycle %d: sandbox verify-audit: %v\n%s", cycle, err, out)
		}
		t.Logf("cycle %d: killed after %d of %d answers; %d acknowledged, %d lost then retried; %s",
			cycle, killAt, clients, len(cycleAcked), len(lost), strings.TrimSpace(firstLine(string(out))))
	}
	p.stop()
	ldCheckDB(t, ldReadOnly(t, p.data), func(format string, args ...any) { violate("after the clean stop: "+format, args...) },
		appID, before, keys, acked)
	if rep, err := bank.VerifyAudit(ctx, p.data); err != nil || !rep.Sound() || rep.Pending != 0 {
		violate("audit log after the clean stop (nothing may stay pending): %v %s", err, rep.String())
	}
	var classes []string
	for k, n := range outcomes {
		classes = append(classes, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(classes)
	for _, v := range violations {
		t.Error(v)
	}
	summary := fmt.Sprintf("soak: %d cycles, %d clients, %d payments acknowledged, %d violations, %v (%s)",
		cycles, clients, len(acked), len(violations), time.Since(started).Round(time.Second), strings.Join(classes, "; "))
	t.Log(summary)
	fmt.Println(summary)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// checkStoredAnswers compares the answer the bank stored for each acknowledged key with
// the bytes the client received: a replay can only ever send those.
func checkStoredAnswers(t *testing.T, db *sql.DB, appID string, acked map[string]ldAnswer, errf func(string, ...any)) {
	t.Helper()
	for k, a := range acked {
		var status int
		var body string
		if err := db.QueryRow(`SELECT response_status, response_body FROM idempotency_keys WHERE app_id = ? AND idem_key = ?`, appID, k).Scan(&status, &body); err != nil {
			errf("key %s: no stored answer: %v", k, err)
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(body) // stored base64 (payments.encodeResponse)
		if err != nil || string(raw) != a.body || status != a.status {
			errf("key %s: stored answer %d (%d bytes) differs from the acknowledged %d (%d bytes)", k, status, len(raw), a.status, len(a.body))
		}
	}
}
