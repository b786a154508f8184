package bank_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/internal/pki"
)

// crashProc is the sandbox binary running as a separate process on a fixed data folder
// and address.
type crashProc struct {
	t              *testing.T
	bin, data, adr string
	cmd            *exec.Cmd
	exited         chan struct{}
	log            *os.File
	env            []string // more settings (KEY=value)
}

func (p *crashProc) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin, "serve")
	cmd.Env = append(os.Environ(), "SANDBOX_DATA_DIR="+p.data, "SANDBOX_ADDR="+p.adr, "SANDBOX_CUSTOMERS=10", "SANDBOX_PRODUCTS=24",
		"SANDBOX_ABNORMAL_FAILURES=1000000000") // the load provokes conflicts on purpose
	cmd.Env = append(cmd.Env, p.env...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start sandbox: %v", err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(cmd, p.exited)
	p.waitHealthy(30 * time.Second)
}

// waitHealthy polls /healthz (trusting the data folder's TLS CA once it exists) until it
// answers 200, the process exits, or the deadline passes.
func (p *crashProc) waitHealthy(within time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		select {
		case <-p.exited:
			p.t.Fatalf("sandbox exited before it was healthy; log:\n%s", p.logTail())
		default:
		}
		if ca, err := os.ReadFile(filepath.Join(p.data, "pki", "tls-ca.crt")); err == nil {
			c := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: tlsTrusting(ca)}}
			if r, err := c.Get("https://" + p.adr + "/healthz"); err == nil {
				r.Body.Close()
				if r.StatusCode == 200 {
					return
				}
			}
		}
		select {
		case <-p.exited:
		case <-time.After(50 * time.Millisecond): // poll interval
		}
	}
	p.t.Fatalf("sandbox not healthy within %v; log:\n%s", within, p.logTail())
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *crashProc) kill() {
	p.t.Helper()
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// stop sends SIGTERM and waits (bounded) for a clean exit.
func (p *crashProc) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if !p.cmd.ProcessState.Success() {
			p.t.Errorf("sandbox exited with %v after SIGTERM; log:\n%s", p.cmd.ProcessState, p.logTail())
		}
	case <-time.After(15 * time.Second):
		p.kill()
		p.t.Errorf("sandbox did not stop within 15s of SIGTERM")
	}
}

func (p *crashProc) logTail() string {
	raw, _ := os.ReadFile(p.log.Name())
	if len(raw) > 4000 {
		raw = raw[len(raw)-4000:]
	}
	return string(raw)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestCrashRecovery runs the sandbox binary and kills it with SIGKILL while payments
// are in flight, three times. After each restart every payment acknowledged with 201
// is still there with its acknowledged status, a payment whose answer was lost can be
// retried with its key, and the audit log verifies; after a clean stop the ledger
// invariants hold, the total is unchanged and each idempotency key made one payment.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the sandbox binary")
	}
	t.Parallel()
	const cycles, perCycle, workers = 3, 12, 12 // every payment of a cycle in flight at once
	started := time.Now()
	p, tb := startProcessBank(t, nil)
	bin := p.bin
	notifyURL, _ := notifyReceiver(t, tb)
	client := onboardPartner(t, tb, notifyURL)
	appID := client.Config().AppID
	payers, payees := ldParticipants(t, tb, 3)
	ro := ldReadOnly(t, p.data)
	before := ldBalances(t, ro)
	_ = ro.Close()

	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x185))
	ctx := context.Background()
	acked := map[string]ldAnswer{}
	var keys []string
	outcomes := map[string]int{}
	var leased []*ldPayment // retried after a restart and refused 409: reservation of a killed process
	for cycle := range cycles {
		ro := ldReadOnly(t, p.data)
		pays := ldPreparePayments(t, tb, client, ro, rng, perCycle, "crash"+strconv.Itoa(cycle), payers, payees, map[string]*pgBrowser{})
		_ = ro.Close()
		for _, py := range pays {
			keys = append(keys, py.key)
		}

		// Fire; SIGKILL once half of them have answered.
		answers := make([]ldAnswer, len(pays))
		var answered atomic.Int32
		killed := make(chan struct{})
		var once sync.Once
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					answers[i] = ldPost(ctx, pays[i], pays[i].body)
					if answered.Add(1) >= perCycle/2 {
						once.Do(func() { _ = p.cmd.Process.Kill(); close(killed) })
					}
				}
			}()
		}
		for i := range pays {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		<-killed
		<-p.exited
		lost := 0
		for i, a := range answers {
			switch {
			case a.final():
				acked[pays[i].key] = a
				outcomes["acknowledged "+a.payStatus]++
			case a.err != nil:
				lost++
				outcomes["no answer (killed)"]++
			default:
				t.Errorf("cycle %d %s: answered %s", cycle, pays[i].key, a)
			}
		}
		t.Logf("cycle %d: %d acknowledged, %d lost to SIGKILL", cycle, len(pays)-lost, lost)

		p.start()
		// Every payment acknowledged so far is there with its acknowledged status.
		for k, a := range acked {
			r, err := client.Do(ctx, "GET", "/a2/v1/payments/"+a.paymentID, nil, nil)
			if err != nil || r.Status != 200 || !strings.Contains(string(r.Body), `"status":"`+a.payStatus+`"`) {
				t.Errorf("cycle %d after restart, %s: GET payment %s (acknowledged %s): %v %v", cycle, k, a.paymentID, a.payStatus, err, r)
			}
		}
		// A payment whose answer was lost is retried with its key: it completes once,
		// or its reservation is still leased to the killed process (409).
		for i, a := range answers {
			if a.err == nil {
				continue
			}
			r := ldPost(ctx, pays[i], pays[i].body)
			switch {
			case r.final():
				acked[pays[i].key] = r
				outcomes[fmt.Sprintf("retried after restart: 201 %s replayed=%v", r.payStatus, r.replayed)]++
			case r.err == nil && r.status == 409 && r.code == "IDEMPOTENCY_IN_PROGRESS":
				outcomes["retried after restart: 409 IDEMPOTENCY_IN_PROGRESS"]++
				leased = append(leased, pays[i])
			default:
				t.Errorf("cycle %d after restart, retry of %s answered %s", cycle, pays[i].key, r)
			}
		}
		if out, err := exec.Command(bin, "verify-audit", "--data-dir", p.data).CombinedOutput(); err != nil {
			t.Errorf("cycle %d: sandbox verify-audit: %v\n%s", cycle, err, out)
		}
	}
	// Once the killed process's reservations have expired (the bank's clock moved past
	// the 30 s idempotency lease), a retry with the same key must bring the payment to a
	// final status: the partner never had an answer for it.
	if len(leased) > 0 {
		if st, out := tb.admin("POST", "/admin/v1/clock/advance", map[string]any{"seconds": 35}); st != 200 {
			t.Fatalf("advance clock: %d %v", st, out)
		}
		for _, py := range leased {
			r := ldPost(ctx, py, py.body)
			outcomes[fmt.Sprintf("retried after the lease: HTTP %d %s", r.status, r.payStatus+r.code)]++
			if r.err != nil || (r.status != 200 && r.status != 201) || (r.payStatus != "succeeded" && r.payStatus != "failed") {
				t.Errorf("%s: retry after the lease expired answered %s; want the payment finished (succeeded or failed)", py.key, r)
			}
		}
	}
	t.Logf("outcomes: %v", outcomes)
	if outcomes["acknowledged succeeded"] == 0 {
		t.Errorf("no payment acknowledged as succeeded before a kill: %v", outcomes)
	}
	p.stop()
	ldOfflineCheck(t, p.data, appID, before, keys, acked)
	if rep, err := bank.VerifyAudit(ctx, p.data); err != nil || !rep.OK {
		t.Errorf("audit log after the clean stop: %v %s", err, rep.String())
	}
	t.Logf("total %v", time.Since(started).Round(time.Millisecond))
}

// startProcessBank builds the sandbox binary (once per test run), starts it as a process
// on a fresh data folder with the extra settings env (KEY=value), and returns it with a
// testBank view of it, so that the page and partner helpers work. The process is killed
// at the end of the test if still running.
func startProcessBank(t *testing.T, env []string) (*crashProc, *testBank) {
	t.Helper()
	bin := buildSandbox(t)
	tmp := t.TempDir()
	logf, err := os.Create(filepath.Join(tmp, "sandbox.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logf.Close() })
	p := &crashProc{t: t, bin: bin, data: filepath.Join(tmp, "data"), adr: freeAddr(t), log: logf, env: env}
	t.Cleanup(func() {
		if p.cmd != nil && p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	p.start()
	cfg := bank.DefaultConfig()
	cfg.DataDir, cfg.Addr, cfg.Customers, cfg.Products = p.data, p.adr, 10, 24
	token, err := os.ReadFile(filepath.Join(p.data, "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	ext := &bank.Bank{URL: "https://" + p.adr, DataDir: p.data, DemoDir: filepath.Join(p.data, "demo-partner"),
		AdminToken: strings.TrimSpace(string(token)), TLSCAFile: filepath.Join(p.data, "pki", "tls-ca.crt")}
	tb := &testBank{t: t, b: ext, cfg: cfg}
	tb.http, tb.bankKeys = startBankClient(t, ext, cfg)
	if _, _, err := pki.LoadOrCreateBank(pki.DefaultOptions(filepath.Join(p.data, "pki"))); err != nil {
		t.Fatal(err)
	}
	return p, tb
}

// tlsTrusting is a client TLS configuration trusting the PEM CA certificates in ca.
func tlsTrusting(ca []byte) *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
}
