package audit

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"math"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

type wantProblem struct {
	kind string
	seq  int64
	text string // substring of the message
}

// contentColumns are the hashed columns other than seq.
const contentColumns = `ts, request_id, app_id, api_id, u_api_id, method, path, status, result, code, duration_us, excerpt`

// recomputeFrom plays an attacker who rewrites prev_hash and hash of every
// record from `from` on so that the chain is self-consistent again.
func recomputeFrom(t *testing.T, db *sql.DB, from int64) {
	t.Helper()
	prev := genesisHash
	if from > 1 {
		var h string
		if err := db.QueryRow(`SELECT hash FROM records WHERE seq = $1`, from-1).Scan(&h); err != nil {
			t.Fatal(err)
		}
		prev, _ = decodeHash(h)
	}
	rows, err := db.Query(sqlRecordsFrom, from)
	if err != nil {
		t.Fatal(err)
	}
	var recs []storedRecord
	for rows.Next() {
		var st storedRecord
		if err := scanRecord(rows, &st); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, st)
	}
	rows.Close()
	for _, st := range recs {
		h := HashRecord(st.rec.Seq, st.rec, prev)
		mustExec(t, db, `UPDATE records SET prev_hash = $1, hash = $2 WHERE seq = $3`, encodeHash(prev), encodeHash(h), st.rec.Seq)
		prev = h
	}
}

// swapContent exchanges the hashed content of two records, leaving seq,
// prev_hash and hash in place.
func swapContent(t *testing.T, db *sql.DB, a, b int64) {
	t.Helper()
	read := func(seq int64) []any {
		vals := make([]any, 12)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := db.QueryRow(`SELECT `+contentColumns+` FROM records WHERE seq = $1`, seq).Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		return vals
	}
	write := func(seq int64, vals []any) {
		cols := strings.Split(strings.ReplaceAll(contentColumns, " ", ""), ",")
		for i, c := range cols {
			mustExec(t, db, `UPDATE records SET `+c+` = $1 WHERE seq = $2`, vals[i], seq)
		}
	}
	va, vb := read(a), read(b)
	write(a, vb)
	write(b, va)
}

// resignCheckpoint replaces checkpoint seq's signature with one by priv.
func resignCheckpoint(t *testing.T, db *sql.DB, seq int64, priv *sm2.PrivateKey) {
	t.Helper()
	var head, created string
	if err := db.QueryRow(`SELECT head_hash, created_at FROM checkpoints WHERE seq = $1`, seq).Scan(&head, &created); err != nil {
		t.Fatal(err)
	}
	sig, err := NewSM2Signer(priv, testSerial).Sign(checkpointMessage(seq, head, created))
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `UPDATE checkpoints SET signature = $1 WHERE seq = $2`, base64.StdEncoding.EncodeToString(sig), seq)
}

// TestVerify builds a 60-record log signed every 10 records, tampers with
// it, and checks that Verify names what was done.
func TestVerify(t *testing.T) {
	t.Parallel()
	otherKey, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		tamper func(t *testing.T, db *sql.DB)
		want   []wantProblem
	}{
		{
			name:   "ok/untouched log",
			tamper: func(*testing.T, *sql.DB) {},
		},
		{
			name: "altered/field edited names the record",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE records SET app_id = 'app-evil' WHERE seq = 42`)
			},
			want: []wantProblem{{KindAltered, 42, "record 42 was altered"}},
		},
		{
			name: "altered/timestamp edited",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE records SET ts = ts + 1 WHERE seq = 7`)
			},
			want: []wantProblem{{KindAltered, 7, "record 7 was altered"}},
		},
		{
			name: "altered/column type changed",
			tamper: func(t *testing.T, db *sql.DB) {
				// INTEGER affinity would turn '200' back into 200.
				mustExec(t, db, `UPDATE records SET status = 'two hundred' WHERE seq = 12`)
			},
			want: []wantProblem{{KindAltered, 12, "column status holds TEXT"}},
		},
		{
			name: "altered/stored hash edited",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE records SET hash = $1 WHERE seq = 30`, strings.Repeat("ab", 32))
			},
			want: []wantProblem{
				{KindAltered, 30, "record 30 was altered"},
				{KindCheckpointMismatch, 30, "records 21–30 were rewritten"},
			},
		},
		{
			name: "missing/deleted record names it",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `DELETE FROM records WHERE seq = 43`)
			},
			want: []wantProblem{{KindMissing, 43, "record 43 is missing (deleted)"}},
		},
		{
			name: "missing/deleted range",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `DELETE FROM records WHERE seq BETWEEN 43 AND 47`)
			},
			want: []wantProblem{{KindMissing, 43, "records 43–47 are missing (deleted)"}},
		},
		{
			name: "missing/first record deleted",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `DELETE FROM records WHERE seq = 1`)
			},
			want: []wantProblem{{KindMissing, 1, "record 1 is missing (deleted)"}},
		},
		{
			name: "missing/deleted and successors renumbered",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `DELETE FROM records WHERE seq = 43`)
				mustExec(t, db, `UPDATE records SET seq = seq - 1 WHERE seq > 43`)
			},
			want: []wantProblem{
				{KindMissing, 43, "record 43 is missing (deleted)"},
				{KindRenumbered, 44, "records 44–60 were renumbered: they are stored as 43–59"},
			},
		},
		{
			name: "broken-link/deleted, renumbered and each hash recomputed in place",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `DELETE FROM records WHERE seq = 43`)
				mustExec(t, db, `UPDATE records SET seq = seq - 1 WHERE seq > 43`)
				// Recompute each moved record's own hash but keep its prev_hash.
				rows, err := db.Query(sqlRecordsFrom, 43)
				if err != nil {
					t.Fatal(err)
				}
				var recs []storedRecord
				for rows.Next() {
					var st storedRecord
					if err := scanRecord(rows, &st); err != nil {
						t.Fatal(err)
					}
					recs = append(recs, st)
				}
				rows.Close()
				for _, st := range recs {
					h := HashRecord(st.rec.Seq, st.rec, st.prev)
					mustExec(t, db, `UPDATE records SET hash = $1 WHERE seq = $2`, encodeHash(h), st.rec.Seq)
				}
			},
			want: []wantProblem{
				{KindBrokenLink, 43, "records 42–59 do not chain: from record 43 to 59 each prev_hash differs from its predecessor's hash"},
				{KindCheckpointMismatch, 50, "records 41–50 were rewritten"},
				{KindTruncated, 60, "record 60 is missing (truncated): the log ends at record 59 but the signed checkpoint at 60 covers it"},
			},
		},
		{
			name: "swapped/two rows exchanged names both",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE records SET seq = -1 WHERE seq = 10`)
				mustExec(t, db, `UPDATE records SET seq = 10 WHERE seq = 11`)
				mustExec(t, db, `UPDATE records SET seq = 11 WHERE seq = -1`)
			},
			want: []wantProblem{{KindSwapped, 10, "records 10 and 11 are out of order"}},
		},
		{
			name: "swapped/contents exchanged names both",
			tamper: func(t *testing.T, db *sql.DB) {
				swapContent(t, db, 24, 25)
			},
			want: []wantProblem{{KindSwapped, 24, "records 24 and 25 are out of order"}},
		},
		{
			name: "swapped/rows three apart exchanged",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE records SET seq = -1 WHERE seq = 33`)
				mustExec(t, db, `UPDATE records SET seq = 33 WHERE seq = 36`)
				mustExec(t, db, `UPDATE records SET seq = 36 WHERE seq = -1`)
			},
			want: []wantProblem{{KindSwapped, 33, "records 33 and 36 are out of order"}},
		},
		{
			name: "moved/last record renumbered",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE records SET seq = 65 WHERE seq = 60`)
			},
			want: []wantProblem{{KindMoved, 60, "record 60 is out of order: it is stored at seq 65"}},
		},
		{
			name: "duplicate/forged record inserted and successors shifted",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE records SET seq = seq + 1000 WHERE seq >= 43`)
				mustExec(t, db, `UPDATE records SET seq = seq - 999 WHERE seq >= 1000`)
				var prevHex string
				if err := db.QueryRow(`SELECT hash FROM records WHERE seq = 42`).Scan(&prevHex); err != nil {
					t.Fatal(err)
				}
				prev, _ := decodeHash(prevHex)
				forged := sampleRecord(999)
				forged.Time = forged.Time.UTC()
				h := HashRecord(43, forged, prev)
				mustExec(t, db, `INSERT INTO records (`+recordColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
					43, forged.Time.UnixNano(), forged.RequestID, forged.AppID, forged.APIID, forged.UAPIID, forged.Method,
					forged.Path, forged.Status, forged.Result, forged.Code, forged.DurationMicros, forged.Excerpt, prevHex, encodeHash(h))
			},
			want: []wantProblem{
				{KindDuplicate, 43, "record 43 appears twice (stored at seq 43 and 44)"},
				{KindRenumbered, 43, "records 43–60 were renumbered: they are stored as 44–61"},
			},
		},
		{
			name: "truncated/tail deleted after the last checkpoint was signed",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `DELETE FROM records WHERE seq > 55`)
			},
			want: []wantProblem{{KindTruncated, 56, "records 56–60 are missing (truncated): the log ends at record 55 but the signed checkpoint at 60 covers them"}},
		},
		{
			name: "truncated/every record deleted",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `DELETE FROM records`)
			},
			want: []wantProblem{{KindTruncated, 1, "records 1–60 are missing (deleted)"}},
		},
		{
			name: "bad-signature/checkpoint re-signed with another key",
			tamper: func(t *testing.T, db *sql.DB) {
				resignCheckpoint(t, db, 30, otherKey)
			},
			want: []wantProblem{{KindBadSignature, 30, "checkpoint at 30 has an invalid signature"}},
		},
		{
			name: "bad-signature/checkpoint head hash edited",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE checkpoints SET head_hash = $1 WHERE seq = 20`, strings.Repeat("00", 32))
			},
			want: []wantProblem{{KindBadSignature, 20, "checkpoint at 20 has an invalid signature"}},
		},
		{
			name: "bad-signature/checkpoint signature not base64",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE checkpoints SET signature = '***' WHERE seq = 20`)
			},
			want: []wantProblem{{KindBadSignature, 20, "checkpoint at 20 is unreadable: signature is not base64"}},
		},
		{
			name: "unknown-key/checkpoint serial changed",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE checkpoints SET key_serial = 'nobody' WHERE seq = 40`)
			},
			want: []wantProblem{{KindUnknownKey, 40, `checkpoint at 40 is signed with unknown key serial "nobody"`}},
		},
		{
			name: "checkpoint-mismatch/edit and every later hash recomputed",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE records SET app_id = 'app-evil' WHERE seq = 42`)
				recomputeFrom(t, db, 42)
			},
			want: []wantProblem{{KindCheckpointMismatch, 50, "records 41–50 were rewritten after they were signed: the checkpoint at 50 signed head hash"}},
		},
		{
			name: "checkpoint-mismatch/recomputed chain and forged checkpoints",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE records SET app_id = 'app-evil' WHERE seq = 42`)
				recomputeFrom(t, db, 42)
				for _, seq := range []int64{50, 60} {
					var h string
					if err := db.QueryRow(`SELECT hash FROM records WHERE seq = $1`, seq).Scan(&h); err != nil {
						t.Fatal(err)
					}
					mustExec(t, db, `UPDATE checkpoints SET head_hash = $1 WHERE seq = $2`, h, seq)
					resignCheckpoint(t, db, seq, otherKey)
				}
			},
			want: []wantProblem{
				{KindBadSignature, 50, "checkpoint at 50 has an invalid signature"},
				{KindBadSignature, 60, "checkpoint at 60 has an invalid signature"},
			},
		},
		{
			name: "broken-link/edit and only that record's hash recomputed",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE records SET app_id = 'app-evil' WHERE seq = 42`)
				var st storedRecord
				rows, err := db.Query(sqlRecordsFrom, 42)
				if err != nil {
					t.Fatal(err)
				}
				rows.Next()
				if err := scanRecord(rows, &st); err != nil {
					t.Fatal(err)
				}
				rows.Close()
				mustExec(t, db, `UPDATE records SET hash = $1 WHERE seq = 42`, encodeHash(HashRecord(42, st.rec, st.prev)))
			},
			want: []wantProblem{{KindBrokenLink, 43, "records 42 and 43 do not chain"}},
		},
		{
			name: "schema/records table dropped",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `DROP TABLE records`)
			},
			want: []wantProblem{{KindSchema, 0, "the records table is missing"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			priv, lookup := testKey(t)
			path := tempLog(t)
			writeLog(t, path, priv, 0, 60, 10)
			tt.tamper(t, rawDB(t, path))
			rep := verify(t, path, lookup)
			if rep.OK != (len(tt.want) == 0) {
				t.Errorf("OK = %v, want %v\n%s", rep.OK, len(tt.want) == 0, rep)
			}
			if len(rep.Problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d\n%s", len(rep.Problems), len(tt.want), rep)
			}
			for i, w := range tt.want {
				p := rep.Problems[i]
				if p.Kind != w.kind || p.Seq != w.seq || !strings.Contains(p.Message, w.text) {
					t.Errorf("problem %d = {%d %s %q}, want {%d %s ~%q}\n%s", i, p.Seq, p.Kind, p.Message, w.seq, w.kind, w.text, rep)
				}
			}
		})
	}
}

func TestVerifyReportCounts(t *testing.T) {
	t.Parallel()
	priv, lookup := testKey(t)
	path := tempLog(t)
	writeLog(t, path, priv, 0, 60, 10)
	rep := verify(t, path, lookup)
	if !rep.OK || rep.Records != 60 || rep.Checkpoints != 6 || rep.LastCheckpoint != 60 || rep.Uncovered != 0 {
		t.Fatalf("report = %+v", rep)
	}
	if s := rep.String(); !strings.Contains(s, "audit log intact: 60 records, 6 checkpoints; signed up to record 60") {
		t.Errorf("String() = %q", s)
	}
}

func TestVerifyNamesEveryProblem(t *testing.T) {
	t.Parallel()
	priv, lookup := testKey(t)
	path := tempLog(t)
	writeLog(t, path, priv, 0, 60, 10)
	db := rawDB(t, path)
	mustExec(t, db, `UPDATE records SET path = '/v1/evil' WHERE seq = 5`)
	mustExec(t, db, `DELETE FROM records WHERE seq = 17`)
	swapContent(t, db, 33, 34)
	mustExec(t, db, `DELETE FROM records WHERE seq > 58`)
	rep := verify(t, path, lookup)
	want := []string{
		"record 5 was altered",
		"record 17 is missing (deleted)",
		"records 33 and 34 are out of order",
		"records 59–60 are missing (truncated)",
	}
	if len(rep.Problems) != len(want) {
		t.Fatalf("got %d problems, want %d\n%s", len(rep.Problems), len(want), rep)
	}
	for i, w := range want {
		if !strings.Contains(rep.Problems[i].Message, w) {
			t.Errorf("problem %d = %q, want ~%q", i, rep.Problems[i].Message, w)
		}
	}
	if s := rep.String(); !strings.HasPrefix(s, "audit log FAILED verification: 57 records, 6 checkpoints, 4 problems") {
		t.Errorf("String() = %q", s)
	}
}

func TestVerifyUncoveredTailOfOpenLog(t *testing.T) {
	t.Parallel()
	priv, lookup := testKey(t)
	path := tempLog(t)
	l, err := Open(path, NewSM2Signer(priv, testSerial), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := range 15 {
		if err := l.Append(sampleRecord(i)); err != nil {
			t.Fatal(err)
		}
		if i == 9 {
			if err := l.Checkpoint(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	// Verify while the writer holds the file open.
	rep := verify(t, path, lookup)
	if !rep.OK || rep.Records != 15 || rep.LastCheckpoint != 10 || rep.Uncovered != 5 {
		t.Fatalf("report = %+v\n%s", rep, rep)
	}
}

func TestVerifyErrors(t *testing.T) {
	t.Parallel()
	_, lookup := testKey(t)
	dir := t.TempDir()
	notDB := filepath.Join(dir, "not.db")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("this is not sqlite\n", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		path   string
		lookup VerifierLookup
	}{
		{"error/file does not exist", filepath.Join(dir, "missing.db"), lookup},
		{"error/file is not a database", notDB, lookup},
		{"error/no lookup", notDB, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Verify(context.Background(), tt.path, tt.lookup); err == nil {
				t.Fatal("Verify succeeded")
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !os.IsNotExist(err) {
		t.Errorf("Verify created the file it was asked to check: %v", err)
	}
}

func TestVerifyLookupMisbehaves(t *testing.T) {
	t.Parallel()
	priv, _ := testKey(t)
	path := tempLog(t)
	writeLog(t, path, priv, 0, 20, 10)
	tests := []struct {
		name   string
		lookup VerifierLookup
	}{
		{"unknown-key/lookup panics", func(string) (*ecdsa.PublicKey, error) { panic("boom") }},
		{"unknown-key/lookup returns nil key", func(string) (*ecdsa.PublicKey, error) { return nil, nil }},
		{"bad-signature/lookup returns empty key", func(string) (*ecdsa.PublicKey, error) { return &ecdsa.PublicKey{}, nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := verify(t, path, tt.lookup)
			if rep.OK || len(rep.Problems) != 2 {
				t.Fatalf("want two checkpoint problems\n%s", rep)
			}
			kind := strings.Split(tt.name, "/")[0]
			for _, p := range rep.Problems {
				if p.Kind != kind {
					t.Errorf("problem kind %s, want %s: %s", p.Kind, kind, p.Message)
				}
			}
		})
	}
}

// TestVerifyScribbles writes random bytes, numbers and NULLs into random
// columns of a valid log. Verify must never panic or fail to report, and must
// flag every change it is shown.
func TestVerifyScribbles(t *testing.T) {
	t.Parallel()
	priv, lookup := testKey(t)
	pristine := tempLog(t)
	writeLog(t, pristine, priv, 0, 40, 8)
	data, err := os.ReadFile(pristine)
	if err != nil {
		t.Fatal(err)
	}
	recCols := strings.Split(strings.ReplaceAll(recordColumns, " ", ""), ",")
	cpCols := checkpointColumnNames
	iterations := 150
	if testing.Short() {
		iterations = 30
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	dir := t.TempDir()
	for i := range iterations {
		path := filepath.Join(dir, "scribble.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		changed := false
		var did []string
		for range 1 + rng.IntN(3) {
			table, cols, rowsN := "records", recCols, int64(40)
			if rng.IntN(4) == 0 {
				table, cols, rowsN = "checkpoints", cpCols, 5
			}
			col := cols[rng.IntN(len(cols))]
			seq := 1 + rng.Int64N(rowsN)
			if table == "checkpoints" {
				seq *= 8
			}
			val := randomValue(rng)
			res, err := db.Exec(`UPDATE `+table+` SET `+col+` = $1 WHERE seq = $2`, val, seq)
			if err == nil {
				if n, _ := res.RowsAffected(); n > 0 {
					changed = true
					did = append(did, table+"."+col)
				}
			}
		}
		db.Close()
		rep, err := Verify(context.Background(), path, lookup)
		if err != nil {
			t.Fatalf("iteration %d (%v): Verify: %v", i, did, err)
		}
		if changed && rep.OK {
			t.Fatalf("iteration %d: scribbles on %v went unnoticed", i, did)
		}
		if !changed && !rep.OK {
			t.Fatalf("iteration %d: no change but\n%s", i, rep)
		}
		_ = rep.String()
	}
}

func randomValue(rng *mrand.Rand) any {
	switch rng.IntN(7) {
	case 0:
		return nil
	case 1:
		return rng.Int64()
	case 2:
		return rng.Int64N(100) - 50
	case 3:
		return rng.Float64() * 1e6
	case 4:
		return math.MaxInt64
	case 5:
		b := make([]byte, rng.IntN(80))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	default:
		b := make([]byte, rng.IntN(80))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return string(b)
	}
}

// FuzzParseRecordColumns feeds arbitrary column values to the parser that
// reads untrusted rows.
func FuzzParseRecordColumns(f *testing.F) {
	f.Add(int64(1), uint8(0), int64(0), "req", []byte("x"), strings.Repeat("0", 64))
	f.Add(int64(-5), uint8(0xff), int64(math.MinInt64), "", []byte{}, "zz")
	f.Fuzz(func(t *testing.T, seq int64, kinds uint8, n int64, s string, b []byte, h string) {
		vals := make([]any, numRecordColumns)
		for i := range vals {
			switch (int(kinds) + i*3) % 6 {
			case 0:
				vals[i] = n
			case 1:
				vals[i] = s
			case 2:
				vals[i] = b
			case 3:
				vals[i] = nil
			case 4:
				vals[i] = float64(n)
			default:
				vals[i] = h
			}
		}
		vals[0] = seq
		var st storedRecord
		if err := parseRecordColumns(vals, &st); err != nil {
			t.Fatal(err)
		}
		if st.fieldOK {
			_ = chainHash(st.rec.Seq, st.body, &st.prev)
		}
	})
}

// FuzzParseCheckpointColumns does the same for checkpoint rows, through
// signature verification.
func FuzzParseCheckpointColumns(f *testing.F) {
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(int64(8), strings.Repeat("0", 64), "2024-01-01T00:00:00Z", testSerial, base64.StdEncoding.EncodeToString([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}))
	f.Add(int64(0), "", "", "", "")
	f.Fuzz(func(t *testing.T, seq int64, head, created, serial, sig string) {
		var sc storedCheckpoint
		parseCheckpointColumns([]any{seq, head, created, serial, sig}, &sc)
		if sc.bad == "" {
			_ = verifySignature(&priv.PublicKey, checkpointMessage(sc.seq, sc.headHex, sc.createdAt), sc.sig)
		}
		parseCheckpointColumns([]any{head, []byte(sig), nil, seq, 1.5}, &sc)
		if sc.bad == "" {
			t.Fatal("accepted columns of the wrong types")
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	priv, lookup := testKey(b)
	path := tempLog(b)
	const n = 10000
	writeLog(b, path, priv, 0, n, 256)
	b.ReportAllocs()
	for b.Loop() {
		rep, err := Verify(context.Background(), path, lookup)
		if err != nil || !rep.OK || rep.Records != n {
			b.Fatalf("%v\n%s", err, rep)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
