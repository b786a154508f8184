package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/sdk"
)

// runCLI runs one sandbox subcommand in-process and returns its output and error.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	c := newRoot()
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs(args)
	err := c.Execute()
	return out.String(), err
}

// startCLIBank starts a bank on a free local port over a fresh data folder, with the
// default configuration changed by mutate (when set), and returns it with its data
// folder. The caller closes it.
func startCLIBank(t *testing.T, mutate func(*bank.Config)) (*bank.Bank, string) {
	t.Helper()
	cfg := bank.DefaultConfig()
	cfg.DataDir, cfg.Addr = t.TempDir(), "127.0.0.1:0"
	if mutate != nil {
		mutate(&cfg)
	}
	b, err := bank.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return b, cfg.DataDir
}

// auditedDataDir starts a bank, makes calls that produce audit records, stops it (which
// writes the final signed checkpoint) and returns its data folder.
func auditedDataDir(t *testing.T) string {
	t.Helper()
	b, dataDir := startCLIBank(t, func(cfg *bank.Config) {
		cfg.Customers, cfg.Products = 5, 12
		cfg.AuditCheckpoint = 4
	})
	scfg, _, err := sdk.LoadDir(b.DemoDir)
	if err != nil {
		t.Fatal(err)
	}
	client, err := sdk.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12; i++ {
		path := "/a1/v1/products?page_size=2"
		if i%3 == 2 {
			path = "/a1/v1/products/NOPE999" // a refusal is audited too
		}
		if _, err := client.Do(context.Background(), "GET", path, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return dataDir
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func tamper(t *testing.T, dataDir string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestVerifyAuditCommand(t *testing.T) {
	t.Parallel()
	base := auditedDataDir(t)

	out, err := runCLI(t, "verify-audit", "--data-dir", base)
	if err != nil || !strings.Contains(out, "audit log intact") {
		t.Fatalf("untouched log: err=%v\n%s", err, out)
	}

	// Swap the full contents of records 5 and 6 (every column but seq).
	swap := []string{
		`CREATE TABLE tmp AS SELECT * FROM records WHERE seq IN (5, 6)`,
		`UPDATE records SET seq = -5 WHERE seq = 5`,
		`UPDATE records SET seq = 5 WHERE seq = 6`,
		`UPDATE records SET seq = 6 WHERE seq = -5`,
	}
	tests := []struct {
		name  string
		stmts []string
		want  []string
	}{
		{"names the record/edited", []string{`UPDATE records SET status = 200, result = 'success' WHERE seq = 3`}, []string{"record 3", "altered"}},
		{"names the record/deleted", []string{`DELETE FROM records WHERE seq = 7`}, []string{"record 7", "missing"}},
		{"names the records/swapped", swap, []string{"records 5 and 6", "swapped"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := copyDir(t, base)
			tamper(t, dir, tc.stmts...)
			out, err := runCLI(t, "verify-audit", "--data-dir", dir)
			if err == nil {
				t.Fatalf("verify-audit passed a tampered log:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
