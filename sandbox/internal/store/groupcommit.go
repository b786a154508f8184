package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Writer runs fn in a write transaction: committed if fn returns nil, rolled back
// otherwise. Both InTx (one transaction per call) and a Committer (group commit) do.
type Writer interface {
	Tx(ctx context.Context, fn func(*sql.Tx) error) error
}

// Direct is a Writer giving every call its own transaction on DB.
type Direct struct{ DB *sql.DB }

// Tx implements Writer.
func (d Direct) Tx(ctx context.Context, fn func(*sql.Tx) error) error { return InTx(ctx, d.DB, fn) }

// WriterFor returns w, or a Direct writer on db when w is nil (stores built without a
// Committer, as in unit tests).
func WriterFor(w Writer, db *sql.DB) Writer {
	if w == nil {
		return Direct{DB: db}
	}
	return w
}

// DefaultMaxBatch bounds the transactions a Committer folds into one commit.
const DefaultMaxBatch = 64

// ErrCommitterClosed is returned by Tx after Close.
var ErrCommitterClosed = errors.New("store: committer closed")

// Committer is group commit: one goroutine takes the write transactions that callers
// submit concurrently and runs those waiting together in one database transaction,
// each inside its own savepoint, then commits once — one fsync for the batch with
// synchronous=FULL. A caller's Tx returns only after the batch committed (or its own
// work was rolled back), so nothing is acknowledged before it is durable.
//
// One transaction's failure is its own: a function that returns an error (or panics)
// is rolled back to its savepoint and the others in the batch commit. Should the batch
// itself fail (its commit, or a function that broke the surrounding transaction, for
// example by an interrupted statement), every function of the batch is run again
// alone, in its own transaction, so that one bad transaction cannot fail or lose the
// others. A function may therefore run more than once: it must keep its effects inside
// the transaction (assigning its results to captured variables is fine).
//
// Functions run on the committer's goroutine while it holds the database's one
// connection (On(committer, tx) gives them its cache of prepared statements): like any transaction function, they must not use the *sql.DB, nor call
// the Committer, or they wait forever. A function that has started runs to the end
// even if its caller's context is cancelled meanwhile; a cancelled caller still waiting
// in the queue is dropped and gets its context's error.
type Committer struct {
	db       *sql.DB
	full     bool // the connection runs synchronous=FULL (see TxRelaxed)
	maxBatch int
	jobs     chan *job
	stmts    *Stmts // prepared between batches; see On

	mu     sync.RWMutex // guards closed against sends on jobs
	closed bool
	done   chan struct{}

	busy, batches, txs atomic.Int64 // see Stats
}

// CommitterStats is what a Committer has done since it started: the time its goroutine
// spent running batches (the one writer's utilisation is its rate), the batches it
// committed and the transactions those held.
type CommitterStats struct {
	Busy                  time.Duration
	Batches, Transactions int64
}

// Stats returns the counters so far.
func (c *Committer) Stats() CommitterStats {
	return CommitterStats{Busy: time.Duration(c.busy.Load()), Batches: c.batches.Load(), Transactions: c.txs.Load()}
}

type job struct {
	ctx     context.Context
	fn      func(*sql.Tx) error
	relaxed bool // may commit without waiting for fsync (TxRelaxed)
	res     chan result
}

type result struct {
	err   error
	panic any // re-raised on the caller's goroutine
}

// NewCommitter starts a committer on db; maxBatch <= 0 takes DefaultMaxBatch. Close it
// before closing db.
func NewCommitter(db *sql.DB, maxBatch int) *Committer {
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatch
	}
	c := &Committer{db: db, maxBatch: maxBatch, jobs: make(chan *job, maxBatch), stmts: NewStmts(db), done: make(chan struct{})}
	var level int
	c.full = db.QueryRowContext(context.Background(), `PRAGMA synchronous`).Scan(&level) == nil && level == syncFull
	go c.run()
	return c
}

// Tx implements Writer: fn runs in a transaction shared with other callers' and Tx
// returns once that transaction committed (nil) or fn's work was rolled back (fn's
// error, or the commit's).
func (c *Committer) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return c.submit(&job{ctx: ctx, fn: fn, res: make(chan result, 1)})
}

// TxRelaxed is Tx for a write that need not wait for fsync: such writes commit in a
// transaction of their own with synchronous=NORMAL, which survives a killed process but
// may lose its last commits on a power loss (WAL keeps commit order: a later fsynced
// commit, or a checkpoint, makes them durable too). When a batch holds both kinds, its
// relaxed writes commit first, and their callers do not wait for the others' fsync. The gateway's replay-protection nonces use it: an A1 query must
// not wait for a disk flush.
func (c *Committer) TxRelaxed(ctx context.Context, fn func(*sql.Tx) error) error {
	return c.submit(&job{ctx: ctx, fn: fn, relaxed: true, res: make(chan result, 1)})
}

func (c *Committer) submit(j *job) error {
	ctx := j.ctx
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return ErrCommitterClosed
	}
	select {
	case c.jobs <- j:
		c.mu.RUnlock()
	case <-ctx.Done():
		c.mu.RUnlock()
		return ctx.Err()
	}
	// Once queued, wait for the answer even if ctx ends: fn may already be running,
	// and the caller must learn whether its work committed.
	r := <-j.res
	if r.panic != nil {
		panic(r.panic)
	}
	return Classify(r.err) // a full or read-only disk is the storage's failure, not the caller's
}

// Close stops taking work, finishes what was queued and stops the goroutine.
func (c *Committer) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.jobs)
	}
	c.mu.Unlock()
	<-c.done
}

func (c *Committer) run() {
	defer close(c.done)
	defer c.stmts.Close()
	batch := make([]*job, 0, c.maxBatch)
	for j := range c.jobs {
		batch = append(batch[:0], j)
	fill:
		for len(batch) < c.maxBatch {
			select {
			case more, ok := <-c.jobs:
				if !ok {
					break fill
				}
				batch = append(batch, more)
			default:
				break fill
			}
		}
		start := time.Now()
		c.commit(batch)
		c.busy.Add(int64(time.Since(start)))
		c.batches.Add(1)
		c.txs.Add(int64(len(batch)))
		// Between batches the committer holds no transaction: it may prepare.
		c.stmts.PrepareNoted(context.Background())
	}
}

// commit runs one batch and answers every job in it.
func (c *Committer) commit(batch []*job) {
	live := batch[:0:0]
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.res <- result{err: err}
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	if !c.full {
		c.commitGroup(live, false)
		return
	}
	// The relaxed writes commit first, at synchronous=NORMAL, and are answered without
	// waiting for the ordinary ones' fsync (callers that submit concurrently have no
	// order between them); then the ordinary ones, fsynced.
	var relaxed, durable []*job
	for _, j := range live {
		if j.relaxed {
			relaxed = append(relaxed, j)
		} else {
			durable = append(durable, j)
		}
	}
	if len(relaxed) > 0 {
		c.commitGroup(relaxed, true)
	}
	if len(durable) > 0 {
		c.commitGroup(durable, false)
	}
}

// commitGroup runs jobs in one transaction (relaxed: at synchronous=NORMAL) and
// answers every one.
func (c *Committer) commitGroup(live []*job, relaxed bool) {
	db, release, err := c.begin(relaxed)
	if err != nil {
		for _, j := range live {
			j.res <- result{err: err}
		}
		return
	}
	defer release()
	if len(live) == 1 {
		live[0].res <- runAlone(db, live[0])
		return
	}
	results, err := c.together(db, live)
	if err != nil {
		// The shared transaction failed as a whole: nothing of it committed. Run each
		// function alone so that the others are not failed by one.
		for _, j := range live {
			j.res <- runAlone(db, j)
		}
		return
	}
	for i, j := range live {
		j.res <- results[i]
	}
}

// SQLite's synchronous levels used here.
const (
	syncNormal = 1
	syncFull   = 2
)

// begin returns where the batch begins its transactions: the database, or, for a
// relaxed batch, its connection held for the batch with synchronous=NORMAL, set back to
// FULL on release (a connection that cannot be set back is discarded, never reused).
func (c *Committer) begin(relaxed bool) (beginner, func(), error) {
	if !relaxed {
		return c.db, func() {}, nil
	}
	ctx := context.Background()
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA synchronous = %d`, syncNormal)); err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	return conn, func() {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA synchronous = %d`, syncFull)); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		_ = conn.Close()
	}, nil
}

// together runs the jobs in one transaction, each in a savepoint. A non-nil error means
// the transaction did not commit (and results are meaningless).
func (c *Committer) together(db beginner, jobs []*job) (results []result, err error) {
	ctx := context.Background() // not one caller's: its cancellation must not end the batch
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	results = make([]result, len(jobs))
	q := c.stmts.On(tx)
	for i, j := range jobs {
		if _, err := q.ExecContext(ctx, `SAVEPOINT group_commit`); err != nil {
			return nil, fmt.Errorf("group commit: savepoint: %w", err)
		}
		results[i] = call(tx, j.fn)
		if results[i].err != nil || results[i].panic != nil {
			if _, err := q.ExecContext(ctx, `ROLLBACK TO SAVEPOINT group_commit`); err != nil {
				return nil, fmt.Errorf("group commit: rollback to savepoint: %w", err)
			}
		}
		if _, err := q.ExecContext(ctx, `RELEASE SAVEPOINT group_commit`); err != nil {
			return nil, fmt.Errorf("group commit: release savepoint: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("group commit: %w", err)
	}
	return results, nil
}

// runAlone runs one job in its own transaction (recovering a panic for the caller).
func runAlone(db beginner, j *job) result {
	var r result
	err := inTx(context.Background(), db, func(tx *sql.Tx) error {
		r = call(tx, j.fn)
		if r.panic != nil {
			return errors.New("panicked")
		}
		return r.err
	})
	if r.panic != nil {
		return r
	}
	return result{err: err}
}

// call runs fn, turning a panic into a result.
func call(tx *sql.Tx, fn func(*sql.Tx) error) (r result) {
	defer func() {
		if p := recover(); p != nil {
			r = result{panic: p}
		}
	}()
	return result{err: fn(tx)}
}

// Relaxed returns a Writer whose transactions need not wait for fsync
// (Committer.TxRelaxed) when w is a Committer; any other w is returned as it is.
func Relaxed(w Writer) Writer {
	if c, ok := w.(*Committer); ok {
		return relaxed{c}
	}
	return w
}

type relaxed struct{ c *Committer }

func (r relaxed) Tx(ctx context.Context, fn func(*sql.Tx) error) error { return r.c.TxRelaxed(ctx, fn) }
