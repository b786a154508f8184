package audit

import (
	"container/heap"
	"context"
	"crypto/ecdsa"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"unicode/utf8"
)

// JR/T 0185-2020 12.3: Verify proves that the log was not altered, deleted
// from, reordered or overwritten, and names the records where it was.
//
// The file is untrusted: every column may hold any type or bytes, rows may be
// missing, duplicated or renumbered. Verify never panics on such input.

// Kinds of Problem.
const (
	KindAltered            = "altered"             // a record's content no longer matches its hash
	KindMissing            = "missing"             // records absent from the middle or start of the log
	KindTruncated          = "truncated"           // records absent from the end, proven by a signed checkpoint
	KindSwapped            = "swapped"             // two records exchanged positions or contents
	KindMoved              = "moved"               // a record stored at another position
	KindRenumbered         = "renumbered"          // a run of records stored under shifted seq numbers
	KindDuplicate          = "duplicate"           // two rows hold the same record position
	KindBrokenLink         = "broken-link"         // a record's prev_hash is not its predecessor's hash
	KindCheckpointMismatch = "checkpoint-mismatch" // a valid checkpoint's head hash differs from the chain
	KindBadSignature       = "bad-signature"       // a checkpoint is forged, altered or unreadable
	KindUnknownKey         = "unknown-key"         // a checkpoint names a key the lookup does not know
	KindUnreadable         = "unreadable"          // a row whose position cannot be read
	KindSchema             = "schema"              // a table is missing or unreadable
)

// Problem is one integrity failure. Seq is the record (or checkpoint) it is
// about, 0 when there is none.
type Problem struct {
	Seq     int64
	Kind    string
	Message string
}

// Report is the outcome of Verify.
type Report struct {
	Records     int64 // rows in the records table
	Checkpoints int   // rows in the checkpoints table
	OK          bool  // no problems
	Problems    []Problem
	Omitted     int // problems beyond maxProblems, not listed

	// LastCheckpoint is the highest record covered by a checkpoint with a
	// valid signature, 0 if none.
	LastCheckpoint int64
	// Pending counts business records still in the business database's outbox, not
	// yet folded into the chain (AddGaps); Gaps the business changes with no record
	// (12.3/1, 7.3.3/1), each described in GapProblems. OK is the chain's verdict alone
	// (12.3/3); Sound is both.
	Pending     int
	Gaps        int
	GapProblems []Problem
	// Uncovered counts the records after LastCheckpoint. They are chained but
	// not yet signed: normal for a log that is still open (the writer signs
	// every CheckpointEvery records and CheckpointInterval), but a closed log
	// ends with a checkpoint, so there Uncovered should be 0.
	Uncovered int64
}

// AddGaps adds Complete's problems (business changes the log does not hold) and the
// count of pending business records to the report.
func (r *Report) AddGaps(gaps []Problem, pending int) {
	r.Pending += pending
	r.Gaps += len(gaps)
	r.GapProblems = append(r.GapProblems, gaps[:min(len(gaps), maxProblems)]...)
}

// Sound reports an intact chain (OK) and a complete log (no gap).
func (r Report) Sound() bool { return r.OK && r.Gaps == 0 }

// String renders the report for people.
func (r Report) String() string {
	var b strings.Builder
	switch {
	case r.OK && r.Gaps > 0:
		fmt.Fprintf(&b, "audit log INCOMPLETE: chain intact, %d records, %d checkpoints", r.Records, r.Checkpoints)
	case r.OK:
		fmt.Fprintf(&b, "audit log intact: %d records, %d checkpoints", r.Records, r.Checkpoints)
	default:
		n := len(r.Problems) + r.Omitted
		fmt.Fprintf(&b, "audit log FAILED verification: %d records, %d checkpoints, %d problem%s",
			r.Records, r.Checkpoints, n, plural(n))
	}
	if r.LastCheckpoint > 0 {
		fmt.Fprintf(&b, "; signed up to record %d", r.LastCheckpoint)
	}
	if r.Uncovered > 0 {
		fmt.Fprintf(&b, "; %d record%s after that not yet signed", r.Uncovered, plural(int(min(r.Uncovered, 2))))
	}
	if r.Gaps > 0 {
		fmt.Fprintf(&b, "; %d business change%s with no audit record", r.Gaps, plural(min(r.Gaps, 2)))
	}
	if r.Pending > 0 {
		fmt.Fprintf(&b, "; %d business record%s pending in the outbox", r.Pending, plural(min(r.Pending, 2)))
	}
	b.WriteByte('\n')
	for _, p := range append(r.Problems[:len(r.Problems):len(r.Problems)], r.GapProblems...) {
		fmt.Fprintf(&b, "  - [%s] %s\n", p.Kind, p.Message)
	}
	if r.Omitted > 0 {
		fmt.Fprintf(&b, "  ... and %d more problems\n", r.Omitted)
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

const (
	// maxProblems bounds the report for a log rewritten wholesale.
	maxProblems = 1000
	// searchWindow is how far from its stored seq Verify looks for a
	// record's original position (swapped or moved records).
	searchWindow = 8
	// reorderWindow is how many records Verify holds back to put records
	// found at other positions back in their original order.
	reorderWindow = 2*searchWindow + 2
)

// Verify checks the audit log at path, opened read-only, and reports every
// problem it finds. lookup resolves the key serials of checkpoints. The
// returned error is for failures to read the file at all; integrity
// failures, including missing tables, are Problems.
func Verify(ctx context.Context, path string, lookup VerifierLookup) (Report, error) {
	if lookup == nil {
		return Report{}, errors.New("audit: Verify needs a VerifierLookup")
	}
	db, err := openReadOnly(ctx, path)
	if err != nil {
		return Report{}, fmt.Errorf("audit: verify %s: %w", path, err)
	}
	defer db.Close()
	// One read transaction: records and checkpoints from the same snapshot,
	// even while a writer is appending.
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Report{}, fmt.Errorf("audit: verify %s: %w", path, err)
	}
	defer func() { _ = tx.Rollback() }()

	v := &verifier{lookup: lookup, keys: map[string]keyResult{}, cps: map[int64]*cpState{}, singles: map[int64]int64{}, mismatchIdx: -1, linkIdx: -1}
	if err := v.loadCheckpoints(ctx, tx); err != nil {
		return Report{}, fmt.Errorf("audit: verify %s: %w", path, err)
	}
	if err := v.scanRecords(ctx, tx); err != nil {
		return Report{}, fmt.Errorf("audit: verify %s: %w", path, err)
	}
	v.finish()
	return v.rep, nil
}

// openReadOnly opens path read-only and checks that it is an SQLite database.
func openReadOnly(ctx context.Context, path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	open := func(dsn string) (*sql.DB, error) {
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		var version any
		if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
			_ = db.Close()
			return nil, err
		}
		return db, nil
	}
	db, err := open(readOnlyDSN(path))
	if err == nil || ctx.Err() != nil {
		return db, err
	}
	if _, statErr := os.Stat(path + "-wal"); !errors.Is(statErr, fs.ErrNotExist) {
		return nil, err
	}
	if db, err2 := open(immutableDSN(path)); err2 == nil {
		return db, nil
	}
	return nil, err
}

type keyResult struct {
	pub *ecdsa.PublicKey
	err error
}

type cpState struct {
	sc   storedCheckpoint
	seen bool
}

// entry is a record placed at its original position o (stored at seq s).
type entry struct {
	s, o           int64
	ok             bool // content matches its stored hash at position o
	prev, hash     [hashSize]byte
	prevOK, hashOK bool
}

type verifier struct {
	lookup VerifierLookup
	keys   map[string]keyResult
	rep    Report

	// Checkpoints whose signature verifies, by seq.
	cps map[int64]*cpState

	// Stage 1, stored order: placing records.
	maxO    int64           // highest original position placed so far
	run     moveRun         // current run of records stored at a constant offset
	singles map[int64]int64 // stored seq -> original position, for lone moved records
	lastS   int64

	// Stage 2, original order: gaps, links, checkpoints.
	pending     entryHeap
	haveLast    bool
	last        entry
	lastAlt     [][hashSize]byte // hashes of other rows holding the same position as last
	noRecords   bool             // the records table could not be read
	linkIdx     int              // problem index of the current run of broken links, -1 if none
	linkFrom    int64            // first record of the run
	linkTo      int64            // last record of the run
	lastGoodCp  int64
	mismatch    bool  // inside a run of checkpoints that do not match the chain
	mismatchIdx int   // index of the run's problem, -1 if it was omitted
	mismatchN   int   // later checkpoints in the run
	mismatchTo  int64 // the last of them
}

func (v *verifier) problem(seq int64, kind, format string, args ...any) int {
	if len(v.rep.Problems) >= maxProblems {
		v.rep.Omitted++
		return -1
	}
	v.rep.Problems = append(v.rep.Problems, Problem{Seq: seq, Kind: kind, Message: fmt.Sprintf(format, args...)})
	return len(v.rep.Problems) - 1
}

// key resolves a serial once, guarding against a panicking lookup.
func (v *verifier) key(serial string) (pub *ecdsa.PublicKey, err error) {
	if k, ok := v.keys[serial]; ok {
		return k.pub, k.err
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("lookup failed: %v", r)
			}
		}()
		pub, err = v.lookup(serial)
	}()
	if err == nil && pub == nil {
		err = errors.New("no such key")
	}
	v.keys[serial] = keyResult{pub, err}
	return pub, err
}

func (v *verifier) loadCheckpoints(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, sqlAllCheckpoints)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		v.problem(0, KindSchema, "the checkpoints table is missing or unreadable (%v): nothing proves the chain was not rewritten", err)
		return nil
	}
	defer rows.Close()
	var sc storedCheckpoint
	for rows.Next() {
		v.rep.Checkpoints++
		if err := scanCheckpoint(rows, &sc); err != nil {
			v.problem(0, KindBadSignature, "a checkpoint row is unreadable (%v)", err)
			continue
		}
		if sc.bad != "" {
			v.problem(sc.seq, KindBadSignature, "checkpoint at %d is unreadable: %s", sc.seq, sc.bad)
			continue
		}
		pub, err := v.key(sc.serial)
		if err != nil {
			v.problem(sc.seq, KindUnknownKey, "checkpoint at %d is signed with unknown key serial %s (%v)", sc.seq, quote(sc.serial), err)
			continue
		}
		if err := verifySignature(pub, checkpointMessage(sc.seq, sc.headHex, sc.createdAt), sc.sig); err != nil {
			if errors.Is(err, errBadSignature) {
				v.problem(sc.seq, KindBadSignature, "checkpoint at %d has an invalid signature under key %s: it was forged or altered", sc.seq, quote(sc.serial))
			} else {
				v.problem(sc.seq, KindBadSignature, "checkpoint at %d cannot be verified under key %s: %v", sc.seq, quote(sc.serial), err)
			}
			continue
		}
		v.cps[sc.seq] = &cpState{sc: sc}
		v.rep.LastCheckpoint = max(v.rep.LastCheckpoint, sc.seq)
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		v.problem(0, KindSchema, "the checkpoints table could not be read to the end (%v)", err)
	}
	return nil
}

func (v *verifier) scanRecords(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, sqlAllRecords)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		v.problem(0, KindSchema, "the records table is missing or unreadable (%v)", err)
		v.noRecords = true
		return nil
	}
	defer rows.Close()
	read := func(dst *storedRecord) bool {
		for rows.Next() {
			v.rep.Records++
			if err := scanRecord(rows, dst); err != nil {
				v.problem(0, KindUnreadable, "a record row is unreadable (%v); it follows stored seq %d", err, v.lastS)
				continue
			}
			return true
		}
		return false
	}
	var cur, next storedRecord
	have := read(&cur)
	for n := 0; have; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		haveNext := read(&next)
		var nx *storedRecord
		if haveNext {
			nx = &next
		}
		if v.place(&cur, nx) {
			have = read(&cur)
		} else {
			cur, next = next, cur
			have = haveNext
		}
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		v.problem(v.lastS, KindSchema, "the records table could not be read to the end (%v): stopped after stored seq %d", err, v.lastS)
	}
	return nil
}

// expected is the original position of a record stored at s whose own
// content does not tell: after the highest placed so far, or s after a gap.
func (v *verifier) expected(s int64) int64 { return max(v.maxO+1, s) }

// locate finds the original position of st: the position at which its
// content hashes to its stored hash. It tries the next position in the
// chain (which follows renumbering), the stored seq, and positions nearby
// (swaps, moves).
func (v *verifier) locate(st *storedRecord) (int64, bool) {
	s := st.rec.Seq
	try := func(c int64) bool { return c >= 1 && chainHash(c, st.body, &st.prev) == st.hash }
	first := v.maxO + 1
	if try(first) {
		return first, true
	}
	if s != first && try(s) {
		return s, true
	}
	for d := int64(1); d <= searchWindow; d++ {
		for _, c := range [2]int64{s + d, s - d} {
			if c != first && try(c) {
				return c, true
			}
		}
	}
	return 0, false
}

// place decides where cur originally was and hands it to stage 2. It looks
// at next (the following stored row, or nil) to recognise two records whose
// contents were exchanged, and reports whether it consumed next.
func (v *verifier) place(cur, next *storedRecord) bool {
	s := cur.rec.Seq
	v.lastS = s
	if cur.bad != "" {
		o := v.expected(s)
		v.problem(o, KindAltered, "%s was altered: %s", name(o, s), cur.bad)
		v.emit(cur, o, false)
		return false
	}
	if o, ok := v.locate(cur); ok {
		v.emit(cur, o, true)
		return false
	}
	o := v.expected(s)
	if next != nil && next.bad == "" {
		on := max(max(v.maxO, o)+1, next.rec.Seq)
		if chainHash(o, next.body, &cur.prev) == cur.hash && chainHash(on, cur.body, &next.prev) == next.hash {
			v.problem(o, KindSwapped, "records %d and %d are out of order: they were swapped (each holds the other's content)", o, on)
			v.emit(cur, o, true)
			v.lastS = next.rec.Seq
			v.emit(next, on, true)
			return true
		}
	}
	v.problem(o, KindAltered, "%s was altered: its content no longer matches its hash", name(o, s))
	v.emit(cur, o, false)
	return false
}

// name names record o, stored at seq s.
func name(o, s int64) string {
	if o == s {
		return fmt.Sprintf("record %d", o)
	}
	return fmt.Sprintf("record %d (stored at seq %d)", o, s)
}

func (v *verifier) emit(st *storedRecord, o int64, ok bool) {
	s := st.rec.Seq
	v.maxO = max(v.maxO, o)
	if ok {
		v.trackMove(s, o)
	}
	heap.Push(&v.pending, entry{s: s, o: o, ok: ok, prev: st.prev, hash: st.hash, prevOK: st.prevOK, hashOK: st.hashOK})
	for v.pending.Len() > reorderWindow {
		v.order(heap.Pop(&v.pending).(entry))
	}
}

// moveRun is a run of records stored at a constant offset from their
// original positions.
type moveRun struct {
	n              int64
	s0, o0, sN, oN int64
}

// trackMove reports records found at positions other than their stored seq:
// a long run at one offset is a renumbering, two lone records at each
// other's positions a swap, anything else a move.
func (v *verifier) trackMove(s, o int64) {
	r := &v.run
	if r.n > 0 && o-s == r.oN-r.sN && s > r.sN && o > r.oN {
		r.n++
		r.sN, r.oN = s, o
		return
	}
	v.closeRun()
	if o != s {
		v.run = moveRun{n: 1, s0: s, o0: o, sN: s, oN: o}
	}
	for k, ko := range v.singles {
		if k < s-reorderWindow {
			v.problem(ko, KindMoved, "record %d is out of order: it is stored at seq %d", ko, k)
			delete(v.singles, k)
		}
	}
}

func (v *verifier) closeRun() {
	r := v.run
	v.run = moveRun{}
	switch {
	case r.n == 0:
	case r.n >= 2:
		v.problem(r.o0, KindRenumbered, "records %d–%d were renumbered: they are stored as %d–%d", r.o0, r.oN, r.s0, r.sN)
	default:
		if o, ok := v.singles[r.o0]; ok && o == r.s0 {
			delete(v.singles, r.o0)
			v.problem(min(r.s0, r.o0), KindSwapped, "records %d and %d are out of order: they were swapped", min(r.s0, r.o0), max(r.s0, r.o0))
			return
		}
		v.singles[r.s0] = r.o0
	}
}

// order checks e against its predecessor in original order.
func (v *verifier) order(e entry) {
	if v.haveLast && e.o < v.last.o {
		v.problem(e.o, KindMoved, "record %d is out of order: it is stored far from its position, at seq %d", e.o, e.s)
		return
	}
	if v.haveLast && e.o == v.last.o {
		v.problem(e.o, KindDuplicate, "record %d appears twice (stored at seq %d and %d): a record was inserted or copied", e.o, v.last.s, e.s)
		if e.ok && e.hashOK {
			v.lastAlt = append(v.lastAlt, e.hash) // either may be the one its successor chains to
		}
		return
	}
	next := v.last.o + 1 // 1 before the first record
	switch {
	case e.o > next && e.o == next+1:
		v.problem(next, KindMissing, "record %d is missing (deleted)", next)
	case e.o > next:
		v.problem(next, KindMissing, "records %d–%d are missing (deleted)", next, e.o-1)
	case e.ok && e.prevOK:
		if e.o == 1 && e.prev != genesisHash {
			v.problem(1, KindBrokenLink, "record 1 does not start from the genesis hash: earlier records were deleted and the rest renumbered, or it was rewritten")
		} else if e.o > 1 && v.last.ok && v.last.hashOK && e.prev != v.last.hash && !slices.Contains(v.lastAlt, e.prev) {
			v.brokenLink(e.o)
		}
	}
	if cp, ok := v.cps[e.o]; ok {
		cp.seen = true
		v.matchCheckpoint(&cp.sc, e)
	}
	if e.o > v.rep.LastCheckpoint {
		v.rep.Uncovered++
	}
	v.last, v.haveLast, v.lastAlt = e, true, v.lastAlt[:0]
}

// brokenLink reports that record o does not chain to o-1, merging a run of
// consecutive breaks (a rewritten or renumbered stretch) into one problem.
func (v *verifier) brokenLink(o int64) {
	if v.linkIdx >= 0 && v.linkTo == o-1 {
		v.linkTo = o
		v.rep.Problems[v.linkIdx].Message = fmt.Sprintf(
			"records %d–%d do not chain: from record %d to %d each prev_hash differs from its predecessor's hash (they were rewritten, or records were deleted and the rest renumbered)",
			v.linkFrom-1, o, v.linkFrom, o)
		return
	}
	v.linkFrom, v.linkTo = o, o
	v.linkIdx = v.problem(o, KindBrokenLink,
		"records %d and %d do not chain: record %d's prev_hash is not record %d's hash (one of them was rewritten, or records between them were deleted and the rest renumbered)",
		o-1, o, o, o-1)
}

// matchCheckpoint compares a validly signed checkpoint with the chain. A
// mismatch means records up to it were rewritten, hashes included, after it
// was signed; the records since the last matching checkpoint are suspect.
func (v *verifier) matchCheckpoint(sc *storedCheckpoint, e entry) {
	if e.hashOK && e.hash == sc.head {
		v.closeMismatch()
		v.lastGoodCp = sc.seq
		return
	}
	if v.mismatch {
		v.mismatchN++
		v.mismatchTo = sc.seq
		return
	}
	got := "is unreadable"
	if e.hashOK {
		got = "is " + shortHash(e.hash)
	}
	v.mismatch = true
	v.mismatchIdx = v.problem(sc.seq, KindCheckpointMismatch,
		"records %d–%d were rewritten after they were signed: the checkpoint at %d signed head hash %s, but record %d's hash %s",
		v.lastGoodCp+1, sc.seq, sc.seq, shortHash(sc.head), sc.seq, got)
}

func (v *verifier) closeMismatch() {
	if v.mismatchIdx >= 0 && v.mismatchN > 0 {
		p := &v.rep.Problems[v.mismatchIdx]
		p.Message += fmt.Sprintf("; the %d later checkpoint%s up to %d do not match either (the chain was recomputed from there on)",
			v.mismatchN, plural(v.mismatchN), v.mismatchTo)
	}
	v.mismatch, v.mismatchIdx, v.mismatchN, v.mismatchTo = false, -1, 0, 0
}

func (v *verifier) finish() {
	for v.pending.Len() > 0 {
		v.order(heap.Pop(&v.pending).(entry))
	}
	v.closeRun()
	keys := make([]int64, 0, len(v.singles))
	for k := range v.singles {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v.problem(v.singles[k], KindMoved, "record %d is out of order: it is stored at seq %d", v.singles[k], k)
	}
	v.closeMismatch()

	// A validly signed checkpoint beyond the last record proves the tail was cut.
	var top int64
	for seq, cp := range v.cps {
		if !cp.seen && seq > v.last.o {
			top = max(top, seq)
		}
	}
	if top > 0 && !v.noRecords {
		from := v.last.o + 1
		switch {
		case !v.haveLast:
			v.problem(from, KindTruncated, "records %d–%d are missing (deleted): the log is empty but the signed checkpoint at %d covers them", from, top, top)
		case from == top:
			v.problem(from, KindTruncated, "record %d is missing (truncated): the log ends at record %d but the signed checkpoint at %d covers it", from, v.last.o, top)
		default:
			v.problem(from, KindTruncated, "records %d–%d are missing (truncated): the log ends at record %d but the signed checkpoint at %d covers them", from, top, v.last.o, top)
		}
	}
	slices.SortStableFunc(v.rep.Problems, func(a, b Problem) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	v.rep.OK = len(v.rep.Problems) == 0 && v.rep.Omitted == 0
}

// quote renders an untrusted string for a message, bounded in length.
func quote(s string) string {
	const limit = 64
	if len(s) > limit {
		n := limit
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// entryHeap orders entries by original position, then stored seq.
type entryHeap []entry

func (h entryHeap) Len() int { return len(h) }
func (h entryHeap) Less(i, j int) bool {
	if h[i].o != h[j].o {
		return h[i].o < h[j].o
	}
	return h[i].s < h[j].s
}
func (h entryHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *entryHeap) Push(x any)   { *h = append(*h, x.(entry)) }
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
