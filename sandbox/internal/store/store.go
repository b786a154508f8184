// Package store opens the bank's business database and applies its migrations. The
// default is embedded SQLite (modernc.org/sqlite, pure Go, WAL); migrations and the
// capability packages' queries are portable SQL with $n placeholders so that a
// PostgreSQL backend (pgx) can use the same statements.
//
// Capability packages keep their own queries (their store.go) over the *sql.DB this
// package returns; this package knows no domain types.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the business database.
type DB struct {
	*sql.DB
}

// OpenSQLite opens (creating if needed) the SQLite database at file and migrates it.
// WAL with synchronous=NORMAL survives a process crash (kill -9) without losing a
// committed transaction; FULL is used when durable is true (every commit fsynced).
func OpenSQLite(ctx context.Context, file string, durable bool) (*DB, error) {
	sync := "NORMAL"
	if durable {
		sync = "FULL"
	}
	dsn := "file:" + file + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=synchronous(" + sync + ")&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)&_txlock=immediate"
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// SQLite has a single writer. One connection serialises statements in-process
	// instead of leaving several connections to spin on the write lock under
	// busy_timeout: measured, A2 payments went from 494/s (p99 186 ms) to 714/s
	// (p99 24 ms), and A1 reads were unaffected (0.18 of bare fiber). Code must never
	// use the *sql.DB while holding a transaction (it would wait forever); the test
	// suite, the load test and the crash test run every path that writes. The
	// payment path's writes share transactions through a Committer (group commit),
	// and its per-request reads can use an OpenSQLiteReader pool beside this
	// connection.
	sdb.SetMaxOpenConns(1)
	db := &DB{DB: sdb}
	if err := db.PingContext(ctx); err != nil {
		_ = sdb.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		_ = sdb.Close()
		return nil, err
	}
	return db, nil
}

// OpenSQLiteReader opens a pool of at most conns read-only connections (query_only) to
// the database OpenSQLite opened. In WAL mode they read beside the one writing
// connection instead of queueing for it, and each statement sees every transaction
// committed before it started.
func OpenSQLiteReader(ctx context.Context, file string, conns int) (*sql.DB, error) {
	dsn := "file:" + file + "?_pragma=busy_timeout(10000)&_pragma=query_only(1)&_pragma=foreign_keys(ON)"
	rdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database reader: %w", err)
	}
	rdb.SetMaxOpenConns(conns)
	rdb.SetMaxIdleConns(conns)
	if err := rdb.PingContext(ctx); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("open database reader: %w", err)
	}
	return rdb, nil
}

// Migrate applies, in order, every embedded migration not yet recorded (not only those
// above the highest recorded version, so migrations merged out of order still run),
// each in its own transaction.
func (db *DB) Migrate(ctx context.Context) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied := map[int]bool{}
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			_ = rows.Close()
			return fmt.Errorf("migrate: %w", err)
		}
		applied[v] = true
	}
	_ = rows.Close()
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		name := path.Base(f)
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		if applied[v] {
			continue
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		if err := db.Tx(ctx, func(tx *sql.Tx) error {
			for _, stmt := range splitStatements(string(body)) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %s: %w", name, err)
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, v, name)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// Tx runs fn in a transaction, committing if it returns nil.
func (db *DB) Tx(ctx context.Context, fn func(*sql.Tx) error) error { return InTx(ctx, db.DB, fn) }

// InTx runs fn in a transaction on db, committing if it returns nil and rolling back on
// an error or a panic.
func InTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error { return inTx(ctx, db, fn) }

// beginner is a *sql.DB or a *sql.Conn.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

func inTx(ctx context.Context, db beginner, fn func(*sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return Classify(err)
	}
	return Classify(tx.Commit())
}

// GetMeta reads a value from the meta table ("" and false if absent).
func (db *DB) GetMeta(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

// SetMeta writes a value to the meta table.
func (db *DB) SetMeta(ctx context.Context, key, value string) error {
	_, err := db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// splitStatements splits a migration on semicolons at line ends, dropping comments.
func splitStatements(s string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(s, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		out = append(out, rest)
	}
	return out
}

// Snapshot returns a stable dump of every business table (all but nonces, the
// migration record and the health probe's row of meta), so tests can assert that a
// refused request changed nothing.
func (db *DB) Snapshot(ctx context.Context) (map[string][]string, error) {
	var tables []string
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('nonces', 'schema_migrations') AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			_ = rows.Close()
			return nil, err
		}
		tables = append(tables, n)
	}
	_ = rows.Close()
	out := map[string][]string{}
	for _, t := range tables {
		q := `SELECT * FROM ` + t
		if t == "meta" { // the health monitor's probe row changes every second by design
			q += ` WHERE key <> 'health_probe'`
		}
		rows, err := db.QueryContext(ctx, q) //nolint:gosec // fixed table names
		if err != nil {
			return nil, err
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				_ = rows.Close()
				return nil, err
			}
			out[t] = append(out[t], fmt.Sprint(vals...))
		}
		_ = rows.Close()
		sort.Strings(out[t])
	}
	return out, nil
}
