package bench

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/internal/server"
	"github.com/jr0185/harness/sandbox/protocol"
)

const (
	a1URI   = "/a1/v1/products?page_size=5"
	bareURI = "/products"

	roundTime   = 3 * time.Second        // each of the four measured rounds: A1, bare, A1, bare
	rounds      = 2                      // rounds per target, alternated to spread drift evenly
	warmupTime  = 300 * time.Millisecond // per target, unmeasured: connections and caches
	maxPerRound = 500_000                // at most 2 million measured requests in all
	verifyEvery = 1000                   // the first response and every 1000th are verified in full
	reqTimeout  = 10 * time.Second       // no request can hold a round open longer than this
)

// bankFixture is a sandbox bank started in-process with one approved A1 app whose
// limits are far above what the machine can send.
type bankFixture struct {
	bank   *bank.Bank
	keys   map[string]*ecdsa.PublicKey
	client *http.Client
	url    string // the A1 request URL
	app    a1App
	body   []byte // a genuine A1 response body: the model for the bare handler's body
}

type a1App struct {
	ID, Serial string
	MACKey     []byte
}

// newClient is the client side of both targets: kept-alive HTTPS/1.1 connections
// trusting the bank's TLS CA, TLS 1.2 or later.
func newClient(pool *x509.CertPool) *http.Client {
	return &http.Client{Timeout: reqTimeout, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool},
		MaxIdleConnsPerHost: 64,
	}}
}

func startBank(b *testing.B) *bankFixture {
	b.Helper()
	cfg := bank.DefaultConfig()
	cfg.DataDir = b.TempDir()
	cfg.Addr = "127.0.0.1:0"
	bk, err := bank.Start(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatalf("start bank: %v", err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := bk.Close(ctx); err != nil {
			b.Errorf("close bank: %v", err)
		}
	})
	ca, err := os.ReadFile(bk.TLSCAFile)
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		b.Fatalf("no certificate in %s", bk.TLSCAFile)
	}
	keys, err := bank.BankKeys(cfg.DataDir)
	if err != nil {
		b.Fatal(err)
	}
	f := &bankFixture{bank: bk, keys: keys, client: newClient(pool), url: bk.URL + a1URI}
	b.Cleanup(f.client.CloseIdleConnections) // runs before the bank closes
	f.app = f.registerA1(b)

	// One fully checked call, which also gives the bare handler its model body.
	st, hdr, body, err := get(f.client, f.a1Request())
	if err != nil || st != http.StatusOK {
		b.Fatalf("first A1 call: HTTP %d %s %v", st, body, err)
	}
	if err := f.verify(hdr, body); err != nil {
		b.Fatal(err)
	}
	f.body = body
	return f
}

// registerA1 registers an A1 app with scope products:read through the admin API and
// approves it, as an operator would.
func (f *bankFixture) registerA1(b *testing.B) a1App {
	b.Helper()
	var out struct {
		App struct {
			ID string `json:"app_id"`
		} `json:"app"`
		Credentials struct {
			Secret string `json:"app_secret"`
			Serial string `json:"serial"`
		} `json:"credentials"`
	}
	f.admin(b, "/admin/v1/apps", http.StatusCreated, map[string]any{
		"name": "Benchmark Partner", "level": "A1", "scopes": []string{"products:read"},
		"limits": map[string]any{"rate_rps": 1e6, "rate_burst": 10_000_000, "max_concurrent": 100_000},
	}, &out)
	if out.App.ID == "" || out.Credentials.Secret == "" || out.Credentials.Serial == "" {
		b.Fatalf("registration answer lacks app_id, app_secret or serial: %+v", out)
	}
	f.admin(b, "/admin/v1/apps/"+out.App.ID+"/actions/approve", http.StatusOK, nil, nil)
	return a1App{ID: out.App.ID, Serial: out.Credentials.Serial,
		MACKey: protocol.DeriveMACKey(out.Credentials.Secret, out.App.ID)}
}

func (f *bankFixture) admin(b *testing.B, path string, want int, body, out any) {
	b.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			b.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(http.MethodPost, f.bank.URL+path, rd)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.bank.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	st, _, raw, err := get(f.client, req)
	if err != nil || st != want {
		b.Fatalf("admin POST %s: HTTP %d %s %v", path, st, raw, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			b.Fatalf("admin POST %s: %v", path, err)
		}
	}
}

// a1Request is a MAC-signed GET of the product list with a fresh timestamp and nonce.
func (f *bankFixture) a1Request() *http.Request {
	ts, nonce := protocol.Timestamp(time.Now()), protocol.NewNonce()
	mac := protocol.MACBase64(f.app.MACKey, protocol.StringToSign(http.MethodGet, a1URI, ts, nonce, nil))
	req, _ := http.NewRequest(http.MethodGet, f.url, nil) // the URL is a constant: it parses
	req.Header.Set("Authorization", protocol.Credentials{Scheme: protocol.SchemeHMAC, AppID: f.app.ID,
		Serial: f.app.Serial, Timestamp: ts, Nonce: nonce, Signature: mac}.String())
	return req
}

// queryA1 sends request number n (from 1) and checks it: status 200 always, and on
// the first and every verifyEvery-th response the SM2 signature and the A1 MAC.
func (f *bankFixture) queryA1(n int64) error {
	st, hdr, body, err := get(f.client, f.a1Request())
	if err != nil {
		return fmt.Errorf("A1 request %d: %w", n, err)
	}
	if st != http.StatusOK {
		return fmt.Errorf("A1 request %d: HTTP %d %s", n, st, body)
	}
	if n == 1 || n%verifyEvery == 0 {
		if err := f.verify(hdr, body); err != nil {
			return fmt.Errorf("A1 request %d: %w", n, err)
		}
	}
	return nil
}

// verify checks the bank's SM2 response signature and the A1 response MAC
// (JR/T 0185-2020 7.2.2, 9.2.2).
func (f *bankFixture) verify(hdr http.Header, body []byte) error {
	pub, ok := f.keys[hdr.Get(protocol.HeaderSerial)]
	if !ok {
		return fmt.Errorf("response signed with unknown serial %q", hdr.Get(protocol.HeaderSerial))
	}
	msg := protocol.ResponseStringToSign(hdr.Get(protocol.HeaderTimestamp), hdr.Get(protocol.HeaderNonce), body)
	if !protocol.VerifySM2(pub, msg, hdr.Get(protocol.HeaderSignature)) {
		return errors.New("response SM2 signature does not verify")
	}
	if !protocol.VerifyMAC(f.app.MACKey, msg, hdr.Get(protocol.HeaderMAC)) {
		return errors.New("A1 response MAC does not verify")
	}
	return nil
}

// bareFixture is the baseline: a bare fiber app with one GET handler rendering a JSON
// body like the bank's, behind the bank's server certificate and server.TLSConfig.
type bareFixture struct {
	client *http.Client
	url    string
	size   int // the rendered body's size
}

func startBare(b *testing.B, f *bankFixture) *bareFixture {
	b.Helper()
	pki := filepath.Join(f.bank.DataDir, "pki")
	cert, err := tls.LoadX509KeyPair(filepath.Join(pki, "server.crt"), filepath.Join(pki, "server.key"))
	if err != nil {
		b.Fatalf("bank server certificate: %v", err)
	}
	// The handler re-encodes the same document the bank sent on every call, so both
	// sides pay for JSON encoding of a body of the same size.
	var model any
	if err := json.Unmarshal(f.body, &model); err != nil {
		b.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get(bareURI, func(c *fiber.Ctx) error { return c.JSON(model) })
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(tls.NewListener(raw, server.TLSConfig(cert))) }()

	bf := &bareFixture{client: newClient(f.client.Transport.(*http.Transport).TLSClientConfig.RootCAs),
		url: "https://" + raw.Addr().String() + bareURI}
	b.Cleanup(func() {
		bf.client.CloseIdleConnections()
		if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
			b.Errorf("bare fiber shutdown: %v", err)
		}
		if err := <-done; err != nil {
			b.Errorf("bare fiber: %v", err)
		}
	})
	req, _ := http.NewRequest(http.MethodGet, bf.url, nil)
	st, _, body, err := get(bf.client, req)
	if err != nil || st != http.StatusOK || !json.Valid(body) {
		b.Fatalf("first bare call: HTTP %d %s %v", st, body, err)
	}
	bf.size = len(body)
	return bf
}

// queryBare sends request number n to the bare handler: status 200 always, a JSON body
// on the sampled ones.
func (bf *bareFixture) queryBare(n int64) error {
	req, _ := http.NewRequest(http.MethodGet, bf.url, nil)
	st, _, body, err := get(bf.client, req)
	if err != nil {
		return fmt.Errorf("bare request %d: %w", n, err)
	}
	if st != http.StatusOK {
		return fmt.Errorf("bare request %d: HTTP %d %s", n, st, body)
	}
	if (n == 1 || n%verifyEvery == 0) && !json.Valid(body) {
		return fmt.Errorf("bare request %d: body is not JSON: %s", n, body)
	}
	return nil
}

func get(c *http.Client, req *http.Request) (int, http.Header, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

// parallel runs query under b.RunParallel with 2*GOMAXPROCS goroutines (the ratio
// benchmark's worker count); the first failure stops every goroutine and the benchmark.
func parallel(b *testing.B, query func(n int64) error) {
	var seq atomic.Int64
	var failed atomic.Bool
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if failed.Load() {
				return
			}
			if err := query(seq.Add(1)); err != nil {
				if failed.CompareAndSwap(false, true) {
					b.Error(err)
				}
				return
			}
		}
	})
	b.StopTimer()
	if b.Failed() {
		b.FailNow()
	}
}

// BenchmarkA1ProductQuery is one MAC-signed A1 product-list query per op, over kept-alive
// TLS connections, every response 200, a sample verified (SM2 signature and MAC).
func BenchmarkA1ProductQuery(b *testing.B) {
	f := startBank(b)
	parallel(b, f.queryA1)
}

// BenchmarkBareFiberJSON is the baseline per op: a bare fiber JSON handler, same TLS
// certificate and policy, same client and parallelism.
func BenchmarkBareFiberJSON(b *testing.B) {
	bf := startBare(b, startBank(b))
	parallel(b, bf.queryBare)
}

// round is one time-boxed measurement of one target.
type round struct {
	done    int64
	elapsed time.Duration
	lat     []time.Duration
}

func (r round) qps() float64 { return float64(r.done) / r.elapsed.Seconds() }

// runRound sends requests from workers goroutines, each waiting for its answer before
// sending the next, until d has passed or max requests were issued. It returns when
// the last in-flight request has finished (each is bounded by reqTimeout).
func runRound(workers int, d time.Duration, max int64, query func(n int64) error) (round, error) {
	var (
		issued  atomic.Int64
		stop    atomic.Bool
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	lats := make([][]time.Duration, workers)
	start := time.Now()
	deadline := start.Add(d)
	for w := range workers {
		lats[w] = make([]time.Duration, 0, 8192)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() && time.Now().Before(deadline) {
				n := issued.Add(1)
				if n > max {
					return
				}
				t0 := time.Now()
				if err := query(n); err != nil {
					errOnce.Do(func() { first = err })
					stop.Store(true)
					return
				}
				lats[w] = append(lats[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	r := round{elapsed: time.Since(start), lat: slices.Concat(lats...)}
	r.done = int64(len(r.lat))
	return r, first
}

// pacedRound offers requests at rate per second for d in an open loop, at most inflight
// at a time, and times each from the moment it was due (so a request that could not
// start on time counts its wait: no coordinated omission). It returns the latencies and
// the rate achieved.
func pacedRound(rate float64, d time.Duration, inflight int, query func(n int64) error) ([]time.Duration, float64, error) {
	interval := time.Duration(float64(time.Second) / rate)
	total := int(d / interval)
	lat := make([]time.Duration, total)
	slots := make(chan struct{}, inflight)
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	start := time.Now()
	for k := range total {
		due := start.Add(time.Duration(k) * interval)
		time.Sleep(time.Until(due))
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := query(int64(k + 1)); err != nil {
				errOnce.Do(func() { first = err })
			}
			lat[k] = time.Since(due)
		}()
	}
	wg.Wait()
	return lat, float64(total) / time.Since(start).Seconds(), first
}

// percentile is the nearest-rank q-quantile of sorted latencies.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkA1VersusBareFiber measures A1 product queries and the bare fiber baseline in
// one process, alternating A1, bare, A1, bare for roundTime each with 2*GOMAXPROCS
// workers, and reports the throughput ratio and the A1 latency.
//
// One op is one complete alternating measurement (about 4*roundTime). It takes longer
// than -benchtime 3s by itself, so the testing package runs it exactly once (b.N == 1),
// as it does with -benchtime 1x; a longer -benchtime repeats whole measurements and
// pools them.
func BenchmarkA1VersusBareFiber(b *testing.B) {
	f := startBank(b)
	bf := startBare(b, f)
	workers := 2 * runtime.GOMAXPROCS(0)
	targets := []struct {
		name  string
		query func(int64) error
	}{{"A1", f.queryA1}, {"bare", bf.queryBare}}

	for _, t := range targets { // unmeasured warm-up: open the connections, fill caches
		if _, err := runRound(workers, warmupTime, maxPerRound, t.query); err != nil {
			b.Fatalf("warm-up %s: %v", t.name, err)
		}
	}

	var (
		total  [2]round
		perRnd []string
	)
	b.ResetTimer()
	for range b.N {
		for r := range rounds {
			for i, t := range targets {
				res, err := runRound(workers, roundTime, maxPerRound, t.query)
				if err != nil {
					b.Fatal(err)
				}
				total[i].done += res.done
				total[i].elapsed += res.elapsed
				if i == 0 {
					total[i].lat = append(total[i].lat, res.lat...)
				}
				perRnd = append(perRnd, fmt.Sprintf("%s#%d %.0f", t.name, r+1, res.qps()))
			}
		}
	}
	b.StopTimer()

	a1QPS, bareQPS := total[0].qps(), total[1].qps()
	// The brief's latency bar: A1 at 70% of the peak just measured, in an open loop.
	paced, pacedQPS, err := pacedRound(0.7*a1QPS, roundTime, workers, f.queryA1)
	if err != nil {
		b.Fatal(err)
	}
	slices.Sort(paced)
	ratio := a1QPS / bareQPS
	slices.Sort(total[0].lat)
	p50, p99 := percentile(total[0].lat, 0.50), percentile(total[0].lat, 0.99)
	b.ReportMetric(a1QPS, "a1_req/s")
	b.ReportMetric(bareQPS, "bare_req/s")
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(ms(p50), "p50_ms")
	b.ReportMetric(ms(p99), "p99_ms")
	b.ReportMetric(ms(percentile(paced, 0.99)), "p99_at_70pct_ms")
	fmt.Printf("A1 product queries: %.0f req/s; bare fiber JSON over the same TLS: %.0f req/s; ratio %.2f\n",
		a1QPS, bareQPS, ratio)
	fmt.Printf("A1 at 70%% of that peak: %.0f req/s offered in an open loop (achieved %.0f, at most %d in flight), each timed from when it was due: p50 %.2f ms, p99 %.2f ms\n",
		0.7*a1QPS, pacedQPS, workers, ms(percentile(paced, 0.50)), ms(percentile(paced, 0.99)))
	b.Logf("%d workers, %d x %s per target; rounds (req/s): %s", workers, rounds, roundTime, strings.Join(perRnd, ", "))
	b.Logf("A1: %d requests, p50 %.2f ms, p99 %.2f ms; body %d bytes (A1) vs %d bytes (bare)",
		total[0].done, ms(p50), ms(p99), len(f.body), bf.size)
}
