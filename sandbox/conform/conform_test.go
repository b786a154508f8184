package conform_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/conform"
)

// TestBankSuitePassesAgainstTheSandbox runs every bank scenario against a fresh embedded
// sandbox, concurrently and in random order, and insists each passed.
//
// Afterwards, the privacy check (issue 14): the bank's log (debug level) and its whole
// audit database hold no seeded card, resident ID or mobile number, and none of the
// credentials issued or presented during the run (App_Secrets, codes, PKCE verifiers,
// access and refresh tokens, the admin token).
func TestBankSuitePassesAgainstTheSandbox(t *testing.T) {
	var out bytes.Buffer
	logs := &lockedBuffer{}
	dataDir := t.TempDir()
	var cfg bank.Config
	o, err := conform.Run(context.Background(), conform.Options{Concurrency: 2, Randomize: -1, Format: "progress",
		Output: &out, NoColors: true, OutDir: t.TempDir(), ReportKey: t.TempDir() + "/key.pem", BankLog: logs,
		BankConfig: func(c *bank.Config) { c.DataDir = dataDir; cfg = *c }})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	defer func() {
		for _, h := range privacyHits(t, cfg, logs.String(), o.Credentials) {
			t.Error(h)
		}
	}()
	for _, s := range o.Result.Run.Scenarios {
		if s.Status != "passed" {
			t.Errorf("%s (%s): %s: %s", s.Name, s.URI, s.Status, s.Error)
		}
	}
	if !o.Result.Passed() {
		t.Fatalf("suite failed:\n%s", out.String())
	}
	// The whole bank suite judges every bank-side automated requirement: a complete run.
	if o.Report.Outcome != "passed" || !o.Report.Scope.Complete || len(o.Report.Scope.NotRun) > 0 {
		t.Errorf("outcome %q, scope %+v: want a complete, passed run", o.Report.Outcome, o.Report.Scope)
	}
	// Issue 13: every control of features/bank/controls.yaml judged on every surface of
	// the bank's published catalogue it guards — no pair unchecked, none failed.
	matrices := 0
	for _, m := range o.Result.Run.Matrices {
		if m.ID != "bank-controls" {
			continue
		}
		matrices++
		rows, ok := m.Counts()
		for _, r := range m.Rows {
			if r.Status != "passed" {
				t.Errorf("controls × surfaces: %v is %s", r.Cells[:3], r.Status)
			}
		}
		t.Logf("controls × surfaces: %d pairs, %d passed", rows, ok)
		if rows == 0 {
			t.Error("the controls × surfaces matrix is empty")
		}
	}
	if matrices != 1 {
		t.Errorf("the bank run carries %d controls × surfaces matrices, want 1", matrices)
	}
	t.Logf("%d scenarios passed in %s; %s", len(o.Result.Run.Scenarios), o.Elapsed.Round(1e6), o.Report.Counts.Summary())
}

// privacyCheck greps the bank's log and every file of its audit database (the WAL
// included) for seeded personal data and for every credential of the run.
func privacyHits(t *testing.T, cfg bank.Config, logText string, credentials []string) (hits []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(cfg.DataDir, "audit*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no audit database in %s: %v", cfg.DataDir, err)
	}
	var audit strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		audit.Write(b)
	}
	ds := fakedata.Generate(cfg.Seed, fakedata.Size{Customers: cfg.Customers, Products: cfg.Products})
	var personal []string
	for _, c := range ds.Customers {
		personal = append(personal, c.ResidentID, c.Mobile)
		for _, a := range c.Accounts {
			personal = append(personal, a.Number)
		}
	}
	if len(credentials) < 10 {
		t.Errorf("the run saw only %d credentials: the privacy check would prove little", len(credentials))
	}
	for _, where := range []struct{ name, text string }{{"the bank's log", logText}, {"the audit database", audit.String()}} {
		for _, s := range personal {
			if strings.Contains(where.text, s) {
				hits = append(hits, fmt.Sprintf("%s holds a seeded personal number %s…", where.name, s[:4]))
			}
		}
		for _, c := range credentials {
			if strings.Contains(where.text, c) {
				hits = append(hits, fmt.Sprintf("%s holds a credential of the run in clear (%s…)", where.name, c[:6]))
			}
		}
	}
	t.Logf("privacy check: %d seeded personal numbers and %d credentials of the run searched in %d bytes of log and %d bytes of audit database (%d files): %d hits",
		len(personal), len(credentials), len(logText), audit.Len(), len(files), len(hits))
	return hits
}

// TestPrivacyCheckCanFail: against the audit-keeps-credentials mutant the same check
// finds the run's credentials in the audit database — it is not vacuous.
func TestPrivacyCheckCanFail(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	var cfg bank.Config
	o, _ := conform.Run(context.Background(), conform.Options{Mutant: "audit-keeps-credentials", Paths: []string{"bank/hardening.feature"},
		Output: io.Discard, BankConfig: func(c *bank.Config) { c.DataDir = dataDir; cfg = *c }})
	hits := privacyHits(t, cfg, "", o.Credentials)
	if len(hits) == 0 {
		t.Fatal("the privacy check found nothing against a bank that keeps token bodies in its audit log")
	}
	t.Logf("against audit-keeps-credentials: %d hits, e.g. %s", len(hits), hits[0])
}

// lockedBuffer collects the bank's log from concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
