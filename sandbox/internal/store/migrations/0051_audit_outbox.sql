-- Issue 15: no money moves unrecorded (JR/T 0185-2020 7.3.3/1, 12.3/1). A business change
-- writes its audit record here, in its own transaction; the audit log's writer folds the
-- rows into its chain (audit.db) in id order and prunes them, keeping the last one, marked
-- folded, so that ids keep growing. Portable SQL: an INTEGER PRIMARY KEY is SQLite's rowid; PostgreSQL
-- gives the column an identity default.
CREATE TABLE audit_outbox (
    id         INTEGER PRIMARY KEY,
    ts         BIGINT  NOT NULL,
    request_id TEXT    NOT NULL,
    app_id     TEXT    NOT NULL,
    api_id     TEXT    NOT NULL,
    method     TEXT    NOT NULL,
    path       TEXT    NOT NULL,
    status     INTEGER NOT NULL,
    result     TEXT    NOT NULL,
    code       TEXT    NOT NULL,
    excerpt    TEXT    NOT NULL,
    folded     INTEGER NOT NULL DEFAULT 0 -- 1: in the chain (the last folded row, kept)
);
