package audit

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// The audit log lives in its own SQLite file, apart from the business
// database, so a bug or a restore there cannot touch it. Queries use plain
// types and $n placeholders (which SQLite also accepts) so that a PostgreSQL
// backend can reuse them; only the DDL and PRAGMAs below are SQLite-specific
// (on PostgreSQL: BIGINT PRIMARY KEY and a schema_version table).

const schemaVersion = 2

// migrations[i] upgrades the schema from version i to i+1.
var migrations = []string{
	`CREATE TABLE records (
		seq         INTEGER PRIMARY KEY,
		ts          BIGINT  NOT NULL,
		request_id  TEXT    NOT NULL,
		app_id      TEXT    NOT NULL,
		api_id      TEXT    NOT NULL,
		u_api_id    TEXT    NOT NULL,
		method      TEXT    NOT NULL,
		path        TEXT    NOT NULL,
		status      INTEGER NOT NULL,
		result      TEXT    NOT NULL,
		code        TEXT    NOT NULL,
		duration_us BIGINT  NOT NULL,
		excerpt     TEXT    NOT NULL,
		prev_hash   TEXT    NOT NULL,
		hash        TEXT    NOT NULL
	);
	CREATE INDEX records_app_seq ON records (app_id, seq);
	CREATE INDEX records_request_id ON records (request_id);
	CREATE INDEX records_ts ON records (ts);
	CREATE TABLE checkpoints (
		seq        INTEGER PRIMARY KEY,
		head_hash  TEXT NOT NULL,
		created_at TEXT NOT NULL,
		key_serial TEXT NOT NULL,
		signature  TEXT NOT NULL
	);`,
	// Version 2 (issue 15): how far the log has folded in the business database's audit
	// outbox (records written in the same transaction as the change they record).
	`CREATE TABLE folds (
		source  TEXT   PRIMARY KEY,
		through BIGINT NOT NULL
	);`,
}

const recordColumns = `seq, ts, request_id, app_id, api_id, u_api_id, method, path, status, result, code, duration_us, excerpt, prev_hash, hash`

const numRecordColumns = 15

var recordColumnNames = strings.Split(strings.ReplaceAll(recordColumns, " ", ""), ",")

var checkpointColumnNames = []string{"seq", "head_hash", "created_at", "key_serial", "signature"}

const (
	sqlInsertRecord = `INSERT INTO records (` + recordColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`
	sqlHead             = `SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1`
	sqlRecordsFrom      = `SELECT ` + recordColumns + ` FROM records WHERE seq >= $1 ORDER BY seq`
	sqlAllRecords       = `SELECT ` + recordColumns + ` FROM records ORDER BY seq`
	sqlInsertCheckpoint = `INSERT INTO checkpoints (seq, head_hash, created_at, key_serial, signature)
		VALUES ($1, $2, $3, $4, $5)`
	sqlLastCheckpoint = `SELECT seq, head_hash, created_at, key_serial, signature
		FROM checkpoints ORDER BY seq DESC LIMIT 1`
	sqlAllCheckpoints = `SELECT seq, head_hash, created_at, key_serial, signature
		FROM checkpoints ORDER BY seq`
)

// fileURI turns a path into an SQLite URI filename, escaping the characters
// the URI syntax gives a meaning to.
func fileURI(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

func writerDSN(path string) string {
	return fileURI(path) +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)" +
		"&_txlock=immediate"
}

func readOnlyDSN(path string) string {
	return fileURI(path) + "?mode=ro&_pragma=busy_timeout(5000)&_pragma=query_only(1)"
}

// immutableDSN reads a file that no writer has open (there is no -wal file)
// where SQLite cannot create the -shm file read-only WAL access needs: an
// archived copy on read-only media.
func immutableDSN(path string) string {
	return fileURI(path) + "?mode=ro&immutable=1&_pragma=query_only(1)"
}

// migrate creates or upgrades the schema, versioned with PRAGMA user_version.
func migrate(ctx context.Context, db *sql.DB) error {
	var v int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("audit: read schema version: %w", err)
	}
	if v > schemaVersion {
		return fmt.Errorf("audit: log schema version %d is newer than this build (%d)", v, schemaVersion)
	}
	for ; v < schemaVersion; v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("audit: migrate to %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("audit: migrate to %d: %w", v+1, err)
		}
		// PRAGMA takes no parameters; v+1 is a trusted integer.
		if _, err := tx.ExecContext(ctx, `PRAGMA user_version = `+strconv.Itoa(v+1)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("audit: migrate to %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("audit: migrate to %d: %w", v+1, err)
		}
	}
	return nil
}

// chained is a record with its position and chain hashes, ready to insert.
type chained struct {
	seq  int64
	rec  *Record
	prev [hashSize]byte
	hash [hashSize]byte
}

func insertRecords(ctx context.Context, tx *sql.Tx, rs []chained) error {
	stmt, err := tx.PrepareContext(ctx, sqlInsertRecord)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range rs {
		c := &rs[i]
		r := c.rec
		if _, err := stmt.ExecContext(ctx, c.seq, r.Time.UnixNano(), r.RequestID, r.AppID, r.APIID,
			r.UAPIID, r.Method, r.Path, int64(r.Status), r.Result, r.Code, r.DurationMicros,
			r.Excerpt, encodeHash(c.prev), encodeHash(c.hash)); err != nil {
			return err
		}
	}
	return nil
}

// readHead returns the last record's seq and hash; ok is false for an empty log.
func readHead(ctx context.Context, q queryer) (seq int64, hash [hashSize]byte, ok bool, err error) {
	var s sql.NullInt64
	var h sql.NullString
	err = q.QueryRowContext(ctx, sqlHead).Scan(&s, &h)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, genesisHash, false, nil
	}
	if err != nil {
		return 0, hash, false, err
	}
	if !s.Valid || !h.Valid {
		return 0, hash, false, fmt.Errorf("last record has a NULL seq or hash")
	}
	hash, err = decodeHash(h.String)
	if err != nil {
		return 0, hash, false, fmt.Errorf("last record %d: hash %w", s.Int64, err)
	}
	return s.Int64, hash, true, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func insertCheckpoint(ctx context.Context, db *sql.DB, cp Checkpoint) error {
	_, err := db.ExecContext(ctx, sqlInsertCheckpoint, cp.Seq, cp.HeadHash,
		formatCreatedAt(cp.CreatedAt), cp.KeySerial, base64.StdEncoding.EncodeToString(cp.Signature))
	return err
}

// storedRecord is one row of the records table, parsed without trusting it.
type storedRecord struct {
	rec     Record // rec.Seq is the stored seq
	prev    [hashSize]byte
	hash    [hashSize]byte
	prevOK  bool
	hashOK  bool
	fieldOK bool   // every content column had the right type
	bad     string // why a column could not be read, "" if all could
	body    []byte // recordBody, set when fieldOK
}

// scanRecord reads one row into st. A row whose seq cannot be read returns an
// error; any other unreadable column is described in st.bad.
func scanRecord(rows *sql.Rows, st *storedRecord) error {
	var v [numRecordColumns]any
	var p [numRecordColumns]any
	for i := range v {
		p[i] = &v[i]
	}
	if err := rows.Scan(p[:]...); err != nil {
		return err
	}
	return parseRecordColumns(v[:], st)
}

// errUnreadableSeq is returned for a row whose seq column is not an integer.
var errUnreadableSeq = errors.New("seq is not an integer")

// parseRecordColumns converts raw column values (in recordColumns order) into
// st. It is the parser that sees attacker-controlled bytes; see FuzzParseRecordColumns.
func parseRecordColumns(v []any, st *storedRecord) error {
	*st = storedRecord{}
	if len(v) != numRecordColumns {
		return fmt.Errorf("want %d columns, got %d", numRecordColumns, len(v))
	}
	seq, ok := v[0].(int64)
	if !ok {
		return errUnreadableSeq
	}
	st.rec.Seq = seq
	col := columnReader{vals: v}
	r := &st.rec
	ts := col.int64(1)
	r.Time = time.Unix(0, ts).UTC()
	r.RequestID = col.str(2)
	r.AppID = col.str(3)
	r.APIID = col.str(4)
	r.UAPIID = col.str(5)
	r.Method = col.str(6)
	r.Path = col.str(7)
	r.Status = int(col.int64(8))
	r.Result = col.str(9)
	r.Code = col.str(10)
	r.DurationMicros = col.int64(11)
	r.Excerpt = col.str(12)
	st.fieldOK = col.bad == ""
	st.bad = col.bad
	if prev, ok := v[13].(string); ok {
		st.prev, st.prevOK = decodeHashOK(prev)
	}
	if h, ok := v[14].(string); ok {
		st.hash, st.hashOK = decodeHashOK(h)
	}
	if st.bad == "" && !st.prevOK {
		st.bad = "column prev_hash is not a 32-byte hex hash"
	}
	if st.bad == "" && !st.hashOK {
		st.bad = "column hash is not a 32-byte hex hash"
	}
	if st.fieldOK {
		st.body = recordBody(nil, r)
	}
	return nil
}

func decodeHashOK(s string) ([hashSize]byte, bool) {
	h, err := decodeHash(s)
	return h, err == nil
}

// columnReader converts untrusted column values, remembering the first
// column whose storage type is wrong. A value stored with another type (a
// status written as TEXT, a BLOB in a TEXT column, a NULL) is tampering with
// the storage even if it looks equal, so it is not converted.
type columnReader struct {
	vals []any
	bad  string
}

func (c *columnReader) int64(i int) int64 {
	if x, ok := c.vals[i].(int64); ok {
		return x
	}
	c.fail(i, "INTEGER")
	return 0
}

func (c *columnReader) str(i int) string {
	if x, ok := c.vals[i].(string); ok {
		return x
	}
	c.fail(i, "TEXT")
	return ""
}

func (c *columnReader) fail(i int, want string) {
	if c.bad != "" {
		return
	}
	c.bad = fmt.Sprintf("column %s holds %s, want %s", recordColumnNames[i], typeName(c.vals[i]), want)
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "NULL"
	case int64:
		return "INTEGER"
	case float64:
		return "REAL"
	case string:
		return "TEXT"
	case []byte:
		return "BLOB"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// storedCheckpoint is one row of the checkpoints table, parsed without trusting it.
type storedCheckpoint struct {
	seq       int64
	headHex   string
	head      [hashSize]byte
	createdAt string
	serial    string
	sig       []byte
	bad       string // why the row is unusable, "" if readable
}

func scanCheckpoint(rows *sql.Rows, sc *storedCheckpoint) error {
	var v [5]any
	if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4]); err != nil {
		return err
	}
	parseCheckpointColumns(v[:], sc)
	return nil
}

// parseCheckpointColumns converts raw checkpoint column values into sc,
// recording in sc.bad why the row is unusable.
func parseCheckpointColumns(v []any, sc *storedCheckpoint) {
	*sc = storedCheckpoint{}
	if len(v) != 5 {
		sc.bad = "wrong number of columns"
		return
	}
	seq, ok := v[0].(int64)
	if !ok {
		sc.bad = "seq holds " + typeName(v[0]) + ", want INTEGER"
		return
	}
	sc.seq = seq
	var strs [4]string // head_hash, created_at, key_serial, signature
	for i := range strs {
		s, ok := v[i+1].(string)
		if !ok {
			sc.bad = fmt.Sprintf("column %s holds %s, want TEXT", checkpointColumnNames[i+1], typeName(v[i+1]))
			return
		}
		strs[i] = s
	}
	sc.headHex, sc.createdAt, sc.serial = strs[0], strs[1], strs[2]
	var err error
	if sc.head, err = decodeHash(sc.headHex); err != nil {
		sc.bad = "head_hash is " + err.Error()
		return
	}
	if sc.sig, err = base64.StdEncoding.DecodeString(strs[3]); err != nil {
		sc.bad = "signature is not base64"
		return
	}
}

func toCheckpoint(sc *storedCheckpoint) Checkpoint {
	t, _ := time.Parse(time.RFC3339Nano, sc.createdAt)
	return Checkpoint{Seq: sc.seq, HeadHash: sc.headHex, CreatedAt: t, KeySerial: sc.serial, Signature: sc.sig}
}

// readLastCheckpoint returns the newest checkpoint; ok is false if there is none.
func readLastCheckpoint(ctx context.Context, q queryer) (storedCheckpoint, bool, error) {
	var sc storedCheckpoint
	rows, err := q.QueryContext(ctx, sqlLastCheckpoint)
	if err != nil {
		return sc, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return sc, false, rows.Err()
	}
	if err := scanCheckpoint(rows, &sc); err != nil {
		return sc, false, err
	}
	return sc, true, rows.Err()
}

// Filter selects records for Query. Zero fields do not filter.
type Filter struct {
	AppID     string
	RequestID string
	Since     time.Time // inclusive
	Until     time.Time // exclusive
	BeforeSeq int64     // only records with Seq < BeforeSeq: the cursor for the next page
	Limit     int       // default 100, at most 1000
}

const (
	defaultQueryLimit = 100
	maxQueryLimit     = 1000
)

// buildQuery returns the SQL and arguments for f, newest record first.
func buildQuery(f Filter) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1))
	}
	if f.AppID != "" {
		add("app_id = ?", f.AppID)
	}
	if f.RequestID != "" {
		add("request_id = ?", f.RequestID)
	}
	if !f.Since.IsZero() {
		add("ts >= ?", f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		add("ts < ?", f.Until.UnixNano())
	}
	if f.BeforeSeq > 0 {
		add("seq < ?", f.BeforeSeq)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultQueryLimit
	}
	limit = min(limit, maxQueryLimit)
	q := `SELECT ` + recordColumns + ` FROM records`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	args = append(args, limit)
	q += ` ORDER BY seq DESC LIMIT $` + strconv.Itoa(len(args))
	return q, args
}

func queryRecords(ctx context.Context, db *sql.DB, f Filter) ([]Record, error) {
	q, args := buildQuery(f)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: query: %w", err)
	}
	defer rows.Close()
	var out []Record
	var st storedRecord
	for rows.Next() {
		if err := scanRecord(rows, &st); err != nil {
			return nil, fmt.Errorf("audit: query: %w", err)
		}
		if st.bad != "" && !st.fieldOK {
			return nil, fmt.Errorf("audit: query: record %d: %s", st.rec.Seq, st.bad)
		}
		out = append(out, st.rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: query: %w", err)
	}
	return out, nil
}
