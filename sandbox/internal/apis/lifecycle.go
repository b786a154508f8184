package apis

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// State is an API's lifecycle state (JR/T 0185-2020 7.1/6, 10.3/1, 11).
type State string

// States: active -> deprecated (notice and sunset published) -> terminated (baffle).
const (
	Active     State = "active"
	Deprecated State = "deprecated"
	Terminated State = "terminated"
)

// Status is an API's current lifecycle status.
type Status struct {
	State     State     `json:"state"`
	Sunset    time.Time `json:"sunset,omitzero"`
	Notice    string    `json:"notice,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Lifecycle keeps API states in the database with an in-memory copy for the hot path.
type Lifecycle struct {
	db    *sql.DB
	clock clock.Clock
	cat   *Catalogue
	mu    sync.RWMutex
	state map[string]Status
}

// NewLifecycle loads the states.
func NewLifecycle(ctx context.Context, db *sql.DB, c clock.Clock, cat *Catalogue) (*Lifecycle, error) {
	l := &Lifecycle{db: db, clock: c, cat: cat, state: map[string]Status{}}
	rows, err := db.QueryContext(ctx, `SELECT api_id, state, sunset, notice, updated_at FROM api_states`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, st, notice string
		var sunset, updated int64
		if err := rows.Scan(&id, &st, &sunset, &notice, &updated); err != nil {
			return nil, err
		}
		s := Status{State: State(st), Notice: notice, UpdatedAt: time.Unix(0, updated)}
		if sunset > 0 {
			s.Sunset = time.Unix(0, sunset)
		}
		l.state[id] = s
	}
	return l, rows.Err()
}

// Get returns an API's status (active when never changed).
func (l *Lifecycle) Get(apiID string) Status {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if s, ok := l.state[apiID]; ok {
		return s
	}
	return Status{State: Active}
}

// Set changes an API's state. Allowed: active -> deprecated -> terminated, deprecated ->
// active (deprecation withdrawn); never active -> terminated without notice. Deprecation needs a notice and a future sunset date
// (10.3/1: 及时评估影响并告知应用方).
func (l *Lifecycle) Set(ctx context.Context, apiID string, to State, sunset time.Time, notice string) (Status, error) {
	if _, ok := l.cat.ByID(apiID); !ok {
		return Status{}, problem.AdminNotFound.WithDetail("no API %q", apiID)
	}
	if to != Active && to != Deprecated && to != Terminated {
		return Status{}, problem.ParameterInvalid.WithDetail("state must be active, deprecated or terminated")
	}
	cur := l.Get(apiID)
	now := l.clock.Now()
	// 11/1: termination is announced first, so an API is deprecated before it is terminated.
	ok := (cur.State == Active && to == Deprecated) || (cur.State == Deprecated && (to == Terminated || to == Active))
	if !ok {
		return Status{}, problem.StateConflict.WithDetail("cannot move API %s from %s to %s", apiID, cur.State, to)
	}
	if to == Deprecated && (notice == "" || !sunset.After(now)) {
		return Status{}, problem.ParameterInvalid.WithDetail("deprecation needs a notice and a sunset date in the future")
	}
	next := Status{State: to, Sunset: sunset, Notice: notice, UpdatedAt: now}
	if to == Active {
		next = Status{State: Active, UpdatedAt: now}
	}
	if to == Terminated && next.Notice == "" {
		next.Notice = cur.Notice
	}
	var sun int64
	if !next.Sunset.IsZero() {
		sun = next.Sunset.UnixNano()
	}
	_, err := l.db.ExecContext(ctx, `INSERT INTO api_states (api_id, state, sunset, notice, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (api_id) DO UPDATE SET state = excluded.state, sunset = excluded.sunset, notice = excluded.notice, updated_at = excluded.updated_at`,
		apiID, string(next.State), sun, next.Notice, now.UnixNano())
	if err != nil {
		return Status{}, problem.Internal.Wrap(err)
	}
	l.mu.Lock()
	l.state[apiID] = next
	l.mu.Unlock()
	return next, nil
}
