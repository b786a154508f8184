package bank_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
)

// BenchmarkA2PaymentsVersusSM2Ceiling measures the bank's throughput of signed A2
// payments against the SM2 ceiling of the same cores, in the same run.
//
// Payments: each is a POST /a2/v1/payments over mutual TLS on a kept-alive connection,
// SM2-signed by the partner and carrying the user's access token; the bank verifies the
// signature, the client certificate, the token and its single-use payment consent, the
// nonce, the idempotency key and the limits, executes the payment and commits it to the
// ledger before it answers (SQLite WAL, synchronous=FULL: fsynced, it survives a killed
// process and a power loss), and SM2-signs the answer. The partner's own SM2 work is
// kept out of the timed window, since it is not the bank's and would run on the same
// cores: every request is signed before the clock starts (fresh nonces, timestamps well
// inside the bank's window) and every answer's signature is verified after it stops
// (the benchmark fails unless all verify and all payments succeeded). The connections
// are opened before the clock starts; a connection opened while it runs fails the
// benchmark. Latency is per request, from sending it to reading the whole answer,
// with the given number of requests in flight. Each payment needs its own single-use
// consent; those are obtained through the bank's pages before the clock starts.
//
// The bank's asynchronous work triggered by the payments — the signed notification of
// each result POSTed to the partner — runs on the same cores during and after the
// window; only what finishes inside the window competes with the measurement.
//
// Latency at 70% of the peak: after the timed window, more payments (each with its own
// consent, signed beforehand) are offered at 0.7 times the payments per second just
// measured, in an open loop, and each is timed from the moment it was due.
//
// Ceiling: one SM2 verify plus one SM2 sign per operation (what the bank must do per
// payment at the least), on as many goroutines, for three seconds. A second line gives
// the bank's own crypto bound, measured the same way: the SM2 work the bank does per
// payment (verify the request, decrypt the payee envelope, sign the answer, sign the
// notification), so that the gap to the ceiling splits into the standard's required
// cryptography and everything else.
func BenchmarkA2PaymentsVersusSM2Ceiling(b *testing.B) {
	for i := 0; i < b.N; i++ { // one measurement per op; -benchtime 1x is enough
		measureA2Payments(b)
	}
}

// benchPayments is the sample size of BenchmarkA2PaymentsVersusSM2Ceiling's peak
// (closed loop); benchPaced that of its latency at 70% of the peak (open loop).
const (
	benchPayments = 2000
	benchPaced    = 1400
)

func measureA2Payments(b *testing.B) {
	b.StopTimer()
	tb := startBank(b, func(c *bank.Config) {
		c.Customers, c.Products, c.Durable = 10, 24, true
		c.OTPPaymentCodesPerHour = 1 << 20 // one app confirms thousands of payments within the hour
	})
	ctx := context.Background()
	notifyURL, notes := notifyReceiver(b, tb)
	go func() {
		for range notes { // drain: the receiver answers 204 to every notification
		}
	}()
	client := onboardPartner(b, tb, notifyURL)
	if st, out := tb.admin("PUT", "/admin/v1/apps/"+client.Config().AppID+"/limits",
		map[string]any{"rate_rps": 1e6, "rate_burst": 10000000, "max_concurrent": 100000}); st != 200 {
		b.Fatalf("limits: %d %v", st, out)
	}
	zhang, lisi := pgCustomer(b, tb, "zhangsan"), pgCustomer(b, tb, "lisi")
	browser := pgNewBrowser(b, tb)

	// Account id of the payer, through an account-information consent.
	atok := accountsToken(b, client, browser, "zhangsan", 1, "accounts:read")
	debitID := zhangAccountID(b, client, atok, zhang.Accounts[0].Number)

	payments := benchPayments
	t0 := time.Now()
	tokens := make([]*sdk.Token, payments+benchPaced)
	for i := range tokens {
		tokens[i] = paymentToken(b, client, browser, "zhangsan", "0.01", zhang.Accounts[0].Number, lisi.Accounts[0].Number, lisi.Name)
	}
	consentTime := time.Since(t0)
	body := paymentBody(b, tb, debitID, "0.01", lisi.Accounts[0].Number, lisi.Name, "bench")

	// Requests in flight for the peak: the 16 kept-alive connections the SDK holds (with
	// 8 the bank was not saturated: 2,000/s against 2,400/s).
	workers := 16
	if n, err := strconv.Atoi(os.Getenv("BENCH_INFLIGHT")); err == nil && n > 0 {
		workers = n
	}
	// Warm up: as many kept-alive connections as requests in flight (the SDK keeps up
	// to 16 idle). Each warm-up request holds the connection it got until all have
	// one, so that each gets its own.
	if workers > 16 {
		b.Fatalf("at most 16 requests in flight: the SDK keeps 16 idle connections")
	}
	httpc := client.HTTPClient()
	warm := client.ForUser(atok)
	var holding sync.WaitGroup
	holding.Add(workers)
	warmCtx := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) {
		holding.Done()
		holding.Wait()
	}})
	var ww sync.WaitGroup
	for w := 0; w < workers; w++ {
		ww.Add(1)
		go func() {
			defer ww.Done()
			if r, err := warm.Do(warmCtx, "GET", "/a2/v1/accounts", nil, nil); err != nil || r.Status != 200 {
				b.Errorf("warm-up: %v", err)
			}
		}()
	}
	ww.Wait()

	// Sign every request now, after the consents (the timestamps stay well inside the
	// bank's window of several minutes). A trace counts connections opened while timed.
	var dialed atomic.Int64
	trace := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) {
		if !ci.Reused {
			dialed.Add(1)
		}
	}})
	reqs := make([]*http.Request, payments+benchPaced)
	for i := range reqs {
		var err error
		if reqs[i], err = client.ForUser(tokens[i]).NewRequest(trace, "POST", "/a2/v1/payments", body,
			http.Header{"Idempotency-Key": {fmt.Sprintf("bench-%d", i)}}); err != nil {
			b.Fatal(err)
		}
	}
	dialed.Store(0)

	next := atomic.Int64{}
	lat := make([]time.Duration, payments)
	resps := make([]*sdk.Response, payments+benchPaced)
	errs := make([]error, payments+benchPaced)
	var wg sync.WaitGroup
	writer0 := writerCounters(tb)
	stopProfile := profileWindow(b)
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
				resp, err := httpc.Do(reqs[i])
				if err == nil {
					resps[i], err = sdk.ReadResponse(resp)
				}
				lat[i], errs[i] = time.Since(t0), err
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	stopProfile()
	writer := writerCounters(tb).minus(writer0)
	payRate := float64(payments) / elapsed.Seconds()

	// Latency at 70% of that peak (JR/T 0185 bench bar: p99 at 70% of peak): an open loop
	// offering payments at 0.7 × payRate, each timed from the moment it was due (so a
	// late start counts against the bank), at most `workers` in flight on the same
	// kept-alive connections.
	pacedRate := 0.7 * payRate
	interval := time.Duration(float64(time.Second) / pacedRate)
	paced := make([]time.Duration, benchPaced)
	slots := make(chan struct{}, workers)
	pacedStart := time.Now()
	for k := 0; k < benchPaced; k++ {
		due := pacedStart.Add(time.Duration(k) * interval)
		time.Sleep(time.Until(due))
		slots <- struct{}{}
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			defer func() { <-slots }()
			i := payments + k
			resp, err := httpc.Do(reqs[i])
			if err == nil {
				resps[i], err = sdk.ReadResponse(resp)
			}
			paced[k], errs[i] = time.Since(due), err
		}(k)
	}
	wg.Wait()
	pacedAchieved := float64(benchPaced) / time.Since(pacedStart).Seconds()

	// Every answer: a verified bank signature and a succeeded payment.
	failed := 0
	for i, r := range resps {
		err := errs[i]
		if err == nil {
			err = client.Verify(ctx, r)
		}
		var view struct {
			Status string `json:"status"`
		}
		switch {
		case err != nil:
			b.Errorf("payment %d: %v", i, err)
		case r.Status != 201:
			b.Errorf("payment %d: HTTP %d %s", i, r.Status, r.Body)
		case json.Unmarshal(r.Body, &view) != nil || view.Status != "succeeded":
			b.Errorf("payment %d: not succeeded: %s", i, r.Body)
		default:
			continue
		}
		if failed++; failed > 5 {
			break
		}
	}
	if failed > 0 {
		b.Fatalf("payments failed or did not verify")
	}
	if n := dialed.Load(); n > 0 {
		b.Fatalf("%d connections were opened while timed: the connections were not kept alive", n)
	}

	// The SM2 ceiling on the same cores: one verify and one sign per operation.
	key, _ := sm2.GenerateKey(rand.Reader)
	msg := []byte(`POST\n/a2/v1/payments\n1700000000\nnonce\n` + string(body) + "\n")
	sig, _ := key.SignWithSM2(rand.Reader, nil, msg)
	verifySign := func() error {
		if !sm2.VerifyASN1WithSM2(&key.PublicKey, nil, msg, sig) {
			return errors.New("verify failed")
		}
		_, err := key.SignWithSM2(rand.Reader, nil, msg)
		return err
	}
	ceiling := sm2Rate(b, "ceiling", workers, verifySign)

	// The bank's own crypto bound on the same cores: the SM2 work the bank must do per
	// payment — verify the request, open the payee envelope sealed to its encryption key
	// (an SM2 decryption), sign the answer and sign the notification.
	encKey, _ := sm2.GenerateKey(rand.Reader)
	payee, _ := json.Marshal(map[string]string{"account": lisi.Accounts[0].Number, "name": lisi.Name})
	env, err := protocol.Seal(&encKey.PublicKey, "", payee, []byte("payee"))
	if err != nil {
		b.Fatal(err)
	}
	bankCrypto := sm2Rate(b, "crypto bound", workers, func() error {
		if err := verifySign(); err != nil {
			return err
		}
		if _, err := protocol.Open(encKey, env, []byte("payee")); err != nil {
			return err
		}
		_, err := key.SignWithSM2(rand.Reader, nil, msg)
		return err
	})

	p50, p99 := percentiles(lat)
	paced50, paced99 := percentiles(paced)
	b.ReportMetric(payRate, "payments/s")
	b.ReportMetric(ceiling, "sm2_ceiling/s")
	b.ReportMetric(payRate/ceiling, "ratio")
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(paced99.Microseconds())/1000, "p99_at_70pct_ms")
	commit := "durable commit (synchronous=FULL)"
	if !tb.cfg.Durable {
		commit = "commit without fsync (synchronous=NORMAL)"
	}
	fmt.Printf("A2 signed payments, %s, mTLS kept-alive, partner signing/verifying outside the timed window: %.0f/s (%d payments, %d in flight, p50 %.2f ms, p99 %.2f ms); SM2 ceiling (1 verify + 1 sign) on the same cores: %.0f/s; ratio %.2f [consents: %s]\n",
		commit, payRate, payments, workers, float64(p50.Microseconds())/1000, float64(p99.Microseconds())/1000, ceiling, payRate/ceiling, consentTime.Round(time.Millisecond))
	b.ReportMetric(bankCrypto, "bank_crypto_bound/s")
	fmt.Printf("Bank's own SM2 work per payment (1 verify + 1 payee decrypt + 2 signs: request, payee, answer, notification) on the same cores: %.0f/s, %.2f of the SM2 ceiling; payments reach %.2f of this bound\n",
		bankCrypto, bankCrypto/ceiling, payRate/bankCrypto)
	fmt.Printf("The database's one writer (group commit) during the window: busy %.0f%% of it, %d commits of %.0f transactions (%.1f a commit)\n",
		100*writer.busy/elapsed.Seconds(), int(writer.commits), writer.txs, writer.txs/max(writer.commits, 1))
	b.ReportMetric(writer.busy/elapsed.Seconds(), "writer_busy")
	fmt.Printf("Latency at 70%% of that peak: %d payments offered at %.0f/s in an open loop (achieved %.0f/s, at most %d in flight), each timed from when it was due: p50 %.2f ms, p99 %.2f ms\n",
		benchPaced, pacedRate, pacedAchieved, workers, float64(paced50.Microseconds())/1000, float64(paced99.Microseconds())/1000)
}

// writerStats are the bank's group-commit writer counters (its /metrics).
type writerStats struct{ busy, commits, txs float64 }

func (w writerStats) minus(o writerStats) writerStats {
	return writerStats{w.busy - o.busy, w.commits - o.commits, w.txs - o.txs}
}

func writerCounters(tb *testBank) writerStats {
	r := tb.plainGet("/metrics", "Bearer "+tb.b.AdminToken)
	if r.Status != 200 {
		tb.t.Fatalf("/metrics: %d", r.Status)
	}
	samples := parseMetrics(tb.t, string(r.Body))
	var w writerStats
	for name, v := range map[string]*float64{"jr0185_db_writer_busy_seconds_total": &w.busy,
		"jr0185_db_writer_commits_total": &w.commits, "jr0185_db_writer_transactions_total": &w.txs} {
		got, n := metricValue(samples, name, nil)
		if n != 1 {
			tb.t.Fatalf("/metrics has %d samples of %s", n, name)
		}
		*v = got
	}
	return w
}

// percentiles returns the median and the 99th percentile of d (sorting it).
func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2], d[len(d)*99/100]
}

// sm2Rate runs op on as many goroutines for three seconds and returns operations per
// second (the benchmark fails if op does).
func sm2Rate(b *testing.B, what string, workers int, op func() error) float64 {
	var ops atomic.Int64
	deadline := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if err := op(); err != nil {
					b.Errorf("%s: %v", what, err)
					return
				}
				ops.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(ops.Load()) / 3
}

// profileWindow writes a CPU profile of the timed window alone (both the bank's and
// the client's goroutines: they share the process) to $BENCH_WINDOW_CPUPROFILE when
// set; go test -cpuprofile would mix in the setup, the consents above all.
func profileWindow(b *testing.B) (stop func()) {
	path := os.Getenv("BENCH_WINDOW_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }
}
