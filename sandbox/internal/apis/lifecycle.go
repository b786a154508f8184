package apis

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/store"
)

// State is an API's lifecycle state (JR/T 0185-2020 7.1/6, 10.3/1, 11).
type State string

// States: active -> deprecated (notice and sunset published) -> terminated (baffle)
// -> offline (no longer served; its records are kept).
const (
	Active     State = "active"
	Deprecated State = "deprecated"
	Terminated State = "terminated"
	Offline    State = "offline"
)

// Status is an API's current lifecycle status.
type Status struct {
	State     State     `json:"state"`
	Sunset    time.Time `json:"sunset,omitzero"`
	Notice    string    `json:"notice,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Partners finds the partner apps to notify about a change of an API: those granted
// its scope (JR/T 0185-2020 10.3/1: 及时评估影响并告知应用方).
type Partners interface {
	GrantedScope(ctx context.Context, scope string) ([]string, error)
}

// LifecycleOptions configure a Lifecycle.
type LifecycleOptions struct {
	Partners Partners   // nil: nobody is notified
	Mutant   mutant.Set // a mutant bank breaks one control on purpose
}

// Lifecycle keeps API states in the database with an in-memory copy for the hot path,
// and writes every change to the published change log and to the affected partners'
// notices in the same transaction.
type Lifecycle struct {
	db    *sql.DB
	clock clock.Clock
	cat   *Catalogue
	opts  LifecycleOptions
	mu    sync.RWMutex
	state map[string]Status
	ver   string     // current document version (from the change log)
	wmu   sync.Mutex // one change at a time: the change log's order is the order of changes
}

// NewLifecycle loads the states, and records the catalogue's first publication in the
// change log when it is empty.
func NewLifecycle(ctx context.Context, db *sql.DB, c clock.Clock, cat *Catalogue, opts ...LifecycleOptions) (*Lifecycle, error) {
	l := &Lifecycle{db: db, clock: c, cat: cat, state: map[string]Status{}}
	if len(opts) > 0 {
		l.opts = opts[0]
	}
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
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := l.firstPublication(ctx); err != nil {
		return nil, err
	}
	v, err := l.version(ctx)
	l.ver = v
	return l, err
}

// CurrentVersion is the version of the published catalogue and OpenAPI document: it
// changes with every entry of the change log (10.3/1).
func (l *Lifecycle) CurrentVersion() string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.ver
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

// Served reports whether the API is still routed (everything but offline).
func (l *Lifecycle) Served(apiID string) bool { return l.Get(apiID).State != Offline }

// Set changes an API's state. Allowed: active -> deprecated -> terminated -> offline,
// deprecated -> active (deprecation withdrawn); never active -> terminated without
// notice, never offline before terminated (11/3: 下线应在相关服务确认终止之后执行).
// Deprecation needs a notice and a future sunset date (10.3/1, 11/1: 提前告知).
func (l *Lifecycle) Set(ctx context.Context, apiID string, to State, sunset time.Time, notice string) (Status, error) {
	if _, ok := l.cat.ByID(apiID); !ok {
		return Status{}, problem.AdminNotFound.WithDetail("no API %q", apiID)
	}
	if to != Active && to != Deprecated && to != Terminated && to != Offline {
		return Status{}, problem.ParameterInvalid.WithDetail("state must be active, deprecated, terminated or offline")
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	cur := l.Get(apiID)
	now := l.clock.Now()
	// 11/1: termination is announced first, so an API is deprecated before it is terminated.
	ok := (cur.State == Active && to == Deprecated) || (cur.State == Deprecated && (to == Terminated || to == Active)) ||
		(cur.State == Terminated && to == Offline)
	if !ok {
		return Status{}, problem.StateConflict.WithDetail("cannot move API %s from %s to %s", apiID, cur.State, to)
	}
	if to == Deprecated && (notice == "" || !sunset.After(now)) {
		return Status{}, problem.ParameterInvalid.WithDetail("deprecation needs a notice and a sunset date in the future")
	}
	next := Status{State: to, Sunset: sunset, Notice: notice, UpdatedAt: now}
	switch to {
	case Active:
		next = Status{State: Active, UpdatedAt: now}
	case Terminated, Offline:
		if next.Notice == "" {
			next.Notice = cur.Notice
		}
		if next.Sunset.IsZero() {
			next.Sunset = cur.Sunset
		}
	}
	change := map[State]string{Deprecated: "deprecated", Active: "deprecation-withdrawn", Terminated: "terminated", Offline: "offline"}[to]
	effective := now
	if to == Deprecated {
		effective = sunset
	}
	return next, l.apply(ctx, apiID, cur, next, change, effective)
}

// Reinstate puts an API back to active from any state. It is a sandbox test control
// (a real bank registers a new U_API_ID instead), recorded in the change log like any
// change so partners are told.
func (l *Lifecycle) Reinstate(ctx context.Context, apiID string) (Status, error) {
	if _, ok := l.cat.ByID(apiID); !ok {
		return Status{}, problem.AdminNotFound.WithDetail("no API %q", apiID)
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	cur := l.Get(apiID)
	if cur.State == Active {
		return cur, nil
	}
	now := l.clock.Now()
	next := Status{State: Active, UpdatedAt: now}
	return next, l.apply(ctx, apiID, cur, next, "reinstated", now)
}

// apply stores the new state, appends the change to the change log and a notice for
// every partner granted the API, in one transaction, then updates the hot copy.
func (l *Lifecycle) apply(ctx context.Context, apiID string, cur, next Status, change string, effective time.Time) error {
	api, _ := l.cat.ByID(apiID)
	var notify []string
	ver := ""
	if l.opts.Partners != nil && !l.opts.Mutant.Is(mutant.NoPartnerNotice) {
		var err error
		if notify, err = l.opts.Partners.GrantedScope(ctx, api.Scope); err != nil {
			return problem.Internal.Wrap(err)
		}
	}
	var sun int64
	if !next.Sunset.IsZero() {
		sun = next.Sunset.UnixNano()
	}
	now := next.UpdatedAt
	err := store.InTx(ctx, l.db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_states (api_id, state, sunset, notice, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (api_id) DO UPDATE SET state = excluded.state, sunset = excluded.sunset, notice = excluded.notice, updated_at = excluded.updated_at`,
			apiID, string(next.State), sun, next.Notice, now.UnixNano()); err != nil {
			return err
		}
		// 7.1/6, 10.3/1: every change is published in the change log.
		if l.opts.Mutant.Is(mutant.NoChangelogEntry) {
			return nil
		}
		seq, err := appendChange(ctx, tx, Change{At: now, APIID: apiID, UAPIID: api.UAPIID, Change: change,
			From: cur.State, To: next.State, Effective: effective, Notice: next.Notice})
		if err != nil {
			return err
		}
		ver = VersionOf(seq)
		for _, app := range notify {
			if _, err := tx.ExecContext(ctx, `INSERT INTO api_notices (app_id, change_seq, created_at) VALUES ($1, $2, $3)`,
				app, seq, now.UnixNano()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return problem.Internal.Wrap(fmt.Errorf("api lifecycle: %w", err))
	}
	l.mu.Lock()
	l.state[apiID] = next
	if ver != "" {
		l.ver = ver
	}
	l.mu.Unlock()
	return nil
}
