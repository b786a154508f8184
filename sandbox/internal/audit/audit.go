// Package audit is the bank's tamper-evident API access log.
//
// JR/T 0185-2020 7.3.3 requires the bank to monitor API use and keep a
// complete access log holding at least the transaction serial number
// (交易流水号), the application id (App_ID), the API id, the call duration, a
// timestamp and the result (success or failure). 12.3 requires the bank to
// keep that log complete, to retain only as much of the partner's request as
// it needs (最少够用), and to protect the log's integrity so that records
// cannot be altered, deleted or overwritten undetected.
//
// A Log writes records to its own SQLite file. Each record is chained to the
// previous one with SM3 (see Canonical and HashRecord), and the chain head is
// signed with the bank's SM2 key at regular checkpoints, so that editing,
// deleting, reordering or truncating records is detected by Verify, even when
// the attacker recomputes the hashes. Append is cheap: it enqueues; a single
// writer goroutine assigns sequence numbers and commits in batches.
package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jr0185/harness/sandbox/internal/store"
)

// Record is one API call. JR/T 0185-2020 7.3.3: 交易流水号 (RequestID),
// 应用唯一标识 (AppID), 接口唯一标识 (APIID and the annex B UAPIID), 调用耗时
// (DurationMicros), 时间戳 (Time) and 返回结果 (Result).
type Record struct {
	Seq            int64     `json:"seq"` // assigned by the log; ignored by Append
	Time           time.Time `json:"time"`
	RequestID      string    `json:"request_id"`
	AppID          string    `json:"app_id,omitempty"`
	APIID          string    `json:"api_id,omitempty"`
	UAPIID         string    `json:"u_api_id,omitempty"`
	Method         string    `json:"method"`
	Path           string    `json:"path"`
	Status         int       `json:"status"`
	Result         string    `json:"result"`         // ResultSuccess or ResultFailure
	Code           string    `json:"code,omitempty"` // catalogued error code, "" on success
	DurationMicros int64     `json:"duration_us"`
	// Excerpt is a minimal request excerpt, already masked by the caller
	// (JR/T 0185-2020 12.3 最少够用; 7.3.3 partial masking of account numbers).
	Excerpt string `json:"excerpt,omitempty"`
}

// Values of Record.Result.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// Options tune a Log. Zero values select the defaults.
type Options struct {
	// CheckpointEvery signs the chain head once this many records were
	// written since the last checkpoint, after the batch that reaches the
	// count (default 256).
	CheckpointEvery int
	// CheckpointInterval signs the chain head this often if anything was
	// written since the last checkpoint (default 5s).
	CheckpointInterval time.Duration
	// QueueSize is the Append buffer; Append blocks when it is full (default 8192).
	QueueSize int
	// BatchSize is the most records committed in one transaction (default 256).
	BatchSize int
	// FlushDelay is how long the first record of a batch waits for company
	// before the batch is committed (default 20ms).
	FlushDelay time.Duration
	// MaxExcerptBytes truncates longer excerpts (default 2048; negative: no limit).
	MaxExcerptBytes int
	// Clock stamps records without a Time and checkpoints (default time.Now).
	Clock func() time.Time
	// Logger receives background write and signing failures (default slog.Default()).
	Logger *slog.Logger
	// Unchained is the audit-unchained mutant (sandbox mode only): each record's hash
	// leaves out its predecessor, so the log is no longer a chain (12.3/3 broken).
	Unchained bool
	// Source, when set, is the business database's audit outbox (outbox.go): the writer
	// folds its rows into the chain every FoldInterval and before every Flush.
	Source Source
	// FoldInterval is how often the outbox is read (default 100ms).
	FoldInterval time.Duration
	// RetryMax bounds the wait between attempts to write a batch the storage refused
	// (default 2s; the first wait is 50ms, doubling).
	RetryMax time.Duration
}

func (o Options) withDefaults() Options {
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = 256
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = 5 * time.Second
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 8192
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 256
	}
	if o.FlushDelay <= 0 {
		o.FlushDelay = 20 * time.Millisecond
	}
	if o.MaxExcerptBytes == 0 {
		o.MaxExcerptBytes = 2048
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.FoldInterval <= 0 {
		o.FoldInterval = 100 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 2 * time.Second
	}
	return o
}

var (
	// ErrClosed is returned by calls on a closed Log.
	ErrClosed = errors.New("audit: log is closed")
	// ErrTampered is wrapped by Open when the end of the chain (the part not
	// yet covered by a signed checkpoint, or the checkpoint itself) does not
	// verify: extending it would sign over tampered or truncated records.
	// Run Verify for the details.
	ErrTampered = errors.New("audit: log fails its integrity check")
	// ErrConcurrentWriter is the write failure when another process
	// appended to the same file.
	ErrConcurrentWriter = errors.New("audit: another writer appended to the log")
)

// Head is the durable end of the log.
type Head struct {
	Seq        int64      `json:"seq"`  // last committed record, 0 for an empty log
	Hash       string     `json:"hash"` // its hash, hex
	Checkpoint Checkpoint `json:"checkpoint"`
}

// Stats describe a Log since Open.
type Stats struct {
	Appended uint64 // records accepted by Append
	Written  uint64 // records committed
	Dropped  uint64 // records lost because the writer had failed (see Err)
	Queued   int    // records and requests waiting for the writer
	Head     Head
	Err      error // the writer's permanent failure, if any (closed while failing, another writer)
	// CheckpointErr is the last checkpoint's failure, nil once one succeeds.
	CheckpointErr error
	// Failing is the storage's refusal of the batch the writer keeps retrying (nil when
	// writing), since FailingSince: the writer holds the batch and every later record,
	// and writes them once the storage recovers.
	Failing      error
	FailingSince time.Time
	// Folded is the last business outbox row folded into the chain.
	Folded int64
}

// Log is an open audit log. It is safe for concurrent use.
type Log struct {
	db     *sql.DB
	signer Signer
	opts   Options
	log    *slog.Logger

	mu     sync.RWMutex // guards closed and sends on queue against Close
	closed bool
	queue  chan item
	done   chan struct{} // closed when the writer goroutine has exited

	failErr  atomic.Pointer[error]   // the writer's sticky failure
	failing  atomic.Pointer[failure] // the storage's refusal being retried, nil when writing
	stop     chan struct{}           // closed by Close: stop retrying
	folded   atomic.Int64            // last business outbox row in the chain
	appended atomic.Uint64
	written  atomic.Uint64
	dropped  atomic.Uint64

	stateMu sync.Mutex
	head    Head
	cpErr   error // last checkpoint failure, cleared by a successful checkpoint

	// Owned by the writer goroutine.
	lastSeq   int64
	lastHash  [hashSize]byte
	prunedTo  int64 // outbox rows below this were pruned
	lastPrune time.Time
	cpSeq     int64
	chainBuf  []chained
	bodyBuf   []byte
	closeErr  error // final checkpoint failure, read after done
}

type itemKind uint8

const (
	itemRecord itemKind = iota
	itemFlush
	itemCheckpoint
)

type item struct {
	kind  itemKind
	rec   Record
	reply chan error
}

// Open opens or creates the audit log at path and continues its chain.
// It refuses (wrapping ErrTampered) to continue a chain whose unsigned tail
// or last checkpoint does not verify.
func Open(path string, signer Signer, opts Options) (*Log, error) {
	if signer == nil {
		return nil, errors.New("audit: a Signer is required")
	}
	opts = opts.withDefaults()
	db, err := sql.Open("sqlite", writerDSN(path))
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", path, err)
	}
	l := &Log{
		db:     db,
		signer: signer,
		opts:   opts,
		log:    opts.Logger.With("component", "audit"),
		queue:  make(chan item, opts.QueueSize),
		done:   make(chan struct{}),
		stop:   make(chan struct{}),
	}
	if err := l.resume(context.Background()); err != nil {
		_ = db.Close()
		return nil, err
	}
	go l.run()
	return l, nil
}

// resume creates the schema if needed and loads the chain head, checking
// that the records after the last checkpoint still chain to it.
func (l *Log) resume(ctx context.Context) error {
	if err := migrate(ctx, l.db); err != nil {
		return err
	}
	seq, hash, _, err := readHead(ctx, l.db)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTampered, err)
	}
	sc, hasCp, err := readLastCheckpoint(ctx, l.db)
	if err != nil {
		return fmt.Errorf("audit: read last checkpoint: %w", err)
	}
	if hasCp {
		if sc.bad != "" {
			return fmt.Errorf("%w: last checkpoint %d: %s", ErrTampered, sc.seq, sc.bad)
		}
		if sc.seq > seq {
			return fmt.Errorf("%w: the log ends at record %d but checkpoint %d covers more: records were deleted", ErrTampered, seq, sc.seq)
		}
	}
	if err := checkTail(ctx, l.db, sc, hasCp, seq); err != nil {
		return err
	}
	folded, err := readFolded(ctx, l.db)
	if err != nil {
		return fmt.Errorf("audit: read folds: %w", err)
	}
	l.folded.Store(folded)
	l.lastSeq, l.lastHash = seq, hash
	l.head = Head{Seq: seq, Hash: encodeHash(hash)}
	if seq == 0 {
		l.head.Hash = ""
	}
	if hasCp {
		l.cpSeq = sc.seq
		l.head.Checkpoint = toCheckpoint(&sc)
	}
	return nil
}

// checkTail verifies the records from the last checkpoint (or from record 1)
// to the end: contiguous, self-consistent and chained.
func checkTail(ctx context.Context, db *sql.DB, sc storedCheckpoint, hasCp bool, last int64) error {
	from := int64(1)
	if hasCp {
		from = sc.seq
	}
	rows, err := db.QueryContext(ctx, sqlRecordsFrom, from)
	if err != nil {
		return fmt.Errorf("audit: read tail: %w", err)
	}
	defer rows.Close()
	want := from
	prev := genesisHash
	var st storedRecord
	for rows.Next() {
		if err := scanRecord(rows, &st); err != nil {
			return fmt.Errorf("%w: record after %d: %v", ErrTampered, want-1, err)
		}
		s := st.rec.Seq
		switch {
		case s != want:
			return fmt.Errorf("%w: record %d is missing", ErrTampered, want)
		case st.bad != "":
			return fmt.Errorf("%w: record %d: %s", ErrTampered, s, st.bad)
		case chainHash(s, st.body, &st.prev) != st.hash:
			return fmt.Errorf("%w: record %d was altered", ErrTampered, s)
		case hasCp && s == sc.seq && st.hash != sc.head:
			return fmt.Errorf("%w: record %d does not match checkpoint %d", ErrTampered, s, sc.seq)
		case (!hasCp || s > sc.seq) && st.prev != prev:
			return fmt.Errorf("%w: record %d does not chain to record %d", ErrTampered, s, s-1)
		}
		prev = st.hash
		want++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: read tail: %w", err)
	}
	if want-1 != last && last >= from {
		return fmt.Errorf("%w: record %d is missing", ErrTampered, want)
	}
	return nil
}

// Append records r. It returns once r is queued (blocking while the queue is
// full); use Flush to wait until it is durable. r.Seq is assigned by the log;
// a zero r.Time is set from the clock; an empty r.Result is derived from
// r.Status (1xx-3xx success). Strings are stored as valid UTF-8 without NUL
// bytes, so that every backend stores them byte-exactly. Append fails only
// after Close or after the writer has failed, never silently.
func (l *Log) Append(r Record) error {
	l.normalize(&r)
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	if err := l.Err(); err != nil {
		return err
	}
	l.queue <- item{kind: itemRecord, rec: r}
	l.appended.Add(1)
	return nil
}

func (l *Log) normalize(r *Record) {
	r.Seq = 0
	if r.Time.IsZero() {
		r.Time = l.opts.Clock()
	}
	// Exactly what is stored: Unix nanoseconds, UTC, no monotonic reading.
	r.Time = time.Unix(0, r.Time.UnixNano()).UTC()
	if r.Result == "" {
		r.Result = ResultFailure
		if r.Status >= 100 && r.Status < 400 {
			r.Result = ResultSuccess
		}
	}
	for _, p := range []*string{&r.RequestID, &r.AppID, &r.APIID, &r.UAPIID, &r.Method, &r.Path, &r.Result, &r.Code, &r.Excerpt} {
		*p = cleanString(*p)
	}
	if limit := l.opts.MaxExcerptBytes; limit > 0 && len(r.Excerpt) > limit {
		r.Excerpt = truncateUTF8(r.Excerpt, limit)
	}
}

func cleanString(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// truncateUTF8 cuts s to at most limit bytes on a rune boundary, marking the cut.
func truncateUTF8(s string, limit int) string {
	const mark = "…"
	n := limit - len(mark)
	if n <= 0 {
		return s[:0]
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + mark
}

// Flush waits until every record appended before it was called is committed.
func (l *Log) Flush() error { return l.request(itemFlush) }

// Checkpoint flushes and then signs the chain head if anything was written
// since the last checkpoint.
func (l *Log) Checkpoint() error { return l.request(itemCheckpoint) }

func (l *Log) request(kind itemKind) error {
	reply := make(chan error, 1)
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return ErrClosed
	}
	l.queue <- item{kind: kind, reply: reply}
	l.mu.RUnlock()
	return <-reply
}

// Close flushes, signs a final checkpoint and closes the file. Calling Close
// again returns nil.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.stop)
	close(l.queue)
	l.mu.Unlock()
	<-l.done
	return errors.Join(l.Err(), l.closeErr, l.db.Close())
}

// Err returns the writer's failure, if any. After a failure the log accepts
// no more records; records still queued are counted in Stats.Dropped.
func (l *Log) Err() error {
	if p := l.failErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Head returns the last committed record and the last signed checkpoint.
// Exporting the checkpoint elsewhere (a ticket, another system) anchors the
// log against a later rollback of the whole file.
func (l *Log) Head() Head {
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	return l.head
}

// Stats returns counters and the head.
func (l *Log) Stats() Stats {
	l.stateMu.Lock()
	cpErr := l.cpErr
	l.stateMu.Unlock()
	var f failure
	if p := l.failing.Load(); p != nil {
		f = *p
	}
	return Stats{
		CheckpointErr: cpErr,
		Appended:      l.appended.Load(),
		Written:       l.written.Load(),
		Dropped:       l.dropped.Load(),
		Queued:        len(l.queue),
		Head:          l.Head(),
		Err:           l.Err(),
		Failing:       f.err,
		FailingSince:  f.since,
		Folded:        l.folded.Load(),
	}
}

// failure is a write the storage refused, retried since.
type failure struct {
	err   error
	since time.Time
}

// Query returns committed records matching f, newest first. Records still
// queued are not visible; call Flush first to read your own writes.
func (l *Log) Query(ctx context.Context, f Filter) ([]Record, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return nil, ErrClosed
	}
	return queryRecords(ctx, l.db, f)
}

// run is the single writer: it batches records, chains and commits them, and
// writes checkpoints.
func (l *Log) run() {
	defer close(l.done)
	ticker := time.NewTicker(l.opts.CheckpointInterval)
	defer ticker.Stop()
	var foldC <-chan time.Time
	if l.opts.Source != nil {
		ft := time.NewTicker(l.opts.FoldInterval)
		defer ft.Stop()
		foldC = ft.C
		l.fold() // what a killed process left in the outbox, first
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false
	batch := make([]Record, 0, l.opts.BatchSize)
	commit := func() {
		if armed {
			timer.Stop()
			armed = false
		}
		if len(batch) == 0 {
			return
		}
		l.commit(batch)
		clear(batch) // drop references to excerpts
		batch = batch[:0]
		if l.lastSeq-l.cpSeq >= int64(l.opts.CheckpointEvery) {
			_ = l.checkpoint() // a failure is kept in Stats().CheckpointErr and logged
		}
	}
	for {
		select {
		case it, ok := <-l.queue:
			if !ok {
				commit()
				l.fold()
				l.prune(true)
				l.closeErr = l.checkpoint()
				return
			}
			switch it.kind {
			case itemRecord:
				batch = append(batch, it.rec)
				if len(batch) >= l.opts.BatchSize {
					commit()
				} else if !armed {
					timer.Reset(l.opts.FlushDelay)
					armed = true
				}
			case itemFlush:
				commit()
				l.fold()
				it.reply <- l.Err()
			case itemCheckpoint:
				commit()
				l.fold()
				it.reply <- errors.Join(l.Err(), l.checkpoint())
			}
		case <-timer.C:
			armed = false
			commit()
		case <-ticker.C:
			_ = l.checkpoint() // a failure is kept in Stats().CheckpointErr and logged
		case <-foldC:
			l.fold()
			if l.lastSeq-l.cpSeq >= int64(l.opts.CheckpointEvery) {
				_ = l.checkpoint()
			}
		}
	}
}

// commit writes batch in one transaction (with folded, when > 0, the outbox row the
// batch folds through). A write the storage refuses (disk full, read-only, I/O error)
// is retried, with a growing pause, until it succeeds: the writer holds the batch, the
// queue holds what follows, and nothing is dropped or written out of order; the log
// recovers by itself once the storage does (Stats.Failing says meanwhile). Any other
// failure (another process writing the same file, a closed database), or Close while
// failing, ends the log: the batch is then counted as dropped and the log accepts no
// more records. It reports whether the batch was written.
func (l *Log) commit(batch []Record, folded ...int64) bool {
	if l.Err() != nil {
		l.dropped.Add(uint64(len(batch)))
		return false
	}
	wait := 50 * time.Millisecond
	for {
		err := l.writeBatch(batch, folded...)
		if err == nil {
			if p := l.failing.Swap(nil); p != nil {
				l.log.Warn("audit log writing again after a storage failure", "failing_for", time.Since(p.since).Round(time.Millisecond), "records", len(batch))
			}
			return true
		}
		err = fmt.Errorf("audit: write records %d-%d: %w", l.lastSeq+1, l.lastSeq+int64(len(batch)), err)
		stopping := false
		select {
		case <-l.stop:
			stopping = true
		default:
		}
		if stopping || store.StorageKind(err) == "" { // not the storage: retrying cannot help
			l.failErr.CompareAndSwap(nil, &err)
			l.dropped.Add(uint64(len(batch)))
			l.log.Error("audit log write failed; no further records will be accepted", "err", err)
			return false
		}
		if l.failing.Load() == nil {
			l.failing.Store(&failure{err: err, since: time.Now()})
			l.log.Error("audit log write refused by the storage; retrying until it recovers", "err", err)
		}
		select {
		case <-time.After(wait):
		case <-l.stop:
		}
		wait = min(2*wait, l.opts.RetryMax)
	}
}

// fold moves the business outbox's new rows into the chain, then prunes the folded
// rows (at most once a second). A source that cannot be read is tried again at the
// next fold; its rows stay in the outbox meanwhile.
func (l *Log) fold() {
	if l.opts.Source == nil {
		return
	}
	ctx := context.Background()
	for l.Err() == nil {
		rows, err := l.opts.Source.Pending(ctx, l.folded.Load(), l.opts.BatchSize)
		if err != nil {
			l.log.Warn("audit outbox unreadable; will retry", "err", err)
			return
		}
		if len(rows) == 0 {
			break
		}
		batch := make([]Record, len(rows))
		for i := range rows {
			batch[i] = rows[i].Rec
			l.normalize(&batch[i])
		}
		through := rows[len(rows)-1].ID
		if !l.commit(batch, through) {
			return
		}
		l.folded.Store(through)
		l.appended.Add(uint64(len(batch)))
	}
	l.prune(false)
}

// prune removes the folded outbox rows: at most once a second, unless now.
func (l *Log) prune(now bool) {
	f := l.folded.Load()
	if l.opts.Source == nil || f <= l.prunedTo || (!now && time.Since(l.lastPrune) < time.Second) {
		return
	}
	l.lastPrune = time.Now()
	if err := l.opts.Source.Prune(context.Background(), f); err != nil {
		l.log.Warn("audit outbox prune failed; will retry", "err", err)
		return
	}
	l.prunedTo = f
}

func (l *Log) writeBatch(batch []Record, folded ...int64) error {
	ctx := context.Background()
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	seq, hash, _, err := readHead(ctx, tx)
	if err != nil {
		return err
	}
	if seq != l.lastSeq || hash != l.lastHash {
		return fmt.Errorf("%w (the file ends at record %d, this writer at %d)", ErrConcurrentWriter, seq, l.lastSeq)
	}
	rs := l.chainBuf[:0]
	prev, s := l.lastHash, l.lastSeq
	for i := range batch {
		s++
		l.bodyBuf = recordBody(l.bodyBuf[:0], &batch[i])
		link := &prev
		if l.opts.Unchained {
			link = &[hashSize]byte{}
		}
		h := chainHash(s, l.bodyBuf, link)
		rs = append(rs, chained{seq: s, rec: &batch[i], prev: prev, hash: h})
		prev = h
	}
	l.chainBuf = rs[:0]
	if err := insertRecords(ctx, tx, rs); err != nil {
		return err
	}
	for _, f := range folded {
		if err := writeFolded(ctx, tx, f); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	clear(rs)
	l.lastSeq, l.lastHash = s, prev
	l.written.Add(uint64(len(batch)))
	l.stateMu.Lock()
	l.head.Seq, l.head.Hash = s, encodeHash(prev)
	l.stateMu.Unlock()
	return nil
}

// checkpoint signs the chain head if anything is new. A signing or write
// failure is logged and retried at the next opportunity; records keep being
// written meanwhile.
func (l *Log) checkpoint() error {
	if l.Err() != nil || l.lastSeq <= l.cpSeq {
		return nil
	}
	cp := Checkpoint{
		Seq:       l.lastSeq,
		HeadHash:  encodeHash(l.lastHash),
		CreatedAt: l.opts.Clock().UTC(),
		KeySerial: l.signer.Serial(),
	}
	err := func() error {
		sig, err := l.signer.Sign(cp.Message())
		if err != nil {
			return fmt.Errorf("audit: sign checkpoint %d: %w", cp.Seq, err)
		}
		cp.Signature = sig
		if err := insertCheckpoint(context.Background(), l.db, cp); err != nil {
			return fmt.Errorf("audit: write checkpoint %d: %w", cp.Seq, err)
		}
		return nil
	}()
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	l.cpErr = err
	if err != nil {
		l.log.Error("audit checkpoint failed; will retry", "err", err)
		return err
	}
	l.cpSeq = cp.Seq
	l.head.Checkpoint = cp
	return nil
}
