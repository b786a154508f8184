package bank_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/sdk"
)

// BenchmarkA2PaymentsVersusSM2Ceiling measures signed A2 payments per second — mutual
// TLS on kept-alive connections, an SM2-signed request verified and an SM2-signed
// response, each payment committed to the ledger before it is acknowledged (SQLite WAL,
// synchronous=FULL: fsynced, so it survives a killed process and a power loss) —
// against the SM2 ceiling on the same cores in the same run: one verify plus one sign
// per operation. Each payment needs its own single-use consent; those are
// obtained through the bank's pages before the clock starts.
func BenchmarkA2PaymentsVersusSM2Ceiling(b *testing.B) {
	for i := 0; i < b.N; i++ { // one measurement per op; -benchtime 1x is enough
		measureA2Payments(b)
	}
}

func measureA2Payments(b *testing.B) {
	b.StopTimer()
	tb := startBank(b, func(c *bank.Config) { c.Customers, c.Products, c.Durable = 10, 24, true })
	ctx := context.Background()
	notifyURL, notes := notifyReceiver(b, tb)
	go func() {
		for range notes { // drain: the receiver answers 204 to every notification
		}
	}()
	client := onboardPartner(b, tb, notifyURL)
	if st, out := tb.admin("PUT", "/admin/v1/apps/"+client.Config().AppID+"/limits",
		map[string]any{"rate_rps": 1e9, "rate_burst": 1000000000, "max_concurrent": 100000}); st != 200 {
		b.Fatalf("limits: %d %v", st, out)
	}
	zhang, lisi := pgCustomer(b, tb, "zhangsan"), pgCustomer(b, tb, "lisi")
	browser := pgNewBrowser(b, tb)

	// Account id of the payer, through an account-information consent.
	auth, _ := client.AuthorizationURL(sdk.AuthRequest{RedirectURI: pgRedirect, Scopes: []string{"accounts:read"}, ValidDays: 1})
	atok, err := client.ExchangeCode(ctx, consentThroughPages(b, browser, auth.URL, "zhangsan", false), auth.Verifier, pgRedirect)
	if err != nil {
		b.Fatal(err)
	}
	debitID := zhangAccountID(b, client, atok, zhang.Accounts[0].Number)

	const payments = 300
	tokens := make([]*sdk.Token, payments)
	for i := range tokens {
		pauth, _ := client.AuthorizationURL(sdk.AuthRequest{RedirectURI: pgRedirect, Scopes: []string{"payments:write"}, ConsentType: "payment",
			Amount: "0.01", Currency: "CNY", PayeeAccount: lisi.Accounts[0].Number, PayeeName: lisi.Name, DebitAccount: zhang.Accounts[0].Number})
		if tokens[i], err = client.ExchangeCode(ctx, consentThroughPages(b, browser, pauth.URL, "zhangsan", true), pauth.Verifier, pgRedirect); err != nil {
			b.Fatal(err)
		}
	}
	body := paymentBody(b, tb, debitID, "0.01", lisi.Accounts[0].Number, lisi.Name, "bench")

	workers := 8
	next := atomic.Int64{}
	lat := make([]time.Duration, payments)
	var wg sync.WaitGroup
	var failed atomic.Int64
	b.StartTimer()
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= payments {
					return
				}
				t0 := time.Now()
				r, err := client.ForUser(tokens[i]).Do(ctx, "POST", "/a2/v1/payments", body, http.Header{"Idempotency-Key": {fmt.Sprintf("bench-%d", i)}})
				lat[i] = time.Since(t0)
				if err != nil || r.Status != 201 {
					failed.Add(1)
					if err == nil {
						b.Errorf("payment %d: HTTP %d %s", i, r.Status, r.Body)
					} else {
						b.Errorf("payment %d: %v", i, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d payments failed", failed.Load())
	}
	payRate := float64(payments) / elapsed.Seconds()

	// The SM2 ceiling on the same cores: one verify and one sign per operation.
	key, _ := sm2.GenerateKey(rand.Reader)
	msg := []byte(`POST\n/a2/v1/payments\n1700000000\nnonce\n` + string(body) + "\n")
	sig, _ := key.SignWithSM2(rand.Reader, nil, msg)
	var ops atomic.Int64
	deadline := time.Now().Add(3 * time.Second)
	var cw sync.WaitGroup
	for w := 0; w < workers; w++ {
		cw.Add(1)
		go func() {
			defer cw.Done()
			for time.Now().Before(deadline) {
				if !sm2.VerifyASN1WithSM2(&key.PublicKey, nil, msg, sig) {
					b.Error("ceiling: verify failed")
					return
				}
				if _, err := key.SignWithSM2(rand.Reader, nil, msg); err != nil {
					b.Error(err)
					return
				}
				ops.Add(1)
			}
		}()
	}
	cw.Wait()
	ceiling := float64(ops.Load()) / 3

	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	b.ReportMetric(payRate, "payments/s")
	b.ReportMetric(ceiling, "sm2_ceiling/s")
	b.ReportMetric(payRate/ceiling, "ratio")
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99_ms")
	commit := "durable commit (synchronous=FULL)"
	if !tb.cfg.Durable {
		commit = "commit without fsync (synchronous=NORMAL)"
	}
	fmt.Printf("A2 signed payments, %s: %.0f/s (%d payments, %d workers, p50 %.2f ms, p99 %.2f ms); SM2 ceiling (1 verify + 1 sign) on the same cores: %.0f/s; ratio %.2f\n",
		commit, payRate, payments, workers, float64(p50.Microseconds())/1000, float64(p99.Microseconds())/1000, ceiling, payRate/ceiling)
}
