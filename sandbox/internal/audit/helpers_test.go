package audit

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
)

const testSerial = "audit-test-key-1"

// testKey generates a fresh SM2 key (never a committed one) and its lookup.
func testKey(t testing.TB) (*sm2.PrivateKey, VerifierLookup) {
	t.Helper()
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv, lookupFor(map[string]*ecdsa.PublicKey{testSerial: &priv.PublicKey})
}

func lookupFor(keys map[string]*ecdsa.PublicKey) VerifierLookup {
	return func(serial string) (*ecdsa.PublicKey, error) {
		if k, ok := keys[serial]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("no key %q", serial)
	}
}

var testEpoch = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

// sampleRecord is record i of a test log.
func sampleRecord(i int) Record {
	status, result, code := 200, ResultSuccess, ""
	if i%7 == 3 {
		status, result, code = 401, ResultFailure, "SIGNATURE_INVALID"
	}
	return Record{
		Time:           testEpoch.Add(time.Duration(i) * time.Millisecond),
		RequestID:      fmt.Sprintf("req-%06d", i),
		AppID:          fmt.Sprintf("app-%d", i%3),
		APIID:          "accounts.balance",
		UAPIID:         "OPABCDEF0100000100000100",
		Method:         "GET",
		Path:           fmt.Sprintf("/v1/accounts/%d/balance", i),
		Status:         status,
		Result:         result,
		Code:           code,
		DurationMicros: int64(1000 + i),
		Excerpt:        `{"account":"6222 **** **** 1234"}`,
	}
}

// testOptions makes checkpoints deterministic: only where the test asks.
func testOptions() Options {
	return Options{CheckpointEvery: 1 << 30, CheckpointInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)}
}

// writeLog appends records from..to-1, signing a checkpoint after every
// `every` records (0: only the final one on Close).
func writeLog(t testing.TB, path string, priv *sm2.PrivateKey, from, to, every int) {
	t.Helper()
	l, err := Open(path, NewSM2Signer(priv, testSerial), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < to; i++ {
		if err := l.Append(sampleRecord(i)); err != nil {
			t.Fatal(err)
		}
		if every > 0 && (i+1)%every == 0 {
			if err := l.Checkpoint(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// rawDB opens the log file the way an attacker would: plain SQL.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func tempLog(t testing.TB) string {
	return filepath.Join(t.TempDir(), "audit.db")
}

func verify(t testing.TB, path string, lookup VerifierLookup) Report {
	t.Helper()
	rep, err := Verify(context.Background(), path, lookup)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}
