package audit

import (
	"context"
	"strings"
	"testing"
)

// JR/T 0185-2020 12.3/3: a drill on a copy names the tampered record and leaves the
// live log intact.
func TestDrillNamesTheTamperedRecord(t *testing.T) {
	priv, lookup := testKey(t)
	path := tempLog(t)
	l, err := Open(path, NewSM2Signer(priv, testSerial), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := 1; i <= 20; i++ {
		if err := l.Append(sampleRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{TamperAlter, TamperDelete, TamperOverwrite} {
		t.Run("fails naming record 7/"+kind, func(t *testing.T) {
			rep, err := l.Drill(context.Background(), 7, kind, lookup)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || len(rep.Problems) == 0 {
				t.Fatalf("tampering went unnoticed: %s", rep)
			}
			if p := rep.Problems[0]; p.Seq != 7 && !strings.Contains(p.Message, "records 7 and 8") {
				t.Errorf("first problem is about record %d, want 7: %s", p.Seq, rep)
			}
		})
	}
	t.Run("fails naming the newest record, not yet checkpointed, when it is deleted", func(t *testing.T) {
		if err := l.Append(sampleRecord(21)); err != nil {
			t.Fatal(err)
		}
		rep, err := l.Drill(context.Background(), 21, TamperDelete, lookup)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK || len(rep.Problems) == 0 {
			t.Fatalf("deleting the newest record went unnoticed: %s", rep)
		}
	})
	t.Run("unknown record is an error", func(t *testing.T) {
		if _, err := l.Drill(context.Background(), 999, TamperAlter, lookup); err == nil {
			t.Fatal("no error for a record that does not exist")
		}
	})
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, path, lookup); !rep.OK {
		t.Fatalf("the live log was changed by the drills: %s", rep)
	}
}
