package bank_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/bank"
)

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestNoSeededPIIInLogsOrAudit sends every seeded customer's card, resident ID and
// mobile number in paths, queries, headers and bodies, and checks that none of them
// appears in full in the server log or in the audit database (JR/T 0185-2020 7.3.3,
// 12.3/2; brief section 8).
func TestNoSeededPIIInLogsOrAudit(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	cfg := bank.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	cfg.Customers, cfg.Products = 6, 12
	b, err := bank.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	tb := &testBank{t: t, b: b, cfg: cfg}
	tb.http, tb.bankKeys = startBankClient(t, b, cfg)
	app := tb.newA1App([]string{"products:read"}, nil)

	ds := fakedata.Generate(cfg.Seed, fakedata.Size{Customers: cfg.Customers, Products: cfg.Products})
	var secrets []string
	for _, c := range ds.Customers {
		secrets = append(secrets, c.ResidentID, c.Mobile)
		for _, a := range c.Accounts {
			secrets = append(secrets, a.Number)
		}
	}
	for _, s := range secrets {
		q := url.QueryEscape(s)
		tb.call(app, "/a1/v1/products?currency="+q, callOpts{})                                                // bad parameter
		tb.call(app, "/a1/v1/products/"+s, callOpts{})                                                         // bad path parameter
		tb.call(app, "/a1/v1/products?status=on_sale", callOpts{method: "POST", body: `{"card":"` + s + `"}`}) // wrong method, body kept as excerpt
		tb.call(app, "/a1/v1/accounts/"+s+"?mobile="+q, callOpts{header: map[string]string{"X-Card": s}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	logText := logs.String()
	auditRaw := readAll(t, filepath.Join(cfg.DataDir, "audit.db"))
	for _, s := range secrets {
		if strings.Contains(logText, s) {
			t.Errorf("server log contains a full number %s…", s[:4])
		}
		if bytes.Contains(auditRaw, []byte(s)) {
			t.Errorf("audit log contains a full number %s…", s[:4])
		}
	}
	if !strings.Contains(string(auditRaw), "****") {
		t.Error("audit log shows no masked values: the test did not exercise redaction")
	}
}

func readAll(t *testing.T, pattern string) []byte {
	t.Helper()
	var out []byte
	files, _ := filepath.Glob(pattern + "*")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw...)
	}
	return out
}
