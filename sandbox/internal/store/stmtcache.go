package store

import (
	"context"
	"database/sql"
	"sync"
)

// Querier is what both *sql.DB and *sql.Tx offer, and what Stmts.On returns.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// maxCachedStmts bounds the cache (queries built at run time could otherwise grow it).
const maxCachedStmts = 256

// Stmts caches prepared statements for transactions on a database whose pool has one
// connection (SetMaxOpenConns(1)): parsing SQL was a fifth of the payment path's
// database time. A statement cannot be prepared on the *sql.DB while a transaction
// holds the connection (that would wait forever), so a query first seen inside a
// transaction runs unprepared and is noted; its owner (the Committer, between
// batches, when it holds no transaction) calls PrepareNoted, and later transactions
// use the prepared statement through tx.StmtContext, which reuses the statement
// already prepared on the transaction's connection.
type Stmts struct {
	db *sql.DB

	mu    sync.Mutex
	ready map[string]*sql.Stmt
	noted map[string]bool
}

// NewStmts returns an empty cache for db.
func NewStmts(db *sql.DB) *Stmts {
	return &Stmts{db: db, ready: map[string]*sql.Stmt{}, noted: map[string]bool{}}
}

func (s *Stmts) get(query string) *sql.Stmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.ready[query]; ok {
		return st
	}
	if len(s.ready)+len(s.noted) < maxCachedStmts {
		s.noted[query] = true
	}
	return nil
}

// PrepareNoted prepares the queries noted since the last call. The caller must hold
// no transaction on the database.
func (s *Stmts) PrepareNoted(ctx context.Context) {
	s.mu.Lock()
	if len(s.noted) == 0 { // the common case, after every batch: nothing new
		s.mu.Unlock()
		return
	}
	var todo []string
	for q := range s.noted {
		todo = append(todo, q)
	}
	s.noted = map[string]bool{}
	s.mu.Unlock()
	for _, q := range todo {
		st, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			continue // it keeps running unprepared
		}
		s.mu.Lock()
		s.ready[q] = st
		s.mu.Unlock()
	}
}

// Close closes the prepared statements.
func (s *Stmts) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for q, st := range s.ready {
		_ = st.Close()
		delete(s.ready, q)
	}
}

// On returns tx with ExecContext and QueryRowContext served by cached statements when
// there are; QueryContext (rows that may stay open while another statement runs) is
// passed to tx as is.
func (s *Stmts) On(tx *sql.Tx) Querier {
	if s == nil {
		return tx
	}
	return cachedTx{tx: tx, s: s}
}

type cachedTx struct {
	tx *sql.Tx
	s  *Stmts
}

func (c cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.s.get(query); st != nil {
		return c.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return c.tx.ExecContext(ctx, query, args...)
}

func (c cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.s.get(query); st != nil {
		return c.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return c.tx.QueryRowContext(ctx, query, args...)
}

func (c cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.tx.QueryContext(ctx, query, args...)
}

// On returns tx wrapped with w's statement cache when w is a Committer, else tx.
func On(w Writer, tx *sql.Tx) Querier {
	if c, ok := w.(*Committer); ok {
		return c.stmts.On(tx)
	}
	return tx
}
