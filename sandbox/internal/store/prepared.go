package store

import (
	"context"
	"database/sql"
	"sync"
)

// Prepared serves a pool's queries from statements prepared once: on the per-request
// read path (the A2 gateway reads a token and a consent for every call) parsing the SQL
// each time was about a twentieth of the bank's CPU. database/sql prepares a statement
// again on each pooled connection that first runs it. Queries are the code's constant
// strings; past maxCachedStmts distinct ones, the rest run unprepared.
type Prepared struct {
	db *sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

var _ Querier = (*Prepared)(nil)

// NewPrepared returns an empty statement cache over db. Close it before db.
func NewPrepared(db *sql.DB) *Prepared {
	return &Prepared{db: db, stmts: map[string]*sql.Stmt{}}
}

// stmt returns the prepared statement for query, preparing it on first use (nil when
// the cache is full or preparing failed: the caller runs the query unprepared, and
// gets any error from that).
func (p *Prepared) stmt(ctx context.Context, query string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.stmts[query]; ok {
		return st
	}
	if len(p.stmts) >= maxCachedStmts {
		return nil
	}
	st, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	p.stmts[query] = st
	return st
}

// QueryRowContext implements Querier.
func (p *Prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.db.QueryRowContext(ctx, query, args...)
}

// QueryContext implements Querier.
func (p *Prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.db.QueryContext(ctx, query, args...)
}

// ExecContext implements Querier.
func (p *Prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.db.ExecContext(ctx, query, args...)
}

// Close closes the prepared statements.
func (p *Prepared) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, st := range p.stmts {
		_ = st.Close()
		delete(p.stmts, q)
	}
	return nil
}
