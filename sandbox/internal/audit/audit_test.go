package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
)

func TestReopenContinuesChain(t *testing.T) {
	t.Parallel()
	priv, lookup := testKey(t)
	path := tempLog(t)
	writeLog(t, path, priv, 0, 30, 0)
	writeLog(t, path, priv, 30, 45, 0)

	l, err := Open(path, NewSM2Signer(priv, testSerial), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if h := l.Head(); h.Seq != 45 || h.Checkpoint.Seq != 45 || len(h.Hash) != 64 {
		t.Errorf("Head() = %+v", h)
	}
	recs, err := l.Query(context.Background(), Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 45 {
		t.Fatalf("Query returned %d records", len(recs))
	}
	for i, r := range recs {
		want := sampleRecord(44 - i)
		want.Seq = int64(45 - i)
		if r != want {
			t.Fatalf("record %d = %+v, want %+v", r.Seq, r, want)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	rep := verify(t, path, lookup)
	if !rep.OK || rep.Records != 45 || rep.Checkpoints != 2 || rep.Uncovered != 0 {
		t.Fatalf("after reopen:\n%s", rep)
	}
}

func TestConcurrentAppend(t *testing.T) {
	t.Parallel()
	priv, lookup := testKey(t)
	path := tempLog(t)
	l, err := Open(path, NewSM2Signer(priv, testSerial), Options{CheckpointEvery: 300, QueueSize: 64, BatchSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				r := sampleRecord(i)
				r.AppID = fmt.Sprintf("app-g%d", g)
				if err := l.Append(r); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	st := l.Stats()
	if st.Appended != goroutines*each || st.Written != goroutines*each || st.Dropped != 0 || st.Head.Seq != goroutines*each {
		t.Errorf("Stats() = %+v", st)
	}
	rep := verify(t, path, lookup)
	if !rep.OK || rep.Records != goroutines*each || rep.LastCheckpoint != goroutines*each {
		t.Fatalf("%s", rep)
	}
	if rep.Checkpoints < goroutines*each/300 {
		t.Errorf("%d checkpoints, want one every 300 records at least", rep.Checkpoints)
	}
}

func TestQuery(t *testing.T) {
	t.Parallel()
	priv, _ := testKey(t)
	path := tempLog(t)
	l, err := Open(path, NewSM2Signer(priv, testSerial), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	for i := range 30 {
		if err := l.Append(sampleRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	seqs := func(rs []Record) string {
		var b strings.Builder
		for _, r := range rs {
			fmt.Fprintf(&b, "%d ", r.Seq)
		}
		return strings.TrimSpace(b.String())
	}
	tests := []struct {
		name   string
		filter Filter
		want   string
	}{
		{"by app newest first", Filter{AppID: "app-1", Limit: 4}, "29 26 23 20"},
		{"by request id", Filter{RequestID: "req-000007"}, "8"},
		{"by time window", Filter{Since: testEpoch.Add(10 * time.Millisecond), Until: testEpoch.Add(13 * time.Millisecond)}, "13 12 11"},
		{"next page", Filter{AppID: "app-1", BeforeSeq: 20, Limit: 3}, "17 14 11"},
		{"app and time", Filter{AppID: "app-0", Since: testEpoch.Add(24 * time.Millisecond)}, "28 25"},
		{"nothing", Filter{AppID: "nobody"}, ""},
		{"default limit", Filter{}, "30 29 28 27 26 25 24 23 22 21 20 19 18 17 16 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rs, err := l.Query(context.Background(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := seqs(rs); got != tt.want {
				t.Errorf("seqs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestQueryFilterSQL(t *testing.T) {
	t.Parallel()
	q, args := buildQuery(Filter{AppID: "a", Until: time.Unix(0, 5), Limit: 5000})
	if !strings.Contains(q, "WHERE app_id = $1 AND ts < $2 ORDER BY seq DESC LIMIT $3") || len(args) != 3 || args[2] != maxQueryLimit {
		t.Errorf("buildQuery = %q %v", q, args)
	}
}

func TestAppendNormalizes(t *testing.T) {
	t.Parallel()
	priv, lookup := testKey(t)
	path := tempLog(t)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	opts := testOptions()
	opts.Clock = func() time.Time { return now }
	opts.MaxExcerptBytes = 10
	l, err := Open(path, NewSM2Signer(priv, testSerial), opts)
	if err != nil {
		t.Fatal(err)
	}
	inputs := []Record{
		{Seq: 99, RequestID: "bad\xffutf8", AppID: "nul\x00byte", Status: 204, Excerpt: "账户6222****1234"},
		{Status: 503},
		{Status: 200, Result: ResultFailure},
	}
	for _, r := range inputs {
		if err := l.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := l.Query(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"seq assigned by the log", got[2].Seq == 1},
		{"zero time from clock, in UTC", got[2].Time.Equal(now) && got[2].Time.Location() == time.UTC},
		{"invalid UTF-8 replaced", got[2].RequestID == "bad\uFFFDutf8"},
		{"NUL replaced", got[2].AppID == "nul\uFFFDbyte"},
		{"excerpt cut on a rune boundary", got[2].Excerpt == "账户6…"},
		{"2xx result derived", got[2].Result == ResultSuccess},
		{"5xx result derived", got[1].Result == ResultFailure},
		{"explicit result kept", got[0].Result == ResultFailure},
	}
	for _, tt := range tests {
		if !tt.ok {
			t.Errorf("%s: %+v", tt.name, got)
		}
	}
	if rep := verify(t, path, lookup); !rep.OK {
		t.Fatalf("%s", rep)
	}
}

func TestCloseSemantics(t *testing.T) {
	t.Parallel()
	priv, _ := testKey(t)
	l, err := Open(tempLog(t), NewSM2Signer(priv, testSerial), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"ErrClosed/append", l.Append(sampleRecord(1)), ErrClosed},
		{"ErrClosed/flush", l.Flush(), ErrClosed},
		{"ErrClosed/checkpoint", l.Checkpoint(), ErrClosed},
		{"ErrClosed/query", func() error { _, err := l.Query(context.Background(), Filter{}); return err }(), ErrClosed},
		{"nil/second close", l.Close(), nil},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: err = %v", tt.name, tt.err)
		}
	}
}

func TestCheckpointTriggers(t *testing.T) {
	t.Parallel()
	priv, lookup := testKey(t)
	t.Run("count/after the batch that reaches CheckpointEvery", func(t *testing.T) {
		t.Parallel()
		path := tempLog(t)
		l, err := Open(path, NewSM2Signer(priv, testSerial), Options{CheckpointEvery: 10, CheckpointInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		for i := range 25 {
			if err := l.Append(sampleRecord(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
		if cp := l.Head().Checkpoint; cp.Seq < 10 {
			t.Fatalf("no checkpoint after 25 records: %+v", cp)
		}
	})
	t.Run("interval/when something is new", func(t *testing.T) {
		t.Parallel()
		path := tempLog(t)
		l, err := Open(path, NewSM2Signer(priv, testSerial), Options{CheckpointInterval: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		for i := range 3 {
			if err := l.Append(sampleRecord(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for l.Head().Checkpoint.Seq != 3 {
			if time.Now().After(deadline) {
				t.Fatalf("no interval checkpoint: %+v", l.Head())
			}
			time.Sleep(5 * time.Millisecond)
		}
		if rep := verify(t, path, lookup); !rep.OK || rep.Uncovered != 0 {
			t.Fatalf("%s", rep)
		}
	})
}

type failingSigner struct{ Signer }

func (failingSigner) Sign([]byte) ([]byte, error) { return nil, errors.New("hsm unavailable") }

func TestSignerFailureKeepsRecords(t *testing.T) {
	t.Parallel()
	priv, lookup := testKey(t)
	path := tempLog(t)
	l, err := Open(path, failingSigner{NewSM2Signer(priv, testSerial)}, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(sampleRecord(1)); err != nil {
		t.Fatal(err)
	}
	if err := l.Checkpoint(); err == nil || !strings.Contains(err.Error(), "hsm unavailable") {
		t.Errorf("Checkpoint() = %v", err)
	}
	if st := l.Stats(); st.Written != 1 || st.CheckpointErr == nil || st.Err != nil {
		t.Errorf("Stats() = %+v", st)
	}
	if err := l.Close(); err == nil {
		t.Error("Close hid the failed final checkpoint")
	}
	rep := verify(t, path, lookup)
	if !rep.OK || rep.Records != 1 || rep.Uncovered != 1 {
		t.Fatalf("%s", rep)
	}
}

func TestWriteFailureIsNotSilent(t *testing.T) {
	t.Parallel()
	priv, _ := testKey(t)
	l, err := Open(tempLog(t), NewSM2Signer(priv, testSerial), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	l.db.Close() // the disk goes away
	if err := l.Append(sampleRecord(1)); err != nil {
		t.Fatal(err)
	}
	if err := l.Flush(); err == nil {
		t.Fatal("Flush hid a failed write")
	}
	if err := l.Append(sampleRecord(2)); err == nil {
		t.Fatal("Append accepted a record after the writer failed")
	}
	if st := l.Stats(); st.Dropped != 1 || st.Err == nil {
		t.Errorf("Stats() = %+v", st)
	}
	if err := l.Close(); err == nil {
		t.Error("Close hid the failure")
	}
}

func TestSecondWriterIsDetected(t *testing.T) {
	t.Parallel()
	priv, _ := testKey(t)
	path := tempLog(t)
	l, err := Open(path, NewSM2Signer(priv, testSerial), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Append(sampleRecord(1)); err != nil {
		t.Fatal(err)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	mustExec(t, db, `INSERT INTO records (`+recordColumns+`) SELECT seq + 1, `+contentColumns+`, hash, hash FROM records WHERE seq = 1`)
	if err := l.Append(sampleRecord(2)); err != nil {
		t.Fatal(err)
	}
	if err := l.Flush(); !errors.Is(err, ErrConcurrentWriter) {
		t.Fatalf("Flush() = %v, want ErrConcurrentWriter", err)
	}
}

func TestOpenRefusesTamperedTail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tamper string
		want   string
	}{
		{"ErrTampered/tail deleted past the last checkpoint", `DELETE FROM records WHERE seq > 25`, "ends at record 25 but checkpoint 30"},
		{"ErrTampered/unsigned record altered", `UPDATE records SET app_id = 'x' WHERE seq = 35`, "record 35 was altered"},
		{"ErrTampered/unsigned record deleted", `DELETE FROM records WHERE seq = 33`, "record 33 is missing"},
		{"ErrTampered/checkpointed head rewritten", `UPDATE records SET hash = '` + strings.Repeat("0", 64) + `' WHERE seq = 30`, "record 30 was altered"},
		{"ErrTampered/checkpoint unreadable", `UPDATE checkpoints SET head_hash = 'x'`, "last checkpoint 30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			priv, _ := testKey(t)
			path := tempLog(t)
			l, err := Open(path, NewSM2Signer(priv, testSerial), testOptions())
			if err != nil {
				t.Fatal(err)
			}
			for i := range 40 {
				if err := l.Append(sampleRecord(i)); err != nil {
					t.Fatal(err)
				}
				if i == 29 {
					if err := l.Checkpoint(); err != nil {
						t.Fatal(err)
					}
				}
			}
			// Simulate a crash: records after 30 are not covered by a checkpoint.
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			l.mu.Lock()
			l.closed = true
			close(l.queue)
			l.mu.Unlock()
			<-l.done
			mustExec(t, rawDB(t, path), `DELETE FROM checkpoints WHERE seq > 30`)
			l.db.Close()

			mustExec(t, rawDB(t, path), tt.tamper)
			_, err = Open(path, NewSM2Signer(priv, testSerial), testOptions())
			if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open() = %v, want ErrTampered ~%q", err, tt.want)
			}
		})
	}
}

func TestNewSM2SignerInteroperates(t *testing.T) {
	t.Parallel()
	priv, _ := testKey(t)
	s := NewSM2Signer(priv, "k1")
	msg := []byte("JR0185-AUDIT-CHECKPOINT\n1\nab\n2024-01-01T00:00:00Z")
	sig, err := s.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if s.Serial() != "k1" || !sm2.VerifyASN1WithSM2(&priv.PublicKey, []byte("1234567812345678"), msg, sig) {
		t.Fatal("signature does not verify under the default distinguishing ID")
	}
}

func BenchmarkAppend(b *testing.B) {
	priv, _ := testKey(b)
	for _, bc := range []struct {
		name     string
		parallel bool
	}{{"serial", false}, {"parallel", true}} {
		b.Run(bc.name, func(b *testing.B) {
			l, err := Open(tempLog(b), NewSM2Signer(priv, testSerial), Options{})
			if err != nil {
				b.Fatal(err)
			}
			r := sampleRecord(1)
			b.ReportAllocs()
			b.ResetTimer()
			if bc.parallel {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := l.Append(r); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for b.Loop() {
					if err := l.Append(r); err != nil {
						b.Fatal(err)
					}
				}
			}
			// Throughput includes committing: the queue is bounded.
			if err := l.Flush(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := l.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
